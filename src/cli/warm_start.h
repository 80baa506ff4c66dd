/* warm_start.h -- a new study starting with an earlier study's finished trials, shared
 * by `hpsearch narrow --warm-start` (cmd_narrow.c) and the config's `warm_start:` (run,
 * run_setup.c).
 *
 * An old trial is added whole, in one transaction (hps_study_add_trial): COMPLETE with
 * its values, its parameters in the new space with the distributions `hpsearch run`
 * suggests them with (a grid's cell is held, so the grid does not run it again), its
 * intermediate values (a pruner starts with the old curves; every objective's, where
 * it reported them all), its start and completion times, and user attribute
 * `warm_start_from` {"study": NAME, "number": N}. It is never WAITING, so no worker
 * starting the study at the same time can take it and run the old configuration as a
 * new trial. */
#ifndef HPS_CLI_WARM_START_H
#define HPS_CLI_WARM_START_H

#include "cli/config.h"
#include "hpsearch.h"

#include <jansson.h>
#include <stddef.h>

/* A value in its parameter's type (a float 3.0 for an int parameter is the int 3), as
 * hps_study_enqueue takes it. New reference. */
json_t *warm_param_json(const cfg_param *p, hps_value v);

/* Adds the old COMPLETE trial `old` of study `from` to `study` with the parameters
 * `params` (an object: the new space's active parameters, external values, as
 * warm_map_trial makes it; borrowed). It is added whatever the study's budget says.
 * Returns 1 added, -1 on an error (the study's message says which): warm_map_trial has
 * checked the space, so a refusal is an error too, not a trial quietly left out. */
int warm_add_trial(const cfg_config *cfg, hps_study *study, const hps_frozen *old,
                   const json_t *params, const char *from);

/* Whether trial `t` is one a warm start from study `from` added: COMPLETE, with user
 * attribute warm_start_from naming `from`; then *number is its number there. */
int warm_origin(const hps_frozen *t, const char *from, int64_t *number);

/* Counts the warm-start trials of `study` (warm_origin: from `from`, duplicates
 * included) from trial *next on: adds each to *count and, where `taken` is not NULL,
 * marks taken[its old number] for numbers below n_source. Moves *next past each trial
 * looked at, so a later call goes on where this one stopped. It stops at the first
 * number the handle does not hold (a trial created after its last read; that one is
 * looked at next time). Returns 1 when every trial was looked at, 0 when it stopped at
 * such a number, -1 when the study cannot be read (hps_study_errmsg says why). */
int warm_count_added_from(hps_study *study, const char *from, size_t *next, size_t *count,
                          unsigned char *taken, size_t n_source);

/* Why an old trial does not fit a new space: a value the parameter does not take, none
 * at all, or one in its range that a grid never suggests (not one of its points). */
typedef enum warm_misfit { WARM_FITS, WARM_OUTSIDE, WARM_MISSING, WARM_OFF_GRID } warm_misfit;

/* Maps an old trial onto cfg's space by parameter name: every parameter active given
 * the trial's values must have a value the parameter takes (a constant the trial lacks
 * takes its one value: it never varied; a parameter with a `default:` takes that);
 * inactive ones and names the space lacks are left out. Returns WARM_FITS with *params (an object; new reference), or why not and
 * *which the parameter's index. */
warm_misfit warm_map_trial(const cfg_config *cfg, const hps_frozen *old, json_t **params,
                           size_t *which);

/* With `warm_start:`: the config's study must be able to start from it -- the other
 * study exists, is not this one, and has the same directions. Returns 0 or an exit code
 * after printing "FILE:LINE: warm_start...: ...". */
int warm_check_source(const cfg_config *cfg);

/* Records in a study this process has just created how many trials warm_seed will add,
 * and who adds them, before anything else ("complete": false): a worker opening the
 * study meanwhile counts its budget from the old trials in the study, not from this
 * number, until the record says complete (warm_budget.h). Returns 0 or -1. */
int warm_reserve(const cfg_config *cfg, hps_study *study);

/* Adds the COMPLETE trials of `warm_start.from` that fit the space to `study`, which
 * this process has just created (or whose warm start was cut short: those already
 * added, COMPLETE and marked `warm_start_from`, are not added again), prints what was
 * added and left out, and records the number in the study (system attribute
 * "warm_start": {"from", "added", "complete": true}) so that every worker's budget
 * (warm_added) leaves them out. Returns 0 or an exit code. */
int warm_seed(const cfg_config *cfg, hps_study *study);

/* Whether `study` (not created by this process) holds a warm start that was cut short
 * (system attribute "warm_start" with "complete": false, by a process of this host that
 * is gone -- not one still adding the trials) from the study this config warm-starts
 * from: then the run seeds it again (warm_seed adds the trials not added
 * yet, then the `initial` configurations, which a cut-short warm start never reached).
 * Of several runs finding it at once, exactly one claims it (1) and names itself in the
 * record's "by"; the others see it being added (0). Warns when the config warm-starts
 * from no or another study. */
int warm_resume_needed(const cfg_config *cfg, hps_study *study);

/* With `sampler: cmaes`: the trials of `warm_start.from` that fit the space, as option
 * source_trials of the CMA-ES sampler takes them ([{"params": {...}, "value": v}], *out
 * freed with free()), so that its first run starts from their best tenth as Optuna's
 * CmaEsSampler(source_trials=) does. Returns 1 with *out; 0 when there are too few
 * (said on stderr) or the study cannot be read; -1 when out of memory. */
int warm_cmaes_source(const cfg_config *cfg, char **out);

/* For `hpsearch plan`: how many COMPLETE trials `warm_start.from` has, and how many of
 * them fit the space, changing nothing. Returns 0, or -1 when it cannot be read. */
int warm_count(const cfg_config *cfg, size_t *fit, size_t *n_complete);

/* After identity.c accepted a changed space as space `version` of `study`: prints how
 * many of the study's COMPLETE trials fit it (warm_map_trial) and stay in the samplers'
 * model, and why the others were left out. Returns 0. */
int warm_report_space_change(const cfg_config *cfg, hps_study *study, int version);

/* The trials the study was warm-started with (0 without a warm start). */
size_t warm_added(hps_study *study);

/* The COMPLETE trials of `study` that a warm start added (user attribute
 * warm_start_from), whether by the config's `warm_start` or `hpsearch narrow
 * --warm-start`: finished trials the study was given, not ones it ran. */
size_t warm_trials_in(hps_study *study);

#endif
