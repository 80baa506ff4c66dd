/* auto.c -- the auto pruner: the pruning strategy for a study with a budget (fidelity),
 * chosen the way the auto sampler chooses, on the pruning benchmark (bench/pruning.md).
 *
 * It runs a rung strategy and the forecast pruner side by side on every report -- both
 * keep their state (rung values, forecasts) -- and stops a trial when either says so:
 * the rungs clear out the bad trials early, before a curve has the points to be
 * forecast, and the forecast then stops the trials that passed a rung but whose curve
 * will not reach the best one, between rungs and after the last (bench/pruning.md: the
 * rule and its numbers).
 *
 * The rung strategy is Hyperband (reduction factor 3, brackets up to max_step) unless
 * `stopping` says asha, successive halving's single bracket (the default until
 * 2026-12-07): Hyperband's gentler brackets let a slow starter reach the budget where
 * the single bracket stops it at the first rungs (issue 20; bench/pruning.md, "pruner:
 * auto with Hyperband": on two learning-curve tables more seeds reach the best cell at
 * 1 000 epochs, no lower a best within 200). Both are stop-form pruners, which work for
 * any script. */
#include "base/mem.h"
#include "pruners/asha.h"
#include "pruners/pruner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Which strategy stops trials at the rungs, beside the forecast. */
enum { STOPPING_ASHA = 0, STOPPING_HYPERBAND = 1 };

static const hps_option_choice stopping_strategies[] = {
    {"asha", STOPPING_ASHA},
    {"hyperband", STOPPING_HYPERBAND},
    {NULL, 0},
};

typedef struct auto_state {
    int64_t min_resource; /* the first rung */
    int64_t max_step;     /* the forecast's target and hyperband's max_resource; 0 = auto */
    int stopping;         /* STOPPING_* */
    hps_pruner *rungs;    /* hyperband or asha, created at bind once `stopping` is known */
    hps_pruner *forecast;
} auto_state;

static const hps_option auto_options[] = {
    {.name = "min_resource", .type = HPS_OPTION_INT, HPS_OPTION_FIELD(auto_state, min_resource),
     .def = "1", .min = 1, .max = 1000000,
     .help = "the step of the first rung, of Hyperband or successive halving (the CLI's "
             "fidelity min when there is one)"},
    {.name = "max_step", .type = HPS_OPTION_INT, HPS_OPTION_FIELD(auto_state, max_step),
     .def = "auto", .min = 1, .keyword = "auto", .keyword_value = 0,
     .help = "the full budget's step, which the forecast is for and Hyperband's brackets "
             "span (auto: the largest last step of the COMPLETE trials, plus 1 for "
             "Hyperband; the CLI's fidelity max when there is one)"},
    {.name = "stopping", .type = HPS_OPTION_ENUM, HPS_OPTION_FIELD(auto_state, stopping),
     .def = "hyperband", .choices = stopping_strategies,
     .help = "the strategy that stops trials at the rungs beside the forecast: hyperband "
             "(brackets of different aggressiveness up to max_step, which let more slow "
             "starters reach the budget) or asha (successive halving, one bracket: the "
             "default until 2026-12-07); both reduction factor 3"},
    HPS_OPTIONS_END,
};

static void auto_destroy(hps_pruner *pruner)
{
    auto_state *s = pruner->impl;
    if (s == NULL)
        return;
    hps_pruner_free(s->rungs);
    hps_pruner_free(s->forecast);
    hps_mem_free(s);
    pruner->impl = NULL;
}

static hps_status auto_init(hps_pruner *pruner)
{
    auto_state *s = hps_mem_calloc(1, sizeof *s);
    if (s == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    pruner->impl = s;
    char err[HPS_ERRBUF_SIZE];
    hps_status rc = hps_pruner_new("forecast", &s->forecast, err, sizeof err);
    if (rc != HPS_OK) {
        auto_destroy(pruner); /* hps_pruner_new frees only the handle of a failed init */
        return hps_errbuf_set(&pruner->err, rc, "out of memory");
    }
    return HPS_OK;
}

/* Creates the rung strategy `stopping` names, with auto's options, and binds it. */
static hps_status bind_rungs(hps_pruner *pruner, auto_state *s, const hps_context *ctx)
{
    char err[HPS_ERRBUF_SIZE];
    const char *name = s->stopping == STOPPING_HYPERBAND ? "hyperband" : "asha";
    hps_pruner_free(s->rungs); /* a second bind starts afresh */
    s->rungs = NULL;
    hps_status rc = hps_pruner_new(name, &s->rungs, err, sizeof err);
    if (rc != HPS_OK)
        return hps_errbuf_set(&pruner->err, rc, "%s", err);
    char text[32];
    rc = hps_pruner_set(s->rungs, "reduction_factor", "3");
    snprintf(text, sizeof text, "%lld", (long long)s->min_resource);
    if (rc == HPS_OK)
        rc = hps_pruner_set(s->rungs, "min_resource", text);
    if (rc == HPS_OK && s->stopping == STOPPING_HYPERBAND && s->max_step > 0) {
        snprintf(text, sizeof text, "%lld", (long long)s->max_step);
        rc = hps_pruner_set(s->rungs, "max_resource", text);
    }
    if (rc == HPS_OK)
        rc = hps_pruner_bind(s->rungs, ctx);
    if (rc != HPS_OK) /* say whose options they were: the user set auto's, not these */
        return hps_errbuf_set(&pruner->err, rc, "pruner 'auto' (stopping %s): %s", name,
                              hps_pruner_errmsg(s->rungs));
    return HPS_OK;
}

/* Whether any trial of the study carries a rung record (asha's and hyperband's, at
 * their first rung). */
static int has_rung_records(const hps_context *ctx, hps_errbuf *err, hps_status *rc)
{
    const hps_frozen *const *all;
    size_t n;
    char first[48];
    asha_rung_key(0, first, sizeof first);
    *rc = hps_ctx_trials(ctx, &all, &n, err);
    for (size_t i = 0; *rc == HPS_OK && i < n; i++)
        if (all[i] != NULL && json_object_get(all[i]->system_attrs, first) != NULL)
            return 1;
    return 0;
}

/* The study keeps the rung strategy it started with (study attribute STOPPING_KEY,
 * agreed by its first worker): a rung record (completed_rung_K) means a step only within
 * one strategy -- asha's rung 0 is step min_resource, hyperband's is min_resource *
 * 3^bracket -- so a study that mixed them would compare values of different steps. A
 * study with rung records and no attribute ran auto before the option existed, which
 * was asha. A worker given another strategy explicitly is refused, naming both; one left
 * at the default takes the study's. */
#define STOPPING_KEY HPS_PRUNER_AUTO_STOPPING_ATTR

static hps_status agree_stopping(hps_pruner *pruner, auto_state *s, const hps_context *ctx)
{
    hps_status rc;
    int proposed = has_rung_records(ctx, &pruner->err, &rc) ? STOPPING_ASHA : s->stopping;
    if (rc != HPS_OK)
        return rc;
    char *stored = NULL;
    rc = hps_ctx_agree(ctx, STOPPING_KEY,
                       proposed == STOPPING_HYPERBAND ? "\"hyperband\"" : "\"asha\"", &stored,
                       &pruner->err);
    if (rc != HPS_OK)
        return rc;
    int agreed = strcmp(stored, "\"hyperband\"") == 0 ? STOPPING_HYPERBAND
                 : strcmp(stored, "\"asha\"") == 0   ? STOPPING_ASHA
                                                      : -1;
    free(stored);
    if (agreed < 0)
        return hps_errbuf_set(&pruner->err, HPS_ERR_CORRUPT,
                              "study '%s': its stored %s is malformed", ctx->study_name,
                              STOPPING_KEY);
    if (agreed != s->stopping && hps_options_given(auto_options, pruner->given, "stopping"))
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'auto': study '%s' stops trials with %s (its rung "
                              "records are %s's), not %s: a study keeps its stopping strategy",
                              ctx->study_name, stopping_strategies[agreed].name,
                              stopping_strategies[agreed].name,
                              stopping_strategies[s->stopping].name);
    s->stopping = agreed;
    return HPS_OK;
}

/* Hands the options to the two strategies and binds them to the study. */
static hps_status auto_bind(hps_pruner *pruner, const hps_context *ctx)
{
    auto_state *s = pruner->impl;
    hps_status rc = hps_pruner_needs_one_objective(pruner, ctx);
    if (rc == HPS_OK && s->max_step > 0 && s->max_step < s->min_resource)
        rc = hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                            "pruner 'auto': max_step (%lld) is below min_resource (%lld)",
                            (long long)s->max_step, (long long)s->min_resource);
    if (rc == HPS_OK)
        rc = agree_stopping(pruner, s, ctx);
    if (rc == HPS_OK)
        rc = bind_rungs(pruner, s, ctx);
    if (rc != HPS_OK)
        return rc;
    if (s->max_step > 0) {
        char text[32];
        snprintf(text, sizeof text, "%lld", (long long)s->max_step);
        rc = hps_pruner_set(s->forecast, "max_step", text);
    }
    if (rc == HPS_OK)
        rc = hps_pruner_bind(s->forecast, ctx);
    if (rc != HPS_OK)
        pruner->err = s->forecast->err;
    return rc;
}

static hps_status ask(hps_pruner *pruner, hps_pruner *strategy, const hps_context *ctx,
                      int *prune_out)
{
    hps_status rc = strategy->ops->should_prune(strategy, ctx, prune_out);
    if (rc != HPS_OK)
        pruner->err = strategy->err;
    return rc;
}

static hps_status auto_should_prune(hps_pruner *pruner, const hps_context *ctx,
                                    int *prune_out)
{
    auto_state *s = pruner->impl;
    int by_rungs = 0, by_forecast = 0;
    *prune_out = 0;
    if (s->rungs == NULL) /* made at bind: a study always binds its pruner first */
        return hps_errbuf_set(&pruner->err, HPS_ERR_STATE, "pruner 'auto' belongs to no study");
    hps_status rc = ask(pruner, s->rungs, ctx, &by_rungs);
    if (rc == HPS_OK)
        rc = ask(pruner, s->forecast, ctx, &by_forecast);
    if (rc == HPS_OK)
        *prune_out = by_rungs || by_forecast;
    return rc;
}

const hps_pruner_ops hps_auto_pruner_ops = {
    .name = "auto",
    .help = "hyperband (reduction factor 3; or successive halving, option stopping) or the "
            "forecast says so: the strategy for a study with a budget, chosen on the pruning "
            "benchmark",
    .options = auto_options,
    .init = auto_init,
    .destroy = auto_destroy,
    .bind = auto_bind,
    .should_prune = auto_should_prune,
};
