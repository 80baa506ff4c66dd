/* patient.c -- Optuna's PatientPruner: stop a trial only once it has not improved
 * (by more than min_delta) for `patience` steps, and then only if the wrapped pruner
 * (when there is one) agrees. */
#include "base/mem.h"
#include "pruners/pruner.h"

#include <math.h>

typedef struct patient_opts {
    int64_t patience;
    double min_delta;
} patient_opts;

static hps_status patient_init(hps_pruner *pruner)
{
    patient_opts *o = hps_mem_calloc(1, sizeof *o);
    if (o == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    pruner->impl = o;
    return HPS_OK;
}

static void patient_destroy(hps_pruner *pruner)
{
    hps_mem_free(pruner->impl);
}

/* patience has no default: hps_pruner_bind refuses the pruner until it is given */
static const hps_option patient_options[] = {
    {.name = "patience", .type = HPS_OPTION_INT, HPS_OPTION_FIELD(patient_opts, patience),
     .min = 0, .flags = HPS_OPTION_REQUIRED,
     .help = "steps without improvement a trial is allowed"},
    {.name = "min_delta", .type = HPS_OPTION_DOUBLE, HPS_OPTION_FIELD(patient_opts, min_delta),
     .def = "0", .dmin = 0, .dmax = HUGE_VAL,
     .help = "a smaller improvement does not count"},
    HPS_OPTIONS_END,
};

static double best_of(const hps_inter_rec *v, size_t n, int maximize)
{
    double best = NAN;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i].value) && (isnan(best) || (maximize ? v[i].value > best : v[i].value < best)))
            best = v[i].value;
    return best;
}

/* "No improvement" needs one direction to improve in. */
static hps_status patient_bind(hps_pruner *pruner, const hps_context *ctx)
{
    return hps_pruner_needs_one_objective(pruner, ctx);
}

static hps_status patient_should_prune(hps_pruner *pruner, const hps_context *ctx,
                                       int *prune_out)
{
    const patient_opts *o = pruner->impl;
    const hps_frozen *t = ctx->trial;
    *prune_out = 0;
    size_t n = t->n_inter;
    if (n == 0 || n <= (size_t)o->patience + 1)
        return HPS_OK;
    size_t split = n - (size_t)o->patience - 1;
    int maximize = ctx->directions[0] == HPS_MAXIMIZE;
    double before = best_of(t->inter, split, maximize);
    double after = best_of(t->inter + split, n - split, maximize);
    /* numpy's nanmin of all-NaN is NaN, and comparisons with NaN are false */
    int stalled = maximize ? before - o->min_delta > after : before + o->min_delta < after;
    if (!stalled)
        return HPS_OK;
    if (pruner->wrapped == NULL) {
        *prune_out = 1;
        return HPS_OK;
    }
    hps_status rc = pruner->wrapped->ops->should_prune(pruner->wrapped, ctx, prune_out);
    if (rc != HPS_OK)
        pruner->err = pruner->wrapped->err;
    return rc;
}

/* A wrapped scheduler that pauses trials (asha's and hyperband's promotion mode, the
 * forecast's freeze-thaw) keeps scheduling them: patience only adds a reason to stop. */
static hps_status patient_max_step(hps_pruner *pruner, const hps_context *ctx,
                                   int64_t *max_step_out)
{
    *max_step_out = -1;
    hps_pruner *inner = pruner->wrapped;
    if (inner == NULL || inner->ops->max_step == NULL)
        return HPS_OK;
    hps_status rc = inner->ops->max_step(inner, ctx, max_step_out);
    if (rc != HPS_OK)
        pruner->err = inner->err;
    return rc;
}

static hps_status patient_promote(hps_pruner *pruner, const hps_context *ctx,
                                  int64_t *number_out)
{
    *number_out = -1;
    hps_pruner *inner = pruner->wrapped;
    if (inner == NULL || inner->ops->promote == NULL)
        return HPS_OK;
    hps_status rc = inner->ops->promote(inner, ctx, number_out);
    if (rc != HPS_OK)
        pruner->err = inner->err;
    return rc;
}

static int64_t patient_full_step(const hps_pruner *pruner)
{
    return hps_pruner_full_step(pruner->wrapped);
}

const hps_pruner_ops hps_patient_pruner_ops = {
    .name = "patient",
    .help = "no improvement by more than min_delta for patience steps -- and, when it wraps "
            "another pruner, that one agrees",
    .options = patient_options,
    .init = patient_init,
    .destroy = patient_destroy,
    .bind = patient_bind,
    .should_prune = patient_should_prune,
    .max_step = patient_max_step,
    .promote = patient_promote,
    .full_step = patient_full_step,
};
