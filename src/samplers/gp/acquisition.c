/* acquisition.c -- log expected improvement and its maximization (see acquisition.h). */
#include "samplers/gp/acquisition.h"

#include "base/mem.h"
#include "base/rng.h"
#include "samplers/sobol_seq.h"

#include <math.h>
#include <nlopt.h>
#include <string.h>

#define GP_SQRT2 1.41421356237309504880
#define GP_INV_SQRT_2PI 0.39894228040143267794
#define GP_HALF_LOG_2PI 0.91893853320467274178  /* c1 = log(2 pi) / 2 */
#define GP_SQRT_HALF_PI 1.25331413731550025121  /* sqrt(pi / 2) */
/* Below this z, log h comes from its asymptotic series (see gp_log_h). */
#define GP_Z_ASYMPTOTIC (-30.0)

/* ---- log h ------------------------------------------------------------------------------ */

/* erfcx(t) = exp(t^2) erfc(t) for 0 <= t <= 22. glibc's erfc keeps its relative accuracy
 * deep into the tail; t^2 is split exactly (fma) so that exp does not amplify the
 * rounding of t * t (a relative error t^2 eps otherwise). */
static double erfcx_moderate(double t)
{
    double t2 = t * t;
    double t2_err = fma(t, t, -t2);
    return exp(t2) * (1 + t2_err) * erfc(t);
}

double gp_log_h(double z, double *ratio_cdf, double *ratio_pdf)
{
    double log_h, r_cdf, r_pdf;
    if (!(z == z)) { /* NaN in, a finite "no improvement" out */
        z = -1e10;
    }
    if (z > -1) {
        double pdf = GP_INV_SQRT_2PI * exp(-0.5 * z * z);
        double cdf = 0.5 * erfc(-z / GP_SQRT2);
        double h = pdf + z * cdf;
        log_h = log(h);
        r_cdf = cdf / h;
        r_pdf = pdf / h;
    } else if (z > GP_Z_ASYMPTOTIC) {
        /* h = phi(z) (1 - sqrt(pi/2) |z| erfcx(|z| / sqrt2)); the bracket is computed as
         * -expm1(log(...)) for the log1mexp form of Ament et al. */
        double ex = erfcx_moderate(-z / GP_SQRT2);
        double q = GP_SQRT_HALF_PI * (-z) * ex; /* in (0, 1) */
        double log_q = log(q);
        double log1mexp = log_q > -0.693147180559945309 ? log(-expm1(log_q)) : log1p(-q);
        double one_minus_q = -expm1(log_q);
        log_h = -0.5 * z * z - GP_HALF_LOG_2PI + log1mexp;
        r_cdf = GP_SQRT_HALF_PI * ex / one_minus_q;
        r_pdf = 1 / one_minus_q;
    } else {
        /* z -> -inf: Phi(z) = phi(z)/|z| T(u), h(z) = phi(z)/z^2 S(u), u = 1/z^2, with
         * the asymptotic (Mills ratio) series S = 1 - 3u + 15u^2 - ..., T = 1 - u + 3u^2
         * - ...; at |z| >= 30 the terms kept reach below 1e-17. */
        static const double s_coef[] = {1, -3, 15, -105, 945, -10395, 135135, -2027025,
                                        34459425};
        static const double t_coef[] = {1, -1, 3, -15, 105, -945, 10395, -135135, 2027025};
        double u = 1 / (z * z);
        double s = 0, t = 0;
        for (int k = 8; k >= 0; k--) {
            s = s * u + s_coef[k];
            t = t * u + t_coef[k];
        }
        log_h = -0.5 * z * z - GP_HALF_LOG_2PI - log(z * z) + log(s);
        r_cdf = -z * t / s;
        r_pdf = z * z / s;
    }
    if (ratio_cdf != NULL)
        *ratio_cdf = r_cdf;
    if (ratio_pdf != NULL)
        *ratio_pdf = r_pdf;
    return log_h;
}

double gp_log_ei(double mean, double var, double best)
{
    double sigma = sqrt(var);
    double z = (best - mean) / sigma;
    return gp_log_h(z, NULL, NULL) + log(sigma);
}

double gp_log_ei_grad(double mean, double var, const double *dmean, const double *dvar,
                      size_t d, double best, double *grad_out)
{
    double sigma = sqrt(var);
    double z = (best - mean) / sigma;
    double r_cdf, r_pdf;
    double value = gp_log_h(z, &r_cdf, &r_pdf) + log(sigma);
    /* d/dmu = -Phi/(h sigma); d/dsigma = phi/(h sigma); dsigma = dvar / (2 sigma) */
    for (size_t j = 0; j < d; j++) {
        double dsigma = dvar[j] / (2 * sigma);
        grad_out[j] = (-r_cdf * dmean[j] + r_pdf * dsigma) / sigma;
    }
    return value;
}

/* ---- encoded values --------------------------------------------------------------------- */

static double clamp_unit(double u)
{
    return u >= 0 ? (u <= 1 ? u : 1) : 0; /* NaN -> 0 */
}

double gp_dim_snap(const gp_dim *dim, double u)
{
    switch (dim->kind) {
    case GP_DIM_CONTINUOUS:
        return clamp_unit(u);
    case GP_DIM_DISCRETE:
        return hps_dist_to_unit(dim->dist, hps_dist_from_unit(dim->dist, clamp_unit(u)));
    case GP_DIM_CATEGORICAL: {
        double k = u == u ? nearbyint(u) : 0;
        double top = (double)(dim->levels - 1);
        return k < 0 ? 0 : (k > top ? top : k);
    }
    }
    return 0;
}

static uint64_t level_of(const gp_dim *dim, double enc)
{
    if (dim->kind == GP_DIM_CATEGORICAL)
        return (uint64_t)enc;
    const hps_dist *dist = dim->dist;
    double x = hps_dist_from_unit(dist, clamp_unit(enc));
    double k = nearbyint((x - dist->low) / dist->step);
    double top = (double)(dim->levels - 1);
    return k < 0 ? 0 : (uint64_t)(k > top ? top : k);
}

static double encoded_level(const gp_dim *dim, uint64_t k)
{
    if (dim->kind == GP_DIM_CATEGORICAL)
        return (double)k;
    return hps_dist_to_unit(dim->dist, hps_dist_nth_value(dim->dist, k));
}

/* A unit position in [0, 1) to an encoded value of the dimension. */
static double from_unit(const gp_dim *dim, double u)
{
    if (dim->kind == GP_DIM_CATEGORICAL) {
        double k = floor(u * (double)dim->levels);
        return gp_dim_snap(dim, k);
    }
    return gp_dim_snap(dim, u);
}

/* Dims the search does not move: fixed ones, and inactive ones (held at NaN). */
static int held(const gp_acq_problem *p, size_t j)
{
    return (p->fixed != NULL && p->fixed[j] == p->fixed[j]) ||
           (p->inactive != NULL && p->inactive[j]);
}

/* The value a held dim keeps. */
static double held_value(const gp_acq_problem *p, size_t j)
{
    return p->inactive != NULL && p->inactive[j] ? NAN : p->fixed[j];
}

/* ---- the optimizer ------------------------------------------------------------------------ */

typedef struct acq_ctx {
    const gp_acq_problem *p;
    size_t d;
    size_t *movable;   /* dims L-BFGS moves */
    size_t n_movable;
    size_t *searched;  /* dims the discrete search moves */
    size_t n_searched;
    double *x;         /* full point being evaluated (L-BFGS) */
    double *dmean, *dvar, *grad;
    double *best_x;    /* best point of the current L-BFGS run */
    double best_value;
    double *batch;     /* discrete search alternatives, row-major */
    double *batch_mean, *batch_var;
    size_t batch_cap;
    hps_rng rng;
    /* several models (objectives, constraints): see combine() */
    size_t n_models;     /* 0: the plain log EI of p->model */
    size_t n_skipped;    /* leading objective models left out (feasibility only) */
    gp_model **models;   /* n_models, borrowed */
    double *model_mean, *model_var; /* n_models x model_cap */
    size_t model_cap;
    double *mu, *sd, *dmu, *dsd;    /* n_models each */
    double *dmean_all, *dvar_all;   /* n_models x d: each model's gradients */
} acq_ctx;

static double score(double v)
{
    return v == v ? v : -HUGE_VAL;
}

/* piBO's term: prior_weight * log prior(pt), adding its gradient into `grad` (d
 * values; may be NULL). Multiplying EI by prior^(beta/n) is adding this to log EI. */
static double prior_term(const acq_ctx *c, const double *pt, double *grad)
{
    const gp_acq_problem *p = c->p;
    if (!(p->prior_weight > 0))
        return 0;
    double sum = 0;
    for (size_t j = 0; j < c->d; j++) {
        if (p->dims[j].prior == NULL || pt[j] != pt[j]) /* NaN: an inactive dim */
            continue;
        double dlog;
        sum += hps_prior_log_density(p->dims[j].prior, p->dims[j].dist, pt[j], &dlog);
        if (grad != NULL && p->dims[j].kind != GP_DIM_CATEGORICAL)
            grad[j] += p->prior_weight * dlog;
    }
    return p->prior_weight * sum;
}

/* The acquisition from each model's posterior mean mu[t] and sd sd[t]: log EI or log
 * EHVI of the objectives (unless feasibility only), plus log PoF of each constraint;
 * dmu, dsd receive its partials (entries of skipped models are left alone). */
static double combine(const acq_ctx *c, double *dmu, double *dsd)
{
    const gp_acq_problem *p = c->p;
    size_t n_obj = p->ehvi != NULL ? p->n_objectives : 1;
    double value = 0;
    if (p->feasibility_only) {
        /* objectives not modelled this time */
    } else if (p->ehvi != NULL) {
        value += gp_ehvi_log(p->ehvi, c->mu, c->sd, dmu, dsd);
    } else {
        double r_cdf, r_pdf, sd = c->sd[0];
        value += gp_log_h((p->best - c->mu[0]) / sd, &r_cdf, &r_pdf) + log(sd);
        dmu[0] = -r_cdf / sd;
        dsd[0] = r_pdf / sd;
    }
    for (size_t i = 0; i < p->n_constraints; i++)
        value += gp_log_pof(c->mu[n_obj + i], c->sd[n_obj + i], p->thresholds[i],
                            &dmu[n_obj + i], &dsd[n_obj + i]);
    return value;
}

static void eval_batch(acq_ctx *c, const double *pts, size_t m, double *mean, double *var,
                       double *value)
{
    if (c->n_models == 0) {
        gp_model_predict(c->p->model, pts, m, mean, var);
        for (size_t i = 0; i < m; i++)
            value[i] = score(gp_log_ei(mean[i], var[i], c->p->best) +
                             prior_term(c, pts + i * c->d, NULL));
        return;
    }
    for (size_t done = 0; done < m; done += c->model_cap) {
        size_t count = m - done < c->model_cap ? m - done : c->model_cap;
        const double *block = pts + done * c->d;
        for (size_t t = c->n_skipped; t < c->n_models; t++)
            gp_model_predict(c->models[t], block, count, c->model_mean + t * c->model_cap,
                             c->model_var + t * c->model_cap);
        for (size_t i = 0; i < count; i++) {
            for (size_t t = c->n_skipped; t < c->n_models; t++) {
                c->mu[t] = c->model_mean[t * c->model_cap + i];
                c->sd[t] = sqrt(c->model_var[t * c->model_cap + i]);
            }
            value[done + i] = score(combine(c, c->dmu, c->dsd) +
                                    prior_term(c, block + i * c->d, NULL));
        }
    }
}

static double eval_one(acq_ctx *c, const double *pt)
{
    double mean, var, value;
    eval_batch(c, pt, 1, &mean, &var, &value);
    return value;
}

/* The acquisition at c->x with its gradient into c->grad (d values). */
static double value_and_grad(acq_ctx *c)
{
    size_t d = c->d;
    double mean, var;
    if (c->n_models == 0) {
        gp_model_predict_grad(c->p->model, c->x, &mean, &var, c->dmean, c->dvar);
        return gp_log_ei_grad(mean, var, c->dmean, c->dvar, d, c->p->best, c->grad);
    }
    for (size_t t = c->n_skipped; t < c->n_models; t++) {
        gp_model_predict_grad(c->models[t], c->x, &mean, &var, c->dmean_all + t * d,
                              c->dvar_all + t * d);
        c->mu[t] = mean;
        c->sd[t] = sqrt(var);
    }
    double value = combine(c, c->dmu, c->dsd);
    memset(c->grad, 0, d * sizeof *c->grad);
    for (size_t t = c->n_skipped; t < c->n_models; t++) {
        const double *dmean = c->dmean_all + t * d, *dvar = c->dvar_all + t * d;
        double dvar_coef = c->dsd[t] / (2 * c->sd[t]); /* dsd = dvar / (2 sd) */
        for (size_t j = 0; j < d; j++)
            c->grad[j] += c->dmu[t] * dmean[j] + dvar_coef * dvar[j];
    }
    return value;
}

static double lbfgs_objective(unsigned nvar, const double *v, double *gradient, void *data)
{
    acq_ctx *c = data;
    size_t d = c->d;
    for (unsigned k = 0; k < nvar; k++)
        c->x[c->movable[k]] = v[k];
    double value = score(value_and_grad(c) + prior_term(c, c->x, c->grad));
    if (value > c->best_value) {
        c->best_value = value;
        memcpy(c->best_x, c->x, d * sizeof *c->x);
    }
    if (gradient != NULL) {
        for (unsigned k = 0; k < nvar; k++) {
            double g = -c->grad[c->movable[k]];
            gradient[k] = g == g && isfinite(g) ? g : 0;
        }
    }
    return value > -HUGE_VAL ? -value : 1e300;
}

/* L-BFGS over the movable dims from x (in place); returns the value at the result. */
static double refine_continuous(acq_ctx *c, double *x, double value)
{
    size_t d = c->d;
    if (c->n_movable == 0 || c->p->local_evals == 0)
        return value;
    memcpy(c->x, x, d * sizeof *x);
    memcpy(c->best_x, x, d * sizeof *x);
    c->best_value = value;
    nlopt_opt o = nlopt_create(NLOPT_LD_LBFGS, (unsigned)c->n_movable);
    if (o == NULL)
        return value;
    double *v = c->grad + d; /* grad holds 2 d: the second half is the variable vector */
    double *lo = c->dmean + d, *hi = c->dvar + d;
    for (size_t k = 0; k < c->n_movable; k++) {
        v[k] = x[c->movable[k]];
        lo[k] = 0;
        hi[k] = 1;
    }
    nlopt_set_lower_bounds(o, lo);
    nlopt_set_upper_bounds(o, hi);
    nlopt_set_min_objective(o, lbfgs_objective, c);
    nlopt_set_maxeval(o, (int)c->p->local_evals);
    nlopt_set_ftol_rel(o, 1e-10);
    nlopt_set_xtol_abs1(o, 1e-8);
    double f;
    nlopt_optimize(o, v, &f);
    nlopt_destroy(o);
    memcpy(x, c->best_x, d * sizeof *x);
    /* fine discrete dims moved continuously: back onto their grid */
    int snapped = 0;
    for (size_t k = 0; k < c->n_movable; k++) {
        const gp_dim *dim = &c->p->dims[c->movable[k]];
        if (dim->kind != GP_DIM_CONTINUOUS) {
            x[c->movable[k]] = gp_dim_snap(dim, x[c->movable[k]]);
            snapped = 1;
        }
    }
    return snapped ? eval_one(c, x) : c->best_value;
}

/* Values worth trying for discrete dim j at point x (excluding its current value). */
static size_t alternatives(acq_ctx *c, size_t j, const double *x, double *out, size_t cap)
{
    const gp_dim *dim = &c->p->dims[j];
    uint64_t cur = level_of(dim, x[j]);
    size_t k = 0;
    if (dim->levels <= GP_FINE_LEVELS ||
        (dim->kind == GP_DIM_CATEGORICAL && dim->levels <= GP_MAX_CATEGORY_TRIES)) {
        for (uint64_t v = 0; v < dim->levels && k < cap; v++)
            if (v != cur)
                out[k++] = encoded_level(dim, v);
        return k;
    }
    if (dim->kind == GP_DIM_CATEGORICAL) {
        for (size_t t = 0; t < GP_MAX_CATEGORY_TRIES && k < cap; t++) {
            uint64_t v = hps_rng_below(&c->rng, dim->levels);
            if (v != cur)
                out[k++] = (double)v;
        }
        return k;
    }
    /* many grid values: neighbours at doubling distances on both sides */
    for (uint64_t step = 1; step < dim->levels && k + 2 <= cap; step *= 2) {
        if (cur >= step)
            out[k++] = encoded_level(dim, cur - step);
        if (cur + step < dim->levels)
            out[k++] = encoded_level(dim, cur + step);
    }
    return k;
}

/* Coordinate-wise search over the discrete dims; returns the new value, *moved set. */
static double search_discrete(acq_ctx *c, double *x, double value, int *moved)
{
    size_t d = c->d;
    *moved = 0;
    double *vals = c->batch_mean + c->batch_cap; /* third block of the batch scratch */
    for (int sweep = 0; sweep < 4; sweep++) {
        int improved = 0;
        for (size_t s = 0; s < c->n_searched; s++) {
            size_t j = c->searched[s];
            double *alt = vals + c->batch_cap; /* fourth block */
            size_t m = alternatives(c, j, x, alt, c->batch_cap);
            for (size_t i = 0; i < m; i++) {
                memcpy(c->batch + i * d, x, d * sizeof *x);
                c->batch[i * d + j] = alt[i];
            }
            eval_batch(c, c->batch, m, c->batch_mean, c->batch_var, vals);
            size_t arg = m;
            double top = value;
            for (size_t i = 0; i < m; i++) {
                if (vals[i] > top + 1e-12 * (1 + fabs(top))) {
                    top = vals[i];
                    arg = i;
                }
            }
            if (arg < m) {
                x[j] = alt[arg];
                value = top;
                improved = 1;
                *moved = 1;
            }
        }
        if (!improved)
            break;
    }
    return value;
}

/* Sobol points with a random digital shift (one random 32-bit XOR mask per dimension),
 * plus a random offset inside each point's finest cell; m x d unit positions. The
 * Gray-code recurrence costs one XOR per coordinate, where the start-up phase's
 * Owen-scrambled sobol_coordinate hashes 33 times -- too slow for thousands of points
 * per ask. `state` holds 2 d words. */
static void sobol_shifted(acq_ctx *c, size_t m, double *out, uint32_t *state)
{
    size_t d = c->d;
    uint32_t *shift = state + d;
    for (size_t j = 0; j < d; j++) {
        state[j] = 0;
        shift[j] = (uint32_t)(hps_rng_next(&c->rng) >> 32);
    }
    for (size_t i = 0; i < m; i++) {
        if (i > 0) {
            /* point i = point i-1 XOR the direction of the lowest set bit of i */
            unsigned bit = (unsigned)__builtin_ctzll((unsigned long long)i);
            if (bit >= SOBOL_BITS)
                bit = SOBOL_BITS - 1;
            for (size_t j = 0; j < d && j < SOBOL_MAX_DIMS; j++)
                state[j] ^= sobol_directions[j][bit];
        }
        for (size_t j = 0; j < d; j++) {
            double u = j < SOBOL_MAX_DIMS
                           ? ((double)(state[j] ^ shift[j]) + hps_rng_uniform(&c->rng)) * 0x1p-32
                           : hps_rng_uniform(&c->rng);
            out[i * d + j] = u < 1 ? u : 0x1.fffffffffffffp-1;
        }
    }
}

/* Moves a copy of an observed point a little: numeric dims by a Gaussian step scaled by
 * their lengthscale, discrete and categorical dims now and then to another value. */
static void perturb(acq_ctx *c, const double *from, double scale, double *out)
{
    const gp_acq_problem *p = c->p;
    size_t d = c->d;
    size_t n_free = c->n_movable + c->n_searched;
    /* in many dimensions only a few move at once, or every candidate lands far away */
    double prob = n_free > 10 ? 10.0 / (double)n_free : 1.0;
    memcpy(out, from, d * sizeof *out);
    for (size_t j = 0; j < d; j++) {
        if (held(p, j))
            continue;
        const gp_dim *dim = &p->dims[j];
        if (dim->kind == GP_DIM_CATEGORICAL || (dim->kind == GP_DIM_DISCRETE &&
                                                dim->levels <= GP_FINE_LEVELS)) {
            if (hps_rng_uniform(&c->rng) < prob / 2) {
                if (dim->kind == GP_DIM_CATEGORICAL) {
                    out[j] = (double)hps_rng_below(&c->rng, dim->levels);
                } else {
                    uint64_t cur = level_of(dim, from[j]);
                    int up = hps_rng_uniform(&c->rng) < 0.5;
                    if (up && cur + 1 < dim->levels)
                        out[j] = encoded_level(dim, cur + 1);
                    else if (!up && cur > 0)
                        out[j] = encoded_level(dim, cur - 1);
                }
            }
            continue;
        }
        if (hps_rng_uniform(&c->rng) >= prob)
            continue;
        double ls = sqrt(1 / p->model->inv_ls2[j]);
        double step = fmin(0.2, scale * ls) * hps_rng_normal(&c->rng);
        out[j] = gp_dim_snap(dim, from[j] + step);
    }
}

static int same_point(const double *a, const double *b, size_t d)
{
    for (size_t j = 0; j < d; j++) {
        int a_off = a[j] != a[j], b_off = b[j] != b[j]; /* NaN: inactive */
        if (a_off != b_off || (!a_off && fabs(a[j] - b[j]) > 1e-9))
            return 0;
    }
    return 1;
}

static int is_taken(const gp_acq_problem *p, const double *x, size_t d)
{
    for (size_t i = 0; i < p->n_taken; i++)
        if (same_point(p->taken + i * d, x, d))
            return 1;
    return 0;
}

/* The index of the largest (not NaN) value, among the points not taken when
 * `untaken`; SIZE_MAX when there is none. */
static size_t best_untaken(const gp_acq_problem *p, const double *pts, const double *values,
                           size_t m, size_t d, int untaken)
{
    size_t pick = SIZE_MAX;
    for (size_t i = 0; i < m; i++)
        if (values[i] == values[i] && (pick == SIZE_MAX || values[i] > values[pick]) &&
            !(untaken && is_taken(p, pts + i * d, d)))
            pick = i;
    return pick;
}

/* Indices of the k largest values (descending), skipping duplicate points. */
static size_t top_k(const double *values, const double *pts, size_t m, size_t d, size_t k,
                    size_t *out)
{
    size_t got = 0;
    for (size_t i = 0; i < m; i++) {
        if (!(values[i] > -HUGE_VAL))
            continue;
        int dup = 0;
        for (size_t t = 0; t < got && !dup; t++)
            dup = same_point(pts + out[t] * d, pts + i * d, d);
        if (dup)
            continue;
        size_t pos = got < k ? got++ : k;
        if (pos == k) {
            if (values[i] <= values[out[k - 1]])
                continue;
            pos = k - 1;
        }
        while (pos > 0 && values[out[pos - 1]] < values[i]) {
            out[pos] = out[pos - 1];
            pos--;
        }
        out[pos] = i;
    }
    return got;
}

/* The models of several objectives or constraints, in combine()'s order: the
 * objectives (one when log EI), then the constraints. 0 or GP_ERR_NOMEM. */
static int init_models(acq_ctx *c)
{
    const gp_acq_problem *p = c->p;
    if (p->ehvi == NULL && p->n_constraints == 0)
        return 0;
    size_t n_obj = p->ehvi != NULL ? p->n_objectives : 1;
    size_t n = n_obj + p->n_constraints;
    c->n_models = n;
    c->n_skipped = p->feasibility_only ? n_obj : 0;
    c->model_cap = GP_PREDICT_BLOCK;
    c->models = hps_mem_calloc(n, sizeof *c->models);
    c->model_mean = hps_mem_realloc_array(NULL, n, c->model_cap * sizeof *c->model_mean);
    c->model_var = hps_mem_realloc_array(NULL, n, c->model_cap * sizeof *c->model_var);
    c->mu = hps_mem_calloc(n, sizeof *c->mu);
    c->sd = hps_mem_calloc(n, sizeof *c->sd);
    c->dmu = hps_mem_calloc(n, sizeof *c->dmu);
    c->dsd = hps_mem_calloc(n, sizeof *c->dsd);
    c->dmean_all = hps_mem_realloc_array(NULL, n, (c->d + 1) * sizeof *c->dmean_all);
    c->dvar_all = hps_mem_realloc_array(NULL, n, (c->d + 1) * sizeof *c->dvar_all);
    if (c->models == NULL || c->model_mean == NULL || c->model_var == NULL || c->mu == NULL ||
        c->sd == NULL || c->dmu == NULL || c->dsd == NULL || c->dmean_all == NULL ||
        c->dvar_all == NULL)
        return GP_ERR_NOMEM;
    for (size_t t = 0; t < n; t++)
        c->models[t] = t >= n_obj        ? p->constraints[t - n_obj]
                       : p->ehvi != NULL ? p->objectives[t]
                                         : p->model;
    return 0;
}

int gp_acq_optimize(const gp_acq_problem *p, double *x_out, double *value_out)
{
    size_t d = p->model->d;
    size_t m_sobol = p->n_candidates > 0 ? p->n_candidates : 1;
    size_t m_pert = p->n_seeds > 0 ? m_sobol / 4 + 1 : 0;
    size_t m = m_sobol + m_pert;
    size_t n_local = p->n_local;
    size_t n_keep = n_local + 4; /* refined points plus a few raw ones as fallbacks */
    size_t batch_cap = GP_MAX_CATEGORY_TRIES + 2 * 64 + GP_FINE_LEVELS;
    int rc = GP_ERR_NOMEM;
    acq_ctx c = {.p = p, .d = d, .batch_cap = batch_cap};
    double *cand = NULL, *mean = NULL, *var = NULL, *value = NULL, *kept = NULL,
           *kept_value = NULL;
    size_t *order = NULL;
    uint32_t *sobol_state = NULL;
    hps_rng_seed(&c.rng, p->seed);

    c.movable = hps_mem_calloc(d + 1, sizeof *c.movable);
    c.searched = hps_mem_calloc(d + 1, sizeof *c.searched);
    c.x = hps_mem_calloc(d + 1, sizeof *c.x);
    c.best_x = hps_mem_calloc(d + 1, sizeof *c.best_x);
    c.dmean = hps_mem_calloc(2 * d + 1, sizeof *c.dmean);
    c.dvar = hps_mem_calloc(2 * d + 1, sizeof *c.dvar);
    c.grad = hps_mem_calloc(2 * d + 1, sizeof *c.grad);
    c.batch = hps_mem_realloc_array(NULL, batch_cap, (d + 1) * sizeof *c.batch);
    c.batch_mean = hps_mem_calloc(4 * batch_cap, sizeof *c.batch_mean);
    c.batch_var = hps_mem_calloc(batch_cap, sizeof *c.batch_var);
    cand = hps_mem_realloc_array(NULL, m, (d + 1) * sizeof *cand);
    mean = hps_mem_calloc(m, sizeof *mean);
    var = hps_mem_calloc(m, sizeof *var);
    value = hps_mem_calloc(m, sizeof *value);
    order = hps_mem_calloc(n_keep + 1, sizeof *order);
    kept = hps_mem_realloc_array(NULL, n_keep + 1, (d + 1) * sizeof *kept);
    kept_value = hps_mem_calloc(n_keep + 1, sizeof *kept_value);
    sobol_state = hps_mem_calloc(2 * d + 1, sizeof *sobol_state);
    if (c.movable == NULL || c.searched == NULL || c.x == NULL || c.best_x == NULL ||
        c.dmean == NULL || c.dvar == NULL || c.grad == NULL || c.batch == NULL ||
        c.batch_mean == NULL || c.batch_var == NULL || cand == NULL || mean == NULL ||
        var == NULL || value == NULL || order == NULL || kept == NULL || kept_value == NULL ||
        sobol_state == NULL || init_models(&c) != 0)
        goto out;

    for (size_t j = 0; j < d; j++) {
        if (held(p, j))
            continue;
        const gp_dim *dim = &p->dims[j];
        if (dim->kind == GP_DIM_CONTINUOUS ||
            (dim->kind == GP_DIM_DISCRETE && dim->levels > GP_FINE_LEVELS))
            c.movable[c.n_movable++] = j;
        if (dim->kind != GP_DIM_CONTINUOUS)
            c.searched[c.n_searched++] = j;
    }

    /* candidates: Sobol, then perturbations of the best observed points */
    sobol_shifted(&c, m_sobol, cand, sobol_state);
    for (size_t i = 0; i < m_sobol; i++) {
        for (size_t j = 0; j < d; j++) {
            double u = cand[i * d + j];
            /* half the candidates where the prior looks, so that a narrow prior has
             * points inside it to weigh */
            if (i % 2 == 1 && p->prior_weight > 0 && p->dims[j].prior != NULL)
                u = hps_prior_unit_quantile(p->dims[j].prior, p->dims[j].dist, u);
            cand[i * d + j] = from_unit(&p->dims[j], u < 1 ? u : 0x1.fffffffffffffp-1);
        }
    }
    static const double scales[] = {0.02, 0.1, 0.5};
    size_t n_from = p->n_seeds < 5 ? p->n_seeds : 5;
    for (size_t i = 0; i < m_pert; i++)
        perturb(&c, p->seeds + (i % n_from) * d, scales[(i / n_from) % 3],
                cand + (m_sobol + i) * d);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < d; j++)
            if (held(p, j))
                cand[i * d + j] = held_value(p, j);
    eval_batch(&c, cand, m, mean, var, value);

    /* local refinement of the best distinct candidates */
    size_t got = top_k(value, cand, m, d, n_keep, order);
    size_t n_kept = 0;
    for (size_t t = 0; t < got; t++) {
        double *x = kept + n_kept * d;
        memcpy(x, cand + order[t] * d, d * sizeof *x);
        double v = value[order[t]];
        if (t < n_local) {
            v = refine_continuous(&c, x, v);
            int moved = 0;
            if (c.n_searched > 0)
                v = search_discrete(&c, x, v, &moved);
            if (moved)
                v = refine_continuous(&c, x, v);
        }
        kept_value[n_kept++] = v;
    }

    /* The best point nobody evaluates or runs already: among the refined points, else
     * among all candidates -- a model that has converged keeps refining onto points it
     * has seen, and running a configuration again teaches it little (nothing, for a
     * deterministic objective) -- and only when every candidate was seen, a repeat. */
    size_t pick = best_untaken(p, kept, kept_value, n_kept, d, 1);
    const double *from = kept, *from_value = kept_value;
    if (pick == SIZE_MAX) {
        pick = best_untaken(p, cand, value, m, d, 1);
        from = cand;
        from_value = value;
    }
    if (pick == SIZE_MAX) {
        pick = best_untaken(p, kept, kept_value, n_kept, d, 0);
        from = kept;
        from_value = kept_value;
    }
    if (pick != SIZE_MAX) {
        memcpy(x_out, from + pick * d, d * sizeof *x_out);
        *value_out = from_value[pick];
    } else {
        /* every score was NaN: any valid point will do */
        memcpy(x_out, cand, d * sizeof *x_out);
        *value_out = -HUGE_VAL;
    }
    for (size_t j = 0; j < d; j++)
        x_out[j] = held(p, j) ? held_value(p, j) : gp_dim_snap(&p->dims[j], x_out[j]);
    rc = 0;
out:
    hps_mem_free(c.models);
    hps_mem_free(c.model_mean);
    hps_mem_free(c.model_var);
    hps_mem_free(c.mu);
    hps_mem_free(c.sd);
    hps_mem_free(c.dmu);
    hps_mem_free(c.dsd);
    hps_mem_free(c.dmean_all);
    hps_mem_free(c.dvar_all);
    hps_mem_free(c.movable);
    hps_mem_free(c.searched);
    hps_mem_free(c.x);
    hps_mem_free(c.best_x);
    hps_mem_free(c.dmean);
    hps_mem_free(c.dvar);
    hps_mem_free(c.grad);
    hps_mem_free(c.batch);
    hps_mem_free(c.batch_mean);
    hps_mem_free(c.batch_var);
    hps_mem_free(cand);
    hps_mem_free(mean);
    hps_mem_free(var);
    hps_mem_free(value);
    hps_mem_free(order);
    hps_mem_free(kept);
    hps_mem_free(kept_value);
    hps_mem_free(sobol_state);
    return rc;
}
