/* regret.c -- the regret bound of Makarova et al. 2022, "Automatic termination for
 * hyperparameter optimization": how much better than the best trials the objective
 * could still get, by the confidence bounds of a Gaussian process (hpsearch.h,
 * hps_regret_bound).
 *
 * The computation follows Optuna's RegretBoundEvaluator step by step -- the top trials,
 * their standardized values, the GP fitted to them, beta, max UCB over the space and
 * the top trials minus max LCB over the top trials -- with the gp sampler's model
 * (samplers/gp/model.h) and unit encoding in place of Optuna's torch GP. Values are
 * turned so that larger is better, as Optuna's _gp module assumes. */
#include "base/mem.h"
#include "engine/cells.h"
#include "engine/study.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if HPS_HAVE_LAPACK
#include "samplers/gp/acquisition.h"
#include "samplers/gp/model.h"
#include "samplers/sobol_seq.h"

/* Optuna's settings: the confidence 1 - delta, and the random points of the space the
 * upper confidence bound is maximized over. */
#define REGRET_DELTA 0.1
#define REGRET_SPACE_SAMPLES 2048
#define REGRET_PI_SQUARED 9.8696044010893586
/* The GP is O(n^3): beyond this many top trials, the best ones are modelled. */
#define REGRET_MAX_TOP 1000
/* The kernel hyperparameters are fitted on at most this many of the top trials (an even
 * spread of them), as the gp sampler does; the posterior uses them all. */
#define REGRET_FIT_ROWS 150
#define REGRET_FIT_EVALS 60

/* One usable trial: its larger-is-better value and its row of encoded parameters. */
typedef struct regret_row {
    double y;
    size_t row;
} regret_row;

static int larger_first(const void *a, const void *b)
{
    const regret_row *p = a, *q = b;
    if (p->y != q->y)
        return p->y < q->y ? 1 : -1;
    return (p->row > q->row) - (p->row < q->row); /* stable: the earlier trial first */
}

/* Optuna's _get_beta: Srinivas et al.'s beta for a finite domain, scaled down by 5 as
 * in their experiments. */
static double regret_beta(size_t d, size_t n)
{
    double dn = (double)d * (double)n * (double)n;
    return 2 * log(dn * REGRET_PI_SQUARED / 6 / REGRET_DELTA) / 5;
}

static void dims_of(const hps_dist *dists, size_t d, gp_dim *dims, unsigned char *categorical)
{
    for (size_t j = 0; j < d; j++) {
        dims[j].dist = &dists[j];
        dims[j].levels = hps_dist_cardinality(&dists[j]);
        dims[j].kind = dists[j].kind == HPS_DIST_CATEGORICAL ? GP_DIM_CATEGORICAL
                       : dims[j].levels == 0                 ? GP_DIM_CONTINUOUS
                                                             : GP_DIM_DISCRETE;
        categorical[j] = dims[j].kind == GP_DIM_CATEGORICAL;
    }
}

/* The encoded form the GP reads: a categorical's index, a number's unit position (off
 * the distribution's values, snapped onto them first). */
static double encode(const gp_dim *dim, double internal)
{
    const hps_dist *dist = dim->dist;
    double v = hps_dist_contains(dist, internal) ? internal : hps_dist_snap(dist, internal);
    return dim->kind == GP_DIM_CATEGORICAL ? v : hps_dist_to_unit(dist, v);
}

/* A point of the space drawn as Optuna's sample_normalized_params draws it (scrambled
 * Sobol, discrete dims rounded onto their values). */
static void sample_point(const gp_dim *dims, size_t d, uint64_t index, uint64_t seed, double *x)
{
    for (size_t j = 0; j < d; j++) {
        double u = sobol_coordinate(index, (unsigned)(j % SOBOL_MAX_DIMS), 1,
                                    seed + j / SOBOL_MAX_DIMS);
        if (dims[j].kind == GP_DIM_CATEGORICAL)
            u = floor(u * (double)dims[j].levels);
        x[j] = gp_dim_snap(&dims[j], u);
    }
}

/* Fits the kernel hyperparameters on an even spread of at most REGRET_FIT_ROWS rows,
 * then factors the posterior with every row. */
static int fit_top(gp_model *m, const double *x, const double *y, size_t n, double *theta)
{
    size_t d = m->d, k = n < REGRET_FIT_ROWS ? n : REGRET_FIT_ROWS;
    double *xs = hps_mem_realloc_array(NULL, k, (d + 1) * sizeof *xs);
    double *ys = hps_mem_calloc(k, sizeof *ys);
    int rc = GP_ERR_NOMEM;
    if (xs == NULL || ys == NULL)
        goto out;
    for (size_t t = 0; t < k; t++) {
        size_t r = k == n ? t : t * (n - 1) / (k - 1);
        memcpy(xs + t * d, x + r * d, d * sizeof *xs);
        ys[t] = y[r];
    }
    gp_model_default_theta(m, 1, GP_MIN_NOISE, theta);
    gp_fit_options opt = {.fit_noise = 1, .fixed_noise = GP_MIN_NOISE,
                          .max_evals = REGRET_FIT_EVALS, .extra_start = 0};
    if (gp_model_set_data(m, xs, ys, k) != 0 || gp_model_fit(m, &opt, theta) != 0 ||
        gp_model_set_data(m, x, y, n) != 0)
        goto out;
    rc = gp_model_factor(m, theta);
    if (rc == GP_ERR_NUMERIC) {
        gp_model_default_theta(m, 1, GP_MIN_NOISE, theta);
        rc = gp_model_factor(m, theta);
    }
out:
    hps_mem_free(xs);
    hps_mem_free(ys);
    return rc;
}

/* Largest mean + sign * sqrt(beta var) over `count` points. */
static double max_bound(gp_model *m, const double *x, size_t count, double beta, double sign,
                        double *mean, double *var)
{
    gp_model_predict(m, x, count, mean, var);
    double best = -HUGE_VAL;
    for (size_t i = 0; i < count; i++) {
        double b = mean[i] + sign * sqrt(beta * var[i]);
        if (b > best)
            best = b;
    }
    return best;
}

/* The bound over `n` rows of d internal values (rows with a non-finite entry are
 * skipped). Messages go to err. */
static hps_status regret_compute(const hps_dist *dists, size_t d, const double *internal,
                                 const double *values, size_t n, hps_direction direction,
                                 double top_ratio, size_t min_top, uint64_t seed, double *out,
                                 hps_errbuf *err)
{
    if (!(top_ratio >= 0) || !isfinite(top_ratio))
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "top_trials_ratio must be a finite number >= 0 (got %g)", top_ratio);
    if (min_top == 0)
        return hps_errbuf_set(err, HPS_ERR_INVALID, "min_n_trials must be at least 1");
    if (d == 0)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "the search space is empty: the regret bound needs parameters");
    hps_status rc = HPS_ERR_NOMEM;
    gp_dim *dims = hps_mem_calloc(d, sizeof *dims);
    unsigned char *categorical = hps_mem_calloc(d, 1);
    regret_row *rows = hps_mem_calloc(n + 1, sizeof *rows);
    double *x = NULL, *y = NULL, *theta = NULL, *mean = NULL, *var = NULL, *cand = NULL;
    gp_model model;
    int model_ready = 0;
    if (dims == NULL || categorical == NULL || rows == NULL)
        goto nomem;
    dims_of(dists, d, dims, categorical);
    double sign = direction == HPS_MAXIMIZE ? 1 : -1;
    size_t usable = 0;
    for (size_t i = 0; i < n; i++) {
        int finite = isfinite(values[i]);
        for (size_t j = 0; j < d && finite; j++)
            finite = isfinite(internal[i * d + j]);
        if (finite)
            rows[usable++] = (regret_row){.y = sign * values[i], .row = i};
    }
    if (usable == 0) {
        rc = hps_errbuf_set(err, HPS_ERR_INVALID, "no trial has been completed yet (with a "
                            "finite value): the regret bound cannot be evaluated");
        goto out;
    }
    /* Optuna: top_n = clip(int(n * ratio), min_n_trials, n), and every trial at least as
     * good as the top_n-th one. */
    double scaled = floor((double)usable * top_ratio);
    size_t top = scaled >= (double)usable ? usable : (size_t)scaled;
    top = top < min_top ? min_top : top;
    top = top > usable ? usable : top;
    qsort(rows, usable, sizeof *rows, larger_first);
    while (top < usable && rows[top].y == rows[top - 1].y)
        top++;
    if (top > REGRET_MAX_TOP)
        top = REGRET_MAX_TOP;
    x = hps_mem_realloc_array(NULL, top, d * sizeof *x);
    y = hps_mem_calloc(top, sizeof *y);
    theta = hps_mem_calloc(3 * d + 2, sizeof *theta);
    size_t n_eval = top > REGRET_SPACE_SAMPLES ? top : REGRET_SPACE_SAMPLES;
    mean = hps_mem_calloc(n_eval, sizeof *mean);
    var = hps_mem_calloc(n_eval, sizeof *var);
    cand = hps_mem_realloc_array(NULL, REGRET_SPACE_SAMPLES, d * sizeof *cand);
    if (x == NULL || y == NULL || theta == NULL || mean == NULL || var == NULL || cand == NULL)
        goto nomem;
    double avg = 0, sd = 0;
    for (size_t t = 0; t < top; t++)
        avg += rows[t].y / (double)top;
    for (size_t t = 0; t < top; t++)
        sd += (rows[t].y - avg) * (rows[t].y - avg) / (double)top;
    sd = sqrt(sd);
    sd = sd > 1e-10 ? sd : 1e-10;
    for (size_t t = 0; t < top; t++) {
        y[t] = (rows[t].y - avg) / sd;
        for (size_t j = 0; j < d; j++)
            x[t * d + j] = encode(&dims[j], internal[rows[t].row * d + j]);
    }
    if (gp_model_init(&model, d, categorical) != 0)
        goto nomem;
    model_ready = 1;
    int fit = fit_top(&model, x, y, top, theta);
    if (fit == GP_ERR_NOMEM)
        goto nomem;
    if (fit != 0) {
        rc = hps_errbuf_set(err, HPS_ERR_INVALID, "the Gaussian process of the top %zu trials "
                            "cannot be factored", top);
        goto out;
    }
    double beta = regret_beta(d, top);
    for (size_t i = 0; i < REGRET_SPACE_SAMPLES; i++)
        sample_point(dims, d, i, seed, cand + i * d);
    double ucb_space = max_bound(&model, cand, REGRET_SPACE_SAMPLES, beta, +1, mean, var);
    double ucb_top = max_bound(&model, x, top, beta, +1, mean, var);
    double lcb_top = max_bound(&model, x, top, beta, -1, mean, var);
    double ucb = ucb_space > ucb_top ? ucb_space : ucb_top;
    *out = (ucb - lcb_top) * sd;
    rc = HPS_OK;
    goto out;
nomem:
    rc = hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
out:
    if (model_ready)
        gp_model_clear(&model);
    hps_mem_free(dims);
    hps_mem_free(categorical);
    hps_mem_free(rows);
    hps_mem_free(x);
    hps_mem_free(y);
    hps_mem_free(theta);
    hps_mem_free(mean);
    hps_mem_free(var);
    hps_mem_free(cand);
    return rc;
}

#else
/* Without the gp sampler's linear algebra there is no model to bound the regret with. */
static hps_status regret_compute(const hps_dist *dists, size_t d, const double *internal,
                                 const double *values, size_t n, hps_direction direction,
                                 double top_ratio, size_t min_top, uint64_t seed, double *out,
                                 hps_errbuf *err)
{
    (void)dists, (void)d, (void)internal, (void)values, (void)n, (void)direction;
    (void)top_ratio, (void)min_top, (void)seed, (void)out;
    return hps_errbuf_set(err, HPS_ERR_UNSUPPORTED, "the regret bound needs the gp sampler, "
                          "which this build leaves out (configure with -DHPS_WITH_LAPACK=ON)");
}
#endif /* HPS_HAVE_LAPACK */

hps_status hps_regret_bound(const char *space_json, const double *internal,
                            const double *values, size_t n_trials, hps_direction direction,
                            double top_trials_ratio, size_t min_n_trials, uint64_t seed,
                            double *bound_out, char *errbuf, size_t errlen)
{
    hps_errbuf err;
    hps_errbuf_clear(&err);
    hps_cells space;
    hps_status rc;
    if (bound_out == NULL || (n_trials > 0 && (internal == NULL || values == NULL)))
        rc = hps_errbuf_set(&err, HPS_ERR_INVALID, "the trials' values and bound_out are needed");
    else
        rc = hps_cells_from_json(&space, space_json, &err);
    if (rc == HPS_OK) {
        rc = regret_compute(space.dists, space.n, internal, values, n_trials, direction,
                            top_trials_ratio, min_n_trials, seed, bound_out, &err);
        hps_cells_clear(&space);
    }
    if (rc != HPS_OK)
        hps_errbuf_copy_out(hps_errbuf_text(&err), errbuf, errlen);
    return rc;
}

/* ---- the study's trials ------------------------------------------------------------ */

static int complete(const hps_frozen *t)
{
    return t != NULL && t->state == HPS_COMPLETE && t->n_values > 0;
}

/* The parameters every COMPLETE trial has with compatible distributions, each with the
 * newest such trial's distribution (borrowed from the cache). */
static size_t common_space(const hps_study *study, const hps_dist ***dist_out,
                           const char ***names_out, size_t *n_done)
{
    const hps_frozen *first = NULL;
    *n_done = 0;
    for (size_t i = 0; i < study->n_cache; i++) {
        if (!complete(study->cache[i]))
            continue;
        if (first == NULL)
            first = study->cache[i];
        (*n_done)++;
    }
    size_t n = 0;
    if (first == NULL)
        return 0;
    const hps_dist **dists = hps_mem_calloc(first->n_params + 1, sizeof *dists);
    const char **names = hps_mem_calloc(first->n_params + 1, sizeof *names);
    if (dists == NULL || names == NULL) {
        hps_mem_free(dists);
        hps_mem_free(names);
        *dist_out = NULL;
        return SIZE_MAX;
    }
    for (size_t p = 0; p < first->n_params; p++) {
        names[n] = first->params[p].name;
        dists[n++] = &first->params[p].dist;
    }
    for (size_t i = 0; i < study->n_cache; i++) {
        const hps_frozen *t = study->cache[i];
        if (!complete(t) || t == first)
            continue;
        size_t kept = 0;
        for (size_t p = 0; p < n; p++) {
            const hps_param_rec *rec = hps_rec_find_param(t, names[p]);
            if (rec == NULL || !hps_dist_compatible(&rec->dist, dists[p]))
                continue;
            names[kept] = names[p];
            dists[kept++] = &rec->dist; /* later trials come later in the cache */
        }
        n = kept;
    }
    *dist_out = dists;
    *names_out = names;
    return n;
}

hps_status hps_study_regret_bound(hps_study *study, double top_trials_ratio,
                                  size_t min_n_trials, uint64_t seed, double *bound_out)
{
    if (study == NULL)
        return HPS_ERR_INVALID;
    if (bound_out == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID, "bound_out is NULL");
    if (study->n_directions != 1)
        return hps_errbuf_set(&study->err, HPS_ERR_UNSUPPORTED,
                              "study '%s' has %zu objectives: the regret bound is for one",
                              study->name, study->n_directions);
    hps_status rc = hps_study_sync(study);
    if (rc != HPS_OK)
        return rc;
    const hps_dist **dists = NULL;
    const char **names = NULL;
    size_t n_done = 0;
    size_t d = common_space(study, &dists, &names, &n_done);
    if (d == SIZE_MAX)
        return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
    if (n_done == 0)
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                              "study '%s' has no COMPLETE trial yet: the regret bound cannot "
                              "be evaluated", study->name);
    if (d == 0) { /* regret_compute's "empty space" would misname it: the space has some */
        hps_mem_free(dists);
        hps_mem_free(names);
        /* one trial has nothing "common": it has no parameter at all */
        if (n_done == 1)
            return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                                  "the one COMPLETE trial of study '%s' has no parameter: the "
                                  "regret bound models the trials' parameters", study->name);
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                              "no parameter is common to the %zu COMPLETE trials of study "
                              "'%s' (with compatible distributions): the regret bound models "
                              "the parameters they all have",
                              n_done, study->name);
    }
    hps_dist *space = hps_mem_calloc(d + 1, sizeof *space);
    double *internal = hps_mem_realloc_array(NULL, n_done, (d + 1) * sizeof *internal);
    double *values = hps_mem_calloc(n_done, sizeof *values);
    if (space == NULL || internal == NULL || values == NULL) {
        rc = hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t j = 0; j < d; j++)
        space[j] = *dists[j]; /* a shallow copy: borrowed, never cleared */
    size_t row = 0;
    for (size_t i = 0; i < study->n_cache; i++) {
        const hps_frozen *t = study->cache[i];
        if (!complete(t))
            continue;
        values[row] = t->values[0];
        for (size_t j = 0; j < d; j++)
            internal[row * d + j] = hps_rec_find_param(t, names[j])->internal;
        row++;
    }
    rc = regret_compute(space, d, internal, values, n_done, study->directions[0],
                        top_trials_ratio, min_n_trials, seed, bound_out, &study->err);
out:
    hps_mem_free(dists);
    hps_mem_free(names);
    hps_mem_free(space);
    hps_mem_free(internal);
    hps_mem_free(values);
    return rc;
}
