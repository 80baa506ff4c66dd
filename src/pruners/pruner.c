/* pruner.c -- creating pruners by name, their options, and shared helpers. */
#include "pruners/pruner.h"

#include "base/mem.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const hps_pruner_ops *const registry[] = {
    &hps_none_pruner_ops,      &hps_median_pruner_ops,    &hps_percentile_pruner_ops,
    &hps_asha_pruner_ops,      &hps_hyperband_pruner_ops, &hps_threshold_pruner_ops,
    &hps_patient_pruner_ops,
};

const hps_pruner_ops *hps_pruner_builtin(const char *name)
{
    if (name == NULL)
        return NULL;
    /* Optuna's class names, and the W&B / literature spellings, work too. */
    static const struct {
        const char *alias, *name;
    } aliases[] = {
        {"nop", "none"},           {"successive_halving", "asha"},
        {"successivehalving", "asha"}, {"sha", "asha"},
    };
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcasecmp(name, aliases[i].alias) == 0)
            name = aliases[i].name;
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (strcasecmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

hps_status hps_pruner_new(const char *name, hps_pruner **out, char *errbuf, size_t errlen)
{
    if (out == NULL)
        return HPS_ERR_INVALID;
    *out = NULL;
    const hps_pruner_ops *ops = hps_pruner_builtin(name);
    if (ops == NULL && name != NULL)
        ops = hps_pruner_registered(name);
    if (ops == NULL) {
        char known[256] = "";
        size_t used = 0;
        for (size_t i = 0; i < sizeof registry / sizeof registry[0] && used < sizeof known; i++) {
            int k = snprintf(known + used, sizeof known - used, "%s%s", i > 0 ? ", " : "",
                             registry[i]->name);
            if (k > 0)
                used += (size_t)k;
        }
        char msg[512];
        snprintf(msg, sizeof msg, "unknown pruner '%.100s' (known: %s)",
                 name != NULL ? name : "(null)", known);
        hps_errbuf_copy_out(msg, errbuf, errlen);
        return HPS_ERR_INVALID;
    }
    hps_pruner *p = hps_mem_calloc(1, sizeof *p);
    if (p == NULL) {
        hps_errbuf_copy_out("out of memory", errbuf, errlen);
        return HPS_ERR_NOMEM;
    }
    p->ops = ops;
    if (ops->init != NULL) {
        hps_status rc = ops->init(p);
        if (rc != HPS_OK) {
            hps_errbuf_copy_out(hps_errbuf_text(&p->err), errbuf, errlen);
            hps_mem_free(p);
            return rc;
        }
    }
    *out = p;
    return HPS_OK;
}

hps_pruner *hps_pruner_none_new(void)
{
    hps_pruner *p = NULL;
    hps_pruner_new("none", &p, NULL, 0);
    return p;
}

void hps_pruner_free(hps_pruner *pruner)
{
    if (pruner == NULL)
        return;
    if (pruner->ops->destroy != NULL)
        pruner->ops->destroy(pruner);
    hps_pruner_free(pruner->wrapped);
    hps_mem_free(pruner);
}

const char *hps_pruner_name(const hps_pruner *pruner)
{
    return pruner->ops->name;
}

const char *hps_pruner_errmsg(const hps_pruner *pruner)
{
    return pruner != NULL ? hps_errbuf_text(&pruner->err) : "no pruner handle (NULL)";
}

hps_status hps_pruner_set(hps_pruner *pruner, const char *option, const char *value)
{
    if (option == NULL || value == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID, "option and value must not be NULL");
    if (pruner->bound)
        return hps_errbuf_set(&pruner->err, HPS_ERR_STATE,
                              "pruner options must be set before the pruner joins a study");
    hps_status rc = HPS_ERR_NOTFOUND;
    if (pruner->ops->set_option != NULL)
        rc = pruner->ops->set_option(pruner, option, value);
    if (rc == HPS_ERR_NOTFOUND)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID, "pruner '%s' has no option '%.100s'",
                              pruner->ops->name, option);
    return rc;
}

hps_status hps_pruner_wrap(hps_pruner *pruner, hps_pruner *inner)
{
    if (inner == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID, "the wrapped pruner is NULL");
    if (pruner->ops != &hps_patient_pruner_ops) {
        hps_pruner_free(inner);
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "only the patient pruner wraps another (this is '%s')",
                              pruner->ops->name);
    }
    if (pruner->bound) {
        hps_pruner_free(inner);
        return hps_errbuf_set(&pruner->err, HPS_ERR_STATE,
                              "the pruner already belongs to a study");
    }
    hps_pruner_free(pruner->wrapped);
    pruner->wrapped = inner;
    return HPS_OK;
}

hps_status hps_pruner_bind(hps_pruner *pruner, const hps_context *ctx)
{
    if (pruner->bound)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "this pruner already belongs to another study");
    if (pruner->ops->bind != NULL) {
        hps_status rc = pruner->ops->bind(pruner, ctx);
        if (rc != HPS_OK)
            return rc;
    }
    if (pruner->wrapped != NULL) {
        hps_status rc = hps_pruner_bind(pruner->wrapped, ctx);
        if (rc != HPS_OK) {
            pruner->err = pruner->wrapped->err;
            return rc;
        }
    }
    pruner->bound = 1;
    return HPS_OK;
}

/* ---- helpers -------------------------------------------------------------------- */

int hps_pruner_parse_int(const char *text, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int hps_pruner_parse_double(const char *text, int allow_inf, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || isnan(v) || (!allow_inf && isinf(v)))
        return -1;
    *out = v;
    return 0;
}

int64_t hps_pruner_last_step(const hps_frozen *trial)
{
    return trial->n_inter > 0 ? trial->inter[trial->n_inter - 1].step : -1;
}

int hps_pruner_value_at(const hps_frozen *trial, int64_t step, double *out)
{
    size_t lo = 0, hi = trial->n_inter;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (trial->inter[mid].step < step)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < trial->n_inter && trial->inter[lo].step == step) {
        *out = trial->inter[lo].value;
        return 1;
    }
    return 0;
}

int hps_pruner_first_in_interval(const hps_frozen *trial, int64_t step, int64_t warmup,
                                 int64_t interval)
{
    int64_t nearest_pruning_step = (step - warmup) / interval * interval + warmup;
    int64_t second_last = -1;
    for (size_t i = 0; i < trial->n_inter; i++) {
        int64_t s = trial->inter[i].step;
        if (s > second_last && s != step)
            second_last = s;
    }
    return second_last < nearest_pruning_step;
}
