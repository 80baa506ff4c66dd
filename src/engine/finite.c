/* finite.c -- a finite search space is never run twice over.
 *
 * When the study's space is finite -- declared with hps_study_declare_space and every
 * parameter discrete, or a grid sampler's grid -- each configuration runs `repeats`
 * times (default once) across all workers, and then the study is done:
 *   - a grid claims positions in order (create_trial); a configuration enqueued into a
 *     grid study takes its cell's position, so the grid does not run it again;
 *   - any other sampler proposes a configuration as usual; if every run of it is
 *     already held, the nearest configuration with a free run replaces it (the model's
 *     proposal, moved as little as possible), and the position is claimed atomically.
 * Interrupted trials give their position back; re-queued retries keep it. */
#include "engine/cells.h"
#include "base/mem.h"
#include "base/value.h"
#include "engine/study.h"
#include "samplers/sampler.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Whether a record holds its position: interrupted trials give it back. */
static int64_t held_position(const hps_frozen *rec)
{
    if (rec == NULL || rec->grid_pos < 0 || (rec->state == HPS_FAIL && rec->interrupted))
        return -1;
    return rec->grid_pos;
}

int hps_finite_track(hps_study *study, const hps_frozen *old, const hps_frozen *rec)
{
    int64_t was = held_position(old), now = held_position(rec);
    study->n_waiting_cached += (rec != NULL && rec->state == HPS_WAITING) -
                               (old != NULL && old->state == HPS_WAITING);
    if (was == now)
        return 0;
    if (hps_posmap_add(&study->held, now, +1) != 0)
        return -1;
    hps_posmap_add(&study->held, was, -1);
    return 0;
}

static int declared_finite(const hps_study *study)
{
    return study->declared.total > 0 && study->sampler->ops->grid_cells == NULL;
}

uint64_t hps_finite_configurations(const hps_study *study)
{
    if (study->sampler->ops->grid_cells != NULL)
        return study->sampler->ops->grid_cells(study->sampler);
    return study->declared.total;
}

/* Every run of every configuration is held. */
static int exhausted(const hps_study *study)
{
    uint64_t positions = study->declared.total * study->repeats;
    if (study->held.used < positions)
        return 0;
    for (uint64_t p = 0; p < positions; p++)
        if (hps_posmap_count(&study->held, (int64_t)p) == 0)
            return 0;
    return 1;
}

static hps_status done(hps_study *study)
{
    uint64_t n = study->declared.total;
    if (study->repeats > 1)
        return hps_errbuf_set(&study->err, HPS_DONE,
                              "all %llu configurations of the search space have run %u times",
                              (unsigned long long)n, study->repeats);
    return hps_errbuf_set(&study->err, HPS_DONE,
                          "all %llu configurations of the search space have run",
                          (unsigned long long)n);
}

hps_status hps_finite_before_create(hps_study *study)
{
    if (!declared_finite(study))
        return HPS_OK;
    hps_status rc = hps_study_sync(study);
    if (rc != HPS_OK)
        return rc;
    /* re-queued retries still run once everything else has */
    if (study->n_waiting_cached == 0 && exhausted(study))
        return done(study);
    return HPS_OK;
}

/* The trial's value of declared parameter i, as it will be suggested: fixed (enqueued,
 * retried), from the joint sample, or drawn now by the sampler. */
static hps_status proposed_value(hps_study *study, hps_trial *trial, size_t i, int *fixed,
                                 double *out)
{
    const char *name = study->declared.names[i];
    const hps_dist *dist = &study->declared.dists[i];
    hps_status rc = hps_trial_fixed_value(trial, name, dist, fixed, out);
    if (rc != HPS_OK || *fixed)
        return rc;
    for (size_t k = 0; k < trial->n_relative; k++) {
        if (strcmp(trial->relative[k].name, name) == 0 &&
            hps_dist_equal(&trial->relative[k].dist, dist)) {
            *out = trial->relative[k].internal;
            return HPS_OK;
        }
    }
    hps_engine_ctx e;
    hps_study_context(study, trial, &e);
    e.ctx.position = i; /* the declared order is the order the trial will suggest in */
    rc = study->sampler->ops->sample(study->sampler, &e.ctx, name, dist, out);
    if (rc != HPS_OK)
        return hps_errbuf_set(&study->err, rc, "sampler '%s': %s", study->sampler->ops->name,
                              hps_errbuf_text(&study->sampler->err));
    if (!hps_dist_contains(dist, *out))
        *out = hps_dist_snap(dist, *out);
    return HPS_OK;
}

/* Makes the trial's joint sample hold `values` for every declared parameter. */
static hps_status pin_values(hps_study *study, hps_trial *trial, const double *values)
{
    const hps_cells *c = &study->declared;
    for (size_t i = 0; i < c->n; i++) {
        size_t k = 0;
        while (k < trial->n_relative && strcmp(trial->relative[k].name, c->names[i]) != 0)
            k++;
        if (k == trial->n_relative) {
            void *items = trial->relative;
            size_t cap = trial->n_relative;
            if (hps_mem_grow(&items, &cap, trial->n_relative + 1, sizeof *trial->relative) != 0)
                return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
            trial->relative = items;
            hps_param_rec *p = &trial->relative[k];
            memset(p, 0, sizeof *p);
            p->name = hps_mem_strdup(c->names[i]);
            if (p->name == NULL || hps_dist_copy(&p->dist, &c->dists[i]) != 0) {
                hps_mem_free(p->name);
                return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
            }
            trial->n_relative++;
        } else if (!hps_dist_equal(&trial->relative[k].dist, &c->dists[i])) {
            hps_dist replacement;
            if (hps_dist_copy(&replacement, &c->dists[i]) != 0)
                return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
            hps_dist_clear(&trial->relative[k].dist);
            trial->relative[k].dist = replacement;
        }
        trial->relative[k].internal = values[i];
    }
    return HPS_OK;
}

static hps_status claim(hps_study *study, hps_trial *trial, int64_t first, uint64_t count)
{
    int64_t pos = -1;
    hps_status rc = study->storage->ops->claim_position(study->storage, study->study_id,
                                                        trial->rec->id, first, count, &pos);
    if (rc == HPS_OK)
        trial->rec->grid_pos = pos;
    return rc;
}

/* An enqueued configuration in a grid study takes its cell's position; one the grid
 * does not contain, or whose runs are all held, runs as asked without one. */
static hps_status settle_enqueued_grid(hps_study *study, hps_trial *trial)
{
    const hps_sampler_ops *ops = study->sampler->ops;
    int64_t slot = ops->grid_slot != NULL ? ops->grid_slot(study->sampler, trial->fixed_params) : -1;
    if (slot < 0)
        return HPS_OK;
    hps_status rc = claim(study, trial, slot * (int64_t)study->repeats, study->repeats);
    return rc == HPS_ERR_EXISTS ? HPS_OK : rc;
}

/* The grid slot of an added trial's configuration: its parameters as an enqueued
 * trial's fixed values {"name": value}. -1 when it is no cell (or out of memory: then
 * it holds no position, as a configuration outside the grid). */
static int64_t added_grid_slot(hps_study *study, const hps_frozen *rec)
{
    json_t *fixed = json_object();
    for (size_t i = 0; fixed != NULL && i < rec->n_params; i++) {
        const hps_param_rec *p = &rec->params[i];
        hps_value v = hps_dist_external(&p->dist, p->internal);
        if (json_object_set_new(fixed, p->name, hps_value_to_json(&v)) != 0) {
            json_decref(fixed);
            fixed = NULL;
        }
    }
    int64_t slot = fixed != NULL ? study->sampler->ops->grid_slot(study->sampler, fixed) : -1;
    json_decref(fixed);
    return slot;
}

/* The declared cell of an added trial's configuration, or -1: every declared parameter
 * must be there, with the declared distribution (an internal value means nothing under
 * another). */
static int64_t added_declared_cell(hps_study *study, const hps_frozen *rec)
{
    const hps_cells *c = &study->declared;
    double *values = hps_mem_calloc(c->n, sizeof *values);
    int64_t cell = values != NULL ? 0 : -1;
    for (size_t i = 0; cell == 0 && i < c->n; i++) {
        const hps_param_rec *p = hps_rec_find_param(rec, c->names[i]);
        if (p == NULL || !hps_dist_equal(&p->dist, &c->dists[i]))
            cell = -1;
        else
            values[i] = p->internal;
    }
    if (cell == 0)
        cell = hps_cells_index(c, values);
    hps_mem_free(values);
    return cell;
}

hps_status hps_finite_claim_added(hps_study *study, const hps_frozen *rec, int64_t trial_id)
{
    int64_t cell = -1;
    if (study->sampler->ops->grid_cells != NULL && study->sampler->ops->grid_slot != NULL)
        cell = added_grid_slot(study, rec);
    else if (declared_finite(study))
        cell = added_declared_cell(study, rec);
    if (cell < 0)
        return HPS_OK;
    /* a refused claim would fail the whole batch: claim only when the cache (synced
     * just before it, hps_study_add_trial) shows a free run; one taken since then is
     * HPS_ERR_EXISTS, and the caller syncs and tries again */
    uint64_t free_runs = 0;
    for (uint64_t r = 0; r < study->repeats; r++)
        free_runs += hps_posmap_count(&study->held, cell * (int64_t)study->repeats + (int64_t)r) == 0;
    if (free_runs == 0)
        return HPS_OK; /* every run held: added all the same, holding none */
    int64_t pos = -1;
    hps_storage *s = study->storage;
    hps_status rc = s->ops->claim_position(s, study->study_id, trial_id,
                                           cell * (int64_t)study->repeats, study->repeats, &pos);
    /* Where a failed batch would keep what it wrote so far (memory), the trial is in:
     * added all the same, holding none, as above. There one process holds the study and
     * the cache was current, so no other worker can have taken the run meanwhile. */
    if (rc == HPS_ERR_EXISTS && !s->rolls_back)
        rc = HPS_OK;
    return rc;
}

static hps_status give_up(hps_study *study, hps_trial *trial)
{
    hps_trial_interrupt(trial, "not run: the last configurations of the finite search space "
                               "were taken by other workers");
    return done(study);
}

hps_status hps_finite_settle(hps_study *study, hps_trial *trial)
{
    /* a re-queued retry continues its configuration, with its position */
    if (trial->rec->grid_pos >= 0 || json_object_get(trial->rec->system_attrs, "retry_of") != NULL)
        return HPS_OK;
    if (study->sampler->ops->grid_cells != NULL)
        return trial->fixed_params != NULL ? settle_enqueued_grid(study, trial) : HPS_OK;
    if (!declared_finite(study))
        return HPS_OK;
    const hps_cells *c = &study->declared;
    double *values = hps_mem_calloc(c->n, sizeof *values);
    if (values == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
    int any_fixed = 0;
    hps_status rc = HPS_OK;
    for (size_t i = 0; rc == HPS_OK && i < c->n; i++) {
        int fixed = 0;
        rc = proposed_value(study, trial, i, &fixed, &values[i]);
        any_fixed |= fixed;
    }
    int64_t cell = rc == HPS_OK ? hps_cells_index(c, values) : -1;
    if (rc != HPS_OK || cell < 0)
        goto out; /* not a configuration of the declared space: nothing to claim */
    if (any_fixed) {
        /* asked for explicitly: it runs, holding a free run of its configuration if any */
        rc = claim(study, trial, cell * (int64_t)study->repeats, study->repeats);
        if (rc == HPS_ERR_EXISTS)
            rc = HPS_OK;
        goto out;
    }
    /* Each refused claim means another worker holds the cell now; the next sync shows
     * it. Each round removes a cell, so this ends. */
    for (uint64_t round = 0; round <= c->total; round++) {
        rc = hps_study_sync(study);
        if (rc != HPS_OK)
            goto out;
        uint64_t seed = study->sampler->seed ^ ((uint64_t)trial->rec->number * 0x9e3779b97f4a7c15ULL);
        int64_t free_cell = hps_cells_nearest_free(c, (uint64_t)cell, &study->held, study->repeats,
                                                   seed);
        if (free_cell < 0) {
            rc = give_up(study, trial);
            goto out;
        }
        rc = claim(study, trial, free_cell * (int64_t)study->repeats, study->repeats);
        if (rc == HPS_ERR_EXISTS)
            continue;
        if (rc != HPS_OK) {
            hps_errbuf_set(&study->err, rc, "%s", hps_errbuf_text(&study->storage->err));
            goto out;
        }
        if (free_cell != cell)
            hps_cells_values(c, (uint64_t)free_cell, values);
        rc = pin_values(study, trial, values);
        goto out;
    }
    rc = give_up(study, trial);
out:
    hps_mem_free(values);
    return rc;
}
