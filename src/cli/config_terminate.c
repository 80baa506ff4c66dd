/*
 * config_terminate.c -- the `terminate:` key: when a run stops starting trials because
 * further improvement is unlikely.
 *
 *   terminate: {no_improvement: 20}
 *   terminate: {best_value_stagnation: 30, regret_bound: 0.005, min_trials: 20}
 *
 * no_improvement is the plain rule (N COMPLETE trials in a row without a better value);
 * best_value_stagnation and regret_bound are Optuna's Terminator with its
 * BestValueStagnationEvaluator and its RegretBoundEvaluator against a constant error
 * (the CLI has no cross-validation scores), both only once min_trials trials are
 * COMPLETE. The run applies them (run_terminate.c).
 */
#include "config_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define TERMINATE_MAX_TRIALS 1000000

static const char terminate_keys[] =
    "no_improvement, best_value_stagnation, regret_bound, min_trials and top_trials_ratio";

static int read_terminate_entry(cfg_ctx *ctx, const cfg_entry *e, cfg_terminate *t)
{
    int64_t n;
    int rc;
    if (cfg_key_is(e->key, e->len, "no_improvement")) {
        rc = cfg_get_int(ctx, e->value, e->line, "terminate.no_improvement", 1,
                         TERMINATE_MAX_TRIALS, &n);
        t->no_improvement = (unsigned)n;
    } else if (cfg_key_is(e->key, e->len, "best_value_stagnation")) {
        rc = cfg_get_int(ctx, e->value, e->line, "terminate.best_value_stagnation", 0,
                         TERMINATE_MAX_TRIALS, &n);
        t->stagnation = (unsigned)n;
        t->has_stagnation = rc == 0;
    } else if (cfg_key_is(e->key, e->len, "min_trials")) {
        rc = cfg_get_int(ctx, e->value, e->line, "terminate.min_trials", 1,
                         TERMINATE_MAX_TRIALS, &n);
        t->min_trials = (unsigned)n;
    } else if (cfg_key_is(e->key, e->len, "regret_bound")) {
        rc = cfg_get_number(ctx, e->value, e->line, "terminate.regret_bound", &t->regret_bound,
                            NULL);
        if (rc == 0 && !(t->regret_bound > 0 && isfinite(t->regret_bound)))
            rc = cfg_fail(ctx, cfg_node_line(e->value, e->line), "terminate.regret_bound: must "
                          "be a positive number (the smallest room for improvement worth "
                          "more trials, in the metric's units), not %g", t->regret_bound);
    } else if (cfg_key_is(e->key, e->len, "top_trials_ratio")) {
        rc = cfg_get_number(ctx, e->value, e->line, "terminate.top_trials_ratio",
                            &t->top_trials_ratio, NULL);
        if (rc == 0 && !(t->top_trials_ratio > 0 && t->top_trials_ratio <= 1))
            rc = cfg_fail(ctx, cfg_node_line(e->value, e->line), "terminate.top_trials_ratio: "
                          "must be in (0, 1], not %g", t->top_trials_ratio);
    } else {
        rc = cfg_fail(ctx, e->line, "terminate: unknown key '%.*s' (terminate takes %s)",
                      (int)(e->len > 40 ? 40 : e->len), e->key, terminate_keys);
    }
    return rc;
}

int cfg_key_terminate(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    const cfg_node *map;
    int rc = cfg_node_mapping(ctx, v, line, key, &map);
    if (rc != 0)
        return rc;
    cfg_terminate t = {.line = cfg_node_line(map, line)};
    const cfg_node *iter = NULL;
    cfg_entry e;
    int min_trials_line = 0, ratio_line = 0;
    while (rc == 0 && cfg_map_next(ctx, map, &iter, line, key, &e, &rc)) {
        if (cfg_key_is(e.key, e.len, "min_trials"))
            min_trials_line = e.line;
        if (cfg_key_is(e.key, e.len, "top_trials_ratio"))
            ratio_line = e.line;
        rc = read_terminate_entry(ctx, &e, &t);
    }
    if (rc != 0)
        return rc;
    if (!CFG_TERMINATE_ON(&t))
        return cfg_fail(ctx, t.line, "terminate: names no rule (give no_improvement, "
                        "best_value_stagnation or regret_bound)");
    if (min_trials_line > 0 && !t.has_stagnation && t.regret_bound == 0)
        return cfg_fail(ctx, min_trials_line, "terminate.min_trials: applies to "
                        "best_value_stagnation and regret_bound; neither is given");
    if (ratio_line > 0 && t.regret_bound == 0)
        return cfg_fail(ctx, ratio_line, "terminate.top_trials_ratio: applies to "
                        "regret_bound, which is not given");
    ctx->cfg->terminate = t;
    return 0;
}

void cfg_write_terminate(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    (void)given;
    const cfg_terminate *t = &cfg->terminate;
    if (!CFG_TERMINATE_ON(t))
        return;
    const char *sep = "";
    fprintf(out, "%s: {", key);
    if (t->no_improvement > 0) {
        fprintf(out, "%sno_improvement: %u", sep, t->no_improvement);
        sep = ", ";
    }
    if (t->has_stagnation) {
        fprintf(out, "%sbest_value_stagnation: %u", sep, t->stagnation);
        sep = ", ";
    }
    if (t->regret_bound > 0) {
        fprintf(out, "%sregret_bound: %.17g", sep, t->regret_bound);
        sep = ", ";
    }
    if (t->min_trials > 0)
        fprintf(out, "%smin_trials: %u", sep, t->min_trials);
    if (t->top_trials_ratio > 0)
        fprintf(out, ", top_trials_ratio: %.17g", t->top_trials_ratio);
    fputs("}\n", out);
}
