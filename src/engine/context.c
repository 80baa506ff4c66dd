/* context.c -- the plug-in context: what the engine lets its samplers and pruners see
 * of a study (directions, budget, the trial asked about) and do to it (agree on a
 * study attribute, mark the trial, read the trials and the history). */
#include "engine/history.h"
#include "engine/study.h"

#include <stdlib.h>

static const hps_engine_ctx *engine_of(const hps_context *ctx)
{
    return ctx->engine;
}

static hps_status ctx_agree(const hps_context *ctx, const char *key, const char *json,
                            char **stored, hps_errbuf *err)
{
    hps_study *study = engine_of(ctx)->study;
    hps_status rc = study->storage->ops->set_study_attr_once(study->storage, study->study_id, key,
                                                             json, stored);
    if (rc != HPS_OK)
        return hps_errbuf_set(err, rc, "%s", hps_errbuf_text(&study->storage->err));
    return HPS_OK;
}

static hps_status ctx_set_trial_attr(const hps_context *ctx, const char *key, const char *json,
                                     hps_errbuf *err)
{
    hps_trial *trial = engine_of(ctx)->trial;
    if (trial == NULL)
        return hps_errbuf_set(err, HPS_ERR_STATE, "no trial to mark");
    hps_status rc = hps_trial_set_system_attr(trial, key, json);
    if (rc != HPS_OK)
        return hps_errbuf_set(err, rc, "%s", hps_trial_errmsg(trial));
    return HPS_OK;
}

static hps_status ctx_trials(const hps_context *ctx, const hps_frozen *const **all, size_t *n,
                             hps_errbuf *err)
{
    const hps_engine_ctx *e = engine_of(ctx);
    hps_study *study = e->study;
    /* a history of this call borrows the cache's records: keep them (hps_engine_ctx) */
    hps_status rc = e->histories > 0 ? HPS_OK : hps_study_sync(study);
    if (rc != HPS_OK)
        return hps_errbuf_set(err, rc, "%s", hps_study_errmsg(study));
    *all = (const hps_frozen *const *)study->cache;
    *n = study->n_cache;
    return HPS_OK;
}

static hps_status ctx_history(const hps_context *ctx, hps_history *out, hps_errbuf *err)
{
    const hps_engine_ctx *e = engine_of(ctx);
    hps_status rc = hps_history_collect(e->study, e->trial, out);
    if (rc != HPS_OK)
        return hps_errbuf_set(err, rc, "%s", hps_study_errmsg(e->study));
    ((hps_engine_ctx *)e)->histories++; /* the engine's own record, behind the const view */
    return HPS_OK;
}

static void ctx_history_release(const hps_context *ctx, hps_history *h)
{
    hps_engine_ctx *e = (hps_engine_ctx *)engine_of(ctx);
    if (e->histories > 0)
        e->histories--;
    hps_history_clear(h);
}

static const hps_context_calls engine_calls = {
    .agree = ctx_agree,
    .set_trial_attr = ctx_set_trial_attr,
    .trials = ctx_trials,
    .history = ctx_history,
    .history_release = ctx_history_release,
};

void hps_study_context(hps_study *study, hps_trial *trial, hps_engine_ctx *out)
{
    out->study = study;
    out->trial = trial;
    out->histories = 0;
    out->ctx = (hps_context){
        .study_name = study->name,
        .directions = study->directions,
        .n_directions = study->n_directions,
        .max_trials = study->max_trials,
        .budget = study->max_trials > 0 ? study->max_trials : study->budget_hint,
        .repeats = study->repeats,
        .trial = trial != NULL ? trial->rec : NULL,
        .fixed = trial != NULL ? trial->fixed_params : NULL,
        .n_planned = trial != NULL ? trial->n_relative : 0,
        .position = trial != NULL ? trial->rec->n_params : 0,
        .priors = &study->priors,
        .calls = &engine_calls,
        .engine = out,
    };
}
