/* percentile.c -- the median and percentile pruners (Optuna's MedianPruner and
 * PercentilePruner): stop a trial whose best intermediate value so far is worse than
 * the given percentile of the COMPLETE trials' values at the same step. */
#include "base/mem.h"
#include "pruners/pruner.h"

#include <math.h>
#include <stdlib.h>

typedef struct percentile_opts {
    double percentile;       /* 0..100: keep the trials better than this percentile */
    int64_t n_startup_trials; /* no pruning before this many trials completed */
    int64_t n_warmup_steps;   /* no pruning before this step */
    int64_t interval_steps;   /* check every this many steps after the warm-up */
    int64_t n_min_trials;     /* need this many values at the step to judge */
} percentile_opts;

static hps_status percentile_init(hps_pruner *pruner)
{
    percentile_opts *o = hps_mem_calloc(1, sizeof *o);
    if (o == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    pruner->impl = o;
    return HPS_OK;
}

/* The median is the 50th percentile, and not an option of the median pruner. */
static hps_status median_init(hps_pruner *pruner)
{
    hps_status rc = percentile_init(pruner);
    if (rc == HPS_OK)
        ((percentile_opts *)pruner->impl)->percentile = 50;
    return rc;
}

static void percentile_destroy(hps_pruner *pruner)
{
    hps_mem_free(pruner->impl);
}

/* The median pruner takes every option of the percentile pruner but the first. */
static const hps_option percentile_options[] = {
    {.name = "percentile", .type = HPS_OPTION_DOUBLE, HPS_OPTION_FIELD(percentile_opts, percentile),
     .def = "50", .dmin = 0, .dmax = 100,
     .help = "keep the trials better than this percentile (25: the best quarter)"},
    {.name = "n_startup_trials", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(percentile_opts, n_startup_trials), .def = "5", .min = 0,
     .help = "no pruning until this many trials completed"},
    {.name = "n_warmup_steps", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(percentile_opts, n_warmup_steps), .def = "0", .min = 0,
     .help = "no pruning before this step"},
    {.name = "interval_steps", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(percentile_opts, interval_steps), .def = "1", .min = 1,
     .help = "check every this many steps after the warm-up"},
    {.name = "n_min_trials", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(percentile_opts, n_min_trials), .def = "1", .min = 1,
     .help = "judge a step only when this many trials reported a value there"},
    HPS_OPTIONS_END,
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy.nanpercentile with linear interpolation (Optuna's definition); NaN when every
 * value is NaN. Reorders `values`. */
static double nan_percentile(double *values, size_t n, double q)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(values[i]))
            values[m++] = values[i];
    if (m == 0)
        return NAN;
    qsort(values, m, sizeof *values, cmp_double);
    double pos = q / 100.0 * (double)(m - 1);
    size_t lo = (size_t)floor(pos);
    size_t hi = lo + 1 < m ? lo + 1 : lo;
    double frac = pos - (double)lo;
    return values[lo] + frac * (values[hi] - values[lo]);
}

/* The trial's best value and the others' are compared along one direction. */
static hps_status percentile_bind(hps_pruner *pruner, const hps_context *ctx)
{
    return hps_pruner_needs_one_objective(pruner, ctx);
}

static hps_status percentile_should_prune(hps_pruner *pruner, const hps_context *ctx,
                                          int *prune_out)
{
    const percentile_opts *o = pruner->impl;
    const hps_frozen *t = ctx->trial;
    *prune_out = 0;
    const hps_frozen *const *all;
    size_t n_all;
    hps_status rc = hps_ctx_trials(ctx, &all, &n_all, &pruner->err);
    if (rc != HPS_OK)
        return rc;
    size_t n_complete = 0;
    for (size_t i = 0; i < n_all; i++)
        n_complete += all[i] != NULL && all[i]->state == HPS_COMPLETE;
    if (n_complete == 0 || (int64_t)n_complete < o->n_startup_trials)
        return HPS_OK;
    int64_t step = hps_pruner_last_step(t);
    if (step < 0 || step < o->n_warmup_steps)
        return HPS_OK;
    if (!hps_pruner_first_in_interval(t, step, o->n_warmup_steps, o->interval_steps))
        return HPS_OK;
    int maximize = ctx->directions[0] == HPS_MAXIMIZE;
    double best = NAN;
    for (size_t i = 0; i < t->n_inter; i++) {
        double v = t->inter[i].value;
        if (!isnan(v) && (isnan(best) || (maximize ? v > best : v < best)))
            best = v;
    }
    if (isnan(best)) {
        *prune_out = 1;
        return HPS_OK;
    }
    double *values = hps_mem_calloc(n_complete, sizeof *values);
    if (values == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < n_all; i++) {
        const hps_frozen *c = all[i];
        if (c != NULL && c->state == HPS_COMPLETE && hps_pruner_value_at(c, step, &values[n]))
            n++;
    }
    double p = NAN;
    if ((int64_t)n >= o->n_min_trials)
        p = nan_percentile(values, n, maximize ? 100 - o->percentile : o->percentile);
    hps_mem_free(values);
    if (!isnan(p))
        *prune_out = maximize ? best < p : best > p;
    return HPS_OK;
}

const hps_pruner_ops hps_median_pruner_ops = {
    .name = "median",
    .help = "the trial's best value so far is worse than the median of the COMPLETE trials' "
            "values at the same step",
    .options = percentile_options + 1,
    .init = median_init,
    .destroy = percentile_destroy,
    .bind = percentile_bind,
    .should_prune = percentile_should_prune,
};

const hps_pruner_ops hps_percentile_pruner_ops = {
    .name = "percentile",
    .help = "the same against a percentile of those values",
    .options = percentile_options,
    .init = percentile_init,
    .destroy = percentile_destroy,
    .bind = percentile_bind,
    .should_prune = percentile_should_prune,
};
