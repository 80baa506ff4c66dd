/* history.c -- gathering the finished, ended, paused and pending trials, and the
 * relative search space. */
#include "engine/history.h"

#include "base/mem.h"

#include <math.h>
#include <string.h>

void hps_history_clear(hps_history *h)
{
    hps_mem_free(h->finished);
    hps_mem_free(h->ended);
    hps_mem_free(h->paused);
    for (size_t i = 0; i < h->n_paused_copies; i++)
        hps_rec_free(h->paused_copies[i]);
    hps_mem_free(h->paused_copies);
    hps_mem_free(h->pending);
    hps_mem_free(h->space.names);
    hps_mem_free(h->space.dists);
    memset(h, 0, sizeof *h);
}

/* The parameter of `rec` named like space entry i, looked up at the same position
 * first: trials of one study nearly always suggest in the same order. */
static const hps_param_rec *find_at(const hps_frozen *rec, size_t i, const char *name)
{
    if (i < rec->n_params && strcmp(rec->params[i].name, name) == 0)
        return &rec->params[i];
    return hps_rec_find_param(rec, name);
}

/* Folds one finished trial into the study's space: the first one sets it, the others
 * narrow it to the parameters they have with the same distributions. Finished trials
 * never change their parameters, so each is folded in once. */
static int fold_into_space(hps_study *study, const hps_frozen *rec)
{
    if (!study->space_started) {
        study->space_names = hps_mem_calloc(rec->n_params + 1, sizeof *study->space_names);
        study->space_dists = hps_mem_calloc(rec->n_params + 1, sizeof *study->space_dists);
        if (study->space_names == NULL || study->space_dists == NULL)
            return -1;
        for (size_t k = 0; k < rec->n_params; k++) {
            study->space_names[k] = hps_mem_strdup(rec->params[k].name);
            if (study->space_names[k] == NULL ||
                hps_dist_copy(&study->space_dists[k], &rec->params[k].dist) != 0) {
                hps_mem_free(study->space_names[k]);
                study->space_n = k;
                return -1;
            }
            study->space_n = k + 1;
        }
        study->space_started = 1;
        return 0;
    }
    size_t kept = 0;
    for (size_t i = 0; i < study->space_n; i++) {
        const hps_param_rec *p = find_at(rec, i, study->space_names[i]);
        if (p == NULL || !hps_dist_equal(&p->dist, &study->space_dists[i])) {
            hps_mem_free(study->space_names[i]);
            hps_dist_clear(&study->space_dists[i]);
            continue;
        }
        study->space_names[kept] = study->space_names[i];
        study->space_dists[kept] = study->space_dists[i];
        kept++;
    }
    study->space_n = kept;
    return 0;
}

/* A paused trial as the changed space sees it: itself, or a copy the history owns (a
 * paused trial still changes, so the view's per-slot copies cannot hold it) without the
 * defaults of added parameters -- it will suggest them when resumed. -1 on OOM; *out
 * NULL when a value no longer fits. */
static int view_paused(hps_study *study, hps_history *h, const hps_frozen *rec,
                       const hps_frozen **out)
{
    int kind = hps_model_space_kind(&study->model_space, rec);
    *out = kind == MODEL_AS_STORED ? rec : NULL;
    if (kind != MODEL_MAPPED)
        return 0;
    hps_frozen *copy = hps_model_space_map(&study->model_space, rec, 0);
    if (copy == NULL)
        return -1;
    h->paused_copies[h->n_paused_copies++] = copy;
    *out = copy;
    return 0;
}

/* A pending trial: `live` is this process's handle of it, when there is one (its record
 * is newer than the stored copy, and its planned values are known only here). */
static int add_pending(hps_history *h, size_t *cap, const hps_frozen *rec, const hps_trial *live)
{
    void *items = h->pending;
    if (hps_mem_grow(&items, cap, h->n_pending + 1, sizeof *h->pending) != 0)
        return -1;
    h->pending = items;
    hps_pending *p = &h->pending[h->n_pending++];
    p->rec = live != NULL ? live->rec : rec;
    p->planned = live != NULL ? live->relative : NULL;
    p->n_planned = live != NULL ? live->n_relative : 0;
    p->fixed = live != NULL ? live->fixed_params
                            : json_object_get(rec->system_attrs, "fixed_params");
    p->live = live != NULL && !live->finished;
    return 0;
}

hps_status hps_history_collect(hps_study *study, const hps_trial *asking, hps_history *h)
{
    memset(h, 0, sizeof *h);
    hps_status rc = hps_study_sync(study);
    if (rc != HPS_OK)
        return rc;
    size_t n = study->n_cache;
    h->finished = hps_mem_calloc(n + 1, sizeof *h->finished);
    h->ended = hps_mem_calloc(n + 1, sizeof *h->ended);
    h->paused = hps_mem_calloc(n + 1, sizeof *h->paused);
    if (study->model_space.set)
        h->paused_copies = hps_mem_calloc(n + 1, sizeof *h->paused_copies);
    if (h->finished == NULL || h->ended == NULL || h->paused == NULL ||
        (study->model_space.set && h->paused_copies == NULL))
        goto oom;
    size_t cap_pending = 0;
    size_t old_cap = study->cap_seen;
    void *seen = study->space_seen;
    if (hps_mem_grow(&seen, &study->cap_seen, n + 1, 1) != 0)
        goto oom;
    study->space_seen = seen;
    if (study->cap_seen > old_cap) /* slots of trials not seen before */
        memset(study->space_seen + old_cap, 0, study->cap_seen - old_cap);
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *rec = study->cache[i];
        if (rec == NULL)
            continue;
        int finished = rec->state == HPS_COMPLETE ||
                       (rec->state == HPS_PRUNED && rec->n_values > 0);
        if (finished || rec->state == HPS_FAIL || rec->state == HPS_PRUNED) {
            /* these never change again, so the view maps each once */
            if (study->model_space.set &&
                hps_model_space_view(&study->model_space, i, rec, &rec) != 0)
                goto oom;
            if (rec == NULL)
                continue; /* a value the changed space no longer takes */
            if (!finished) {
                h->ended[h->n_ended++] = rec;
                continue;
            }
            h->finished[h->n_finished++] = rec;
            if (!study->space_seen[i]) {
                if (fold_into_space(study, rec) != 0)
                    goto oom;
                study->space_seen[i] = 1;
            }
            continue;
        }
        if (asking != NULL && rec->id == asking->rec->id)
            continue;
        if (rec->state == HPS_PAUSED) {
            if (study->model_space.set && view_paused(study, h, rec, &rec) != 0)
                goto oom;
            if (rec != NULL)
                h->paused[h->n_paused++] = rec;
            continue;
        }
        if (rec->state != HPS_RUNNING && rec->state != HPS_WAITING)
            continue;
        const hps_trial *live = NULL;
        for (size_t k = 0; k < study->n_live; k++)
            if (study->live[k]->rec->id == rec->id)
                live = study->live[k];
        if (add_pending(h, &cap_pending, rec, live) != 0)
            goto oom;
    }
    h->space.names = hps_mem_calloc(study->space_n + 1, sizeof *h->space.names);
    h->space.dists = hps_mem_calloc(study->space_n + 1, sizeof *h->space.dists);
    if (h->space.names == NULL || h->space.dists == NULL)
        goto oom;
    for (size_t k = 0; k < study->space_n; k++) {
        h->space.names[k] = study->space_names[k];
        h->space.dists[k] = &study->space_dists[k];
    }
    h->space.n = study->space_n;
    /* Live trials created after the sync above. */
    for (size_t k = 0; k < study->n_live; k++) {
        const hps_trial *t = study->live[k];
        /* by id: a superseded handle of the asking trial (resumed again here after it
         * was recovered as stale) is still live */
        if (t->finished || (asking != NULL && t->rec->id == asking->rec->id))
            continue;
        /* ended by another worker (told, or recovered as stale) since this one asked
         * it: listed by its stored state above */
        const hps_frozen *stored = hps_study_cached(study, t->rec->number);
        if (stored != NULL && stored->state != HPS_RUNNING && stored->state != HPS_WAITING)
            continue;
        int listed = 0;
        for (size_t j = 0; j < h->n_pending && !listed; j++)
            listed = h->pending[j].rec->id == t->rec->id;
        if (!listed && add_pending(h, &cap_pending, t->rec, t) != 0)
            goto oom;
    }
    return HPS_OK;
oom:
    hps_history_clear(h);
    return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
}
