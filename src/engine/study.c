/* study.c -- opening studies, asking for trials, the trial cache and study options. */
#include "engine/study.h"

#include "base/jsonw.h"
#include "base/mem.h"
#include "base/options.h"
#include "base/utf8.h"
#include "base/value.h"
#include "base/worker.h"
#include "samplers/sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Names are stored, logged and put in file names: keep them bounded. */
#define HPS_MAX_NAME 1024
#define HPS_MAX_DIRECTIONS 64

/* The options of hps_study_set, fields of the study (options.h). */
static const hps_option study_options[] = {
    {.name = "max_trials", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(hps_study, max_trials),
     .def = "0", .help = "trials the study may hold, counted across all workers (0: no limit)"},
    {.name = "budget_hint", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(hps_study, budget_hint),
     .def = "0", .help = "trials the study is expected to hold when this run ends, for the "
                         "strategies that plan with a budget (never a limit; max_trials wins)"},
    {.name = "retries", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(hps_study, retries),
     .def = "0", .max = 1000000,
     .help = "times a failed trial is re-queued with the same parameters"},
    {.name = "repeats", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(hps_study, repeats),
     .def = "1", .min = 1, .max = 1000000,
     .help = "runs of each configuration of a finite space"},
    {.name = "heartbeat_interval", .type = HPS_OPTION_DOUBLE,
     HPS_OPTION_FIELD(hps_study, heartbeat_interval), .def = "0", .dmin = 0, .dmax = HUGE_VAL,
     .help = "seconds between heartbeats of this handle's running trials (0: none)"},
    {.name = "heartbeat_grace", .type = HPS_OPTION_DOUBLE,
     HPS_OPTION_FIELD(hps_study, heartbeat_grace), .def = "0", .dmin = 0, .dmax = HUGE_VAL,
     .help = "seconds after which a silent running trial is failed as interrupted (0: never)"},
    {.name = "prior_beta", .type = HPS_OPTION_DOUBLE, HPS_OPTION_FIELD(hps_study, priors.beta),
     .def = "0", .dmin = 0, .dmax = 1e9,
     .help = "how long priors weigh: prior^(beta/n) after n trials (0: budget/10, or 10)"},
    {.name = "worker", .type = HPS_OPTION_TEXT, HPS_OPTION_FIELD(hps_study, worker),
     .min = 1, .max = HPS_MAX_NAME, .help = "this process's name in its trials (default: host:pid)"},
    HPS_OPTIONS_END,
};

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
    hps_model_space_clear(&study->model_space);
    hps_priors_clear(&study->priors);
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
    study->pruner = hps_pruner_none_new();
    study->worker = hps_worker_self_id();
    if (study->url == NULL || study->name == NULL || study->worker == NULL ||
        study->pruner == NULL || hps_options_init(study_options, study) != HPS_OK) {
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

hps_status hps_study_set(hps_study *study, const char *option, const char *value)
{
    if (option == NULL || value == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID, "option and value must not be NULL");
    /* A worker id is stored as text and inside JSON (PostgreSQL's owner check): other
     * bytes would come back altered, and storage would refuse every beat and report of
     * this worker as someone else's. */
    if (strcmp(option, "worker") == 0 && !hps_utf8_valid(value))
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                              "study option 'worker': the worker id is not valid UTF-8 (byte "
                              "%zu is not); storage keeps it as text",
                              hps_utf8_invalid_at(value, strlen(value)));
    double old_interval = study->heartbeat_interval;
    hps_status rc = hps_options_set(study_options, study, "study", option, value, NULL,
                                    &study->err);
    if (rc == HPS_ERR_NOTFOUND) {
        hps_strbuf known;
        hps_strbuf_init(&known, 0);
        hps_options_names(&known, study_options);
        const char *names = hps_strbuf_text(&known);
        hps_errbuf_set(&study->err, HPS_ERR_INVALID, "unknown study option '%.100s' (known: %s)",
                       option, names != NULL ? names : "?");
        hps_strbuf_free(&known);
        return HPS_ERR_INVALID;
    }
    if (rc != HPS_OK)
        return rc;
    if (study->heartbeat_interval != old_interval) {
        hps_heartbeat_stop(study->heartbeat);
        study->heartbeat = NULL;
        for (size_t i = 0; i < study->n_live; i++)
            study->live[i]->beating = 0; /* their entries went with the old thread */
        /* Trials asked from now on are beaten; already-running ones keep their last
         * beat. In-memory studies die with the process: nothing to beat. */
        if (study->heartbeat_interval > 0 && study->storage->persistent)
            return hps_heartbeat_start(study->url, study->heartbeat_interval, &study->heartbeat,
                                       &study->err);
    }
    if (strcmp(option, "heartbeat_grace") == 0)
        study->last_stale_check = 0;
    return HPS_OK;
}

hps_status hps_study_options(char **json_out)
{
    if (json_out == NULL)
        return HPS_ERR_INVALID;
    hps_strbuf sb;
    hps_strbuf_init(&sb, 0);
    size_t count = 0;
    hps_strbuf_putc(&sb, '[');
    hps_options_json(&sb, study_options, &count);
    hps_strbuf_putc(&sb, ']');
    *json_out = hps_strbuf_take(&sb);
    return *json_out != NULL ? HPS_OK : HPS_ERR_NOMEM;
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

/* Forgets the relative space built so far: the next history folds every finished
 * trial in again, as the model space now shows it. */
static void restart_relative_space(hps_study *study)
{
    for (size_t i = 0; i < study->space_n; i++) {
        hps_mem_free(study->space_names[i]);
        hps_dist_clear(&study->space_dists[i]);
    }
    hps_mem_free(study->space_names);
    hps_mem_free(study->space_dists);
    study->space_names = NULL;
    study->space_dists = NULL;
    study->space_n = 0;
    study->space_started = 0;
    if (study->space_seen != NULL)
        memset(study->space_seen, 0, study->cap_seen);
}

hps_status hps_study_map_space(hps_study *study, const char *space_json)
{
    if (space_json == NULL) {
        hps_model_space_clear(&study->model_space);
    } else {
        hps_status rc = hps_model_space_set(&study->model_space, space_json, &study->err);
        if (rc != HPS_OK)
            return rc;
    }
    restart_relative_space(study);
    return HPS_OK;
}

hps_status hps_study_set_prior(hps_study *study, const char *name, const char *prior_json)
{
    if (name == NULL || name[0] == '\0' || prior_json == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID, "prior needs a parameter name and JSON");
    json_error_t jerr;
    json_t *node = json_loads(prior_json, 0, &jerr);
    if (node == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID, "prior of '%s' is not JSON: %s", name,
                              jerr.text);
    hps_prior prior;
    hps_status rc = hps_prior_from_json(&prior, name, node, &study->err);
    json_decref(node);
    if (rc != HPS_OK)
        return rc;
    rc = hps_priors_set(&study->priors, name, &prior);
    hps_prior_clear(&prior);
    return rc == HPS_OK ? HPS_OK : hps_errbuf_set(&study->err, rc, "out of memory");
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

/* A COMPLETE, feasible trial with every value a number: one the best can be. */
static int rankable(const hps_study *study, const hps_frozen *t)
{
    if (t == NULL || t->state != HPS_COMPLETE || t->n_values != study->n_directions)
        return 0;
    for (size_t k = 0; k < t->n_values; k++)
        if (isnan(t->values[k]))
            return 0;
    return hps_frozen_feasible(t);
}

static int any_infeasible(const hps_study *study)
{
    for (size_t i = 0; i < study->n_cache; i++)
        if (study->cache[i] != NULL && study->cache[i]->state == HPS_COMPLETE &&
            !hps_frozen_feasible(study->cache[i]))
            return 1;
    return 0;
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
        if (!rankable(study, t))
            continue;
        if (best == NULL || (maximize ? t->values[0] > best->values[0]
                                      : t->values[0] < best->values[0]))
            best = t;
    }
    if (best == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_NOTFOUND,
                              "study '%s' has no COMPLETE trial yet%s", study->name,
                              any_infeasible(study) ? " that meets its constraints" : "");
    *out = best;
    return HPS_OK;
}

/* Whether `a` dominates `b`: at least as good in every objective, better in one. */
static int dominates(const hps_study *study, const hps_frozen *a, const hps_frozen *b)
{
    int better = 0;
    for (size_t k = 0; k < study->n_directions; k++) {
        double x = a->values[k], y = b->values[k];
        if (study->directions[k] == HPS_MAXIMIZE) {
            x = -x;
            y = -y;
        }
        if (x > y)
            return 0;
        better |= x < y;
    }
    return better;
}

hps_status hps_study_best_trials(hps_study *study, int64_t **numbers_out, size_t *n_out)
{
    *numbers_out = NULL;
    *n_out = 0;
    hps_status rc = hps_study_sync(study);
    if (rc != HPS_OK)
        return rc;
    size_t n = 0;
    const hps_frozen **pool = hps_mem_calloc(study->n_cache + 1, sizeof *pool);
    int64_t *numbers = hps_mem_calloc(study->n_cache + 1, sizeof *numbers);
    if (pool == NULL || numbers == NULL) {
        hps_mem_free(pool);
        hps_mem_free(numbers);
        return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < study->n_cache; i++)
        if (rankable(study, study->cache[i]))
            pool[n++] = study->cache[i];
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        int dominated = 0;
        for (size_t j = 0; j < n && !dominated; j++)
            dominated = j != i && dominates(study, pool[j], pool[i]);
        if (!dominated)
            numbers[kept++] = pool[i]->number;
    }
    hps_mem_free(pool);
    if (kept == 0) {
        hps_mem_free(numbers);
        numbers = NULL;
    }
    *numbers_out = numbers;
    *n_out = kept;
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

hps_status hps_study_count_paused(hps_study *study, size_t *n_out)
{
    hps_status rc = hps_study_sync(study);
    if (rc != HPS_OK)
        return rc;
    size_t n = 0;
    for (size_t i = 0; i < study->n_cache; i++)
        n += study->cache[i] != NULL && study->cache[i]->state == HPS_PAUSED;
    *n_out = n;
    return HPS_OK;
}
