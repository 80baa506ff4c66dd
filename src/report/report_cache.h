/* report_cache.h -- the dashboard's studies: one open handle per study, and snapshots
 * (report_data.h) that many requests share.
 *
 * A request takes the current snapshot of its study. When the snapshot is older than
 * the refresh interval -- at least RCACHE_MIN_REFRESH seconds and at least
 * RCACHE_BUILD_FACTOR times as long as the last build took, so that reading a huge
 * study takes a bounded share of the time -- the request builds the next one while
 * the others keep answering from the old one. Importances are recomputed only when the
 * number of COMPLETE trials changed. Thread-safe. */
#ifndef HPS_REPORT_CACHE_H
#define HPS_REPORT_CACHE_H

#include "report/report_data.h"

#include <stddef.h>
#include <stdint.h>

#define RCACHE_MIN_REFRESH 1.0
#define RCACHE_BUILD_FACTOR 4.0
#define RCACHE_MAX_STUDIES 256
#define RCACHE_LIST_TTL 1.0

typedef struct rcache rcache;

typedef struct rcache_snap {
    rdata_study *data;
    char *view;          /* rdata_view_json of data */
    size_t view_len;
    int refs;            /* guarded by the cache */
} rcache_snap;

int rcache_new(const char *storage, rcache **out);
void rcache_free(rcache *cache);

/* A snapshot of study `name`; release it with rcache_release. On failure returns -1,
 * *http_status (404 unknown study, 503 too many studies, 500 otherwise) and err. */
int rcache_get(rcache *cache, const char *name, rcache_snap **out, int *http_status, char *err,
               size_t errlen);
void rcache_release(rcache *cache, rcache_snap *snap);

/* The storage's studies (hps_storage_list_studies), reused for RCACHE_LIST_TTL
 * seconds or RCACHE_BUILD_FACTOR times as long as listing took; *json_out is
 * malloc'ed. */
int rcache_list(rcache *cache, char **json_out, char *err, size_t errlen);

/* Trial `number` of study `name` in full (hps_frozen_to_json, escaped for HTML);
 * *json_out is malloc'ed. Errors as rcache_get. */
int rcache_trial(rcache *cache, const char *name, int64_t number, char **json_out,
                 int *http_status, char *err, size_t errlen);

#endif
