/* trial.c -- the life of a trial: ask, suggest, report, tell; enqueue, retries and
 * recovery of trials whose worker died. */
#include "base/jsonw.h"
#include "base/mem.h"
#include "base/strbuf.h"
#include "engine/study.h"
#include "base/utf8.h"
#include "base/value.h"
#include "base/worker.h"
#include "engine/history.h"
#include "samplers/sampler.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HPS_MAX_PARAM_NAME 1024

static hps_status storage_error(hps_study *study, hps_errbuf *err, hps_status rc)
{
    return hps_errbuf_set(err, rc, "%s", hps_errbuf_text(&study->storage->err));
}

/* ---- writing with the parameters that wait ------------------------------------
 * Suggested parameters are not written one transaction each: they ride along with the
 * trial's next write (report, attribute, tell) or an explicit flush, in one
 * transaction. That halves the cost of a trial on SQLite. What it costs: until then
 * other processes do not see them. */

static int has_pending_params(const hps_trial *trial)
{
    return trial->n_stored_params < trial->rec->n_params;
}

static hps_status store_pending_params(hps_trial *trial)
{
    hps_study *study = trial->study;
    size_t n = trial->rec->n_params - trial->n_stored_params;
    hps_status rc = study->storage->ops->set_params(study->storage, trial->rec->id, trial->owner,
                                                    trial->rec->params + trial->n_stored_params, n);
    if (rc == HPS_OK)
        trial->n_stored_params = trial->rec->n_params;
    return rc;
}

/* Opens a batch holding the pending parameters when there are any. */
static hps_status write_begin(hps_trial *trial, int *batched, size_t *stored_before)
{
    hps_study *study = trial->study;
    *batched = 0;
    *stored_before = trial->n_stored_params;
    if (!has_pending_params(trial))
        return HPS_OK;
    hps_status rc = study->storage->ops->batch_begin(study->storage);
    if (rc != HPS_OK)
        return rc;
    *batched = 1;
    rc = store_pending_params(trial);
    if (rc != HPS_OK) {
        study->storage->ops->batch_end(study->storage, 0);
        trial->n_stored_params = *stored_before;
        *batched = 0;
    }
    return rc;
}

/* Ends a batch: committed when `rc` is HPS_OK, else rolled back with the message of
 * that first failure kept. */
static hps_status batch_close(hps_storage *storage, hps_status rc)
{
    hps_errbuf saved = storage->err;
    hps_status end = storage->ops->batch_end(storage, rc == HPS_OK);
    if (rc != HPS_OK) {
        storage->err = saved;
        return rc;
    }
    return end;
}

static hps_status write_end(hps_trial *trial, int batched, size_t stored_before, hps_status rc)
{
    if (!batched)
        return rc;
    rc = batch_close(trial->study->storage, rc);
    if (rc != HPS_OK)
        trial->n_stored_params = stored_before; /* rolled back */
    return rc;
}

static void forget_live(hps_trial *trial)
{
    hps_study *study = trial->study;
    for (size_t i = 0; i < study->n_live; i++) {
        if (study->live[i] == trial) {
            study->live[i] = study->live[--study->n_live];
            return;
        }
    }
}

static void trial_free(hps_trial *trial)
{
    if (trial == NULL)
        return;
    forget_live(trial);
    for (size_t i = 0; i < trial->n_relative; i++) {
        hps_mem_free(trial->relative[i].name);
        hps_dist_clear(&trial->relative[i].dist);
    }
    hps_mem_free(trial->relative);
    hps_rec_free(trial->rec);
    json_decref(trial->fixed_params);
    hps_mem_free(trial->owner);
    hps_mem_free(trial->superseded_by);
    hps_mem_free(trial);
}

/* ---- ask ----------------------------------------------------------------------- */

/* `owner`: the worker that runs the trial as far as this handle knows (copied; NULL:
 * nobody). */
static hps_trial *trial_from_record(hps_study *study, hps_frozen *rec, const char *owner)
{
    hps_trial *trial = hps_mem_calloc(1, sizeof *trial);
    if (trial == NULL)
        return NULL;
    trial->study = study;
    trial->rec = rec;
    trial->n_stored_params = rec->n_params;
    if (owner != NULL && (trial->owner = hps_mem_strdup(owner)) == NULL) {
        trial->rec = NULL;
        trial_free(trial);
        return NULL;
    }
    json_t *fixed = json_object_get(rec->system_attrs, "fixed_params");
    if (json_is_object(fixed)) {
        trial->fixed_params = json_deep_copy(fixed);
        if (trial->fixed_params == NULL) {
            trial->rec = NULL;
            trial_free(trial);
            return NULL;
        }
    }
    return trial;
}

/* Draws the joint sample of a starting trial over the relative search space. */
static hps_status sample_relative(hps_study *study, hps_trial *trial)
{
    hps_history history;
    hps_status rc = hps_history_collect(study, trial, &history);
    if (rc != HPS_OK)
        return rc;
    double *values = NULL;
    if (history.space.n == 0)
        goto out;
    values = hps_mem_calloc(history.space.n, sizeof *values);
    trial->relative = hps_mem_calloc(history.space.n, sizeof *trial->relative);
    if (values == NULL || trial->relative == NULL) {
        rc = hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < history.space.n; i++)
        values[i] = NAN;
    hps_engine_ctx e;
    hps_study_context(study, trial, &e);
    e.histories = 1; /* `history` borrows the cache until the sampler returns */
    rc = study->sampler->ops->sample_relative(study->sampler, &e.ctx, &history, values);
    if (rc != HPS_OK) {
        hps_errbuf_set(&study->err, rc, "sampler '%s': %s", study->sampler->ops->name,
                       hps_errbuf_text(&study->sampler->err));
        goto out;
    }
    for (size_t i = 0; i < history.space.n; i++) {
        if (isnan(values[i]))
            continue;
        hps_param_rec *p = &trial->relative[trial->n_relative];
        p->name = hps_mem_strdup(history.space.names[i]);
        if (p->name == NULL || hps_dist_copy(&p->dist, history.space.dists[i]) != 0) {
            hps_mem_free(p->name);
            rc = hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
            goto out;
        }
        p->internal = hps_dist_contains(&p->dist, values[i]) ? values[i]
                                                             : hps_dist_snap(&p->dist, values[i]);
        trial->n_relative++;
    }
out:
    hps_mem_free(values);
    hps_history_clear(&history);
    return rc;
}

/* Why create_trial found nothing left to do: the budget or the grid. */
static hps_status done_reason(hps_study *study)
{
    hps_study_sync(study); /* best effort: it only words the message */
    size_t counted = 0;
    for (size_t i = 0; i < study->n_cache; i++) {
        const hps_frozen *t = study->cache[i];
        counted += t != NULL && !(t->state == HPS_FAIL && t->interrupted);
    }
    if (study->max_trials > 0 && counted >= study->max_trials)
        return hps_errbuf_set(&study->err, HPS_DONE, "the budget of %llu trials is reached",
                              (unsigned long long)study->max_trials);
    uint64_t cells = hps_finite_configurations(study);
    if (study->repeats > 1)
        return hps_errbuf_set(&study->err, HPS_DONE, "all %llu cells of the grid have run %u times",
                              (unsigned long long)cells, study->repeats);
    return hps_errbuf_set(&study->err, HPS_DONE, "all %llu cells of the grid have run",
                          (unsigned long long)cells);
}

/* Makes `rec` (RUNNING in storage for this process) a live trial of the study. */
static hps_status adopt(hps_study *study, hps_frozen *rec, hps_trial **out)
{
    hps_trial *trial = trial_from_record(study, rec, study->worker);
    if (trial == NULL) {
        hps_rec_free(rec);
        return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
    }
    void *live = study->live;
    if (hps_mem_grow(&live, &study->cap_live, study->n_live + 1, sizeof *study->live) != 0) {
        trial_free(trial);
        return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
    }
    study->live = live;
    /* An older handle of this study on the same trial is a run recovered as stale (this
     * process was frozen, say) and since resumed here: it must not write any more. By
     * worker id storage tells two runs apart only when their workers differ. */
    for (size_t i = 0; i < study->n_live; i++) {
        hps_trial *old = study->live[i];
        if (old->rec->id == rec->id && old->superseded_by == NULL && !old->finished) {
            old->superseded_by = hps_mem_strdup(study->worker);
            if (old->superseded_by == NULL) {
                trial_free(trial);
                return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
            }
        }
    }
    study->live[study->n_live++] = trial;
    *out = trial;
    return HPS_OK;
}

static hps_status start_heartbeat(hps_study *study, hps_trial *trial)
{
    if (study->heartbeat == NULL)
        return HPS_OK;
    /* beaten as this handle's worker: storage refuses the beat once the trial is not */
    if (hps_heartbeat_add(study->heartbeat, trial->rec->id, trial->owner, &trial->beat_key) != 0)
        return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
    trial->beating = 1;
    return HPS_OK;
}

/* Takes back the one entry start_heartbeat gave this handle. Entries are per handle, so
 * a superseded handle removing its own leaves the one of the handle that took the
 * trial over. */
static void stop_heartbeat(hps_trial *trial)
{
    if (trial->beating && trial->study->heartbeat != NULL)
        hps_heartbeat_remove(trial->study->heartbeat, trial->beat_key);
    trial->beating = 0;
}

/* Takes PAUSED trial `number` back RUNNING. HPS_ERR_STATE (message on the study) when
 * it is not PAUSED, e.g. another worker resumed it first. */
static hps_status resume_number(hps_study *study, int64_t number, double now, hps_trial **out)
{
    const hps_frozen *cached = hps_study_cached(study, number);
    if (cached == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_NOTFOUND, "study '%s' has no trial %lld",
                              study->name, (long long)number);
    hps_create_req req = {
        .worker = study->worker,
        .now = now,
        .with_heartbeat = study->heartbeat != NULL,
    };
    hps_frozen *rec = NULL;
    hps_status rc = study->storage->ops->resume_trial(study->storage, cached->id, &req, &rec);
    if (rc != HPS_OK)
        return storage_error(study, &study->err, rc);
    hps_trial *trial = NULL;
    rc = adopt(study, rec, &trial);
    if (rc == HPS_OK)
        rc = start_heartbeat(study, trial);
    if (rc != HPS_OK) {
        trial_free(trial); /* RUNNING in storage: stale recovery pauses it again */
        return rc;
    }
    *out = trial;
    return HPS_OK;
}

/* Resumes the paused trial the pruner promotes, if any: *out stays NULL otherwise.
 * `no_new_trials` tells the pruner that nothing new can start, so a paused trial is all
 * that is left to run. A trial another worker resumed first is no candidate after the
 * next sync, so each lost race moves on to the pruner's next choice. */
static hps_status resume_promoted(hps_study *study, double now, int no_new_trials,
                                  hps_trial **out)
{
    if (study->pruner->ops->promote == NULL)
        return HPS_OK;
    for (;;) {
        hps_engine_ctx e;
        hps_study_context(study, NULL, &e);
        e.ctx.no_new_trials = no_new_trials;
        int64_t number = -1;
        /* reading the trials syncs them: a lost race is seen at once */
        hps_status rc = study->pruner->ops->promote(study->pruner, &e.ctx, &number);
        if (rc != HPS_OK)
            return hps_errbuf_set(&study->err, rc, "pruner '%s': %s", study->pruner->ops->name,
                                  hps_errbuf_text(&study->pruner->err));
        if (number < 0)
            return HPS_OK;
        rc = resume_number(study, number, now, out);
        if (rc != HPS_ERR_STATE)
            return rc;
    }
}

/* Nothing new can start (`done`, its message on the study): a paused trial the pruner
 * would have held back for a new one is then the only way on, so it is asked again
 * before the study is done -- else a finite space could end with every trial paused. */
static hps_status resume_when_done(hps_study *study, double now, hps_status done,
                                   hps_trial **out)
{
    hps_errbuf why = study->err; /* a lost race to resume words the study's error */
    hps_status rc = resume_promoted(study, now, 1, out);
    if (rc != HPS_OK || *out != NULL)
        return rc;
    study->err = why;
    return done;
}

hps_status hps_study_resume(hps_study *study, int64_t number, hps_trial **out)
{
    if (out == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID, "out is NULL");
    *out = NULL;
    hps_status rc = hps_study_sync(study);
    if (rc != HPS_OK)
        return rc;
    return resume_number(study, number, hps_now(), out);
}

hps_status hps_study_ask(hps_study *study, hps_trial **out)
{
    if (out == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID, "out is NULL");
    *out = NULL;
    double now = hps_now();
    if (study->heartbeat_grace > 0 &&
        (study->last_stale_check == 0 || now - study->last_stale_check >= study->heartbeat_grace / 4)) {
        hps_status rc = hps_study_recover_stale(study, NULL);
        if (rc != HPS_OK)
            return rc;
    }
    /* Promotions come first, budget or not: a paused trial counts already. */
    hps_status rc = resume_promoted(study, now, 0, out);
    if (rc != HPS_OK || *out != NULL)
        return rc;
    rc = hps_finite_before_create(study);
    if (rc == HPS_DONE)
        return resume_when_done(study, now, rc, out);
    if (rc != HPS_OK)
        return rc;
    hps_create_req req = {
        .max_trials = study->max_trials,
        .grid_cells = study->sampler->ops->grid_cells != NULL
                          ? study->sampler->ops->grid_cells(study->sampler) * study->repeats
                          : 0,
        .worker = study->worker,
        .now = now,
        .with_heartbeat = study->heartbeat != NULL,
    };
    hps_frozen *rec = NULL;
    rc = study->storage->ops->create_trial(study->storage, study->study_id, &req, &rec);
    if (rc == HPS_DONE)
        return resume_when_done(study, now, done_reason(study), out);
    if (rc != HPS_OK)
        return storage_error(study, &study->err, rc);
    hps_trial *trial = NULL;
    rc = adopt(study, rec, &trial);
    if (rc != HPS_OK)
        return rc;
    if (study->sampler->ops->sample_relative != NULL)
        rc = sample_relative(study, trial);
    if (rc == HPS_OK)
        rc = hps_finite_settle(study, trial);
    if (rc != HPS_OK) {
        /* The trial exists in storage: give it back rather than leave it RUNNING (a
         * settle that found nothing left to run has done so). */
        hps_errbuf saved = study->err;
        if (!trial->finished)
            hps_trial_interrupt(trial, "its sampling failed");
        trial_free(trial);
        study->err = saved;
        return rc;
    }
    rc = start_heartbeat(study, trial);
    if (rc != HPS_OK) {
        trial_free(trial);
        return rc;
    }
    *out = trial;
    return HPS_OK;
}

static hps_status check_running(hps_trial *trial)
{
    if (trial->superseded_by != NULL && !trial->finished)
        return hps_errbuf_set(&trial->err, HPS_ERR_STATE,
                              "trial %lld is no longer run by worker '%.200s': it was recovered "
                              "as stale and worker '%.200s' took it over%s",
                              (long long)trial->rec->number,
                              trial->owner != NULL ? trial->owner : "?", trial->superseded_by,
                              trial->owner != NULL && strcmp(trial->owner, trial->superseded_by) == 0
                                  ? " (another run of the same worker)"
                                  : "");
    if (trial->finished || trial->rec->state != HPS_RUNNING)
        return hps_errbuf_set(&trial->err, HPS_ERR_STATE, "trial %lld is already %s",
                              (long long)trial->rec->number,
                              hps_trial_state_name(trial->rec->state));
    return HPS_OK;
}

/* Why storage refused this handle's heartbeat, in the words storage uses for a refused
 * write, from the trial as it now stands there. */
static hps_status explain_refused_beat(hps_trial *trial)
{
    hps_study *study = trial->study;
    int64_t number = trial->rec->number;
    const char *owner = trial->owner != NULL ? trial->owner : "?";
    const hps_frozen *now = hps_study_sync(study) == HPS_OK ? hps_study_cached(study, number) : NULL;
    if (now != NULL && now->state != HPS_RUNNING) {
        /* by what the trial became: only a stale recovery fails one as interrupted; a
         * resumed trial goes back to PAUSED when recovered or cut short; any other end
         * was another process's tell */
        const char *how = now->state == HPS_FAIL && hps_frozen_interrupted(now)
                              ? "it was recovered as stale (failed as interrupted)"
                          : now->state == HPS_PAUSED
                              ? "it went back to PAUSED (recovered as stale, or cut short or "
                                "paused by another process)"
                              : "another process finished it";
        return hps_errbuf_set(&trial->err, HPS_ERR_STATE,
                              "trial %lld is %s, not RUNNING: %s while worker '%.200s' ran it",
                              (long long)number, hps_trial_state_name(now->state), how, owner);
    }
    if (now != NULL && hps_storage_check_owner(&trial->err, number, trial->owner, now->worker) != HPS_OK)
        return HPS_ERR_STATE;
    return hps_errbuf_set(&trial->err, HPS_ERR_STATE,
                          "trial %lld is no longer run by worker '%.200s': storage refused its "
                          "heartbeat",
                          (long long)number, owner);
}

hps_status hps_trial_check_running(hps_trial *trial)
{
    hps_status rc = check_running(trial);
    if (rc != HPS_OK)
        return rc;
    hps_study *study = trial->study;
    if (trial->beating && study->heartbeat != NULL &&
        hps_heartbeat_refused(study->heartbeat, trial->beat_key))
        return explain_refused_beat(trial);
    return HPS_OK;
}

hps_status hps_trial_flush(hps_trial *trial)
{
    if (!has_pending_params(trial))
        return HPS_OK;
    hps_status rc = check_running(trial);
    if (rc != HPS_OK)
        return rc;
    rc = store_pending_params(trial);
    if (rc != HPS_OK)
        return storage_error(trial->study, &trial->err, rc);
    return HPS_OK;
}

void hps_trial_free(hps_trial *trial)
{
    if (trial == NULL)
        return;
    /* A trial released while RUNNING may be told later by number: keep its params. */
    if (!trial->finished && trial->rec->state == HPS_RUNNING)
        hps_trial_flush(trial);
    stop_heartbeat(trial);
    hps_study *study = trial->study;
    trial_free(trial);
    hps_study_release_if_closed(study);
}

int64_t hps_trial_number(const hps_trial *trial)
{
    return trial->rec->number;
}

hps_study *hps_trial_study(const hps_trial *trial)
{
    return trial->study;
}

const char *hps_trial_errmsg(const hps_trial *trial)
{
    return trial != NULL ? hps_errbuf_text(&trial->err) : "no trial handle (NULL)";
}

const char *hps_trial_run_key(hps_trial *trial)
{
    const hps_frozen *rec = trial->rec;
    if (rec->grid_pos >= 0)
        snprintf(trial->run_key, sizeof trial->run_key, "p%lld", (long long)rec->grid_pos);
    else
        snprintf(trial->run_key, sizeof trial->run_key, "t%lld",
                 (long long)hps_rec_run_of(rec));
    return trial->run_key;
}

const hps_frozen *hps_trial_frozen(hps_trial *trial)
{
    return trial->rec;
}

/* ---- suggest ------------------------------------------------------------------- */

/* A fixed value (enqueue, retry) for `name`, if any, converted into `dist`. */
hps_status hps_trial_fixed_value(hps_trial *trial, const char *name, const hps_dist *dist,
                                 int *found, double *internal)
{
    *found = 0;
    const json_t *node = trial->fixed_params != NULL ? json_object_get(trial->fixed_params, name)
                                                     : NULL;
    if (node == NULL)
        return HPS_OK;
    hps_value value;
    if (hps_value_from_json(node, &value) != 0 || hps_dist_internal_of(dist, &value, internal) != 0) {
        char *text = json_dumps(node, JSON_ENCODE_ANY | JSON_COMPACT);
        hps_status rc = hps_errbuf_set(&trial->err, HPS_ERR_INVALID,
                                       "trial %lld: fixed value %s of parameter '%s' (from an "
                                       "enqueued or retried trial) is not a value of the "
                                       "suggested distribution",
                                       (long long)trial->rec->number, text != NULL ? text : "?",
                                       name);
        free(text);
        return rc;
    }
    *found = 1;
    return HPS_OK;
}

hps_status hps_trial_fix_params(hps_trial *trial, const char *params_json)
{
    if (trial->finished)
        return hps_errbuf_set(&trial->err, HPS_ERR_STATE, "trial %lld is finished",
                              (long long)trial->rec->number);
    json_error_t jerr;
    json_t *params = json_loads(params_json != NULL ? params_json : "", 0, &jerr);
    if (!json_is_object(params)) {
        json_decref(params);
        return hps_errbuf_set(&trial->err, HPS_ERR_INVALID,
                              "fixed parameters must be a JSON object {name: value}");
    }
    if (trial->fixed_params == NULL)
        trial->fixed_params = json_object();
    /* json_object_update_missing: what the trial fixes already (enqueued) wins */
    int bad = trial->fixed_params == NULL ||
              json_object_update_missing(trial->fixed_params, params) != 0;
    json_decref(params);
    return bad ? hps_errbuf_set(&trial->err, HPS_ERR_NOMEM, "out of memory") : HPS_OK;
}

static hps_status suggest(hps_trial *trial, const char *name, hps_dist *dist, double *internal_out)
{
    hps_study *study = trial->study;
    hps_status rc = check_running(trial);
    if (rc != HPS_OK)
        return rc;
    const hps_param_rec *existing = hps_rec_find_param(trial->rec, name);
    if (existing != NULL) {
        if (!hps_dist_equal(&existing->dist, dist)) {
            char *was = NULL, *now = NULL;
            hps_dist_to_json(&existing->dist, &was);
            hps_dist_to_json(dist, &now);
            rc = hps_errbuf_set(&trial->err, HPS_ERR_MISMATCH,
                                "parameter '%s' was already suggested in trial %lld with another "
                                "distribution (%s, now %s)",
                                name, (long long)trial->rec->number, was != NULL ? was : "?",
                                now != NULL ? now : "?");
            hps_free(was);
            hps_free(now);
            return rc;
        }
        trial->last_independent = 0;
        *internal_out = existing->internal;
        return HPS_OK;
    }
    int found;
    double internal;
    rc = hps_trial_fixed_value(trial, name, dist, &found, &internal);
    if (rc != HPS_OK)
        return rc;
    for (size_t i = 0; !found && i < trial->n_relative; i++) {
        if (strcmp(trial->relative[i].name, name) == 0 && hps_dist_equal(&trial->relative[i].dist, dist)) {
            internal = trial->relative[i].internal;
            found = 1;
        }
    }
    const hps_prior *prior = hps_priors_find(&study->priors, name);
    if (prior != NULL) {
        rc = hps_prior_check(prior, name, dist, &trial->err);
        if (rc != HPS_OK)
            return rc;
    }
    int independent = !found;
    if (!found) {
        hps_engine_ctx e;
        hps_study_context(study, trial, &e);
        rc = study->sampler->ops->sample(study->sampler, &e.ctx, name, dist, &internal);
        if (rc != HPS_OK)
            return hps_errbuf_set(&trial->err, rc, "%s", hps_errbuf_text(&study->sampler->err));
        /* Samplers snap onto valid values; this guards the invariant. */
        if (!hps_dist_contains(dist, internal))
            internal = hps_dist_snap(dist, internal);
    }
    if (hps_rec_add_param(trial->rec, name, dist, internal) != 0)
        return hps_errbuf_set(&trial->err, HPS_ERR_NOMEM, "out of memory");
    trial->last_independent = independent;
    *internal_out = internal;
    return HPS_OK;
}

int hps_trial_last_independent(const hps_trial *trial)
{
    return trial != NULL && trial->last_independent;
}

static hps_status check_param_name(hps_trial *trial, const char *name)
{
    if (name == NULL || name[0] == '\0')
        return hps_errbuf_set(&trial->err, HPS_ERR_INVALID, "parameter name is empty");
    if (strlen(name) > HPS_MAX_PARAM_NAME)
        return hps_errbuf_set(&trial->err, HPS_ERR_INVALID,
                              "parameter name is longer than %d bytes", HPS_MAX_PARAM_NAME);
    if (!hps_utf8_valid(name))
        return hps_errbuf_set(&trial->err, HPS_ERR_INVALID, "parameter name is not valid UTF-8");
    return HPS_OK;
}

hps_status hps_trial_suggest_float(hps_trial *trial, const char *name, double low, double high,
                                   double step, unsigned flags, double *out)
{
    hps_dist dist;
    hps_status rc = check_param_name(trial, name);
    if (rc == HPS_OK)
        rc = hps_dist_init_float(&dist, name, low, high, step, flags, &trial->err);
    if (rc != HPS_OK)
        return rc;
    double internal = 0;
    rc = suggest(trial, name, &dist, &internal);
    hps_dist_clear(&dist);
    if (rc == HPS_OK && out != NULL)
        *out = internal;
    return rc;
}

hps_status hps_trial_suggest_int(hps_trial *trial, const char *name, int64_t low, int64_t high,
                                 int64_t step, unsigned flags, int64_t *out)
{
    hps_dist dist;
    hps_status rc = check_param_name(trial, name);
    if (rc == HPS_OK)
        rc = hps_dist_init_int(&dist, name, low, high, step, flags, &trial->err);
    if (rc != HPS_OK)
        return rc;
    double internal = 0;
    rc = suggest(trial, name, &dist, &internal);
    hps_dist_clear(&dist);
    if (rc == HPS_OK && out != NULL)
        *out = (int64_t)internal;
    return rc;
}

hps_status hps_trial_suggest_categorical(hps_trial *trial, const char *name,
                                         const hps_value *choices, size_t n_choices,
                                         size_t *index_out)
{
    hps_dist dist;
    hps_status rc = check_param_name(trial, name);
    if (rc == HPS_OK)
        rc = hps_dist_init_categorical(&dist, name, choices, n_choices, &trial->err);
    if (rc != HPS_OK)
        return rc;
    double internal = 0;
    rc = suggest(trial, name, &dist, &internal);
    hps_dist_clear(&dist);
    if (rc == HPS_OK && index_out != NULL)
        *index_out = (size_t)internal;
    return rc;
}

/* ---- report, prune, attributes ------------------------------------------------- */

static hps_status report(hps_trial *trial, int64_t step, const double *values, size_t n);

hps_status hps_trial_report(hps_trial *trial, int64_t step, double value)
{
    return report(trial, step, &value, 1);
}

hps_status hps_trial_report_values(hps_trial *trial, int64_t step, const double *values, size_t n)
{
    hps_status rc = check_running(trial);
    if (rc != HPS_OK)
        return rc;
    if (n != trial->study->n_directions || values == NULL)
        return hps_errbuf_set(&trial->err, HPS_ERR_INVALID,
                              "study '%s' has %zu objective%s but %zu intermediate value%s "
                              "were reported",
                              trial->study->name, trial->study->n_directions,
                              trial->study->n_directions == 1 ? "" : "s", n, n == 1 ? "" : "s");
    return report(trial, step, values, n);
}

static hps_status report(hps_trial *trial, int64_t step, const double *values, size_t n)
{
    hps_status rc = check_running(trial);
    if (rc != HPS_OK)
        return rc;
    if (step < 0)
        return hps_errbuf_set(&trial->err, HPS_ERR_INVALID, "step must be >= 0 (got %lld)",
                              (long long)step);
    /* NaN is kept, as Optuna does: a diverging trial reports it and pruners stop it. */
    hps_study *study = trial->study;
    int batched;
    size_t stored_before;
    rc = write_begin(trial, &batched, &stored_before);
    if (rc == HPS_OK)
        rc = study->storage->ops->report(study->storage, trial->rec->id, trial->owner, step,
                                         values, n);
    rc = write_end(trial, batched, stored_before, rc);
    if (rc != HPS_OK)
        return storage_error(study, &trial->err, rc);
    if (hps_rec_add_intermediate_values(trial->rec, step, values, n) < 0)
        return hps_errbuf_set(&trial->err, HPS_ERR_NOMEM, "out of memory");
    return HPS_OK;
}

hps_status hps_trial_should_prune(hps_trial *trial, int *out)
{
    *out = 0;
    hps_status rc = check_running(trial);
    if (rc != HPS_OK)
        return rc;
    hps_study *study = trial->study;
    hps_engine_ctx e;
    hps_study_context(study, trial, &e);
    rc = study->pruner->ops->should_prune(study->pruner, &e.ctx, out);
    if (rc != HPS_OK)
        return hps_errbuf_set(&trial->err, rc, "pruner '%s': %s", study->pruner->ops->name,
                              hps_errbuf_text(&study->pruner->err));
    return HPS_OK;
}

/* Attributes may be set in any state, but not by a handle whose run was taken over:
 * here by another handle of this study (superseded_by; storage cannot tell the two runs
 * apart when the worker is the same), in storage by another worker (the owner check). */
static hps_status set_attr(hps_trial *trial, int system, const char *key, const char *json)
{
    if (trial->superseded_by != NULL && !trial->finished)
        return check_running(trial);
    hps_status rc = hps_attr_check(&trial->err, key, json);
    if (rc != HPS_OK)
        return rc;
    hps_study *study = trial->study;
    int batched;
    size_t stored_before;
    rc = write_begin(trial, &batched, &stored_before);
    if (rc == HPS_OK)
        rc = study->storage->ops->set_trial_attr(study->storage, trial->rec->id,
                                                 trial->finished ? NULL : trial->owner, system,
                                                 key, json);
    rc = write_end(trial, batched, stored_before, rc);
    if (rc != HPS_OK)
        return storage_error(study, &trial->err, rc);
    if (hps_rec_set_attr(trial->rec, system, key, json) != 0)
        return hps_errbuf_set(&trial->err, HPS_ERR_NOMEM, "out of memory");
    return HPS_OK;
}

hps_status hps_trial_set_system_attr(hps_trial *trial, const char *key, const char *json)
{
    return set_attr(trial, 1, key, json);
}

hps_status hps_trial_set_user_attr(hps_trial *trial, const char *key, const char *json)
{
    return set_attr(trial, 0, key, json);
}

/* ---- tell ---------------------------------------------------------------------- */

typedef enum requeue_kind {
    REQUEUE_AS_RETRY,     /* a failure: only while retries are left, and it uses one */
    REQUEUE_TO_CONTINUE   /* preempted: always, and the copy keeps the attempt counter,
                             since the run was stopped from outside, not by its fault */
} requeue_kind;

/* The system attributes of a re-queued copy of `rec`: its parameters fixed, and the
 * attempt counter. NULL when no retry is due (or on OOM, which only loses the retry). */
static char *requeue_attrs(const hps_study *study, const hps_frozen *rec,
                           const json_t *fixed_params, requeue_kind kind)
{
    json_int_t attempt = json_integer_value(json_object_get(rec->system_attrs, "attempt"));
    if (kind == REQUEUE_AS_RETRY && (unsigned long long)attempt >= study->retries)
        return NULL;
    json_t *attrs = json_object();
    json_t *fixed = fixed_params != NULL ? json_deep_copy(fixed_params) : json_object();
    int bad = attrs == NULL || fixed == NULL;
    for (size_t i = 0; i < rec->n_params && !bad; i++) {
        hps_value v = hps_dist_external(&rec->params[i].dist, rec->params[i].internal);
        bad |= json_object_set_new(fixed, rec->params[i].name, hps_value_to_json(&v));
    }
    if (!bad) {
        bad |= json_object_set_new(attrs, "fixed_params", fixed);
        fixed = NULL;
        json_int_t next = kind == REQUEUE_AS_RETRY ? attempt + 1 : attempt;
        if (next > 0)
            bad |= json_object_set_new(attrs, "attempt", json_integer(next));
        json_t *origin = json_object_get(rec->system_attrs, HPS_REC_RETRY_OF);
        bad |= json_object_set_new(attrs, HPS_REC_RETRY_OF,
                                   origin != NULL ? json_incref(origin) : json_integer(rec->number));
    }
    char *text = bad ? NULL : json_dumps(attrs, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(fixed);
    json_decref(attrs);
    return text;
}

/* How a finished trial leaves the study: as told, or (preempted) queued again. */
/* FINISH_CUT_SHORT_TOO_OFTEN: a resumed trial cut short more often than
 * cut_short_limit allows, failed without a retry (one would run into the same end). */
typedef enum finish_kind { FINISH_TOLD, FINISH_PREEMPTED, FINISH_CUT_SHORT_TOO_OFTEN } finish_kind;

static hps_status finish_checked(hps_trial *trial, hps_trial_state state, const double *values,
                                 size_t n_values, int interrupted, const char *reason,
                                 finish_kind kind);

/* Reasons often quote a trial's output, which may be any bytes: stored text is UTF-8. */
static hps_status finish_as(hps_trial *trial, hps_trial_state state, const double *values,
                            size_t n_values, int interrupted, const char *reason,
                            finish_kind kind)
{
    if (reason == NULL)
        return finish_checked(trial, state, values, n_values, interrupted, NULL, kind);
    char *clean = hps_utf8_sanitize(reason);
    if (clean == NULL)
        return hps_errbuf_set(&trial->err, HPS_ERR_NOMEM, "out of memory");
    hps_status rc = finish_checked(trial, state, values, n_values, interrupted, clean, kind);
    hps_mem_free(clean);
    return rc;
}

static hps_status finish(hps_trial *trial, hps_trial_state state, const double *values,
                         size_t n_values, int interrupted, const char *reason)
{
    return finish_as(trial, state, values, n_values, interrupted, reason, FINISH_TOLD);
}

static hps_status finish_checked(hps_trial *trial, hps_trial_state state, const double *values,
                                 size_t n_values, int interrupted, const char *reason,
                                 finish_kind kind)
{
    hps_study *study = trial->study;
    hps_status rc = check_running(trial);
    if (rc != HPS_OK)
        return rc;
    double last_value;
    if (state == HPS_PRUNED && n_values == 0 && trial->rec->n_inter > 0 &&
        !isnan(trial->rec->inter[trial->rec->n_inter - 1].value)) {
        /* As Optuna: a pruned trial's value is its last intermediate value (none when
         * that is NaN). */
        last_value = trial->rec->inter[trial->rec->n_inter - 1].value;
        values = &last_value;
        n_values = 1;
    }
    char *requeue = NULL;
    if (kind == FINISH_PREEMPTED) {
        requeue = requeue_attrs(study, trial->rec, trial->fixed_params, REQUEUE_TO_CONTINUE);
        if (requeue == NULL)
            return hps_errbuf_set(&trial->err, HPS_ERR_NOMEM, "out of memory");
    } else if (state == HPS_FAIL && kind != FINISH_CUT_SHORT_TOO_OFTEN) {
        requeue = requeue_attrs(study, trial->rec, trial->fixed_params, REQUEUE_AS_RETRY);
    }
    hps_finish_req req = {
        .state = state,
        .values = values,
        .n_values = n_values,
        .interrupted = interrupted,
        .fail_reason = reason,
        .now = hps_now(),
        .requeue_system_attrs = requeue,
        .owner = trial->owner,
    };
    int batched;
    size_t stored_before;
    rc = write_begin(trial, &batched, &stored_before);
    if (rc == HPS_OK)
        rc = study->storage->ops->finish_trial(study->storage, trial->rec->id, &req);
    rc = write_end(trial, batched, stored_before, rc);
    free(requeue);
    if (rc != HPS_OK)
        return storage_error(study, &trial->err, rc);
    trial->finished = 1;
    trial->rec->state = state;
    trial->rec->interrupted = interrupted;
    trial->rec->datetime_complete = req.now;
    stop_heartbeat(trial);
    if (reason != NULL) {
        json_t *text = json_string(reason);
        char *quoted = text != NULL ? json_dumps(text, JSON_ENCODE_ANY) : NULL;
        if (quoted != NULL)
            hps_rec_set_attr(trial->rec, 1, "fail_reason", quoted);
        free(quoted);
        json_decref(text);
    }
    if (hps_rec_set_values(trial->rec, values, n_values) != 0)
        return hps_errbuf_set(&trial->err, HPS_ERR_NOMEM, "out of memory (trial was recorded)");
    return HPS_OK;
}

hps_status hps_trial_tell_values(hps_trial *trial, hps_trial_state state, const double *values,
                                 size_t n_values)
{
    hps_study *study = trial->study;
    switch (state) {
    case HPS_COMPLETE:
        if (n_values != study->n_directions || values == NULL)
            return hps_errbuf_set(&trial->err, HPS_ERR_INVALID,
                                  "study '%s' has %zu objective(s) but %zu value(s) were told",
                                  study->name, study->n_directions, n_values);
        for (size_t i = 0; i < n_values; i++) {
            if (isnan(values[i])) {
                char reason[96];
                snprintf(reason, sizeof reason, "objective value %zu is NaN", i);
                hps_status rc = finish(trial, HPS_FAIL, NULL, 0, 0, reason);
                if (rc != HPS_OK)
                    return rc;
                return hps_errbuf_set(&trial->err, HPS_ERR_INVALID,
                                      "trial %lld: objective value %zu is NaN; the trial was "
                                      "recorded as FAIL",
                                      (long long)trial->rec->number, i);
            }
        }
        return finish(trial, state, values, n_values, 0, NULL);
    case HPS_PRUNED:
    case HPS_FAIL:
        if (n_values != 0)
            return hps_errbuf_set(&trial->err, HPS_ERR_INVALID, "a %s trial takes no value",
                                  hps_trial_state_name(state));
        return finish(trial, state, NULL, 0, 0, NULL);
    case HPS_WAITING:
    case HPS_RUNNING:
    case HPS_PAUSED: /* hps_trial_pause: it needs the step the checkpoint holds */
        break;
    }
    return hps_errbuf_set(&trial->err, HPS_ERR_INVALID,
                          "a trial can only be told COMPLETE, PRUNED or FAIL (got %s)%s",
                          hps_trial_state_name(state),
                          state == HPS_PAUSED ? "; pause it with hps_trial_pause" : "");
}

hps_status hps_trial_tell(hps_trial *trial, hps_trial_state state, double value)
{
    if (state == HPS_COMPLETE)
        return hps_trial_tell_values(trial, state, &value, 1);
    return hps_trial_tell_values(trial, state, NULL, 0);
}

#define HPS_MAX_CONSTRAINTS 64

hps_status hps_trial_set_constraints(hps_trial *trial, const double *values, size_t n)
{
    if (n > HPS_MAX_CONSTRAINTS || (n > 0 && values == NULL))
        return hps_errbuf_set(&trial->err, HPS_ERR_INVALID,
                              "constraints: %zu values given (at most %d)", n,
                              HPS_MAX_CONSTRAINTS);
    hps_strbuf sb;
    hps_strbuf_init(&sb, 0);
    hps_strbuf_putc(&sb, '[');
    for (size_t i = 0; i < n; i++) {
        if (isnan(values[i])) {
            hps_strbuf_free(&sb);
            return hps_errbuf_set(&trial->err, HPS_ERR_INVALID,
                                  "constraint %zu of trial %lld is NaN", i,
                                  (long long)trial->rec->number);
        }
        /* JSON has no infinity: the largest double ranks the same */
        double v = isinf(values[i]) ? (values[i] > 0 ? DBL_MAX : -DBL_MAX) : values[i];
        hps_strbuf_printf(&sb, "%s%.17g", i > 0 ? ", " : "", v);
    }
    hps_strbuf_putc(&sb, ']');
    char *json = hps_strbuf_take(&sb);
    if (json == NULL)
        return hps_errbuf_set(&trial->err, HPS_ERR_NOMEM, "out of memory");
    hps_status rc = set_attr(trial, 1, "constraints", json);
    hps_mem_free(json);
    return rc;
}

hps_status hps_trial_fail(hps_trial *trial, const char *reason)
{
    return finish(trial, HPS_FAIL, NULL, 0, 0, reason);
}

static hps_status pause_at(hps_trial *trial, int64_t step, int64_t cut_shorts);
static int64_t cut_short_step(const hps_frozen *rec);

/* How many times a resumed trial may be cut short and go back to PAUSED: the study's
 * `retries`, the bound a failed trial's re-runs have, but at least once, so that stopping
 * a run (Ctrl-C, a preemption) never by itself throws a trial's slices away. Past it the
 * trial fails: one that kills its worker on every resume would else be promoted first,
 * and cut short, forever. */
static int64_t cut_short_limit(const hps_study *study)
{
    return study->retries > 0 ? (int64_t)study->retries : 1;
}

/* The times in a row `rec` was cut short before this run (HPS_REC_CUT_SHORT): a slice
 * that ended in a normal pause set it back to 0. */
static int64_t cut_shorts_before(const hps_frozen *rec)
{
    const json_t *n = json_object_get(rec->system_attrs, HPS_REC_CUT_SHORT);
    return json_is_integer(n) && json_integer_value(n) > 0 ? json_integer_value(n) : 0;
}

/* The times in a row `rec` has been cut short, this one included. */
static int64_t cut_shorts_now(const hps_frozen *rec)
{
    return cut_shorts_before(rec) + 1;
}

/* Why a resumed trial cut short `times` times fails instead of pausing again. */
static void cut_short_reason(const hps_study *study, int64_t times, const char *why,
                             char *buf, size_t size)
{
    snprintf(buf, size, "%s; cut short %lld times in a row (the study's "
             "retries allow %lld, at least 1), so it fails rather than pausing again",
             why != NULL ? why : "interrupted", (long long)times,
             (long long)cut_short_limit(study));
}

hps_status hps_trial_interrupt(hps_trial *trial, const char *reason)
{
    if (hps_rec_paused_step(trial->rec) >= 0) {
        hps_status rc = check_running(trial);
        if (rc != HPS_OK)
            return rc;
        int64_t times = cut_shorts_now(trial->rec);
        if (times <= cut_short_limit(trial->study))
            return pause_at(trial, cut_short_step(trial->rec), times);
        char why[1400];
        cut_short_reason(trial->study, times, reason, why, sizeof why);
        return finish_as(trial, HPS_FAIL, NULL, 0, 0, why, FINISH_CUT_SHORT_TOO_OFTEN);
    }
    return finish(trial, HPS_FAIL, NULL, 0, 1, reason != NULL ? reason : "interrupted");
}

hps_status hps_trial_preempt(hps_trial *trial, const char *reason)
{
    if (hps_rec_paused_step(trial->rec) >= 0)
        return hps_trial_interrupt(trial, reason);
    return finish_as(trial, HPS_FAIL, NULL, 0, 1, reason != NULL ? reason : "preempted",
                     FINISH_PREEMPTED);
}

/* ---- pause ----------------------------------------------------------------------- */

static hps_status check_pause_step(hps_trial *trial, int64_t step)
{
    int64_t last = trial->rec->n_inter > 0 ? trial->rec->inter[trial->rec->n_inter - 1].step : -1;
    int64_t before = hps_rec_paused_step(trial->rec);
    if (step < 0 || step < last || step <= before)
        return hps_errbuf_set(&trial->err, HPS_ERR_INVALID,
                              "trial %lld cannot pause at step %lld: the step must be >= 0, at "
                              "least its last reported step (%lld) and beyond the step it was "
                              "paused at before (%lld)",
                              (long long)trial->rec->number, (long long)step, (long long)last,
                              (long long)before);
    /* A trial that ran its whole budget has nothing left to resume: a pause there would
     * leave it PAUSED for good (its best rung never finishes) or run it again. */
    const hps_pruner *pruner = trial->study->pruner;
    int64_t full = hps_pruner_full_step(pruner);
    if (full >= 0 && step >= full)
        return hps_errbuf_set(&trial->err, HPS_ERR_INVALID,
                              "trial %lld cannot pause at step %lld: its full budget ends at "
                              "step %lld (pruner '%s'), so it has finished; tell it COMPLETE "
                              "with its value instead",
                              (long long)trial->rec->number, (long long)step, (long long)full,
                              hps_pruner_name(pruner));
    return HPS_OK;
}

/* A resumed trial cut short from outside (interrupted, preempted, its worker dead) goes
 * back to PAUSED rather than failing: its checkpoint and curve are intact, and failing
 * it would throw away every slice it ran. It pauses at its last reported step when that
 * is beyond the step it was resumed from, because the checkpoint contract asks a script
 * to save each step it finishes (or on SIGTERM): resuming from the older step would
 * hand it a checkpoint newer than HPSEARCH_RESUME_STEP says and have it report steps
 * again, and the pause's own rule (at least the last reported step) would not hold. */
static int64_t cut_short_step(const hps_frozen *rec)
{
    int64_t paused = hps_rec_paused_step(rec);
    int64_t last = rec->n_inter > 0 ? rec->inter[rec->n_inter - 1].step : -1;
    return last > paused ? last : paused;
}

hps_status hps_trial_pause(hps_trial *trial, int64_t step)
{
    hps_status rc = check_running(trial);
    if (rc == HPS_OK)
        rc = check_pause_step(trial, step);
    if (rc != HPS_OK)
        return rc;
    return pause_at(trial, step, 0);
}

/* Stores trial `id` PAUSED at `step_json` as `req` says, with the parameters `trial`
 * has not written yet (NULL: none): the step and the state in one transaction, so that
 * a paused trial always knows its step. The step (and the count of cut-shorts) is written
 * after the state, so that a pause storage refuses (the trial is another worker's now)
 * writes no step even on a backend without transactions. `cut_shorts` > 0: it was cut
 * short, that many times in a row (HPS_REC_CUT_SHORT); 0: a normal pause, which sets a
 * count `trial` carries back to 0, in the same transaction, so that only cut-shorts in a
 * row count against the limit (one a month apart must not fail a long-lived trial). */
static hps_status write_pause(hps_storage *storage, int64_t id, const char *step_json,
                              const char *steps_json, const hps_finish_req *req,
                              hps_trial *trial, int64_t cut_shorts)
{
    hps_status rc = storage->ops->batch_begin(storage);
    if (rc != HPS_OK)
        return rc;
    if (trial != NULL && has_pending_params(trial))
        rc = store_pending_params(trial);
    if (rc == HPS_OK)
        rc = storage->ops->finish_trial(storage, id, req);
    if (rc == HPS_OK)
        rc = storage->ops->set_trial_attr(storage, id, NULL, 1, HPS_REC_PAUSED_STEP, step_json);
    if (rc == HPS_OK)
        rc = storage->ops->set_trial_attr(storage, id, NULL, 1, HPS_REC_PAUSE_STEPS, steps_json);
    if (rc == HPS_OK && (cut_shorts > 0 || (trial != NULL && cut_shorts_before(trial->rec) > 0))) {
        char count[32];
        snprintf(count, sizeof count, "%lld", (long long)cut_shorts);
        rc = storage->ops->set_trial_attr(storage, id, NULL, 1, HPS_REC_CUT_SHORT, count);
    }
    return batch_close(storage, rc);
}

/* hps_trial_pause once the step is known to be right; `cut_shorts` as write_pause. */
static hps_status pause_at(hps_trial *trial, int64_t step, int64_t cut_shorts)
{
    hps_study *study = trial->study;
    char step_json[32];
    snprintf(step_json, sizeof step_json, "%lld", (long long)step);
    hps_finish_req req = {.state = HPS_PAUSED, .now = hps_now(), .owner = trial->owner};
    char *steps_json = hps_rec_pause_steps_with(trial->rec, step);
    if (steps_json == NULL)
        return hps_errbuf_set(&trial->err, HPS_ERR_NOMEM, "out of memory");
    size_t stored_before = trial->n_stored_params;
    hps_status rc = write_pause(study->storage, trial->rec->id, step_json, steps_json, &req,
                                trial, cut_shorts);
    if (rc != HPS_OK) {
        hps_mem_free(steps_json);
        trial->n_stored_params = stored_before; /* rolled back */
        return storage_error(study, &trial->err, rc);
    }
    trial->finished = 1;
    trial->rec->state = HPS_PAUSED;
    stop_heartbeat(trial);
    char count[32];
    snprintf(count, sizeof count, "%lld", (long long)cut_shorts);
    int set = hps_rec_set_attr(trial->rec, 1, HPS_REC_PAUSE_STEPS, steps_json);
    hps_mem_free(steps_json);
    if (set != 0 || hps_rec_set_attr(trial->rec, 1, HPS_REC_PAUSED_STEP, step_json) != 0 ||
        ((cut_shorts > 0 || cut_shorts_before(trial->rec) > 0) &&
         hps_rec_set_attr(trial->rec, 1, HPS_REC_CUT_SHORT, count) != 0))
        return hps_errbuf_set(&trial->err, HPS_ERR_NOMEM, "out of memory (trial was paused)");
    return HPS_OK;
}

int64_t hps_trial_resume_step(const hps_trial *trial)
{
    return hps_rec_paused_step(trial->rec);
}

hps_status hps_trial_max_step(hps_trial *trial, int64_t *max_step_out)
{
    *max_step_out = -1;
    hps_status rc = check_running(trial);
    if (rc != HPS_OK)
        return rc;
    hps_study *study = trial->study;
    if (study->pruner->ops->max_step == NULL)
        return HPS_OK;
    hps_engine_ctx e;
    hps_study_context(study, trial, &e);
    rc = study->pruner->ops->max_step(study->pruner, &e.ctx, max_step_out);
    if (rc != HPS_OK)
        return hps_errbuf_set(&trial->err, rc, "pruner '%s': %s", study->pruner->ops->name,
                              hps_errbuf_text(&study->pruner->err));
    return HPS_OK;
}

/* A temporary handle over the cached record of trial `number`. */
static hps_status handle_for_number(hps_study *study, int64_t number, hps_trial **out)
{
    *out = NULL;
    hps_status rc = hps_study_sync(study);
    if (rc != HPS_OK)
        return rc;
    const hps_frozen *cached = hps_study_cached(study, number);
    if (cached == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_NOTFOUND, "study '%s' has no trial %lld",
                              study->name, (long long)number);
    hps_frozen *rec = hps_rec_clone(cached);
    hps_trial *trial = rec != NULL ? trial_from_record(study, rec, rec->worker) : NULL;
    if (trial == NULL) {
        hps_rec_free(rec);
        return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
    }
    *out = trial;
    return HPS_OK;
}

hps_status hps_study_tell_number(hps_study *study, int64_t number, hps_trial_state state,
                                 const double *values, size_t n_values)
{
    /* A trial this handle asked knows more than storage (parameters not written yet):
     * it is told itself, and its handle learns that it is finished. */
    for (size_t i = 0; i < study->n_live; i++) {
        hps_trial *live = study->live[i];
        if (live->rec->number != number || live->finished)
            continue;
        hps_status rc = hps_trial_tell_values(live, state, values, n_values);
        if (rc != HPS_OK)
            hps_errbuf_set(&study->err, rc, "%s", hps_errbuf_text(&live->err));
        return rc;
    }
    hps_trial *trial;
    hps_status rc = handle_for_number(study, number, &trial);
    if (rc != HPS_OK)
        return rc;
    rc = hps_trial_tell_values(trial, state, values, n_values);
    if (rc != HPS_OK)
        hps_errbuf_set(&study->err, rc, "%s", hps_errbuf_text(&trial->err));
    trial->finished = 1; /* the handle never held a heartbeat */
    trial_free(trial);
    return rc;
}

/* ---- enqueue ------------------------------------------------------------------- */

hps_status hps_study_enqueue(hps_study *study, const char *params_json, int64_t *number_out)
{
    json_error_t jerr;
    json_t *params = json_loads(params_json != NULL ? params_json : "", 0, &jerr);
    hps_status rc = HPS_OK;
    char *attrs_text = NULL;
    json_t *attrs = NULL;
    if (params == NULL || !json_is_object(params)) {
        rc = hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                            "enqueued parameters must be a JSON object%s%s",
                            params == NULL ? ": " : "", params == NULL ? jerr.text : "");
        goto out;
    }
    const char *key;
    json_t *value;
    json_object_foreach(params, key, value) {
        hps_value v;
        if (key[0] == '\0' || hps_value_from_json(value, &v) != 0 ||
            (v.type == HPS_VALUE_FLOAT && !isfinite(v.u.f))) {
            rc = hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                                "enqueued parameter '%s' must be a string, number or boolean",
                                key);
            goto out;
        }
    }
    attrs = json_pack("{sO}", "fixed_params", params);
    attrs_text = attrs != NULL ? json_dumps(attrs, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    if (attrs_text == NULL) {
        rc = hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = study->storage->ops->enqueue_trial(study->storage, study->study_id, attrs_text,
                                            number_out);
    if (rc != HPS_OK)
        storage_error(study, &study->err, rc);
out:
    free(attrs_text);
    json_decref(attrs);
    json_decref(params);
    return rc;
}

/* ---- stale trials -------------------------------------------------------------- */

hps_status hps_study_recover_stale(hps_study *study, size_t *n_out)
{
    hps_running_info *running = NULL;
    size_t n_running = 0, n_failed = 0;
    double now = hps_now();
    study->last_stale_check = now;
    hps_status rc = study->storage->ops->list_running(study->storage, study->study_id, &running,
                                                      &n_running);
    if (rc != HPS_OK)
        return storage_error(study, &study->err, rc);
    for (size_t i = 0; i < n_running; i++) {
        const hps_running_info *r = &running[i];
        int dead = r->worker != NULL && strcmp(r->worker, study->worker) != 0 &&
                   hps_worker_is_dead_local(r->worker);
        int silent = study->heartbeat_grace > 0 && r->heartbeat > 0 &&
                     r->heartbeat < now - study->heartbeat_grace;
        if (!dead && !silent)
            continue;
        char reason[512];
        if (dead)
            snprintf(reason, sizeof reason, "interrupted: worker %.300s is gone", r->worker);
        else
            snprintf(reason, sizeof reason,
                     "interrupted: no heartbeat from worker %.300s for %.0f s", r->worker != NULL ? r->worker : "?",
                     now - r->heartbeat);
        /* a worker id comes from storage: any bytes another client wrote */
        char *clean = hps_utf8_sanitize(reason);
        if (clean != NULL) {
            snprintf(reason, sizeof reason, "%s", clean);
            hps_mem_free(clean);
        }
        /* Retries and fixed params come from the stored trial. */
        hps_trial *trial = NULL;
        rc = handle_for_number(study, r->number, &trial);
        if (rc != HPS_OK)
            goto out;
        /* A resumed trial's checkpoint is still there: it goes back to PAUSED (at
         * cut_short_step), to be resumed again, rather than failing -- up to
         * cut_short_limit times; then it fails, and is not queued again. */
        int resumed = hps_rec_paused_step(trial->rec) >= 0;
        int64_t times = resumed ? cut_shorts_now(trial->rec) : 0;
        int too_often = resumed && times > cut_short_limit(study);
        char too_often_why[1400];
        if (too_often) {
            cut_short_reason(study, times, reason, too_often_why, sizeof too_often_why);
            resumed = 0;
        }
        char *requeue = resumed || too_often
                            ? NULL
                            : requeue_attrs(study, trial->rec, trial->fixed_params,
                                            REQUEUE_AS_RETRY);
        hps_finish_req req = {
            .state = resumed ? HPS_PAUSED : HPS_FAIL,
            .interrupted = !resumed && !too_often,
            .fail_reason = resumed ? NULL : too_often ? too_often_why : reason,
            .now = now,
            .stale_before = dead ? 0 : now - study->heartbeat_grace,
            .requeue_system_attrs = requeue,
            /* the worker found stale: not one that took the trial over since */
            .owner = r->worker,
        };
        char step_json[32];
        snprintf(step_json, sizeof step_json, "%lld", (long long)cut_short_step(trial->rec));
        char *steps_json = resumed ? hps_rec_pause_steps_with(trial->rec,
                                                              cut_short_step(trial->rec))
                                   : NULL;
        if (resumed && steps_json == NULL)
            rc = HPS_ERR_NOMEM;
        else
            rc = resumed ? write_pause(study->storage, r->trial_id, step_json, steps_json, &req,
                                       NULL, times)
                         : study->storage->ops->finish_trial(study->storage, r->trial_id, &req);
        hps_mem_free(steps_json);
        free(requeue);
        trial->finished = 1;
        trial_free(trial);
        if (rc == HPS_ERR_STATE) { /* finished or beating again meanwhile: not stale */
            rc = HPS_OK;
            continue;
        }
        if (rc != HPS_OK) {
            storage_error(study, &study->err, rc);
            goto out;
        }
        n_failed++;
    }
out:
    hps_running_info_free(running, n_running);
    if (n_out != NULL)
        *n_out = n_failed;
    return rc;
}
