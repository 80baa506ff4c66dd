/* pruner.c -- creating pruners by name, their options, the catalog, shared helpers. */
#include "pruners/pruner.h"

#include "base/jsonw.h"
#include "base/mem.h"
#include "base/strbuf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const hps_pruner_ops *const registry[] = {
    &hps_none_pruner_ops,      &hps_median_pruner_ops,    &hps_percentile_pruner_ops,
    &hps_asha_pruner_ops,      &hps_hyperband_pruner_ops, &hps_threshold_pruner_ops,
    &hps_patient_pruner_ops,   &hps_forecast_pruner_ops,  &hps_auto_pruner_ops,
};

/* Optuna's class names, and the W&B / literature spellings, work too. */
static const struct {
    const char *alias, *name;
} aliases[] = {
    {"nop", "none"},
    {"successive_halving", "asha"},
    {"successivehalving", "asha"},
    {"sha", "asha"},
};

const hps_pruner_ops *hps_pruner_builtin(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcasecmp(name, aliases[i].alias) == 0)
            name = aliases[i].name;
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (strcasecmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

/* "none, median, ...": the built-in and registered pruners. */
static void known_names(hps_strbuf *sb)
{
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        hps_strbuf_printf(sb, "%s%s", i > 0 ? ", " : "", registry[i]->name);
    for (size_t i = 0; hps_pruner_registered_at(i) != NULL; i++)
        hps_strbuf_printf(sb, ", %s", hps_pruner_registered_at(i)->name);
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
        hps_strbuf known;
        hps_strbuf_init(&known, 0);
        known_names(&known);
        const char *names = hps_strbuf_text(&known);
        char msg[HPS_ERRBUF_SIZE];
        snprintf(msg, sizeof msg, "unknown pruner '%.100s' (known: %s)",
                 name != NULL ? name : "(null)", names != NULL ? names : "");
        hps_strbuf_free(&known);
        hps_errbuf_copy_out(msg, errbuf, errlen);
        return HPS_ERR_INVALID;
    }
    hps_pruner *p = hps_mem_calloc(1, sizeof *p);
    if (p == NULL) {
        hps_errbuf_copy_out("out of memory", errbuf, errlen);
        return HPS_ERR_NOMEM;
    }
    p->ops = ops;
    hps_status rc = ops->init != NULL ? ops->init(p) : HPS_OK;
    if (rc != HPS_OK) {
        hps_errbuf_copy_out(hps_errbuf_text(&p->err), errbuf, errlen);
        hps_mem_free(p);
        return rc;
    }
    rc = hps_options_init(ops->options, p->impl);
    if (rc != HPS_OK) {
        hps_errbuf_copy_out("out of memory", errbuf, errlen);
        hps_pruner_free(p);
        return rc;
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
    hps_options_free(pruner->ops->options, pruner->impl);
    if (pruner->ops->destroy != NULL)
        pruner->ops->destroy(pruner);
    hps_pruner_free(pruner->wrapped);
    hps_mem_free(pruner);
}

const char *hps_pruner_name(const hps_pruner *pruner)
{
    return pruner->ops->name;
}

int64_t hps_pruner_full_step(const hps_pruner *pruner)
{
    if (pruner == NULL || pruner->ops->full_step == NULL)
        return -1;
    return pruner->ops->full_step(pruner);
}

const char *hps_pruner_errmsg(const hps_pruner *pruner)
{
    return pruner != NULL ? hps_errbuf_text(&pruner->err) : "no pruner handle (NULL)";
}

/* The message for an option the pruner does not have, naming the ones it has (a
 * registered pruner's are known only to its set_option). */
static hps_status unknown_option(hps_pruner *pruner, const char *option)
{
    if (pruner->ops->set_option != NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID, "pruner '%s' has no option '%.100s'",
                              pruner->ops->name, option);
    if (pruner->ops->options == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner '%s' has no option '%.100s' (it has none)",
                              pruner->ops->name, option);
    hps_strbuf names;
    hps_strbuf_init(&names, 0);
    hps_options_names(&names, pruner->ops->options);
    const char *text = hps_strbuf_text(&names);
    hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                   "pruner '%s' has no option '%.100s' (its options: %s)", pruner->ops->name,
                   option, text != NULL ? text : "?");
    hps_strbuf_free(&names);
    return HPS_ERR_INVALID;
}

hps_status hps_pruner_set(hps_pruner *pruner, const char *option, const char *value)
{
    if (option == NULL || value == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID, "option and value must not be NULL");
    if (pruner->bound)
        return hps_errbuf_set(&pruner->err, HPS_ERR_STATE,
                              "pruner options must be set before the pruner joins a study");
    char owner[128];
    snprintf(owner, sizeof owner, "pruner '%.100s'", pruner->ops->name);
    hps_status rc = hps_options_set(pruner->ops->options, pruner->impl, owner, option, value,
                                    &pruner->given, &pruner->err);
    if (rc == HPS_ERR_NOTFOUND && pruner->ops->set_option != NULL)
        rc = pruner->ops->set_option(pruner, option, value);
    if (rc == HPS_ERR_NOTFOUND)
        return unknown_option(pruner, option);
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
    const hps_option *missing = hps_options_missing(pruner->ops->options, pruner->given);
    if (missing != NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID, "pruner '%s' needs %s",
                              pruner->ops->name, missing->name);
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

/* ---- the catalog ------------------------------------------------------------------ */

static void write_strategy(hps_strbuf *sb, const hps_pruner_ops *ops, int registered)
{
    hps_strbuf_puts(sb, "{\"name\": ");
    hps_jsonw_string(sb, ops->name);
    hps_strbuf_puts(sb, ", \"aliases\": [");
    size_t n = 0;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (!registered && strcmp(aliases[i].name, ops->name) == 0) {
            hps_strbuf_puts(sb, n++ > 0 ? ", " : "");
            hps_jsonw_string(sb, aliases[i].alias);
        }
    }
    hps_strbuf_puts(sb, "], \"help\": ");
    hps_jsonw_string(sb, ops->help != NULL ? ops->help : "");
    hps_strbuf_printf(sb, ", \"registered\": %s, \"options\": [", registered ? "true" : "false");
    size_t count = 0;
    hps_options_json(sb, ops->options, &count);
    hps_strbuf_puts(sb, "]}");
}

hps_status hps_pruner_catalog(char **json_out)
{
    if (json_out == NULL)
        return HPS_ERR_INVALID;
    hps_strbuf sb;
    hps_strbuf_init(&sb, 0);
    hps_strbuf_putc(&sb, '[');
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++) {
        hps_strbuf_puts(&sb, i > 0 ? ", " : "");
        write_strategy(&sb, registry[i], 0);
    }
    for (size_t i = 0; hps_pruner_registered_at(i) != NULL; i++) {
        hps_strbuf_puts(&sb, ", ");
        write_strategy(&sb, hps_pruner_registered_at(i), 1);
    }
    hps_strbuf_putc(&sb, ']');
    *json_out = hps_strbuf_take(&sb);
    return *json_out != NULL ? HPS_OK : HPS_ERR_NOMEM;
}

/* ---- helpers -------------------------------------------------------------------- */

int64_t hps_pruner_last_step(const hps_frozen *trial)
{
    return trial->n_inter > 0 ? trial->inter[trial->n_inter - 1].step : -1;
}

const hps_inter_rec *hps_pruner_step_at(const hps_frozen *trial, int64_t step)
{
    size_t lo = 0, hi = trial->n_inter;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (trial->inter[mid].step < step)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < trial->n_inter && trial->inter[lo].step == step ? &trial->inter[lo] : NULL;
}

int hps_pruner_value_at(const hps_frozen *trial, int64_t step, double *out)
{
    const hps_inter_rec *r = hps_pruner_step_at(trial, step);
    if (r == NULL)
        return 0;
    *out = r->value;
    return 1;
}

hps_status hps_pruner_needs_one_objective(hps_pruner *pruner, const hps_context *ctx)
{
    if (ctx->n_directions == 1)
        return HPS_OK;
    return hps_errbuf_set(&pruner->err, HPS_ERR_UNSUPPORTED,
                          "pruner '%s' needs a single-objective study, and this one has %zu "
                          "objectives; 'asha' and 'hyperband' prune several (by non-dominated "
                          "sorting), 'threshold' judges the first",
                          pruner->ops->name, ctx->n_directions);
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
