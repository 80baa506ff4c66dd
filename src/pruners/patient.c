/* patient.c -- Optuna's PatientPruner: stop a trial only once it has not improved
 * (by more than min_delta) for `patience` steps, and then only if the wrapped pruner
 * (when there is one) agrees. */
#include "base/mem.h"
#include "pruners/pruner.h"

#include <math.h>
#include <string.h>

typedef struct patient_opts {
    int64_t patience; /* -1 until set: it is required */
    double min_delta;
} patient_opts;

static hps_status patient_init(hps_pruner *pruner)
{
    patient_opts *o = hps_mem_calloc(1, sizeof *o);
    if (o == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    o->patience = -1;
    pruner->impl = o;
    return HPS_OK;
}

static void patient_destroy(hps_pruner *pruner)
{
    hps_mem_free(pruner->impl);
}

static hps_status patient_set(hps_pruner *pruner, const char *option, const char *value)
{
    patient_opts *o = pruner->impl;
    if (strcmp(option, "patience") == 0) {
        if (hps_pruner_parse_int(value, 0, INT64_MAX, &o->patience) != 0)
            return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                                  "pruner 'patient': patience must be an integer >= 0 (got '%.100s')",
                                  value);
        return HPS_OK;
    }
    if (strcmp(option, "min_delta") == 0) {
        if (hps_pruner_parse_double(value, 0, &o->min_delta) != 0 || o->min_delta < 0)
            return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                                  "pruner 'patient': min_delta must be a number >= 0 (got '%.100s')",
                                  value);
        return HPS_OK;
    }
    return HPS_ERR_NOTFOUND;
}

static hps_status patient_bind(hps_pruner *pruner, const hps_context *ctx)
{
    (void)ctx;
    if (((patient_opts *)pruner->impl)->patience < 0)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID, "pruner 'patient' needs patience");
    return HPS_OK;
}

static double best_of(const hps_inter_rec *v, size_t n, int maximize)
{
    double best = NAN;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i].value) && (isnan(best) || (maximize ? v[i].value > best : v[i].value < best)))
            best = v[i].value;
    return best;
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

const hps_pruner_ops hps_patient_pruner_ops = {
    .name = "patient",
    .init = patient_init,
    .destroy = patient_destroy,
    .set_option = patient_set,
    .bind = patient_bind,
    .should_prune = patient_should_prune,
};
