/* grid_refine.c -- a finer grid around the best cells of a finished grid search. */
#include "cli/grid_refine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts and drops repeats; returns the new count. */
static size_t sort_distinct(double *v, size_t n)
{
    qsort(v, n, sizeof *v, by_value);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (kept == 0 || v[i] != v[kept - 1])
            v[kept++] = v[i];
    return kept;
}

/* max/min of the gaps between neighbours of sorted v, in log space or not. */
static double gap_spread(const double *v, size_t n, int in_logs)
{
    double lo = INFINITY, hi = 0;
    for (size_t i = 1; i < n; i++) {
        double gap = in_logs ? log(v[i] / v[i - 1]) : v[i] - v[i - 1];
        lo = fmin(lo, gap);
        hi = fmax(hi, gap);
    }
    return hi / lo;
}

int grid_values_geometric(const double *values, size_t n)
{
    if (n < 2)
        return 0;
    double *v = malloc(n * sizeof *v);
    if (v == NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        v[i] = values[i];
    n = sort_distinct(v, n);
    int geometric = n >= 2 && v[0] > 0;
    if (geometric && n == 2)
        geometric = v[1] / v[0] >= 10;
    else if (geometric)
        geometric = gap_spread(v, n, 1) < gap_spread(v, n, 0);
    free(v);
    return geometric;
}

/* x with as few significant digits as keep it strictly inside (a, b), at least 3. */
static double readable(double x, double a, double b)
{
    for (int digits = 3; digits <= 17; digits++) {
        char text[64];
        snprintf(text, sizeof text, "%.*g", digits, x);
        double r = strtod(text, NULL);
        if (r > a && r < b)
            return r;
    }
    return x;
}

/* The point between a and b (exclusive) for a new grid value, or NAN when there is none:
 * see grid_refine_axis. A tie between two lattice points goes toward `toward` (a or b). */
static double point_between(double a, double b, double toward, int log_scale, double step,
                            double origin)
{
    double m = log_scale && a > 0 ? sqrt(a * b) : 0.5 * (a + b);
    if (step <= 0) {
        double r = readable(m, a, b);
        return r > a && r < b ? r : NAN;
    }
    double k = (m - origin) / step, down = floor(k), up = ceil(k);
    /* the nearer lattice point first; on a tie the one nearer the best value */
    double first = k - down < up - k ? down : up - k < k - down ? up : toward == b ? up : down;
    double second = first == down ? up : down;
    double tolerance = step * 1e-9;
    double candidates[2] = {first, second};
    for (int i = 0; i < 2; i++) {
        char text[64]; /* origin + k*step carries float noise: 0.30000000000000004 */
        snprintf(text, sizeof text, "%.12g", origin + candidates[i] * step);
        double x = strtod(text, NULL);
        if (x > a + tolerance && x < b - tolerance)
            return x;
    }
    return NAN;
}

size_t grid_refine_axis(const double *axis, size_t n_axis, const double *best, size_t n_best,
                        int log_scale, double step, double origin, double *out)
{
    double *sorted = malloc((n_axis + 1) * sizeof *sorted);
    unsigned char *is_best = calloc(n_axis + 1, 1);
    size_t n = 0;
    if (sorted == NULL || is_best == NULL)
        goto out;
    for (size_t i = 0; i < n_axis; i++)
        sorted[i] = axis[i];
    n_axis = sort_distinct(sorted, n_axis);
    if (n_axis > 0 && sorted[0] <= 0)
        log_scale = 0; /* no geometric mean across zero */
    for (size_t b = 0; b < n_best; b++)
        for (size_t i = 0; i < n_axis; i++)
            is_best[i] |= sorted[i] == best[b];
    for (size_t i = 0; i < n_axis; i++) {
        if (is_best[i])
            out[n++] = sorted[i];
        /* one point in each gap next to a best value, shared by two best neighbours */
        if (i + 1 < n_axis && (is_best[i] || is_best[i + 1])) {
            double toward = is_best[i + 1] ? sorted[i + 1] : sorted[i];
            double x = point_between(sorted[i], sorted[i + 1], toward, log_scale, step, origin);
            if (!isnan(x))
                out[n++] = x;
        }
    }
out:
    free(sorted);
    free(is_best);
    return n; /* sorted and distinct by construction */
}
