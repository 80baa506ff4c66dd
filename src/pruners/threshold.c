/* threshold.c -- Optuna's ThresholdPruner: stop a trial whose latest intermediate
 * value falls below `lower`, rises above `upper`, or is NaN. */
#include "base/mem.h"
#include "pruners/pruner.h"

#include <math.h>
#include <string.h>

typedef struct threshold_opts {
    double lower, upper;
    int has_bound;
    int64_t n_warmup_steps, interval_steps;
} threshold_opts;

static hps_status threshold_init(hps_pruner *pruner)
{
    threshold_opts *o = hps_mem_calloc(1, sizeof *o);
    if (o == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    o->lower = -INFINITY;
    o->upper = INFINITY;
    o->interval_steps = 1;
    pruner->impl = o;
    return HPS_OK;
}

static void threshold_destroy(hps_pruner *pruner)
{
    hps_mem_free(pruner->impl);
}

static hps_status threshold_set(hps_pruner *pruner, const char *option, const char *value)
{
    threshold_opts *o = pruner->impl;
    double d;
    if (strcmp(option, "lower") == 0 || strcmp(option, "upper") == 0) {
        if (hps_pruner_parse_double(value, 1, &d) != 0)
            return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                                  "pruner 'threshold': %s must be a number (got '%.100s')", option,
                                  value);
        *(option[0] == 'l' ? &o->lower : &o->upper) = d;
        o->has_bound = 1;
        return HPS_OK;
    }
    int64_t *slot = strcmp(option, "n_warmup_steps") == 0   ? &o->n_warmup_steps
                    : strcmp(option, "interval_steps") == 0 ? &o->interval_steps
                                                            : NULL;
    if (slot == NULL)
        return HPS_ERR_NOTFOUND;
    int64_t min = slot == &o->interval_steps ? 1 : 0;
    if (hps_pruner_parse_int(value, min, INT64_MAX, slot) != 0)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'threshold': %s must be an integer >= %lld (got '%.100s')",
                              option, (long long)min, value);
    return HPS_OK;
}

static hps_status threshold_bind(hps_pruner *pruner, const hps_context *ctx)
{
    (void)ctx;
    const threshold_opts *o = pruner->impl;
    if (!o->has_bound)
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
    .init = threshold_init,
    .destroy = threshold_destroy,
    .set_option = threshold_set,
    .bind = threshold_bind,
    .should_prune = threshold_should_prune,
};
