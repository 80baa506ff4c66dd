/* asha.h -- the successive-halving decision shared by the asha and hyperband pruners. */
#ifndef HPS_ASHA_H
#define HPS_ASHA_H

#include "base/pareto.h"
#include "pruners/pruner.h"

/* Which trials compete with the judged one (Hyperband: the same bracket). */
typedef int (*asha_member_fn)(const void *ctx, const hps_frozen *rec);

typedef struct asha_params {
    int64_t *min_resource;   /* in/out: 0 = estimate once from COMPLETE trials (Optuna's
                                "auto": the largest last step / 100, at least 1) */
    int64_t reduction_factor;
    int64_t min_early_stopping_rate;
    int64_t bootstrap_count;
    asha_member_fn member;   /* NULL: every trial competes */
    const void *member_ctx;
} asha_params;

/* What a trial leaves at a rung of a study with several objectives (MOASHA): its values
 * there and the constraint values it had set by then (the judged trial's; the others'
 * are read from their rung records). */
typedef struct asha_rung_entry {
    double values[HPS_PARETO_MAX_OBJECTIVES];
    double constraints[HPS_PARETO_MAX_CONSTRAINTS];
    size_t n_constraints;
} asha_rung_entry;

/* MOASHA's order of the n entries of a rung: values is n rows of m objective values (in
 * the directions dirs), constraints n rows of k values (NULL when k is 0; NaN for one an
 * entry has not set, which counts as violated). ahead[i] receives how many entries go
 * strictly before entry i -- a better non-dominated rank (constrained domination: the
 * feasible first, then the infeasible by violation), or the same rank and a larger
 * crowding distance. Entry i is promoted when ahead[i] < max(1, n / rf). HPS_ERR_NOMEM,
 * or HPS_ERR_INVALID past base/pareto.h's caps. */
hps_status asha_rung_order(const double *values, const double *constraints, size_t n,
                           const hps_direction *dirs, size_t m, size_t k, size_t *ahead);

/* The system attribute a trial's value at rung `rung` is recorded under
 * ("completed_rung_K", Optuna's name; hyperband uses it too, per bracket). */
void asha_rung_key(int64_t rung, char *buf, size_t size);

/* The report a trial stands at a rung with -- the one rule of both modes: of its reports
 * up to step `as_of`, the last, when that one is at or past the rung's step `rung_step`;
 * NULL when the trial had not reached the rung by then. Mode stop (Optuna's) judges a
 * trial as of its latest report, so a script that reports every few steps is judged at
 * the first report past each rung it crosses. Mode promotion judges a trial as of the
 * report it paused at for that rung, which is that same first report at or past it
 * (a slice ends at the first report at or past its rung, hps_trial_max_step) -- or,
 * for a trial paused at or past the rung with no report from the rung to its pause,
 * its last report before the pause (asha_promotion.c, promotion_report_at). */
const hps_inter_rec *asha_report_at_rung(const hps_frozen *trial, double rung_step,
                                         int64_t as_of);

/* Optuna's SuccessiveHalvingPruner.prune: when the trial's latest step reaches its
 * next rung (min_resource * rf^(rate + rung)), it records its value there (system
 * attribute completed_rung_K) and is stopped unless that value is in the top 1/rf of
 * the values recorded at that rung. With several objectives (ctx->n_directions > 1) the
 * rung keeps each trial's asha_rung_entry (a JSON object) and asha_rung_order decides. */
hps_status asha_decide(hps_pruner *pruner, const hps_context *ctx, const asha_params *params,
                       int *prune_out);

#endif
