/* ped_anova.c -- PED-ANOVA importances (see ped_anova.h). The numbers follow Optuna's
 * optuna/importance/_ped_anova (evaluator.py, scott_parzen_estimator.py) step by step,
 * so that the same trials give the same importances. */
#include "engine/ped_anova.h"

#include "base/mem.h"
#include "samplers/tpe_parzen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* What Optuna's evaluator fixes: the prior counts as one observation, and a regime
 * needs two region trials to be estimated at all. */
#define PED_PRIOR_WEIGHT 1.0
#define PED_MIN_TRIALS_IN_REGIME 2
#define PED_EPSILON 1e-12

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

hps_status hps_ped_top(const double *loss, size_t n, double quantile, unsigned char *keep)
{
    if (n == 0)
        return HPS_OK;
    double *sorted = hps_mem_realloc_array(NULL, n, sizeof *sorted);
    if (sorted == NULL)
        return HPS_ERR_NOMEM;
    memcpy(sorted, loss, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_doubles);
    /* The same double arithmetic as Optuna's int(math.ceil(quantile * n)) - 1. */
    double rank = ceil(quantile * (double)n) - 1;
    size_t k = rank < 0 ? 0 : (rank >= (double)n ? n - 1 : (size_t)rank);
    double cutoff = sorted[k];
    for (size_t i = 0; i < n; i++)
        keep[i] = loss[i] <= cutoff;
    hps_mem_free(sorted);
    return HPS_OK;
}

/* ---- the grid --------------------------------------------------------------------- */

static int is_log(const hps_dist *dist)
{
    return (dist->flags & HPS_LOG) != 0;
}

size_t hps_ped_grid_size(const hps_dist *dist)
{
    if (dist->kind == HPS_DIST_CATEGORICAL)
        return dist->n_choices;
    double steps = HPS_PED_GRID_STEPS;
    if (is_log(dist)) {
        /* A log-scaled int gets about one cell per doubling. */
        if (dist->kind == HPS_DIST_INT)
            steps = fmin(ceil(log(dist->high - dist->low + 1) / log(2)) + 1, steps);
    } else if (dist->kind == HPS_DIST_INT || dist->step > 0) {
        steps = fmin(round((dist->high - dist->low) / dist->step) + 1, steps);
    }
    return steps < 1 ? 1 : (size_t)steps;
}

size_t hps_ped_grid_cell(const hps_dist *dist, size_t grid_size, double internal)
{
    if (dist->kind == HPS_DIST_CATEGORICAL) {
        size_t c = internal > 0 ? (size_t)internal : 0;
        return c < grid_size ? c : grid_size - 1;
    }
    if (grid_size < 2)
        return 0;
    double low = dist->low, high = dist->high, v = internal;
    if (is_log(dist)) {
        low = log(low);
        high = log(high);
        v = log(v);
    }
    double width = (high - low) / (double)(grid_size - 1);
    /* Round to the nearest cell; a value midway goes to the lower one, as in Optuna. */
    double cell = ceil((v - low) / width - 0.5);
    if (!(cell > 0))
        return 0;
    return cell >= (double)(grid_size - 1) ? grid_size - 1 : (size_t)cell;
}

/* ---- the densities ----------------------------------------------------------------- */

/* Each observed category is a kernel with weight 1 on it and the prior's weight spread
 * over all categories, normalized; the prior kernel is uniform. In closed form: */
static void categorical_density(const double *counts, size_t n_choices, double *pdf)
{
    double total = 0;
    size_t observed = 0;
    for (size_t c = 0; c < n_choices; c++) {
        total += counts[c];
        observed += counts[c] > 0;
    }
    double n_kernels = (double)observed + 1, spread = PED_PRIOR_WEIGHT / n_kernels;
    double row_sum = (double)n_choices * spread + 1;
    double mixture = total + PED_PRIOR_WEIGHT;
    for (size_t c = 0; c < n_choices; c++)
        pdf[c] = (total / mixture) * spread / row_sum + (counts[c] / mixture) / row_sum +
                 (PED_PRIOR_WEIGHT / mixture) / (double)n_choices;
}

/* The probability a Gaussian kernel (mu, sigma) truncated to the grid's cells gives
 * cell g: its mass on [g - 1/2, g + 1/2] over its mass on [-1/2, size - 1/2]. */
static double cell_mass(double g, double mu, double sigma, size_t grid_size)
{
    double inside = tpe_log_gauss_mass((-0.5 - mu) / sigma, ((double)grid_size - 0.5 - mu) / sigma);
    return exp(tpe_log_gauss_mass((g - 0.5 - mu) / sigma, (g + 0.5 - mu) / sigma) - inside);
}

/* One kernel per occupied cell, weighted by its count, with the bandwidth of Scott's
 * rule (Scott 1992: 1.059 min(IQR / 1.34, sd) n^-1/5) but at least 0.5 / 1.64 cells,
 * and a prior kernel centred on the grid and as wide as it. */
static void numeric_density(const double *counts, size_t grid_size, double *pdf)
{
    double cell[HPS_PED_GRID_STEPS], weight[HPS_PED_GRID_STEPS], cum[HPS_PED_GRID_STEPS];
    size_t k = 0;
    double total = 0, mean = 0;
    for (size_t g = 0; g < grid_size && k < HPS_PED_GRID_STEPS; g++) {
        if (!(counts[g] > 0))
            continue;
        cell[k] = (double)g;
        weight[k] = counts[g];
        total += counts[g];
        cum[k] = total;
        mean += (double)g * counts[g];
        k++;
    }
    mean /= total;
    double var = 0;
    for (size_t i = 0; i < k; i++)
        var += (cell[i] - mean) * (cell[i] - mean) * weight[i];
    double sd = sqrt(var / fmax(1, total - 1));
    /* The quartiles as numpy's searchsorted finds them on the cumulative counts. */
    double q1_at = floor(total / 4), q3_at = floor(total * 3 / 4);
    size_t q1 = 0, q3 = 0;
    while (q1 < k && cum[q1] < q1_at)
        q1++;
    while (q3 < k && cum[q3] <= q3_at)
        q3++;
    q1 = q1 < k ? q1 : k - 1;
    q3 = q3 < k ? q3 : k - 1;
    double iqr = cell[q3] - cell[q1];
    double sigma = 1.059 * fmin(iqr / 1.34, sd) * pow(total, -0.2);
    sigma = fmax(sigma, 0.5 / 1.64);
    double mixture = total + PED_PRIOR_WEIGHT;
    double prior_mu = (double)(grid_size - 1) / 2, prior_sigma = (double)grid_size;
    for (size_t g = 0; g < grid_size; g++) {
        double p = PED_PRIOR_WEIGHT / mixture * cell_mass((double)g, prior_mu, prior_sigma, grid_size);
        for (size_t i = 0; i < k; i++)
            p += weight[i] / mixture * cell_mass((double)g, cell[i], sigma, grid_size);
        pdf[g] = p;
    }
}

void hps_ped_density(const double *counts, size_t grid_size, int categorical, double *pdf)
{
    if (categorical)
        categorical_density(counts, grid_size, pdf);
    else
        numeric_density(counts, grid_size, pdf);
}

double hps_ped_divergence(const double *top, const double *local, size_t grid_size)
{
    double sum = 0;
    for (size_t g = 0; g < grid_size; g++) {
        double t = top[g] + PED_EPSILON;
        double l = local != NULL ? local[g] + PED_EPSILON : 1.0 / (double)grid_size;
        double r = t / l - 1;
        sum += l * r * r;
    }
    return sum;
}

/* ---- the parameters ------------------------------------------------------------------ */

static int compare_value(const hps_value *a, const hps_value *b)
{
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    switch (a->type) {
    case HPS_VALUE_STRING:
        return strcmp(a->u.s, b->u.s);
    case HPS_VALUE_INT:
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    case HPS_VALUE_FLOAT:
        return (a->u.f > b->u.f) - (a->u.f < b->u.f);
    case HPS_VALUE_BOOL:
        return (a->u.b != 0) - (b->u.b != 0);
    case HPS_VALUE_NONE:
        return 0;
    }
    return 0;
}

/* An order of distributions in which equal ones (hps_dist_equal) are neighbours. */
static int compare_dist(const hps_dist *a, const hps_dist *b)
{
    if (a == b)
        return 0;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (a->kind == HPS_DIST_CATEGORICAL) {
        if (a->n_choices != b->n_choices)
            return a->n_choices < b->n_choices ? -1 : 1;
        for (size_t i = 0; i < a->n_choices; i++) {
            int c = compare_value(&a->choices[i], &b->choices[i]);
            if (c != 0)
                return c;
        }
        return 0;
    }
    const double x[3] = {a->low, a->high, a->step}, y[3] = {b->low, b->high, b->step};
    for (int i = 0; i < 3; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return (a->flags > b->flags) - (a->flags < b->flags);
}

static int compare_obs(const void *a, const void *b)
{
    const hps_ped_obs *p = a, *q = b;
    int c = strcmp(p->name, q->name);
    if (c == 0)
        c = compare_dist(p->dist, q->dist);
    if (c == 0)
        c = (p->trial > q->trial) - (p->trial < q->trial);
    return c;
}

/* Scratch of the evaluation: counts and densities on the largest grid. */
typedef struct ped_scratch {
    double *top_counts, *region_counts, *top_pdf, *region_pdf;
} ped_scratch;

/* alpha^2 / beta times the divergence of one regime: obs[0..n) share a parameter and
 * a distribution. */
static double regime_term(const hps_ped_obs *obs, size_t n, size_t n_target, size_t n_region,
                          int evaluate_on_local, ped_scratch *s)
{
    const hps_dist *dist = obs[0].dist;
    size_t in_target = 0, in_region = 0;
    for (size_t i = 0; i < n; i++) {
        in_target += obs[i].in_target;
        in_region += obs[i].in_region;
    }
    if (in_region < PED_MIN_TRIALS_IN_REGIME || in_target == 0 || hps_dist_cardinality(dist) == 1)
        return 0;
    size_t grid = hps_ped_grid_size(dist);
    memset(s->top_counts, 0, grid * sizeof *s->top_counts);
    memset(s->region_counts, 0, grid * sizeof *s->region_counts);
    for (size_t i = 0; i < n; i++) {
        if (!obs[i].in_region)
            continue;
        size_t cell = hps_ped_grid_cell(dist, grid, obs[i].internal);
        s->region_counts[cell] += 1;
        if (obs[i].in_target)
            s->top_counts[cell] += 1;
    }
    int categorical = dist->kind == HPS_DIST_CATEGORICAL;
    hps_ped_density(s->top_counts, grid, categorical, s->top_pdf);
    const double *local = NULL;
    if (evaluate_on_local) {
        hps_ped_density(s->region_counts, grid, categorical, s->region_pdf);
        local = s->region_pdf;
    }
    double alpha = (double)in_target / (double)n_target;
    double beta = (double)in_region / (double)n_region;
    return alpha * alpha / beta * hps_ped_divergence(s->top_pdf, local, grid);
}

hps_status hps_ped_anova(hps_ped_obs *obs, size_t n_obs, size_t n_target, size_t n_region,
                         int evaluate_on_local, hps_ped_result **results_out,
                         size_t *n_results_out)
{
    *results_out = NULL;
    *n_results_out = 0;
    if (n_obs == 0)
        return HPS_OK;
    qsort(obs, n_obs, sizeof *obs, compare_obs);
    size_t n_names = 1, grid = 1;
    for (size_t i = 0; i < n_obs; i++) {
        if (i > 0 && strcmp(obs[i].name, obs[i - 1].name) != 0)
            n_names++;
        size_t g = hps_ped_grid_size(obs[i].dist);
        grid = g > grid ? g : grid;
    }
    hps_ped_result *results = hps_mem_calloc(n_names, sizeof *results);
    ped_scratch s = {
        .top_counts = hps_mem_calloc(grid, sizeof(double)),
        .region_counts = hps_mem_calloc(grid, sizeof(double)),
        .top_pdf = hps_mem_calloc(grid, sizeof(double)),
        .region_pdf = hps_mem_calloc(grid, sizeof(double)),
    };
    hps_status rc = HPS_ERR_NOMEM;
    if (results == NULL || s.top_counts == NULL || s.region_counts == NULL ||
        s.top_pdf == NULL || s.region_pdf == NULL)
        goto out;
    /* The share of the region the target is (gamma' / gamma in the paper) scales every
     * parameter alike (Theorem 4.2 of the conditional paper). */
    double scale = (double)n_target / (double)n_region;
    size_t n_results = 0;
    for (size_t start = 0; start < n_obs;) {
        size_t end = start + 1;
        while (end < n_obs && strcmp(obs[end].name, obs[start].name) == 0)
            end++;
        double importance = 0;
        for (size_t r = start; r < end;) {
            size_t r_end = r + 1;
            while (r_end < end && compare_dist(obs[r_end].dist, obs[r].dist) == 0)
                r_end++;
            importance += regime_term(obs + r, r_end - r, n_target, n_region,
                                      evaluate_on_local, &s);
            r = r_end;
        }
        results[n_results++] = (hps_ped_result){obs[start].name, importance * scale * scale};
        start = end;
    }
    *results_out = results;
    *n_results_out = n_results;
    results = NULL;
    rc = HPS_OK;
out:
    hps_mem_free(results);
    hps_mem_free(s.top_counts);
    hps_mem_free(s.region_counts);
    hps_mem_free(s.top_pdf);
    hps_mem_free(s.region_pdf);
    return rc;
}
