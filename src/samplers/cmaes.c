/* cmaes.c -- CMA-ES ("cmaes"): covariance matrix adaptation for long runs on
 * continuous and integer spaces.
 *
 * Algorithm: the (mu/mu_w, lambda)-CMA-ES with the default strategy parameters of
 * N. Hansen, "The CMA Evolution Strategy: A Tutorial", arXiv:1604.00772 (2016) --
 * weighted recombination with the tutorial's negative ("active") weights, cumulative
 * step-size adaptation, rank-one and rank-mu covariance updates. It works in the unit
 * cube of the numeric parameters of the relative search space (log parameters on their
 * log scale); a sample outside the cube is redrawn, up to 100 times, and then clipped,
 * as Optuna's cmaes does. Integers and stepped floats use the margin of R. Hamano,
 * S. Saito, M. Nomura, S. Shirakawa, "CMA-ES with Margin: Lower-Bounding Marginal
 * Probability for Mixed-Integer Black-Box Optimization", GECCO 2022 (with_margin), so
 * that a coordinate never freezes on one integer; without it samples are just rounded.
 * Restarts: IPOP (A. Auger, N. Hansen, CEC 2005: a larger population after each stop)
 * or BIPOP (N. Hansen, GECCO 2009 BBOB workshop: large-population runs interleaved with
 * small-population, small-step runs, each regime getting a similar budget). A run stops
 * on the usual criteria (flat values, tiny or exploding steps, no effect of an axis or
 * a coordinate, ill-conditioned covariance). Option source_trials warm-starts the first
 * run from earlier trials (warm_start below); restarts start anywhere, as before.
 *
 * Categorical parameters, and parameters outside the relative space, are not modelled:
 * they are drawn independently and uniformly, as Optuna's CmaEsSampler does with its
 * independent sampler. So are the first n_startup_trials trials.
 *
 * Workers and resuming. Every trial records its candidate in the system attribute
 * "cmaes" = {"r": restart, "g": generation, "h": space hash, "x": [raw sample]}. The
 * strategy's state is a function of the seed and these records only: a generation is
 * told as soon as lambda COMPLETE trials carry its tag (lowest numbers first), so any
 * process -- a new worker, or this one after a restart -- rebuilds the state by
 * replaying the finished trials in order. Trials asked while a generation is still
 * running join it (only the first lambda to finish count), as in Optuna; PRUNED trials
 * are not used. The state kept in memory is only a cache of that replay. */
#include "base/mem.h"
#include "base/rng.h"
#include "samplers/sampler.h"
#include "samplers/tpe_parzen.h"

#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMA_ATTR "cmaes"
#define CMA_SAMPLE_KEY "\x01" "cmaes-sample"
#define CMA_RESTART_KEY "\x01" "cmaes-restart"
#define CMA_MAX_RESAMPLE 100
#define CMA_MAX_DIMS 4096
#define CMA_MAX_POPSIZE 65536
#define CMA_TOLFUN 1e-12
#define CMA_TOLX_FACTOR 1e-12 /* times sigma0 */
#define CMA_TOLXUP 1e4        /* times sigma0 */
#define CMA_MAX_CONDITION 1e14
#define CMA_SIGMA_MAX 1e32
#define CMA_MAX_SOURCE_BYTES (1u << 30) /* source_trials: a limit jansson can read back */

typedef enum cma_restart { CMA_RESTART_NONE, CMA_RESTART_IPOP, CMA_RESTART_BIPOP } cma_restart;

/* A finished trial's candidate, parsed once. */
typedef struct cma_tag {
    int64_t number;
    int r;
    int64_t g;
    double loss;
    double *x;
} cma_tag;

typedef struct cma_state {
    /* options */
    double sigma0;
    uint64_t popsize;  /* 0: 4 + floor(3 ln n) */
    uint64_t n_startup;
    uint64_t inc_popsize;
    cma_restart restart_strategy;
    int with_margin;
    char *source; /* JSON [{"params": {...}, "value": v}, ...]: warm start; "none": none */

    /* the space the state belongs to */
    int active;
    uint64_t hash;
    size_t n;
    unsigned char *discrete;
    hps_dist *dists; /* copies: thresholds of discrete coordinates */

    /* the current run */
    int restart;
    int64_t gen;
    size_t lambda, mu;
    double *w;
    double mueff, cs, ds, cc, c1, cmu, chi_n;
    double sigma, run_sigma0;
    double *m, *ps, *pc, *C, *B, *D, *A;
    double *hist; /* best and worst value of the last generations (ring) */
    size_t hist_cap, hist_len, hist_pos;
    /* BIPOP bookkeeping */
    int n_large;
    uint64_t evals_large, evals_small, evals_run;
    int run_small;
    uint64_t lambda_large_last;

    /* finished trials already read (by trial number) and the tags not yet consumed */
    unsigned char *seen;
    size_t cap_seen;
    cma_tag *pool;
    size_t n_pool, cap_pool;

    /* scratch */
    double *work;
} cma_state;

/* ---- options ------------------------------------------------------------------------ */

static hps_status cma_init(hps_sampler *sampler)
{
    cma_state *s = hps_mem_calloc(1, sizeof *s);
    if (s == NULL)
        return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
    sampler->impl = s;
    return HPS_OK;
}

static void pool_clear(cma_state *s)
{
    for (size_t i = 0; i < s->n_pool; i++)
        hps_mem_free(s->pool[i].x);
    s->n_pool = 0;
}

static void run_free(cma_state *s)
{
    hps_mem_free(s->w);
    hps_mem_free(s->m);
    hps_mem_free(s->ps);
    hps_mem_free(s->pc);
    hps_mem_free(s->C);
    hps_mem_free(s->B);
    hps_mem_free(s->D);
    hps_mem_free(s->A);
    hps_mem_free(s->hist);
    hps_mem_free(s->work);
    s->w = s->m = s->ps = s->pc = s->C = s->B = s->D = s->A = s->hist = s->work = NULL;
}

static void space_free(cma_state *s)
{
    for (size_t i = 0; s->dists != NULL && i < s->n; i++)
        hps_dist_clear(&s->dists[i]);
    hps_mem_free(s->dists);
    hps_mem_free(s->discrete);
    s->dists = NULL;
    s->discrete = NULL;
    run_free(s);
    pool_clear(s);
    hps_mem_free(s->seen);
    s->seen = NULL;
    s->cap_seen = 0;
    s->active = 0;
}

static void cma_destroy(hps_sampler *sampler)
{
    cma_state *s = sampler->impl;
    if (s == NULL)
        return;
    space_free(s);
    hps_mem_free(s->pool);
    hps_mem_free(s);
}

static const hps_option_choice restart_strategies[] = {
    {"ipop", CMA_RESTART_IPOP},
    {"bipop", CMA_RESTART_BIPOP},
    {"none", CMA_RESTART_NONE},
    {NULL, 0},
};

static const hps_option cma_options[] = {
    /* the default is 1/6, as the shortest text that reads back as the double 1.0 / 6.0 */
    {.name = "sigma0", .type = HPS_OPTION_DOUBLE, HPS_OPTION_FIELD(cma_state, sigma0),
     .def = "0.16666666666666666", .dmin = 0, .dmax = 1, .flags = HPS_OPTION_MIN_OPEN,
     .help = "the initial step, in units of each parameter's range"},
    {.name = "popsize", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(cma_state, popsize),
     .def = "0", .min = 2, .max = CMA_MAX_POPSIZE, .keyword = "0", .keyword_value = 0,
     .help = "the population of a generation (0: 4 + floor(3 ln n) for n parameters)"},
    {.name = "inc_popsize", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(cma_state, inc_popsize),
     .def = "2", .min = 2, .max = 16,
     .help = "the factor by which each IPOP restart grows the population"},
    {.name = "n_startup_trials", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(cma_state, n_startup),
     .def = "0", .help = "trials sampled at random before CMA-ES starts"},
    {.name = "restart_strategy", .type = HPS_OPTION_ENUM,
     HPS_OPTION_FIELD(cma_state, restart_strategy), .def = "ipop", .choices = restart_strategies,
     .help = "after a run stops: ipop (a larger population), bipop (large-population runs "
             "interleaved with small, short-step ones) or none"},
    {.name = "with_margin", .type = HPS_OPTION_BOOL, HPS_OPTION_FIELD(cma_state, with_margin),
     .def = "true",
     .help = "the margin that keeps integer and stepped coordinates from freezing on one "
             "value"},
    {.name = "source_trials", .type = HPS_OPTION_TEXT, HPS_OPTION_FIELD(cma_state, source),
     .def = "none", .min = 2, .max = CMA_MAX_SOURCE_BYTES,
     .help = "warm start: a JSON list of earlier trials [{\"params\": {NAME: VALUE, ...}, "
             "\"value\": V}, ...]; the first run starts from the distribution of the best "
             "tenth of those with every numeric parameter (at least 10 needed); none: no "
             "warm start"},
    HPS_OPTIONS_END,
};

static hps_status cma_bind(hps_sampler *sampler, const hps_context *ctx)
{
    if (ctx->n_directions != 1)
        return hps_errbuf_set(&sampler->err, HPS_ERR_UNSUPPORTED,
                              "the cmaes sampler optimizes one objective (study '%s' has %zu)",
                              ctx->study_name, ctx->n_directions);
    return HPS_OK;
}

/* ---- unit-cube coordinates of discrete parameters ------------------------------------ */

/* Position in the unit cube of the boundary between the k-th and (k+1)-th value: where
 * hps_dist_from_unit switches from one to the other. */
static double threshold(const hps_dist *dist, uint64_t k)
{
    double half = dist->step / 2;
    double mid = 0.5 * (hps_dist_nth_value(dist, k) + hps_dist_nth_value(dist, k + 1));
    if (dist->flags & HPS_LOG) {
        double lo = log(fmax(dist->low - half, dist->low / 2)), hi = log(dist->high + half);
        return (log(mid) - lo) / (hi - lo);
    }
    return (mid - (dist->low - half)) / (dist->high - dist->low + dist->step);
}

static double clamp_unit(double u)
{
    if (!(u >= 0))
        return 0;
    return u < 1 ? u : 0x1.fffffffffffffp-1;
}

static uint64_t value_index(const hps_dist *dist, double u)
{
    double v = hps_dist_from_unit(dist, clamp_unit(u));
    return (uint64_t)nearbyint((v - dist->low) / dist->step);
}

/* ---- the strategy ------------------------------------------------------------------- */

static double normal_cdf(double x)
{
    return 0.5 * erfc(-x * 0.70710678118654752440);
}

/* Default strategy parameters for population lambda (tutorial, table 1). */
static int run_params(cma_state *s, size_t lambda)
{
    size_t n = s->n;
    double dn = (double)n;
    s->lambda = lambda;
    s->mu = lambda / 2;
    hps_mem_free(s->w);
    s->w = hps_mem_calloc(lambda, sizeof *s->w);
    if (s->w == NULL)
        return -1;
    double pos = 0, neg = 0, pos2 = 0, neg2 = 0;
    for (size_t i = 0; i < lambda; i++) {
        double wp = log(((double)lambda + 1) / 2) - log((double)i + 1);
        s->w[i] = wp;
        if (wp >= 0) {
            pos += wp;
            pos2 += wp * wp;
        } else {
            neg += -wp;
            neg2 += wp * wp;
        }
    }
    s->mueff = pos * pos / pos2;
    double mueff_neg = neg2 > 0 ? neg * neg / neg2 : 0;
    s->cs = (s->mueff + 2) / (dn + s->mueff + 5);
    s->ds = 1 + 2 * fmax(0, sqrt((s->mueff - 1) / (dn + 1)) - 1) + s->cs;
    s->cc = (4 + s->mueff / dn) / (dn + 4 + 2 * s->mueff / dn);
    const double alpha_cov = 2;
    s->c1 = alpha_cov / ((dn + 1.3) * (dn + 1.3) + s->mueff);
    s->cmu = fmin(1 - s->c1, alpha_cov * (s->mueff - 2 + 1 / s->mueff) /
                                 ((dn + 2) * (dn + 2) + alpha_cov * s->mueff / 2));
    /* negative weights, scaled so the covariance stays positive definite */
    /* with lambda = 2 or 3, c_mu is 0: no limit from the terms that divide by it */
    double a_mu = s->cmu > 0 ? 1 + s->c1 / s->cmu : INFINITY;
    double a_mueff = 1 + 2 * mueff_neg / (s->mueff + 2);
    double a_posdef = s->cmu > 0 ? (1 - s->c1 - s->cmu) / (dn * s->cmu) : INFINITY;
    double a_neg = fmin(a_mu, fmin(a_mueff, a_posdef));
    for (size_t i = 0; i < lambda; i++)
        s->w[i] = s->w[i] >= 0 ? s->w[i] / pos : (neg > 0 ? s->w[i] * a_neg / neg : 0);
    s->chi_n = sqrt(dn) * (1 - 1 / (4 * dn) + 1 / (21 * dn * dn));
    s->hist_cap = 2 * (10 + (size_t)ceil(30 * dn / (double)lambda));
    hps_mem_free(s->hist);
    s->hist = hps_mem_calloc(s->hist_cap, sizeof *s->hist);
    s->hist_len = s->hist_pos = 0;
    return s->hist == NULL ? -1 : 0;
}

static int eigen(cma_state *s);

/* A fresh run: step sigma, mean `mean`, covariance `cov` (row-major n x n; NULL: the
 * identity). -2 when the eigendecomposition of `cov` fails. */
static int run_start(cma_state *s, size_t lambda, double sigma, const double *mean,
                     const double *cov)
{
    size_t n = s->n;
    if (run_params(s, lambda) != 0)
        return -1;
    if (s->m == NULL) {
        s->m = hps_mem_calloc(n, sizeof *s->m);
        s->ps = hps_mem_calloc(n, sizeof *s->ps);
        s->pc = hps_mem_calloc(n, sizeof *s->pc);
        s->C = hps_mem_calloc(n * n, sizeof *s->C);
        s->B = hps_mem_calloc(n * n, sizeof *s->B);
        s->D = hps_mem_calloc(n, sizeof *s->D);
        s->A = hps_mem_calloc(n, sizeof *s->A);
        s->work = hps_mem_calloc(8 * n + 8, sizeof *s->work);
        if (s->m == NULL || s->ps == NULL || s->pc == NULL || s->C == NULL || s->B == NULL ||
            s->D == NULL || s->A == NULL || s->work == NULL)
            return -1;
    }
    memcpy(s->m, mean, n * sizeof *s->m);
    memset(s->ps, 0, n * sizeof *s->ps);
    memset(s->pc, 0, n * sizeof *s->pc);
    memset(s->C, 0, n * n * sizeof *s->C);
    memset(s->B, 0, n * n * sizeof *s->B);
    for (size_t i = 0; i < n; i++) {
        s->C[i * n + i] = 1;
        s->B[i * n + i] = 1;
        s->D[i] = 1;
        s->A[i] = 1;
    }
    if (cov != NULL) {
        memcpy(s->C, cov, n * n * sizeof *s->C);
        if (eigen(s) != 0)
            return -2;
    }
    s->sigma = sigma;
    s->run_sigma0 = sigma;
    s->gen = 0;
    s->evals_run = 0;
    return 0;
}

static size_t default_lambda(size_t n)
{
    return 4 + (size_t)floor(3 * log((double)n));
}

static size_t base_lambda(const cma_state *s)
{
    return s->popsize > 0 ? (size_t)s->popsize : default_lambda(s->n);
}

/* C = B diag(D)^2 B^T, from a symmetrised C. -1 when LAPACK fails. */
static int eigen(cma_state *s)
{
    size_t n = s->n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) {
            double v = 0.5 * (s->C[i * n + j] + s->C[j * n + i]);
            s->C[i * n + j] = s->C[j * n + i] = v;
        }
    memcpy(s->B, s->C, n * n * sizeof *s->B);
    double *ev = s->work;
    lapack_int info = LAPACKE_dsyev(LAPACK_COL_MAJOR, 'V', 'U', (lapack_int)n, s->B, (lapack_int)n, ev);
    if (info != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        s->D[i] = sqrt(fmax(ev[i], 1e-300));
    return 0;
}

/* out = C^{-1/2} y = B diag(1/D) B^T y; `tmp` has n entries. B is column-major. */
static void inv_sqrt_times(const cma_state *s, const double *y, double *out, double *tmp)
{
    size_t n = s->n;
    for (size_t k = 0; k < n; k++) {
        double dot = 0;
        for (size_t i = 0; i < n; i++)
            dot += s->B[k * n + i] * y[i];
        tmp[k] = dot / s->D[k];
    }
    for (size_t i = 0; i < n; i++) {
        double v = 0;
        for (size_t k = 0; k < n; k++)
            v += s->B[k * n + i] * tmp[k];
        out[i] = v;
    }
}

/* Lower-bounds the probability that a discrete coordinate leaves the value the mean
 * encodes (Hamano et al. 2022): if the mass beyond a neighbouring threshold falls below
 * margin / 2 (margin at the ends of the range), the mean and the coordinate's scale A
 * are moved so that it is exactly that. */
static void margin_correct(cma_state *s)
{
    size_t n = s->n;
    double margin = 1.0 / ((double)n * (double)s->lambda);
    for (size_t j = 0; j < n; j++) {
        if (!s->discrete[j])
            continue;
        const hps_dist *dist = &s->dists[j];
        uint64_t card = hps_dist_cardinality(dist);
        uint64_t k = value_index(dist, s->m[j]);
        double sd = s->sigma * s->A[j] * sqrt(s->C[j * n + j]);
        if (!(sd > 0))
            continue;
        int has_low = k > 0, has_up = k + 1 < card;
        double lo_t = has_low ? threshold(dist, k - 1) : 0;
        double up_t = has_up ? threshold(dist, k) : 1;
        double p_low = has_low ? normal_cdf((lo_t - s->m[j]) / sd) : 0;
        double p_up = has_up ? normal_cdf((s->m[j] - up_t) / sd) : 0;
        if (!has_low || !has_up) {
            /* an end value: only one way out; move the mean towards it */
            double p = has_low ? p_low : p_up;
            if (p >= margin)
                continue;
            double q = tpe_ndtri(1 - margin);
            s->m[j] = has_low ? lo_t + sd * q : up_t - sd * q;
            continue;
        }
        double half = margin / 2;
        if (p_low >= half && p_up >= half)
            continue;
        double mid = 1 - p_low - p_up;
        double pl = fmax(p_low, half), pu = fmax(p_up, half);
        double excess = 1 - pl - pu - mid, denom = pl + mid + pu - 3 * half;
        double pl2 = pl + excess * (pl - half) / denom;
        double pu2 = pu + excess * (pu - half) / denom;
        pl2 = fmin(fmax(pl2, 1e-10), 0.5 - 1e-10);
        pu2 = fmin(fmax(pu2, 1e-10), 0.5 - 1e-10);
        double ql = tpe_ndtri(1 - pl2), qu = tpe_ndtri(1 - pu2);
        double new_sd = (up_t - lo_t) / (ql + qu);
        s->A[j] = new_sd / (s->sigma * sqrt(s->C[j * n + j]));
        s->m[j] = (lo_t * qu + up_t * ql) / (ql + qu);
    }
}

typedef struct ranked {
    double loss;
    int64_t number;
    const double *x;
} ranked;

static int cmp_ranked(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->loss < b->loss)
        return -1;
    if (a->loss > b->loss)
        return 1;
    return a->number < b->number ? -1 : (a->number > b->number ? 1 : 0);
}

static int cmp_number(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    return a->number < b->number ? -1 : (a->number > b->number ? 1 : 0);
}

static void hist_push(cma_state *s, double v)
{
    s->hist[s->hist_pos] = v;
    s->hist_pos = (s->hist_pos + 1) % s->hist_cap;
    if (s->hist_len < s->hist_cap)
        s->hist_len++;
}

/* Tells one generation (lambda candidates ranked best first). -1 when out of memory,
 * -2 when the eigendecomposition fails. */
static int tell(cma_state *s, ranked *pop)
{
    size_t n = s->n, lambda = s->lambda;
    double *yw = s->work + n, *tmp = s->work + 2 * n, *zw = s->work + 3 * n;
    double *old_m = s->work + 4 * n;
    double *y = hps_mem_calloc(lambda * n, sizeof *y);
    if (y == NULL)
        return -1;
    memcpy(old_m, s->m, n * sizeof *old_m);
    for (size_t i = 0; i < lambda; i++)
        for (size_t j = 0; j < n; j++)
            y[i * n + j] = (pop[i].x[j] - old_m[j]) / s->sigma;
    memset(yw, 0, n * sizeof *yw);
    for (size_t i = 0; i < s->mu; i++)
        for (size_t j = 0; j < n; j++)
            yw[j] += s->w[i] * y[i * n + j];
    for (size_t j = 0; j < n; j++)
        s->m[j] = old_m[j] + s->sigma * yw[j]; /* c_m = 1 */

    /* step-size path and step size */
    inv_sqrt_times(s, yw, zw, tmp);
    double cs_norm = sqrt(s->cs * (2 - s->cs) * s->mueff), norm_ps = 0;
    for (size_t j = 0; j < n; j++) {
        s->ps[j] = (1 - s->cs) * s->ps[j] + cs_norm * zw[j];
        norm_ps += s->ps[j] * s->ps[j];
    }
    norm_ps = sqrt(norm_ps);
    double gen_factor = sqrt(1 - pow(1 - s->cs, 2.0 * (double)(s->gen + 1)));
    int h_sigma = norm_ps / gen_factor < (1.4 + 2 / ((double)n + 1)) * s->chi_n;

    /* covariance */
    double cc_norm = sqrt(s->cc * (2 - s->cc) * s->mueff);
    for (size_t j = 0; j < n; j++)
        s->pc[j] = (1 - s->cc) * s->pc[j] + (h_sigma ? cc_norm * yw[j] : 0);
    double w_sum = 0;
    for (size_t i = 0; i < lambda; i++)
        w_sum += s->w[i];
    double delta = (1 - h_sigma) * s->cc * (2 - s->cc);
    double keep = 1 + s->c1 * delta - s->c1 - s->cmu * w_sum;
    for (size_t a = 0; a < n * n; a++)
        s->C[a] *= keep;
    for (size_t r = 0; r < n; r++)
        for (size_t c = 0; c < n; c++)
            s->C[r * n + c] += s->c1 * s->pc[r] * s->pc[c];
    for (size_t i = 0; i < lambda; i++) {
        double wi = s->w[i];
        if (wi == 0)
            continue;
        const double *yi = &y[i * n];
        if (wi < 0) {
            /* negative weights act on the Mahalanobis-normalised step */
            inv_sqrt_times(s, yi, zw, tmp);
            double q = 0;
            for (size_t j = 0; j < n; j++)
                q += zw[j] * zw[j];
            wi *= q > 0 ? (double)n / q : 0;
        }
        for (size_t r = 0; r < n; r++)
            for (size_t c = 0; c < n; c++)
                s->C[r * n + c] += s->cmu * wi * yi[r] * yi[c];
    }
    s->sigma *= exp(s->cs / s->ds * (norm_ps / s->chi_n - 1));
    if (!(s->sigma <= CMA_SIGMA_MAX))
        s->sigma = CMA_SIGMA_MAX;
    hps_mem_free(y);
    if (eigen(s) != 0)
        return -2;
    if (s->with_margin)
        margin_correct(s);
    hist_push(s, pop[0].loss);
    hist_push(s, pop[lambda - 1].loss);
    s->gen++;
    s->evals_run += lambda;
    return 0;
}

/* The stop criteria of Hansen's tutorial and the cmaes library. */
static int should_stop(const cma_state *s)
{
    size_t n = s->n;
    if (s->hist_len == s->hist_cap) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < s->hist_len; i++) {
            lo = fmin(lo, s->hist[i]);
            hi = fmax(hi, s->hist[i]);
        }
        if (hi - lo < CMA_TOLFUN)
            return 1;
    }
    double tolx = CMA_TOLX_FACTOR * s->run_sigma0;
    int tiny = 1;
    double dmax = 0, dmin = INFINITY;
    for (size_t j = 0; j < n; j++) {
        if (s->sigma * sqrt(s->C[j * n + j]) >= tolx || s->sigma * fabs(s->pc[j]) >= tolx)
            tiny = 0;
        dmax = fmax(dmax, s->D[j]);
        dmin = fmin(dmin, s->D[j]);
    }
    if (tiny)
        return 1;
    if (s->sigma * dmax > CMA_TOLXUP * s->run_sigma0)
        return 1;
    if (dmin <= 0 || (dmax / dmin) * (dmax / dmin) > CMA_MAX_CONDITION)
        return 1;
    /* no effect of a tenth of a standard deviation along the next principal axis */
    size_t axis = (size_t)(s->gen % (int64_t)n);
    int no_effect = 1;
    for (size_t j = 0; j < n && no_effect; j++)
        no_effect = s->m[j] == s->m[j] + 0.1 * s->sigma * s->D[axis] * s->B[axis * n + j];
    if (no_effect)
        return 1;
    for (size_t j = 0; j < n; j++)
        if (s->m[j] == s->m[j] + 0.2 * s->sigma * sqrt(s->C[j * n + j]))
            return 1;
    return 0;
}

static int start_restart(cma_state *s, const hps_sampler *sampler)
{
    hps_rng rng;
    hps_rng_seed_keyed(&rng, sampler->seed, s->restart + 1, CMA_RESTART_KEY);
    size_t base = base_lambda(s);
    size_t lambda = base;
    double sigma = s->sigma0;
    if (s->restart_strategy == CMA_RESTART_IPOP) {
        double grow = pow((double)s->inc_popsize, (double)(s->restart + 1));
        lambda = grow * (double)base > CMA_MAX_POPSIZE ? CMA_MAX_POPSIZE
                                                       : (size_t)(grow * (double)base);
    } else {
        /* BIPOP: the regime that has used fewer evaluations runs next. The first run
         * (default population) counts for neither, so the first restart is a large one. */
        if (s->run_small)
            s->evals_small += s->evals_run;
        else if (s->restart > 0)
            s->evals_large += s->evals_run;
        if (s->evals_small < s->evals_large) {
            double u1 = hps_rng_uniform(&rng), u2 = hps_rng_uniform(&rng);
            double large = (double)(s->lambda_large_last > 0 ? s->lambda_large_last : base);
            lambda = (size_t)floor((double)base * pow(0.5 * large / (double)base, u1 * u1));
            sigma = s->sigma0 * pow(10, -2 * u2);
            s->run_small = 1;
        } else {
            s->n_large++;
            double grow = pow((double)s->inc_popsize, (double)s->n_large);
            lambda = grow * (double)base > CMA_MAX_POPSIZE ? CMA_MAX_POPSIZE
                                                           : (size_t)(grow * (double)base);
            s->lambda_large_last = lambda;
            s->run_small = 0;
        }
        if (lambda < 2)
            lambda = 2;
    }
    double *mean = s->work + 5 * s->n;
    for (size_t j = 0; j < s->n; j++)
        mean[j] = hps_rng_uniform(&rng);
    s->restart++;
    return run_start(s, lambda, sigma, mean, NULL);
}

/* ---- warm start ------------------------------------------------------------------- */

#define CMA_WARM_GAMMA 0.1 /* the fraction of the source points that are fitted */
#define CMA_WARM_ALPHA 0.1 /* the prior's spread: Sigma gets alpha^2 I */
#define CMA_WARM_MIN_SIGMA 1e-10

/* The unit-cube point of source entry `item` in the space idx[0..n), and its loss.
 * 1 if it has every coordinate with a valid value, 0 if not, -1 if the entry is
 * malformed. */
static int source_point(const cma_state *s, const hps_context *ctx, const hps_history *h,
                        const size_t *idx, const json_t *item, double *u, double *loss)
{
    json_t *params = json_object_get(item, "params"), *value = json_object_get(item, "value");
    if (!json_is_object(params) || !json_is_number(value))
        return -1;
    for (size_t k = 0; k < s->n; k++) {
        json_t *v = json_object_get(params, h->space.names[idx[k]]);
        if (!json_is_number(v) || !hps_dist_contains(&s->dists[k], json_number_value(v)))
            return 0;
        u[k] = hps_dist_to_unit(&s->dists[k], json_number_value(v));
    }
    double v = json_number_value(value);
    *loss = ctx->directions[0] == HPS_MAXIMIZE ? -v : v;
    return 1;
}

/* Whether option source_trials gives trials ("none", its default, is no warm start;
 * a JSON list is never that word). */
static int has_source_trials(const cma_state *s)
{
    return s->source != NULL && strcmp(s->source, "none") != 0;
}

/* mean and sigma^2 cov of the first run from option source_trials: the warm start of
 * M. Nomura, S. Watanabe, Y. Akimoto, Y. Ozaki, M. Onishi, "Warm Starting CMA-ES for
 * Hyperparameter Optimization", AAAI 2021, as the cmaes library's get_warm_start_mgd
 * computes it (what Optuna uses), here in the unit cube. The best floor(gamma N) of
 * the N usable points give the mean m and Sigma = alpha^2 I + mean(u u^T) - m m^T;
 * the run starts with sigma = det(Sigma)^(1/2n) and C = Sigma / det(Sigma)^(1/n). */
static hps_status warm_start(const cma_state *s, const hps_context *ctx, const hps_history *h,
                             const size_t *idx, double *mean, double *cov, double *sigma,
                             hps_errbuf *err)
{
    size_t n = s->n;
    json_error_t jerr;
    json_t *list = json_loads(s->source, 0, &jerr);
    double *points = NULL, *chol = NULL;
    ranked *pop = NULL;
    hps_status rc = HPS_OK;
    if (!json_is_array(list)) {
        rc = hps_errbuf_set(err, HPS_ERR_INVALID,
                            "cmaes: source_trials must be a JSON list of {\"params\": {...}, "
                            "\"value\": number} (%s)",
                            list == NULL ? jerr.text : "not a list");
        goto out;
    }
    size_t total = json_array_size(list), used = 0;
    points = hps_mem_calloc(total * n + 1, sizeof *points);
    pop = hps_mem_calloc(total + 1, sizeof *pop);
    if (points == NULL || pop == NULL) {
        rc = hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < total; i++) {
        double *u = points + used * n, loss;
        int ok = source_point(s, ctx, h, idx, json_array_get(list, i), u, &loss);
        if (ok < 0) {
            rc = hps_errbuf_set(err, HPS_ERR_INVALID,
                                "cmaes: source_trials[%zu] must be {\"params\": {NAME: VALUE, "
                                "...}, \"value\": number}", i);
            goto out;
        }
        if (ok)
            pop[used++] = (ranked){loss, (int64_t)i, u};
    }
    size_t best = (size_t)floor((double)used * CMA_WARM_GAMMA);
    if (used == 0) {
        rc = hps_errbuf_set(err, HPS_ERR_INVALID,
                            "cmaes: no compatible source_trials: none of the %zu has a valid "
                            "value of every numeric parameter of the search space", total);
        goto out;
    }
    if (best < 1) {
        rc = hps_errbuf_set(err, HPS_ERR_INVALID,
                            "cmaes: source_trials: the warm start needs at least %.0f trials "
                            "with a valid value of every numeric parameter of the search space "
                            "(%zu of %zu have them)",
                            ceil(1 / CMA_WARM_GAMMA), used, total);
        goto out;
    }
    qsort(pop, used, sizeof *pop, cmp_ranked);
    for (size_t j = 0; j < n; j++) {
        mean[j] = 0;
        for (size_t i = 0; i < best; i++)
            mean[j] += pop[i].x[j] / (double)best;
    }
    for (size_t j = 0; j < n; j++)
        for (size_t k = 0; k < n; k++) {
            double second = 0;
            for (size_t i = 0; i < best; i++)
                second += pop[i].x[j] * pop[i].x[k] / (double)best;
            cov[j * n + k] = (j == k ? CMA_WARM_ALPHA * CMA_WARM_ALPHA : 0) + second -
                             mean[j] * mean[k];
        }
    /* log det(Sigma) from its Cholesky factor (Sigma >= alpha^2 I is positive definite) */
    chol = hps_mem_calloc(n * n, sizeof *chol);
    if (chol == NULL) {
        rc = hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(chol, cov, n * n * sizeof *chol);
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, chol, (lapack_int)n) != 0) {
        rc = hps_errbuf_set(err, HPS_ERR_INVALID,
                            "cmaes: source_trials: the fitted covariance is not positive "
                            "definite");
        goto out;
    }
    double log_det = 0;
    for (size_t j = 0; j < n; j++)
        log_det += 2 * log(chol[j * n + j]);
    for (size_t j = 0; j < n * n; j++)
        cov[j] *= exp(-log_det / (double)n);
    *sigma = fmax(exp(log_det / (2 * (double)n)), CMA_WARM_MIN_SIGMA);
out:
    json_decref(list);
    hps_mem_free(points);
    hps_mem_free(chol);
    hps_mem_free(pop);
    return rc;
}

/* ---- the space, tags and replay ----------------------------------------------------- */

/* The numeric coordinates of the relative space (categoricals and single values are
 * sampled independently). idx[k] is the space index of coordinate k. */
static size_t numeric_space(const hps_history *h, size_t *idx)
{
    size_t n = 0;
    for (size_t i = 0; i < h->space.n; i++) {
        const hps_dist *d = h->space.dists[i];
        if (d->kind == HPS_DIST_CATEGORICAL || hps_dist_cardinality(d) == 1)
            continue;
        idx[n++] = i;
    }
    return n;
}

static uint64_t space_hash(const hps_history *h, const size_t *idx, size_t n)
{
    uint64_t hash = 0x636d61657321ull;
    for (size_t k = 0; k < n; k++) {
        const hps_dist *d = h->space.dists[idx[k]];
        double fields[4] = {d->low, d->high, d->step, (double)d->flags + 10.0 * d->kind};
        hash = hps_hash_string(h->space.names[idx[k]], hash);
        hash = hps_hash_bytes(fields, sizeof fields, hash);
    }
    return hash;
}

/* The state of a new space and its first run. On failure the caller frees the state. */
static hps_status space_reset(cma_state *s, const hps_context *ctx, const hps_history *h,
                              const size_t *idx, size_t n, uint64_t hash, hps_errbuf *err)
{
    space_free(s);
    s->n = n;
    s->hash = hash;
    s->dists = hps_mem_calloc(n, sizeof *s->dists);
    s->discrete = hps_mem_calloc(n, 1);
    if (s->dists == NULL || s->discrete == NULL)
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        const hps_dist *d = h->space.dists[idx[k]];
        if (hps_dist_copy(&s->dists[k], d) != 0)
            return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
        s->discrete[k] = d->step != 0;
    }
    s->restart = 0;
    s->n_large = 0;
    s->evals_large = s->evals_small = 0;
    s->run_small = 0;
    s->lambda_large_last = 0;
    double *mean = hps_mem_calloc(n, sizeof *mean);
    int warm = has_source_trials(s);
    double *cov = warm ? hps_mem_calloc(n * n, sizeof *cov) : NULL;
    if (mean == NULL || (warm && cov == NULL)) {
        hps_mem_free(mean);
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    }
    /* The first run starts from the source trials' distribution, or at the priors'
     * medians (the middle without one); restarts start anywhere, as misleading source
     * trials or a misleading prior must not hold every run. */
    double sigma = s->sigma0;
    hps_status rc = HPS_OK;
    if (warm)
        rc = warm_start(s, ctx, h, idx, mean, cov, &sigma, err);
    for (size_t k = 0; k < n && !warm; k++) {
        const hps_prior *prior = hps_ctx_prior(ctx, h->space.names[idx[k]], &s->dists[k]);
        mean[k] = prior != NULL ? hps_prior_unit_quantile(prior, &s->dists[k], 0.5) : 0.5;
    }
    int started = rc == HPS_OK ? run_start(s, base_lambda(s), sigma, mean, cov) : 0;
    hps_mem_free(mean);
    hps_mem_free(cov);
    if (started == -1)
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    if (started == -2)
        return hps_errbuf_set(err, HPS_ERR_UNSUPPORTED,
                              "CMA-ES: the eigendecomposition of the warm start's covariance "
                              "failed");
    if (rc == HPS_OK)
        s->active = 1;
    return rc;
}

/* Reads the tag of a finished trial; 1 if it has one for this space, 0 if not. */
static int parse_tag(const cma_state *s, const hps_frozen *rec, cma_tag *tag)
{
    json_t *obj = rec->system_attrs != NULL ? json_object_get(rec->system_attrs, CMA_ATTR) : NULL;
    if (!json_is_object(obj))
        return 0;
    const char *h = json_string_value(json_object_get(obj, "h"));
    json_t *r = json_object_get(obj, "r"), *g = json_object_get(obj, "g");
    json_t *x = json_object_get(obj, "x");
    char want[32];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)s->hash);
    if (h == NULL || strcmp(h, want) != 0 || !json_is_integer(r) || !json_is_integer(g) ||
        !json_is_array(x) || json_array_size(x) != s->n)
        return 0;
    tag->number = rec->number;
    tag->r = (int)json_integer_value(r);
    tag->g = (int64_t)json_integer_value(g);
    tag->x = NULL;
    for (size_t k = 0; k < s->n; k++)
        if (!json_is_number(json_array_get(x, k)))
            return 0;
    return 1;
}

static int pool_add(cma_state *s, const hps_context *ctx, const hps_frozen *rec, cma_tag *tag)
{
    json_t *x = json_object_get(json_object_get(rec->system_attrs, CMA_ATTR), "x");
    tag->x = hps_mem_calloc(s->n, sizeof *tag->x);
    if (tag->x == NULL)
        return -1;
    for (size_t k = 0; k < s->n; k++)
        tag->x[k] = json_number_value(json_array_get(x, k));
    double loss = hps_ctx_loss(ctx, rec);
    tag->loss = isnan(loss) ? INFINITY : loss;
    void *items = s->pool;
    if (hps_mem_grow(&items, &s->cap_pool, s->n_pool + 1, sizeof *s->pool) != 0) {
        hps_mem_free(tag->x);
        return -1;
    }
    s->pool = items;
    s->pool[s->n_pool++] = *tag;
    return 0;
}

/* Reads newly finished COMPLETE trials into the pool. */
static int read_finished(cma_state *s, const hps_context *ctx, const hps_history *h)
{
    for (size_t i = 0; i < h->n_finished; i++) {
        const hps_frozen *rec = h->finished[i];
        if (rec->state != HPS_COMPLETE || rec->number < 0)
            continue;
        size_t num = (size_t)rec->number;
        if (num >= s->cap_seen) {
            size_t cap = s->cap_seen;
            void *items = s->seen;
            if (hps_mem_grow(&items, &cap, num + 1, 1) != 0)
                return -1;
            memset((unsigned char *)items + s->cap_seen, 0, cap - s->cap_seen);
            s->seen = items;
            s->cap_seen = cap;
        }
        if (s->seen[num])
            continue;
        s->seen[num] = 1;
        cma_tag tag;
        if (parse_tag(s, rec, &tag) && (tag.r > s->restart || (tag.r == s->restart && tag.g >= s->gen)))
            if (pool_add(s, ctx, rec, &tag) != 0)
                return -1;
    }
    return 0;
}

/* Tells every complete generation the pool holds, restarting runs that stop. -1 when
 * out of memory, -2 when the eigendecomposition fails. */
static int advance(cma_state *s, const hps_sampler *sampler)
{
    ranked *pop = NULL;
    size_t cap = 0;
    int rc = 0;
    for (;;) {
        size_t count = 0;
        for (size_t i = 0; i < s->n_pool; i++)
            count += s->pool[i].r == s->restart && s->pool[i].g == s->gen;
        if (count < s->lambda)
            break;
        if (count > cap) {
            hps_mem_free(pop);
            cap = count;
            pop = hps_mem_calloc(cap, sizeof *pop);
            if (pop == NULL) {
                rc = -1;
                break;
            }
        }
        size_t k = 0;
        for (size_t i = 0; i < s->n_pool; i++)
            if (s->pool[i].r == s->restart && s->pool[i].g == s->gen)
                pop[k++] = (ranked){s->pool[i].loss, s->pool[i].number, s->pool[i].x};
        /* the first lambda to have been asked make the generation */
        qsort(pop, k, sizeof *pop, cmp_number);
        qsort(pop, s->lambda, sizeof *pop, cmp_ranked);
        rc = tell(s, pop);
        if (rc != 0)
            break;
        if (s->restart_strategy != CMA_RESTART_NONE && should_stop(s) &&
            start_restart(s, sampler) != 0) {
            rc = -1;
            break;
        }
        /* drop what belongs to finished generations */
        size_t kept = 0;
        for (size_t i = 0; i < s->n_pool; i++) {
            cma_tag *t = &s->pool[i];
            if (t->r > s->restart || (t->r == s->restart && t->g >= s->gen))
                s->pool[kept++] = *t;
            else
                hps_mem_free(t->x);
        }
        s->n_pool = kept;
    }
    hps_mem_free(pop);
    return rc;
}

/* ---- sampling ----------------------------------------------------------------------- */

/* One candidate: raw sample x ~ N(m, sigma^2 C) and the point it encodes,
 * x~ = m + A (x - m), redrawn until x~ lies in the unit cube (then clipped). */
static void draw(const cma_state *s, hps_rng *rng, double *x, double *xt)
{
    size_t n = s->n;
    double *z = s->work + 6 * n, *y = s->work + 7 * n;
    for (int attempt = 0; attempt <= CMA_MAX_RESAMPLE; attempt++) {
        for (size_t k = 0; k < n; k++)
            z[k] = s->D[k] * hps_rng_normal(rng);
        int inside = 1;
        for (size_t j = 0; j < n; j++) {
            double v = 0;
            for (size_t k = 0; k < n; k++)
                v += s->B[k * n + j] * z[k];
            y[j] = v;
            x[j] = s->m[j] + s->sigma * v;
            xt[j] = s->m[j] + s->A[j] * (x[j] - s->m[j]);
            inside = inside && xt[j] >= 0 && xt[j] <= 1;
        }
        if (inside)
            return;
    }
    for (size_t j = 0; j < n; j++) {
        xt[j] = fmin(fmax(xt[j], 0), 1);
        x[j] = s->m[j] + (xt[j] - s->m[j]) / s->A[j];
    }
}

static hps_status write_tag(const hps_context *ctx, const cma_state *s, const double *x,
                            hps_errbuf *err)
{
    json_t *obj = json_object(), *arr = json_array();
    char hash[32];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)s->hash);
    int bad = obj == NULL || arr == NULL;
    bad = bad || json_object_set_new(obj, "r", json_integer(s->restart)) != 0;
    bad = bad || json_object_set_new(obj, "g", json_integer((json_int_t)s->gen)) != 0;
    bad = bad || json_object_set_new(obj, "h", json_string(hash)) != 0;
    for (size_t j = 0; !bad && j < s->n; j++)
        bad = json_array_append_new(arr, json_real(x[j])) != 0;
    if (!bad) {
        bad = json_object_set(obj, "x", arr) != 0;
    }
    char *text = bad ? NULL : json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(arr);
    json_decref(obj);
    if (text == NULL)
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    hps_status rc = hps_ctx_set_trial_attr(ctx, CMA_ATTR, text, err);
    free(text);
    return rc;
}

static hps_status cma_sample_relative(hps_sampler *sampler, const hps_context *ctx,
                                      const hps_history *h, double *values_out)
{
    cma_state *s = sampler->impl;
    size_t n_complete = 0;
    for (size_t i = 0; i < h->n_finished; i++)
        n_complete += h->finished[i]->state == HPS_COMPLETE;
    if (n_complete < s->n_startup)
        return HPS_OK;
    size_t *idx = hps_mem_calloc(h->space.n + 1, sizeof *idx);
    double *x = NULL;
    hps_status rc = HPS_OK;
    if (idx == NULL)
        goto oom;
    size_t n = numeric_space(h, idx);
    if (n == 0)
        goto out;
    if (n > CMA_MAX_DIMS) {
        rc = hps_errbuf_set(&sampler->err, HPS_ERR_UNSUPPORTED,
                            "cmaes models at most %d numeric parameters (the space has %zu)",
                            CMA_MAX_DIMS, n);
        goto out;
    }
    uint64_t hash = space_hash(h, idx, n);
    if (!s->active || s->hash != hash) {
        rc = space_reset(s, ctx, h, idx, n, hash, &sampler->err);
        if (rc != HPS_OK) {
            space_free(s);
            goto out;
        }
    }
    if (read_finished(s, ctx, h) != 0)
        goto oom;
    int adv = advance(s, sampler);
    if (adv == -2) {
        space_free(s);
        rc = hps_errbuf_set(&sampler->err, HPS_ERR_UNSUPPORTED,
                            "CMA-ES: the eigendecomposition of the covariance failed");
        goto out;
    }
    if (adv != 0)
        goto oom;
    x = hps_mem_calloc(2 * n, sizeof *x);
    if (x == NULL)
        goto oom;
    hps_rng rng;
    hps_rng_seed_keyed(&rng, sampler->seed, ctx->trial->number, CMA_SAMPLE_KEY);
    draw(s, &rng, x, x + n);
    for (size_t k = 0; k < n; k++)
        values_out[idx[k]] = hps_dist_from_unit(&s->dists[k], clamp_unit(x[n + k]));
    hps_errbuf why;
    rc = write_tag(ctx, s, x, &why);
    if (rc != HPS_OK) {
        rc = hps_errbuf_set(&sampler->err, rc, "recording the CMA-ES candidate: %s",
                            hps_errbuf_text(&why));
        goto out;
    }
    goto out;
oom:
    /* a failed replay leaves no half-updated state behind: rebuild from scratch */
    space_free(s);
    rc = hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
out:
    hps_mem_free(idx);
    hps_mem_free(x);
    return rc;
}

static hps_status cma_sample(hps_sampler *sampler, const hps_context *ctx, const char *name,
                             const hps_dist *dist, double *internal_out)
{
    hps_rng rng;
    hps_rng_seed_keyed(&rng, sampler->seed, ctx->trial->number, name);
    *internal_out =
        hps_dist_from_unit(dist, hps_ctx_prior_unit(ctx, name, dist, hps_rng_uniform(&rng)));
    return HPS_OK;
}

const hps_sampler_ops hps_cmaes_sampler_ops = {
    .name = "cmaes",
    .help = "CMA-ES over the numeric parameters (categoricals sampled independently), with "
            "IPOP or BIPOP restarts and the margin for integers",
    .learns = 1,
    .options = cma_options,
    .init = cma_init,
    .destroy = cma_destroy,
    .bind = cma_bind,
    .sample = cma_sample,
    .sample_relative = cma_sample_relative,
};
