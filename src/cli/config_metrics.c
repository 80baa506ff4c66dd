/*
 * config_metrics.c -- what a trial's output is read for: the study's objectives
 * (`metric` with `direction`, W&B's `metric` with its goal, or the list `metrics`) and
 * the trial's constraints (`constraints`). Every entry is a cfg_metric: a name, or a
 * regex with the name as its label, and the summary that picks the run's value.
 *
 * `metric` and `direction` describe one objective and may each be overridden with
 * `--set`; an override changes a copy of the objective (config_set.c keeps the config
 * as it was until the override is accepted), so readers here never write into an array
 * they did not allocate (cfg_ctx.own_objectives).
 */
#include "config_internal.h"

#include "runner/metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRIC_NAME_RULE                                                                   \
    "a metric name is a letter or _ followed by letters, digits, _ . / -; or read it "     \
    "with a regex: "

static void cfg_metric_clear(cfg_metric *m)
{
    free(m->name);
    free(m->regex);
    m->name = m->regex = NULL;
}

static void cfg_metrics_free(cfg_metric *list, size_t n)
{
    for (size_t k = 0; list != NULL && k < n; k++)
        cfg_metric_clear(&list[k]);
    free(list);
}

static int cfg_read_regex(cfg_ctx *ctx, const cfg_node *v, int line, const char *key,
                          char **out)
{
    char *pattern = NULL, why[300];
    int rc = cfg_get_text(ctx, v, line, key, &pattern);
    if (rc != 0)
        return rc;
    if (metric_regex_check(pattern, why, sizeof why) != 0) {
        free(pattern);
        return cfg_fail(ctx, cfg_node_line(v, line), "%s: %s", key, why);
    }
    free(*out);
    *out = pattern;
    return 0;
}

/* The one objective `metric` and `direction` describe, writable: created on first use,
 * copied once when an override changes the config's. */
static int cfg_single_objective(cfg_ctx *ctx, cfg_metric **out)
{
    cfg_config *cfg = ctx->cfg;
    if (cfg->objectives == NULL || cfg->objectives != ctx->own_objectives) {
        cfg_metric *fresh = calloc(1, sizeof *fresh);
        if (fresh == NULL)
            return cfg_nomem(ctx);
        fresh->direction = HPS_MINIMIZE;
        fresh->summary = CFG_SUMMARY_LAST;
        if (cfg->objectives != NULL) {
            const cfg_metric *old = &cfg->objectives[0];
            *fresh = *old;
            fresh->name = old->name != NULL ? strdup(old->name) : NULL;
            fresh->regex = old->regex != NULL ? strdup(old->regex) : NULL;
            if ((old->name != NULL && fresh->name == NULL) ||
                (old->regex != NULL && fresh->regex == NULL)) {
                cfg_metrics_free(fresh, 1);
                return cfg_nomem(ctx);
            }
        }
        cfg->objectives = ctx->own_objectives = fresh;
        cfg->n_objectives = 1;
    }
    *out = &cfg->objectives[0];
    return 0;
}

int cfg_key_metric(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    cfg_config *cfg = ctx->cfg;
    const cfg_node *map;
    cfg_metric *m;
    char *name = NULL;
    int rc = cfg_node_deref(ctx, v, line, key, &map);
    if (rc == 0)
        rc = cfg_single_objective(ctx, &m);
    if (rc != 0)
        return rc;
    m->line = cfg_node_line(map, line);
    if (map->kind != CFG_NODE_MAPPING) {
        rc = cfg_get_text(ctx, map, line, key, &name);
        if (rc != 0)
            return rc;
        free(m->name);
        m->name = name;
        free(m->regex); /* it was written for the name this one replaces */
        m->regex = NULL;
        return 0;
    }
    /* {name, regex, summary}; W&B adds goal and target, and impute* only steer its bayes
     * method. */
    const cfg_node *iter = NULL;
    cfg_entry e;
    while (rc == 0 && cfg_map_next(ctx, map, &iter, line, "metric", &e, &rc)) {
        if (cfg_key_is(e.key, e.len, "name")) {
            rc = cfg_get_text(ctx, e.value, e.line, "metric.name", &name);
            if (rc == 0) {
                free(m->name);
                m->name = name;
            }
        } else if (cfg_key_is(e.key, e.len, "regex"))
            rc = cfg_read_regex(ctx, e.value, e.line, "metric.regex", &m->regex);
        else if (cfg_key_is(e.key, e.len, "summary"))
            rc = cfg_read_enum(ctx, e.value, e.line, "metric.summary", cfg_summary_items,
                               (int *)&m->summary);
        else if (cfg->is_wandb && cfg_key_is(e.key, e.len, "goal"))
            rc = cfg_read_enum(ctx, e.value, e.line, "metric.goal", cfg_direction_items,
                               (int *)&m->direction);
        else if (cfg->is_wandb && cfg_key_is(e.key, e.len, "target")) {
            rc = cfg_get_number(ctx, e.value, e.line, "metric.target", &cfg->target, NULL);
            cfg->has_target = rc == 0;
        } else if (cfg->is_wandb && (cfg_key_is(e.key, e.len, "impute") ||
                                     cfg_key_is(e.key, e.len, "impute_while_running")))
            rc = cfg_warn(ctx, e.line, "metric.%.*s: only the bayes method uses it; it has no "
                          "effect here", (int)e.len, e.key);
        else
            rc = cfg_fail(ctx, e.line, "metric: unknown key '%.*s' (metric takes name, %s)",
                          (int)(e.len > 64 ? 64 : e.len), e.key,
                          cfg->is_wandb ? "goal, target, regex and summary" : "regex and summary");
    }
    if (rc != 0)
        return rc;
    if (m->name == NULL)
        return cfg_fail(ctx, line, "metric.name: missing (the metric to optimize)");
    return 0;
}

int cfg_key_direction(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    int direction;
    cfg_metric *m;
    int rc = cfg_read_enum(ctx, v, line, key, cfg_direction_items, &direction);
    if (rc == 0)
        rc = cfg_single_objective(ctx, &m);
    if (rc == 0)
        m->direction = (hps_direction)direction;
    return rc;
}

/* `metric: name`, or a mapping when there is more to say: W&B's always holds the goal. */
void cfg_write_metric(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    (void)given;
    if (cfg_key_given(cfg, "metrics") || cfg->n_objectives != 1)
        return;
    const cfg_metric *m = &cfg->objectives[0];
    int mapping = cfg->is_wandb || m->regex != NULL || m->summary != CFG_SUMMARY_LAST;
    fprintf(out, "%s:%s", key, mapping ? "\n  name: " : " ");
    cfg_write_string(out, m->name);
    fputs("\n", out);
    if (!mapping)
        return;
    if (cfg->is_wandb)
        fprintf(out, "  goal: %s\n", m->direction == HPS_MAXIMIZE ? "maximize" : "minimize");
    if (cfg->has_target)
        fprintf(out, "  target: %.17g\n", cfg->target);
    if (m->regex != NULL) {
        fputs("  regex: ", out);
        cfg_write_string(out, m->regex);
        fputs("\n", out);
    }
    if (m->summary != CFG_SUMMARY_LAST)
        fprintf(out, "  summary: %s\n", cfg_summary_names[m->summary]);
}

void cfg_write_direction(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    if (cfg_key_given(cfg, "metrics") || cfg->n_objectives != 1)
        return;
    if (given || cfg->objectives[0].direction != HPS_MINIMIZE)
        fprintf(out, "%s: %s\n", key,
                cfg->objectives[0].direction == HPS_MAXIMIZE ? "maximize" : "minimize");
}

/* ---- lists: metrics and constraints -------------------------------------------------- */

typedef enum { CFG_OBJECTIVE, CFG_CONSTRAINT } cfg_metric_role;

/* A constraint's bound: a finite number. */
static int cfg_read_bound(cfg_ctx *ctx, const cfg_node *v, int line, const char *key,
                          double *out)
{
    cfg_scalar s;
    char what[64];
    int rc = cfg_get_scalar(ctx, v, line, key, &s);
    if (rc != 0)
        return rc;
    cfg_scalar_describe(&s, what, sizeof what);
    if (s.type != HPS_VALUE_INT && s.type != HPS_VALUE_FLOAT)
        return cfg_fail(ctx, s.line, "%s: must be a number, not %s", key, what);
    *out = s.type == HPS_VALUE_INT ? (double)s.i : s.f;
    if (!isfinite(*out))
        return cfg_fail(ctx, s.line, "%s: must be a finite number, not %s", key, what);
    return 0;
}

/* One entry's keys. `where` is "metrics[1]" or "constraints[0]". */
static int cfg_read_entry_keys(cfg_ctx *ctx, const cfg_node *map, int line, const char *where,
                               cfg_metric_role role, cfg_metric *m, int *bounds)
{
    const cfg_node *iter = NULL;
    cfg_entry e;
    char key[96];
    int rc = 0;
    while (rc == 0 && cfg_map_next(ctx, map, &iter, line, where, &e, &rc)) {
        snprintf(key, sizeof key, "%s.%.*s", where, (int)(e.len > 16 ? 16 : e.len), e.key);
        if (cfg_key_is(e.key, e.len, "name")) {
            char *name = NULL;
            rc = cfg_get_text(ctx, e.value, e.line, key, &name);
            if (rc == 0) {
                free(m->name);
                m->name = name;
            }
        } else if (cfg_key_is(e.key, e.len, "regex")) {
            rc = cfg_read_regex(ctx, e.value, e.line, key, &m->regex);
        } else if (cfg_key_is(e.key, e.len, "summary")) {
            rc = cfg_read_enum(ctx, e.value, e.line, key, cfg_summary_items, (int *)&m->summary);
        } else if (role == CFG_OBJECTIVE && cfg_key_is(e.key, e.len, "goal")) {
            rc = cfg_read_enum(ctx, e.value, e.line, key, cfg_direction_items,
                               (int *)&m->direction);
        } else if (role == CFG_OBJECTIVE && cfg_key_is(e.key, e.len, "reference")) {
            rc = cfg_read_bound(ctx, e.value, e.line, key, &m->reference);
            m->has_reference = rc == 0;
            m->reference_line = cfg_node_line(e.value, e.line);
        } else if (role == CFG_CONSTRAINT && (cfg_key_is(e.key, e.len, "max") ||
                                              cfg_key_is(e.key, e.len, "min"))) {
            m->upper = cfg_key_is(e.key, e.len, "max");
            rc = cfg_read_bound(ctx, e.value, e.line, key, &m->bound);
            ++*bounds;
        } else {
            rc = cfg_fail(ctx, e.line, "%s: unknown key '%.*s' (%s)", where,
                          (int)(e.len > 64 ? 64 : e.len), e.key,
                          role == CFG_OBJECTIVE
                              ? "an objective takes name, goal, regex, summary and reference"
                          : "a constraint takes name, max, min, regex and summary");
        }
    }
    return rc;
}

/* Entry `index` of a list: an objective is a name or a mapping, a constraint a mapping. */
static int cfg_read_entry(cfg_ctx *ctx, const cfg_node *item, int line, const char *list,
                          size_t index, cfg_metric_role role, cfg_metric *m)
{
    char where[48];
    snprintf(where, sizeof where, "%s[%zu]", list, index);
    const cfg_node *node;
    int rc = cfg_node_deref(ctx, item, line, where, &node);
    if (rc != 0)
        return rc;
    m->line = cfg_node_line(item, line);
    m->summary = CFG_SUMMARY_LAST;
    m->direction = HPS_MINIMIZE;
    int bounds = 0;
    if (node->kind == CFG_NODE_MAPPING) {
        rc = cfg_read_entry_keys(ctx, node, m->line, where, role, m, &bounds);
    } else if (role == CFG_OBJECTIVE && node->kind == CFG_NODE_SCALAR) {
        rc = cfg_get_text(ctx, node, m->line, where, &m->name);
    } else if (role == CFG_OBJECTIVE) {
        return cfg_fail(ctx, m->line, "%s: an objective is a name or a mapping {name, goal, "
                        "regex, summary, reference}, not a list", where);
    } else {
        char what[64] = "a list";
        cfg_scalar s;
        if (node->kind == CFG_NODE_SCALAR && cfg_get_scalar(ctx, node, m->line, where, &s) == 0)
            cfg_scalar_describe(&s, what, sizeof what);
        return cfg_fail(ctx, m->line, "%s: a constraint is a mapping {name, max or min, regex, "
                        "summary}, not %s", where, what);
    }
    if (rc != 0)
        return rc;
    if (m->name == NULL)
        return cfg_fail(ctx, m->line, "%s.name: missing (%s)", where,
                        role == CFG_OBJECTIVE ? "the metric to optimize" : "the value to bound");
    if (m->regex == NULL && !cfg_metric_name_ok(m->name))
        return cfg_fail(ctx, m->line, "%s.name: '%.100s' cannot be read from output lines: "
                        METRIC_NAME_RULE "{name: ..., regex: ...}", where, m->name);
    if (role == CFG_CONSTRAINT && bounds > 1)
        return cfg_fail(ctx, m->line, "%s: give max or min, not both (a range is two "
                        "constraints: one entry with max, one with min)", where);
    if (role == CFG_CONSTRAINT && bounds == 0)
        return cfg_fail(ctx, m->line, "%s: give max (the value must stay <= max) or min "
                        "(>= min)", where);
    return 0;
}

/* An entry saying what an earlier one says: the same objective, or the same side of the
 * same value's bounds. */
static int cfg_check_repeat(cfg_ctx *ctx, const char *list, const cfg_metric *entries,
                            size_t index, cfg_metric_role role)
{
    const cfg_metric *m = &entries[index];
    for (size_t k = 0; k < index; k++) {
        if (strcmp(entries[k].name, m->name) != 0)
            continue;
        if (role == CFG_OBJECTIVE)
            return cfg_fail(ctx, m->line, "%s[%zu].name: '%.100s' is already %s[%zu] (line %d)",
                            list, index, m->name, list, k, entries[k].line);
        if (entries[k].upper == m->upper)
            return cfg_fail(ctx, m->line, "%s[%zu]: %.100s already has a %s (%s[%zu], line %d)",
                            list, index, m->name, m->upper ? "max" : "min", list, k,
                            entries[k].line);
    }
    return 0;
}

static int cfg_read_list(cfg_ctx *ctx, const cfg_node *v, int line, const char *key,
                         cfg_metric_role role, cfg_metric **out, size_t *n_out)
{
    const cfg_node *node;
    int rc = cfg_node_deref(ctx, v, line, key, &node);
    if (rc != 0)
        return rc;
    int at = cfg_node_line(node, line);
    size_t cap = role == CFG_OBJECTIVE ? CFG_MAX_OBJECTIVES : CFG_MAX_CONSTRAINTS;
    if (node->kind != CFG_NODE_SEQUENCE)
        return cfg_fail(ctx, at, "%s: %s", key, role == CFG_OBJECTIVE
                        ? "must be a list of objectives, e.g. [{name: val_acc, goal: maximize}, "
                          "{name: train_seconds, goal: minimize}]"
                        : "must be a list, e.g. [{name: gpu_mem_gb, max: 10}, {name: "
                          "latency_ms, max: 5}]");
    if (node->count == 0)
        return cfg_fail(ctx, at, "%s: the list is empty", key);
    if (node->count > cap)
        return cfg_fail(ctx, at, "%s: at most %zu %s (got %zu)", key, cap,
                        role == CFG_OBJECTIVE ? "objectives" : "constraints", node->count);
    cfg_metric *entries = calloc(node->count, sizeof *entries);
    if (entries == NULL)
        return cfg_nomem(ctx);
    size_t n = 0;
    for (const cfg_node *item = node->first; rc == 0 && item != NULL; item = item->next) {
        rc = cfg_read_entry(ctx, item, at, key, n, role, &entries[n]);
        n++;
        if (rc == 0)
            rc = cfg_check_repeat(ctx, key, entries, n - 1, role);
    }
    if (rc != 0) {
        cfg_metrics_free(entries, n);
        return rc;
    }
    *out = entries;
    *n_out = n;
    return 0;
}

/* The hypervolume's reference point is one point: a coordinate for every objective, or
 * none (Optuna's rule then). Half a point would leave the others to a rule that moves
 * with the trials, so the hypervolume would not mean what the config says. One objective
 * has no hypervolume to refer to. */
static int cfg_check_reference(cfg_ctx *ctx, const char *key, const cfg_metric *list, size_t n)
{
    size_t given = 0, first = 0;
    for (size_t k = 0; k < n; k++)
        if (list[k].has_reference && given++ == 0)
            first = k;
    if (given == 0)
        return 0;
    if (n == 1)
        return cfg_fail(ctx, list[0].reference_line, "%s[0].reference: the hypervolume's "
                        "reference point is for several objectives, and this study has one",
                        key);
    for (size_t k = 0; k < n && given < n; k++)
        if (!list[k].has_reference)
            return cfg_fail(ctx, list[k].line, "%s[%zu]: reference: missing -- %s[%zu] (line "
                            "%d) gives the hypervolume's reference point a coordinate, so "
                            "every objective needs one (or leave them all out for Optuna's "
                            "rule: each objective's worst feasible value moved out by 10%%)",
                            key, k, key, first, list[first].reference_line);
    return 0;
}

int cfg_key_metrics(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    cfg_metric *list = NULL;
    size_t n = 0;
    int rc = cfg_read_list(ctx, v, line, key, CFG_OBJECTIVE, &list, &n);
    if (rc == 0) {
        rc = cfg_check_reference(ctx, key, list, n);
        if (rc != 0)
            cfg_metrics_free(list, n);
    }
    if (rc == 0) {
        ctx->cfg->objectives = ctx->own_objectives = list;
        ctx->cfg->n_objectives = n;
    }
    return rc;
}

int cfg_key_constraints(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    return cfg_read_list(ctx, v, line, key, CFG_CONSTRAINT, &ctx->cfg->constraints,
                         &ctx->cfg->n_constraints);
}

/* `  - {name: ..., goal: ..., max: ..., regex: ..., summary: ..., reference: ...}` */
static void cfg_write_entry(FILE *out, const cfg_metric *m, cfg_metric_role role)
{
    fputs("  - {name: ", out);
    cfg_write_string(out, m->name);
    if (role == CFG_OBJECTIVE)
        fprintf(out, ", goal: %s", m->direction == HPS_MAXIMIZE ? "maximize" : "minimize");
    else
        fprintf(out, ", %s: %.17g", m->upper ? "max" : "min", m->bound);
    if (m->regex != NULL) {
        fputs(", regex: ", out);
        cfg_write_string(out, m->regex);
    }
    if (m->summary != CFG_SUMMARY_LAST)
        fprintf(out, ", summary: %s", cfg_summary_names[m->summary]);
    if (m->has_reference)
        fprintf(out, ", reference: %.17g", m->reference);
    fputs("}\n", out);
}

void cfg_write_metrics(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    if (!given)
        return;
    fprintf(out, "%s:\n", key);
    for (size_t k = 0; k < cfg->n_objectives; k++)
        cfg_write_entry(out, &cfg->objectives[k], CFG_OBJECTIVE);
}

void cfg_write_constraints(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    (void)given;
    if (cfg->n_constraints == 0)
        return;
    fprintf(out, "%s:\n", key);
    for (size_t k = 0; k < cfg->n_constraints; k++)
        cfg_write_entry(out, &cfg->constraints[k], CFG_CONSTRAINT);
}

void cfg_release_objectives(cfg_config *a, const cfg_config *b)
{
    if (a->objectives != b->objectives)
        cfg_metrics_free(a->objectives, a->n_objectives);
}

void cfg_release_constraints(cfg_config *a, const cfg_config *b)
{
    if (a->constraints != b->constraints)
        cfg_metrics_free(a->constraints, a->n_constraints);
}

int cfg_check_objectives(cfg_ctx *ctx)
{
    const cfg_metric *m = ctx->cfg->objectives;
    if (cfg_key_given(ctx->cfg, "metrics"))
        return 0; /* each entry was checked as it was read */
    /* With a regex the name is only a label; without one, output lines must be able to
     * carry it as a key. */
    if (m->regex == NULL && !cfg_metric_name_ok(m->name))
        return cfg_fail(ctx, *cfg_key_line(ctx, "metric"), "metric: '%.100s' cannot be read "
                        "from output lines: " METRIC_NAME_RULE "metric: {name: ..., regex: "
                        "...}", m->name);
    if (m->name[0] == '\0')
        return cfg_fail(ctx, *cfg_key_line(ctx, "metric"), "metric.name: is empty");
    return 0;
}

size_t cfg_directions(const cfg_config *cfg, hps_direction *out)
{
    for (size_t k = 0; k < cfg->n_objectives; k++)
        out[k] = cfg->objectives[k].direction;
    return cfg->n_objectives;
}
