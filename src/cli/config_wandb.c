/*
 * config_wandb.c -- a parameter of a W&B sweep file, read the way W&B reads it:
 * distribution inferred from values / value / int or float min and max; q
 * distributions give ints exactly when q is an int (q defaults to 1); log_uniform
 * and q_log_uniform take natural-log exponents. Distributions hpsearch cannot
 * sample (normal, beta, inverse log, probabilities) are errors. Nested groups
 * (`optimizer: {parameters: {...}}`) are config_param.c's: their members are read here.
 */
#include "config_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- W&B form ----------------------------------------------------------------------- */

typedef enum cfg_wandb_dist {
    WD_CONSTANT, WD_CATEGORICAL, WD_INT_UNIFORM, WD_UNIFORM, WD_Q_UNIFORM,
    WD_LOG_UNIFORM_VALUES, WD_Q_LOG_UNIFORM_VALUES, WD_LOG_UNIFORM, WD_Q_LOG_UNIFORM,
    WD_COUNT
} cfg_wandb_dist;

static const char *const cfg_wandb_dist_names[WD_COUNT] = {
    "constant", "categorical", "int_uniform", "uniform", "q_uniform",
    "log_uniform_values", "q_log_uniform_values", "log_uniform", "q_log_uniform",
};

static const char *const cfg_wandb_unsupported[] = {
    "normal", "q_normal", "log_normal", "q_log_normal", "inv_log_uniform",
    "inv_log_uniform_values", "beta", "q_beta", "categorical_w_probabilities", NULL,
};

/* W&B draws X from [min, max] and returns round(X / q) * q, so the values it can give
 * are the multiples of q from round(min / q) to round(max / q); the engine's grid is
 * low + k*step, so the bounds move onto those multiples. (A log scale cannot start at
 * 0: then the first positive multiple.) */
static int cfg_snap_to_q(cfg_ctx *ctx, cfg_param *p, const cfg_pkeys *keys)
{
    double q = p->step, low = p->low, high = p->high;
    double new_low = nearbyint(low / q) * q, new_high = nearbyint(high / q) * q;
    if ((p->flags & HPS_LOG) && new_low <= 0.0)
        new_low = q;
    /* A float bound that is already a multiple up to rounding keeps the value as written;
     * an int parameter needs the exact multiple. */
    if (p->kind != CFG_INT && fabs(new_low - low) <= 1e-9 * fmax(1.0, fabs(low)))
        new_low = low;
    if (p->kind != CFG_INT && fabs(new_high - high) <= 1e-9 * fmax(1.0, fabs(high)))
        new_high = high;
    if (!(new_low <= new_high))
        return cfg_fail(ctx, keys->line[PK_Q] ? keys->line[PK_Q] : p->line,
                        "parameters.%s: no multiple of q (%.15g) lies between min (%.15g) and "
                        "max (%.15g)", p->name, q, low, high);
    /* Bounds that came through exp(log(x)) are off by rounding noise: no news to report. */
    if (fabs(new_low - low) > 1e-6 * fabs(low) || fabs(new_high - high) > 1e-6 * fabs(high)) {
        int rc = cfg_warn(ctx, p->line, "parameters.%s: min and max moved to multiples of q "
                          "(%.15g), as W&B rounds: %.15g..%.15g", p->name, q, new_low, new_high);
        if (rc != 0)
            return rc;
    }
    p->low = new_low;
    p->high = new_high;
    return 0;
}

int cfg_param_wandb(cfg_ctx *ctx, cfg_param *p, const cfg_node *map, int line)
{
    cfg_pkeys keys;
    char key[CFG_MAX_NAME + 32];
    memset(&keys, 0, sizeof keys);
    keys.low_name = "min";
    keys.high_name = "max";
    keys.step_name = "q";
    keys.low_k = PK_MIN;
    keys.high_k = PK_MAX;
    keys.step_k = PK_Q;
    unsigned long allowed = (1ul << PK_VALUES) | (1ul << PK_VALUE) | (1ul << PK_GRID_POINTS) |
                            (1ul << PK_DISTRIBUTION) | (1ul << PK_MIN) | (1ul << PK_MAX) |
                            (1ul << PK_Q);
    int rc = cfg_collect_keys(ctx, p, map, line, allowed, &keys);
    if (rc != 0)
        return rc;
    if (keys.node[PK_WHEN] != NULL)
        return cfg_fail(ctx, keys.line[PK_WHEN], "parameters.%s.when: W&B sweep files have "
                        "no conditions (conditional parameters are hpsearch's own format)",
                        p->name);
    if (keys.node[PK_DEFAULT] != NULL)
        return cfg_fail(ctx, keys.line[PK_DEFAULT], "parameters.%s.default: W&B sweep files "
                        "take no default (a parameter added to a running study needs "
                        "hpsearch's own format)", p->name);

    int dist = -1;
    if (keys.node[PK_DISTRIBUTION] != NULL) {
        cfg_scalar s;
        snprintf(key, sizeof key, "parameters.%s.distribution", p->name);
        rc = cfg_get_scalar(ctx, keys.node[PK_DISTRIBUTION], keys.line[PK_DISTRIBUTION], key,
                            &s);
        if (rc != 0)
            return rc;
        for (int d = 0; d < WD_COUNT && s.type == HPS_VALUE_STRING; d++)
            if (cfg_key_is(s.text, s.len, cfg_wandb_dist_names[d]))
                dist = d;
        for (int u = 0; cfg_wandb_unsupported[u] != NULL && dist < 0; u++)
            if (s.type == HPS_VALUE_STRING && cfg_key_is(s.text, s.len, cfg_wandb_unsupported[u]))
                return cfg_fail(ctx, s.line, "distribution '%s' is not supported (parameter "
                                "'%s')", cfg_wandb_unsupported[u], p->name);
        if (dist < 0) {
            char what[64];
            cfg_scalar_describe(&s, what, sizeof what);
            return cfg_fail(ctx, s.line, "%s: unknown distribution %s (parameter '%s')", key,
                            what, p->name);
        }
    }
    if (keys.node[PK_PROBABILITIES] != NULL)
        return cfg_fail(ctx, keys.line[PK_PROBABILITIES], "parameters.%s.probabilities: "
                        "per-value probabilities are not supported (parameter '%s'); values "
                        "are drawn with equal chance", p->name, p->name);
    for (int k = PK_MU; k <= PK_B; k++)
        if (keys.node[k] != NULL)
            return cfg_fail(ctx, keys.line[k], "parameters.%s.%s: not supported (parameter "
                            "'%s'); '%s' belongs to the normal and beta distributions, which "
                            "this version does not have", p->name, cfg_pkey_names[k], p->name,
                            cfg_pkey_names[k]);

    int min_int = 0, max_int = 0;
    if (keys.node[PK_MIN] != NULL) {
        snprintf(key, sizeof key, "parameters.%s.min", p->name);
        rc = cfg_get_number(ctx, keys.node[PK_MIN], keys.line[PK_MIN], key, &p->low, &min_int);
        if (rc != 0)
            return rc;
    }
    if (keys.node[PK_MAX] != NULL) {
        snprintf(key, sizeof key, "parameters.%s.max", p->name);
        rc = cfg_get_number(ctx, keys.node[PK_MAX], keys.line[PK_MAX], key, &p->high, &max_int);
        if (rc != 0)
            return rc;
    }
    if (dist < 0) { /* W&B's own inference */
        if (keys.node[PK_VALUES] != NULL)
            dist = WD_CATEGORICAL;
        else if (keys.node[PK_VALUE] != NULL)
            dist = WD_CONSTANT;
        else if (keys.node[PK_MIN] != NULL && keys.node[PK_MAX] != NULL)
            dist = min_int && max_int ? WD_INT_UNIFORM : WD_UNIFORM;
        else
            return cfg_fail(ctx, line, "parameters.%s: needs values, value, or min and max",
                            p->name);
    }

    const char *dname = cfg_wandb_dist_names[dist];
    char why[96];
    snprintf(why, sizeof why, "with distribution '%s'", dname);
    unsigned long range_keys = (1ul << PK_MIN) | (1ul << PK_MAX) | (1ul << PK_Q) |
                               (1ul << PK_GRID_POINTS);
    if (dist == WD_CONSTANT || dist == WD_CATEGORICAL) {
        int k = dist == WD_CONSTANT ? PK_VALUE : PK_VALUES;
        rc = cfg_forbid(ctx, p, &keys, range_keys | (1ul << (dist == WD_CONSTANT ? PK_VALUES
                                                                                 : PK_VALUE)),
                        why);
        if (rc != 0)
            return rc;
        if (keys.node[k] == NULL)
            return cfg_fail(ctx, line, "parameters.%s: distribution '%s' needs %s", p->name,
                            dname, cfg_pkey_names[k]);
        snprintf(key, sizeof key, "parameters.%s.%s", p->name, cfg_pkey_names[k]);
        if (dist == WD_CONSTANT)
            return cfg_read_constant(ctx, p, keys.node[k], keys.line[k], key);
        p->kind = CFG_CATEGORICAL;
        return cfg_read_values(ctx, p, keys.node[k], keys.line[k], key);
    }

    int quantized = dist == WD_Q_UNIFORM || dist == WD_Q_LOG_UNIFORM_VALUES ||
                    dist == WD_Q_LOG_UNIFORM;
    rc = cfg_forbid(ctx, p, &keys, (1ul << PK_VALUES) | (1ul << PK_VALUE) |
                                       (quantized ? 0ul : 1ul << PK_Q), why);
    if (rc != 0)
        return rc;
    if (keys.node[PK_MIN] == NULL || keys.node[PK_MAX] == NULL)
        return cfg_fail(ctx, line, "parameters.%s: distribution '%s' needs min and max",
                        p->name, dname);
    rc = cfg_read_grid_points(ctx, p, &keys);
    if (rc != 0)
        return rc;
    /* W&B returns ints from a q distribution exactly when q is an int; q defaults to 1. */
    int q_int = 1;
    if (quantized) {
        p->step = 1.0;
        if (keys.node[PK_Q] != NULL) {
            rc = cfg_read_step_like(ctx, p, &keys, PK_Q, &p->step, &q_int);
            if (rc != 0)
                return rc;
        }
    }
    if (dist == WD_LOG_UNIFORM || dist == WD_Q_LOG_UNIFORM) { /* bounds are exponents */
        p->low = exp(p->low);
        p->high = exp(p->high);
        if (!isfinite(p->high) || !(p->low > 0.0))
            return cfg_fail(ctx, keys.line[PK_MAX], "parameters.%s: exp(min)..exp(max) is out "
                            "of the range of doubles (distribution '%s' takes natural-log "
                            "exponents; for plain bounds use '%s_values')", p->name, dname,
                            dname);
    }
    if (dist == WD_LOG_UNIFORM_VALUES || dist == WD_Q_LOG_UNIFORM_VALUES ||
        dist == WD_LOG_UNIFORM || dist == WD_Q_LOG_UNIFORM)
        p->flags = HPS_LOG;
    if (dist == WD_INT_UNIFORM || (quantized && q_int))
        p->kind = CFG_INT;
    else
        p->kind = CFG_FLOAT;
    if (quantized && isfinite(p->low) && isfinite(p->high) && p->low <= p->high &&
        (!(p->flags & HPS_LOG) || p->low > 0.0)) {
        rc = cfg_snap_to_q(ctx, p, &keys);
        if (rc != 0)
            return rc;
    }
    return cfg_check_range(ctx, p, &keys);
}
