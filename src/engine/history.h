/* history.h -- what a model-based sampler learns from: the study's finished trials,
 * the trials still running (here and in other processes), and the relative search
 * space they share.
 *
 * Joint samplers (GP, TPE multivariate, CMA-ES) draw all parameters of the relative
 * space at once when a trial starts; parameters outside it are drawn one by one by the
 * sampler's `sample` when suggested (define-by-run spaces). */
#ifndef HPS_HISTORY_H
#define HPS_HISTORY_H

#include "engine/study.h"

/* The relative search space: parameters every finished (COMPLETE or PRUNED) trial has,
 * each with the same distribution in all of them, in the order the first of those
 * trials suggested them. Distributions are borrowed from the study's cache and valid
 * until the next call that syncs the study. */
typedef struct hps_space {
    const char **names;
    const hps_dist **dists;
    size_t n;
} hps_space;

/* A trial that has not finished, with the parameters known so far (its own live handle
 * in this process, or its stored record when another process runs it). */
typedef struct hps_pending {
    const hps_frozen *rec;
} hps_pending;

typedef struct hps_history {
    const hps_frozen **finished; /* COMPLETE and PRUNED, with at least one value */
    size_t n_finished;
    const hps_frozen **pending;  /* RUNNING (and WAITING) trials, excluding the asking one */
    size_t n_pending;
    hps_space space;
} hps_history;

/* Syncs the study and fills `h` (arrays owned by `h`, records borrowed from the study).
 * `asking` is the trial being sampled for, left out of pending; may be NULL. */
hps_status hps_history_collect(hps_study *study, const hps_trial *asking, hps_history *h);
void hps_history_clear(hps_history *h);

/* Index of `name` in the space, or -1. */
long hps_space_index(const hps_space *space, const char *name);

/* The value a finished trial is ranked by for single-objective studies, oriented so
 * lower is better (maximized studies are negated). NaN when it has none. */
double hps_history_loss(const hps_study *study, const hps_frozen *rec);

#endif
