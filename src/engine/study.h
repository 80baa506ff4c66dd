/* study.h -- the study and live-trial handles: private to the engine (src/engine).
 * Samplers and pruners see the plug-in context of plugin/plugin.h instead.
 *
 * A study handle owns: its storage connection, a cache of the study's trials indexed
 * by number (kept current by incremental sync), its sampler and pruner, and an
 * optional heartbeat thread. A live trial handle (hps_trial) is the working copy of one
 * RUNNING trial that this process asked for. */
#ifndef HPS_STUDY_H
#define HPS_STUDY_H

#include "engine/cells.h"
#include "base/errbuf.h"
#include "base/prior.h"
#include "engine/heartbeat.h"
#include "engine/model_space.h"
#include "base/trial_rec.h"
#include "plugin/plugin.h"
#include "pruners/pruner.h"
#include "storage/storage.h"

struct hps_study {
    hps_storage *storage;
    char *url;
    int64_t study_id;
    char *name;
    hps_direction *directions;
    size_t n_directions;
    hps_sampler *sampler;
    hps_pruner *pruner;

    /* options */
    uint64_t max_trials;
    uint64_t budget_hint; /* what strategies plan with when max_trials is 0 */
    unsigned retries;
    double heartbeat_interval;
    double heartbeat_grace;
    char *worker;

    /* cache of stored trials, index = number */
    hps_frozen **cache;
    size_t n_cache, cap_cache;
    int64_t synced_seq;

    /* the relative search space, kept up to date one finished trial at a time
     * (samplers/history.c): owned copies, and which cache slots were folded in */
    char **space_names;
    hps_dist *space_dists;
    size_t space_n;
    int space_started;
    unsigned char *space_seen;
    size_t cap_seen;

    /* trial handles of this study that are alive (asked here, not yet freed) */
    hps_trial **live;
    size_t n_live, cap_live;

    /* the search space declared up front (hps_study_declare_space), and how many runs
     * each configuration of a finite space gets (finite.c) */
    hps_cells declared;
    unsigned repeats;
    /* the space trials are suggested from after it changed mid-study
     * (hps_study_map_space), through which the samplers see the finished trials */
    hps_model_space model_space;
    /* what the user believes about parameters (hps_study_set_prior): this handle's,
     * never stored, never part of the space */
    hps_priors priors;
    /* positions held by the cached trials, and how many of those are WAITING */
    hps_posmap held;
    size_t n_waiting_cached;

    int closed;            /* hps_study_close was called while trials were alive */
    double last_stale_check;
    hps_heartbeat *heartbeat;
    char *user_attrs_text; /* borrowed returns of hps_study_user_attrs, */
    char *system_attrs_text; /* hps_study_system_attrs */
    char uid[17];          /* hps_study_uid: hex of the study's identity in storage */
    hps_errbuf err;
};

struct hps_trial {
    char run_key[32];      /* hps_trial_run_key, made on demand */
    hps_study *study;
    hps_frozen *rec;       /* this trial as we know it: stored, plus unflushed params */
    size_t n_stored_params; /* rec->params[0..n) are in storage; the rest wait for the
                               trial's next write (see hps_trial_flush) */
    json_t *fixed_params;  /* {"name": value} from an enqueue or retry; may be NULL */
    hps_param_rec *relative; /* a joint sampler's values for this trial (dist borrowed
                                copies are owned), used when the same parameter is
                                suggested with the same distribution */
    size_t n_relative;
    int last_independent;  /* hps_trial_last_independent */
    int finished;
    int beating;           /* this handle has an entry in the study's heartbeat (a
                              superseded handle and the one that took over each have one) */
    uint64_t beat_key;     /* that entry, while beating */
    char *owner;           /* the worker the trial belonged to when this handle got it
                              (NULL: nobody's): storage refuses this handle's finish and
                              reports once another worker has taken the trial over */
    char *superseded_by;   /* non-NULL once this study resumed the trial again in another
                              handle, for this worker (then storage cannot tell the two
                              runs apart: the engine refuses this one) or another */
    hps_errbuf err;
};

/* The value `name` is fixed to in this trial (by an enqueue or a retry), converted into
 * `dist`: *found is 0 when it is not fixed. */
hps_status hps_trial_fixed_value(hps_trial *trial, const char *name, const hps_dist *dist,
                                 int *found, double *internal);

/* Finite spaces (finite.c). hps_finite_track follows the cache: `rec` replaces `old`
 * (either may be NULL); -1 on OOM. Before a trial is created, hps_finite_before_create
 * returns HPS_DONE (the reason on the study) when every configuration has run; once it
 * exists, hps_finite_settle claims its configuration -- or interrupts it and returns
 * HPS_DONE when other workers took the last ones. */
int hps_finite_track(hps_study *study, const hps_frozen *old, const hps_frozen *rec);
hps_status hps_finite_before_create(hps_study *study);
hps_status hps_finite_settle(hps_study *study, hps_trial *trial);
/* For a trial added whole (hps_study_add_trial), inside its batch: the configuration
 * of `rec` holds a free run of its cell, as an enqueued one asked would, so the grid or
 * the declared space does not run it again. Nothing when the space is not finite, the
 * configuration is none of its cells, or every run of it is held as the study's cache
 * shows it (sync first); HPS_ERR_EXISTS when another worker took the last run since. */
hps_status hps_finite_claim_added(hps_study *study, const hps_frozen *rec, int64_t trial_id);
/* Configurations of the study's finite space (grid cells, or the declared space's); 0
 * when the space is not finite. */
uint64_t hps_finite_configurations(const hps_study *study);

/* The plug-in context of `study` about `trial` (NULL when a plug-in joins the study),
 * for its sampler and pruner (context.c). Valid while both live and `out` stays put. */
typedef struct hps_engine_ctx {
    hps_context ctx;
    hps_study *study;
    hps_trial *trial;
    /* Histories borrowed from the study's cache during this call (the one the engine
     * hands sample_relative, and those a sampler collects through ctx->calls->history).
     * While one is held, ctx->calls->trials returns the cache without syncing it: a sync
     * frees and replaces the records another process changed, which the history still
     * points at. */
    int histories;
} hps_engine_ctx;
void hps_study_context(hps_study *study, hps_trial *trial, hps_engine_ctx *out);

/* Frees a study whose hps_study_close waited for its trials, once the last is gone. */
void hps_study_release_if_closed(hps_study *study);

/* Checks a user or system attribute before it is stored: a non-empty UTF-8 key and a
 * valid JSON value of at most 1 MiB. HPS_ERR_INVALID with a message naming the key. */
hps_status hps_attr_check(hps_errbuf *err, const char *key, const char *json);

/* The study's cached record of trial `number`, after a sync; NULL if unknown. */
const hps_frozen *hps_study_cached(const hps_study *study, int64_t number);

#endif
