/*
 * config_when.c -- conditional parameters: a parameter's `when:`.
 *
 *     momentum: {type: float, low: 0.5, high: 0.99, when: {optimizer: sgd}}
 *     width_3:  {type: int, low: 16, high: 512, when: {layers: [3]}}
 *     dropout2: {type: float, low: 0, high: 0.5, when: {layers: {min: 2}}}
 *
 * Each entry names a parent and one value, a list of values, or (numeric parents) a
 * range {min, max}; a parameter is active when every entry holds and every parent is
 * itself active, so conditions nest through any number of levels. Read in two steps:
 * as written while its parameter is read (cfg_read_when), then checked against the
 * parents once every parameter is known (cfg_resolve_conditions): unknown parents,
 * cycles and values a parent never takes are errors at the condition's line.
 */
#include "config_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cfg_conditions_clear(cfg_param *param)
{
    for (size_t c = 0; c < param->n_when; c++) {
        cfg_condition *cond = &param->when[c];
        free(cond->parent);
        for (size_t k = 0; k < cond->n_values; k++)
            cfg_value_clear(&cond->values[k]);
        free(cond->values);
    }
    free(param->when);
    param->when = NULL;
    param->n_when = 0;
}

int cfg_is_conditional(const cfg_config *cfg)
{
    for (size_t i = 0; i < cfg->n_params; i++)
        if (cfg->params[i].n_when > 0)
            return 1;
    return 0;
}

/* ---- reading -------------------------------------------------------------------------- */

/* `{min: 2, max: 4}` for a numeric parent. */
static int read_range(cfg_ctx *ctx, cfg_condition *cond, const cfg_node *map,
                      const char *where)
{
    const cfg_node *iter = NULL;
    cfg_entry e;
    int rc = 0;
    while (rc == 0 && cfg_map_next(ctx, map, &iter, cond->line, where, &e, &rc)) {
        int is_min = cfg_key_is(e.key, e.len, "min");
        if (!is_min && !cfg_key_is(e.key, e.len, "max"))
            return cfg_fail(ctx, e.line, "%s: unknown key '%.*s' (a range takes min and max)",
                            where, (int)(e.len > 64 ? 64 : e.len), e.key);
        double x;
        rc = cfg_get_number(ctx, e.value, e.line, where, &x, NULL);
        if (rc == 0 && !isfinite(x))
            rc = cfg_fail(ctx, e.line, "%s.%s: must be a finite number", where,
                          is_min ? "min" : "max");
        if (rc != 0)
            return rc;
        if (is_min) {
            cond->has_min = 1;
            cond->min = x;
        } else {
            cond->has_max = 1;
            cond->max = x;
        }
    }
    if (rc != 0)
        return rc;
    if (!cond->has_min && !cond->has_max)
        return cfg_fail(ctx, cond->line, "%s: an empty range; give min, max or both", where);
    if (cond->has_min && cond->has_max && cond->min > cond->max)
        return cfg_fail(ctx, cond->line, "%s: min (%.15g) is greater than max (%.15g)", where,
                        cond->min, cond->max);
    return 0;
}

/* One value or a list of them, YAML types kept (cfg_read_values' categorical reading). */
static int read_values(cfg_ctx *ctx, const cfg_param *p, cfg_condition *cond,
                       const cfg_node *value, const char *where)
{
    cfg_param scratch;
    memset(&scratch, 0, sizeof scratch);
    scratch.name = p->name;
    scratch.kind = CFG_CATEGORICAL;
    int rc = value->kind == CFG_NODE_SEQUENCE
                 ? cfg_read_values(ctx, &scratch, value, cond->line, where)
                 : cfg_read_constant(ctx, &scratch, value, cond->line, where);
    cond->values = scratch.values;
    cond->n_values = scratch.n_values; /* freed with the condition, even on error */
    return rc;
}

int cfg_read_when(cfg_ctx *ctx, cfg_param *p, const cfg_node *node, int line)
{
    char where[CFG_MAX_NAME * 2 + 32];
    snprintf(where, sizeof where, "parameters.%s.when", p->name);
    const cfg_node *map;
    int rc = cfg_node_deref(ctx, node, line, where, &map);
    if (rc != 0)
        return rc;
    if (map->kind != CFG_NODE_MAPPING)
        return cfg_fail(ctx, line, "%s: must map a parameter to the value(s) it needs, e.g. "
                        "when: {optimizer: sgd}", where);
    if (map->count == 0)
        return cfg_fail(ctx, line, "%s: no condition given", where);
    p->when = calloc(map->count / 2, sizeof *p->when);
    if (p->when == NULL)
        return cfg_nomem(ctx);
    const cfg_node *iter = NULL;
    cfg_entry e;
    while (rc == 0 && cfg_map_next(ctx, map, &iter, line, where, &e, &rc)) {
        cfg_condition *cond = &p->when[p->n_when++];
        cond->line = e.line;
        rc = cfg_strndup(ctx, e.key, e.len, &cond->parent);
        if (rc != 0)
            return rc;
        char here[CFG_MAX_NAME * 3 + 32];
        snprintf(here, sizeof here, "%s.%s", where, cond->parent);
        const cfg_node *value;
        rc = cfg_node_deref(ctx, e.value, e.line, here, &value);
        if (rc != 0)
            return rc;
        rc = value->kind == CFG_NODE_MAPPING ? read_range(ctx, cond, value, here)
                                             : read_values(ctx, p, cond, value, here);
    }
    return rc;
}

/* ---- checking against the parents ------------------------------------------------------ */

static int is_number(const hps_value *v)
{
    return v->type == HPS_VALUE_INT || v->type == HPS_VALUE_FLOAT;
}

static double number_of(const hps_value *v)
{
    return v->type == HPS_VALUE_INT ? (double)v->u.i : v->u.f;
}

/* A condition's value against a parameter's: numbers compare by value (a condition
 * `{layers: 3}` holds for the int 3 and for a float grid value 3.0), the rest exactly. */
static int same_value(const hps_value *want, const hps_value *got)
{
    if (is_number(want) && is_number(got))
        return number_of(want) == number_of(got);
    return cfg_value_compare(want, got) == 0;
}

int cfg_condition_holds(const cfg_condition *cond, const hps_value *got)
{
    if (cond->values != NULL) {
        for (size_t k = 0; k < cond->n_values; k++)
            if (same_value(&cond->values[k], got))
                return 1;
        return 0;
    }
    if (!is_number(got))
        return 0;
    double x = number_of(got);
    return (!cond->has_min || x >= cond->min) && (!cond->has_max || x <= cond->max);
}

static const char *const kind_names[] = {"a float", "an int", "a categorical", "a constant"};

/* Whether `parent` takes value v: one of its values, or a number on its range's step
 * (not a continuous float, which takes no one value). */
static int parent_takes(const cfg_param *parent, const hps_value *v)
{
    if (parent->n_values > 0) {
        for (size_t k = 0; k < parent->n_values; k++)
            if (same_value(v, &parent->values[k]))
                return 1;
        return 0;
    }
    if (parent->kind == CFG_FLOAT && parent->step <= 0 && parent->low != parent->high)
        return 0;
    double x = is_number(v) ? number_of(v) : NAN;
    double step = parent->step > 0 ? parent->step : 1.0;
    double steps = (x - parent->low) / step;
    return is_number(v) && x >= parent->low && x <= parent->high &&
           fabs(steps - nearbyint(steps)) <= 1e-9 * fmax(1.0, fabs(steps));
}

/* Whether some value of `parent` lies in the range of condition `cond`. */
static int range_reachable(const cfg_condition *cond, const cfg_param *parent)
{
    int holds = parent->n_values == 0 && (!cond->has_min || cond->min <= parent->high) &&
                (!cond->has_max || cond->max >= parent->low);
    for (size_t k = 0; k < parent->n_values && !holds; k++)
        holds = cfg_condition_holds(cond, &parent->values[k]);
    return holds;
}

/* One value of a condition against what its parent can take. */
static int check_value(cfg_ctx *ctx, const cfg_param *p, const cfg_condition *cond,
                       const cfg_param *parent, const hps_value *v)
{
    if (parent_takes(parent, v))
        return 0;
    char what[64];
    cfg_value_describe(v, what, sizeof what);
    if (parent->n_values > 0)
        return cfg_fail(ctx, cond->line, "parameters.%s.when.%s: %s is not one of the "
                        "values of '%s'", p->name, cond->parent, what, parent->name);
    if (parent->kind == CFG_FLOAT && parent->step <= 0 && parent->low != parent->high)
        return cfg_fail(ctx, cond->line, "parameters.%s.when.%s: '%s' is a continuous range, "
                        "which takes no one value; give a range instead, e.g. {min: %.15g}",
                        p->name, cond->parent, parent->name, parent->low);
    return cfg_fail(ctx, cond->line, "parameters.%s.when.%s: %s is not a value '%s' "
                    "takes (%s from %.15g to %.15g in steps of %.15g)", p->name,
                    cond->parent, what, parent->name, kind_names[parent->kind],
                    parent->low, parent->high, parent->step > 0 ? parent->step : 1.0);
}

static int check_condition(cfg_ctx *ctx, const cfg_param *p, const cfg_condition *cond,
                           const cfg_param *parent)
{
    if (cond->values == NULL) {
        /* a range or a list of numbers */
        int numeric = parent->kind == CFG_FLOAT || parent->kind == CFG_INT || parent->n_values > 0;
        for (size_t k = 0; k < parent->n_values && numeric; k++)
            numeric = is_number(&parent->values[k]);
        if (!numeric)
            return cfg_fail(ctx, cond->line, "parameters.%s.when.%s: min and max need a "
                            "numeric parent, and '%s' is %s", p->name, cond->parent,
                            parent->name, kind_names[parent->kind]);
        int holds = range_reachable(cond, parent);
        if (!holds && parent->n_values == 0)
            return cfg_fail(ctx, cond->line, "parameters.%s.when.%s: never holds: '%s' lies "
                            "in %.15g..%.15g", p->name, cond->parent, parent->name,
                            parent->low, parent->high);
        if (!holds)
            return cfg_fail(ctx, cond->line, "parameters.%s.when.%s: never holds: no value "
                            "of '%s' lies in the range", p->name, cond->parent, parent->name);
        return 0;
    }
    for (size_t k = 0; k < cond->n_values; k++) {
        int rc = check_value(ctx, p, cond, parent, &cond->values[k]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Follows parents from parameter i (colour 1: on the current path, 2: done); on a cycle
 * writes the path into `path` and fails at the condition that closes it. */
static int find_cycle(cfg_ctx *ctx, size_t i, unsigned char *colour, size_t *stack,
                      size_t depth)
{
    const cfg_config *cfg = ctx->cfg;
    colour[i] = 1;
    stack[depth] = i;
    const cfg_param *p = &cfg->params[i];
    for (size_t c = 0; c < p->n_when; c++) {
        size_t parent = p->when[c].parent_index;
        if (colour[parent] == 1) {
            char path[1024];
            size_t used = 0;
            size_t from = depth;
            while (stack[from] != parent)
                from--;
            for (size_t k = from; k <= depth && used < sizeof path; k++) {
                int w = snprintf(path + used, sizeof path - used, "%s <- ",
                                 cfg->params[stack[k]].name);
                used += w > 0 ? (size_t)w : 0;
            }
            if (used < sizeof path)
                snprintf(path + used, sizeof path - used, "%s", cfg->params[parent].name);
            return cfg_fail(ctx, p->when[c].line, "parameters.%s.when: the conditions form a "
                            "cycle (%s): no parameter of it could ever be active", p->name,
                            path);
        }
        if (colour[parent] == 0) {
            int rc = find_cycle(ctx, parent, colour, stack, depth + 1);
            if (rc != 0)
                return rc;
        }
    }
    colour[i] = 2;
    return 0;
}

static long find_param(const cfg_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_params; i++)
        if (strcmp(cfg->params[i].name, name) == 0)
            return (long)i;
    return -1;
}

int cfg_resolve_conditions(cfg_ctx *ctx)
{
    cfg_config *cfg = ctx->cfg;
    if (!cfg_is_conditional(cfg))
        return 0;
    for (size_t i = 0; i < cfg->n_params; i++) {
        cfg_param *p = &cfg->params[i];
        if (p->n_when > 0 && p->kind == CFG_CONSTANT)
            return cfg_fail(ctx, p->when[0].line, "parameters.%s.when: a constant is passed "
                            "to every trial and cannot be conditional; make it a parameter "
                            "with one value (values: [...]) or drop the condition", p->name);
        for (size_t c = 0; c < p->n_when; c++) {
            cfg_condition *cond = &p->when[c];
            long parent = find_param(cfg, cond->parent);
            if (parent < 0)
                return cfg_fail(ctx, cond->line, "parameters.%s.when: unknown parameter '%s' "
                                "(a condition names another parameter of this file)",
                                p->name, cond->parent);
            cond->parent_index = (size_t)parent;
            if ((size_t)parent == i)
                return cfg_fail(ctx, cond->line, "parameters.%s.when: the parameter depends "
                                "on itself", p->name);
            int rc = check_condition(ctx, p, cond, &cfg->params[parent]);
            if (rc != 0)
                return rc;
        }
    }
    unsigned char *colour = calloc(cfg->n_params, 1);
    size_t *stack = calloc(cfg->n_params, sizeof *stack);
    int rc = colour == NULL || stack == NULL ? cfg_nomem(ctx) : 0;
    for (size_t i = 0; rc == 0 && i < cfg->n_params; i++)
        if (colour[i] == 0)
            rc = find_cycle(ctx, i, colour, stack, 0);
    free(colour);
    free(stack);
    return rc;
}

/* ---- after a space shrank (narrow) ----------------------------------------------------- */

void cfg_note(char *notes, size_t size, const char *fmt, ...)
{
    size_t used = strlen(notes);
    if (used + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(notes + used, size - used, fmt, ap);
    va_end(ap);
    used = strlen(notes);
    if (used + 1 < size)
        strcat(notes, "\n");
}

/* Removes parameter i and points the conditions at their parents' new indices (a
 * parent that is gone keeps an index past the end: the next pass drops its children). */
static void drop_param(cfg_config *cfg, size_t i)
{
    cfg_param_clear(&cfg->params[i]);
    memmove(&cfg->params[i], &cfg->params[i + 1], (cfg->n_params - i - 1) * sizeof *cfg->params);
    cfg->n_params--;
    for (size_t k = 0; k < cfg->n_params; k++)
        for (size_t c = 0; c < cfg->params[k].n_when; c++) {
            long parent = find_param(cfg, cfg->params[k].when[c].parent);
            cfg->params[k].when[c].parent_index = parent < 0 ? cfg->n_params : (size_t)parent;
        }
}

/* Drops the values of a value condition its parent no longer takes; 0 (and nothing
 * changed) when none remains. */
static int keep_taken_values(const cfg_param *p, cfg_condition *cond, const cfg_param *parent,
                             char *notes, size_t size)
{
    size_t taken = 0;
    for (size_t k = 0; k < cond->n_values; k++)
        taken += parent_takes(parent, &cond->values[k]);
    if (taken == 0)
        return 0;
    size_t kept = 0;
    for (size_t k = 0; k < cond->n_values; k++) {
        if (parent_takes(parent, &cond->values[k])) {
            hps_value keep = cond->values[k];
            cond->values[k] = cond->values[kept]; /* swap: each string freed once */
            cond->values[kept++] = keep;
            continue;
        }
        char what[64];
        cfg_value_describe(&cond->values[k], what, sizeof what);
        cfg_note(notes, size, "parameters.%s.when.%s: %s dropped, a value '%s' no longer takes",
                 p->name, cond->parent, what, cond->parent);
    }
    for (size_t k = kept; k < cond->n_values; k++)
        cfg_value_clear(&cond->values[k]);
    cond->n_values = kept;
    return 1;
}

/* Whether condition `cond` of p can still hold; drops the values its parent no longer
 * takes. */
static int condition_alive(cfg_config *cfg, cfg_param *p, cfg_condition *cond, char *notes,
                           size_t size)
{
    char text[256];
    cfg_describe_condition(cond, text, sizeof text);
    if (cond->parent_index >= cfg->n_params) {
        cfg_note(notes, size, "parameter '%s' dropped: its parent '%s' was dropped", p->name,
                 cond->parent);
        return 0;
    }
    const cfg_param *parent = &cfg->params[cond->parent_index];
    int alive = cond->values != NULL ? keep_taken_values(p, cond, parent, notes, size)
                                     : range_reachable(cond, parent);
    if (!alive)
        cfg_note(notes, size, "parameter '%s' dropped: its condition (%s) no longer holds for "
                 "any value of the narrowed '%s'", p->name, text, cond->parent);
    return alive;
}

void cfg_prune_conditions(cfg_config *cfg, char *notes, size_t size)
{
    notes[0] = '\0';
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < cfg->n_params && !changed; i++) {
            cfg_param *p = &cfg->params[i];
            for (size_t c = 0; c < p->n_when && !changed; c++)
                if (!condition_alive(cfg, p, &p->when[c], notes, size)) {
                    drop_param(cfg, i);
                    changed = 1;
                }
        }
    }
}

/* ---- at run time ------------------------------------------------------------------------ */

int cfg_param_active(const cfg_config *cfg, size_t i, const hps_value *values,
                     const unsigned char *state)
{
    const cfg_param *p = &cfg->params[i];
    int undecided = 0;
    for (size_t c = 0; c < p->n_when; c++) {
        size_t parent = p->when[c].parent_index;
        if (state[parent] == CFG_UNDECIDED)
            undecided = 1;
        else if (state[parent] == CFG_INACTIVE || !cfg_condition_holds(&p->when[c], &values[parent]))
            return 0;
    }
    return undecided ? -1 : 1;
}

void cfg_condition_order(const cfg_config *cfg, size_t *order)
{
    /* parents before children, file order otherwise: repeated passes, as the
     * conditions hold no cycle (cfg_resolve_conditions) */
    unsigned char *placed = calloc(cfg->n_params, 1);
    size_t n = 0;
    if (placed == NULL) { /* fall back to file order; callers re-check activity */
        for (size_t i = 0; i < cfg->n_params; i++)
            order[i] = i;
        return;
    }
    while (n < cfg->n_params) {
        size_t before = n;
        for (size_t i = 0; i < cfg->n_params; i++) {
            if (placed[i])
                continue;
            int ready = 1;
            for (size_t c = 0; ready && c < cfg->params[i].n_when; c++)
                ready = placed[cfg->params[i].when[c].parent_index];
            if (ready) {
                placed[i] = 1;
                order[n++] = i;
            }
        }
        if (n == before)
            break; /* cannot happen once resolved */
    }
    free(placed);
}

int cfg_param_always_active(const cfg_config *cfg, size_t i, const cfg_condition **why)
{
    const cfg_param *p = &cfg->params[i];
    for (size_t c = 0; c < p->n_when; c++) {
        const cfg_condition *cond = &p->when[c];
        const cfg_param *parent = &cfg->params[cond->parent_index];
        int covers;
        if (cond->values == NULL) {
            covers = (!cond->has_min || cond->min <= parent->low) &&
                     (!cond->has_max || cond->max >= parent->high);
        } else if (parent->n_values > 0) {
            covers = 1;
            for (size_t k = 0; covers && k < parent->n_values; k++)
                covers = cfg_condition_holds(cond, &parent->values[k]);
        } else {
            covers = parent->low == parent->high && cond->n_values > 0;
        }
        if (!covers) {
            *why = cond;
            return 0;
        }
        if (!cfg_param_always_active(cfg, cond->parent_index, why))
            return 0;
    }
    return 1;
}

void cfg_describe_condition(const cfg_condition *cond, char *buf, size_t size)
{
    if (cond->values == NULL) {
        if (cond->has_min && cond->has_max)
            snprintf(buf, size, "%.15g <= %s <= %.15g", cond->min, cond->parent, cond->max);
        else if (cond->has_min)
            snprintf(buf, size, "%s >= %.15g", cond->parent, cond->min);
        else
            snprintf(buf, size, "%s <= %.15g", cond->parent, cond->max);
        return;
    }
    size_t used = (size_t)snprintf(buf, size, "%s is ", cond->parent);
    for (size_t k = 0; k < cond->n_values && used < size; k++) {
        char what[64];
        cfg_value_describe(&cond->values[k], what, sizeof what);
        int w = snprintf(buf + used, size - used, "%s%s",
                         k == 0 ? "" : k + 1 == cond->n_values ? " or " : ", ", what);
        used += w > 0 ? (size_t)w : 0;
    }
}

/* ---- writing back ----------------------------------------------------------------------- */

void cfg_write_when(FILE *out, const cfg_param *p)
{
    if (p->n_when == 0)
        return;
    fputs("    when: {", out);
    for (size_t c = 0; c < p->n_when; c++) {
        const cfg_condition *cond = &p->when[c];
        fprintf(out, "%s%s: ", c > 0 ? ", " : "", cond->parent);
        if (cond->values == NULL) {
            fputs("{", out);
            if (cond->has_min)
                fprintf(out, "min: %.17g", cond->min);
            if (cond->has_max)
                fprintf(out, "%smax: %.17g", cond->has_min ? ", " : "", cond->max);
            fputs("}", out);
            continue;
        }
        fputs("[", out);
        for (size_t k = 0; k < cond->n_values; k++) {
            fputs(k > 0 ? ", " : "", out);
            cfg_write_value(out, &cond->values[k]);
        }
        fputs("]", out);
    }
    fputs("}\n", out);
}
