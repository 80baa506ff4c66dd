/*
 * config_param.c -- the `parameters:` section, in hpsearch's form and in W&B's.
 *
 * Both forms end in the same cfg_param and pass the same checks (bounds, log, step,
 * values, grid_points); only the key names and the type inference differ:
 *   native: type (float|int|categorical|constant) low high step log values value
 *           grid_points (choices: a categorical's values, by Optuna's name); without
 *           type: values -> categorical, value -> constant,
 *           int low/high (and int step, if any) -> int, else float.
 *   W&B:    distribution min max q values value (+ grid_points); without
 *           distribution: values -> categorical, value -> constant, int min/max ->
 *           int_uniform, else uniform.
 * In both, a bare scalar is a constant and a bare list is a categorical. The W&B
 * form itself is config_wandb.c; the shared readers and checks are here.
 */
#include "config_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Integers beyond 2^53 are not exact as doubles, the internal form of every value. */
#define CFG_MAX_EXACT_INT 9007199254740992.0

const char *const cfg_pkey_names[PK_COUNT] = {
    "type", "low", "high", "step", "log", "values", "value", "grid_points",
    "distribution", "min", "max", "q",
    "probabilities", "mu", "sigma", "a", "b", "parameters", "when",
    "prior", "default", "choices",
};

static int cfg_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > CFG_MAX_NAME)
        return 0;
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)name[k];
        int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        int more = (c >= '0' && c <= '9') || c == '.' || c == '-';
        if (!letter && (k == 0 || !more))
            return 0;
    }
    return 1;
}

void cfg_param_clear(cfg_param *param)
{
    free(param->name);
    free(param->prior);
    cfg_value_clear(&param->dflt);
    for (size_t k = 0; k < param->n_values; k++)
        cfg_value_clear(&param->values[k]);
    free(param->values);
    cfg_conditions_clear(param);
    memset(param, 0, sizeof *param);
}

static int cfg_value_qsort_cmp(const void *a, const void *b)
{
    return cfg_value_compare(a, b);
}

/* Reads a list of values. kind CATEGORICAL keeps YAML types; FLOAT / INT convert and
 * require numbers. Duplicates are refused: the grid would run them twice. */
int cfg_read_values(cfg_ctx *ctx, cfg_param *p, const cfg_node *node, int line,
                           const char *key)
{
    const cfg_node *seq;
    int rc = cfg_node_sequence(ctx, node, line, key, &seq);
    if (rc != 0)
        return rc;
    size_t count = seq->count;
    if (count == 0)
        return cfg_fail(ctx, line, "%s: the list is empty; give at least one value", key);
    if (count > CFG_MAX_VALUES)
        return cfg_fail(ctx, line, "%s: too many values (%zu; at most %u)", key, count,
                        CFG_MAX_VALUES);
    if (ctx->total_values + count > CFG_MAX_TOTAL_VALUES)
        return cfg_fail(ctx, line, "%s: the configuration has more than %u values in all "
                        "(through aliases?)", key, CFG_MAX_TOTAL_VALUES);
    ctx->total_values += count;
    p->values = calloc(count, sizeof *p->values);
    if (p->values == NULL)
        return cfg_nomem(ctx);

    for (const cfg_node *item = seq->first; item != NULL; item = item->next) {
        cfg_scalar s;
        char what[64];
        size_t index = p->n_values;
        int item_line = cfg_node_line(item, line);
        const cfg_node *target;
        rc = cfg_node_deref(ctx, item, item_line, key, &target);
        if (rc != 0)
            return rc;
        if (target->kind != CFG_NODE_SCALAR)
            return cfg_fail(ctx, item_line, "%s: item %zu is %s; values must be single values "
                            "(text, numbers or true/false)", key, index + 1,
                            target->kind == CFG_NODE_MAPPING ? "a mapping" : "a list");
        rc = cfg_get_scalar(ctx, target, item_line, key, &s);
        if (rc != 0)
            return rc;
        hps_value *v = &p->values[index];
        if (s.type == HPS_VALUE_NONE)
            return cfg_fail(ctx, s.line, "%s: item %zu is null, which is not supported as a "
                            "value (parameter '%s'); write it as text, e.g. 'none'", key,
                            index + 1, p->name);
        if (p->kind == CFG_CATEGORICAL || p->kind == CFG_CONSTANT) {
            v->type = s.type;
            if (s.type == HPS_VALUE_STRING) {
                char *copy;
                rc = cfg_strndup(ctx, s.text, s.len, &copy);
                if (rc != 0)
                    return rc;
                v->u.s = copy;
            } else if (s.type == HPS_VALUE_INT) {
                v->u.i = s.i;
            } else if (s.type == HPS_VALUE_FLOAT) {
                if (!isfinite(s.f)) {
                    cfg_scalar_describe(&s, what, sizeof what);
                    return cfg_fail(ctx, s.line, "%s: %s is not a finite number (parameter '%s')",
                                    key, what, p->name);
                }
                v->u.f = s.f;
            } else {
                v->u.b = s.b;
            }
        } else {
            double number = s.type == HPS_VALUE_INT ? (double)s.i : s.f;
            cfg_scalar_describe(&s, what, sizeof what);
            if (s.type != HPS_VALUE_INT && s.type != HPS_VALUE_FLOAT)
                return cfg_fail(ctx, s.line, "%s: %s is not a number (parameter '%s' is %s)",
                                key, what, p->name, p->kind == CFG_INT ? "an int" : "a float");
            if (!isfinite(number))
                return cfg_fail(ctx, s.line, "%s: %s is not a finite number", key, what);
            if (p->kind == CFG_INT) {
                if (number != floor(number) || fabs(number) > CFG_MAX_EXACT_INT)
                    return cfg_fail(ctx, s.line, "%s: %s is not a whole number (parameter "
                                    "'%s' is an int)", key, what, p->name);
                v->type = HPS_VALUE_INT;
                v->u.i = s.type == HPS_VALUE_INT ? s.i : (int64_t)number;
            } else {
                v->type = HPS_VALUE_FLOAT;
                v->u.f = number;
            }
        }
        p->n_values++;
    }

    hps_value *sorted = malloc(p->n_values * sizeof *sorted);
    if (sorted == NULL)
        return cfg_nomem(ctx);
    memcpy(sorted, p->values, p->n_values * sizeof *sorted);
    qsort(sorted, p->n_values, sizeof *sorted, cfg_value_qsort_cmp);
    for (size_t k = 1; k < p->n_values; k++) {
        if (cfg_value_compare(&sorted[k - 1], &sorted[k]) == 0) {
            char what[64];
            cfg_value_describe(&sorted[k], what, sizeof what);
            free(sorted);
            return cfg_fail(ctx, line, "%s: %s appears more than once", key, what);
        }
    }
    free(sorted);
    return 0;
}

/* One value of parameter p under `key` (its string owned by the config). */
static int read_one_value(cfg_ctx *ctx, const cfg_param *p, const cfg_node *node, int line,
                          const char *key, hps_value *v)
{
    cfg_scalar s;
    const cfg_node *target;
    int rc = cfg_node_deref(ctx, node, line, key, &target);
    if (rc != 0)
        return rc;
    if (target->kind != CFG_NODE_SCALAR)
        return cfg_fail(ctx, line, "%s: a %s must be a single value, not %s", key,
                        p->kind == CFG_CONSTANT ? "constant" : "default",
                        target->kind == CFG_NODE_MAPPING ? "a mapping" : "a list");
    rc = cfg_get_scalar(ctx, target, line, key, &s);
    if (rc != 0)
        return rc;
    if (s.type == HPS_VALUE_NONE)
        return cfg_fail(ctx, s.line, "%s: needs a value (null is not supported; write it "
                        "as text, e.g. 'none')", key);
    v->type = s.type;
    if (s.type == HPS_VALUE_STRING) {
        char *copy;
        rc = cfg_strndup(ctx, s.text, s.len, &copy);
        if (rc != 0)
            return rc;
        v->u.s = copy;
    } else if (s.type == HPS_VALUE_INT) {
        v->u.i = s.i;
    } else if (s.type == HPS_VALUE_FLOAT) {
        if (!isfinite(s.f)) {
            v->type = HPS_VALUE_NONE;
            return cfg_fail(ctx, s.line, "parameter '%s': the value is not a finite number",
                            p->name);
        }
        v->u.f = s.f;
    } else {
        v->u.b = s.b;
    }
    return 0;
}

int cfg_read_constant(cfg_ctx *ctx, cfg_param *p, const cfg_node *node, int line,
                             const char *key)
{
    p->kind = CFG_CONSTANT;
    p->values = calloc(1, sizeof *p->values);
    if (p->values == NULL)
        return cfg_nomem(ctx);
    int rc = read_one_value(ctx, p, node, line, key, &p->values[0]);
    if (rc == 0)
        p->n_values = 1;
    return rc;
}

/* `default:`, the value trials that ran before the parameter was added had (identity.c
 * accepts an added parameter with one); it must be a value the parameter takes. */
static int read_default(cfg_ctx *ctx, cfg_param *p, const cfg_node *node, int line)
{
    char key[CFG_MAX_NAME + 32], takes[512];
    snprintf(key, sizeof key, "parameters.%s.default", p->name);
    int rc = read_one_value(ctx, p, node, line, key, &p->dflt);
    if (rc != 0)
        return rc;
    p->has_default = 1;
    p->default_line = line;
    if (cfg_param_holds(p, p->dflt))
        return 0;
    char shown[64];
    cfg_value_describe(&p->dflt, shown, sizeof shown);
    cfg_describe_takes(p, takes, sizeof takes);
    return cfg_fail(ctx, line, "%s: %s is not a value '%s' takes (%s)", key, shown, p->name,
                    takes);
}

/* Keys of a parameter mapping; anything outside `allowed` is an error naming it. */
int cfg_collect_keys(cfg_ctx *ctx, const cfg_param *p, const cfg_node *map, int line,
                            unsigned long allowed, cfg_pkeys *keys)
{
    const cfg_node *iter = NULL;
    cfg_entry e;
    char where[CFG_MAX_NAME + 32];
    snprintf(where, sizeof where, "parameters.%s", p->name);
    int rc = 0;
    while (rc == 0 && cfg_map_next(ctx, map, &iter, line, where, &e, &rc)) {
        int key_line = e.line;
        const char *text = e.key;
        size_t len = e.len;
        int k = 0;
        while (k < PK_COUNT && !cfg_key_is(text, len, cfg_pkey_names[k]))
            k++;
        if (k < PK_COUNT && (allowed & (1ul << k))) {
            keys->node[k] = e.value;
            keys->line[k] = key_line;
            continue;
        }
        if (k < PK_COUNT && ctx->cfg->is_wandb) {
            keys->node[k] = e.value; /* refused below with a reason */
            keys->line[k] = key_line;
            /* `choices` is the native form's synonym of values (Optuna's name): W&B's
             * sweeps have only `values` */
            if (k >= PK_PROBABILITIES && k != PK_CHOICES)
                continue;
            return cfg_fail(ctx, key_line, "%s: unknown key '%s' in a W&B sweep parameter "
                            "(W&B keys: values, value, distribution, min, max, q; "
                            "hpsearch adds grid_points)", where, cfg_pkey_names[k]);
        }
        if (k < PK_COUNT)
            return cfg_fail(ctx, key_line, "%s: unknown key '%s' (parameters take type, low, "
                            "high, step, log, values (or choices), value, grid_points, when, prior, default; a "
                            "W&B sweep file "
                            "needs `program` or `method` at the top level)", where,
                            cfg_pkey_names[k]);
        return cfg_fail(ctx, key_line, "%s: unknown key '%.*s' (parameters take %s)", where,
                        (int)(len > 64 ? 64 : len), text,
                        ctx->cfg->is_wandb ? "values, value, distribution, min, max, q, "
                                             "grid_points"
                                           : "type, low, high, step, log, values (or "
                                             "choices), value, grid_points, when, prior, "
                                             "default");
    }
    return rc;
}

/* Fails if any key in `forbidden` is present; `why` completes "'low' cannot be used ...". */
int cfg_forbid(cfg_ctx *ctx, const cfg_param *p, const cfg_pkeys *keys,
                      unsigned long forbidden, const char *why)
{
    for (int k = 0; k < PK_COUNT; k++)
        if ((forbidden & (1ul << k)) && keys->node[k] != NULL)
            return cfg_fail(ctx, keys->line[k], "parameters.%s.%s: cannot be used %s", p->name,
                            cfg_pkey_names[k], why);
    return 0;
}

int cfg_read_step_like(cfg_ctx *ctx, const cfg_param *p, const cfg_pkeys *keys, int k,
                              double *out, int *is_int)
{
    char key[CFG_MAX_NAME + 32];
    snprintf(key, sizeof key, "parameters.%s.%s", p->name, cfg_pkey_names[k]);
    int rc = cfg_get_number(ctx, keys->node[k], keys->line[k], key, out, is_int);
    if (rc != 0)
        return rc;
    if (!(*out > 0.0) || !isfinite(*out))
        return cfg_fail(ctx, keys->line[k], "%s: must be greater than 0", key);
    return 0;
}

int cfg_read_grid_points(cfg_ctx *ctx, cfg_param *p, const cfg_pkeys *keys)
{
    if (keys->node[PK_GRID_POINTS] == NULL)
        return 0;
    char key[CFG_MAX_NAME + 32];
    int64_t n;
    snprintf(key, sizeof key, "parameters.%s.grid_points", p->name);
    int rc = cfg_get_int(ctx, keys->node[PK_GRID_POINTS], keys->line[PK_GRID_POINTS], key, 1,
                         CFG_MAX_VALUES, &n);
    if (rc == 0)
        p->grid_points = (size_t)n;
    return rc;
}

/* The checks every float/int parameter passes, whichever form it came from. */
int cfg_check_range(cfg_ctx *ctx, cfg_param *p, const cfg_pkeys *keys)
{
    const char *n = p->name;
    int low_line = keys->line[keys->low_k] ? keys->line[keys->low_k] : p->line;
    int high_line = keys->line[keys->high_k] ? keys->line[keys->high_k] : p->line;
    int step_line = keys->line[keys->step_k] ? keys->line[keys->step_k] : p->line;
    if (!isfinite(p->low))
        return cfg_fail(ctx, low_line, "parameters.%s.%s: must be a finite number", n,
                        keys->low_name);
    if (!isfinite(p->high))
        return cfg_fail(ctx, high_line, "parameters.%s.%s: must be a finite number", n,
                        keys->high_name);
    if (p->low > p->high)
        return cfg_fail(ctx, low_line, "parameters.%s: %s (%.15g) is greater than %s (%.15g)",
                        n, keys->low_name, p->low, keys->high_name, p->high);
    if (p->kind == CFG_INT) {
        if (p->low != floor(p->low) || fabs(p->low) > CFG_MAX_EXACT_INT)
            return cfg_fail(ctx, low_line, "parameters.%s.%s: an int parameter needs a whole "
                            "number (got %.15g)", n, keys->low_name, p->low);
        if (p->high != floor(p->high) || fabs(p->high) > CFG_MAX_EXACT_INT)
            return cfg_fail(ctx, high_line, "parameters.%s.%s: an int parameter needs a whole "
                            "number (got %.15g)", n, keys->high_name, p->high);
        if (p->step != floor(p->step))
            return cfg_fail(ctx, step_line, "parameters.%s.%s: an int parameter needs a whole "
                            "number step (got %.15g)", n, keys->step_name, p->step);
    }
    if ((p->flags & HPS_LOG) && !(p->low > 0.0))
        return cfg_fail(ctx, low_line, "parameters.%s.%s: a log scale needs %s > 0 (got %.15g)",
                        n, keys->low_name, keys->low_name, p->low);
    if (p->step > 0.0) {
        double cells = (p->high - p->low) / p->step;
        if (fabs(cells - nearbyint(cells)) > 1e-9 * fmax(1.0, fabs(cells)))
            return cfg_fail(ctx, step_line, "parameters.%s.%s: %.15g does not divide %s - %s "
                            "(%.15g) into whole steps", n, keys->step_name, p->step,
                            keys->high_name, keys->low_name, p->high - p->low);
    }
    if (p->grid_points > 0) {
        int gp_line = keys->line[PK_GRID_POINTS];
        if (p->step > 0.0)
            return cfg_fail(ctx, gp_line, "parameters.%s.grid_points: cannot be combined with "
                            "%s (the step already fixes the grid)", n, keys->step_name);
        if (p->values != NULL)
            return cfg_fail(ctx, gp_line, "parameters.%s.grid_points: cannot be combined with "
                            "values", n);
        if (p->grid_points < 2 && p->low < p->high)
            return cfg_fail(ctx, gp_line, "parameters.%s.grid_points: needs at least 2 points "
                            "to span %s..%s", n, keys->low_name, keys->high_name);
        if (p->kind == CFG_INT && (double)p->grid_points > p->high - p->low + 1.0)
            return cfg_fail(ctx, gp_line, "parameters.%s.grid_points: %zu points are more than "
                            "the %.0f whole numbers from %s to %s", n, p->grid_points,
                            p->high - p->low + 1.0, keys->low_name, keys->high_name);
    }
    for (size_t k = 0; k < p->n_values; k++) {
        double v = p->values[k].type == HPS_VALUE_INT ? (double)p->values[k].u.i
                                                       : p->values[k].u.f;
        if (v < p->low || v > p->high || ((p->flags & HPS_LOG) && !(v > 0.0)))
            return cfg_fail(ctx, keys->line[PK_VALUES], "parameters.%s.values: %.15g lies "
                            "outside %s..%s (%.15g..%.15g)%s", n, v, keys->low_name,
                            keys->high_name, p->low, p->high,
                            (p->flags & HPS_LOG) && !(v > 0.0) ? " or is not > 0 for log" : "");
    }
    return 0;
}

/* ---- native form -------------------------------------------------------------------- */

static int cfg_param_native(cfg_ctx *ctx, cfg_param *p, const cfg_node *map, int line)
{
    cfg_pkeys keys;
    char key[CFG_MAX_NAME + 32];
    memset(&keys, 0, sizeof keys);
    keys.low_name = "low";
    keys.high_name = "high";
    keys.step_name = "step";
    keys.low_k = PK_LOW;
    keys.high_k = PK_HIGH;
    keys.step_k = PK_STEP;
    unsigned long allowed = (1ul << PK_TYPE) | (1ul << PK_LOW) | (1ul << PK_HIGH) |
                            (1ul << PK_STEP) | (1ul << PK_LOG) | (1ul << PK_VALUES) |
                            (1ul << PK_VALUE) | (1ul << PK_GRID_POINTS) | (1ul << PK_WHEN) |
                            (1ul << PK_PRIOR) | (1ul << PK_DEFAULT) | (1ul << PK_CHOICES);
    int rc = cfg_collect_keys(ctx, p, map, line, allowed, &keys);
    if (rc == 0 && keys.node[PK_WHEN] != NULL)
        rc = cfg_read_when(ctx, p, keys.node[PK_WHEN], keys.line[PK_WHEN]);
    if (rc != 0)
        return rc;
    /* `choices` is Optuna's name for a categorical's values (suggest_categorical(name,
     * choices)), so a space copied from Optuna code reads as written. From here on it is
     * `values`, but messages name the key the file used. */
    const char *values_key = "values";
    if (keys.node[PK_CHOICES] != NULL) {
        if (keys.node[PK_VALUES] != NULL) {
            int later = keys.line[PK_CHOICES] > keys.line[PK_VALUES] ? PK_CHOICES : PK_VALUES;
            return cfg_fail(ctx, keys.line[later], "parameters.%s: both values and choices are "
                            "given; they are the same key (choices is Optuna's name for "
                            "values), keep one", p->name);
        }
        keys.node[PK_VALUES] = keys.node[PK_CHOICES];
        keys.line[PK_VALUES] = keys.line[PK_CHOICES];
        keys.node[PK_CHOICES] = NULL;
        values_key = "choices";
    }

    int low_int = 0, high_int = 0, step_int = 1;
    if (keys.node[PK_LOW] != NULL) {
        snprintf(key, sizeof key, "parameters.%s.low", p->name);
        rc = cfg_get_number(ctx, keys.node[PK_LOW], keys.line[PK_LOW], key, &p->low, &low_int);
        if (rc != 0)
            return rc;
    }
    if (keys.node[PK_HIGH] != NULL) {
        snprintf(key, sizeof key, "parameters.%s.high", p->name);
        rc = cfg_get_number(ctx, keys.node[PK_HIGH], keys.line[PK_HIGH], key, &p->high,
                            &high_int);
        if (rc != 0)
            return rc;
    }
    if (keys.node[PK_STEP] != NULL) {
        rc = cfg_read_step_like(ctx, p, &keys, PK_STEP, &p->step, &step_int);
        if (rc != 0)
            return rc;
    }

    if (keys.node[PK_TYPE] != NULL) {
        static const char *const type_names[] = {"float", "int", "categorical", "constant"};
        cfg_scalar s;
        snprintf(key, sizeof key, "parameters.%s.type", p->name);
        rc = cfg_get_scalar(ctx, keys.node[PK_TYPE], keys.line[PK_TYPE], key, &s);
        if (rc != 0)
            return rc;
        size_t t = 0;
        while (t < 4 && !cfg_key_is(s.text, s.len, type_names[t]))
            t++;
        if (t == 4 || s.type != HPS_VALUE_STRING) {
            char what[64];
            cfg_scalar_describe(&s, what, sizeof what);
            return cfg_fail(ctx, s.line, "%s: unknown type %s (use float, int, categorical or "
                            "constant)", key, what);
        }
        p->kind = (cfg_param_kind)t;
    } else if (keys.node[PK_VALUES] != NULL) {
        p->kind = CFG_CATEGORICAL;
    } else if (keys.node[PK_VALUE] != NULL) {
        p->kind = CFG_CONSTANT;
    } else if (keys.node[PK_LOW] != NULL && keys.node[PK_HIGH] != NULL) {
        p->kind = low_int && high_int && step_int ? CFG_INT : CFG_FLOAT;
    } else {
        return cfg_fail(ctx, line, "parameters.%s: needs values (or choices), value, or low and high",
                        p->name);
    }

    unsigned long range_keys = (1ul << PK_LOW) | (1ul << PK_HIGH) | (1ul << PK_STEP) |
                               (1ul << PK_LOG) | (1ul << PK_GRID_POINTS);
    if (p->kind == CFG_CONSTANT) {
        rc = cfg_forbid(ctx, p, &keys,
                        range_keys | (1ul << PK_VALUES) | (1ul << PK_PRIOR) | (1ul << PK_DEFAULT),
                        "with a constant (value)");
        if (rc != 0)
            return rc;
        if (keys.node[PK_VALUE] == NULL)
            return cfg_fail(ctx, line, "parameters.%s: a constant needs value", p->name);
        snprintf(key, sizeof key, "parameters.%s.value", p->name);
        return cfg_read_constant(ctx, p, keys.node[PK_VALUE], keys.line[PK_VALUE], key);
    }
    if (p->kind == CFG_CATEGORICAL) {
        rc = cfg_forbid(ctx, p, &keys, range_keys | (1ul << PK_VALUE),
                        "with a categorical parameter (values); for a numeric grid write "
                        "type: int or type: float");
        if (rc != 0)
            return rc;
        if (keys.node[PK_VALUES] == NULL)
            return cfg_fail(ctx, line, "parameters.%s: a categorical parameter needs values "
                            "(or choices)", p->name);
        snprintf(key, sizeof key, "parameters.%s.%s", p->name, values_key);
        rc = cfg_read_values(ctx, p, keys.node[PK_VALUES], keys.line[PK_VALUES], key);
        if (rc == 0 && keys.node[PK_PRIOR] != NULL)
            rc = cfg_read_prior(ctx, p, keys.node[PK_PRIOR], keys.line[PK_PRIOR]);
        if (rc == 0 && keys.node[PK_DEFAULT] != NULL)
            rc = read_default(ctx, p, keys.node[PK_DEFAULT], keys.line[PK_DEFAULT]);
        return rc;
    }

    /* float or int */
    rc = cfg_forbid(ctx, p, &keys, 1ul << PK_VALUE, "with a float or int range");
    if (rc != 0)
        return rc;
    if (strcmp(values_key, "choices") == 0)
        return cfg_fail(ctx, keys.line[PK_VALUES], "parameters.%s.choices: is for categorical "
                        "parameters (Optuna's suggest_categorical); a %s parameter lists its "
                        "values under values", p->name, p->kind == CFG_INT ? "int" : "float");
    if (keys.node[PK_LOG] != NULL) {
        int log = 0;
        snprintf(key, sizeof key, "parameters.%s.log", p->name);
        rc = cfg_get_bool(ctx, keys.node[PK_LOG], keys.line[PK_LOG], key, &log);
        if (rc != 0)
            return rc;
        p->flags = log ? HPS_LOG : 0u;
    }
    rc = cfg_read_grid_points(ctx, p, &keys);
    if (rc != 0)
        return rc;
    if (keys.node[PK_VALUES] != NULL) {
        if (p->step > 0.0)
            return cfg_fail(ctx, keys.line[PK_STEP], "parameters.%s.step: cannot be combined "
                            "with values", p->name);
        snprintf(key, sizeof key, "parameters.%s.values", p->name);
        rc = cfg_read_values(ctx, p, keys.node[PK_VALUES], keys.line[PK_VALUES], key);
        if (rc != 0)
            return rc;
        /* Without bounds the values span the range other samplers draw from. */
        for (size_t k = 0; k < p->n_values; k++) {
            double v = p->kind == CFG_INT ? (double)p->values[k].u.i : p->values[k].u.f;
            if (keys.node[PK_LOW] == NULL && (k == 0 || v < p->low))
                p->low = v;
            if (keys.node[PK_HIGH] == NULL && (k == 0 || v > p->high))
                p->high = v;
        }
    } else if (keys.node[PK_LOW] == NULL || keys.node[PK_HIGH] == NULL) {
        return cfg_fail(ctx, line, "parameters.%s: a %s parameter needs %s (or values)",
                        p->name, p->kind == CFG_INT ? "int" : "float",
                        keys.node[PK_LOW] == NULL ? "low" : "high");
    }
    rc = cfg_check_range(ctx, p, &keys);
    if (rc == 0 && keys.node[PK_PRIOR] != NULL)
        rc = cfg_read_prior(ctx, p, keys.node[PK_PRIOR], keys.line[PK_PRIOR]);
    if (rc == 0 && keys.node[PK_DEFAULT] != NULL)
        rc = read_default(ctx, p, keys.node[PK_DEFAULT], keys.line[PK_DEFAULT]);
    return rc;
}

/* ---- the section -------------------------------------------------------------------- */

/* A slot for one more parameter: the top level was counted when the section began;
 * W&B nested groups add their members beyond it. */
static int cfg_param_push(cfg_ctx *ctx, int line, size_t *cap, cfg_param **out)
{
    cfg_config *cfg = ctx->cfg;
    if (cfg->n_params >= CFG_MAX_PARAMS)
        return cfg_fail(ctx, line, "parameters: too many parameters (more than %u, nested "
                        "ones included)", CFG_MAX_PARAMS);
    if (cfg->n_params == *cap) {
        cfg_param *grown = realloc(cfg->params, (*cap + 8) * sizeof *grown);
        if (grown == NULL)
            return cfg_nomem(ctx);
        memset(grown + *cap, 0, 8 * sizeof *grown);
        cfg->params = grown;
        *cap += 8;
    }
    *out = &cfg->params[cfg->n_params++];
    return 0;
}

static int cfg_read_entry(cfg_ctx *ctx, const char *prefix, const cfg_entry *e, size_t *cap);

/* A W&B nested group, `optimizer: {parameters: {lr: {...}, ...}}`: its members become
 * parameters named "optimizer.lr", marked nested so the trial gets them as W&B passes
 * them (one object). Groups nest; their names cannot hold a '.', which separates them. */
static int cfg_read_group(cfg_ctx *ctx, const char *name, const cfg_node *body, int line,
                          size_t *cap)
{
    char where[CFG_MAX_NAME + 32];
    snprintf(where, sizeof where, "parameters.%s", name);
    if (body->count != 2)
        return cfg_fail(ctx, line, "%s: a nested group takes only `parameters` (its members "
                        "say how they are searched)", where);
    const cfg_node *members;
    int rc = cfg_node_mapping(ctx, cfg_map_lookup(body, "parameters"), line, where, &members);
    if (rc != 0)
        return rc;
    if (members->count == 0)
        return cfg_fail(ctx, line, "%s.parameters: no parameters given", where);
    const cfg_node *iter = NULL;
    cfg_entry e;
    while (rc == 0 && cfg_map_next(ctx, members, &iter, line, where, &e, &rc))
        rc = cfg_read_entry(ctx, name, &e, cap);
    return rc;
}

/* One entry of `parameters:` (or of a W&B group, under `prefix`). */
static int cfg_read_entry(cfg_ctx *ctx, const char *prefix, const cfg_entry *e, size_t *cap)
{
    cfg_config *cfg = ctx->cfg;
    int key_line = e->line;
    const char *text = e->key;
    size_t len = e->len;
    if (!cfg_name_ok(text, len) || (prefix != NULL && memchr(text, '.', len) != NULL))
        return cfg_fail(ctx, key_line, "parameters: invalid name '%.*s%s' (use letters, "
                        "digits, '_', '.' and '-', starting with a letter or '_'; at most "
                        "%d characters%s)", (int)(len > 64 ? 64 : len), text,
                        len > 64 ? "..." : "", CFG_MAX_NAME,
                        prefix != NULL ? "; no '.' inside a nested group" : "");
    char name[CFG_MAX_NAME + 1];
    int full = snprintf(name, sizeof name, "%s%s%.*s", prefix != NULL ? prefix : "",
                        prefix != NULL ? "." : "", (int)len, text);
    if (full < 0 || (size_t)full >= sizeof name)
        return cfg_fail(ctx, key_line, "parameters: the nested name '%s.%.*s' is longer than "
                        "%d characters", prefix, (int)(len > 64 ? 64 : len), text, CFG_MAX_NAME);
    for (size_t k = 0; k < cfg->n_params; k++)
        if (strcmp(name, cfg->params[k].name) == 0)
            return cfg_fail(ctx, key_line, "parameters: '%s' is defined twice (lines %d "
                            "and %d)", cfg->params[k].name, cfg->params[k].line, key_line);

    const cfg_node *body;
    char where[CFG_MAX_NAME + 32];
    snprintf(where, sizeof where, "parameters.%s", name);
    int rc = cfg_node_deref(ctx, e->value, key_line, where, &body);
    if (rc != 0)
        return rc;
    if (cfg->is_wandb && body->kind == CFG_NODE_MAPPING &&
        cfg_map_lookup(body, "parameters") != NULL) {
        if (memchr(text, '.', len) != NULL)
            return cfg_fail(ctx, key_line, "parameters: invalid name '%s' for a nested group "
                            "('.' separates a group from its members)", name);
        return cfg_read_group(ctx, name, body, key_line, cap);
    }
    cfg_param *p = NULL;
    rc = cfg_param_push(ctx, key_line, cap, &p);
    if (rc != 0)
        return rc;
    p->line = key_line;
    p->nested = prefix != NULL;
    rc = cfg_strndup(ctx, name, strlen(name), &p->name);
    if (rc != 0)
        return rc;
    if (body->kind == CFG_NODE_MAPPING)
        return cfg->is_wandb ? cfg_param_wandb(ctx, p, body, key_line)
                             : cfg_param_native(ctx, p, body, key_line);
    if (body->kind == CFG_NODE_SEQUENCE) {
        p->kind = CFG_CATEGORICAL; /* shorthand: `act: [relu, tanh]` */
        return cfg_read_values(ctx, p, body, key_line, where);
    }
    return cfg_read_constant(ctx, p, body, key_line, where); /* `dropout: 0.1` */
}

int cfg_parse_parameters(cfg_ctx *ctx, const cfg_node *node, int line)
{
    cfg_config *cfg = ctx->cfg;
    const cfg_node *map;
    cfg->parameters_line = line;
    int rc = cfg_node_deref(ctx, node, line, "parameters", &map);
    if (rc != 0)
        return rc;
    if (map->kind == CFG_NODE_SCALAR) {
        cfg_scalar s;
        rc = cfg_get_scalar(ctx, map, line, "parameters", &s);
        if (rc == 0 && s.type == HPS_VALUE_NONE)
            return cfg_fail(ctx, line, "parameters: no parameters given");
    }
    rc = cfg_node_mapping(ctx, map, line, "parameters", &map);
    if (rc != 0)
        return rc;
    size_t count = map->count / 2;
    if (count == 0)
        return cfg_fail(ctx, line, "parameters: no parameters given");
    if (count > CFG_MAX_PARAMS)
        return cfg_fail(ctx, line, "parameters: too many parameters (%zu; at most %u)", count,
                        CFG_MAX_PARAMS);
    cfg->params = calloc(count, sizeof *cfg->params);
    if (cfg->params == NULL)
        return cfg_nomem(ctx);
    size_t cap = count;

    const cfg_node *iter = NULL;
    cfg_entry e;
    while (rc == 0 && cfg_map_next(ctx, map, &iter, line, "parameters", &e, &rc))
        rc = cfg_read_entry(ctx, NULL, &e, &cap);
    return rc != 0 ? rc : cfg_resolve_conditions(ctx);
}

uint64_t cfg_param_grid_count(const cfg_param *p)
{
    if (p->kind == CFG_CATEGORICAL || p->kind == CFG_CONSTANT || p->values != NULL)
        return p->n_values;
    if (p->grid_points > 0)
        return p->grid_points;
    if (p->low == p->high)
        return 1;
    double step = p->step > 0.0 ? p->step : (p->kind == CFG_INT ? 1.0 : 0.0);
    if (step == 0.0)
        return 0;
    double cells = floor((p->high - p->low) / step + 1e-9) + 1.0;
    return cells >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)cells;
}

void cfg_release_parameters(cfg_config *a, const cfg_config *b)
{
    if (a->params == b->params)
        return;
    for (size_t k = 0; k < a->n_params; k++)
        cfg_param_clear(&a->params[k]);
    free(a->params);
}

/* ---- writing back ------------------------------------------------------------------- */

static void write_number(FILE *out, const cfg_param *p, double x)
{
    hps_value v = {.type = p->kind == CFG_INT ? HPS_VALUE_INT : HPS_VALUE_FLOAT};
    if (p->kind == CFG_INT)
        v.u.i = (int64_t)llround(x);
    else
        v.u.f = x;
    cfg_write_value(out, &v);
}

static void write_values(FILE *out, const char *key, const cfg_param *p)
{
    fprintf(out, "    %s: [", key);
    for (size_t i = 0; i < p->n_values; i++) {
        fputs(i > 0 ? ", " : "", out);
        cfg_write_value(out, &p->values[i]);
    }
    fputs("]\n", out);
}

/* A float or int range in W&B's form: the distribution says int, log and step. */
static void write_range_wandb(FILE *out, const cfg_param *p)
{
    int log_scale = (p->flags & HPS_LOG) != 0;
    int quantized = p->step > 0 || (p->kind == CFG_INT && log_scale);
    const char *dist = quantized && log_scale ? "q_log_uniform_values"
                       : quantized            ? "q_uniform"
                       : p->kind == CFG_INT   ? "int_uniform"
                       : log_scale            ? "log_uniform_values"
                                              : "uniform";
    fprintf(out, "    distribution: %s\n    min: ", dist);
    write_number(out, p, p->low);
    fputs("\n    max: ", out);
    write_number(out, p, p->high);
    fputs("\n", out);
    if (quantized) {
        fputs("    q: ", out); /* an int q keeps the values ints */
        write_number(out, p, p->step > 0 ? p->step : 1);
        fputs("\n", out);
    }
}

static void write_range_native(FILE *out, const cfg_param *p)
{
    fprintf(out, "    type: %s\n    low: ", p->kind == CFG_INT ? "int" : "float");
    write_number(out, p, p->low);
    fputs("\n    high: ", out);
    write_number(out, p, p->high);
    fputs("\n", out);
    if (p->step > 0 && !(p->kind == CFG_INT && p->step == 1)) {
        fputs("    step: ", out);
        write_number(out, p, p->step);
        fputs("\n", out);
    }
    if (p->flags & HPS_LOG)
        fputs("    log: true\n", out);
    if (p->n_values > 0)
        write_values(out, "values", p);
}

/* The prior as JSON, which YAML reads as a flow mapping; left out when narrowing left
 * it outside the parameter (W&B's form has no prior). */
static void write_prior(FILE *out, const cfg_param *p, int wandb)
{
    if (!wandb && cfg_prior_fits(p))
        fprintf(out, "    prior: %s\n", p->prior);
}

/* The value a study's earlier trials ran with (W&B's form has no default). */
static void write_default(FILE *out, const cfg_param *p, int wandb)
{
    if (wandb || !p->has_default)
        return;
    fputs("    default: ", out);
    cfg_write_value(out, &p->dflt);
    fputs("\n", out);
}

static void write_param(FILE *out, const cfg_param *p, int wandb)
{
    fprintf(out, "  %s:\n", p->name);
    if (p->kind == CFG_CONSTANT) {
        fputs("    value: ", out);
        cfg_write_value(out, &p->values[0]);
        fputs("\n", out);
        return;
    }
    /* W&B has no range with explicit grid values: they are written as its values */
    if (p->kind == CFG_CATEGORICAL || (p->n_values > 0 && wandb)) {
        write_values(out, "values", p);
        write_prior(out, p, wandb);
        write_default(out, p, wandb);
        cfg_write_when(out, p);
        return;
    }
    if (wandb)
        write_range_wandb(out, p);
    else
        write_range_native(out, p);
    if (p->grid_points > 0)
        fprintf(out, "    grid_points: %zu\n", p->grid_points);
    write_prior(out, p, wandb);
    write_default(out, p, wandb);
    cfg_write_when(out, p);
}

/* Components of a W&B nested name's group path ("a.b.c" -> 2), and the length of the
 * first `n` of them ("a.b" for 2). */
static size_t group_depth(const cfg_param *p)
{
    size_t depth = 0;
    for (const char *c = p->name; p->nested && *c != '\0'; c++)
        depth += *c == '.';
    return depth;
}

static size_t group_prefix_len(const char *name, size_t n)
{
    size_t len = 0;
    for (size_t k = 0; k < n; k++) {
        const char *dot = strchr(name + len, '.');
        len = (size_t)(dot - name) + 1;
    }
    return len;
}

/* A member of a W&B nested group: its groups opened as needed after those the previous
 * parameter left open, then the parameter under its own name, indented to its depth. */
static void write_nested(FILE *out, const cfg_param *p, const cfg_param *prev)
{
    size_t depth = group_depth(p), shared = 0;
    size_t prev_depth = prev != NULL ? group_depth(prev) : 0;
    while (shared < depth && shared < prev_depth &&
           group_prefix_len(p->name, shared + 1) == group_prefix_len(prev->name, shared + 1) &&
           strncmp(p->name, prev->name, group_prefix_len(p->name, shared + 1)) == 0)
        shared++;
    for (size_t k = shared; k < depth; k++) {
        size_t from = group_prefix_len(p->name, k), to = group_prefix_len(p->name, k + 1);
        fprintf(out, "%*s  %.*s:\n%*s    parameters:\n", (int)(4 * k), "",
                (int)(to - from - 1), p->name + from, (int)(4 * k), "");
    }
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL)
        return;
    cfg_param leaf = *p;
    leaf.name = p->name + group_prefix_len(p->name, depth);
    write_param(mem, &leaf, 1);
    fclose(mem);
    for (char *line = text, *end; line != NULL && *line != '\0'; line = end) {
        end = strchr(line, '\n');
        end = end != NULL ? end + 1 : line + strlen(line);
        fprintf(out, "%*s%.*s", (int)(4 * depth), "", (int)(end - line), line);
    }
    free(text);
}

void cfg_write_parameters(FILE *out, const cfg_config *cfg)
{
    fputs("parameters:\n", out);
    for (size_t i = 0; i < cfg->n_params; i++) {
        const cfg_param *p = &cfg->params[i];
        const cfg_param *prev = i > 0 && cfg->params[i - 1].nested ? &cfg->params[i - 1] : NULL;
        if (p->nested)
            write_nested(out, p, prev);
        else
            write_param(out, p, cfg->is_wandb);
    }
}
