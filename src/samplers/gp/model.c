/* model.c -- GP regression: MAP fit (NLopt L-BFGS) and posterior (LAPACK/BLAS). */
#include "samplers/gp/model.h"

#include "base/mem.h"
#include "samplers/gp/kernel.h"
#include "samplers/gp/linalg.h"

#include <cblas.h>
#include <math.h>
#include <nlopt.h>
#include <stdint.h>
#include <string.h>

#define GP_LOG_2PI 1.83787706640934548356

/* Noise prior: Gamma(1.1, 30) shape written in log space (see model.h). */
#define GP_NOISE_PRIOR_SHAPE 0.1
#define GP_NOISE_PRIOR_RATE 30.0
#define GP_LS_PRIOR_CENTRE 0.5
#define GP_LS_PRIOR_FLAT_DIMS 6
#define GP_LS_PRIOR_SD 1.0
#define GP_SIGNAL_PRIOR_SD 1.0
#define GP_WARP_PRIOR_SD 0.2
/* Inputs are mapped into [GP_WARP_EPS, 1 - GP_WARP_EPS] before warping. */
#define GP_WARP_EPS 1e-7

/* Mean of the log-lengthscale prior: half the unit interval up to 6 dimensions; beyond,
 * growing like the typical distance between two random points of the unit cube,
 * sqrt(d / 6), so that a point's neighbourhood does not shrink to itself in high
 * dimensions. */
static double ls_prior_mean(size_t d)
{
    double growth = d > GP_LS_PRIOR_FLAT_DIMS ? (double)d / GP_LS_PRIOR_FLAT_DIMS : 1.0;
    return log(GP_LS_PRIOR_CENTRE) + 0.5 * log(growth);
}

int gp_model_init(gp_model *m, size_t d, const unsigned char *categorical)
{
    memset(m, 0, sizeof *m);
    m->d = d;
    m->categorical = hps_mem_calloc(d + 1, 1);
    m->theta = hps_mem_calloc(d + 2, sizeof *m->theta);
    m->inv_ls2 = hps_mem_calloc(d + 1, sizeof *m->inv_ls2);
    m->scratch = hps_mem_calloc(7 * (d + 2), sizeof *m->scratch);
    if (m->categorical == NULL || m->theta == NULL || m->inv_ls2 == NULL || m->scratch == NULL) {
        gp_model_clear(m);
        return GP_ERR_NOMEM;
    }
    if (d > 0)
        memcpy(m->categorical, categorical, d);
    return 0;
}

int gp_model_use_warping(gp_model *m)
{
    if (m->warping)
        return 0;
    size_t d = m->d, len = 3 * d + 2;
    double *theta = hps_mem_realloc_array(m->theta, len, sizeof *theta);
    if (theta != NULL)
        m->theta = theta;
    double *scratch = hps_mem_realloc_array(m->scratch, 7 * len, sizeof *scratch);
    if (scratch != NULL)
        m->scratch = scratch;
    m->warp_a = hps_mem_calloc(d + 1, sizeof *m->warp_a);
    m->warp_b = hps_mem_calloc(d + 1, sizeof *m->warp_b);
    if (theta == NULL || scratch == NULL || m->warp_a == NULL || m->warp_b == NULL)
        return GP_ERR_NOMEM;
    memset(m->theta, 0, len * sizeof *m->theta);
    memset(m->scratch, 0, 7 * len * sizeof *m->scratch);
    for (size_t j = 0; j < d; j++)
        m->warp_a[j] = m->warp_b[j] = 1;
    m->warping = 1;
    m->cap = 0; /* the next reserve allocates the warped buffers too */
    m->n = 0;
    return 0;
}

size_t gp_model_theta_len(const gp_model *m)
{
    return m->warping ? 3 * m->d + 2 : m->d + 2;
}

void gp_model_clear(gp_model *m)
{
    hps_mem_free(m->categorical);
    hps_mem_free(m->x);
    hps_mem_free(m->u);
    hps_mem_free(m->warp_a);
    hps_mem_free(m->warp_b);
    hps_mem_free(m->work_w);
    hps_mem_free(m->y);
    hps_mem_free(m->theta);
    hps_mem_free(m->inv_ls2);
    hps_mem_free(m->chol);
    hps_mem_free(m->kinv);
    hps_mem_free(m->alpha);
    hps_mem_free(m->work_g);
    hps_mem_free(m->work_v);
    hps_mem_free(m->scratch);
    memset(m, 0, sizeof *m);
}

static int grow_one(double **p, size_t count)
{
    double *q = hps_mem_realloc_array(*p, count, sizeof *q);
    if (q == NULL)
        return -1;
    *p = q;
    return 0;
}

/* Makes every buffer hold `rows` observations. */
static int reserve(gp_model *m, size_t rows)
{
    if (rows <= m->cap)
        return 0;
    size_t cap = m->cap > 0 ? m->cap : 16;
    while (cap < rows)
        cap = cap > SIZE_MAX / 2 ? rows : cap * 2;
    /* n x n buffers: the square must not overflow, nor the vector scratch */
    if (cap > SIZE_MAX / cap / sizeof(double) || cap > SIZE_MAX / GP_PREDICT_BLOCK / sizeof(double))
        return GP_ERR_NOMEM;
    size_t d = m->d > 0 ? m->d : 1;
    if (cap > SIZE_MAX / d / sizeof(double))
        return GP_ERR_NOMEM;
    size_t sq = cap * cap;
    size_t vec = cap * (GP_PREDICT_BLOCK > 4 ? GP_PREDICT_BLOCK : 4);
    if (grow_one(&m->x, cap * d) != 0 || grow_one(&m->y, cap) != 0 ||
        grow_one(&m->alpha, cap) != 0 || grow_one(&m->chol, sq) != 0 ||
        grow_one(&m->kinv, sq) != 0 || grow_one(&m->work_v, vec) != 0)
        return GP_ERR_NOMEM;
    if (m->warping) {
        size_t ww = 2 * cap > GP_PREDICT_BLOCK ? 2 * cap * d : GP_PREDICT_BLOCK * d;
        if (grow_one(&m->u, cap * d) != 0 || grow_one(&m->work_w, ww) != 0)
            return GP_ERR_NOMEM;
    }
    m->cap = cap;
    return 0;
}

int gp_model_set_data(gp_model *m, const double *x, const double *y, size_t n)
{
    m->factored = 0;
    if (reserve(m, n) != 0)
        return GP_ERR_NOMEM;
    if (n > 0) {
        memcpy(m->x, x, n * m->d * sizeof *x);
        memcpy(m->y, y, n * sizeof *y);
    }
    m->n = n;
    return 0;
}

/* ---- hyperparameters -------------------------------------------------------------- */

void gp_model_default_theta(const gp_model *m, int fit_noise, double fixed_noise, double *theta)
{
    /* Half the unit interval: wiggly enough to find structure in a few points, smooth
     * enough not to treat every observation as an island. */
    for (size_t j = 0; j < m->d; j++)
        theta[j] = log(0.5);
    theta[m->d] = 0;
    theta[m->d + 1] = fit_noise ? log(1e-3) : log(fixed_noise);
    for (size_t j = m->d + 2; j < gp_model_theta_len(m); j++)
        theta[j] = 0; /* the identity warp */
}

/* The bounds of theta's entry j (a fitted noise's bounds for the noise entry). */
static void entry_bounds(const gp_model *m, size_t j, double *lo, double *hi)
{
    size_t d = m->d;
    if (j < d) {
        *lo = log(GP_MIN_LENGTHSCALE);
        *hi = log(GP_MAX_LENGTHSCALE);
    } else if (j == d) {
        *lo = log(GP_MIN_SIGNAL);
        *hi = log(GP_MAX_SIGNAL);
    } else if (j == d + 1) {
        *lo = log(GP_MIN_NOISE);
        *hi = log(GP_MAX_NOISE);
    } else { /* a warp: categorical dims keep the identity */
        *hi = m->categorical[(j - d - 2) / 2] ? 0 : GP_MAX_LOG_WARP;
        *lo = -*hi;
    }
}

static void theta_bounds(const gp_model *m, double *lo, double *hi, int fit_noise,
                         double fixed_noise)
{
    for (size_t j = 0; j < gp_model_theta_len(m); j++)
        entry_bounds(m, j, &lo[j], &hi[j]);
    if (!fit_noise)
        lo[m->d + 1] = hi[m->d + 1] = log(fixed_noise);
}

int gp_model_clamp_theta(const gp_model *m, double *theta)
{
    int bad = 0;
    for (size_t j = 0; j < gp_model_theta_len(m); j++) {
        double lo, hi;
        entry_bounds(m, j, &lo, &hi);
        if (!isfinite(theta[j])) {
            bad = 1;
            theta[j] = 0.5 * (lo + hi);
        }
        theta[j] = fmin(hi, fmax(lo, theta[j]));
    }
    return bad ? -1 : 0;
}

/* Kumaraswamy CDF of x in [0, 1] (first mapped into [eps, 1 - eps]); `dx` (may be
 * NULL) receives dw/dx, `dla` and `dlb` (may be NULL) dw/dlog a and dw/dlog b. */
static double warp_value(double x, double a, double b, double *dx, double *dla, double *dlb)
{
    x = x > 0 ? (x < 1 ? x : 1) : 0; /* encoded values are in [0, 1]; NaN would spread */
    double xe = x * (1 - 2 * GP_WARP_EPS) + GP_WARP_EPS;
    double p = pow(xe, a), q = 1 - p;
    double qb = pow(q, b);
    if (dx != NULL)
        *dx = a * b * (p / xe) * (qb / q) * (1 - 2 * GP_WARP_EPS);
    if (dla != NULL) {
        *dla = a * b * (qb / q) * p * log(xe);
        *dlb = -b * qb * log(q);
    }
    return 1 - qb;
}

/* Warps the numeric coordinates of `rows` points from src into dst; with `dla` and
 * `dlb` (both NULL, or both rows x d), also their derivatives with respect to the warps'
 * log a and log b (numeric coordinates only). */
static void warp_rows(const gp_model *m, const double *src, size_t rows, double *dst,
                      double *dla, double *dlb)
{
    size_t d = m->d;
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < d; j++) {
            size_t t = i * d + j;
            dst[t] = m->categorical[j]
                         ? src[t]
                         : warp_value(src[t], m->warp_a[j], m->warp_b[j], NULL,
                                      dla != NULL ? &dla[t] : NULL, dlb != NULL ? &dlb[t] : NULL);
        }
    }
}

/* The inputs the kernel sees: the warped data, or the data itself. */
static const double *kernel_inputs(const gp_model *m)
{
    return m->warping ? m->u : m->x;
}

/* Takes theta's values and, with warping, warps the data (and when dla and dlb are not
 * NULL, n x d each, writes the warps' derivatives there: see warp_rows). */
static void set_hyper(gp_model *m, const double *theta, double *dla, double *dlb)
{
    for (size_t j = 0; j < m->d; j++) {
        m->theta[j] = theta[j];
        m->inv_ls2[j] = exp(-2 * theta[j]);
    }
    m->theta[m->d] = theta[m->d];
    m->theta[m->d + 1] = theta[m->d + 1];
    m->signal = exp(theta[m->d]);
    m->noise = exp(theta[m->d + 1]);
    if (m->warping) {
        for (size_t j = 0; j < m->d; j++) {
            m->theta[m->d + 2 + 2 * j] = theta[m->d + 2 + 2 * j];
            m->theta[m->d + 3 + 2 * j] = theta[m->d + 3 + 2 * j];
            m->warp_a[j] = exp(theta[m->d + 2 + 2 * j]);
            m->warp_b[j] = exp(theta[m->d + 3 + 2 * j]);
        }
        warp_rows(m, m->x, m->n, m->u, dla, dlb);
    }
}

static gp_kernel kernel_of(const gp_model *m)
{
    gp_kernel k = {.d = m->d, .categorical = m->categorical, .inv_ls2 = m->inv_ls2,
                   .signal = m->signal};
    return k;
}

/* log prior density (up to a constant) and its gradient, added into grad. */
static double log_prior(const gp_model *m, const double *theta, int fit_noise, double *grad)
{
    size_t d = m->d;
    double mu = ls_prior_mean(d), lp = 0;
    for (size_t j = 0; j < d; j++) {
        double z = (theta[j] - mu) / GP_LS_PRIOR_SD;
        lp -= 0.5 * z * z;
        if (grad != NULL)
            grad[j] -= -z / GP_LS_PRIOR_SD;
    }
    double zs = theta[d] / GP_SIGNAL_PRIOR_SD;
    lp -= 0.5 * zs * zs;
    if (grad != NULL)
        grad[d] -= -zs / GP_SIGNAL_PRIOR_SD;
    if (fit_noise) {
        double v = exp(theta[d + 1]);
        lp += GP_NOISE_PRIOR_SHAPE * theta[d + 1] - GP_NOISE_PRIOR_RATE * v;
        if (grad != NULL)
            grad[d + 1] -= GP_NOISE_PRIOR_SHAPE - GP_NOISE_PRIOR_RATE * v;
    }
    for (size_t j = d + 2; j < gp_model_theta_len(m); j++) {
        double z = theta[j] / GP_WARP_PRIOR_SD;
        lp -= 0.5 * z * z;
        if (grad != NULL)
            grad[j] -= -z / GP_WARP_PRIOR_SD;
    }
    return lp;
}

double gp_model_neg_log_posterior(gp_model *m, const double *theta, int fit_noise, double *grad)
{
    size_t n = m->n, d = m->d;
    m->evals++;
    m->factored = 0;
    /* the lengthscale factors g(r) are needed only here, at the (capped) fitting size */
    if (grad != NULL && m->cap_g < n * n) {
        double *g = hps_mem_realloc_array(m->work_g, n * n, sizeof *g);
        if (g == NULL)
            return HUGE_VAL;
        m->work_g = g;
        m->cap_g = n * n;
    }
    /* with warping and a gradient: dw/dlog a and dw/dlog b at every data coordinate */
    double *dla = NULL, *dlb = NULL;
    if (m->warping && grad != NULL) {
        dla = m->work_w;
        dlb = m->work_w + n * d;
    }
    set_hyper(m, theta, dla, dlb);
    gp_kernel k = kernel_of(m);
    const double *in = kernel_inputs(m);
    /* K lives in kinv's buffer, its factor (then inverse) in chol's */
    double *kmat = m->kinv, *g = m->work_g, *l = m->chol, *alpha = m->alpha;
    gp_kernel_matrix(&k, in, n, kmat, grad != NULL ? g : NULL);
    for (size_t a = 0; a < n; a++)
        kmat[a * n + a] += m->noise;
    if (gp_cholesky(kmat, n, l, NULL) != 0)
        return HUGE_VAL;
    memcpy(alpha, m->y, n * sizeof *alpha);
    gp_chol_solve(l, n, alpha, 1);
    double fit = 0.5 * cblas_ddot((int)n, m->y, 1, alpha, 1);
    double nlp = fit + 0.5 * gp_chol_logdet(l, n) + 0.5 * (double)n * GP_LOG_2PI;
    if (grad != NULL) {
        size_t len = gp_model_theta_len(m);
        for (size_t j = 0; j < len; j++)
            grad[j] = 0;
        double *gwarp = grad + d + 2;
        /* W = K^-1 - alpha alpha^T; dNLL/dtheta = 1/2 sum_ab W_ab dK_ab/dtheta */
        if (gp_chol_inverse(l, n) != 0)
            return HUGE_VAL;
        const double *kinv = l;
        double diag_w = 0, signal_part = 0;
        double *gls = grad; /* lengthscale entries accumulate here */
        for (size_t b = 0; b < n; b++) {
            double wbb = kinv[b * n + b] - alpha[b] * alpha[b];
            diag_w += wbb;
            const double *xb = in + b * d;
            for (size_t a = b + 1; a < n; a++) {
                double w = kinv[b * n + a] - alpha[a] * alpha[b];
                signal_part += w * kmat[b * n + a];
                double wg = w * g[b * n + a];
                const double *xa = in + a * d;
                for (size_t j = 0; j < d; j++) {
                    double delta2 = gp_kernel_delta2(m->categorical[j], xa[j], xb[j]);
                    if (!m->categorical[j]) {
                        double delta = xa[j] - xb[j];
                        if (m->warping) {
                            /* dK_ab/du_aj = -g delta / l^2, and u_bj moves the other way */
                            double dk_du = -wg * delta * m->inv_ls2[j];
                            gwarp[2 * j] += dk_du * (dla[a * d + j] - dla[b * d + j]);
                            gwarp[2 * j + 1] += dk_du * (dlb[a * d + j] - dlb[b * d + j]);
                        }
                    }
                    gls[j] += wg * delta2;
                }
            }
        }
        for (size_t j = 0; j < d; j++)
            gls[j] *= m->inv_ls2[j]; /* 2 * (1/2) over the two triangles */
        grad[d] = signal_part + 0.5 * diag_w * m->signal;
        grad[d + 1] = fit_noise ? 0.5 * diag_w * m->noise : 0;
    }
    return nlp - log_prior(m, theta, fit_noise, grad);
}

/* ---- fitting -------------------------------------------------------------------------- */

typedef struct fit_ctx {
    gp_model *m;
    int fit_noise;
    const size_t *vars; /* the entries of theta NLopt moves (not the noise when fixed) */
    size_t nvar;
    double *theta;      /* full vector; entries not in vars keep their start values */
    double *grad;
    double best_value;
    double *best_theta;
} fit_ctx;

static double fit_objective(unsigned nvar, const double *v, double *gradient, void *data)
{
    fit_ctx *c = data;
    for (unsigned k = 0; k < nvar; k++)
        c->theta[c->vars[k]] = v[k];
    double f = gp_model_neg_log_posterior(c->m, c->theta, c->fit_noise,
                                          gradient != NULL ? c->grad : NULL);
    if (!isfinite(f)) {
        /* Tell L-BFGS this is a bad place without poisoning its model with NaN. */
        if (gradient != NULL)
            for (unsigned k = 0; k < nvar; k++)
                gradient[k] = 0;
        return 1e300;
    }
    if (gradient != NULL)
        for (unsigned k = 0; k < nvar; k++)
            gradient[k] = c->grad[c->vars[k]];
    if (f < c->best_value) {
        c->best_value = f;
        memcpy(c->best_theta, c->theta, gp_model_theta_len(c->m) * sizeof *c->theta);
    }
    return f;
}

static void run_start(fit_ctx *c, const gp_fit_options *opt, const double *start)
{
    size_t len = gp_model_theta_len(c->m);
    double *lo = c->m->scratch + 3 * len, *hi = lo + len, *v = hi + len;
    theta_bounds(c->m, lo, hi, c->fit_noise, opt->fixed_noise);
    for (size_t j = 0; j < len; j++)
        c->theta[j] = fmin(hi[j], fmax(lo[j], start[j]));
    /* the moving entries, packed in place (vars is ascending) */
    for (size_t k = 0; k < c->nvar; k++) {
        lo[k] = lo[c->vars[k]];
        hi[k] = hi[c->vars[k]];
        v[k] = c->theta[c->vars[k]];
    }
    nlopt_opt o = nlopt_create(NLOPT_LD_LBFGS, (unsigned)c->nvar);
    if (o == NULL) {
        fit_objective((unsigned)c->nvar, v, NULL, c); /* at least evaluate the start */
        return;
    }
    nlopt_set_lower_bounds(o, lo);
    nlopt_set_upper_bounds(o, hi);
    nlopt_set_min_objective(o, fit_objective, c);
    nlopt_set_maxeval(o, (int)(opt->max_evals > 0 ? opt->max_evals : 1));
    /* hyperparameters matter to a few percent: log-space steps of 1e-3 are converged */
    nlopt_set_ftol_rel(o, 1e-6);
    nlopt_set_xtol_abs1(o, 1e-3);
    double f;
    nlopt_optimize(o, v, &f); /* any outcome: the best point is tracked in c */
    nlopt_destroy(o);
}

int gp_model_fit(gp_model *m, const gp_fit_options *opt, double *theta_inout)
{
    size_t d = m->d, len = gp_model_theta_len(m);
    /* scratch slots of len: theta, grad, best; lower, upper, point (run_start); start */
    double *theta = m->scratch, *grad = theta + len, *best = grad + len;
    double *start = m->scratch + 6 * len;
    size_t *vars = hps_mem_calloc(len, sizeof *vars);
    if (vars == NULL)
        return GP_ERR_NOMEM;
    size_t nvar = 0;
    for (size_t j = 0; j < len; j++)
        if (j != d + 1 || opt->fit_noise)
            vars[nvar++] = j;
    fit_ctx c = {.m = m, .fit_noise = opt->fit_noise, .vars = vars, .nvar = nvar,
                 .theta = theta, .grad = grad, .best_value = HUGE_VAL, .best_theta = best};
    memcpy(start, theta_inout, len * sizeof *start);
    int usable = gp_model_clamp_theta(m, start) == 0;
    if (!opt->fit_noise)
        start[d + 1] = log(opt->fixed_noise);
    if (usable)
        run_start(&c, opt, start);
    if (!usable || opt->extra_start) {
        gp_model_default_theta(m, opt->fit_noise, opt->fixed_noise, start);
        run_start(&c, opt, start);
    }
    if (c.best_value < HUGE_VAL)
        memcpy(theta_inout, best, len * sizeof *best);
    else if (!usable)
        gp_model_default_theta(m, opt->fit_noise, opt->fixed_noise, theta_inout);
    if (!opt->fit_noise)
        theta_inout[d + 1] = log(opt->fixed_noise);
    hps_mem_free(vars);
    m->factored = 0;
    return 0;
}

/* ---- posterior ------------------------------------------------------------------------ */

/* alpha and K^-1 from the factor in m->chol. */
static int finish_posterior(gp_model *m)
{
    size_t n = m->n;
    memcpy(m->alpha, m->y, n * sizeof *m->alpha);
    gp_chol_solve(m->chol, n, m->alpha, 1);
    memcpy(m->kinv, m->chol, n * n * sizeof *m->kinv);
    if (gp_chol_inverse(m->kinv, n) != 0)
        return GP_ERR_NUMERIC;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(m->alpha[i]))
            return GP_ERR_NUMERIC;
    m->factored = 1;
    return 0;
}

int gp_model_factor(gp_model *m, const double *theta)
{
    size_t n = m->n;
    m->factored = 0;
    set_hyper(m, theta, NULL, NULL);
    gp_kernel k = kernel_of(m);
    gp_kernel_matrix(&k, kernel_inputs(m), n, m->kinv, NULL); /* K first, its inverse later */
    for (size_t a = 0; a < n; a++)
        m->kinv[a * n + a] += m->noise;
    if (gp_cholesky(m->kinv, n, m->chol, &m->jitter) != 0)
        return GP_ERR_NUMERIC;
    return finish_posterior(m);
}

int gp_model_append(gp_model *m, const double *x, const double *y, size_t p)
{
    if (!m->factored)
        return GP_ERR_NUMERIC;
    if (p == 0)
        return 0;
    size_t n = m->n, total = n + p, d = m->d;
    m->factored = 0;
    if (total < n || reserve(m, total) != 0)
        return GP_ERR_NOMEM;
    /* The factor's leading dimension grows from n to n + p: move its columns, last
     * first, so none is overwritten before it has moved. */
    for (size_t j = n; j-- > 0;)
        memmove(m->chol + j * total, m->chol + j * n, n * sizeof *m->chol);
    /* The cross and corner blocks and the extension's scratch: the predict scratch
     * holds them for up to 64 pending points (2 n p + 3 p^2 <= 256 (n + p)); kinv, free
     * until finish_posterior rewrites it, for more when they are few next to n. */
    size_t need = 2 * n * p + 3 * p * p;
    double *cross = need <= m->cap * GP_PREDICT_BLOCK ? m->work_v
                    : need <= m->cap * m->cap        ? m->kinv
                                                     : NULL;
    if (cross == NULL)
        return GP_ERR_NUMERIC;
    double *corner = cross + n * p, *work = corner + p * p;
    /* the new rows go in place beyond n (not counted until the extension works) */
    memcpy(m->x + n * d, x, p * d * sizeof *x);
    if (m->warping)
        warp_rows(m, x, p, m->u + n * d, NULL, NULL);
    const double *in = kernel_inputs(m), *added = in + n * d;
    gp_kernel k = kernel_of(m);
    for (size_t j = 0; j < p; j++)
        gp_kernel_vector(&k, in, n, added + j * d, cross + j * n, NULL);
    for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i < p; i++)
            corner[j * p + i] = gp_kernel_eval(&k, added + i * d, added + j * d) +
                                (i == j ? m->noise + m->jitter : 0);
    if (gp_chol_extend(m->chol, n, cross, corner, p, work) != 0)
        return GP_ERR_NUMERIC;
    memcpy(m->y + n, y, p * sizeof *y);
    m->n = total;
    return finish_posterior(m);
}

void gp_model_predict(gp_model *m, const double *c, size_t count, double *mean, double *var)
{
    size_t n = m->n, d = m->d;
    gp_kernel k = kernel_of(m);
    double floor_var = GP_VAR_FLOOR * m->signal;
    for (size_t start = 0; start < count; start += GP_PREDICT_BLOCK) {
        size_t b = count - start < GP_PREDICT_BLOCK ? count - start : GP_PREDICT_BLOCK;
        double *kc = m->work_v;
        const double *cands = c + start * d;
        if (m->warping) {
            warp_rows(m, cands, b, m->work_w, NULL, NULL);
            cands = m->work_w;
        }
        gp_kernel_cross(&k, kernel_inputs(m), n, cands, b, kc);
        if (n > 0)
            cblas_dgemv(CblasColMajor, CblasTrans, (int)n, (int)b, 1.0, kc, (int)n, m->alpha, 1,
                        0.0, mean + start, 1);
        else
            for (size_t j = 0; j < b; j++)
                mean[start + j] = 0;
        gp_tri_solve_lower(m->chol, n, kc, b);
        for (size_t j = 0; j < b; j++) {
            double v = m->signal - (n > 0 ? cblas_ddot((int)n, kc + j * n, 1, kc + j * n, 1) : 0);
            var[start + j] = v > floor_var ? v : floor_var;
        }
    }
}

void gp_model_predict_grad(gp_model *m, const double *c, double *mean, double *var, double *dmean,
                           double *dvar)
{
    size_t n = m->n, d = m->d;
    gp_kernel k = kernel_of(m);
    double *kvec = m->work_v, *g = m->work_v + n, *w = m->work_v + 2 * n;
    /* scratch: 2 d point gradients, then the warped point and dw/dx (4 d <= 7 (d + 2)) */
    double *grads = m->scratch, *cw = m->scratch + 2 * d, *dwdx = cw + d;
    for (size_t j = 0; j < d; j++) {
        dwdx[j] = 1;
        cw[j] = m->warping && !m->categorical[j]
                    ? warp_value(c[j], m->warp_a[j], m->warp_b[j], &dwdx[j], NULL, NULL)
                    : c[j];
    }
    const double *in = kernel_inputs(m);
    gp_kernel_vector(&k, in, n, cw, kvec, g);
    /* weights: alpha for the mean, K^-1 k for the variance */
    memcpy(w, m->alpha, n * sizeof *w);
    double *kinv_k = w + n;
    if (n > 0)
        cblas_dsymv(CblasColMajor, CblasLower, (int)n, 1.0, m->kinv, (int)n, kvec, 1, 0.0, kinv_k, 1);
    *mean = n > 0 ? cblas_ddot((int)n, kvec, 1, m->alpha, 1) : 0;
    double v = m->signal - (n > 0 ? cblas_ddot((int)n, kvec, 1, kinv_k, 1) : 0);
    double floor_var = GP_VAR_FLOOR * m->signal;
    gp_kernel_grad_point(&k, in, n, cw, g, w, 2, grads);
    for (size_t j = 0; j < d; j++) {
        dmean[j] = grads[j] * dwdx[j];
        dvar[j] = v > floor_var ? -2 * grads[d + j] * dwdx[j] : 0;
    }
    *var = v > floor_var ? v : floor_var;
}
