/* report_cache.c -- the dashboard's study handles and shared snapshots. */
#include "report/report_cache.h"

#include "cli/cli.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rcache_entry {
    char *name;
    pthread_mutex_t build; /* held while the handle is in use */
    hps_study *study;      /* guarded by build */
    size_t last_complete;  /* guarded by build */
    char *last_importances, *last_importance_error, *last_branch_importances;
    rcache_snap *snap;     /* guarded by the cache lock */
    double built_at, build_seconds;
} rcache_entry;

struct rcache {
    char *storage;
    pthread_mutex_t lock;
    rcache_entry *entries[RCACHE_MAX_STUDIES];
    size_t n_entries;
    pthread_mutex_t list_lock;
    char *list_json;
    double list_at, list_seconds;
};

static void set_err(char *err, size_t errlen, const char *what, const char *detail)
{
    snprintf(err, errlen, "%s%s%s", what, detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

int rcache_new(const char *storage, rcache **out)
{
    *out = NULL;
    rcache *cache = calloc(1, sizeof *cache);
    if (cache == NULL)
        return -1;
    cache->storage = strdup(storage);
    if (cache->storage == NULL) {
        free(cache);
        return -1;
    }
    pthread_mutex_init(&cache->lock, NULL);
    pthread_mutex_init(&cache->list_lock, NULL);
    *out = cache;
    return 0;
}

static void snap_free(rcache_snap *snap)
{
    if (snap == NULL)
        return;
    rdata_free(snap->data);
    free(snap->view);
    free(snap);
}

void rcache_free(rcache *cache)
{
    if (cache == NULL)
        return;
    for (size_t i = 0; i < cache->n_entries; i++) {
        rcache_entry *e = cache->entries[i];
        hps_study_close(e->study);
        if (e->snap != NULL && --e->snap->refs == 0)
            snap_free(e->snap);
        pthread_mutex_destroy(&e->build);
        free(e->last_importances);
        free(e->last_importance_error);
        free(e->last_branch_importances);
        free(e->name);
        free(e);
    }
    pthread_mutex_destroy(&cache->lock);
    pthread_mutex_destroy(&cache->list_lock);
    free(cache->list_json);
    free(cache->storage);
    free(cache);
}

void rcache_release(rcache *cache, rcache_snap *snap)
{
    if (snap == NULL)
        return;
    pthread_mutex_lock(&cache->lock);
    int last = --snap->refs == 0;
    pthread_mutex_unlock(&cache->lock);
    if (last)
        snap_free(snap);
}

/* Under the cache lock. */
static rcache_entry *find_entry(rcache *cache, const char *name, int create)
{
    for (size_t i = 0; i < cache->n_entries; i++)
        if (strcmp(cache->entries[i]->name, name) == 0)
            return cache->entries[i];
    if (!create || cache->n_entries >= RCACHE_MAX_STUDIES)
        return NULL;
    rcache_entry *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    e->name = strdup(name);
    if (e->name == NULL) {
        free(e);
        return NULL;
    }
    pthread_mutex_init(&e->build, NULL);
    cache->entries[cache->n_entries++] = e;
    return e;
}

/* Under e->build: opens the handle when needed. */
static int ensure_open(rcache *cache, rcache_entry *e, int *http_status, char *err,
                       size_t errlen)
{
    if (e->study != NULL)
        return 0;
    char msg[1024];
    hps_status st = hps_study_open(cache->storage, e->name, HPS_OPEN_LOAD, NULL, 0, &e->study,
                                   msg, sizeof msg);
    if (st != HPS_OK) {
        *http_status = st == HPS_ERR_NOTFOUND ? 404 : 500;
        set_err(err, errlen, msg, NULL);
        return -1;
    }
    return 0;
}

/* Importances are the expensive part of a snapshot and change only when trials
 * complete: reuse the last ones while the COMPLETE count stays the same. */
static int refresh_importances(rcache_entry *e, rdata_study *data)
{
    size_t complete = data->counts[HPS_COMPLETE];
    if (e->last_importances == NULL || complete != e->last_complete) {
        char *json = NULL;
        free(e->last_importances);
        free(e->last_importance_error);
        free(e->last_branch_importances);
        e->last_importances = NULL;
        e->last_importance_error = NULL;
        e->last_branch_importances = NULL;
        if (hps_study_param_importances(e->study, 0, &json) == HPS_OK) {
            e->last_importances = strdup(json);
        } else {
            e->last_importances = strdup("{}");
            e->last_importance_error = strdup(hps_study_errmsg(e->study));
        }
        hps_free(json);
        json = NULL;
        if (e->last_importance_error == NULL &&
            hps_study_branch_importances(e->study, 0, &json) == HPS_OK)
            e->last_branch_importances = strdup(json);
        else
            e->last_branch_importances = strdup("[]");
        hps_free(json);
        if (e->last_importances == NULL || e->last_branch_importances == NULL)
            return -1;
        e->last_complete = complete;
    }
    free(data->importances);
    free(data->importance_error);
    free(data->branch_importances);
    data->importances = strdup(e->last_importances);
    data->importance_error = e->last_importance_error != NULL ? strdup(e->last_importance_error) : NULL;
    data->branch_importances = strdup(e->last_branch_importances);
    return data->importances == NULL || data->branch_importances == NULL ? -1 : 0;
}

/* Under e->build: reads the study and publishes the new snapshot. */
static int build(rcache *cache, rcache_entry *e, rcache_snap **out, int *http_status, char *err,
                 size_t errlen)
{
    double t0 = cli_monotonic();
    if (ensure_open(cache, e, http_status, err, errlen) != 0)
        return -1;
    rcache_snap *snap = calloc(1, sizeof *snap);
    char msg[1024];
    if (snap == NULL || rdata_load(e->study, 0, &snap->data, msg, sizeof msg) != 0) {
        if (snap != NULL)
            set_err(err, errlen, "cannot read the study", msg);
        else
            set_err(err, errlen, "out of memory", NULL);
        free(snap);
        /* The study may have been deleted: open it afresh next time. */
        hps_study_close(e->study);
        e->study = NULL;
        *http_status = 500;
        return -1;
    }
    rjson_buf b;
    hps_strbuf_init(&b, RJSON_MAX);
    if (refresh_importances(e, snap->data) == 0) {
        snap->data->load_seconds = cli_monotonic() - t0;
        rdata_view_json(snap->data, &b);
    } else {
        b.failed = 1;
    }
    snap->view_len = b.len;
    snap->view = hps_strbuf_take(&b);
    if (snap->view == NULL) {
        snap_free(snap);
        *http_status = 500;
        set_err(err, errlen, "out of memory", NULL);
        return -1;
    }
    double seconds = cli_monotonic() - t0;
    pthread_mutex_lock(&cache->lock);
    rcache_snap *old = e->snap;
    snap->refs = 2; /* the entry's and the caller's */
    e->snap = snap;
    e->built_at = cli_monotonic();
    e->build_seconds = seconds;
    int free_old = old != NULL && --old->refs == 0;
    pthread_mutex_unlock(&cache->lock);
    if (free_old)
        snap_free(old);
    *out = snap;
    return 0;
}

static int fresh(const rcache_entry *e, double now)
{
    double interval = RCACHE_BUILD_FACTOR * e->build_seconds;
    if (interval < RCACHE_MIN_REFRESH)
        interval = RCACHE_MIN_REFRESH;
    return e->snap != NULL && now - e->built_at < interval;
}

static rcache_snap *take_snap(rcache *cache, rcache_entry *e, int only_fresh)
{
    rcache_snap *snap = NULL;
    pthread_mutex_lock(&cache->lock);
    if (e->snap != NULL && (!only_fresh || fresh(e, cli_monotonic()))) {
        snap = e->snap;
        snap->refs++;
    }
    pthread_mutex_unlock(&cache->lock);
    return snap;
}

static rcache_entry *entry_for(rcache *cache, const char *name, int *http_status, char *err,
                               size_t errlen)
{
    pthread_mutex_lock(&cache->lock);
    rcache_entry *e = find_entry(cache, name, 1);
    pthread_mutex_unlock(&cache->lock);
    if (e == NULL) {
        *http_status = 503;
        snprintf(err, errlen, "the dashboard holds at most %d studies open", RCACHE_MAX_STUDIES);
    }
    return e;
}

int rcache_get(rcache *cache, const char *name, rcache_snap **out, int *http_status, char *err,
               size_t errlen)
{
    *out = NULL;
    rcache_entry *e = entry_for(cache, name, http_status, err, errlen);
    if (e == NULL)
        return -1;
    rcache_snap *snap = take_snap(cache, e, 1);
    if (snap != NULL) {
        *out = snap;
        return 0;
    }
    /* Stale: if another request is already building, answer from the old snapshot
     * rather than wait. */
    if (pthread_mutex_trylock(&e->build) != 0) {
        snap = take_snap(cache, e, 0);
        if (snap != NULL) {
            *out = snap;
            return 0;
        }
        pthread_mutex_lock(&e->build);
    }
    /* Someone may have built it while we waited for the lock. */
    snap = take_snap(cache, e, 1);
    int rc = 0;
    if (snap == NULL)
        rc = build(cache, e, &snap, http_status, err, errlen);
    pthread_mutex_unlock(&e->build);
    *out = snap;
    return rc;
}

int rcache_trial(rcache *cache, const char *name, int64_t number, char **json_out,
                 int *http_status, char *err, size_t errlen)
{
    *json_out = NULL;
    rcache_entry *e = entry_for(cache, name, http_status, err, errlen);
    if (e == NULL)
        return -1;
    pthread_mutex_lock(&e->build);
    int rc = ensure_open(cache, e, http_status, err, errlen);
    const hps_frozen *t = NULL;
    if (rc == 0 && hps_study_trial(e->study, number, &t) != HPS_OK) {
        *http_status = 404;
        set_err(err, errlen, hps_study_errmsg(e->study), NULL);
        rc = -1;
    }
    char *text = NULL;
    if (rc == 0 && hps_frozen_to_json(t, &text) != HPS_OK) {
        *http_status = 500;
        set_err(err, errlen, "cannot write the trial", NULL);
        rc = -1;
    }
    if (rc == 0) {
        rjson_buf b;
        hps_strbuf_init(&b, RJSON_MAX);
        rjson_raw_json(&b, text);
        *json_out = hps_strbuf_take(&b);
        if (*json_out == NULL) {
            *http_status = 500;
            set_err(err, errlen, "out of memory", NULL);
            rc = -1;
        }
    }
    hps_free(text);
    pthread_mutex_unlock(&e->build);
    return rc;
}

int rcache_list(rcache *cache, char **json_out, char *err, size_t errlen)
{
    *json_out = NULL;
    pthread_mutex_lock(&cache->list_lock);
    double now = cli_monotonic();
    int rc = 0;
    /* Listing counts every study's trials: on big storages it is slow, so it is reused
     * for as long as the snapshots are. */
    double ttl = RCACHE_BUILD_FACTOR * cache->list_seconds;
    if (ttl < RCACHE_LIST_TTL)
        ttl = RCACHE_LIST_TTL;
    if (cache->list_json == NULL || now - cache->list_at >= ttl) {
        char *json = NULL, msg[1024];
        if (hps_storage_list_studies(cache->storage, &json, msg, sizeof msg) != HPS_OK) {
            set_err(err, errlen, msg, NULL);
            rc = -1;
        } else {
            rjson_buf b;
            hps_strbuf_init(&b, RJSON_MAX);
            rjson_raw_json(&b, json);
            char *escaped = hps_strbuf_take(&b);
            if (escaped == NULL) {
                set_err(err, errlen, "out of memory", NULL);
                rc = -1;
            } else {
                free(cache->list_json);
                cache->list_json = escaped;
                cache->list_at = cli_monotonic();
                cache->list_seconds = cache->list_at - now;
            }
        }
        hps_free(json);
    }
    if (rc == 0) {
        *json_out = strdup(cache->list_json);
        if (*json_out == NULL) {
            set_err(err, errlen, "out of memory", NULL);
            rc = -1;
        }
    }
    pthread_mutex_unlock(&cache->list_lock);
    return rc;
}
