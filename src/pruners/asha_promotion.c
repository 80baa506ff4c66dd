/* asha_promotion.c -- ASHA's promotion form over one or several ladders of rungs (the
 * asha pruner's one, hyperband's brackets): where a slice ends, and which paused trial
 * an ask resumes (asha_promotion.h). */
#include "pruners/asha_promotion.h"

#include "base/mem.h"
#include "pruners/asha.h"

#include <math.h>
#include <stdlib.h>

const hps_option_choice asha_modes[] = {
    {"stop", ASHA_STOP},
    {"promotion", ASHA_PROMOTION},
    {NULL, 0},
};

int64_t asha_ladder_rung_step(const asha_ladder *ladder, int64_t k)
{
    double step = (double)ladder->min_resource *
                  pow((double)ladder->reduction_factor,
                      (double)(ladder->min_early_stopping_rate + k));
    return step >= (double)ladder->max_resource ? ladder->max_resource : (int64_t)step;
}

int64_t asha_ladder_n_rungs(const asha_ladder *ladder)
{
    int64_t n = 0;
    while (asha_ladder_rung_step(ladder, n) < ladder->max_resource)
        n++;
    return n;
}

int64_t asha_ladder_slice_end(const asha_ladder *ladder, const hps_frozen *trial)
{
    int64_t paused = hps_rec_paused_step(trial);
    for (int64_t k = 0;; k++) {
        int64_t step = asha_ladder_rung_step(ladder, k);
        if (step >= ladder->max_resource)
            return -1;
        if (step > paused)
            return step;
    }
}

typedef struct rung_member {
    double key; /* smaller is better: the value, negated when maximizing (NaN last); with
                   several objectives, how many members go before it (asha_rung_order) */
    int64_t number;
    const hps_frozen *trial;
    int waits_here; /* paused at this rung, not yet promoted */
} rung_member;

static int cmp_rung_member(const void *a, const void *b)
{
    const rung_member *x = a, *y = b;
    int x_nan = isnan(x->key), y_nan = isnan(y->key);
    if (x_nan != y_nan)
        return x_nan - y_nan;
    if (!x_nan && x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->number > y->number) - (x->number < y->number);
}

/* The report a trial stands at the rung at `step` with in mode promotion: its first
 * report at or past the rung (asha_report_at_rung) -- a slice ends there
 * (asha_ladder_slice_end) -- also once it has gone on; NULL when it has not reached the
 * rung.
 * The step a trial is paused at (or was last resumed from) counts as its progress too:
 * its checkpoint holds that step whether or not it reported it, so a trial paused at a
 * step past its last report (Python's trial.pause(3) after reporting step 2) has reached
 * every rung up to its pause, and stands at those past its last report with that report,
 * the newest value it has -- rather than at none of them, waiting at a lower rung that
 * ranks it by an older value. Its first pause at or past the rung decides
 * (HPS_REC_PAUSE_STEPS), so that the value stays what it was once the trial pauses
 * again further on: a rung value used to promote it must not become a later report
 * (its first past the rung) that would rank it lower and promote another in its place. */
static const hps_inter_rec *promotion_report_at(const hps_frozen *trial, int64_t step)
{
    /* the first pause at or past the rung, not the latest: what the trial stood at there
     * is what it had reported by then, whatever it reported on a later slice */
    int64_t paused = hps_rec_first_pause_from(trial, step);
    if (paused >= 0) {
        const hps_inter_rec *last = asha_report_at_rung(trial, -HUGE_VAL, paused);
        if (last != NULL && last->step < step)
            return last;
    }
    size_t lo = 0, hi = trial->n_inter;
    while (lo < hi) { /* the first report at or past `step` */
        size_t mid = lo + (hi - lo) / 2;
        if (trial->inter[mid].step < step)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == trial->n_inter)
        return NULL;
    return asha_report_at_rung(trial, (double)step, trial->inter[lo].step);
}

/* The rung a paused trial waits at: the highest rung step up to the step it paused at
 * where it stands with a report (promotion_report_at); -1 for a trial that is not paused
 * or reached none. A script that reports every few steps reaches a rung at its first
 * report past it; a trial may also pause past its rung (a script that went beyond its
 * slice's end, a trial cut short on the way to the next rung, a pause at any step, with
 * or without a report there): it waits at the last rung it reached, so that it is
 * promoted from there rather than left paused for good. */
static int64_t paused_rung(const asha_ladder *ladder, const hps_frozen *trial)
{
    if (trial == NULL || trial->state != HPS_PAUSED)
        return -1;
    int64_t paused = hps_rec_paused_step(trial);
    int64_t rung = -1;
    for (int64_t k = 0;; k++) {
        int64_t step = asha_ladder_rung_step(ladder, k);
        if (step >= ladder->max_resource || step > paused ||
            promotion_report_at(trial, step) == NULL)
            return rung;
        rung = step;
    }
}

/* With several objectives, the members of the rung at `step` in MOASHA's order, the one
 * mode stop uses (asha_rung_order): each member's values at `step` (NaN, the worst, for
 * an objective it did not report) and its constraints as last set (NaN, violated, for
 * one it has not set; a paused trial's are those it had at its pause). Sets each
 * member's key to how many members go before it. */
static hps_status rank_rung_multi(hps_pruner *pruner, const hps_context *ctx, int64_t step,
                                  rung_member *members, size_t n)
{
    size_t m = ctx->n_directions, k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t ki = hps_frozen_n_constraints(members[i].trial);
        k = ki > k ? ki : k;
    }
    if (k > HPS_PARETO_MAX_CONSTRAINTS)
        k = HPS_PARETO_MAX_CONSTRAINTS;
    double *values = hps_mem_calloc(n * m + 1, sizeof *values);
    double *cons = hps_mem_calloc(n * k + 1, sizeof *cons);
    size_t *ahead = hps_mem_calloc(n + 1, sizeof *ahead);
    hps_status rc = HPS_ERR_NOMEM;
    if (values == NULL || cons == NULL || ahead == NULL)
        goto out;
    for (size_t i = 0; i < n; i++) {
        double at[HPS_REC_MAX_INTER_VALUES];
        size_t got = hps_rec_inter_values(promotion_report_at(members[i].trial, step), at);
        for (size_t j = 0; j < m; j++)
            values[i * m + j] = j < got ? at[j] : NAN;
        size_t ki = hps_frozen_n_constraints(members[i].trial);
        for (size_t j = 0; j < k; j++)
            cons[i * k + j] = j < ki ? hps_frozen_constraint(members[i].trial, j) : NAN;
    }
    rc = asha_rung_order(values, k > 0 ? cons : NULL, n, ctx->directions, m, k, ahead);
    for (size_t i = 0; rc == HPS_OK && i < n; i++)
        members[i].key = (double)ahead[i];
out:
    hps_mem_free(values);
    hps_mem_free(cons);
    hps_mem_free(ahead);
    if (rc != HPS_OK)
        return hps_errbuf_set(&pruner->err, rc, rc == HPS_ERR_NOMEM ? "out of memory"
                                                                    : "too many trials at a rung");
    return HPS_OK;
}

/* Where each trial stands, worked out once per ask: the ladder it climbs (-1: none) and
 * the rung step it waits at (paused_rung; -1: none). */
typedef struct trial_place {
    int ladder;
    int64_t waits_at;
} trial_place;

/* The best trial of the top 1/rf of the rung at `step` of ladder `l` (its members: the
 * trials of that ladder with a report there) that waits there (paused, not yet
 * promoted) into *number_out, or -1. `members` has room for every trial. Ties go to the
 * older trial. */
static hps_status promotable_at(hps_pruner *pruner, const hps_context *ctx,
                                const asha_ladder *ladders, int l, const hps_frozen *const *all,
                                const trial_place *places, size_t n_all, int64_t step,
                                rung_member *members, int64_t *number_out)
{
    *number_out = -1;
    size_t n = 0;
    for (size_t i = 0; i < n_all; i++) {
        if (places[i].ladder != l)
            continue;
        const hps_inter_rec *r = promotion_report_at(all[i], step);
        if (r == NULL)
            continue;
        members[n++] = (rung_member){
            .key = ctx->directions[0] == HPS_MAXIMIZE ? -r->value : r->value,
            .number = all[i]->number,
            .trial = all[i],
            .waits_here = places[i].waits_at == step,
        };
    }
    size_t top = n / (size_t)ladders[l].reduction_factor;
    if (top == 0)
        return HPS_OK;
    if (ctx->n_directions > 1) {
        hps_status rc = rank_rung_multi(pruner, ctx, step, members, n);
        if (rc != HPS_OK)
            return rc;
    }
    qsort(members, n, sizeof *members, cmp_rung_member);
    for (size_t i = 0; i < top && *number_out < 0; i++)
        if (members[i].waits_here)
            *number_out = members[i].number;
    return HPS_OK;
}

/* The oldest paused trial that has passed no rung (paused before the first, or without
 * a value at any rung it passed), or -1: no rung can rank it, so it goes on, as a new
 * trial would, until it reaches one. */
static int64_t below_the_rungs(const hps_frozen *const *all, const trial_place *places,
                               size_t n_all)
{
    for (size_t i = 0; i < n_all; i++)
        if (all[i] != NULL && all[i]->state == HPS_PAUSED && places[i].waits_at < 0)
            return all[i]->number;
    return -1;
}

/* One rung of one ladder, in the order the rungs are searched. */
typedef struct ladder_rung {
    int64_t step;
    int ladder;
} ladder_rung;

/* The highest step first: the trial nearest its full budget goes on first, so finished
 * trials (what the samplers learn from, and the study's best) come as early as they can.
 * At the same step, the ladder of the lower index (hyperband: the more aggressive
 * bracket, whose trial there has come through more rungs of competition). Every
 * promotable trial is resumed before anything new starts, so this order decides only
 * which goes first, never whether one goes. */
static int cmp_ladder_rung(const void *a, const void *b)
{
    const ladder_rung *x = a, *y = b;
    if (x->step != y->step)
        return x->step > y->step ? -1 : 1;
    return (x->ladder > y->ladder) - (x->ladder < y->ladder);
}

/* Every rung of every ladder, in the order above, into a fresh array; NULL on OOM. */
static ladder_rung *rungs_in_order(const asha_ladder *ladders, size_t n_ladders, size_t *n_out)
{
    size_t n = 0;
    for (size_t l = 0; l < n_ladders; l++)
        n += (size_t)asha_ladder_n_rungs(&ladders[l]);
    ladder_rung *rungs = hps_mem_calloc(n + 1, sizeof *rungs);
    if (rungs == NULL)
        return NULL;
    n = 0;
    for (size_t l = 0; l < n_ladders; l++)
        for (int64_t k = 0, top = asha_ladder_n_rungs(&ladders[l]); k < top; k++)
            rungs[n++] = (ladder_rung){.step = asha_ladder_rung_step(&ladders[l], k),
                                       .ladder = (int)l};
    qsort(rungs, n, sizeof *rungs, cmp_ladder_rung);
    *n_out = n;
    return rungs;
}

hps_status asha_promote_ladders(hps_pruner *pruner, const hps_context *ctx,
                                const asha_ladder *ladders, size_t n_ladders,
                                asha_ladder_of_fn ladder_of, const void *ladder_ctx,
                                int64_t *number_out)
{
    *number_out = -1;
    const hps_frozen *const *all;
    size_t n_all;
    hps_status rc = hps_ctx_trials(ctx, &all, &n_all, &pruner->err);
    if (rc != HPS_OK)
        return rc;
    size_t n_rungs = 0;
    ladder_rung *rungs = rungs_in_order(ladders, n_ladders, &n_rungs);
    rung_member *members = hps_mem_calloc(n_all + 1, sizeof *members);
    trial_place *places = hps_mem_calloc(n_all + 1, sizeof *places);
    if (rungs == NULL || members == NULL || places == NULL) {
        rc = hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* once per ask: every rung asks which ladder each trial climbs and where it waits */
    for (size_t i = 0; i < n_all; i++) {
        int l = all[i] == NULL ? -1 : ladder_of == NULL ? 0 : ladder_of(ladder_ctx, all[i]);
        if (l >= (int)n_ladders)
            l = -1;
        places[i].ladder = l;
        places[i].waits_at = l >= 0 ? paused_rung(&ladders[l], all[i]) : -1;
    }
    for (size_t r = 0; rc == HPS_OK && r < n_rungs && *number_out < 0; r++)
        rc = promotable_at(pruner, ctx, ladders, rungs[r].ladder, all, places, n_all,
                           rungs[r].step, members, number_out);
    if (rc == HPS_OK && *number_out < 0)
        *number_out = below_the_rungs(all, places, n_all);
out:
    hps_mem_free(rungs);
    hps_mem_free(members);
    hps_mem_free(places);
    return rc;
}
