/* transform.c -- robust standardization of losses (see transform.h). */
#include "samplers/gp/transform.h"

#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int standardize(double *y, size_t n)
{
    double mean = 0;
    for (size_t i = 0; i < n; i++)
        mean += y[i];
    mean /= (double)n;
    double var = 0;
    for (size_t i = 0; i < n; i++)
        var += (y[i] - mean) * (y[i] - mean);
    var /= (double)n;
    double sd = sqrt(var);
    /* Differences below a few ulps of the values are rounding, not signal. */
    double scale = fabs(mean) + sd;
    if (!(sd > 1e-13 * scale) || !isfinite(sd)) {
        for (size_t i = 0; i < n; i++)
            y[i] = 0;
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        y[i] = (y[i] - mean) / sd;
    return 0;
}

int gp_transform_losses(const double *loss, size_t n, gp_warp warp, double *y, double *scratch)
{
    if (n == 0)
        return 1;
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(loss[i])) {
            lo = fmin(lo, loss[i]);
            hi = fmax(hi, loss[i]);
        }
    }
    if (!(lo < hi)) { /* nothing finite, or one finite value */
        for (size_t i = 0; i < n; i++)
            y[i] = 0;
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        y[i] = isfinite(loss[i]) ? loss[i] : (loss[i] == -HUGE_VAL ? lo : hi);
    /* Centre on the median first: losses near 1e12 that differ by units keep their
     * differences when the big common part is subtracted before anything else. */
    for (size_t i = 0; i < n; i++)
        scratch[i] = y[i];
    qsort(scratch, n, sizeof *scratch, cmp_double);
    double med = n % 2 ? scratch[n / 2] : scratch[n / 2 - 1] + 0.5 * (scratch[n / 2] - scratch[n / 2 - 1]);
    for (size_t i = 0; i < n; i++)
        y[i] -= med;
    if (warp == GP_WARP_STANDARDIZE)
        return standardize(y, n);

    double scale = med - lo;
    if (!(scale > 0)) {
        /* over half the losses tie for best (a plateau): the others set the scale */
        double mad = 0;
        for (size_t i = 0; i < n; i++)
            mad += fabs(y[i]);
        scale = mad / (double)n;
    }
    double cap = GP_BAD_CAP * scale;
    for (size_t i = 0; i < n; i++) {
        if (y[i] > 0) {
            double grown = scale * asinh(y[i] / scale);
            y[i] = cap * tanh(grown / cap);
        }
    }
    return standardize(y, n);
}

void gp_transform_shift_to_quantile(double *y, size_t n, double q, double *scratch)
{
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++)
        scratch[i] = y[i];
    qsort(scratch, n, sizeof *scratch, cmp_double);
    double pos = q * (double)(n - 1);
    size_t below = (size_t)pos;
    if (below >= n - 1)
        below = n - 1;
    double frac = pos - (double)below;
    double level = scratch[below];
    if (below + 1 < n && frac > 0)
        level += frac * (scratch[below + 1] - scratch[below]);
    for (size_t i = 0; i < n; i++)
        y[i] -= level;
}
