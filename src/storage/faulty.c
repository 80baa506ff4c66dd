/* faulty.c -- fault injection for storage: a wrapper that makes the k-th storage call
 * (and every one after it) fail, as a lost database connection or a full disk would.
 *
 * Tests switch it on with hps_storage_faults_enable(1); from then on every storage the
 * thread opens is wrapped, and hps_storage_fail_after(k) arms the failure the way
 * hps_mem_fail_after arms allocation failures. A failed commit (batch_end) rolls the
 * inner batch back, so the database sees exactly what a real failed commit leaves. */
#include "storage/storage.h"

#include "base/mem.h"

static _Thread_local int wrap_enabled;
static _Thread_local unsigned long fail_at;
static _Thread_local unsigned long call_count;

void hps_storage_faults_enable(int on)
{
    wrap_enabled = on;
    fail_at = 0;
    call_count = 0;
}

int hps_storage_faults_enabled(void)
{
    return wrap_enabled;
}

unsigned long hps_storage_fail_after(unsigned long k)
{
    unsigned long made = call_count;
    call_count = 0;
    fail_at = k;
    return made;
}

typedef struct faulty_storage {
    hps_storage base;
    hps_storage *inner;
} faulty_storage;

static hps_storage *inner_of(hps_storage *s)
{
    return ((faulty_storage *)s)->inner;
}

/* Counts a call; when it is one that must fail, says so on the wrapper's errbuf. */
static int injected(hps_storage *s)
{
    call_count++;
    if (fail_at == 0 || call_count < fail_at)
        return 0;
    hps_errbuf_set(&s->err, HPS_ERR_STORAGE, "%s: injected storage failure (call %lu)",
                   inner_of(s)->ops->name, call_count);
    return 1;
}

/* Passes the inner backend's status on, with its message. */
static hps_status forward(hps_storage *s, hps_status rc)
{
    if (rc != HPS_OK && rc != HPS_DONE)
        hps_errbuf_set(&s->err, rc, "%s", hps_errbuf_text(&inner_of(s)->err));
    return rc;
}

#define FAULTY_CALL(s, op, ...)                                                                \
    (injected(s) ? HPS_ERR_STORAGE : forward((s), inner_of(s)->ops->op(inner_of(s), __VA_ARGS__)))

static void faulty_close(hps_storage *s)
{
    hps_storage_close(inner_of(s));
    hps_mem_free(s);
}

static hps_status faulty_open_study(hps_storage *s, const char *name, unsigned flags,
                                    const hps_direction *dirs, size_t n_dirs,
                                    hps_study_info *info)
{
    return FAULTY_CALL(s, open_study, name, flags, dirs, n_dirs, info);
}

static hps_status faulty_delete_study(hps_storage *s, const char *name)
{
    return FAULTY_CALL(s, delete_study, name);
}

static hps_status faulty_list_studies(hps_storage *s, hps_study_info **out, size_t *n_out)
{
    return FAULTY_CALL(s, list_studies, out, n_out);
}

static hps_status faulty_set_study_attr(hps_storage *s, int64_t study_id, int system,
                                        const char *key, const char *json)
{
    return FAULTY_CALL(s, set_study_attr, study_id, system, key, json);
}

static hps_status faulty_set_study_attr_once(hps_storage *s, int64_t study_id, const char *key,
                                             const char *json, char **current_out)
{
    return FAULTY_CALL(s, set_study_attr_once, study_id, key, json, current_out);
}

static hps_status faulty_get_study_attrs(hps_storage *s, int64_t study_id, int system,
                                         char **json_out)
{
    return FAULTY_CALL(s, get_study_attrs, study_id, system, json_out);
}

static hps_status faulty_create_trial(hps_storage *s, int64_t study_id, const hps_create_req *req,
                                      hps_frozen **out)
{
    return FAULTY_CALL(s, create_trial, study_id, req, out);
}

static hps_status faulty_enqueue_trial(hps_storage *s, int64_t study_id, const char *system_attrs,
                                       int64_t *number_out)
{
    return FAULTY_CALL(s, enqueue_trial, study_id, system_attrs, number_out);
}

static hps_status faulty_start_trial(hps_storage *s, int64_t trial_id, double now)
{
    return FAULTY_CALL(s, start_trial, trial_id, now);
}

static hps_status faulty_resume_trial(hps_storage *s, int64_t trial_id, const hps_create_req *req,
                                      hps_frozen **out)
{
    return FAULTY_CALL(s, resume_trial, trial_id, req, out);
}

static hps_status faulty_set_params(hps_storage *s, int64_t trial_id, const char *owner,
                                    const hps_param_rec *params, size_t n_params)
{
    return FAULTY_CALL(s, set_params, trial_id, owner, params, n_params);
}

static hps_status faulty_report(hps_storage *s, int64_t trial_id, const char *owner,
                                int64_t step, const double *values, size_t n)
{
    return FAULTY_CALL(s, report, trial_id, owner, step, values, n);
}

static hps_status faulty_set_trial_attr(hps_storage *s, int64_t trial_id, const char *owner,
                                        int system, const char *key, const char *json)
{
    return FAULTY_CALL(s, set_trial_attr, trial_id, owner, system, key, json);
}

static hps_status faulty_finish_trial(hps_storage *s, int64_t trial_id,
                                      const hps_finish_req *req)
{
    return FAULTY_CALL(s, finish_trial, trial_id, req);
}

static hps_status faulty_heartbeat(hps_storage *s, const int64_t *trial_ids,
                                   const char *const *owners, size_t n, double now,
                                   unsigned char *refused)
{
    return FAULTY_CALL(s, heartbeat, trial_ids, owners, n, now, refused);
}

static hps_status faulty_list_running(hps_storage *s, int64_t study_id, hps_running_info **out,
                                      size_t *n_out)
{
    return FAULTY_CALL(s, list_running, study_id, out, n_out);
}

static hps_status faulty_sync(hps_storage *s, int64_t study_id, int64_t since, hps_sync_fn fn,
                              void *user, int64_t *seq_out)
{
    return FAULTY_CALL(s, sync, study_id, since, fn, user, seq_out);
}

static hps_status faulty_batch_begin(hps_storage *s)
{
    if (injected(s))
        return HPS_ERR_STORAGE;
    return forward(s, inner_of(s)->ops->batch_begin(inner_of(s)));
}

static hps_status faulty_batch_end(hps_storage *s, int commit)
{
    if (injected(s)) {
        /* the commit failed: whatever the batch wrote is gone */
        inner_of(s)->ops->batch_end(inner_of(s), 0);
        return HPS_ERR_STORAGE;
    }
    return forward(s, inner_of(s)->ops->batch_end(inner_of(s), commit));
}

static hps_status faulty_find_trial(hps_storage *s, int64_t study_id, int64_t number,
                                    int64_t *trial_id)
{
    return FAULTY_CALL(s, find_trial, study_id, number, trial_id);
}

static hps_status faulty_claim_position(hps_storage *s, int64_t study_id, int64_t trial_id,
                                        int64_t first, uint64_t count, int64_t *pos_out)
{
    return FAULTY_CALL(s, claim_position, study_id, trial_id, first, count, pos_out);
}

static const hps_storage_ops faulty_ops = {
    .name = "faulty",
    .close = faulty_close,
    .open_study = faulty_open_study,
    .delete_study = faulty_delete_study,
    .list_studies = faulty_list_studies,
    .set_study_attr = faulty_set_study_attr,
    .set_study_attr_once = faulty_set_study_attr_once,
    .get_study_attrs = faulty_get_study_attrs,
    .create_trial = faulty_create_trial,
    .enqueue_trial = faulty_enqueue_trial,
    .start_trial = faulty_start_trial,
    .resume_trial = faulty_resume_trial,
    .set_params = faulty_set_params,
    .report = faulty_report,
    .set_trial_attr = faulty_set_trial_attr,
    .finish_trial = faulty_finish_trial,
    .heartbeat = faulty_heartbeat,
    .list_running = faulty_list_running,
    .sync = faulty_sync,
    .batch_begin = faulty_batch_begin,
    .batch_end = faulty_batch_end,
    .find_trial = faulty_find_trial,
    .claim_position = faulty_claim_position,
};

hps_status hps_storage_wrap_faulty(hps_storage *inner, hps_storage **out, hps_errbuf *err)
{
    faulty_storage *f = hps_mem_calloc(1, sizeof *f);
    if (f == NULL) {
        hps_storage_close(inner);
        *out = NULL;
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    }
    f->base.ops = &faulty_ops;
    f->base.persistent = inner->persistent;
    f->base.rolls_back = inner->rolls_back;
    f->inner = inner;
    *out = &f->base;
    return HPS_OK;
}
