/*
 * config_initial.c -- the `initial:` key: configurations to run before any sampled trial
 * (Ray Tune's points_to_evaluate, Optuna's enqueue_trial).
 *
 *   initial:
 *     - {lr: 0.001, optimizer: adam}
 *     - {lr: 0.01, optimizer: sgd, momentum: 0.9}
 *
 * Each entry maps parameter names to values; parameters it leaves out are sampled. The
 * entries are checked against the space once every key is read (cfg_check_initial):
 * every name a parameter, every value one it takes, every parameter active given the
 * entry's values (a conditional parameter's parents given too, so that it is never
 * fixed for a trial where it does not exist). `hpsearch run` enqueues them once, when it
 * creates the study (run_setup.h); they count against n_trials like any trial.
 */
#include "config_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_MAX_ENTRIES 10000

/* ---- reading ------------------------------------------------------------------------ */

static int read_value(cfg_ctx *ctx, const cfg_entry *e, size_t entry, hps_value *out)
{
    char where[CFG_MAX_NAME + 64];
    snprintf(where, sizeof where, "initial[%zu].%.*s", entry + 1,
             (int)(e->len > CFG_MAX_NAME ? CFG_MAX_NAME : e->len), e->key);
    cfg_scalar s;
    int rc = cfg_get_scalar(ctx, e->value, e->line, where, &s);
    if (rc != 0)
        return rc;
    if (s.type == HPS_VALUE_NONE)
        return cfg_fail(ctx, s.line, "%s: a value is needed (leave the parameter out to have it "
                        "sampled)", where);
    if (s.type == HPS_VALUE_FLOAT && !isfinite(s.f))
        return cfg_fail(ctx, s.line, "%s: not a finite number", where);
    out->type = s.type;
    if (s.type == HPS_VALUE_STRING) {
        char *copy;
        rc = cfg_strndup(ctx, s.text, s.len, &copy);
        out->u.s = copy;
        return rc;
    }
    if (s.type == HPS_VALUE_INT)
        out->u.i = s.i;
    else if (s.type == HPS_VALUE_FLOAT)
        out->u.f = s.f;
    else
        out->u.b = s.b;
    return 0;
}

static int read_entry(cfg_ctx *ctx, const cfg_node *item, int line, size_t index,
                      cfg_initial *out)
{
    char where[64];
    snprintf(where, sizeof where, "initial[%zu]", index + 1);
    const cfg_node *map;
    int rc = cfg_node_mapping(ctx, item, line, where, &map);
    if (rc != 0)
        return rc;
    out->line = line;
    size_t cap = map->count / 2;
    if (cap == 0)
        return cfg_fail(ctx, line, "%s: the mapping is empty; give a value for at least one "
                        "parameter, e.g. {lr: 0.01}", where);
    out->names = calloc(cap, sizeof *out->names);
    out->values = calloc(cap, sizeof *out->values);
    out->lines = calloc(cap, sizeof *out->lines);
    if (out->names == NULL || out->values == NULL || out->lines == NULL)
        return cfg_nomem(ctx);
    const cfg_node *iter = NULL;
    cfg_entry e;
    while (rc == 0 && cfg_map_next(ctx, map, &iter, line, where, &e, &rc)) {
        rc = cfg_strndup(ctx, e.key, e.len, &out->names[out->n]);
        if (rc == 0)
            rc = read_value(ctx, &e, index, &out->values[out->n]);
        out->lines[out->n] = cfg_node_line(e.value, e.line);
        out->n++;
    }
    return rc;
}

int cfg_key_initial(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    const cfg_node *seq;
    int rc = cfg_node_sequence(ctx, v, line, key, &seq);
    if (rc != 0)
        return rc;
    if (seq->count == 0)
        return cfg_fail(ctx, line, "initial: the list is empty (leave initial out to sample "
                        "every trial)");
    if (seq->count > INITIAL_MAX_ENTRIES)
        return cfg_fail(ctx, line, "initial: more than %d configurations", INITIAL_MAX_ENTRIES);
    cfg_config *cfg = ctx->cfg;
    cfg->initial = calloc(seq->count, sizeof *cfg->initial);
    if (cfg->initial == NULL)
        return cfg_nomem(ctx);
    for (const cfg_node *item = seq->first; rc == 0 && item != NULL; item = item->next) {
        size_t index = cfg->n_initial++; /* counted first: release frees a partial entry */
        rc = read_entry(ctx, item, cfg_node_line(item, line), index, &cfg->initial[index]);
    }
    return rc;
}

/* ---- checking against the space ---------------------------------------------------------- */

static int number_of(hps_value v, double *out)
{
    if (v.type == HPS_VALUE_INT)
        *out = (double)v.u.i;
    else if (v.type == HPS_VALUE_FLOAT)
        *out = v.u.f;
    else
        return 0;
    return 1;
}

int cfg_param_holds(const cfg_param *p, hps_value v)
{
    double x = NAN, y;
    int numeric = number_of(v, &x);
    if (p->n_values > 0) {
        for (size_t k = 0; k < p->n_values; k++) {
            if (cfg_value_compare(&v, &p->values[k]) == 0 ||
                (p->kind != CFG_CATEGORICAL && numeric && number_of(p->values[k], &y) && x == y))
                return 1;
        }
        return 0;
    }
    if (!numeric || x < p->low || x > p->high)
        return 0;
    double step = p->step > 0 ? p->step : (p->kind == CFG_INT ? 1 : 0);
    if (step > 0) {
        double k = (x - p->low) / step;
        return fabs(k - nearbyint(k)) < 1e-9 * fmax(1.0, fabs(k));
    }
    return 1;
}

void cfg_describe_takes(const cfg_param *p, char *buf, size_t size)
{
    if (p->n_values > 0) {
        size_t used = (size_t)snprintf(buf, size, "%s", p->n_values == 1 ? "only" : "one of");
        for (size_t k = 0; k < p->n_values && k < 8 && used < size; k++) {
            char text[64];
            cfg_value_describe(&p->values[k], text, sizeof text);
            used += (size_t)snprintf(buf + used, size - used, "%s %s", k > 0 ? "," : "", text);
        }
        if (p->n_values > 8 && used < size)
            snprintf(buf + used, size - used, ", ...");
        return;
    }
    double step = p->step > 0 ? p->step : (p->kind == CFG_INT ? 1 : 0);
    int n = snprintf(buf, size, "%s from %.15g to %.15g", p->kind == CFG_INT ? "a whole number"
                                                                             : "a number",
                     p->low, p->high);
    if (step > 0 && !(p->kind == CFG_INT && step == 1) && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, " in steps of %.15g", step);
}

static long find_param(const cfg_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_params; i++)
        if (strcmp(cfg->params[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Where a parameter's definition is, for a message about an entry: its line in the file
 * being read; with no file (cfg_initial_fits, on a space narrow has changed) the lines
 * are the old file's, where the old range is, so the message names the space instead. */
static const char *definition_at(const cfg_ctx *ctx, int line, char *buf, size_t size)
{
    if (ctx->file != NULL)
        snprintf(buf, size, "line %d", line);
    else
        snprintf(buf, size, "in the narrowed space");
    return buf;
}

/* Names and values of one entry; `given[i]` is the entry's index of parameter i + 1
 * (0: not given). */
static int check_values(cfg_ctx *ctx, const cfg_initial *in, size_t index, size_t *given)
{
    const cfg_config *cfg = ctx->cfg;
    for (size_t k = 0; k < in->n; k++) {
        long i = find_param(cfg, in->names[k]);
        if (i < 0) {
            char names[512] = "";
            for (size_t j = 0; j < cfg->n_params && strlen(names) + 64 < sizeof names; j++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         j > 0 ? ", " : "", cfg->params[j].name);
            return cfg_fail(ctx, in->lines[k], "initial[%zu].%s: no such parameter (the "
                            "parameters are %s)", index + 1, in->names[k], names);
        }
        const cfg_param *p = &cfg->params[i];
        if (cfg->fidelity != NULL && strcmp(cfg->fidelity, p->name) == 0)
            return cfg_fail(ctx, in->lines[k], "initial[%zu].%s: '%s' is the fidelity, which "
                            "is not searched: every trial gets its maximum", index + 1,
                            p->name, p->name);
        if (!cfg_param_holds(p, in->values[k])) {
            char what[64], takes[512], defined[64];
            cfg_value_describe(&in->values[k], what, sizeof what);
            cfg_describe_takes(p, takes, sizeof takes);
            return cfg_fail(ctx, in->lines[k], "initial[%zu].%s: %s is not a value '%s' takes "
                            "(%s; %s)", index + 1, p->name, what, p->name, takes,
                            definition_at(ctx, p->line, defined, sizeof defined));
        }
        given[i] = k + 1;
    }
    return 0;
}

/* Every given parameter must be active given the entry's other values: a value for a
 * parameter that the trial does not have would be silently dropped. */
static int check_active(cfg_ctx *ctx, const cfg_initial *in, size_t index, const size_t *given,
                        size_t *order, hps_value *values, unsigned char *state)
{
    const cfg_config *cfg = ctx->cfg;
    cfg_condition_order(cfg, order);
    for (size_t o = 0; o < cfg->n_params; o++) {
        size_t i = order[o];
        int active = cfg_param_active(cfg, i, values, state);
        if (given[i] == 0) {
            /* sampled: known inactive, or undecided for its children */
            state[i] = active == 0 ? CFG_INACTIVE : CFG_UNDECIDED;
            continue;
        }
        const cfg_param *p = &cfg->params[i];
        int at = in->lines[given[i] - 1];
        for (size_t c = 0; active != 1 && c < p->n_when; c++) {
            const cfg_condition *cond = &p->when[c];
            unsigned char parent = state[cond->parent_index];
            if (parent == CFG_ACTIVE && cfg_condition_holds(cond, &values[cond->parent_index]))
                continue;
            char condition[512], defined[64];
            cfg_describe_condition(cond, condition, sizeof condition);
            definition_at(ctx, cond->line, defined, sizeof defined);
            if (parent == CFG_UNDECIDED)
                return cfg_fail(ctx, at, "initial[%zu].%s: '%s' exists only when %s (%s), "
                                "and this entry leaves '%s' to be sampled; give '%s' too",
                                index + 1, p->name, p->name, condition, defined,
                                cond->parent, cond->parent);
            return cfg_fail(ctx, at, "initial[%zu].%s: '%s' is inactive in this entry: it "
                            "exists only when %s (%s)", index + 1, p->name, p->name,
                            condition, defined);
        }
        state[i] = CFG_ACTIVE;
        values[i] = in->values[given[i] - 1];
    }
    return 0;
}

int cfg_check_initial(cfg_ctx *ctx)
{
    cfg_config *cfg = ctx->cfg;
    if (cfg->n_initial == 0)
        return 0;
    if (cfg->n_trials > 0 && cfg->n_initial > cfg->n_trials)
        return cfg_fail(ctx, *cfg_key_line(ctx, "initial"), "initial: %zu configurations, more "
                        "than the budget of %llu trials (n_trials)", cfg->n_initial,
                        (unsigned long long)cfg->n_trials);
    size_t n = cfg->n_params;
    size_t *given = calloc(n, sizeof *given), *order = calloc(n, sizeof *order);
    hps_value *values = calloc(n, sizeof *values);
    unsigned char *state = calloc(n, 1);
    int rc = given == NULL || order == NULL || values == NULL || state == NULL ? cfg_nomem(ctx) : 0;
    for (size_t e = 0; rc == 0 && e < cfg->n_initial; e++) {
        memset(given, 0, n * sizeof *given);
        memset(state, 0, n);
        rc = check_values(ctx, &cfg->initial[e], e, given);
        if (rc == 0)
            rc = check_active(ctx, &cfg->initial[e], e, given, order, values, state);
    }
    free(given);
    free(order);
    free(values);
    free(state);
    return rc;
}

/* ---- keeping the entries a changed space still holds (hpsearch narrow) ----------------------- */

static void release_entry(cfg_initial *in)
{
    for (size_t k = 0; k < in->n; k++) {
        free(in->names[k]);
        cfg_value_clear(&in->values[k]);
    }
    free(in->names);
    free(in->values);
    free(in->lines);
}

int cfg_initial_fits(cfg_config *cfg, size_t e, char *why, size_t size)
{
    /* the file's own checks, on the space as it is now; no file: the caller places it */
    cfg_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.err = why;
    ctx.errlen = size;
    ctx.cfg = cfg;
    ctx.quiet = 1;
    size_t n = cfg->n_params;
    size_t *given = calloc(n + 1, sizeof *given), *order = calloc(n + 1, sizeof *order);
    hps_value *values = calloc(n + 1, sizeof *values);
    unsigned char *state = calloc(n + 1, 1);
    int rc = given == NULL || order == NULL || values == NULL || state == NULL ? cfg_nomem(&ctx) : 0;
    if (rc == 0)
        rc = check_values(&ctx, &cfg->initial[e], e, given);
    if (rc == 0)
        rc = check_active(&ctx, &cfg->initial[e], e, given, order, values, state);
    free(given);
    free(order);
    free(values);
    free(state);
    return rc;
}

void cfg_initial_remove(cfg_config *cfg, size_t e)
{
    if (e >= cfg->n_initial)
        return;
    release_entry(&cfg->initial[e]);
    memmove(&cfg->initial[e], &cfg->initial[e + 1],
            (cfg->n_initial - e - 1) * sizeof *cfg->initial);
    cfg->n_initial--;
}

/* ---- writing back, freeing ------------------------------------------------------------------ */

void cfg_write_initial(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    (void)given;
    if (cfg->n_initial == 0)
        return;
    fprintf(out, "%s:\n", key);
    for (size_t e = 0; e < cfg->n_initial; e++) {
        const cfg_initial *in = &cfg->initial[e];
        fputs("  - {", out);
        for (size_t k = 0; k < in->n; k++) {
            fprintf(out, "%s", k > 0 ? ", " : "");
            cfg_write_string(out, in->names[k]);
            fputs(": ", out);
            cfg_write_value(out, &in->values[k]);
        }
        fputs("}\n", out);
    }
}

void cfg_release_initial(cfg_config *a, const cfg_config *b)
{
    if (a->initial == b->initial)
        return;
    for (size_t e = 0; e < a->n_initial; e++)
        release_entry(&a->initial[e]);
    free(a->initial);
}
