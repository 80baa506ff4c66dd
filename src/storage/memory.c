/* memory.c -- the in-memory storage backend (":memory:").
 *
 * Private to one process and one handle; it exists so that studies that need no
 * persistence pay nothing for it, and it is the reference the conformance suite holds
 * the persistent backends to. Trial ids encode (study, number) so lookups are O(1). */
#include "base/mem.h"
#include "base/value.h"
#include "storage/snapshot.h"
#include "storage/storage.h"

#include <string.h>

#define MEM_NUMBER_BITS 32

/* A field added here (or to hps_frozen) must be added to the journal's snapshot too
 * (hps_memory_encode below, snapshot.c), with SNAPSHOT_VERSION bumped. */
typedef struct mem_study {
    hps_study_info info;
    json_t *attrs[2]; /* user, system */
    hps_frozen **trials;
    size_t n_trials, cap_trials;
    size_t n_waiting;
    int64_t change_seq;
    uint64_t n_counted;
    uint64_t grid_next;
    int64_t *grid_free;
    size_t n_free, cap_free;
    size_t n_claimed; /* claim_position calls so far (0: grid claims need not look) */
} mem_study;

typedef struct mem_storage {
    hps_storage base;
    mem_study **studies;  /* index = study_id - 1; deleted studies leave NULL */
    size_t n_studies, cap_studies;
} mem_storage;

static mem_storage *mem_of(hps_storage *s)
{
    return (mem_storage *)s;
}

static void mem_study_free(mem_study *st)
{
    if (st == NULL)
        return;
    hps_study_info_clear(&st->info);
    json_decref(st->attrs[0]);
    json_decref(st->attrs[1]);
    for (size_t i = 0; i < st->n_trials; i++)
        hps_rec_free(st->trials[i]);
    hps_mem_free(st->trials);
    hps_mem_free(st->grid_free);
    hps_mem_free(st);
}

static void mem_close(hps_storage *s)
{
    mem_storage *m = mem_of(s);
    for (size_t i = 0; i < m->n_studies; i++)
        mem_study_free(m->studies[i]);
    hps_mem_free(m->studies);
    hps_mem_free(m);
}

static mem_study *find_study(mem_storage *m, int64_t study_id)
{
    if (study_id < 1 || (uint64_t)study_id > m->n_studies)
        return NULL;
    return m->studies[study_id - 1];
}

static mem_study *find_study_by_name(mem_storage *m, const char *name)
{
    for (size_t i = 0; i < m->n_studies; i++)
        if (m->studies[i] != NULL && strcmp(m->studies[i]->info.name, name) == 0)
            return m->studies[i];
    return NULL;
}

static int copy_info(hps_study_info *dst, const hps_study_info *src)
{
    memset(dst, 0, sizeof *dst);
    dst->study_id = src->study_id;
    dst->created = src->created;
    dst->name = hps_mem_strdup(src->name);
    dst->directions = hps_mem_realloc_array(NULL, src->n_directions, sizeof *dst->directions);
    if (dst->name == NULL || dst->directions == NULL) {
        hps_study_info_clear(dst);
        return -1;
    }
    memcpy(dst->directions, src->directions, src->n_directions * sizeof *dst->directions);
    dst->n_directions = src->n_directions;
    return 0;
}

static hps_status nomem(hps_storage *s)
{
    return hps_errbuf_set(&s->err, HPS_ERR_NOMEM, "out of memory");
}

static hps_status mem_open_study(hps_storage *s, const char *name, unsigned flags,
                                 const hps_direction *dirs, size_t n_dirs, hps_study_info *info)
{
    mem_storage *m = mem_of(s);
    mem_study *st = find_study_by_name(m, name);
    if (st != NULL) {
        if (!(flags & HPS_OPEN_LOAD))
            return hps_errbuf_set(&s->err, HPS_ERR_EXISTS, "study '%s' already exists", name);
        return copy_info(info, &st->info) == 0 ? HPS_OK : nomem(s);
    }
    if (!(flags & HPS_OPEN_CREATE))
        return hps_errbuf_set(&s->err, HPS_ERR_NOTFOUND, "study '%s' does not exist", name);
    void *items = m->studies;
    if (hps_mem_grow(&items, &m->cap_studies, m->n_studies + 1, sizeof *m->studies) != 0)
        return nomem(s);
    m->studies = items;
    st = hps_mem_calloc(1, sizeof *st);
    if (st == NULL)
        return nomem(s);
    st->info.study_id = (int64_t)m->n_studies + 1;
    st->info.created = hps_now();
    st->info.name = hps_mem_strdup(name);
    st->info.directions = hps_mem_realloc_array(NULL, n_dirs, sizeof *dirs);
    st->attrs[0] = json_object();
    st->attrs[1] = json_object();
    if (st->info.name == NULL || st->info.directions == NULL || st->attrs[0] == NULL ||
        st->attrs[1] == NULL) {
        mem_study_free(st);
        return nomem(s);
    }
    memcpy(st->info.directions, dirs, n_dirs * sizeof *dirs);
    st->info.n_directions = n_dirs;
    if (copy_info(info, &st->info) != 0) {
        mem_study_free(st);
        return nomem(s);
    }
    m->studies[m->n_studies++] = st;
    return HPS_OK;
}

static hps_status mem_delete_study(hps_storage *s, const char *name)
{
    mem_storage *m = mem_of(s);
    for (size_t i = 0; i < m->n_studies; i++) {
        if (m->studies[i] != NULL && strcmp(m->studies[i]->info.name, name) == 0) {
            mem_study_free(m->studies[i]);
            m->studies[i] = NULL;
            return HPS_OK;
        }
    }
    return hps_errbuf_set(&s->err, HPS_ERR_NOTFOUND, "study '%s' does not exist", name);
}

static hps_status mem_list_studies(hps_storage *s, hps_study_info **out, size_t *n_out)
{
    mem_storage *m = mem_of(s);
    *out = NULL;
    *n_out = 0;
    hps_study_info *items = hps_mem_calloc(m->n_studies + 1, sizeof *items);
    if (items == NULL)
        return nomem(s);
    size_t n = 0;
    for (size_t i = 0; i < m->n_studies; i++) {
        if (m->studies[i] == NULL)
            continue;
        if (copy_info(&items[n], &m->studies[i]->info) != 0) {
            for (size_t j = 0; j < n; j++)
                hps_study_info_clear(&items[j]);
            hps_mem_free(items);
            return nomem(s);
        }
        n++;
    }
    *out = items;
    *n_out = n;
    return HPS_OK;
}

static hps_status study_or_error(hps_storage *s, int64_t study_id, mem_study **out)
{
    *out = find_study(mem_of(s), study_id);
    if (*out == NULL)
        return hps_errbuf_set(&s->err, HPS_ERR_NOTFOUND, "study %lld does not exist",
                              (long long)study_id);
    return HPS_OK;
}

static hps_status mem_set_study_attr(hps_storage *s, int64_t study_id, int system,
                                     const char *key, const char *json)
{
    mem_study *st = NULL;
    hps_status rc = study_or_error(s, study_id, &st);
    if (rc != HPS_OK)
        return rc;
    json_t *value = json_loads(json, JSON_DECODE_ANY, NULL);
    if (value == NULL)
        return hps_errbuf_set(&s->err, HPS_ERR_INVALID, "attribute '%s' is not valid JSON", key);
    if (json_object_set_new(st->attrs[system ? 1 : 0], key, value) != 0)
        return nomem(s);
    return HPS_OK;
}

static hps_status mem_set_study_attr_once(hps_storage *s, int64_t study_id, const char *key,
                                          const char *json, char **current_out)
{
    mem_study *st = NULL;
    hps_status rc = study_or_error(s, study_id, &st);
    if (rc != HPS_OK)
        return rc;
    if (json_object_get(st->attrs[1], key) == NULL) {
        rc = mem_set_study_attr(s, study_id, 1, key, json);
        if (rc != HPS_OK)
            return rc;
    }
    *current_out = json_dumps(json_object_get(st->attrs[1], key),
                              JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
    return *current_out != NULL ? HPS_OK : nomem(s);
}

static hps_status mem_get_study_attrs(hps_storage *s, int64_t study_id, int system, char **json_out)
{
    mem_study *st = NULL;
    hps_status rc = study_or_error(s, study_id, &st);
    if (rc != HPS_OK)
        return rc;
    *json_out = hps_rec_attrs_text(st->attrs[system ? 1 : 0]);
    return *json_out != NULL ? HPS_OK : nomem(s);
}

static hps_frozen *trial_by_id(mem_storage *m, int64_t trial_id, mem_study **st_out)
{
    mem_study *st = find_study(m, trial_id >> MEM_NUMBER_BITS);
    int64_t number = trial_id & ((INT64_C(1) << MEM_NUMBER_BITS) - 1);
    if (st == NULL || (uint64_t)number >= st->n_trials)
        return NULL;
    if (st_out != NULL)
        *st_out = st;
    return st->trials[number];
}

static hps_status trial_or_error(hps_storage *s, int64_t trial_id, hps_frozen **rec,
                                 mem_study **st)
{
    *rec = trial_by_id(mem_of(s), trial_id, st);
    if (*rec == NULL)
        return hps_errbuf_set(&s->err, HPS_ERR_NOTFOUND, "trial id %lld does not exist",
                              (long long)trial_id);
    return HPS_OK;
}

static hps_status running_or_error(hps_storage *s, const hps_frozen *rec)
{
    if (rec->state != HPS_RUNNING)
        return hps_errbuf_set(&s->err, HPS_ERR_STATE, "trial %lld is %s, not RUNNING",
                              (long long)rec->number, hps_trial_state_name(rec->state));
    return HPS_OK;
}

/* Appends a new trial record with the next number. */
static hps_frozen *append_trial(mem_study *st)
{
    void *items = st->trials;
    if (hps_mem_grow(&items, &st->cap_trials, st->n_trials + 1, sizeof *st->trials) != 0)
        return NULL;
    st->trials = items;
    hps_frozen *rec = hps_rec_new();
    if (rec == NULL)
        return NULL;
    rec->number = (int64_t)st->n_trials;
    rec->id = (st->info.study_id << MEM_NUMBER_BITS) | rec->number;
    st->trials[st->n_trials++] = rec;
    return rec;
}

static int set_worker(hps_frozen *rec, const char *worker)
{
    char *copy = NULL;
    if (worker != NULL && (copy = hps_mem_strdup(worker)) == NULL)
        return -1;
    hps_mem_free(rec->worker);
    rec->worker = copy;
    return 0;
}

/* Whether a trial of the study other than `except` holds position `pos`. */
static int position_held(const mem_study *st, int64_t pos, const hps_frozen *except)
{
    if (st->n_claimed == 0)
        return 0; /* only grid claims so far: positions below grid_next are all taken */
    for (size_t i = 0; i < st->n_trials; i++) {
        const hps_frozen *t = st->trials[i];
        if (t != except && t->grid_pos == pos && !t->interrupted)
            return 1;
    }
    return 0;
}

static void drop_free_position(mem_study *st, int64_t pos)
{
    for (size_t i = 0; i < st->n_free; i++) {
        if (st->grid_free[i] == pos) {
            memmove(st->grid_free + i, st->grid_free + i + 1,
                    (st->n_free - i - 1) * sizeof *st->grid_free);
            st->n_free--;
            return;
        }
    }
}

static hps_status mem_create_trial(hps_storage *s, int64_t study_id, const hps_create_req *req,
                                   hps_frozen **out)
{
    mem_study *st = NULL;
    *out = NULL;
    hps_status rc = study_or_error(s, study_id, &st);
    if (rc != HPS_OK)
        return rc;
    hps_frozen *rec = NULL;
    if (st->n_waiting > 0) {
        for (size_t i = 0; i < st->n_trials && rec == NULL; i++)
            if (st->trials[i]->state == HPS_WAITING)
                rec = st->trials[i];
    }
    if (rec != NULL) {
        if (set_worker(rec, req->worker) != 0)
            return nomem(s);
        st->n_waiting--;
    } else {
        if (req->max_trials != 0 && st->n_counted >= req->max_trials)
            return HPS_DONE;
        int64_t grid_pos = -1;
        int from_free_list = 0;
        if (req->grid_cells != 0) {
            if (st->n_free > 0) {
                from_free_list = 1;
                grid_pos = st->grid_free[0]; /* kept sorted: the smallest */
            } else {
                while (st->grid_next < req->grid_cells &&
                       position_held(st, (int64_t)st->grid_next, NULL))
                    st->grid_next++;
                if (st->grid_next >= req->grid_cells)
                    return HPS_DONE;
                grid_pos = (int64_t)st->grid_next;
            }
        }
        rec = append_trial(st);
        if (rec == NULL || set_worker(rec, req->worker) != 0) {
            if (rec != NULL) {
                st->n_trials--;
                hps_rec_free(rec);
            }
            return nomem(s);
        }
        rec->grid_pos = grid_pos;
        if (from_free_list) {
            memmove(st->grid_free, st->grid_free + 1, (st->n_free - 1) * sizeof *st->grid_free);
            st->n_free--;
        } else if (grid_pos >= 0) {
            st->grid_next++;
        }
        st->n_counted++;
    }
    rec->state = HPS_RUNNING;
    rec->datetime_start = req->now;
    rec->heartbeat = req->with_heartbeat ? req->now : 0;
    rec->change_seq = ++st->change_seq;
    *out = hps_rec_clone(rec);
    return *out != NULL ? HPS_OK : nomem(s);
}

static hps_status mem_claim_position(hps_storage *s, int64_t study_id, int64_t trial_id,
                                     int64_t first, uint64_t count, int64_t *pos_out)
{
    hps_frozen *rec = NULL;
    mem_study *st = NULL;
    hps_status rc = trial_or_error(s, trial_id, &rec, &st);
    if (rc == HPS_OK)
        rc = running_or_error(s, rec);
    if (rc != HPS_OK)
        return rc;
    if (st->info.study_id != study_id)
        return hps_errbuf_set(&s->err, HPS_ERR_INVALID, "trial %lld is not in study %lld",
                              (long long)rec->number, (long long)study_id);
    if (rec->grid_pos >= first && (uint64_t)(rec->grid_pos - first) < count) {
        *pos_out = rec->grid_pos;
        return HPS_OK;
    }
    if (rec->grid_pos >= 0)
        return hps_errbuf_set(&s->err, HPS_ERR_STATE, "trial %lld already holds position %lld",
                              (long long)rec->number, (long long)rec->grid_pos);
    st->n_claimed++; /* from now on grid claims look for holders */
    for (uint64_t k = 0; k < count; k++) {
        int64_t pos = first + (int64_t)k;
        if (position_held(st, pos, rec))
            continue;
        drop_free_position(st, pos);
        rec->grid_pos = pos;
        rec->change_seq = ++st->change_seq;
        *pos_out = pos;
        return HPS_OK;
    }
    return hps_errbuf_set(&s->err, HPS_ERR_EXISTS, "positions %lld to %lld are all held",
                          (long long)first, (long long)(first + (int64_t)count - 1));
}

static hps_status mem_enqueue_trial(hps_storage *s, int64_t study_id, const char *system_attrs,
                                    int64_t *number_out)
{
    mem_study *st = NULL;
    hps_status rc = study_or_error(s, study_id, &st);
    if (rc != HPS_OK)
        return rc;
    json_t *attrs = json_loads(system_attrs != NULL ? system_attrs : "{}", 0, NULL);
    if (attrs == NULL || !json_is_object(attrs)) {
        json_decref(attrs);
        return hps_errbuf_set(&s->err, HPS_ERR_INVALID, "enqueued attributes are not a JSON object");
    }
    hps_frozen *rec = append_trial(st);
    if (rec == NULL) {
        json_decref(attrs);
        return nomem(s);
    }
    json_decref(rec->system_attrs);
    rec->system_attrs = attrs;
    rec->state = HPS_WAITING;
    rec->change_seq = ++st->change_seq;
    st->n_waiting++;
    st->n_counted++;
    if (number_out != NULL)
        *number_out = rec->number;
    return HPS_OK;
}

static hps_status mem_start_trial(hps_storage *s, int64_t trial_id, double now)
{
    hps_frozen *rec = NULL;
    mem_study *st = NULL;
    hps_status rc = trial_or_error(s, trial_id, &rec, &st);
    if (rc != HPS_OK)
        return rc;
    if (rec->state != HPS_WAITING)
        return hps_errbuf_set(&s->err, HPS_ERR_STATE, "trial %lld is %s, not WAITING",
                              (long long)rec->number, hps_trial_state_name(rec->state));
    rec->state = HPS_RUNNING;
    rec->datetime_start = now;
    rec->heartbeat = 0;
    rec->change_seq = ++st->change_seq;
    st->n_waiting--;
    return HPS_OK;
}

static hps_status mem_resume_trial(hps_storage *s, int64_t trial_id, const hps_create_req *req,
                                   hps_frozen **out)
{
    hps_frozen *rec = NULL;
    mem_study *st = NULL;
    *out = NULL;
    hps_status rc = trial_or_error(s, trial_id, &rec, &st);
    if (rc != HPS_OK)
        return rc;
    if (rec->state != HPS_PAUSED)
        return hps_errbuf_set(&s->err, HPS_ERR_STATE, "trial %lld is %s, not PAUSED",
                              (long long)rec->number, hps_trial_state_name(rec->state));
    if (set_worker(rec, req->worker) != 0)
        return nomem(s);
    rec->state = HPS_RUNNING;
    rec->heartbeat = req->with_heartbeat ? req->now : 0;
    *out = hps_rec_clone(rec);
    if (*out == NULL) { /* not resumed after all: the trial stays PAUSED for another ask */
        rec->state = HPS_PAUSED;
        rec->heartbeat = 0;
        return nomem(s);
    }
    rec->change_seq = ++st->change_seq;
    return HPS_OK;
}

static hps_status mem_set_params(hps_storage *s, int64_t trial_id, const char *owner,
                                 const hps_param_rec *params, size_t n_params)
{
    hps_frozen *rec = NULL;
    mem_study *st = NULL;
    hps_status rc = trial_or_error(s, trial_id, &rec, &st);
    if (rc == HPS_OK)
        rc = running_or_error(s, rec);
    if (rc == HPS_OK)
        rc = hps_storage_check_owner(&s->err, rec->number, owner, rec->worker);
    if (rc != HPS_OK)
        return rc;
    for (size_t i = 0; i < n_params; i++) {
        if (hps_rec_find_param(rec, params[i].name) != NULL)
            return hps_errbuf_set(&s->err, HPS_ERR_EXISTS, "trial %lld already has parameter '%s'",
                                  (long long)rec->number, params[i].name);
    }
    for (size_t i = 0; i < n_params; i++)
        if (hps_rec_add_param(rec, params[i].name, &params[i].dist, params[i].internal) != 0)
            return nomem(s);
    rec->change_seq = ++st->change_seq;
    return HPS_OK;
}

/* Memory writes cannot fail half-way except for lack of memory: nothing to group. */
static hps_status mem_batch_begin(hps_storage *s)
{
    (void)s;
    return HPS_OK;
}

static hps_status mem_batch_end(hps_storage *s, int commit)
{
    (void)s;
    (void)commit;
    return HPS_OK;
}

static hps_status mem_report(hps_storage *s, int64_t trial_id, const char *owner, int64_t step,
                             const double *values, size_t n)
{
    hps_frozen *rec = NULL;
    mem_study *st = NULL;
    hps_status rc = trial_or_error(s, trial_id, &rec, &st);
    if (rc == HPS_OK)
        rc = running_or_error(s, rec);
    if (rc == HPS_OK)
        rc = hps_storage_check_owner(&s->err, rec->number, owner, rec->worker);
    if (rc != HPS_OK)
        return rc;
    int added = hps_rec_add_intermediate_values(rec, step, values, n);
    if (added < 0)
        return nomem(s);
    if (added)
        rec->change_seq = ++st->change_seq;
    return HPS_OK;
}

static hps_status mem_set_trial_attr(hps_storage *s, int64_t trial_id, const char *owner,
                                     int system, const char *key, const char *json)
{
    hps_frozen *rec = NULL;
    mem_study *st = NULL;
    hps_status rc = trial_or_error(s, trial_id, &rec, &st);
    if (rc == HPS_OK && owner != NULL)
        rc = running_or_error(s, rec);
    if (rc == HPS_OK)
        rc = hps_storage_check_owner(&s->err, rec->number, owner, rec->worker);
    if (rc != HPS_OK)
        return rc;
    if (hps_rec_set_attr(rec, system, key, json) != 0)
        return hps_errbuf_set(&s->err, HPS_ERR_INVALID, "attribute '%s' is not valid JSON", key);
    rec->change_seq = ++st->change_seq;
    return HPS_OK;
}

static int insert_free_pos(mem_study *st, int64_t pos)
{
    void *items = st->grid_free;
    if (hps_mem_grow(&items, &st->cap_free, st->n_free + 1, sizeof *st->grid_free) != 0)
        return -1;
    st->grid_free = items;
    size_t i = st->n_free;
    while (i > 0 && st->grid_free[i - 1] > pos) {
        st->grid_free[i] = st->grid_free[i - 1];
        i--;
    }
    st->grid_free[i] = pos;
    st->n_free++;
    return 0;
}

static hps_status mem_finish_trial(hps_storage *s, int64_t trial_id, const hps_finish_req *req)
{
    hps_frozen *rec = NULL;
    mem_study *st = NULL;
    hps_status rc = trial_or_error(s, trial_id, &rec, &st);
    if (rc == HPS_OK)
        rc = running_or_error(s, rec);
    if (rc == HPS_OK)
        rc = hps_storage_check_owner(&s->err, rec->number, req->owner, rec->worker);
    if (rc != HPS_OK)
        return rc;
    if (req->stale_before > 0 && !(rec->heartbeat > 0 && rec->heartbeat < req->stale_before))
        return hps_errbuf_set(&s->err, HPS_ERR_STATE, "trial %lld is alive again",
                              (long long)rec->number);
    /* Prepare everything that can fail before changing anything. */
    json_t *requeue_attrs = NULL;
    if (req->requeue_system_attrs != NULL) {
        requeue_attrs = json_loads(req->requeue_system_attrs, 0, NULL);
        if (requeue_attrs == NULL)
            return hps_errbuf_set(&s->err, HPS_ERR_INVALID, "re-queue attributes are not JSON");
    }
    double *values = NULL;
    if (req->n_values > 0) {
        values = hps_mem_realloc_array(NULL, req->n_values, sizeof *values);
        if (values == NULL) {
            json_decref(requeue_attrs);
            return nomem(s);
        }
        memcpy(values, req->values, req->n_values * sizeof *values);
    }
    json_t *reason = req->fail_reason != NULL ? json_string(req->fail_reason) : NULL;
    hps_frozen *copy = NULL;
    if (requeue_attrs != NULL) {
        copy = append_trial(st);
        if (copy == NULL)
            goto oom;
        json_decref(copy->system_attrs);
        copy->system_attrs = requeue_attrs;
        requeue_attrs = NULL;
        copy->grid_pos = rec->grid_pos;
        copy->state = HPS_WAITING;
    }
    if (req->interrupted && rec->grid_pos >= 0 && copy == NULL &&
        insert_free_pos(st, rec->grid_pos) != 0)
        goto oom;
    if (reason != NULL) {
        if (rec->system_attrs == NULL && (rec->system_attrs = json_object()) == NULL)
            goto oom;
        if (json_object_set_new(rec->system_attrs, "fail_reason", reason) != 0) {
            reason = NULL;
            goto oom;
        }
    }
    reason = NULL;
    hps_mem_free(rec->values);
    rec->values = values;
    rec->n_values = req->n_values;
    rec->state = req->state;
    rec->interrupted = req->state == HPS_FAIL && req->interrupted;
    rec->datetime_complete = req->state == HPS_PAUSED ? 0 : req->now;
    rec->change_seq = ++st->change_seq;
    if (rec->interrupted)
        st->n_counted--;
    if (copy != NULL) {
        copy->change_seq = ++st->change_seq;
        st->n_waiting++;
        st->n_counted++;
    }
    return HPS_OK;
oom:
    if (copy != NULL) {
        st->n_trials--;
        hps_rec_free(copy);
    }
    json_decref(requeue_attrs);
    json_decref(reason);
    hps_mem_free(values);
    return nomem(s);
}

static hps_status mem_heartbeat(hps_storage *s, const int64_t *trial_ids,
                                const char *const *owners, size_t n, double now,
                                unsigned char *refused)
{
    for (size_t i = 0; i < n; i++) {
        hps_frozen *rec = trial_by_id(mem_of(s), trial_ids[i], NULL);
        int beat = rec != NULL && rec->state == HPS_RUNNING &&
                   (owners[i] == NULL || (rec->worker != NULL && strcmp(rec->worker, owners[i]) == 0));
        if (beat)
            rec->heartbeat = now; /* not a change a reader needs to see */
        if (refused != NULL)
            refused[i] = !beat;
    }
    return HPS_OK;
}

static hps_status mem_list_running(hps_storage *s, int64_t study_id, hps_running_info **out,
                                   size_t *n_out)
{
    mem_study *st = NULL;
    *out = NULL;
    *n_out = 0;
    hps_status rc = study_or_error(s, study_id, &st);
    if (rc != HPS_OK)
        return rc;
    size_t n = 0;
    for (size_t i = 0; i < st->n_trials; i++)
        n += st->trials[i]->state == HPS_RUNNING;
    hps_running_info *items = hps_mem_calloc(n + 1, sizeof *items);
    if (items == NULL)
        return nomem(s);
    size_t k = 0;
    for (size_t i = 0; i < st->n_trials; i++) {
        const hps_frozen *rec = st->trials[i];
        if (rec->state != HPS_RUNNING)
            continue;
        items[k].trial_id = rec->id;
        items[k].number = rec->number;
        items[k].heartbeat = rec->heartbeat;
        items[k].worker = rec->worker != NULL ? hps_mem_strdup(rec->worker) : NULL;
        items[k].system_attrs = hps_rec_attrs_text(rec->system_attrs);
        k++;
        if ((rec->worker != NULL && items[k - 1].worker == NULL) ||
            items[k - 1].system_attrs == NULL) {
            hps_running_info_free(items, k);
            return nomem(s);
        }
    }
    *out = items;
    *n_out = k;
    return HPS_OK;
}

static hps_status mem_sync(hps_storage *s, int64_t study_id, int64_t since, hps_sync_fn fn,
                           void *user, int64_t *seq_out)
{
    mem_study *st = NULL;
    hps_status rc = study_or_error(s, study_id, &st);
    if (rc != HPS_OK)
        return rc;
    /* Nothing changed since: callers sync before every read of one trial, and looking
     * at every trial each time made reading a 100 000-trial study's trials one by one
     * take half a minute. */
    if (since >= st->change_seq) {
        *seq_out = st->change_seq;
        return HPS_OK;
    }
    for (size_t i = 0; i < st->n_trials; i++) {
        if (st->trials[i]->change_seq <= since)
            continue;
        hps_frozen *copy = hps_rec_clone(st->trials[i]);
        if (copy == NULL)
            return nomem(s);
        if (fn(user, copy) != 0)
            return hps_errbuf_set(&s->err, HPS_ERR_NOMEM, "out of memory while syncing");
    }
    *seq_out = st->change_seq;
    return HPS_OK;
}

static hps_status mem_find_trial(hps_storage *s, int64_t study_id, int64_t number,
                                 int64_t *trial_id)
{
    mem_study *st = NULL;
    hps_status rc = study_or_error(s, study_id, &st);
    if (rc != HPS_OK)
        return rc;
    if (number < 0 || (uint64_t)number >= st->n_trials)
        return hps_errbuf_set(&s->err, HPS_ERR_NOTFOUND, "trial %lld does not exist",
                              (long long)number);
    *trial_id = st->trials[number]->id;
    return HPS_OK;
}

hps_status hps_memory_set_created(hps_storage *s, int64_t study_id, double created)
{
    mem_study *st = NULL;
    hps_status rc = study_or_error(s, study_id, &st);
    if (rc == HPS_OK)
        st->info.created = created;
    return rc;
}

/* ---- the whole state, for the journal's snapshots ----------------------------------- */

static void encode_study(snap_out *o, const mem_study *st)
{
    snap_put_u64(o, (uint64_t)st->info.study_id);
    snap_put_str(o, st->info.name);
    snap_put_u32(o, (uint32_t)st->info.n_directions);
    for (size_t i = 0; i < st->info.n_directions; i++)
        snap_put_u8(o, st->info.directions[i] == HPS_MAXIMIZE);
    snap_put_f64(o, st->info.created);
    snap_put_json(o, st->attrs[0]);
    snap_put_json(o, st->attrs[1]);
    snap_put_u64(o, st->n_waiting);
    snap_put_u64(o, (uint64_t)st->change_seq);
    snap_put_u64(o, st->n_counted);
    snap_put_u64(o, st->grid_next);
    snap_put_u64(o, st->n_claimed);
    snap_put_u64(o, st->n_free);
    for (size_t i = 0; i < st->n_free; i++)
        snap_put_u64(o, (uint64_t)st->grid_free[i]);
    snap_put_u64(o, st->n_trials);
    for (size_t i = 0; i < st->n_trials; i++)
        snap_put_trial(o, st->trials[i]);
}

void hps_memory_encode(hps_storage *s, snap_out *out)
{
    mem_storage *m = mem_of(s);
    snap_put_u64(out, m->n_studies);
    for (size_t i = 0; i < m->n_studies; i++) {
        snap_put_u8(out, m->studies[i] != NULL);
        if (m->studies[i] != NULL)
            encode_study(out, m->studies[i]);
    }
}

/* A study as encode_study wrote it, as slot `slot`; NULL on damage or out of memory
 * (in->failed set). Trial ids and numbers must be what append_trial gives, since
 * lookups compute them. */
static mem_study *decode_study(snap_in *in, size_t slot)
{
    mem_study *st = hps_mem_calloc(1, sizeof *st);
    if (st == NULL)
        goto fail;
    st->info.study_id = (int64_t)snap_get_u64(in);
    st->info.name = snap_get_str(in);
    size_t n_dirs = snap_get_u32(in);
    if (st->info.name == NULL || n_dirs == 0 || n_dirs > in->left ||
        st->info.study_id != (int64_t)slot + 1)
        goto fail;
    st->info.directions = hps_mem_calloc(n_dirs, sizeof *st->info.directions);
    if (st->info.directions == NULL)
        goto fail;
    st->info.n_directions = n_dirs;
    for (size_t i = 0; i < n_dirs; i++)
        st->info.directions[i] = snap_get_u8(in) ? HPS_MAXIMIZE : HPS_MINIMIZE;
    st->info.created = snap_get_f64(in);
    st->attrs[0] = snap_get_json(in);
    st->attrs[1] = snap_get_json(in);
    if (!json_is_object(st->attrs[0]) || !json_is_object(st->attrs[1]))
        goto fail;
    st->n_waiting = (size_t)snap_get_u64(in);
    st->change_seq = (int64_t)snap_get_u64(in);
    st->n_counted = snap_get_u64(in);
    st->grid_next = snap_get_u64(in);
    st->n_claimed = (size_t)snap_get_u64(in);
    size_t n_free = snap_get_count(in, 8);
    if (n_free > 0) {
        if ((st->grid_free = hps_mem_calloc(n_free, sizeof *st->grid_free)) == NULL)
            goto fail;
        st->n_free = st->cap_free = n_free;
        for (size_t i = 0; i < n_free; i++)
            st->grid_free[i] = (int64_t)snap_get_u64(in);
    }
    size_t n_trials = snap_get_count(in, 64);
    if (n_trials > 0) {
        if ((st->trials = hps_mem_calloc(n_trials, sizeof *st->trials)) == NULL)
            goto fail;
        st->cap_trials = n_trials;
    }
    for (size_t i = 0; i < n_trials && !in->failed; i++) {
        hps_frozen *rec = snap_get_trial(in);
        if (rec == NULL)
            goto fail;
        st->trials[st->n_trials++] = rec;
        if (rec->number != (int64_t)i ||
            rec->id != ((st->info.study_id << MEM_NUMBER_BITS) | rec->number))
            goto fail;
    }
    if (in->failed)
        goto fail;
    return st;
fail:
    in->failed = 1;
    mem_study_free(st);
    return NULL;
}

hps_status hps_memory_decode(snap_in *in, hps_storage **out)
{
    hps_errbuf ignored;
    *out = NULL;
    if (hps_memory_storage_open(out, &ignored) != HPS_OK)
        return HPS_ERR_NOMEM;
    mem_storage *m = mem_of(*out);
    size_t n = snap_get_count(in, 1);
    if (n > 0 && (m->studies = hps_mem_calloc(n, sizeof *m->studies)) != NULL)
        m->cap_studies = n;
    int nomem_seen = n > 0 && m->studies == NULL;
    for (size_t i = 0; i < n && !nomem_seen && !in->failed; i++) {
        m->n_studies = i + 1;
        if (snap_get_u8(in) != 0 && (m->studies[i] = decode_study(in, i)) == NULL)
            break;
    }
    if (nomem_seen || in->failed || in->left != 0) {
        hps_storage_close(*out);
        *out = NULL;
        return nomem_seen ? HPS_ERR_NOMEM : HPS_ERR_CORRUPT;
    }
    return HPS_OK;
}

static const hps_storage_ops mem_ops = {
    .name = "memory",
    .close = mem_close,
    .open_study = mem_open_study,
    .delete_study = mem_delete_study,
    .list_studies = mem_list_studies,
    .set_study_attr = mem_set_study_attr,
    .set_study_attr_once = mem_set_study_attr_once,
    .get_study_attrs = mem_get_study_attrs,
    .create_trial = mem_create_trial,
    .enqueue_trial = mem_enqueue_trial,
    .start_trial = mem_start_trial,
    .resume_trial = mem_resume_trial,
    .set_params = mem_set_params,
    .batch_begin = mem_batch_begin,
    .batch_end = mem_batch_end,
    .report = mem_report,
    .set_trial_attr = mem_set_trial_attr,
    .finish_trial = mem_finish_trial,
    .heartbeat = mem_heartbeat,
    .list_running = mem_list_running,
    .sync = mem_sync,
    .find_trial = mem_find_trial,
    .claim_position = mem_claim_position,
};

hps_status hps_memory_storage_open(hps_storage **out, hps_errbuf *err)
{
    mem_storage *m = hps_mem_calloc(1, sizeof *m);
    *out = NULL;
    if (m == NULL)
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    m->base.ops = &mem_ops;
    m->base.persistent = 0;
    *out = &m->base;
    return HPS_OK;
}
