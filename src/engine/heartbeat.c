/* heartbeat.c -- a background thread that keeps RUNNING trials' heartbeats fresh. */
#include "engine/heartbeat.h"

#include "base/mem.h"
#include "storage/storage.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

typedef struct beat_entry {
    int64_t trial_id;
    uint64_t key;
    char *owner;   /* the worker the handle runs the trial as; NULL: unchecked */
    int refused;   /* storage refused a beat: beaten no more */
} beat_entry;

/* One round's beats, copied out of the list so that storage is written without the
 * lock: the entries may be removed (and their owners freed) meanwhile. */
typedef struct beat_batch {
    int64_t *ids;
    char **owners;
    uint64_t *keys;
    unsigned char *refused;
    size_t n, cap;
} beat_batch;

struct hps_heartbeat {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
    double interval;
    hps_storage *storage;
    beat_entry *entries;
    size_t n_entries, cap_entries;
    uint64_t next_key;
};

static void batch_clear(beat_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        hps_mem_free(b->owners[i]);
    b->n = 0;
}

static void batch_free(beat_batch *b)
{
    batch_clear(b);
    hps_mem_free(b->ids);
    hps_mem_free(b->owners);
    hps_mem_free(b->keys);
    hps_mem_free(b->refused);
}

/* Copies the entries still beating into `b` (called with the lock held); -1 on OOM,
 * which skips the round: the next one comes an interval later. */
static int batch_fill(hps_heartbeat *hb, beat_batch *b)
{
    batch_clear(b);
    size_t want = hb->n_entries;
    if (want > b->cap) {
        int64_t *ids = hps_mem_realloc_array(b->ids, want, sizeof *ids);
        if (ids != NULL)
            b->ids = ids;
        char **owners = hps_mem_realloc_array(b->owners, want, sizeof *owners);
        if (owners != NULL)
            b->owners = owners;
        uint64_t *keys = hps_mem_realloc_array(b->keys, want, sizeof *keys);
        if (keys != NULL)
            b->keys = keys;
        unsigned char *refused = hps_mem_realloc_array(b->refused, want, 1);
        if (refused != NULL)
            b->refused = refused;
        if (ids == NULL || owners == NULL || keys == NULL || refused == NULL)
            return -1;
        b->cap = want;
    }
    for (size_t i = 0; i < hb->n_entries; i++) {
        const beat_entry *e = &hb->entries[i];
        if (e->refused)
            continue;
        char *owner = e->owner != NULL ? hps_mem_strdup(e->owner) : NULL;
        if (e->owner != NULL && owner == NULL)
            return -1;
        b->ids[b->n] = e->trial_id;
        b->owners[b->n] = owner;
        b->keys[b->n] = e->key;
        b->refused[b->n] = 0;
        b->n++;
    }
    return 0;
}

static beat_entry *find_entry(hps_heartbeat *hb, uint64_t key)
{
    for (size_t i = 0; i < hb->n_entries; i++)
        if (hb->entries[i].key == key)
            return &hb->entries[i];
    return NULL;
}

static void *heartbeat_main(void *arg)
{
    hps_heartbeat *hb = arg;
    beat_batch batch = {0};
    pthread_mutex_lock(&hb->lock);
    while (!hb->stop) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        double whole;
        double frac = modf(hb->interval, &whole);
        deadline.tv_sec += (time_t)whole;
        deadline.tv_nsec += (long)(frac * 1e9);
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        int rc = 0;
        while (!hb->stop && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&hb->wake, &hb->lock, &deadline);
        if (hb->stop)
            break;
        if (batch_fill(hb, &batch) != 0 || batch.n == 0)
            continue;
        /* Write without holding the lock, so add/remove never wait for storage. A beat
         * lost to a busy database is harmless: the next one comes an interval later. */
        pthread_mutex_unlock(&hb->lock);
        hps_status written = hb->storage->ops->heartbeat(
            hb->storage, batch.ids, (const char *const *)batch.owners, batch.n, hps_now(),
            batch.refused);
        pthread_mutex_lock(&hb->lock);
        /* Only an answer counts as a refusal, never a failed write. An entry removed
         * meanwhile is gone; one added meanwhile has another key and was not asked. */
        for (size_t i = 0; written == HPS_OK && i < batch.n; i++) {
            beat_entry *e = batch.refused[i] ? find_entry(hb, batch.keys[i]) : NULL;
            if (e != NULL)
                e->refused = 1;
        }
    }
    pthread_mutex_unlock(&hb->lock);
    batch_free(&batch);
    return NULL;
}

hps_status hps_heartbeat_start(const char *url, double interval, hps_heartbeat **out,
                               hps_errbuf *err)
{
    *out = NULL;
    hps_heartbeat *hb = hps_mem_calloc(1, sizeof *hb);
    if (hb == NULL)
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    hb->interval = interval;
    hps_status rc = hps_storage_open(url, HPS_STORAGE_EXISTING, &hb->storage, err);
    if (rc != HPS_OK) {
        hps_mem_free(hb);
        return rc;
    }
    pthread_mutex_init(&hb->lock, NULL);
    pthread_cond_init(&hb->wake, NULL);
    if (pthread_create(&hb->thread, NULL, heartbeat_main, hb) != 0) {
        hps_storage_close(hb->storage);
        pthread_mutex_destroy(&hb->lock);
        pthread_cond_destroy(&hb->wake);
        hps_mem_free(hb);
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "cannot start the heartbeat thread");
    }
    *out = hb;
    return HPS_OK;
}

int hps_heartbeat_add(hps_heartbeat *hb, int64_t trial_id, const char *owner, uint64_t *key)
{
    char *copy = owner != NULL ? hps_mem_strdup(owner) : NULL;
    if (owner != NULL && copy == NULL)
        return -1;
    pthread_mutex_lock(&hb->lock);
    void *items = hb->entries;
    int rc = hps_mem_grow(&items, &hb->cap_entries, hb->n_entries + 1, sizeof *hb->entries);
    if (rc == 0) {
        hb->entries = items;
        *key = ++hb->next_key;
        hb->entries[hb->n_entries++] =
            (beat_entry){.trial_id = trial_id, .key = *key, .owner = copy};
        copy = NULL;
    }
    pthread_mutex_unlock(&hb->lock);
    hps_mem_free(copy);
    return rc;
}

void hps_heartbeat_remove(hps_heartbeat *hb, uint64_t key)
{
    char *owner = NULL;
    pthread_mutex_lock(&hb->lock);
    beat_entry *e = find_entry(hb, key);
    if (e != NULL) {
        owner = e->owner;
        *e = hb->entries[--hb->n_entries];
    }
    pthread_mutex_unlock(&hb->lock);
    hps_mem_free(owner);
}

int hps_heartbeat_refused(hps_heartbeat *hb, uint64_t key)
{
    pthread_mutex_lock(&hb->lock);
    const beat_entry *e = find_entry(hb, key);
    int refused = e != NULL && e->refused;
    pthread_mutex_unlock(&hb->lock);
    return refused;
}

void hps_heartbeat_stop(hps_heartbeat *hb)
{
    if (hb == NULL)
        return;
    pthread_mutex_lock(&hb->lock);
    hb->stop = 1;
    pthread_cond_signal(&hb->wake);
    pthread_mutex_unlock(&hb->lock);
    pthread_join(hb->thread, NULL);
    hps_storage_close(hb->storage);
    pthread_mutex_destroy(&hb->lock);
    pthread_cond_destroy(&hb->wake);
    for (size_t i = 0; i < hb->n_entries; i++)
        hps_mem_free(hb->entries[i].owner);
    hps_mem_free(hb->entries);
    hps_mem_free(hb);
}
