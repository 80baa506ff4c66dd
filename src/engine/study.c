/* study.c -- opening studies, asking for trials, the trial cache and study options. */
#include "engine/study.h"

#include "base/jsonw.h"
#include "base/mem.h"
#include "base/utf8.h"
#include "base/value.h"
#include "engine/worker.h"
#include "samplers/sampler.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Names are stored, logged and put in file names: keep them bounded. */
#define HPS_MAX_NAME 1024
#define HPS_MAX_DIRECTIONS 64

static hps_status validate_name(const char *what, const char *name, hps_errbuf *err)
{
    if (name == NULL || name[0] == '\0')
        return hps_errbuf_set(err, HPS_ERR_INVALID, "%s name is empty", what);
    if (strlen(name) > HPS_MAX_NAME)
        return hps_errbuf_set(err, HPS_ERR_INVALID, "%s name is longer than %d bytes", what,
                              HPS_MAX_NAME);
    if (!hps_utf8_valid(name))
        return hps_errbuf_set(err, HPS_ERR_INVALID, "%s name is not valid UTF-8", what);
    return HPS_OK;
}

#define HPS_MAX_ATTR_JSON (1u << 20)

hps_status hps_attr_check(hps_errbuf *err, const char *key, const char *json)
{
    if (key == NULL || key[0] == '\0')
        return hps_errbuf_set(err, HPS_ERR_INVALID, "attribute key is empty");
    if (!hps_utf8_valid(key))
        return hps_errbuf_set(err, HPS_ERR_INVALID, "attribute key is not valid UTF-8");
    if (json == NULL || strlen(json) > HPS_MAX_ATTR_JSON)
        return hps_errbuf_set(err, HPS_ERR_INVALID, "attribute '%s' has no value or one over 1 MiB",
                              key);
    /* jansson refuses invalid UTF-8 and \u0000 too, which PostgreSQL would not store */
    json_t *parsed = json_loads(json, JSON_DECODE_ANY, NULL);
    if (parsed == NULL)
        return hps_errbuf_set(err, HPS_ERR_INVALID, "attribute '%s': value is not valid JSON", key);
    json_decref(parsed);
    return HPS_OK;
}

static void study_free(hps_study *study)
{
    if (study == NULL)
        return;
    hps_heartbeat_stop(study->heartbeat);
    for (size_t i = 0; i < study->n_cache; i++)
        hps_rec_free(study->cache[i]);
    hps_mem_free(study->cache);
    /* Trial handles should be freed before their study; the live list only points. */
    hps_mem_free(study->live);
    for (size_t i = 0; i < study->space_n; i++) {
        hps_mem_free(study->space_names[i]);
        hps_dist_clear(&study->space_dists[i]);
    }
    hps_mem_free(study->space_names);
    hps_mem_free(study->space_dists);
    hps_mem_free(study->space_seen);
    hps_cells_clear(&study->declared);
    hps_posmap_clear(&study->held);
    hps_sampler_free(study->sampler);
    hps_pruner_free(study->pruner);
    hps_storage_close(study->storage);
    hps_mem_free(study->url);
    hps_mem_free(study->name);
    hps_mem_free(study->directions);
    hps_mem_free(study->worker);
    hps_mem_free(study->user_attrs_text);
    hps_mem_free(study->system_attrs_text);
    hps_mem_free(study);
}

/* A study created again under a deleted one's name has another creation time (and
 * often another id), so the hash of the three tells the two apart wherever they live. */
static void make_uid(hps_study *study, const hps_study_info *info)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    char text[64];
    snprintf(text, sizeof text, "%lld/%.17g/", (long long)info->study_id, info->created);
    for (const char *part = text; part != NULL; part = part == text ? study->name : NULL)
        for (const unsigned char *c = (const unsigned char *)part; *c != '\0'; c++)
            h = (h ^ *c) * UINT64_C(0x100000001b3);
    snprintf(study->uid, sizeof study->uid, "%016llx", (unsigned long long)h);
}

hps_status hps_study_open(const char *storage_url, const char *name, unsigned flags,
                          const hps_direction *directions, size_t n_directions,
                          hps_study **out, char *errbuf, size_t errlen)
{
    hps_errbuf err;
    hps_errbuf_clear(&err);
    hps_study *study = NULL;
    hps_study_info info = {0};
    hps_status rc;

    if (out == NULL)
        return HPS_ERR_INVALID;
    *out = NULL;
    if ((rc = validate_name("study", name, &err)) != HPS_OK)
        goto out;
    if ((flags & (HPS_OPEN_CREATE | HPS_OPEN_LOAD)) == 0 ||
        (flags & ~(HPS_OPEN_CREATE | HPS_OPEN_LOAD)) != 0) {
        rc = hps_errbuf_set(&err, HPS_ERR_INVALID,
                            "flags must be HPS_OPEN_CREATE, HPS_OPEN_LOAD or both");
        goto out;
    }
    if (n_directions > HPS_MAX_DIRECTIONS || (n_directions > 0 && directions == NULL)) {
        rc = hps_errbuf_set(&err, HPS_ERR_INVALID, "invalid directions (%zu given)", n_directions);
        goto out;
    }
    if (n_directions == 0 && (flags & HPS_OPEN_CREATE)) {
        rc = hps_errbuf_set(&err, HPS_ERR_INVALID,
                            "creating study '%s' needs at least one direction", name);
        goto out;
    }
    for (size_t i = 0; i < n_directions; i++) {
        if (directions[i] != HPS_MINIMIZE && directions[i] != HPS_MAXIMIZE) {
            rc = hps_errbuf_set(&err, HPS_ERR_INVALID, "direction %zu is neither minimize nor maximize",
                                i);
            goto out;
        }
    }

    study = hps_mem_calloc(1, sizeof *study);
    if (study == NULL) {
        rc = hps_errbuf_set(&err, HPS_ERR_NOMEM, "out of memory");
        goto out;
    }
    study->url = hps_mem_strdup(storage_url);
    study->name = hps_mem_strdup(name);
    study->worker = hps_worker_self_id();
    study->repeats = 1;
    study->pruner = hps_pruner_none_new();
    if (study->url == NULL || study->name == NULL || study->worker == NULL ||
        study->pruner == NULL) {
        rc = hps_errbuf_set(&err, HPS_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* Loading only never creates a database: a mistyped path is an error, not a new file. */
    rc = hps_storage_open(storage_url,
                          (flags & HPS_OPEN_CREATE) ? HPS_STORAGE_CREATE : HPS_STORAGE_EXISTING,
                          &study->storage, &err);
    if (rc != HPS_OK)
        goto out;
    rc = study->storage->ops->open_study(study->storage, name, flags, directions, n_directions,
                                         &info);
    if (rc != HPS_OK) {
        hps_errbuf_set(&err, rc, "%s", hps_errbuf_text(&study->storage->err));
        goto out;
    }
    if (n_directions > 0 &&
        (info.n_directions != n_directions ||
         memcmp(info.directions, directions, n_directions * sizeof *directions) != 0)) {
        rc = hps_errbuf_set(&err, HPS_ERR_INVALID,
                            "study '%s' exists with other directions (%zu stored, first: %s)", name,
                            info.n_directions,
                            info.directions[0] == HPS_MAXIMIZE ? "maximize" : "minimize");
        goto out;
    }
    study->study_id = info.study_id;
    make_uid(study, &info);
    study->directions = info.directions;
    study->n_directions = info.n_directions;
    info.directions = NULL;

    hps_sampler *sampler = NULL;
    rc = hps_sampler_new("random", &sampler, NULL, 0);
    if (rc != HPS_OK) {
        hps_errbuf_set(&err, rc, "out of memory");
        goto out;
    }
    rc = hps_study_set_sampler(study, sampler);
    if (rc != HPS_OK) {
        hps_errbuf_set(&err, rc, "%s", hps_errbuf_text(&study->err));
        goto out;
    }
    *out = study;
    study = NULL;
out:
    hps_study_info_clear(&info);
    study_free(study);
    if (rc != HPS_OK)
        hps_errbuf_copy_out(hps_errbuf_text(&err), errbuf, errlen);
    return rc;
}

void hps_study_close(hps_study *study)
{
    if (study == NULL)
        return;
    /* Trial handles point into the study (its storage, cache, sampler): while any is
     * alive the study stays, and the last hps_trial_free releases it. */
    if (study->n_live > 0) {
        study->closed = 1;
        return;
    }
    study_free(study);
}

void hps_study_release_if_closed(hps_study *study)
{
    if (study->closed && study->n_live == 0)
        study_free(study);
}

const char *hps_study_errmsg(const hps_study *study)
{
    return study != NULL ? hps_errbuf_text(&study->err) : "no study handle (NULL)";
}

const char *hps_study_name(const hps_study *study)
{
    return study->name;
}

size_t hps_study_n_directions(const hps_study *study)
{
    return study->n_directions;
}

hps_direction hps_study_direction(const hps_study *study, size_t index)
{
    return index < study->n_directions ? study->directions[index] : HPS_MINIMIZE;
}

/* Copies the storage's message onto the study handle. */
static hps_status storage_error(hps_study *study, hps_status rc)
{
    return hps_errbuf_set(&study->err, rc, "%s", hps_errbuf_text(&study->storage->err));
}

hps_status hps_study_delete(const char *storage_url, const char *name, char *errbuf, size_t errlen)
{
    hps_errbuf err;
    hps_storage *storage = NULL;
    hps_status rc = validate_name("study", name, &err);
    if (rc == HPS_OK)
        rc = hps_storage_open(storage_url, HPS_STORAGE_EXISTING, &storage, &err);
    if (rc == HPS_OK) {
        rc = storage->ops->delete_study(storage, name);
        if (rc != HPS_OK)
            hps_errbuf_set(&err, rc, "%s", hps_errbuf_text(&storage->err));
    }
    hps_storage_close(storage);
    if (rc != HPS_OK)
        hps_errbuf_copy_out(hps_errbuf_text(&err), errbuf, errlen);
    return rc;
}

/* ---- options ------------------------------------------------------------------- */

static int parse_seconds(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(v) || v < 0)
        return -1;
    *out = v;
    return 0;
}

hps_status hps_study_set(hps_study *study, const char *option, const char *value)
{
    if (option == NULL || value == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID, "option and value must not be NULL");
    uint64_t n;
    double seconds;
    if (strcmp(option, "max_trials") == 0) {
        if (hps_parse_u64(value, &n) != 0)
            goto bad_value;
        study->max_trials = n;
    } else if (strcmp(option, "retries") == 0) {
        if (hps_parse_u64(value, &n) != 0 || n > 1000000)
            goto bad_value;
        study->retries = (unsigned)n;
    } else if (strcmp(option, "repeats") == 0) {
        if (hps_parse_u64(value, &n) != 0 || n < 1 || n > 1000000)
            goto bad_value;
        study->repeats = (unsigned)n;
    } else if (strcmp(option, "heartbeat_interval") == 0) {
        if (parse_seconds(value, &seconds) != 0)
            goto bad_value;
        if (seconds != study->heartbeat_interval) {
            hps_heartbeat_stop(study->heartbeat);
            study->heartbeat = NULL;
            study->heartbeat_interval = seconds;
            /* Trials asked from now on are beaten; already-running ones keep their
             * last beat. In-memory studies die with the process: nothing to beat. */
            if (seconds > 0 && study->storage->persistent) {
                hps_status rc = hps_heartbeat_start(study->url, seconds, &study->heartbeat,
                                                    &study->err);
                if (rc != HPS_OK)
                    return rc;
            }
        }
    } else if (strcmp(option, "heartbeat_grace") == 0) {
        if (parse_seconds(value, &seconds) != 0)
            goto bad_value;
        study->heartbeat_grace = seconds;
        study->last_stale_check = 0;
    } else if (strcmp(option, "worker") == 0) {
        if (value[0] == '\0' || strlen(value) > HPS_MAX_NAME)
            goto bad_value;
        char *copy = hps_mem_strdup(value);
        if (copy == NULL)
            return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
        hps_mem_free(study->worker);
        study->worker = copy;
    } else {
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                              "unknown study option '%.100s' (known: max_trials, retries, repeats, "
                              "heartbeat_interval, heartbeat_grace, worker)",
                              option);
    }
    return HPS_OK;
bad_value:
    return hps_errbuf_set(&study->err, HPS_ERR_INVALID, "invalid value '%.100s' for option '%s'",
                          value, option);
}

hps_status hps_study_set_sampler(hps_study *study, hps_sampler *sampler)
{
    if (sampler == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID, "sampler is NULL");
    if (sampler->bound) {
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                              "this sampler already belongs to another study");
    }
    if (sampler->ops->bind != NULL) {
        hps_engine_ctx e;
        hps_study_context(study, NULL, &e);
        hps_status rc = sampler->ops->bind(sampler, &e.ctx);
        if (rc != HPS_OK) {
            hps_errbuf_set(&study->err, rc, "%s", hps_errbuf_text(&sampler->err));
            hps_sampler_free(sampler);
            return rc;
        }
    }
    sampler->bound = 1;
    hps_sampler_free(study->sampler);
    study->sampler = sampler;
    return HPS_OK;
}

hps_status hps_study_declare_space(hps_study *study, const char *space_json)
{
    hps_cells cells;
    hps_status rc = hps_cells_from_json(&cells, space_json, &study->err);
    if (rc != HPS_OK)
        return rc;
    hps_cells_clear(&study->declared);
    study->declared = cells;
    return HPS_OK;
}

const hps_sampler *hps_study_sampler(const hps_study *study)
{
    return study->sampler;
}

hps_status hps_study_set_pruner(hps_study *study, hps_pruner *pruner)
{
    if (pruner == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID, "pruner is NULL");
    hps_engine_ctx e;
    hps_study_context(study, NULL, &e);
    hps_status rc = hps_pruner_bind(pruner, &e.ctx);
    if (rc != HPS_OK) {
        hps_errbuf_set(&study->err, rc, "%s", hps_errbuf_text(&pruner->err));
        /* one that belongs to another study stays with it */
        if (!pruner->bound)
            hps_pruner_free(pruner);
        return rc;
    }
    hps_pruner_free(study->pruner);
    study->pruner = pruner;
    return HPS_OK;
}

const hps_pruner *hps_study_pruner(const hps_study *study)
{
    return study->pruner;
}

hps_status hps_study_set_user_attr(hps_study *study, const char *key, const char *json)
{
    hps_status rc = hps_attr_check(&study->err, key, json);
    if (rc != HPS_OK)
        return rc;
    rc = study->storage->ops->set_study_attr(study->storage, study->study_id, 0, key, json);
    return rc == HPS_OK ? HPS_OK : storage_error(study, rc);
}

static hps_status read_attrs(hps_study *study, int system, const char **json_out)
{
    char *text = NULL;
    hps_status rc = study->storage->ops->get_study_attrs(study->storage, study->study_id, system,
                                                         &text);
    if (rc != HPS_OK)
        return storage_error(study, rc);
    char **kept = system ? &study->system_attrs_text : &study->user_attrs_text;
    hps_mem_free(*kept);
    *kept = text;
    *json_out = text;
    return HPS_OK;
}

hps_status hps_study_user_attrs(hps_study *study, const char **json_out)
{
    return read_attrs(study, 0, json_out);
}

hps_status hps_study_set_system_attr(hps_study *study, const char *key, const char *json)
{
    hps_status rc = hps_attr_check(&study->err, key, json);
    if (rc != HPS_OK)
        return rc;
    rc = study->storage->ops->set_study_attr(study->storage, study->study_id, 1, key, json);
    return rc == HPS_OK ? HPS_OK : storage_error(study, rc);
}

hps_status hps_study_system_attrs(hps_study *study, const char **json_out)
{
    return read_attrs(study, 1, json_out);
}

const char *hps_study_uid(const hps_study *study)
{
    return study->uid;
}

/* ---- the trial cache ------------------------------------------------------------- */

static int cache_put(void *user, hps_frozen *rec)
{
    hps_study *study = user;
    if (rec->number < 0) {
        hps_rec_free(rec);
        return 0;
    }
    size_t index = (size_t)rec->number;
    if (index >= study->n_cache) {
        void *items = study->cache;
        if (hps_mem_grow(&items, &study->cap_cache, index + 1, sizeof *study->cache) != 0) {
            hps_rec_free(rec);
            return -1;
        }
        study->cache = items;
        for (size_t i = study->n_cache; i <= index; i++)
            study->cache[i] = NULL;
        study->n_cache = index + 1;
    }
    if (hps_finite_track(study, study->cache[index], rec) != 0) {
        hps_rec_free(rec);
        return -1;
    }
    hps_rec_free(study->cache[index]);
    study->cache[index] = rec;
    return 0;
}

hps_status hps_study_sync(hps_study *study)
{
    int64_t seq = study->synced_seq;
    hps_status rc = study->storage->ops->sync(study->storage, study->study_id, study->synced_seq,
                                              cache_put, study, &seq);
    if (rc != HPS_OK)
        return storage_error(study, rc);
    study->synced_seq = seq;
    return HPS_OK;
}

const hps_frozen *hps_study_cached(const hps_study *study, int64_t number)
{
    if (number < 0 || (uint64_t)number >= study->n_cache)
        return NULL;
    return study->cache[number];
}

hps_status hps_study_n_trials(hps_study *study, size_t *out)
{
    hps_status rc = hps_study_sync(study);
    if (rc != HPS_OK)
        return rc;
    /* Numbers are dense, but a trial created after our read may be missing at the
     * end; count only what we hold. */
    size_t n = study->n_cache;
    while (n > 0 && study->cache[n - 1] == NULL)
        n--;
    *out = n;
    return HPS_OK;
}

hps_status hps_study_trial(hps_study *study, int64_t number, const hps_frozen **out)
{
    *out = NULL;
    hps_status rc = hps_study_sync(study);
    if (rc != HPS_OK)
        return rc;
    const hps_frozen *rec = hps_study_cached(study, number);
    if (rec == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_NOTFOUND, "study '%s' has no trial %lld",
                              study->name, (long long)number);
    *out = rec;
    return HPS_OK;
}

hps_status hps_study_best_trial(hps_study *study, const hps_frozen **out)
{
    *out = NULL;
    if (study->n_directions != 1)
        return hps_errbuf_set(&study->err, HPS_ERR_STATE,
                              "study '%s' has %zu objectives: there is no single best trial",
                              study->name, study->n_directions);
    hps_status rc = hps_study_sync(study);
    if (rc != HPS_OK)
        return rc;
    int maximize = study->directions[0] == HPS_MAXIMIZE;
    const hps_frozen *best = NULL;
    for (size_t i = 0; i < study->n_cache; i++) {
        const hps_frozen *t = study->cache[i];
        if (t == NULL || t->state != HPS_COMPLETE || t->n_values < 1 || isnan(t->values[0]))
            continue;
        if (best == NULL || (maximize ? t->values[0] > best->values[0]
                                      : t->values[0] < best->values[0]))
            best = t;
    }
    if (best == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_NOTFOUND,
                              "study '%s' has no COMPLETE trial yet", study->name);
    *out = best;
    return HPS_OK;
}

hps_status hps_study_count_states(hps_study *study, size_t counts[5])
{
    hps_status rc = hps_study_sync(study);
    if (rc != HPS_OK)
        return rc;
    for (int i = 0; i < 5; i++)
        counts[i] = 0;
    for (size_t i = 0; i < study->n_cache; i++)
        if (study->cache[i] != NULL && (unsigned)study->cache[i]->state < 5)
            counts[study->cache[i]->state]++;
    return HPS_OK;
}
