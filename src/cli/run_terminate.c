/* run_terminate.c -- `terminate:` applied to a running study (see run_terminate.h).
 *
 * The rules read the COMPLETE trials in trial-number order, as Optuna's evaluators read
 * study.trials: the best is the first feasible trial (every constraint value <= 0, as
 * for `hpsearch best`) strictly better than every earlier one, and "since the best"
 * counts the COMPLETE trials after it, infeasible ones included. Before a feasible
 * trial there is no best to stagnate, and no rule stops the run. */
#include "cli/run_terminate.h"
#include "cli/cli.h"

#include <stdint.h>
#include <stdio.h>

/* The COMPLETE trials as the stagnation rules see them. */
typedef struct complete_trials {
    size_t n;            /* how many */
    int has_best;        /* a feasible one among them */
    size_t since_best;   /* after the best one */
    int64_t best_number;
    double best_value;
} complete_trials;

static int better(hps_direction direction, double a, double b)
{
    return direction == HPS_MAXIMIZE ? a > b : a < b;
}

static hps_status scan_complete(hps_study *study, hps_direction direction, complete_trials *out)
{
    *out = (complete_trials){0};
    size_t n_trials = 0;
    hps_status rc = hps_study_n_trials(study, &n_trials);
    for (size_t i = 0; rc == HPS_OK && i < n_trials; i++) {
        const hps_frozen *t;
        rc = hps_study_trial(study, (int64_t)i, &t);
        if (rc != HPS_OK || hps_frozen_state(t) != HPS_COMPLETE || hps_frozen_n_values(t) == 0)
            continue;
        double value = hps_frozen_value(t, 0);
        if (hps_frozen_feasible(t) &&
            (!out->has_best || better(direction, value, out->best_value))) {
            out->has_best = 1;
            out->best_value = value;
            out->best_number = hps_frozen_number(t);
            out->since_best = 0;
        } else {
            out->since_best++;
        }
        out->n++;
    }
    return rc;
}

/* The regret bound of the study, or -1 when it cannot be had (warned once). */
static double regret_bound(run_terminate *state, hps_study *study, const cfg_config *cfg,
                           size_t n_complete, unsigned min_trials)
{
    const cfg_terminate *t = &cfg->terminate;
    double ratio = t->top_trials_ratio > 0 ? t->top_trials_ratio : CFG_DEFAULT_TOP_TRIALS_RATIO;
    /* seeded by the run's seed and the trial count: the same study gives the same bound */
    uint64_t seed = (cfg->has_seed ? cfg->seed : 0) + n_complete;
    double bound = 0;
    if (hps_study_regret_bound(study, ratio, min_trials, seed, &bound) == HPS_OK)
        return bound;
    char at[CFG_WHERE_SIZE];
    cli_warn("%s: terminate.regret_bound: cannot compute the regret bound (%s); the rule "
             "is not applied in this run", cfg_where(cfg, t->line, at, sizeof at),
             hps_study_errmsg(study));
    state->regret_unusable = 1;
    return -1;
}

int run_terminate_check(run_terminate *state, hps_study *study, const cfg_config *cfg,
                        char *why, size_t size)
{
    const cfg_terminate *t = &cfg->terminate;
    if (!CFG_TERMINATE_ON(t))
        return 0;
    complete_trials c;
    if (scan_complete(study, cfg->objectives[0].direction, &c) != HPS_OK) {
        cli_warn("terminate: cannot read the study's trials: %s", hps_study_errmsg(study));
        return 0;
    }
    if (!c.has_best)
        return 0;
    char best[256];
    snprintf(best, sizeof best, "best: trial %lld, %s=%.6g", (long long)c.best_number,
             cfg->objectives[0].name, c.best_value);
    unsigned min_trials = t->min_trials > 0 ? t->min_trials : CFG_DEFAULT_TERMINATE_MIN_TRIALS;
    if (t->no_improvement > 0 && c.since_best >= t->no_improvement) {
        snprintf(why, size, "no improvement in the last %zu complete trials (%s)", c.since_best,
                 best);
        return 1;
    }
    if (c.n < min_trials)
        return 0;
    if (t->has_stagnation && c.since_best > t->stagnation) {
        snprintf(why, size, "best value stagnant for %zu complete trials, more than "
                 "best_value_stagnation %u (%s)", c.since_best, t->stagnation, best);
        return 1;
    }
    if (t->regret_bound > 0 && !state->regret_unusable) {
        double bound = regret_bound(state, study, cfg, c.n, min_trials);
        if (bound >= 0 && bound < t->regret_bound) {
            snprintf(why, size, "regret bound %.4g is below %g after %zu complete trials (%s)",
                     bound, t->regret_bound, c.n, best);
            return 1;
        }
    }
    return 0;
}
