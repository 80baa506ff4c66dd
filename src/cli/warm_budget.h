/* warm_budget.h -- how many trials a worker of a warm-started study lets the storage
 * create while the warm start's old trials are still going in.
 *
 * The study's max_trials counts every trial it holds, the old ones too, and those are
 * no part of n_trials: a worker allows n_trials plus the old trials. The run that adds
 * them records how many first (warm_reserve) and then adds them one transaction after
 * another (each goes in whole, warm_start.h). A worker that allowed for all of them while
 * only some were in could create new trials in the room of those not in yet: ten workers
 * starting a study of `n_trials: 3` ran dozens of new trials.
 *
 * So until the study records its warm start complete, a worker allows n_trials plus the
 * old trials it sees in the study, counted again before each ask. Those it sees are in
 * the storage's count already, and old trials only ever get more, so the storage never
 * lets it create a new trial beyond n_trials, on any backend; the worker waits for
 * nothing and need not know whether the run adding them (perhaps on another host) is
 * alive. An ask refused because more old trials went in since it counted asks again
 * with those counted. Once the record says complete, every old trial is in, and the
 * budget, counted once more, stays n_trials plus the old trials the study holds -- not
 * the number the record gives: trials added twice (runs of earlier versions that
 * resumed a cut-short warm start together) would otherwise take new trials' places.
 *
 * (The alternatives: one transaction for the whole warm start, which no storage
 * operation offers; or workers waiting while the warm start goes in, which cannot tell
 * a run still adding from one dead on another host, and would wait for it.) */
#ifndef HPS_CLI_WARM_BUDGET_H
#define HPS_CLI_WARM_BUDGET_H

#include "cli/config.h"
#include "hpsearch.h"

#include <stddef.h>
#include <stdint.h>

/* A worker's view of the warm start; zero it before the first ask. */
typedef struct warm_budget {
    int settled;         /* the warm start is complete, or there is no budget to adjust */
    size_t scanned;      /* trials 0 .. scanned - 1 have been looked at */
    size_t n_old;        /* how many of those the warm start added */
    uint64_t max_trials; /* the study's max_trials as last set here (0: not yet) */
} warm_budget;

/* hps_study_ask for a run of `cfg`, its study's max_trials set first as above (with
 * `warm_start:` and n_trials; otherwise just the ask), and asked again while the
 * storage says the budget is reached because more old trials went in since it counted.
 * Returns as hps_study_ask; HPS_ERR_STORAGE when the study cannot be read or its
 * max_trials set (hps_study_errmsg says why). */
hps_status warm_budget_ask(const cfg_config *cfg, hps_study *study, warm_budget *budget,
                           hps_trial **out);

#endif
