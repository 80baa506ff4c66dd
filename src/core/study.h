/* study.h -- the study and live-trial handles, as samplers and pruners see them.
 *
 * A study handle owns: its storage connection, a cache of the study's trials indexed
 * by number (kept current by incremental sync), its sampler and pruner, and an
 * optional heartbeat thread. A live trial handle (hps_trial) is the working copy of one
 * RUNNING trial that this process asked for. */
#ifndef HPS_STUDY_H
#define HPS_STUDY_H

#include "core/errbuf.h"
#include "core/heartbeat.h"
#include "core/trial_rec.h"
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

    double last_stale_check;
    hps_heartbeat *heartbeat;
    char *user_attrs_text; /* borrowed return of hps_study_user_attrs */
    hps_errbuf err;
};

struct hps_trial {
    hps_study *study;
    hps_frozen *rec;       /* this trial as we know it: stored, plus unflushed params */
    size_t n_stored_params; /* rec->params[0..n) are in storage; the rest wait for the
                               trial's next write (see hps_trial_flush) */
    json_t *fixed_params;  /* {"name": value} from an enqueue or retry; may be NULL */
    hps_param_rec *relative; /* a joint sampler's values for this trial (dist borrowed
                                copies are owned), used when the same parameter is
                                suggested with the same distribution */
    size_t n_relative;
    int finished;
    hps_errbuf err;
};

/* Sets a system attribute of a live trial (pruner bookkeeping such as ASHA's rungs). */
hps_status hps_trial_set_system_attr(hps_trial *trial, const char *key, const char *json);

/* Checks a user or system attribute before it is stored: a non-empty UTF-8 key and a
 * valid JSON value of at most 1 MiB. HPS_ERR_INVALID with a message naming the key. */
hps_status hps_attr_check(hps_errbuf *err, const char *key, const char *json);

/* The study's cached record of trial `number`, after a sync; NULL if unknown. */
const hps_frozen *hps_study_cached(const hps_study *study, int64_t number);

#endif
