/* asha.h -- the successive-halving decision shared by the asha and hyperband pruners. */
#ifndef HPS_ASHA_H
#define HPS_ASHA_H

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

/* Optuna's SuccessiveHalvingPruner.prune: when the trial's latest step reaches its
 * next rung (min_resource * rf^(rate + rung)), it records its value there (system
 * attribute completed_rung_K) and is stopped unless that value is in the top 1/rf of
 * the values recorded at that rung. */
hps_status asha_decide(hps_pruner *pruner, const hps_context *ctx, const asha_params *params,
                       int *prune_out);

#endif
