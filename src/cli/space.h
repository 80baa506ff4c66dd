/* space.h -- the declared search space of a config, applied to the library: the
 * sampler it asks for (with the grid's values) and one suggest call per parameter. */
#ifndef HPS_CLI_SPACE_H
#define HPS_CLI_SPACE_H

#include "cli/config.h"
#include "hpsearch.h"
#include "runner/template.h"

#include <jansson.h>

/* What the `auto` strategy does with this config's declared space and a budget (0 =
 * unknown), as the library's hps_auto_explain says: the CLI can enumerate a declared
 * grid, so a discrete space whose grid fits the budget is searched exhaustively. */
typedef struct space_auto_choice {
    char strategy[16];      /* a sampler name: "grid", "gp", ... */
    char reason[512];       /* sentences for people */
    uint64_t then_after;    /* finished trials after which auto switches; 0: it does not */
    char then_strategy[16]; /* what it switches to */
} space_auto_choice;

/* Whether the search has a choice to make for parameter `p`: its distribution off the
 * grid takes more than one value by the library's rule (hps_dist_cardinality), the rule
 * the auto sampler counts parameters by. A constant, a one-choice categorical and a
 * range with low == high are not searched. */
int space_param_searched(const cfg_param *p);

/* With `sampler: cmaes` (outside pbt), warns on stderr naming the parameters CMA-ES draws
 * at random instead of modelling -- the conditional and the categorical ones -- and what
 * to use instead; nothing when there are none. Run and plan call it once. */
void space_warn_cmaes(const cfg_config *cfg);

/* Fills *out; on failure (out of memory: the description it writes is well-formed)
 * returns the status with the library's message in out->reason and an empty strategy. */
hps_status space_auto_choose(const cfg_config *cfg, uint64_t budget, space_auto_choice *out);

/* The same for a stored study, as its auto sampler decides at run time: with the
 * `finished` trials it models (space_count_trials) and the budget it plans with,
 * max_trials -- `budget` (n_trials) plus the `warm_added` trials of a warm start (0
 * budget: unknown). A config the CLI runs as a grid gets the fresh answer: the grid
 * runs whatever the study holds. */
hps_status space_auto_choose_stored(const cfg_config *cfg, uint64_t budget, uint64_t warm_added,
                                    uint64_t finished, space_auto_choice *out);

/* What run and plan count in a stored study's trials, read in one pass (each trial read
 * is a storage round trip): `finished`, the trials the auto sampler counts as finished
 * (COMPLETE, and PRUNED with a value); `interrupted`, FAILed runs a stop or preemption
 * cut short, which are no part of the budget. */
typedef struct space_trial_counts {
    uint64_t finished;
    size_t interrupted;
} space_trial_counts;
void space_count_trials(hps_study *study, space_trial_counts *out);

/* Whether the config's study samples a grid: `sampler: grid`, or `auto` deciding so
 * (never under pbt, which samples at random). On a grid every parameter takes only its
 * grid values (space_grid_values). */
int space_on_grid(const cfg_config *cfg);

/* Creates the sampler the config names (for "auto", the decision above), seeded and, for a grid, filled with every
 * parameter's values. On error returns the status and writes a message. */
hps_status space_make_sampler(const cfg_config *cfg, hps_sampler **out, char *err, size_t errlen);

/* The values a parameter takes on a grid (categorical choices, a constant, explicit
 * values, every step of a discrete range, or grid_points evenly spaced values).
 * Caller frees with space_free_values. -1 if the parameter has no finite set. */
int space_grid_values(const cfg_param *p, hps_value **out, size_t *n_out);
void space_free_values(hps_value *values, size_t n);

/* Declares the config's space to the study (hps_study_declare_space) unless its sampler
 * is a grid or the space is conditional, so a finite space is never run twice over
 * whatever the sampler. */
hps_status space_declare(const cfg_config *cfg, hps_study *study, char *err, size_t errlen);

/* For a study whose space changed mid-study (identity.h's space versions): shows the
 * samplers its finished trials through the config's space (hps_study_map_space), with
 * each parameter's `default:` for the trials that lack it. */
hps_status space_map_changed(const cfg_config *cfg, hps_study *study, char *err, size_t errlen);

/* Suggests the config's active parameters for `trial` -- parents before the parameters
 * whose `when:` names them, an inactive parameter not at all -- and fills params[0..
 * *n_active) in file order (name and external value; strings borrowed from the config).
 * params holds cfg->n_params entries. */
hps_status space_suggest_all(const cfg_config *cfg, hps_trial *trial, tmpl_param *params,
                             size_t *n_active, char *err, size_t errlen);

/* An old trial's values for the config's space (`values`: {"name": external value} of
 * its active parameters, as warm_map_trial maps them) as hps_study_add_trial's "params":
 * in the order space_suggest_all suggests them, each with the distribution suggest
 * gives it in `study` (its grid values when the study's sampler is a grid). NULL when
 * out of memory. New reference. */
json_t *space_added_params(const cfg_config *cfg, hps_study *study, const json_t *values);

/* Configurations of the space on a grid: cfg_grid_size for an unconditional space; for
 * a conditional one the sum over its branches, each parameter counted only where it is
 * active. 0 when some parameter has no finite set of values; saturates at UINT64_MAX. */
uint64_t space_grid_cells(const cfg_config *cfg);

#endif
