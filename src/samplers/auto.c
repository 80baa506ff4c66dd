/* auto.c -- the `auto` sampler: picks the strategy for each trial and says which.
 *
 * It looks at the relative search space (kinds of parameters, whether the space is
 * conditional), the study's objectives and constraints, its budget and how many trials
 * have finished, asks auto_policy.c which strategy fits, and lets that sampler draw the
 * trial. The choice is kept with the trial (system attribute "sampler"), so reports can
 * show which strategy ran each trial, and so the trial's later suggestions follow the
 * same one.
 * The strategies keep their own state (a GP's last fit, CMA-ES's distribution), so
 * each is created once and kept. */
#include "base/mem.h"
#include "samplers/auto_policy.h"
#include "samplers/sampler.h"

#include <stdio.h>
#include <string.h>

typedef struct auto_state {
    hps_sampler *subs[AUTO_RANDOM + 1]; /* created on first use */
} auto_state;

static const hps_sampler_ops *ops_for(auto_strategy s)
{
    switch (s) {
#if HPS_HAVE_LAPACK
    case AUTO_GP:
        return &hps_gp_sampler_ops;
    case AUTO_CMAES:
        return &hps_cmaes_sampler_ops;
#else
    case AUTO_GP:    /* auto_decide picks neither in a build without them */
    case AUTO_CMAES:
#endif
    case AUTO_TPE:
        return &hps_tpe_sampler_ops;
    case AUTO_SOBOL:
        return &hps_sobol_sampler_ops;
    case AUTO_GRID: /* the auto sampler cannot enumerate a grid: see can_grid */
    case AUTO_RANDOM:
        break;
    }
    return &hps_random_sampler_ops;
}

static hps_status auto_init(hps_sampler *sampler)
{
    sampler->impl = hps_mem_calloc(1, sizeof(auto_state));
    if (sampler->impl == NULL)
        return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
    return HPS_OK;
}

static void auto_destroy(hps_sampler *sampler)
{
    auto_state *a = sampler->impl;
    if (a == NULL)
        return;
    for (size_t i = 0; i < sizeof a->subs / sizeof a->subs[0]; i++)
        hps_sampler_free(a->subs[i]);
    hps_mem_free(a);
}

/* The strategy's sampler, created and attached with the auto sampler's seed. */
static hps_status sub_sampler(hps_sampler *sampler, const hps_context *ctx, auto_strategy s,
                              hps_sampler **out)
{
    auto_state *a = sampler->impl;
    if (a->subs[s] != NULL) {
        *out = a->subs[s];
        return HPS_OK;
    }
    hps_sampler *sub;
    hps_status rc = hps_sampler_from_ops(ops_for(s), &sub);
    if (rc != HPS_OK)
        return hps_errbuf_set(&sampler->err, rc, "cannot create the %s sampler",
                              auto_strategy_name(s));
    sub->seed = sampler->seed;
    sub->seeded = sampler->seeded;
    /* auto's policy was benchmarked with TPE's former 10 random start-up trials
     * (bench/multiobjective.md); tpe's default of 5 was measured on one objective only,
     * and several objectives lost 2.6 points at 25 trials with it (bench/tpe_cmaes.md) */
    if (s == AUTO_TPE && (rc = hps_sampler_set(sub, "n_startup_trials", "10")) != HPS_OK) {
        hps_errbuf_set(&sampler->err, rc, "%s", hps_sampler_errmsg(sub));
        hps_sampler_free(sub);
        return rc;
    }
    if (sub->ops->bind != NULL && (rc = sub->ops->bind(sub, ctx)) != HPS_OK) {
        hps_errbuf_set(&sampler->err, rc, "%s", hps_errbuf_text(&sub->err));
        hps_sampler_free(sub);
        return rc;
    }
    sub->bound = 1;
    a->subs[s] = sub;
    *out = sub;
    return HPS_OK;
}

/* Counts kinds in the relative space and detects a conditional space (a finished
 * trial with a parameter outside the space), several objectives and constraints.
 * A distribution with one value (the CLI passes a constant as a one-choice categorical)
 * is nothing to search: it is left out of the counts, as Optuna's search space leaves it
 * out and as hpsearch plan (space_auto_choose) does, so both name the same strategy.
 * The conditional check still compares with the whole space, which does hold it. */
static void describe(const hps_context *ctx, const hps_history *h, auto_inputs *in)
{
    memset(in, 0, sizeof *in);
    for (size_t i = 0; i < h->space.n; i++) {
        const hps_dist *d = h->space.dists[i];
        if (hps_dist_cardinality(d) == 1)
            continue;
        if (d->kind == HPS_DIST_CATEGORICAL)
            in->n_categorical++;
        else if (d->kind == HPS_DIST_INT)
            in->n_int++;
        else
            in->n_float++;
    }
    for (size_t i = 0; i < h->n_finished && !in->conditional; i++)
        in->conditional = h->finished[i]->n_params != h->space.n;
    /* as TPE: a study uses constraints when a finished trial carries their values */
    for (size_t i = 0; i < h->n_finished && !in->constrained; i++)
        in->constrained = hps_frozen_n_constraints(h->finished[i]) > 0;
    in->n_objectives = ctx->n_directions;
    in->budget = ctx->budget;
    in->n_finished = h->n_finished;
    in->can_grid = 0;
}

static auto_strategy parse_choice(const hps_frozen *rec, int *found)
{
    const char *name = json_string_value(json_object_get(rec->system_attrs, "sampler"));
    *found = name != NULL;
    for (int s = 0; name != NULL && s <= AUTO_RANDOM; s++)
        if (strcmp(name, auto_strategy_name((auto_strategy)s)) == 0)
            return (auto_strategy)s;
    return AUTO_RANDOM;
}

/* Decides for a trial (once) and records the choice on it. */
static hps_status choose(hps_sampler *sampler, const hps_context *ctx, const hps_history *given,
                         auto_strategy *out)
{
    int found;
    *out = parse_choice(ctx->trial, &found);
    if (found)
        return HPS_OK;
    hps_history own;
    const hps_history *h = given;
    if (h == NULL) {
        hps_status rc = hps_ctx_history(ctx, &own, &sampler->err);
        if (rc != HPS_OK)
            return rc;
        h = &own;
    }
    auto_inputs in;
    describe(ctx, h, &in);
    auto_decision decision;
    auto_decide(&in, &decision);
    if (h == &own)
        hps_ctx_history_release(ctx, &own);
    *out = decision.strategy;
    char json[48];
    snprintf(json, sizeof json, "\"%s\"", auto_strategy_name(decision.strategy));
    return hps_ctx_set_trial_attr(ctx, "sampler", json, &sampler->err);
}

static hps_status auto_sample_relative(hps_sampler *sampler, const hps_context *ctx,
                                       const hps_history *history, double *values_out)
{
    auto_strategy s;
    hps_sampler *sub;
    hps_status rc = choose(sampler, ctx, history, &s);
    if (rc == HPS_OK)
        rc = sub_sampler(sampler, ctx, s, &sub);
    if (rc != HPS_OK || sub->ops->sample_relative == NULL)
        return rc;
    rc = sub->ops->sample_relative(sub, ctx, history, values_out);
    if (rc != HPS_OK)
        hps_errbuf_set(&sampler->err, rc, "%s: %s", auto_strategy_name(s), hps_errbuf_text(&sub->err));
    return rc;
}

static hps_status auto_sample(hps_sampler *sampler, const hps_context *ctx, const char *name,
                              const hps_dist *dist, double *internal_out)
{
    auto_strategy s;
    hps_sampler *sub;
    hps_status rc = choose(sampler, ctx, NULL, &s);
    if (rc == HPS_OK)
        rc = sub_sampler(sampler, ctx, s, &sub);
    if (rc != HPS_OK)
        return rc;
    rc = sub->ops->sample(sub, ctx, name, dist, internal_out);
    if (rc != HPS_OK)
        hps_errbuf_set(&sampler->err, rc, "%s: %s", auto_strategy_name(s), hps_errbuf_text(&sub->err));
    return rc;
}

const hps_sampler_ops hps_auto_sampler_ops = {
    .name = "auto",
    .help = "picks one of the other samplers for each trial from the space, the budget and "
            "the history, and records it in the trial's system attribute \"sampler\"",
    .learns = 1,
    .init = auto_init,
    .destroy = auto_destroy,
    .sample = auto_sample,
    .sample_relative = auto_sample_relative,
};
