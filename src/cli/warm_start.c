/* warm_start.c -- a new study starting with an earlier study's finished trials (see
 * warm_start.h). */
#include "cli/warm_start.h"

#include "cli/cli.h"
#include "cli/space.h"
#include "base/mem.h"
#include "base/worker.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

json_t *warm_param_json(const cfg_param *p, hps_value v)
{
    double x = v.type == HPS_VALUE_INT ? (double)v.u.i : v.u.f;
    switch (v.type) {
    case HPS_VALUE_STRING:
        return json_string(v.u.s);
    case HPS_VALUE_BOOL:
        return json_boolean(v.u.b);
    case HPS_VALUE_INT:
    case HPS_VALUE_FLOAT:
        if (p->kind == CFG_INT)
            return json_integer((json_int_t)llround(x));
        if (p->kind == CFG_FLOAT)
            return json_real(x);
        return v.type == HPS_VALUE_INT ? json_integer((json_int_t)v.u.i) : json_real(v.u.f);
    default:
        return json_null();
    }
}

/* A number as hps_study_add_trial reads it: JSON has no NaN or infinities, so those go
 * as the strings it takes for them (a diverged step is kept NaN, as reported). */
static json_t *number_json(double x)
{
    if (isnan(x))
        return json_string("NaN");
    if (isinf(x))
        return json_string(x > 0 ? "Infinity" : "-Infinity");
    return json_real(x);
}

/* The old trial's intermediate values, step by step -- every objective's where it
 * reported them all (hps_trial_report_values), as a list -- so that a pruner compares
 * new trials with the old curves. NULL when out of memory. */
static json_t *curve_json(const hps_frozen *old, size_t n_objectives)
{
    json_t *curve = json_object();
    for (size_t i = 0; curve != NULL && i < hps_frozen_n_intermediate(old); i++) {
        int64_t step;
        double value, values[CFG_MAX_OBJECTIVES];
        char key[32];
        hps_frozen_intermediate(old, i, &step, &value);
        size_t n = hps_frozen_intermediate_values(old, i, values, CFG_MAX_OBJECTIVES);
        json_t *item = n > 1 && n == n_objectives ? json_array() : number_json(value);
        for (size_t k = 0; json_is_array(item) && k < n; k++)
            if (json_array_append_new(item, number_json(values[k])) != 0) {
                json_decref(item);
                item = NULL;
            }
        snprintf(key, sizeof key, "%lld", (long long)step);
        if (item == NULL || json_object_set_new(curve, key, item) != 0) {
            json_decref(curve);
            curve = NULL;
        }
    }
    return curve;
}

static json_t *values_json(const hps_frozen *old)
{
    json_t *values = json_array();
    for (size_t k = 0; values != NULL && k < hps_frozen_n_values(old); k++)
        if (json_array_append_new(values, number_json(hps_frozen_value(old, k))) != 0) {
            json_decref(values);
            values = NULL;
        }
    return values;
}

/* The old trial whole, as hps_study_add_trial takes it: COMPLETE with its values, its
 * curve, its parameters in the new space, marked with where it came from. Its own start
 * and completion times are kept (as Optuna's copy_study keeps them): its duration is
 * what that configuration cost, and the trials table and the report show it; a trial
 * recorded without them gets now. NULL when out of memory. */
static json_t *added_trial_json(const cfg_config *cfg, hps_study *study, const hps_frozen *old,
                                const json_t *params, const char *from)
{
    double start = hps_frozen_datetime_start(old), complete = hps_frozen_datetime_complete(old);
    if (!(start > 0 && complete >= start)) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        start = complete = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
    }
    return json_pack("{s:s, s:o, s:o, s:o, s:{s:{s:s, s:I}}, s:f, s:f}", "state", "COMPLETE",
                     "values", values_json(old), "params", space_added_params(cfg, study, params),
                     "intermediate_values", curve_json(old, hps_study_n_directions(study)),
                     "user_attrs", "warm_start_from", "study", from, "number",
                     (json_int_t)hps_frozen_number(old), "datetime_start", start,
                     "datetime_complete", complete);
}

int warm_add_trial(const cfg_config *cfg, hps_study *study, const hps_frozen *old,
                   const json_t *params, const char *from)
{
    json_t *trial = added_trial_json(cfg, study, old, params, from);
    char *text = trial != NULL ? json_dumps(trial, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(trial);
    if (text == NULL)
        return -1;
    /* one transaction that adds it COMPLETE: never WAITING, so no worker's ask can take
     * it (an enqueued one could be run by another worker as a new trial) */
    hps_status rc = hps_study_add_trial(study, text, NULL);
    free(text);
    return rc == HPS_OK ? 1 : -1;
}

/* Whether v is one of p's grid points (a grid suggests nothing else, so the study takes
 * nothing else). -1 when they cannot be had. */
static int on_grid_point(const cfg_param *p, hps_value v)
{
    hps_value *points = NULL;
    size_t n = 0;
    if (space_grid_values(p, &points, &n) != 0)
        return -1;
    double x = v.type == HPS_VALUE_INT ? (double)v.u.i : v.u.f;
    int found = 0;
    for (size_t k = 0; k < n && !found; k++)
        found = (points[k].type == HPS_VALUE_INT ? (double)points[k].u.i : points[k].u.f) == x;
    space_free_values(points, n);
    return found;
}

warm_misfit warm_map_trial(const cfg_config *cfg, const hps_frozen *old, json_t **params,
                           size_t *which)
{
    size_t n = cfg->n_params;
    size_t *order = calloc(n + 1, sizeof *order);
    hps_value *values = calloc(n + 1, sizeof *values);
    unsigned char *state = calloc(n + 1, 1);
    json_t *obj = json_object();
    warm_misfit why = WARM_FITS;
    if (order == NULL || values == NULL || state == NULL || obj == NULL) {
        why = WARM_MISSING; /* out of memory: leave it out */
        *which = 0;
        goto out;
    }
    cfg_condition_order(cfg, order);
    int grid = space_on_grid(cfg);
    for (size_t o = 0; o < n && why == WARM_FITS; o++) {
        size_t i = order[o];
        const cfg_param *p = &cfg->params[i];
        if (!cfg_param_active(cfg, i, values, state)) {
            state[i] = CFG_INACTIVE;
            continue;
        }
        long idx = hps_frozen_param_index(old, p->name);
        hps_value v;
        if (idx >= 0)
            v = hps_frozen_param_value(old, (size_t)idx);
        else if (p->kind == CFG_CONSTANT)
            v = p->values[0];
        else if (p->has_default)
            v = p->dflt;
        else
            why = WARM_MISSING;
        if (why == WARM_FITS && !cfg_param_holds(p, v))
            why = WARM_OUTSIDE;
        /* a range on a grid is its points (listed values are checked above) */
        if (why == WARM_FITS && grid && (p->kind == CFG_INT || p->kind == CFG_FLOAT) &&
            p->n_values == 0 && on_grid_point(p, v) != 1)
            why = WARM_OFF_GRID;
        if (why != WARM_FITS) {
            *which = i;
            break;
        }
        state[i] = CFG_ACTIVE;
        values[i] = v;
        json_object_set_new(obj, p->name, warm_param_json(p, v));
    }
out:
    free(order);
    free(values);
    free(state);
    if (why == WARM_FITS)
        *params = obj;
    else
        json_decref(obj);
    return why;
}

/* ---- the config's warm_start --------------------------------------------------------- */

static const char *source_url(const cfg_config *cfg)
{
    return cfg->warm_storage != NULL ? cfg->warm_storage : cfg->storage;
}

int warm_check_source(const cfg_config *cfg)
{
    if (cfg->warm_from == NULL)
        return 0;
    char shown[512], err[1024], at[CFG_WHERE_SIZE];
    const char *where = cfg_where(cfg, cfg->warm_line, at, sizeof at);
    cli_shown_url(source_url(cfg), shown, sizeof shown);
    if (strcmp(cfg->warm_from, cfg->study_name) == 0 && strcmp(source_url(cfg), cfg->storage) == 0) {
        cli_error("%s: warm_start.from: '%s' is this config's own study; name an earlier "
                  "study", where, cfg->warm_from);
        return CLI_EXIT_USAGE;
    }
    hps_study *source = NULL;
    hps_status rc = hps_study_open(source_url(cfg), cfg->warm_from, HPS_OPEN_LOAD, NULL, 0,
                                   &source, err, sizeof err);
    if (rc != HPS_OK) {
        if (rc == HPS_ERR_NOTFOUND)
            cli_error("%s: warm_start: no study '%s' in %s (`hpsearch studies --storage "
                      "%s` lists them)", where, cfg->warm_from, shown, shown);
        else
            cli_error("%s: warm_start: study '%s' in %s: %s", where,
                      cfg->warm_from, shown, err);
        return rc == HPS_ERR_NOMEM ? CLI_EXIT_FAILED : CLI_EXIT_USAGE;
    }
    hps_direction dirs[CFG_MAX_OBJECTIVES];
    size_t n = cfg_directions(cfg, dirs);
    int same = hps_study_n_directions(source) == n;
    for (size_t k = 0; same && k < n; k++)
        same = hps_study_direction(source, k) == dirs[k];
    size_t n_source = hps_study_n_directions(source);
    hps_study_close(source);
    if (!same) {
        cli_error("%s: warm_start: study '%s' %s %zu objective%s in other directions than "
                  "this config's: its values would mislead the sampler",
                  where, cfg->warm_from, n_source == n ? "has its" : "has",
                  n_source, n_source == 1 ? "" : "s");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* "9 outside lr's range, 4 without `width`, 2 off x's grid points" */
static void describe_left_out(const cfg_config *cfg, const size_t *outside, const size_t *missing,
                              char *buf, size_t size)
{
    size_t used = 0;
    int grid = space_on_grid(cfg);
    buf[0] = '\0';
    for (size_t i = 0; i < cfg->n_params && used < size; i++) {
        const cfg_param *p = &cfg->params[i];
        int listed = p->kind == CFG_CATEGORICAL || p->kind == CFG_CONSTANT || p->n_values > 0;
        /* on a grid a range is its points: a value outside it is off them too */
        const char *where = listed ? "outside" : grid ? "off" : "outside";
        const char *what = listed ? "values" : grid ? "grid points" : "range";
        if (outside[i] > 0)
            used += (size_t)snprintf(buf + used, size - used, "%s%zu %s %s's %s",
                                     used > 0 ? ", " : "", outside[i], where, p->name, what);
        if (missing[i] > 0 && used < size)
            used += (size_t)snprintf(buf + used, size - used, "%s%zu without `%s`",
                                     used > 0 ? ", " : "", missing[i], p->name);
    }
}

/* Records how many trials the warm start adds, and whether they are all in: a warm
 * start cut short (a storage error, a crash) leaves "complete": false, and the next run
 * adds the rest (warm_resume_needed). */
static int record_added(hps_study *study, const char *from, size_t added, int complete)
{
    /* who adds them, while they go in: a run that finds the warm start cut short
     * finishes it only when that process is gone, not while it is still adding */
    char *self = complete ? NULL : hps_worker_self_id();
    json_t *attr = json_pack("{s:s, s:I, s:b}", "from", from, "added", (json_int_t)added,
                             "complete", complete);
    if (attr != NULL && self != NULL && json_object_set_new(attr, "by", json_string(self)) != 0) {
        json_decref(attr);
        attr = NULL;
    }
    hps_mem_free(self);
    char *text = attr != NULL ? json_dumps(attr, JSON_COMPACT) : NULL;
    json_decref(attr);
    int rc = text != NULL && hps_study_set_system_attr(study, "warm_start", text) == HPS_OK ? 0 : -1;
    free(text);
    return rc;
}

int warm_origin(const hps_frozen *t, const char *from, int64_t *number)
{
    if (hps_frozen_state(t) != HPS_COMPLETE)
        return 0;
    json_t *attrs = json_loads(hps_frozen_user_attrs(t), 0, NULL);
    json_t *origin = json_object_get(attrs, "warm_start_from");
    const char *study_name = json_string_value(json_object_get(origin, "study"));
    json_t *old = json_object_get(origin, "number");
    int added = study_name != NULL && strcmp(study_name, from) == 0 && json_is_integer(old) &&
                json_integer_value(old) >= 0;
    if (added)
        *number = (int64_t)json_integer_value(old);
    json_decref(attrs);
    return added;
}

int warm_count_added_from(hps_study *study, const char *from, size_t *next, size_t *count,
                          unsigned char *taken, size_t n_source)
{
    size_t n = 0;
    if (hps_study_n_trials(study, &n) != HPS_OK)
        return -1;
    for (; *next < n; (*next)++) {
        const hps_frozen *t;
        int64_t number;
        hps_status rc = hps_study_trial(study, (int64_t)*next, &t);
        if (rc == HPS_ERR_NOTFOUND)
            return 0;
        if (rc != HPS_OK)
            return -1;
        if (!warm_origin(t, from, &number))
            continue;
        (*count)++;
        if (taken != NULL && (size_t)number < n_source)
            taken[number] = 1;
    }
    return 1;
}

/* Adds the fitting trials of `source` to `study` (NULL: only counts them), but those
 * `taken` marks (may be NULL); counts the complete ones and why the others were left
 * out. */
static int add_fitting(const cfg_config *cfg, hps_study *study, hps_study *source,
                       const unsigned char *taken, size_t *n_complete, size_t *added,
                       size_t *outside, size_t *missing)
{
    size_t n = 0;
    if (hps_study_n_trials(source, &n) != HPS_OK)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *old;
        if (hps_study_trial(source, (int64_t)i, &old) != HPS_OK ||
            hps_frozen_state(old) != HPS_COMPLETE || hps_frozen_n_values(old) != cfg->n_objectives)
            continue;
        (*n_complete)++;
        json_t *params = NULL;
        size_t which = 0;
        warm_misfit why = warm_map_trial(cfg, old, &params, &which);
        if (why != WARM_FITS) {
            (why == WARM_MISSING ? missing : outside)[which]++; /* off the grid: outside */
            continue;
        }
        if (taken != NULL && taken[i]) { /* added by the warm start that was cut short */
            json_decref(params);
            continue;
        }
        int rc = study != NULL ? warm_add_trial(cfg, study, old, params, cfg->warm_from) : 1;
        json_decref(params);
        if (rc < 0)
            return -1;
        *added += (size_t)rc;
    }
    return 0;
}

int warm_reserve(const cfg_config *cfg, hps_study *study)
{
    size_t fit = 0, n_complete = 0;
    if (cfg->warm_from == NULL || warm_count(cfg, &fit, &n_complete) != 0)
        return 0; /* warm_seed says what is wrong */
    if (record_added(study, cfg->warm_from, fit, 0) == 0)
        return 0;
    char at[CFG_WHERE_SIZE];
    cli_error("%s: warm_start: cannot record it in the study: %s",
              cfg_where(cfg, cfg->warm_line, at, sizeof at),
              hps_study_errmsg(study));
    return -1;
}

int warm_seed(const cfg_config *cfg, hps_study *study)
{
    if (cfg->warm_from == NULL)
        return 0;
    char err[1024], text[64], at[CFG_WHERE_SIZE];
    const char *where = cfg_where(cfg, cfg->warm_line, at, sizeof at);
    hps_study *source = NULL;
    if (hps_study_open(source_url(cfg), cfg->warm_from, HPS_OPEN_LOAD, NULL, 0, &source, err,
                       sizeof err) != HPS_OK) {
        cli_error("%s: warm_start: study '%s': %s", where, cfg->warm_from,
                  err);
        return CLI_EXIT_FAILED;
    }
    size_t n_source = 0;
    hps_status got = hps_study_n_trials(source, &n_source);
    size_t *outside = calloc(cfg->n_params + 1, sizeof *outside);
    size_t *missing = calloc(cfg->n_params + 1, sizeof *missing);
    /* taken: the old trials the study holds already, added by an earlier warm start
     * that was cut short (held: those and their duplicates) */
    unsigned char *taken = calloc(n_source + 1, 1);
    size_t n_complete = 0, added = 0, n_taken = 0, scanned = 0, held = 0;
    /* a trial number this handle does not hold (warm_count_added_from returns 0) is an
     * error here as well: the trials it has not looked at could be old ones */
    int rc = got == HPS_OK && outside != NULL && missing != NULL && taken != NULL &&
                     warm_count_added_from(study, cfg->warm_from, &scanned, &held, taken,
                                           n_source) == 1
                 ? add_fitting(cfg, study, source, taken, &n_complete, &added, outside, missing)
                 : -1;
    for (size_t k = 0; taken != NULL && k < n_source; k++)
        n_taken += taken[k];
    /* the added trials are no part of the budget (hps_study_add_trial adds them whatever
     * it says, and they count against it): n_trials new ones besides those the study
     * holds -- duplicates too (added by runs of earlier versions that resumed a warm
     * start together), so that they never take the place of new trials. Counted before
     * the record says complete: a failure after it would leave nothing to resume. Held
     * now: those counted before adding and those this call added, without reading the
     * study again (one sync a trial on PostgreSQL). Old trials another process adds in
     * between -- only a run of an earlier version could, resuming without a claim
     * (claim_resume) -- are missed here, as they were when counted after adding but
     * before that run's next one. The asks correct it for the old trials that are in
     * by the time they count: each run's asks count the old trials again
     * (warm_budget_ask; this run's first one from trial 0, once the record says
     * complete) and set max_trials from what they find. A duplicate that lands after a
     * worker's asks have settled (its last ask done) is not counted by that worker, and
     * may still take the place of a new trial. */
    held += added;
    added += n_taken;
    if (rc == 0)
        rc = record_added(study, cfg->warm_from, added, 1);
    snprintf(text, sizeof text, "%llu",
             cfg->n_trials > 0 ? (unsigned long long)(cfg->n_trials + held) : 0ULL);
    if (rc == 0 && hps_study_set(study, "max_trials", text) != HPS_OK)
        rc = -1;
    if (rc != 0) {
        cli_error("%s: warm_start from study '%s': %s (the next run adds the rest)",
                  where, cfg->warm_from,
                  got != HPS_OK ? hps_study_errmsg(source) : hps_study_errmsg(study));
    } else {
        char left[1024];
        describe_left_out(cfg, outside, missing, left, sizeof left);
        fprintf(stderr, "hpsearch: warm start: %zu of %zu trials of %s fit the space", added,
                n_complete, cfg->warm_from);
        if (added < n_complete)
            fprintf(stderr, "; %zu left out: %s", n_complete - added, left);
        if (n_taken > 0)
            fprintf(stderr, " (%zu of them added by the run that was cut short)", n_taken);
        fputc('\n', stderr);
    }
    free(outside);
    free(missing);
    free(taken);
    hps_study_close(source);
    return rc == 0 ? 0 : CLI_EXIT_FAILED;
}

/* The warm start record's "by" and "added" when it is cut short ("complete": false);
 * by is NULL otherwise (and for records that name nobody). `root` keeps them. */
static json_t *read_cut_short(hps_study *study, const char **from, const char **by,
                              json_int_t *added)
{
    const char *attrs = NULL;
    *from = *by = NULL;
    *added = 0;
    if (hps_study_system_attrs(study, &attrs) != HPS_OK || attrs == NULL)
        return NULL;
    json_t *root = json_loads(attrs, 0, NULL);
    json_t *warm = json_object_get(root, "warm_start");
    *from = json_string_value(json_object_get(warm, "from"));
    /* studies of earlier versions recorded no "complete": theirs are */
    if (json_is_false(json_object_get(warm, "complete")))
        *by = json_string_value(json_object_get(warm, "by"));
    *added = json_integer_value(json_object_get(warm, "added"));
    return root;
}

/* Claims finishing the warm start that the dead process `dead` cut short, so that of
 * several runs finding it at once exactly one adds the missing trials: the others would
 * add them too. The storage has no compare-and-set, but creating a study is one
 * transaction that exactly one of several processes wins (open_run_study relies on it
 * too): the claim is creating the study "<study>.warm-resume.<dead>". Its winner
 * rewrites "by" to itself -- from then on every run sees a live process adding the
 * trials -- and deletes it again. A run that creates it after that deletion reads "by"
 * again, finds it no longer names `dead`, and lets it be. 1 when this run claimed it. */
static int claim_resume(const cfg_config *cfg, hps_study *study, const char *dead)
{
    char name[1024], err[1024];
    snprintf(name, sizeof name, "%s.warm-resume.%s", cfg->study_name, dead);
    hps_direction dir = hps_study_direction(study, 0);
    hps_study *marker = NULL;
    hps_status rc = hps_study_open(cfg->storage, name, HPS_OPEN_CREATE, &dir, 1, &marker, err,
                                   sizeof err);
    if (rc == HPS_ERR_EXISTS)
        return 0; /* another run claimed it: it is adding the trials */
    if (rc != HPS_OK) {
        cli_warn("study '%s': cannot claim finishing its warm start: %s", cfg->study_name, err);
        return 0;
    }
    hps_study_close(marker);
    const char *from, *by;
    json_int_t added;
    json_t *root = read_cut_short(study, &from, &by, &added);
    int ours = by != NULL && strcmp(by, dead) == 0 && from != NULL &&
               record_added(study, from, added > 0 ? (size_t)added : 0, 0) == 0;
    json_decref(root);
    /* a crash between creating the marker and rewriting "by" leaves both behind: that
     * warm start then stays cut short (the next run's warning says nothing of it) */
    hps_study_delete(cfg->storage, name, NULL, 0);
    return ours;
}

int warm_resume_needed(const cfg_config *cfg, hps_study *study)
{
    const char *from, *by;
    json_int_t added;
    json_t *root = read_cut_short(study, &from, &by, &added);
    int gone = by != NULL && hps_worker_is_dead_local(by);
    int ours = gone && cfg->warm_from != NULL && from != NULL &&
               strcmp(from, cfg->warm_from) == 0;
    if (gone && !ours)
        cli_warn("study '%s': its warm start from '%s' was cut short, and this config does not "
                 "warm-start from that study: the rest is not added", cfg->study_name,
                 from != NULL ? from : "?");
    int resume = ours && claim_resume(cfg, study, by);
    json_decref(root);
    return resume;
}

int warm_count(const cfg_config *cfg, size_t *fit, size_t *n_complete)
{
    *fit = *n_complete = 0;
    hps_study *source = NULL;
    char err[1024];
    if (cfg->warm_from == NULL || hps_study_open(source_url(cfg), cfg->warm_from, HPS_OPEN_LOAD,
                                                 NULL, 0, &source, err, sizeof err) != HPS_OK)
        return -1;
    size_t *outside = calloc(cfg->n_params + 1, sizeof *outside);
    size_t *missing = calloc(cfg->n_params + 1, sizeof *missing);
    int rc = outside != NULL && missing != NULL
                 ? add_fitting(cfg, NULL, source, NULL, n_complete, fit, outside, missing)
                 : -1;
    free(outside);
    free(missing);
    hps_study_close(source);
    return rc;
}

size_t warm_added(hps_study *study)
{
    const char *attrs = NULL;
    if (hps_study_system_attrs(study, &attrs) != HPS_OK || attrs == NULL)
        return 0;
    json_t *root = json_loads(attrs, 0, NULL);
    json_t *added = json_object_get(json_object_get(root, "warm_start"), "added");
    size_t n = json_is_integer(added) && json_integer_value(added) > 0
                   ? (size_t)json_integer_value(added)
                   : 0;
    json_decref(root);
    return n;
}

size_t warm_trials_in(hps_study *study)
{
    size_t n = 0, count = 0;
    if (hps_study_n_trials(study, &n) != HPS_OK)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *t;
        if (hps_study_trial(study, (int64_t)i, &t) != HPS_OK || hps_frozen_state(t) != HPS_COMPLETE)
            continue;
        json_t *attrs = json_loads(hps_frozen_user_attrs(t), 0, NULL);
        json_t *origin = json_object_get(attrs, "warm_start_from");
        count += json_is_string(json_object_get(origin, "study"));
        json_decref(attrs);
    }
    return count;
}

int warm_report_space_change(const cfg_config *cfg, hps_study *study, int version)
{
    size_t *outside = calloc(cfg->n_params + 1, sizeof *outside);
    size_t *missing = calloc(cfg->n_params + 1, sizeof *missing);
    size_t n_complete = 0, fit = 0;
    int rc = outside != NULL && missing != NULL
                 ? add_fitting(cfg, NULL, study, NULL, &n_complete, &fit, outside, missing)
                 : -1;
    if (rc == 0) {
        char left[1024];
        describe_left_out(cfg, outside, missing, left, sizeof left);
        fprintf(stderr, "hpsearch: space version %d: %zu of %zu COMPLETE trials fit it and stay "
                "in the samplers' model", version, fit, n_complete);
        if (fit < n_complete)
            fprintf(stderr, "; %zu left out: %s", n_complete - fit, left);
        fputc('\n', stderr);
    }
    free(outside);
    free(missing);
    return 0;
}

/* CMA-ES fits its first run to the best tenth of the source trials (cmaes.c), so it
 * needs ten of them. */
#define WARM_CMAES_MIN_TRIALS 10

int warm_cmaes_source(const cfg_config *cfg, char **out)
{
    *out = NULL;
    hps_study *source = NULL;
    char err[1024];
    if (hps_study_open(source_url(cfg), cfg->warm_from, HPS_OPEN_LOAD, NULL, 0, &source, err,
                       sizeof err) != HPS_OK)
        return 0; /* warm_seed and warm_check_source say what is wrong */
    size_t n = 0;
    json_t *list = json_array();
    int rc = list != NULL && hps_study_n_trials(source, &n) == HPS_OK ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const hps_frozen *old;
        json_t *params = NULL;
        size_t which;
        if (hps_study_trial(source, (int64_t)i, &old) != HPS_OK ||
            hps_frozen_state(old) != HPS_COMPLETE || hps_frozen_n_values(old) < 1 ||
            warm_map_trial(cfg, old, &params, &which) != WARM_FITS)
            continue;
        json_t *item = json_pack("{s:o, s:f}", "params", params, "value",
                                 hps_frozen_value(old, 0));
        if (item == NULL || json_array_append_new(list, item) != 0)
            rc = -1;
    }
    size_t usable = list != NULL ? json_array_size(list) : 0;
    if (rc == 0 && usable >= WARM_CMAES_MIN_TRIALS) {
        *out = json_dumps(list, JSON_COMPACT | JSON_REAL_PRECISION(17));
        rc = *out != NULL ? 1 : -1;
    } else if (rc == 0) {
        fprintf(stderr, "hpsearch: warm start: CMA-ES starts as usual: fitting its first run "
                "to the old trials needs %d that fit the space, and %s has %zu\n",
                WARM_CMAES_MIN_TRIALS, cfg->warm_from, usable);
    }
    json_decref(list);
    hps_study_close(source);
    return rc;
}
