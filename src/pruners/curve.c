/* curve.c -- the learning-curve forecast of curve.h: six parametric families fitted by
 * variable projection (the two linear parameters in closed form, the shape by a grid and
 * a pattern search), a Laplace approximation of each fit's uncertainty, BIC weights. */
#include "pruners/curve.h"

#include "base/mem.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define CURVE_MAX_SHAPE 2
#define CURVE_MAX_PARAMS (2 + CURVE_MAX_SHAPE)

/* A family's basis g(x; theta) at s = x / x_target (x itself for ilog2, whose shape has
 * no scale), theta = exp(u) kept inside [lo, hi] (log scale). */
typedef struct curve_family {
    const char *name;
    int n_shape;
    double (*basis)(double x, double s, const double *theta);
    double lo[CURVE_MAX_SHAPE], hi[CURVE_MAX_SHAPE];
} curve_family;

/* pow3: c - a s^-alpha */
static double basis_pow3(double x, double s, const double *theta)
{
    (void)x;
    return pow(s, -theta[0]);
}

/* pow4: c - a (s + beta)^-alpha, a power law that starts flat */
static double basis_pow4(double x, double s, const double *theta)
{
    (void)x;
    return pow(s + theta[1], -theta[0]);
}

/* exp3: c - a e^(-b s) */
static double basis_exp3(double x, double s, const double *theta)
{
    (void)x;
    return exp(-theta[0] * s);
}

/* ilog2: c - a / log(x + 1), slow to settle and with no shape to fit */
static double basis_ilog2(double x, double s, const double *theta)
{
    (void)s;
    (void)theta;
    return 1.0 / log(x + 1.0);
}

/* Janoschek (and Weibull, the same curve parametrised otherwise): alpha - (alpha - beta)
 * e^(-kappa s^delta) */
static double basis_janoschek(double x, double s, const double *theta)
{
    (void)x;
    return exp(-theta[0] * pow(s, theta[1]));
}

/* MMF: alpha - (alpha - beta) / (1 + (kappa s)^delta) */
static double basis_mmf(double x, double s, const double *theta)
{
    (void)x;
    return 1.0 / (1.0 + pow(theta[0] * s, theta[1]));
}

static const curve_family families[HPS_CURVE_FAMILIES] = {
    {"pow3", 1, basis_pow3, {0.02}, {4}},
    {"pow4", 2, basis_pow4, {0.02, 1e-3}, {4, 2}},
    {"exp3", 1, basis_exp3, {0.1}, {500}},
    {"ilog2", 0, basis_ilog2, {0}, {0}},
    {"janoschek", 2, basis_janoschek, {0.1, 0.1}, {500, 4}},
    {"mmf", 2, basis_mmf, {0.1, 0.1}, {1e4, 4}},
};

/* The points of one fit and its scratch space. */
typedef struct curve_fit {
    const curve_family *family;
    const double *x, *y;
    size_t n;
    double x_target;
    double *g; /* n: the basis at the points */
    double c, a; /* the linear parameters of the last evaluation */
} curve_fit;

static void shape_of(const curve_family *f, const double *u, double *theta)
{
    for (int j = 0; j < f->n_shape; j++)
        theta[j] = exp(u[j]);
}

/* The residual sum of squares at shape u with c and a at their least-squares values
 * (stored in fit); HUGE_VAL when the basis is flat or not finite at the points. */
static double profiled_rss(curve_fit *fit, const double *u)
{
    double theta[CURVE_MAX_SHAPE];
    shape_of(fit->family, u, theta);
    double mg = 0, my = 0;
    for (size_t i = 0; i < fit->n; i++) {
        fit->g[i] = fit->family->basis(fit->x[i], fit->x[i] / fit->x_target, theta);
        if (!isfinite(fit->g[i]))
            return HUGE_VAL;
        mg += fit->g[i];
        my += fit->y[i];
    }
    mg /= (double)fit->n;
    my /= (double)fit->n;
    double sgg = 0, sgy = 0;
    for (size_t i = 0; i < fit->n; i++) {
        sgg += (fit->g[i] - mg) * (fit->g[i] - mg);
        sgy += (fit->g[i] - mg) * (fit->y[i] - my);
    }
    if (!(sgg > 1e-12 * (1.0 + mg * mg) * (double)fit->n))
        return HUGE_VAL;
    fit->a = sgy / sgg;
    fit->c = my - fit->a * mg;
    double rss = 0;
    for (size_t i = 0; i < fit->n; i++) {
        double r = fit->y[i] - fit->c - fit->a * fit->g[i];
        rss += r * r;
    }
    return rss;
}

/* Refines the grid's best shape u (error `best`) by a compass search inside [lo, hi]:
 * try a step either way along each axis, move on any improvement, halve the steps when
 * none helps. One or two dimensions and a smooth error need nothing cleverer, and it
 * keeps the forecast free of NLopt, so every build (HPS_WITH_LAPACK=OFF too) has it. */
static void refine_shape(curve_fit *fit, int n, const double *lo, const double *hi,
                         double *step, double *u, double best)
{
    for (int evals = 0; evals < 300;) {
        int moved = 0;
        for (int j = 0; j < n; j++) {
            for (int sign = -1; sign <= 1; sign += 2) {
                double v[CURVE_MAX_SHAPE];
                memcpy(v, u, sizeof v);
                v[j] = fmin(hi[j], fmax(lo[j], u[j] + sign * step[j]));
                double rss = profiled_rss(fit, v);
                evals++;
                if (isfinite(rss) && rss < best) {
                    best = rss;
                    memcpy(u, v, sizeof v);
                    moved = 1;
                    break;
                }
            }
        }
        if (!moved) {
            double largest = 0;
            for (int j = 0; j < n; j++) {
                step[j] *= 0.5;
                largest = fmax(largest, step[j]);
            }
            if (largest < 1e-6)
                break;
        }
    }
}

/* The shape of least squares: the best point of a grid over the (log) box, refined by
 * a compass search -- the profiled error has several valleys, the grid picks the deepest.
 * Returns its RSS and leaves c, a, g at it. */
static double fit_shape(curve_fit *fit, double *u)
{
    const curve_family *f = fit->family;
    if (f->n_shape == 0)
        return profiled_rss(fit, u);
    double lo[CURVE_MAX_SHAPE], hi[CURVE_MAX_SHAPE];
    for (int j = 0; j < f->n_shape; j++) {
        lo[j] = log(f->lo[j]);
        hi[j] = log(f->hi[j]);
    }
    int per_axis = f->n_shape == 1 ? 40 : 12;
    int cells = f->n_shape == 1 ? per_axis : per_axis * per_axis;
    double best = HUGE_VAL;
    for (int k = 0; k < cells; k++) {
        double v[CURVE_MAX_SHAPE];
        int idx[CURVE_MAX_SHAPE] = {k % per_axis, k / per_axis};
        for (int j = 0; j < f->n_shape; j++)
            v[j] = lo[j] + (hi[j] - lo[j]) * (idx[j] + 0.5) / per_axis;
        double rss = profiled_rss(fit, v);
        if (rss < best) {
            best = rss;
            memcpy(u, v, sizeof v);
        }
    }
    if (!isfinite(best))
        return HUGE_VAL;
    double step[CURVE_MAX_SHAPE];
    for (int j = 0; j < f->n_shape; j++)
        step[j] = (hi[j] - lo[j]) / per_axis;
    refine_shape(fit, f->n_shape, lo, hi, step, u, best);
    return profiled_rss(fit, u); /* c, a and g at the chosen shape */
}

/* The model's gradient in (c, a, u...) at point x: 1, g, a dg/du (central differences). */
static void model_gradient(const curve_fit *fit, double x, const double *u, double a,
                           double *d)
{
    const curve_family *f = fit->family;
    double theta[CURVE_MAX_SHAPE];
    shape_of(f, u, theta);
    d[0] = 1;
    d[1] = f->basis(x, x / fit->x_target, theta);
    for (int j = 0; j < f->n_shape; j++) {
        const double h = 1e-5;
        double up[CURVE_MAX_SHAPE], down[CURVE_MAX_SHAPE];
        memcpy(up, u, sizeof up);
        memcpy(down, u, sizeof down);
        up[j] += h;
        down[j] -= h;
        double tu[CURVE_MAX_SHAPE], td[CURVE_MAX_SHAPE];
        shape_of(f, up, tu);
        shape_of(f, down, td);
        d[2 + j] = a * (f->basis(x, x / fit->x_target, tu) - f->basis(x, x / fit->x_target, td)) /
                   (2 * h);
    }
}

/* d' (J'J)^-1 d for the fit's Jacobian J, by a Cholesky factor of J'J (ridged by a
 * millionth of its diagonal, for shapes the points barely determine); HUGE_VAL when
 * even that fails. */
static double laplace_quadratic(const curve_fit *fit, const double *u, const double *d)
{
    int p = 2 + fit->family->n_shape;
    double jtj[CURVE_MAX_PARAMS][CURVE_MAX_PARAMS] = {{0}};
    for (size_t i = 0; i < fit->n; i++) {
        double row[CURVE_MAX_PARAMS];
        model_gradient(fit, fit->x[i], u, fit->a, row);
        for (int r = 0; r < p; r++)
            for (int c = 0; c < p; c++)
                jtj[r][c] += row[r] * row[c];
    }
    for (int r = 0; r < p; r++)
        jtj[r][r] += 1e-6 * jtj[r][r] + 1e-300;
    double l[CURVE_MAX_PARAMS][CURVE_MAX_PARAMS] = {{0}};
    for (int r = 0; r < p; r++) {
        for (int c = 0; c <= r; c++) {
            double s = jtj[r][c];
            for (int k = 0; k < c; k++)
                s -= l[r][k] * l[c][k];
            if (r == c) {
                if (!(s > 0))
                    return HUGE_VAL;
                l[r][r] = sqrt(s);
            } else {
                l[r][c] = s / l[c][c];
            }
        }
    }
    double z[CURVE_MAX_PARAMS], q = 0;
    for (int r = 0; r < p; r++) {
        double s = d[r];
        for (int k = 0; k < r; k++)
            s -= l[r][k] * z[k];
        z[r] = s / l[r][r];
        q += z[r] * z[r];
    }
    return q;
}

/* One family's fit and predictive distribution at the target; 0 when it cannot be
 * fitted (too few points: the residual variance needs two degrees of freedom). */
static int fit_member(curve_fit *fit, double noise_floor, hps_curve_member *m, double *bic)
{
    int p = 2 + fit->family->n_shape;
    if (fit->n < (size_t)p + 2)
        return 0;
    double u[CURVE_MAX_SHAPE] = {0};
    double rss = fit_shape(fit, u);
    if (!isfinite(rss))
        return 0;
    double floor_rss = noise_floor * noise_floor * (double)fit->n;
    if (rss < floor_rss)
        rss = floor_rss;
    double sigma2 = rss / (double)(fit->n - (size_t)p);
    double d[CURVE_MAX_PARAMS];
    model_gradient(fit, fit->x_target, u, fit->a, d);
    double q = laplace_quadratic(fit, u, d);
    double mean = fit->c + fit->a * d[1];
    if (!isfinite(q) || !isfinite(mean))
        return 0;
    m->fitted = 1;
    m->mean = mean;
    m->sd = sqrt(sigma2 * (1.0 + q));
    m->asymptote = fit->c;
    m->rss = rss;
    *bic = (double)fit->n * log(rss / (double)fit->n) + p * log((double)fit->n);
    return 1;
}

hps_status hps_curve_forecast_at(const double *x, const double *y, size_t n, double x_target,
                                 hps_curve_forecast *out)
{
    memset(out, 0, sizeof *out);
    out->mean = out->sd = out->asymptote = NAN;
    double *xs = hps_mem_calloc(n > 0 ? 3 * n : 1, sizeof *xs);
    if (xs == NULL)
        return HPS_ERR_NOMEM;
    double *ys = xs + n, *g = xs + 2 * n;
    size_t m = 0;
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i]) || !isfinite(x[i]))
            continue;
        xs[m] = x[i];
        ys[m++] = y[i];
        lo = fmin(lo, y[i]);
        hi = fmax(hi, y[i]);
    }
    /* a perfectly smooth curve would give a zero variance and a certain forecast */
    double noise_floor = 1e-6 * fmax(hi - lo, fmax(fabs(hi), fabs(lo))) + 1e-12;
    double bic[HPS_CURVE_FAMILIES], best_bic = HUGE_VAL;
    for (int k = 0; k < HPS_CURVE_FAMILIES; k++) {
        hps_curve_member *mem = &out->members[k];
        mem->family = families[k].name;
        curve_fit fit = {.family = &families[k], .x = xs, .y = ys, .n = m,
                         .x_target = x_target, .g = g};
        if (m > 0 && fit_member(&fit, noise_floor, mem, &bic[k])) {
            out->n_fitted++;
            best_bic = fmin(best_bic, bic[k]);
        }
    }
    hps_mem_free(xs);
    if (out->n_fitted == 0)
        return HPS_OK;
    double total = 0;
    for (int k = 0; k < HPS_CURVE_FAMILIES; k++)
        if (out->members[k].fitted)
            total += out->members[k].weight = exp(-0.5 * (bic[k] - best_bic));
    double mean = 0, second = 0, asymptote = 0;
    for (int k = 0; k < HPS_CURVE_FAMILIES; k++) {
        hps_curve_member *mem = &out->members[k];
        if (!mem->fitted)
            continue;
        mem->weight /= total;
        mean += mem->weight * mem->mean;
        second += mem->weight * (mem->sd * mem->sd + mem->mean * mem->mean);
        asymptote += mem->weight * mem->asymptote;
    }
    out->mean = mean;
    out->sd = sqrt(fmax(0.0, second - mean * mean));
    out->asymptote = asymptote;
    return HPS_OK;
}

double hps_curve_prob_above(const hps_curve_forecast *f, double level)
{
    if (f->n_fitted == 0)
        return NAN;
    double p = 0;
    for (int k = 0; k < HPS_CURVE_FAMILIES; k++) {
        const hps_curve_member *m = &f->members[k];
        if (m->fitted)
            p += m->weight * 0.5 * erfc((level - m->mean) / (m->sd * 1.4142135623730951));
    }
    return p;
}

double hps_normal_expected_improvement(double mean, double sd, double incumbent, int maximize)
{
    double gain = maximize ? mean - incumbent : incumbent - mean;
    if (!(sd > 0))
        return fmax(0.0, gain);
    double z = gain / sd;
    double cdf = 0.5 * erfc(-z / 1.4142135623730951);
    double pdf = exp(-0.5 * z * z) / 2.5066282746310002;
    return fmax(0.0, gain * cdf + sd * pdf);
}

double hps_curve_expected_improvement(const hps_curve_forecast *f, double incumbent,
                                      int maximize)
{
    if (f->n_fitted == 0)
        return NAN;
    double ei = 0;
    for (int k = 0; k < HPS_CURVE_FAMILIES; k++) {
        const hps_curve_member *m = &f->members[k];
        if (m->fitted)
            ei += m->weight * hps_normal_expected_improvement(m->mean, m->sd, incumbent, maximize);
    }
    return ei;
}
