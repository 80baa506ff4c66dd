/* auto_policy.c -- which search strategy fits a space, a budget and a history. */
#include "samplers/auto_policy.h"

#include <stdio.h>

const char *auto_strategy_name(auto_strategy s)
{
    static const char *const names[] = {"grid", "sobol", "gp", "tpe", "cmaes", "random"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "random";
}

void auto_decide(const auto_inputs *in, auto_decision *out)
{
    size_t d = in->n_float + in->n_int + in->n_categorical;
    if (in->can_grid && in->grid_size > 0 && in->budget > 0 && in->grid_size <= in->budget) {
        out->strategy = AUTO_GRID;
        snprintf(out->reason, sizeof out->reason,
                 "Every parameter takes finitely many values and the whole grid (%llu "
                 "combinations) fits the budget of %llu trials, so every combination is tried "
                 "exactly once: nothing is left to chance.",
                 (unsigned long long)in->grid_size, (unsigned long long)in->budget);
        return;
    }
    if (in->can_grid && in->grid_size > 0 && in->budget == 0 &&
        in->grid_size <= AUTO_GRID_WITHOUT_BUDGET) {
        out->strategy = AUTO_GRID;
        snprintf(out->reason, sizeof out->reason,
                 "Every parameter takes finitely many values and no budget is set: the whole "
                 "grid (%llu combinations) is small enough to try each combination exactly "
                 "once, and then the study is done.",
                 (unsigned long long)in->grid_size);
        return;
    }
    if (in->n_objectives > 1 || in->constrained) {
        /* Only TPE (MOTPE with several objectives) and NSGA-II use several objectives
         * and constraints; the GP and CMA-ES follow one value, the GP ignores
         * constraints. On bench/multiobjective.py (ZDT1, ZDT2, DTLZ2, constrained
         * CONSTR; 50 to 400 trials) TPE led NSGA-II at every budget: a generation of 50
         * is random, and NSGA-II had not caught up by 400 trials. */
        out->strategy = AUTO_TPE;
        if (in->n_objectives > 1)
            snprintf(out->reason, sizeof out->reason,
                     "Several objectives%s: TPE (MOTPE) models where the best trade-offs lie"
                     "%s; it found better Pareto fronts than NSGA-II at every budget "
                     "benchmarked (50 to 400 trials), and the Gaussian process follows one "
                     "value only.",
                     in->constrained ? " and constraints" : "",
                     in->constrained ? " among the trials that satisfy the constraints" : "");
        else
            snprintf(out->reason, sizeof out->reason,
                     "Constraints: TPE models where good values lie among the trials that "
                     "satisfy them and learns from the others; the Gaussian process ignores "
                     "constraints.");
        return;
    }
    if (d == 0) {
        out->strategy = AUTO_SOBOL;
        snprintf(out->reason, sizeof out->reason,
                 "Nothing is known about the space yet: the first trials spread evenly over "
                 "it (scrambled Sobol points).");
        return;
    }
    if (d > AUTO_GP_MAX_DIMS) {
        out->strategy = AUTO_TPE;
        snprintf(out->reason, sizeof out->reason,
                 "The space has %zu parameters; beyond %d a Gaussian process learns little "
                 "per trial and costs much, while TPE scales to many parameters.",
                 d, AUTO_GP_MAX_DIMS);
        return;
    }
    if (in->conditional) {
        /* On bench/'s conditional suite (bench/conditional.md: 5 problems, 25 and 50
         * trials) the GP, which models each branch's own parameters and searches the
         * branches one by one, scored 76.9 and 92.4 against TPE's 49.8 and 61.4 and
         * Optuna's best 29.6 and 60.6. Without the GP (no LAPACK): TPE, which models each
         * parameter from the trials that have it. */
#if HPS_HAVE_LAPACK
        out->strategy = AUTO_GP;
        snprintf(out->reason, sizeof out->reason,
                 "A conditional space (some parameters exist only in some trials): Bayesian "
                 "optimization models every branch's own parameters (an inactive parameter "
                 "is a state of its own, not a guessed value) and searches each branch the "
                 "trials have shown.");
#else
        out->strategy = AUTO_TPE;
        snprintf(out->reason, sizeof out->reason,
                 "A conditional space (some parameters exist only in some trials): TPE models "
                 "each parameter from the trials that have it, so every branch learns its own "
                 "good values.");
#endif
        return;
    }
    /* Categorical-heavy spaces stay with the GP: on bench/ (22 problems, up to 100
     * trials) it matched or beat TPE on the categorical-heavy kNN and MLP spaces --
     * categories get a Hamming kernel. */
#if HPS_HAVE_LAPACK
    if (in->n_categorical == 0 && in->budget >= AUTO_LONG_RUN &&
        in->n_finished >= AUTO_CMAES_AFTER) {
        out->strategy = AUTO_CMAES;
        snprintf(out->reason, sizeof out->reason,
                 "A long run (%llu trials) on a continuous space: after %d trials of Bayesian "
                 "optimization, CMA-ES refines the best region at a cost that stays flat as "
                 "the study grows.",
                 (unsigned long long)in->budget, AUTO_CMAES_AFTER);
        return;
    }
    out->strategy = AUTO_GP;
    snprintf(out->reason, sizeof out->reason,
             "%zu parameter%s, mostly numeric: Bayesian optimization (a Gaussian process "
             "after a few Sobol points) finds good values in the fewest trials, which pays "
             "when each trial is a training run.",
             d, d == 1 ? "" : "s");
#else
    out->strategy = AUTO_TPE;
    snprintf(out->reason, sizeof out->reason,
             "%zu parameter%s: TPE models where good values lie (this build has no Gaussian "
             "process sampler: HPS_WITH_LAPACK=OFF).",
             d, d == 1 ? "" : "s");
#endif
}
