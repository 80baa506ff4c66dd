/*
 * config_pruner.c -- the `pruner:` key and W&B's `early_terminate:`.
 *
 *   pruner: median
 *   pruner: {name: asha, min_resource: 1, reduction_factor: 3}
 *   pruner: {name: patient, patience: 3, wraps: {name: median, n_warmup_steps: 2}}
 *   early_terminate: {type: hyperband, min_iter: 3, eta: 3}          (W&B)
 *
 * Names and options are the library's (hpsearch.h, "pruners"); they are checked here,
 * at load time, by building the pruner, so a typo is reported with its file and line
 * before anything runs.
 */
#include "cli/cli.h"
#include "config_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cfg_pruner_free(cfg_pruner *p)
{
    if (p == NULL)
        return;
    free(p->name);
    cfg_free_words(p->keys, p->n_options);
    cfg_free_words(p->values, p->n_options);
    cfg_pruner_free(p->wrapped);
    free(p);
}

static int add_option(cfg_ctx *ctx, cfg_pruner *p, const char *key, size_t key_len,
                      const char *value, size_t value_len)
{
    char **keys = realloc(p->keys, (p->n_options + 1) * sizeof *keys);
    if (keys == NULL)
        return cfg_nomem(ctx);
    p->keys = keys;
    char **values = realloc(p->values, (p->n_options + 1) * sizeof *values);
    if (values == NULL)
        return cfg_nomem(ctx);
    p->values = values;
    char *k = NULL, *v = NULL;
    if (cfg_strndup(ctx, key, key_len, &k) != 0 || cfg_strndup(ctx, value, value_len, &v) != 0) {
        free(k);
        return -2;
    }
    keys[p->n_options] = k;
    values[p->n_options] = v;
    p->n_options++;
    return 0;
}

int cfg_make_pruner(const cfg_pruner *p, hps_pruner **out, char *err, size_t errlen)
{
    *out = NULL;
    hps_pruner *pruner = NULL;
    if (hps_pruner_new(p != NULL ? p->name : CFG_DEFAULT_PRUNER, &pruner, err, errlen) != HPS_OK)
        return -1;
    for (size_t i = 0; p != NULL && i < p->n_options; i++) {
        if (hps_pruner_set(pruner, p->keys[i], p->values[i]) != HPS_OK) {
            snprintf(err, errlen, "%s", hps_pruner_errmsg(pruner));
            hps_pruner_free(pruner);
            return -1;
        }
    }
    if (p != NULL && p->wrapped != NULL) {
        hps_pruner *inner;
        if (cfg_make_pruner(p->wrapped, &inner, err, errlen) != 0) {
            hps_pruner_free(pruner);
            return -1;
        }
        if (hps_pruner_wrap(pruner, inner) != HPS_OK) {
            snprintf(err, errlen, "%s", hps_pruner_errmsg(pruner));
            hps_pruner_free(pruner);
            return -1;
        }
    }
    *out = pruner;
    return 0;
}

/* Reads a pruner from a name or a mapping; `key` names it in messages. */
static int read_pruner(cfg_ctx *ctx, const cfg_node *v, int line, const char *key, int depth,
                       cfg_pruner **out)
{
    *out = NULL;
    const cfg_node *node;
    int rc = cfg_node_deref(ctx, v, line, key, &node);
    if (rc != 0)
        return rc;
    cfg_pruner *p = calloc(1, sizeof *p);
    if (p == NULL)
        return cfg_nomem(ctx);
    p->line = cfg_node_line(node, line);
    if (node->kind != CFG_NODE_MAPPING) {
        rc = cfg_get_text(ctx, node, line, key, &p->name);
        goto out;
    }
    const cfg_node *iter = NULL;
    cfg_entry e;
    while (rc == 0 && cfg_map_next(ctx, node, &iter, line, key, &e, &rc)) {
        char where[96];
        snprintf(where, sizeof where, "%s.%.*s", key, (int)(e.len > 40 ? 40 : e.len), e.key);
        if (cfg_key_is(e.key, e.len, "name")) {
            free(p->name);
            p->name = NULL;
            rc = cfg_get_text(ctx, e.value, e.line, where, &p->name);
        } else if (cfg_key_is(e.key, e.len, "wraps")) {
            if (depth > 0)
                rc = cfg_fail(ctx, e.line, "%s: a wrapped pruner cannot wrap another", where);
            else
                rc = read_pruner(ctx, e.value, e.line, where, depth + 1, &p->wrapped);
        } else {
            cfg_scalar s;
            rc = cfg_get_scalar(ctx, e.value, e.line, where, &s);
            if (rc == 0)
                rc = add_option(ctx, p, e.key, e.len, s.text, s.len);
        }
    }
    char names[256];
    if (rc == 0 && p->name == NULL)
        rc = cfg_fail(ctx, p->line, "%s: missing name (%s)", key,
                      cli_strategy_names(CLI_PRUNERS, NULL, names, sizeof names));
out:
    if (rc != 0) {
        cfg_pruner_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* Builds the pruner once to check the name and every option now, with a line. */
static int check_pruner(cfg_ctx *ctx, const cfg_pruner *p, const char *key)
{
    char why[512];
    hps_pruner *probe;
    if (cfg_make_pruner(p, &probe, why, sizeof why) != 0)
        return cfg_fail(ctx, p->line, "%s: %s", key, why);
    hps_pruner_free(probe);
    return 0;
}

/* Installs p (taking it, also on failure). In a file, `pruner` and W&B's
 * `early_terminate` are one setting: giving both is an error, not a silent choice. */
static int replace_pruner(cfg_ctx *ctx, cfg_pruner *p, const char *key)
{
    if (ctx->file != NULL && ctx->cfg->pruner != NULL) {
        int rc = cfg_fail(ctx, p->line, "%s: the pruner is already given at line %d (pruner and "
                          "early_terminate are one setting: keep one)", key,
                          ctx->cfg->pruner->line);
        cfg_pruner_free(p);
        return rc;
    }
    /* cfg_set works on a copy: the old pruner belongs to the original until it commits
     * (cfg_free_replaced frees whichever one lost) */
    ctx->cfg->pruner = p;
    return 0;
}

int cfg_key_pruner(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    cfg_pruner *p;
    int rc = read_pruner(ctx, v, line, key, 0, &p);
    if (rc == 0)
        rc = check_pruner(ctx, p, key);
    if (rc != 0) {
        cfg_pruner_free(p);
        return rc;
    }
    rc = replace_pruner(ctx, p, key);
    if (rc == 0)
        ctx->cfg->early_terminate = 0; /* W&B's form no longer says what this pruner is */
    return rc;
}

static void write_pruner_mapping(FILE *out, const cfg_pruner *p)
{
    fputs("{name: ", out);
    cfg_write_string(out, p->name);
    for (size_t i = 0; i < p->n_options; i++) {
        fprintf(out, ", %s: ", p->keys[i]);
        cfg_write_string(out, p->values[i]);
    }
    if (p->wrapped != NULL) {
        fputs(", wraps: ", out);
        write_pruner_mapping(out, p->wrapped);
    }
    fputs("}", out);
}

void cfg_write_pruner(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    (void)given;
    if (cfg->pruner == NULL)
        return;
    fprintf(out, "%s: ", key);
    write_pruner_mapping(out, cfg->pruner);
    fputs("\n", out);
}

/* The option of the pruner early_terminate made, by name (NULL if absent). */
static const char *pruner_option(const cfg_pruner *p, const char *key)
{
    for (size_t i = 0; i < p->n_options; i++)
        if (strcmp(p->keys[i], key) == 0)
            return p->values[i];
    return NULL;
}

/* W&B's early_terminate again when it made the pruner, so the file stays a sweep file
 * W&B reads; any other pruner as `pruner:`. */
void cfg_write_early_terminate(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    const cfg_pruner *p = cfg->pruner;
    if (p == NULL || !cfg->early_terminate || pruner_option(p, "min_resource") == NULL ||
        pruner_option(p, "reduction_factor") == NULL) {
        cfg_write_pruner(out, cfg, "pruner", given);
        return;
    }
    const char *max_iter = pruner_option(p, "max_resource");
    fprintf(out, "%s: {type: hyperband, min_iter: %s, eta: %s", key,
            pruner_option(p, "min_resource"), pruner_option(p, "reduction_factor"));
    if (max_iter != NULL)
        fprintf(out, ", max_iter: %s", max_iter);
    fputs("}\n", out);
}

void cfg_release_pruner(cfg_config *a, const cfg_config *b)
{
    if (a->pruner != b->pruner)
        cfg_pruner_free(a->pruner);
}

/* W&B: early_terminate: {type: hyperband, min_iter | max_iter + s, eta}. Brackets sit at
 * min_iter * eta^k; with max_iter and s, min_iter = max_iter / eta^s. */
int cfg_key_early_terminate(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    const cfg_node *node;
    int rc = cfg_node_mapping(ctx, v, line, key, &node);
    if (rc != 0)
        return rc;
    int type_seen = 0;
    double min_iter = 0, max_iter = 0, eta = 3, s = 0;
    int has_min = 0, has_max = 0, has_s = 0;
    const cfg_node *iter = NULL;
    cfg_entry e;
    while (rc == 0 && cfg_map_next(ctx, node, &iter, line, key, &e, &rc)) {
        char where[96];
        snprintf(where, sizeof where, "%s.%.*s", key, (int)(e.len > 40 ? 40 : e.len), e.key);
        if (cfg_key_is(e.key, e.len, "type")) {
            cfg_scalar t;
            rc = cfg_get_scalar(ctx, e.value, e.line, where, &t);
            if (rc == 0 && !cfg_key_is(t.text, t.len, "hyperband"))
                rc = cfg_fail(ctx, e.line, "%s: '%.*s' is not supported (W&B's only type is "
                              "hyperband)", where, (int)(t.len > 40 ? 40 : t.len), t.text);
            type_seen = 1;
        } else if (cfg_key_is(e.key, e.len, "min_iter")) {
            rc = cfg_get_number(ctx, e.value, e.line, where, &min_iter, NULL);
            has_min = 1;
        } else if (cfg_key_is(e.key, e.len, "max_iter")) {
            rc = cfg_get_number(ctx, e.value, e.line, where, &max_iter, NULL);
            has_max = 1;
        } else if (cfg_key_is(e.key, e.len, "s")) {
            rc = cfg_get_number(ctx, e.value, e.line, where, &s, NULL);
            has_s = 1;
        } else if (cfg_key_is(e.key, e.len, "eta")) {
            rc = cfg_get_number(ctx, e.value, e.line, where, &eta, NULL);
        } else if (cfg_key_is(e.key, e.len, "strict")) {
            int strict;
            rc = cfg_get_bool(ctx, e.value, e.line, where, &strict);
            if (rc == 0 && strict)
                rc = cfg_fail(ctx, e.line, "%s: strict mode is not supported", where);
        } else {
            rc = cfg_fail(ctx, e.line, "%s: unknown key (W&B's early_terminate takes type, "
                          "min_iter, max_iter, s, eta and strict)", where);
        }
    }
    if (rc != 0)
        return rc;
    if (!type_seen)
        return cfg_fail(ctx, line, "%s: missing type (hyperband)", key);
    if (eta < 2 || eta != floor(eta))
        return cfg_fail(ctx, line, "%s.eta: must be an integer >= 2", key);
    if (has_max && !has_min) {
        if (!has_s)
            return cfg_fail(ctx, line, "%s: max_iter needs s (the number of brackets)", key);
        min_iter = floor(max_iter / pow(eta, s));
        has_min = 1;
    }
    if (!has_min)
        return cfg_fail(ctx, line, "%s: give min_iter, or max_iter and s", key);
    if (min_iter < 1 || min_iter != floor(min_iter) || min_iter > 1e15)
        return cfg_fail(ctx, line, "%s: the first bracket (min_iter) must be an integer >= 1", key);
    cfg_pruner *p = calloc(1, sizeof *p);
    if (p == NULL)
        return cfg_nomem(ctx);
    p->line = line;
    char text[64];
    rc = cfg_strndup(ctx, "hyperband", 9, &p->name);
    snprintf(text, sizeof text, "%.0f", min_iter);
    if (rc == 0)
        rc = add_option(ctx, p, "min_resource", 12, text, strlen(text));
    snprintf(text, sizeof text, "%.0f", eta);
    if (rc == 0)
        rc = add_option(ctx, p, "reduction_factor", 16, text, strlen(text));
    if (rc == 0 && has_max) {
        snprintf(text, sizeof text, "%.0f", max_iter);
        rc = add_option(ctx, p, "max_resource", 12, text, strlen(text));
    }
    if (rc == 0)
        rc = check_pruner(ctx, p, key);
    if (rc != 0) {
        cfg_pruner_free(p);
        return rc;
    }
    rc = replace_pruner(ctx, p, key);
    if (rc == 0)
        ctx->cfg->early_terminate = 1;
    return rc;
}

/* ---- fidelity ------------------------------------------------------------------------
 *   fidelity: epochs                      the parameter `epochs` is the budget: every
 *   fidelity: {name: epochs, min: 1, max: 27}   trial gets its maximum, the pruner stops
 * the others early. With only a name, the parameter's own range gives min and max. */

int cfg_key_fidelity(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    cfg_config *cfg = ctx->cfg;
    const cfg_node *node;
    int rc = cfg_node_deref(ctx, v, line, key, &node);
    if (rc != 0)
        return rc;
    cfg->fidelity_line = cfg_node_line(node, line);
    if (node->kind != CFG_NODE_MAPPING)
        return cfg_get_text(ctx, node, line, key, &cfg->fidelity);
    const cfg_node *iter = NULL;
    cfg_entry e;
    while (rc == 0 && cfg_map_next(ctx, node, &iter, line, key, &e, &rc)) {
        if (cfg_key_is(e.key, e.len, "name"))
            rc = cfg_get_text(ctx, e.value, e.line, "fidelity.name", &cfg->fidelity);
        else if (cfg_key_is(e.key, e.len, "min"))
            rc = cfg_get_number(ctx, e.value, e.line, "fidelity.min", &cfg->fidelity_min, NULL);
        else if (cfg_key_is(e.key, e.len, "max"))
            rc = cfg_get_number(ctx, e.value, e.line, "fidelity.max", &cfg->fidelity_max, NULL);
        else
            rc = cfg_fail(ctx, e.line, "fidelity: unknown key '%.*s' (fidelity takes name, min and "
                          "max)", (int)(e.len > 40 ? 40 : e.len), e.key);
    }
    if (rc == 0 && cfg->fidelity == NULL)
        rc = cfg_fail(ctx, cfg->fidelity_line, "fidelity: missing name (the budget parameter, "
                      "e.g. epochs)");
    return rc;
}

/* The name and the range the file gave or the parameter's bounds filled in; the
 * parameter itself is written as the constant it became. */
void cfg_write_fidelity(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    (void)given;
    if (cfg->fidelity == NULL)
        return;
    fprintf(out, "%s: {name: ", key);
    cfg_write_string(out, cfg->fidelity);
    fprintf(out, ", min: %.17g, max: %.17g}\n", cfg->fidelity_min, cfg->fidelity_max);
}

int cfg_apply_fidelity(cfg_ctx *ctx)
{
    cfg_config *cfg = ctx->cfg;
    if (cfg->fidelity == NULL)
        return 0;
    cfg_param *p = NULL;
    for (size_t i = 0; i < cfg->n_params; i++)
        if (strcmp(cfg->params[i].name, cfg->fidelity) == 0)
            p = &cfg->params[i];
    if (p == NULL)
        return cfg_fail(ctx, cfg->fidelity_line, "fidelity: '%s' is not a parameter; declare it "
                        "under parameters (e.g. %s: {type: int, low: 1, high: 27})",
                        cfg->fidelity, cfg->fidelity);
    if (p->kind == CFG_INT || p->kind == CFG_FLOAT) {
        if (cfg->fidelity_max <= 0)
            cfg->fidelity_max = p->high;
        if (cfg->fidelity_min <= 0)
            cfg->fidelity_min = p->low > 0 ? p->low : 1;
        /* the budget is not searched: every trial runs to the maximum, pruners cut */
        int is_int = p->kind == CFG_INT;
        free(p->values);
        p->values = calloc(1, sizeof *p->values);
        if (p->values == NULL)
            return cfg_nomem(ctx);
        p->values[0].type = is_int ? HPS_VALUE_INT : HPS_VALUE_FLOAT;
        if (is_int)
            p->values[0].u.i = (int64_t)cfg->fidelity_max;
        else
            p->values[0].u.f = cfg->fidelity_max;
        p->n_values = 1;
        p->kind = CFG_CONSTANT; /* as if written `value:`: no range left over */
        p->low = p->high = p->step = 0.0;
        p->flags = 0;
        p->grid_points = 0;
    } else if (p->kind != CFG_CONSTANT) {
        return cfg_fail(ctx, cfg->fidelity_line, "fidelity: '%s' must be a numeric parameter",
                        cfg->fidelity);
    }
    if (cfg->fidelity_max < 1 || cfg->fidelity_min < 1 || cfg->fidelity_min > cfg->fidelity_max)
        return cfg_fail(ctx, cfg->fidelity_line, "fidelity: needs 1 <= min <= max (min %g, max %g)",
                        cfg->fidelity_min, cfg->fidelity_max);
    return 0;
}
