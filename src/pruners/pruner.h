/* pruner.h -- the pruner interface (a struct of function pointers per strategy).
 *
 * A pruner looks at a running trial's intermediate values (and the study's other
 * trials) and says whether to stop it. Strategies follow Optuna's pruners option for
 * option (pruner.c's registry lists them; patient wraps another). Adding one is adding one file with an
 * hps_pruner_ops (its options a table, options.h) and a line in the registry of
 * pruner.c. */
#ifndef HPS_PRUNER_H
#define HPS_PRUNER_H

#include "base/errbuf.h"
#include "base/options.h"
#include "base/trial_rec.h"
#include "hpsearch.h"
#include "plugin/plugin.h"

typedef struct hps_pruner_ops {
    const char *name;
    /* When it prunes, in a line (the catalog's "help"). */
    const char *help;
    /* The options, fields of pruner->impl; NULL when none. hps_pruner_set parses them,
     * creation applies their defaults, binding checks the required ones are given. */
    const hps_option *options;
    hps_status (*init)(hps_pruner *pruner);
    void (*destroy)(hps_pruner *pruner);
    /* Options no table describes (a registered pruner's): HPS_ERR_NOTFOUND for an
     * unknown one (the caller names it). */
    hps_status (*set_option)(hps_pruner *pruner, const char *option, const char *value);
    /* Checks the options together once the pruner joins a study (ctx->trial is NULL). */
    hps_status (*bind)(hps_pruner *pruner, const hps_context *ctx);
    /* Decides whether ctx->trial (a live, RUNNING trial) should stop. */
    hps_status (*should_prune)(hps_pruner *pruner, const hps_context *ctx, int *prune_out);
    /* A scheduler that pauses trials instead of stopping them (both NULL otherwise):
     * max_step gives the last step of ctx->trial's current slice (-1: no limit), and
     * promote the PAUSED trial an ask resumes before it starts anything new
     * (*number_out = -1: none; ctx->trial is NULL). */
    hps_status (*max_step)(hps_pruner *pruner, const hps_context *ctx, int64_t *max_step_out);
    hps_status (*promote)(hps_pruner *pruner, const hps_context *ctx, int64_t *number_out);
    /* Such a scheduler's full budget: the last step of a trial's last slice, where it
     * finishes instead of pausing; -1 when its options make it pause nothing (NULL:
     * never pauses). hps_pruner_full_step. */
    int64_t (*full_step)(const hps_pruner *pruner);
} hps_pruner_ops;

struct hps_pruner {
    const hps_pruner_ops *ops;
    void *impl;
    hps_pruner *wrapped; /* patient: the pruner it defers to */
    uint64_t given;      /* the options of ops->options the user set (options.h) */
    int bound;
    hps_errbuf err;
};

extern const hps_pruner_ops hps_none_pruner_ops;
extern const hps_pruner_ops hps_median_pruner_ops;
extern const hps_pruner_ops hps_percentile_pruner_ops;
extern const hps_pruner_ops hps_asha_pruner_ops;
extern const hps_pruner_ops hps_hyperband_pruner_ops;
extern const hps_pruner_ops hps_threshold_pruner_ops;
extern const hps_pruner_ops hps_patient_pruner_ops;
extern const hps_pruner_ops hps_forecast_pruner_ops;
extern const hps_pruner_ops hps_auto_pruner_ops;

/* The built-in strategy of that name (Optuna's aliases included), or NULL. */
const hps_pruner_ops *hps_pruner_builtin(const char *name);
/* A strategy registered with hps_pruner_register (registered.c), or NULL. */
const hps_pruner_ops *hps_pruner_registered(const char *name);
/* The index-th registered strategy, in the order of registration; NULL past the last. */
const hps_pruner_ops *hps_pruner_registered_at(size_t index);

/* The pruner that never prunes, for a new study; NULL on OOM. */
hps_pruner *hps_pruner_none_new(void);

/* Binds a pruner and the one it wraps to a study, once; the message on the pruner. */
hps_status hps_pruner_bind(hps_pruner *pruner, const hps_context *ctx);

/* ---- helpers shared by the strategies ----------------------------------------- */

/* HPS_ERR_UNSUPPORTED naming the pruner and the pruners that do take several objectives
 * when the study has more than one; HPS_OK otherwise. For the bind of a strategy that
 * compares values along one direction. */
hps_status hps_pruner_needs_one_objective(hps_pruner *pruner, const hps_context *ctx);

/* The last reported step of a trial, or -1. */
int64_t hps_pruner_last_step(const hps_frozen *trial);
/* The record of exactly `step` (every objective's values: hps_rec_inter_values), or NULL
 * when the trial has none there. */
const hps_inter_rec *hps_pruner_step_at(const hps_frozen *trial, int64_t step);
/* The value at exactly `step`; 0 when the trial has none there. */
int hps_pruner_value_at(const hps_frozen *trial, int64_t step, double *out);
/* Optuna's rule for warm-up and interval steps: is the trial's latest step the first
 * report at or after the latest pruning point? */
int hps_pruner_first_in_interval(const hps_frozen *trial, int64_t step, int64_t warmup,
                                 int64_t interval);

#endif
