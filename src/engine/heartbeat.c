/* heartbeat.c -- a background thread that keeps RUNNING trials' heartbeats fresh. */
#include "engine/heartbeat.h"

#include "base/mem.h"
#include "storage/storage.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

struct hps_heartbeat {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
    double interval;
    hps_storage *storage;
    int64_t *ids;
    size_t n_ids, cap_ids;
};

static void *heartbeat_main(void *arg)
{
    hps_heartbeat *hb = arg;
    int64_t *batch = NULL;
    size_t cap_batch = 0;
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
        size_t n = hb->n_ids;
        void *items = batch;
        if (n == 0 || hps_mem_grow(&items, &cap_batch, n, sizeof *batch) != 0)
            continue;
        batch = items;
        memcpy(batch, hb->ids, n * sizeof *batch);
        /* Write without holding the lock, so add/remove never wait for storage. A beat
         * lost to a busy database is harmless: the next one comes an interval later. */
        pthread_mutex_unlock(&hb->lock);
        hb->storage->ops->heartbeat(hb->storage, batch, n, hps_now());
        pthread_mutex_lock(&hb->lock);
    }
    pthread_mutex_unlock(&hb->lock);
    hps_mem_free(batch);
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

int hps_heartbeat_add(hps_heartbeat *hb, int64_t trial_id)
{
    pthread_mutex_lock(&hb->lock);
    void *items = hb->ids;
    int rc = hps_mem_grow(&items, &hb->cap_ids, hb->n_ids + 1, sizeof *hb->ids);
    if (rc == 0) {
        hb->ids = items;
        hb->ids[hb->n_ids++] = trial_id;
    }
    pthread_mutex_unlock(&hb->lock);
    return rc;
}

void hps_heartbeat_remove(hps_heartbeat *hb, int64_t trial_id)
{
    pthread_mutex_lock(&hb->lock);
    for (size_t i = 0; i < hb->n_ids; i++) {
        if (hb->ids[i] == trial_id) {
            hb->ids[i] = hb->ids[--hb->n_ids];
            break;
        }
    }
    pthread_mutex_unlock(&hb->lock);
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
    hps_mem_free(hb->ids);
    hps_mem_free(hb);
}
