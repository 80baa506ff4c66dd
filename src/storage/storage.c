/* storage.c -- opening a storage from its URL, and helpers shared by backends. */
#include "storage/storage.h"

#include "base/mem.h"
#include "storage/url.h"
#if HPS_HAVE_POSTGRES
#include "storage/postgres.h"
#endif

#include <string.h>
#include <time.h>

double hps_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void hps_study_info_clear(hps_study_info *info)
{
    if (info == NULL)
        return;
    hps_mem_free(info->name);
    hps_mem_free(info->directions);
    memset(info, 0, sizeof *info);
}

void hps_running_info_free(hps_running_info *items, size_t n)
{
    if (items == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        hps_mem_free(items[i].worker);
        hps_mem_free(items[i].system_attrs);
    }
    hps_mem_free(items);
}

hps_status hps_storage_check_owner(hps_errbuf *err, int64_t number, const char *owner,
                                   const char *current)
{
    if (owner == NULL || (current != NULL && strcmp(owner, current) == 0))
        return HPS_OK;
    /* Worker ids come from storage (any bytes another client wrote): bounded in the
     * message; the engine makes stored text UTF-8 before it shows it. */
    if (current == NULL)
        return hps_errbuf_set(err, HPS_ERR_STATE,
                              "trial %lld is no longer run by worker '%.200s': it was recovered "
                              "as stale and is now nobody's",
                              (long long)number, owner);
    return hps_errbuf_set(err, HPS_ERR_STATE,
                          "trial %lld is no longer run by worker '%.200s': it was recovered as "
                          "stale and worker '%.200s' took it over",
                          (long long)number, owner, current);
}

static hps_status open_backend(const char *url, hps_storage_mode mode, hps_storage **out,
                               hps_errbuf *err)
{
    *out = NULL;
    if (url == NULL || url[0] == '\0')
        return hps_errbuf_set(err, HPS_ERR_INVALID, "storage URL is empty");
    hps_storage_kind kind;
    const char *path;
    if (hps_storage_url_kind(url, &kind, &path) == HPS_OK) {
        switch (kind) {
        case HPS_STORAGE_MEMORY:
            return hps_memory_storage_open(out, err);
        case HPS_STORAGE_SQLITE:
            return hps_sqlite_storage_open(path, mode, out, err);
        case HPS_STORAGE_JOURNAL:
            return hps_journal_storage_open(path, mode, out, err);
        case HPS_STORAGE_POSTGRES:
#if HPS_HAVE_POSTGRES
            return hps_postgres_storage_open(url, mode, out, err);
#else
            return hps_errbuf_set(err, HPS_ERR_UNSUPPORTED,
                                  "this build of hpsearch has no PostgreSQL storage (configured "
                                  "with -DHPS_WITH_POSTGRES=OFF): use sqlite:PATH, or rebuild "
                                  "with libpq-dev installed");
#endif
        }
    }
    if (strncmp(url, "sqlite:", 7) == 0)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "storage URL '%s' has no file path (write sqlite:PATH)", url);
    if (strncmp(url, "journal:", 8) == 0)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "storage URL '%s' has no file path (write journal:PATH)", url);
    /* Print only the scheme: the rest of a mistyped URL may hold a password. */
    size_t scheme_len = strcspn(url, ":/@");
    return hps_errbuf_set(err, HPS_ERR_INVALID,
                          "unknown storage URL scheme '%.*s': use ':memory:', 'sqlite:PATH', "
                          "'journal:PATH' or "
                          "'postgresql://USER:PASSWORD@HOST:PORT/DATABASE'",
                          (int)(scheme_len > 40 ? 40 : scheme_len), url);
}

hps_status hps_storage_open(const char *url, hps_storage_mode mode, hps_storage **out,
                            hps_errbuf *err)
{
    hps_status rc = open_backend(url, mode, out, err);
    if (rc == HPS_OK && hps_storage_faults_enabled())
        rc = hps_storage_wrap_faulty(*out, out, err);
    return rc;
}

void hps_storage_close(hps_storage *s)
{
    if (s != NULL)
        s->ops->close(s);
}
