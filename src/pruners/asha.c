/* asha.c -- asynchronous successive halving (Optuna's SuccessiveHalvingPruner; Li et
 * al., "A System for Massively Parallel Hyperparameter Tuning", MLSys 2020). Trials
 * climb rungs at steps min_resource * rf^k; at each rung only the top 1/rf of the
 * values seen there so far go on. No trial waits for others: that is the
 * "asynchronous" part, which suits many workers. */
#include "pruners/asha.h"

#include "base/mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void rung_key(int64_t rung, char *buf, size_t size)
{
    snprintf(buf, size, "completed_rung_%lld", (long long)rung);
}

static int rung_value(const hps_frozen *rec, const char *key, double *out)
{
    const json_t *v = json_object_get(rec->system_attrs, key);
    if (!json_is_number(v))
        return 0;
    *out = json_number_value(v);
    return 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Optuna's _is_trial_promotable_to_next_rung (NaN sorts last, as Python's sort leaves
 * it: comparisons with NaN are false, so we drop NaNs from the competition but keep
 * their count, which is what decides the cut). */
static int promotable(double value, double *competing, size_t n, int64_t rf, int maximize)
{
    int64_t idx = (int64_t)n / rf - 1;
    if (idx < 0)
        idx = 0;
    qsort(competing, n, sizeof *competing, cmp_double);
    if (maximize)
        return value >= competing[n - 1 - (size_t)idx];
    return value <= competing[idx];
}

static int64_t estimate_min_resource(const hps_frozen *const *all, size_t n_all)
{
    int64_t last = -1;
    for (size_t i = 0; i < n_all; i++) {
        const hps_frozen *t = all[i];
        if (t != NULL && t->state == HPS_COMPLETE) {
            int64_t s = hps_pruner_last_step(t);
            if (s > last)
                last = s;
        }
    }
    if (last < 0)
        return 0;
    return last / 100 > 1 ? last / 100 : 1;
}

hps_status asha_decide(hps_pruner *pruner, const hps_context *ctx, const asha_params *params,
                       int *prune_out)
{
    const hps_frozen *t = ctx->trial;
    *prune_out = 0;
    int64_t step = hps_pruner_last_step(t);
    if (step < 0)
        return HPS_OK;
    const hps_frozen *const *all;
    size_t n_all;
    hps_status rc = hps_ctx_trials(ctx, &all, &n_all, &pruner->err);
    if (rc != HPS_OK)
        return rc;
    char key[48];
    int64_t rung = 0;
    double ignored;
    for (;; rung++) {
        rung_key(rung, key, sizeof key);
        if (!rung_value(t, key, &ignored))
            break;
    }
    double value = t->inter[t->n_inter - 1].value;
    int maximize = ctx->directions[0] == HPS_MAXIMIZE;
    double *competing = NULL;
    for (;;) {
        if (*params->min_resource == 0) {
            *params->min_resource = estimate_min_resource(all, n_all);
            if (*params->min_resource == 0)
                break;
        }
        double rung_step = (double)*params->min_resource *
                           pow((double)params->reduction_factor,
                               (double)(params->min_early_stopping_rate + rung));
        if ((double)step < rung_step)
            break;
        if (isnan(value)) {
            *prune_out = 1;
            break;
        }
        rung_key(rung, key, sizeof key);
        char text[40];
        snprintf(text, sizeof text, "%.17g", value);
        /* JSON has no infinity: the largest double stands in (it ranks the same) */
        if (isinf(value))
            snprintf(text, sizeof text, "%s1.7976931348623157e308", value < 0 ? "-" : "");
        rc = hps_ctx_set_trial_attr(ctx, key, text, &pruner->err);
        if (rc != HPS_OK)
            break;
        hps_mem_free(competing);
        competing = hps_mem_calloc(n_all + 1, sizeof *competing);
        if (competing == NULL) {
            rc = hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
            break;
        }
        size_t n = 0;
        for (size_t i = 0; i < n_all; i++) {
            const hps_frozen *other = all[i];
            double v;
            if (other == NULL || other->id == t->id || !rung_value(other, key, &v))
                continue;
            if (params->member != NULL && !params->member(params->member_ctx, other))
                continue;
            competing[n++] = v;
        }
        competing[n++] = value;
        if ((int64_t)n <= params->bootstrap_count ||
            !promotable(value, competing, n, params->reduction_factor, maximize)) {
            *prune_out = 1;
            break;
        }
        rung++;
    }
    hps_mem_free(competing);
    return rc;
}

/* ---- the asha pruner -------------------------------------------------------------- */

typedef struct asha_opts {
    int64_t min_resource; /* 0 = auto */
    int64_t reduction_factor;
    int64_t min_early_stopping_rate;
    int64_t bootstrap_count;
} asha_opts;

static hps_status asha_init(hps_pruner *pruner)
{
    asha_opts *o = hps_mem_calloc(1, sizeof *o);
    if (o == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    pruner->impl = o;
    return HPS_OK;
}

static void asha_destroy(hps_pruner *pruner)
{
    hps_mem_free(pruner->impl);
}

static const hps_option asha_options[] = {
    {.name = "min_resource", .type = HPS_OPTION_INT, HPS_OPTION_FIELD(asha_opts, min_resource),
     .def = "auto", .min = 1, .keyword = "auto", .keyword_value = 0,
     .help = "the step of the first rung (auto: the largest last step of the COMPLETE "
             "trials / 100, at least 1, fixed when first known)"},
    {.name = "reduction_factor", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(asha_opts, reduction_factor), .def = "4", .min = 2, .max = 1000000,
     .help = "rungs at steps min_resource * reduction_factor^k; the top 1/reduction_factor "
             "go on"},
    {.name = "min_early_stopping_rate", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(asha_opts, min_early_stopping_rate), .def = "0", .min = 0, .max = 1000000,
     .help = "rungs to skip before the first one that prunes"},
    {.name = "bootstrap_count", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(asha_opts, bootstrap_count), .def = "0", .min = 0, .max = 1000000,
     .help = "values a rung needs before it prunes (needs an explicit min_resource)"},
    HPS_OPTIONS_END,
};

static hps_status asha_bind(hps_pruner *pruner, const hps_context *ctx)
{
    const asha_opts *o = pruner->impl;
    if (ctx->n_directions != 1)
        return hps_errbuf_set(&pruner->err, HPS_ERR_UNSUPPORTED,
                              "pruner 'asha' needs a single-objective study");
    if (o->bootstrap_count > 0 && o->min_resource == 0)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'asha': bootstrap_count > 0 needs an explicit min_resource");
    return HPS_OK;
}

static hps_status asha_should_prune(hps_pruner *pruner, const hps_context *ctx, int *prune_out)
{
    asha_opts *o = pruner->impl;
    asha_params params = {
        .min_resource = &o->min_resource,
        .reduction_factor = o->reduction_factor,
        .min_early_stopping_rate = o->min_early_stopping_rate,
        .bootstrap_count = o->bootstrap_count,
    };
    return asha_decide(pruner, ctx, &params, prune_out);
}

const hps_pruner_ops hps_asha_pruner_ops = {
    .name = "asha",
    .help = "asynchronous successive halving: at steps min_resource * reduction_factor^k, the "
            "value is not in the top 1/reduction_factor of the values seen at that rung",
    .options = asha_options,
    .init = asha_init,
    .destroy = asha_destroy,
    .bind = asha_bind,
    .should_prune = asha_should_prune,
};
