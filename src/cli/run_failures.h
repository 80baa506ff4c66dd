/* run_failures.h -- `hpsearch run` and trials that fail: stop a run whose first trials
 * all failed (max_failures), and tell the user what happened and the ways forward when
 * a study's trials have only failed so far.
 *
 * A broken command (a typo, a missing package) fails every trial the same way; running
 * all of n_trials of them helps nobody, so W&B agents stop after 5 failed runs in a row
 * at start, and so does hpsearch by default. */
#ifndef HPS_CLI_RUN_FAILURES_H
#define HPS_CLI_RUN_FAILURES_H

#include "cli/config.h"
#include "cli/progress.h"
#include "cli/run_slot.h"
#include "hpsearch.h"

/* This run's finished trials as max_failures counts them. Zero-initialise. */
typedef struct run_failures {
    size_t failed;            /* FAIL by the trial's own fault (not interrupted) */
    size_t worked;            /* COMPLETE or PRUNED: the command works */
    char first_kind[600];     /* slot_outcome.kind of the first failure ("exit status 1") */
    int kinds_differ;         /* a later failure was of another kind */
    int stopped;              /* max_failures was reached */
} run_failures;

/* Counts a finished trial. Returns 1 once, when the run's first cfg->max_failures
 * finished trials have all failed: it has then printed why (the common reason, or that
 * they differ; the last trial's reason and log) and the ways forward on stderr, and the
 * caller stops starting trials. */
int run_failures_count(run_failures *f, const cfg_config *cfg, const slot_outcome *o,
                       progress *prog);

/* Before a run: when the study holds failed trials (interrupted ones did not fail by
 * themselves) and none COMPLETE or PRUNED, says so with the last failure's reason and
 * log (in log_dir), and the ways forward. counts is per hps_trial_state. */
void run_failures_explain_study(hps_study *study, const cfg_config *cfg, const size_t counts[5],
                                const char *log_dir);

/* After a run that started no trial because the budget or the space was used up: when
 * no trial of the study completed, says so and how to add trials or start over, rather
 * than end in silence. It blames n_trials when the trials holding a place in it, as the
 * budget counts them (PAUSED ones too, interrupted ones not), reach it; else the space.
 * (hpsearch run says what it leaves PAUSED instead, run_paused_explain, when there are
 * such trials.) */
void run_failures_explain_idle(hps_study *study, const cfg_config *cfg);

#endif
