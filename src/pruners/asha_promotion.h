/* asha_promotion.h -- ASHA's promotion form (Li et al.'s get_job), shared by the asha
 * pruner (one ladder of rungs) and hyperband (one ladder per bracket): where a trial's
 * slice ends, and which PAUSED trial an ask resumes.
 *
 * Li et al. give ASHA two forms. Optuna's (mode stop) stops a trial that is not in the
 * top 1/rf when it reaches a rung. The promotion form never stops one: a trial runs to
 * its rung and pauses, and an ask resumes a paused trial in the top 1/rf of its rung up
 * to the next rung before it starts a new one -- so a trial whose curve only wins later
 * is still in the race whenever enough others join its rung. With several objectives
 * "top" is MOASHA's order, as in the stop form. */
#ifndef HPS_ASHA_PROMOTION_H
#define HPS_ASHA_PROMOTION_H

#include "pruners/pruner.h"

/* The option "mode" of asha and hyperband: the same words, the same values. */
enum { ASHA_STOP = 0, ASHA_PROMOTION = 1 };
extern const hps_option_choice asha_modes[];

/* The rungs one trial climbs: steps min_resource * rf^(min_early_stopping_rate + k)
 * below max_resource, the top, where a trial finishes instead of pausing. */
typedef struct asha_ladder {
    int64_t min_resource;
    int64_t reduction_factor;
    int64_t min_early_stopping_rate;
    int64_t max_resource;
} asha_ladder;

/* The step of rung k: min_resource * rf^(rate + k), or max_resource once that is reached. */
int64_t asha_ladder_rung_step(const asha_ladder *ladder, int64_t k);

/* The number of rungs below the top (0: a trial of this ladder runs to its end at once). */
int64_t asha_ladder_n_rungs(const asha_ladder *ladder);

/* The end of `trial`'s next slice: the first rung above the step its checkpoint holds
 * (hps_rec_paused_step); -1 at the top (no limit: the trial finishes). */
int64_t asha_ladder_slice_end(const asha_ladder *ladder, const hps_frozen *trial);

/* Which of the ladders a trial climbs (hyperband: its bracket), or -1 for none. */
typedef int (*asha_ladder_of_fn)(const void *ctx, const hps_frozen *trial);

/* Li et al.'s get_job over n_ladders ladders (ladder_of NULL: every trial is on ladder
 * 0): the rungs of every ladder in one order, the highest step first and, at the same
 * step, the ladder of the lower index; at the first rung where a trial of the top 1/rf
 * (by its value there, ties to the older trial; several objectives: MOASHA's order) of
 * that ladder's trials waits PAUSED, that trial into *number_out. Else the oldest
 * trial paused below every rung of its ladder (its first slice is not done); else -1.
 * The engine resumes it atomically (a lost race asks again), so each pause is resumed
 * once across workers. */
hps_status asha_promote_ladders(hps_pruner *pruner, const hps_context *ctx,
                                const asha_ladder *ladders, size_t n_ladders,
                                asha_ladder_of_fn ladder_of, const void *ladder_ctx,
                                int64_t *number_out);

/* The promotion form stops nothing but a run that diverged: a NaN among the trial's
 * latest values (asha.c). */
hps_status asha_promotion_should_prune(hps_pruner *pruner, const hps_context *ctx,
                                       int *prune_out);

#endif
