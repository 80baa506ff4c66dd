/* plugin.h -- what a sampler or pruner sees of the study that uses it.
 *
 * The engine hands its plug-ins a context (the study's directions, budget and name, the
 * trial asked about, and a few services) and, for joint sampling, a read-only history.
 * They never see the study, its trials' handles or its storage: everything they may do
 * goes through here, so a plug-in can be written outside the engine (the registration
 * calls of hpsearch.h) and the engine can change without them.
 *
 *   engine ──> samplers / pruners ──> plugin.h ──> base
 *     └──────────────────────────────────┘ (the engine implements the services) */
#ifndef HPS_PLUGIN_H
#define HPS_PLUGIN_H

#include "base/errbuf.h"
#include "base/prior.h"
#include "base/trial_rec.h"
#include "hpsearch.h"

#include <jansson.h>

/* ---- the history of a study, for joint sampling ----------------------------------- */

/* The relative search space: parameters every finished (COMPLETE or PRUNED) trial has,
 * each with the same distribution in all of them, in the order the first of those trials
 * suggested them. */
typedef struct hps_space {
    const char **names;
    const hps_dist **dists;
    size_t n;
} hps_space;

/* A trial that has not finished. `rec` is what is known of it: for a trial this process
 * runs, its live record (parameters not yet written included), else its stored one.
 * `planned` are the values a joint sample already gave it for parameters it has not
 * suggested yet (this process's own trials only); `fixed` the values it was enqueued or
 * retried with, or NULL. */
typedef struct hps_pending {
    const hps_frozen *rec;
    const hps_param_rec *planned;
    size_t n_planned;
    const json_t *fixed;
    int live; /* asked by this process and not finished */
} hps_pending;

/* Every trial of the study but the asking one is in exactly one of finished, ended,
 * paused and pending, each list in trial-number order (pending: the live trials created
 * after the sync last), except that after a change of space (hps_study_map_space) a
 * finished, ended or paused one with a value the new space no longer takes is in none.
 * Those three are seen through the new space; finished and ended ones lacking a
 * parameter the space gives a default are seen with it (an ended one too, though it may
 * have stopped before suggesting it: its end did not depend on that value), paused ones
 * without it (they suggest it when resumed). Pending ones, which may still change, are
 * listed as stored whatever their values (as run here for this process's own). */
typedef struct hps_history {
    const hps_frozen **finished; /* COMPLETE, and PRUNED with a value */
    size_t n_finished;
    const hps_frozen **ended;    /* FAIL -- interrupted ones too (rec->interrupted says
                                    which) -- and PRUNED without a value */
    size_t n_ended;
    const hps_frozen **paused;   /* PAUSED: stopped at a step, to be resumed */
    size_t n_paused;
    hps_frozen **paused_copies;  /* the engine's: paused trials seen through a changed
                                    space, freed with the history */
    size_t n_paused_copies;
    hps_pending *pending;        /* RUNNING and WAITING, without the asking trial */
    size_t n_pending;
    hps_space space;
} hps_history;

/* Index of `name` in the space, or -1. */
long hps_space_index(const hps_space *space, const char *name);

/* ---- the context ----------------------------------------------------------------- */

typedef struct hps_context hps_context;

/* The engine's side of the services below. */
typedef struct hps_context_calls {
    hps_status (*agree)(const hps_context *ctx, const char *key, const char *json,
                        char **stored, hps_errbuf *err);
    hps_status (*set_trial_attr)(const hps_context *ctx, const char *key, const char *json,
                                 hps_errbuf *err);
    hps_status (*trials)(const hps_context *ctx, const hps_frozen *const **all, size_t *n,
                         hps_errbuf *err);
    hps_status (*history)(const hps_context *ctx, hps_history *out, hps_errbuf *err);
    void (*history_release)(const hps_context *ctx, hps_history *h);
} hps_context_calls;

struct hps_context {
    const char *study_name;          /* for messages */
    const hps_direction *directions;
    size_t n_directions;
    uint64_t max_trials;             /* the study's limit on its trials; 0 = none */
    uint64_t budget;                 /* what strategies plan with: max_trials, else the
                                        study's budget_hint; 0 = unknown */
    unsigned repeats;                /* runs of each configuration of a finite space */
    int no_new_trials;               /* promote: the study can start no new trial (budget
                                        used, finite space run out): resume or nothing */
    /* The trial asked about; NULL when a plug-in joins the study (bind) on its own. */
    const hps_frozen *trial;
    const json_t *fixed;             /* its enqueued or retried values, or NULL */
    size_t n_planned;                /* values its joint sample gave it */
    size_t position;                 /* sample: how many parameters the trial drew before
                                        this one (a quasi-random sequence's dimension) */
    const hps_priors *priors;        /* the user's priors on parameters, or NULL */
    const hps_context_calls *calls;
    void *engine;                    /* the engine's, for the calls */
    /* Set for a registered (outside) plug-in's callbacks only: */
    uint64_t seed;                   /* its sampler's seed */
    hps_errbuf *err;                 /* where hps_context_error writes */
};

/* Stores `json` (JSON text) under the study attribute `key` unless another worker did
 * first; *stored (free with free()) is what the study holds afterwards, whoever wrote
 * it. How workers agree on a grid, a seed, a starting design. */
hps_status hps_ctx_agree(const hps_context *ctx, const char *key, const char *json,
                         char **stored, hps_errbuf *err);

/* Agrees on the study's seed under `key`: the first worker's seed is the study's; a
 * later worker given another seed explicitly (`seeded`) is HPS_ERR_INVALID naming both
 * (`what` says whose seed, for the message); an unseeded one takes the study's. */
hps_status hps_ctx_agree_seed(const hps_context *ctx, const char *key, const char *what,
                              uint64_t *seed, int seeded, hps_errbuf *err);

/* Sets a system attribute of the trial asked about (a pruner's rungs, the strategy the
 * auto sampler chose). */
hps_status hps_ctx_set_trial_attr(const hps_context *ctx, const char *key, const char *json,
                                  hps_errbuf *err);

/* Every trial of the study, indexed by number (NULL where a number is not known yet),
 * current as of this call -- or, while a history of this call is held (the one
 * sample_relative gets, or hps_ctx_history's), as of that history: syncing then would
 * free the records the history borrows. Borrowed until the plug-in returns. */
hps_status hps_ctx_trials(const hps_context *ctx, const hps_frozen *const **all, size_t *n,
                          hps_errbuf *err);

/* The history as sample_relative gets it, for a plug-in that needs it elsewhere (the
 * auto sampler deciding at a trial's first suggestion). Release it with
 * hps_ctx_history_release. */
hps_status hps_ctx_history(const hps_context *ctx, hps_history *out, hps_errbuf *err);
void hps_ctx_history_release(const hps_context *ctx, hps_history *h);

/* The prior on parameter `name` when it fits `dist` (the engine refuses a suggestion
 * whose prior does not, so a sampler meets only fitting ones), else NULL. */
const hps_prior *hps_ctx_prior(const hps_context *ctx, const char *name, const hps_dist *dist);

/* A uniform u in [0, 1) mapped to the unit position an independent sampler should use
 * for `name`: u itself without a prior, else the prior's inverse CDF at u. */
double hps_ctx_prior_unit(const hps_context *ctx, const char *name, const hps_dist *dist,
                          double u);

/* How much the priors weigh after `n` finished trials: beta / n (piBO), and beta itself
 * before the first. */
double hps_ctx_prior_weight(const hps_context *ctx, size_t n);

/* The value a finished trial is ranked by in a single-objective study, oriented so that
 * lower is better (a maximized study's values are negated). NaN when it has none. */
double hps_ctx_loss(const hps_context *ctx, const hps_frozen *rec);

#endif
