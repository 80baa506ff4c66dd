/*
 * config_pbt.c -- the `pbt:` key: population-based training.
 *
 *   pbt: {population: 8, interval: 2}
 *   pbt: {population: 8, interval: 2, quantile: 0.25, resample_probability: 0.25,
 *         perturb: 0.2}
 *
 * The members train the fidelity parameter's budget in rounds of `interval` steps; after
 * each round the bottom `quantile` continue from a top member's checkpoint with its
 * hyperparameters explored (cli/pbt.h). The defaults are Ray Tune's.
 */
#include "config_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PBT_MAX_POPULATION 10000
#define PBT_MAX_INTERVAL 1000000000

static const char pbt_keys[] =
    "population, interval, quantile, resample_probability and perturb";

/* A share in [lo, hi) or [lo, hi] (closed), as `pbt.KEY`. */
static int read_share(cfg_ctx *ctx, const cfg_entry *e, const char *key, double lo, double hi,
                      int closed, const char *meaning, double *out)
{
    char where[64];
    snprintf(where, sizeof where, "pbt.%s", key);
    int rc = cfg_get_number(ctx, e->value, e->line, where, out, NULL);
    if (rc == 0 && !(*out > lo && (closed ? *out <= hi : *out < hi)))
        rc = cfg_fail(ctx, cfg_node_line(e->value, e->line), "%s: must be in (%g, %g%s (%s), "
                      "not %g", where, lo, hi, closed ? "]" : ")", meaning, *out);
    return rc;
}

static int read_pbt_entry(cfg_ctx *ctx, const cfg_entry *e, cfg_pbt *p)
{
    int64_t n;
    int rc;
    if (cfg_key_is(e->key, e->len, "population")) {
        rc = cfg_get_int(ctx, e->value, e->line, "pbt.population", 2, PBT_MAX_POPULATION, &n);
        p->population = (unsigned)n;
    } else if (cfg_key_is(e->key, e->len, "interval")) {
        rc = cfg_get_int(ctx, e->value, e->line, "pbt.interval", 1, PBT_MAX_INTERVAL, &n);
        p->interval = (unsigned)n;
    } else if (cfg_key_is(e->key, e->len, "quantile")) {
        rc = read_share(ctx, e, "quantile", 0, 0.5, 1, "the bottom share of the population "
                        "that copies a top member", &p->quantile);
    } else if (cfg_key_is(e->key, e->len, "resample_probability")) {
        p->resample_probability = -1;
        rc = cfg_get_number(ctx, e->value, e->line, "pbt.resample_probability",
                            &p->resample_probability, NULL);
        if (rc == 0 && !(p->resample_probability >= 0 && p->resample_probability <= 1))
            rc = cfg_fail(ctx, cfg_node_line(e->value, e->line), "pbt.resample_probability: "
                          "must be in [0, 1], not %g", p->resample_probability);
    } else if (cfg_key_is(e->key, e->len, "perturb")) {
        rc = read_share(ctx, e, "perturb", 0, 1, 0, "a number is multiplied by 1 - perturb "
                        "or 1 + perturb", &p->perturb);
    } else {
        rc = cfg_fail(ctx, e->line, "pbt: unknown key '%.*s' (pbt takes %s)",
                      (int)(e->len > 40 ? 40 : e->len), e->key, pbt_keys);
    }
    return rc;
}

int cfg_key_pbt(cfg_ctx *ctx, const cfg_node *v, int line, const char *key)
{
    const cfg_node *map;
    int rc = cfg_node_mapping(ctx, v, line, key, &map);
    if (rc != 0)
        return rc;
    cfg_pbt p = {.quantile = CFG_DEFAULT_PBT_QUANTILE,
                 .resample_probability = CFG_DEFAULT_PBT_RESAMPLE,
                 .perturb = CFG_DEFAULT_PBT_PERTURB,
                 .line = cfg_node_line(map, line)};
    const cfg_node *iter = NULL;
    cfg_entry e;
    while (rc == 0 && cfg_map_next(ctx, map, &iter, line, key, &e, &rc))
        rc = read_pbt_entry(ctx, &e, &p);
    if (rc != 0)
        return rc;
    if (p.population == 0)
        return cfg_fail(ctx, p.line, "pbt: missing population (how many members train side "
                        "by side, e.g. population: 8)");
    if (p.interval == 0)
        return cfg_fail(ctx, p.line, "pbt: missing interval (the steps of the fidelity each "
                        "round trains, e.g. interval: 2)");
    ctx->cfg->pbt = p;
    return 0;
}

void cfg_write_pbt(FILE *out, const cfg_config *cfg, const char *key, int given)
{
    (void)given;
    const cfg_pbt *p = &cfg->pbt;
    if (p->population == 0)
        return;
    fprintf(out, "%s: {population: %u, interval: %u, quantile: %.17g, resample_probability: "
            "%.17g, perturb: %.17g}\n", key, p->population, p->interval, p->quantile,
            p->resample_probability, p->perturb);
}

/* A key PBT takes over or cannot honour, as "LINE: KEY: why". */
static int refuse_with_pbt(cfg_ctx *ctx, const char *key, const char *why)
{
    int line = *cfg_key_line(ctx, key);
    return cfg_fail(ctx, line > 0 ? line : ctx->cfg->pbt.line, "%s: %s", key, why);
}

int cfg_check_pbt(cfg_ctx *ctx)
{
    const cfg_config *cfg = ctx->cfg;
    const cfg_pbt *p = &cfg->pbt;
    if (p->population == 0)
        return 0;
    if (cfg->fidelity == NULL)
        return cfg_fail(ctx, p->line, "pbt: needs a fidelity, the budget the members train in "
                        "rounds of interval steps (e.g. fidelity: epochs)");
    if (p->interval >= cfg->fidelity_max)
        return cfg_fail(ctx, p->line, "pbt.interval: %u steps is the whole budget (the "
                        "fidelity's max is %g), so no member would ever copy another; give a "
                        "smaller interval or a larger max", p->interval, cfg->fidelity_max);
    if (cfg_key_given(cfg, "sampler"))
        return refuse_with_pbt(ctx, "sampler", "pbt draws its population and explores "
                               "itself; remove sampler (seed: stays the seed)");
    if (cfg_key_given(cfg, "n_trials"))
        return refuse_with_pbt(ctx, "n_trials", "pbt runs population x rounds trials; remove "
                               "n_trials (the fidelity's max and pbt.interval set the rounds)");
    if (cfg->pruner != NULL)
        return refuse_with_pbt(ctx, "pruner", "pbt decides which members go on by itself; "
                               "remove pruner");
    if (cfg->n_objectives > 1 || cfg->n_constraints > 0)
        return refuse_with_pbt(ctx, cfg->n_objectives > 1 ? "metrics" : "constraints",
                               "pbt ranks its members by one objective, without constraints");
    if (cfg->retries > 0)
        return refuse_with_pbt(ctx, "retries", "a member's failed round counts as its worst "
                               "value in pbt; remove retries");
    if (cfg->repeats > 1)
        return refuse_with_pbt(ctx, "repeats", "pbt runs each member once per round");
    if (cfg->n_initial > 0 || cfg->warm_from != NULL)
        return refuse_with_pbt(ctx, cfg->n_initial > 0 ? "initial" : "warm_start",
                               "pbt draws its first population itself");
    if (cfg_is_conditional(cfg))
        return cfg_fail(ctx, p->line, "pbt: conditional parameters (when:) are not supported: "
                        "a member's parameters change from round to round");
    for (size_t k = 0; k < cfg->n_params; k++)
        if (cfg->params[k].kind != CFG_CONSTANT && strcmp(cfg->params[k].name, cfg->fidelity) != 0)
            return 0;
    return cfg_fail(ctx, p->line, "pbt: no parameter to explore: every parameter is a "
                    "constant or the fidelity");
}
