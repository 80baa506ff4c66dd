/* auto_policy.h -- which search strategy fits a space, a budget and a history.
 *
 * The `auto` sampler asks this at every trial; `hpsearch plan` asks it before a run to
 * explain the choice. The thresholds come from bench/ (see bench/README.md,
 * "Choosing the strategy"), not from guesswork. */
#ifndef HPS_AUTO_POLICY_H
#define HPS_AUTO_POLICY_H

#include <stddef.h>
#include <stdint.h>

typedef enum auto_strategy {
    AUTO_GRID = 0,
    AUTO_SOBOL,
    AUTO_GP,
    AUTO_TPE,
    AUTO_CMAES,
    AUTO_RANDOM
} auto_strategy;

typedef struct auto_inputs {
    size_t n_float, n_int, n_categorical; /* parameters of the space by kind */
    uint64_t grid_size;                   /* cells when every parameter is discrete, else 0 */
    uint64_t budget;                      /* trials the study is to hold; 0 = unknown */
    size_t n_finished;                    /* trials finished so far */
    int conditional;                      /* parameters appear in some trials only */
    int can_grid;                         /* the caller can enumerate the grid (a declared
                                             space: the CLI); the auto sampler cannot */
    size_t n_objectives;                  /* the study's objectives; 0 is taken as 1 */
    int constrained;                      /* trials carry constraint values */
} auto_inputs;

/* Switching points, measured with bench/ (see bench/README.md). */
/* Without a budget, a discrete space this small is searched exhaustively: the seed
 * article's rule ("under a hundred or so, a complete grid search might still be feasible
 * and even preferred"); a larger one goes to a model, which still runs each
 * configuration at most once and stops when all have run. */
#define AUTO_GRID_WITHOUT_BUDGET 100
#define AUTO_GP_MAX_DIMS 20  /* beyond: TPE (GP fits get slow and vague) */
/* Several objectives or constraints: the GP runs this many trials, then TPE. */
#define AUTO_SEVERAL_GP_TRIALS 100
/* beyond: TPE. The GP's EHVI is exact over boxes whose number grows as the front's size
 * to the power m - 1, so above 4 objectives it keeps only a few front points
 * (gp/ehvi.c); its tests reach 4 objectives and the benchmark 3. */
#define AUTO_GP_MAX_OBJECTIVES 4
#define AUTO_LONG_RUN 1000   /* budgets at least this long and continuous ... */
#define AUTO_CMAES_AFTER 400 /* ... hand over to CMA-ES after this many trials, where a GP
                                ask costs ~50 ms and grows (bench/gp.md) while CMA-ES stays
                                flat (bench/tpe_cmaes.md) */

typedef struct auto_decision {
    auto_strategy strategy;
    char reason[512]; /* plain sentences for `hpsearch plan` and logs */
} auto_decision;

void auto_decide(const auto_inputs *in, auto_decision *out);
const char *auto_strategy_name(auto_strategy s);

#endif
