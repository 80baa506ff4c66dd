/* threshold.c -- Optuna's ThresholdPruner: stop a trial whose latest intermediate
 * value falls below `lower`, rises above `upper`, or is NaN. */
#include "base/mem.h"
#include "pruners/pruner.h"

#include <math.h>

typedef struct threshold_opts {
    double lower, upper;
    int64_t n_warmup_steps, interval_steps;
} threshold_opts;

static hps_status threshold_init(hps_pruner *pruner)
{
    threshold_opts *o = hps_mem_calloc(1, sizeof *o);
    if (o == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    pruner->impl = o;
    return HPS_OK;
}

static void threshold_destroy(hps_pruner *pruner)
{
    hps_mem_free(pruner->impl);
}

static const hps_option threshold_options[] = {
    {.name = "lower", .type = HPS_OPTION_DOUBLE, HPS_OPTION_FIELD(threshold_opts, lower),
     .def = "-inf", .dmin = -HUGE_VAL, .dmax = HUGE_VAL, .flags = HPS_OPTION_INFINITE,
     .help = "prune below this value (lower, upper or both must be given)"},
    {.name = "upper", .type = HPS_OPTION_DOUBLE, HPS_OPTION_FIELD(threshold_opts, upper),
     .def = "inf", .dmin = -HUGE_VAL, .dmax = HUGE_VAL, .flags = HPS_OPTION_INFINITE,
     .help = "prune above this value"},
    {.name = "n_warmup_steps", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(threshold_opts, n_warmup_steps), .def = "0", .min = 0,
     .help = "no pruning before this step"},
    {.name = "interval_steps", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(threshold_opts, interval_steps), .def = "1", .min = 1,
     .help = "check every this many steps after the warm-up"},
    HPS_OPTIONS_END,
};

static hps_status threshold_bind(hps_pruner *pruner, const hps_context *ctx)
{
    (void)ctx;
    const threshold_opts *o = pruner->impl;
    if (!hps_options_given(threshold_options, pruner->given, "lower") &&
        !hps_options_given(threshold_options, pruner->given, "upper"))
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'threshold' needs lower, upper or both");
    if (o->lower > o->upper)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'threshold': lower (%g) is greater than upper (%g)", o->lower,
                              o->upper);
    return HPS_OK;
}

static hps_status threshold_should_prune(hps_pruner *pruner, const hps_context *ctx,
                                         int *prune_out)
{
    const threshold_opts *o = pruner->impl;
    const hps_frozen *t = ctx->trial;
    *prune_out = 0;
    int64_t step = hps_pruner_last_step(t);
    if (step < 0 || step < o->n_warmup_steps ||
        !hps_pruner_first_in_interval(t, step, o->n_warmup_steps, o->interval_steps))
        return HPS_OK;
    double v = t->inter[t->n_inter - 1].value;
    *prune_out = isnan(v) || v < o->lower || v > o->upper;
    return HPS_OK;
}

const hps_pruner_ops hps_threshold_pruner_ops = {
    .name = "threshold",
    .help = "the latest value is below lower, above upper, or NaN",
    .options = threshold_options,
    .init = threshold_init,
    .destroy = threshold_destroy,
    .bind = threshold_bind,
    .should_prune = threshold_should_prune,
};
