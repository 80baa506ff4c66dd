/* add_trial.c -- hps_study_add_trial: a whole trial made elsewhere (copied from another
 * study, restored from a saved one, evaluated by hand) becomes the study's next trial.
 *
 * The trial is read from JSON into a record, checked as a told trial would be, and
 * written in one batch of the storage's ordinary writes: enqueued (which numbers and
 * counts it), started at its own start time, given its parameters and intermediate
 * values, then finished at its own completion time. Other workers see all of it or none
 * of it, and never run it: it is not WAITING when the batch commits (unless it was
 * added WAITING). In a grid or finite declared space it holds its configuration's cell
 * (finite.c), as an enqueued trial does once asked. */
#include "engine/study.h"

#include "base/mem.h"
#include "base/utf8.h"
#include "base/value.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ADD_MAX_NAME 1024
/* Claims of a finite space's cell lost to other workers before the add gives up. */
#define ADD_CLAIM_ATTEMPTS 8

typedef struct added {
    hps_frozen *rec;     /* state, values, params, intermediate values, times */
    char *system_attrs;  /* JSON text, for the enqueue; NULL when none */
    const json_t *user;  /* borrowed from the parsed document */
} added;

static hps_status invalid(hps_study *study, const char *what)
{
    return hps_errbuf_set(&study->err, HPS_ERR_INVALID, "added trial: %s", what);
}

/* A number, or one of the strings "NaN", "Infinity", "-Infinity" (JSON has no
 * non-finite numbers; Python writes them so). */
static int read_double(const json_t *node, double *out)
{
    if (json_is_number(node)) {
        *out = json_number_value(node);
        return 0;
    }
    const char *text = json_string_value(node);
    if (text == NULL)
        return -1;
    if (strcmp(text, "NaN") == 0)
        *out = NAN;
    else if (strcmp(text, "Infinity") == 0)
        *out = INFINITY;
    else if (strcmp(text, "-Infinity") == 0)
        *out = -INFINITY;
    else
        return -1;
    return 0;
}

/* A time in seconds since the epoch, or 0 for null or absent. */
static int read_time(const json_t *node, double *out)
{
    *out = 0;
    if (node == NULL || json_is_null(node))
        return 0;
    if (!json_is_number(node) || !(json_number_value(node) > 0))
        return -1;
    *out = json_number_value(node);
    return 0;
}

static hps_status read_values(hps_study *study, const json_t *node, hps_frozen *rec)
{
    if (node == NULL)
        return HPS_OK;
    size_t n = json_array_size(node);
    if (!json_is_array(node) || n > study->n_directions)
        return invalid(study, "\"values\" must be an array of at most one number per objective");
    double values[64];
    for (size_t i = 0; i < n; i++)
        if (read_double(json_array_get(node, i), &values[i]) != 0)
            return invalid(study, "\"values\" holds something that is not a number");
    return hps_rec_set_values(rec, values, n) == 0
               ? HPS_OK
               : hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
}

/* One parameter {"name", "distribution", "value"}: its value must be one of the
 * distribution's. */
static hps_status read_param(hps_study *study, const json_t *node, hps_frozen *rec)
{
    const char *name = json_string_value(json_object_get(node, "name"));
    if (name == NULL || name[0] == '\0' || strlen(name) > ADD_MAX_NAME || !hps_utf8_valid(name))
        return invalid(study, "a parameter needs a \"name\" (non-empty UTF-8 text)");
    if (hps_rec_find_param(rec, name) != NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                              "added trial: parameter '%s' is given twice", name);
    hps_dist dist;
    hps_status rc = hps_dist_from_json_node(&dist, name, json_object_get(node, "distribution"),
                                            &study->err);
    if (rc != HPS_OK)
        return rc == HPS_ERR_CORRUPT ? HPS_ERR_INVALID : rc;
    hps_value value;
    double internal;
    const json_t *value_node = json_object_get(node, "value");
    if (value_node == NULL || hps_value_from_json(value_node, &value) != 0 ||
        hps_dist_internal_of(&dist, &value, &internal) != 0) {
        hps_dist_clear(&dist);
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                              "added trial: the value of parameter '%s' is not one of its "
                              "distribution",
                              name);
    }
    int added_ok = hps_rec_add_param(rec, name, &dist, internal) == 0;
    hps_dist_clear(&dist);
    return added_ok ? HPS_OK : hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
}

/* A step's values: a number (the step's value, as hps_trial_report) or a list of one
 * number per objective (as hps_trial_report_values; a study of one objective takes a
 * list of one). *n is how many; values holds HPS_REC_MAX_INTER_VALUES. */
static hps_status read_step_values(hps_study *study, const char *key, const json_t *node,
                                   double *values, size_t *n)
{
    if (!json_is_array(node)) {
        *n = 1;
        if (read_double(node, &values[0]) == 0)
            return HPS_OK;
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                              "added trial: intermediate value '%.40s' needs an integer step "
                              "and a number (or a list of one number per objective)",
                              key);
    }
    *n = json_array_size(node);
    if (*n != study->n_directions)
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                              "added trial: intermediate values at step '%.40s' are a list of %zu "
                              "but study '%s' has %zu objective(s): give one number per "
                              "objective",
                              key, *n, study->name, study->n_directions);
    for (size_t k = 0; k < *n; k++)
        if (read_double(json_array_get(node, k), &values[k]) != 0)
            return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                                  "added trial: intermediate values at step '%.40s': item %zu is "
                                  "not a number",
                                  key, k);
    return HPS_OK;
}

static hps_status read_intermediate(hps_study *study, const json_t *node, hps_frozen *rec)
{
    if (node == NULL)
        return HPS_OK;
    if (!json_is_object(node))
        return invalid(study, "\"intermediate_values\" must be an object {step: value}");
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)node, key, value) {
        char *end;
        errno = 0;
        long long step = strtoll(key, &end, 10);
        if (key[0] == '\0' || *end != '\0' || errno != 0)
            return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                                  "added trial: intermediate value '%.40s' needs an integer step "
                                  "and a number",
                                  key);
        double values[HPS_REC_MAX_INTER_VALUES];
        size_t n = 0;
        hps_status rc = read_step_values(study, key, value, values, &n);
        if (rc != HPS_OK)
            return rc;
        if (hps_rec_add_intermediate_values(rec, (int64_t)step, values, n) < 0)
            return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
    }
    return HPS_OK;
}

/* Checks each attribute as a trial's own would be checked. */
static hps_status check_attrs(hps_study *study, const json_t *attrs, const char *which)
{
    if (attrs == NULL)
        return HPS_OK;
    if (!json_is_object(attrs))
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID, "added trial: \"%s\" must be an object",
                              which);
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)attrs, key, value) {
        char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
        if (text == NULL)
            return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
        hps_status rc = hps_attr_check(&study->err, key, text);
        free(text);
        if (rc != HPS_OK)
            return rc;
    }
    return HPS_OK;
}

/* The values a state may carry, and the times it needs: as a told trial (COMPLETE: one
 * value per objective, none NaN; PRUNED: its last value or none; the others none) with
 * Optuna's rules for times (a start unless WAITING, a completion exactly when finished). */
static hps_status check_state(hps_study *study, const hps_frozen *rec)
{
    hps_trial_state state = rec->state;
    const char *name = hps_trial_state_name(state);
    int finished = state == HPS_COMPLETE || state == HPS_PRUNED || state == HPS_FAIL;
    if (state == HPS_COMPLETE && rec->n_values != study->n_directions)
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                              "added trial: study '%s' has %zu objective(s) but the COMPLETE "
                              "trial has %zu value(s)",
                              study->name, study->n_directions, rec->n_values);
    int single_value = rec->n_values == 1 && study->n_directions == 1;
    if (state != HPS_COMPLETE && rec->n_values > 0 && !(state == HPS_PRUNED && single_value))
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                              "added trial: a %s trial has no value%s", name,
                              state == HPS_PRUNED ? " but its last one, in a single-objective study"
                                                  : "");
    for (size_t i = 0; i < rec->n_values; i++)
        if (isnan(rec->values[i]))
            return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                                  "added trial: value %zu of the %s trial is NaN", i, name);
    if (state != HPS_WAITING && rec->datetime_start == 0)
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                              "added trial: a %s trial needs \"datetime_start\"", name);
    if (finished != (rec->datetime_complete != 0))
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                              "added trial: a %s trial %s \"datetime_complete\"", name,
                              finished ? "needs" : "has no");
    if (state == HPS_WAITING && (rec->n_params > 0 || rec->n_inter > 0))
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                              "added trial: a WAITING trial has no parameters or intermediate "
                              "values yet (fix values with system attribute \"fixed_params\")");
    return HPS_OK;
}

static const char *const known_keys[] = {"state", "values", "params", "intermediate_values",
                                         "user_attrs", "system_attrs", "datetime_start",
                                         "datetime_complete"};

static hps_status read_trial(hps_study *study, const json_t *doc, added *a)
{
    if (!json_is_object(doc))
        return invalid(study, "the trial must be a JSON object");
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)doc, key, value) {
        size_t k = 0;
        while (k < sizeof known_keys / sizeof known_keys[0] && strcmp(key, known_keys[k]) != 0)
            k++;
        if (k == sizeof known_keys / sizeof known_keys[0])
            return hps_errbuf_set(&study->err, HPS_ERR_INVALID, "added trial: unknown key '%.60s'",
                                  key);
    }
    hps_frozen *rec = a->rec;
    const char *state = json_string_value(json_object_get(doc, "state"));
    /* PAUSED is no state to add a trial in: its checkpoint lives with its runs */
    if (state == NULL || hps_trial_state_parse(state, &rec->state) != HPS_OK ||
        rec->state == HPS_PAUSED)
        return invalid(study, "\"state\" must be WAITING, RUNNING, COMPLETE, PRUNED or FAIL");
    if (read_time(json_object_get(doc, "datetime_start"), &rec->datetime_start) != 0 ||
        read_time(json_object_get(doc, "datetime_complete"), &rec->datetime_complete) != 0)
        return invalid(study, "times must be seconds since the epoch (or null)");
    hps_status rc = read_values(study, json_object_get(doc, "values"), rec);
    const json_t *params = json_object_get(doc, "params");
    if (rc == HPS_OK && params != NULL && !json_is_array(params))
        rc = invalid(study, "\"params\" must be an array of {name, distribution, value}");
    for (size_t i = 0; rc == HPS_OK && i < json_array_size(params); i++)
        rc = read_param(study, json_array_get(params, i), rec);
    if (rc == HPS_OK)
        rc = read_intermediate(study, json_object_get(doc, "intermediate_values"), rec);
    a->user = json_object_get(doc, "user_attrs");
    const json_t *system = json_object_get(doc, "system_attrs");
    if (rc == HPS_OK)
        rc = check_attrs(study, a->user, "user_attrs");
    if (rc == HPS_OK)
        rc = check_attrs(study, system, "system_attrs");
    if (rc == HPS_OK)
        rc = check_state(study, rec);
    if (rc == HPS_OK && system != NULL) {
        a->system_attrs = json_dumps(system, JSON_COMPACT | JSON_REAL_PRECISION(17));
        if (a->system_attrs == NULL)
            rc = hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
    }
    return rc;
}

/* The writes, inside the caller's batch. */
static hps_status write_trial(hps_study *study, const added *a, int64_t *number)
{
    hps_storage *s = study->storage;
    const hps_frozen *rec = a->rec;
    int64_t id;
    hps_status rc = s->ops->enqueue_trial(s, study->study_id, a->system_attrs, number);
    if (rc == HPS_OK)
        rc = s->ops->find_trial(s, study->study_id, *number, &id);
    if (rc == HPS_OK && rec->state != HPS_WAITING)
        rc = s->ops->start_trial(s, id, rec->datetime_start);
    if (rc == HPS_OK && rec->n_params > 0)
        rc = s->ops->set_params(s, id, NULL, rec->params, rec->n_params);
    /* its configuration is run: a grid or finite space does not hand it out again */
    if (rc == HPS_OK && rec->state != HPS_WAITING)
        rc = hps_finite_claim_added(study, rec, id);
    for (size_t i = 0; rc == HPS_OK && i < rec->n_inter; i++) {
        double values[HPS_REC_MAX_INTER_VALUES];
        size_t n = hps_rec_inter_values(&rec->inter[i], values);
        rc = s->ops->report(s, id, NULL, rec->inter[i].step, values, n); /* nobody runs it */
    }
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)a->user, key, value) {
        if (rc != HPS_OK)
            break;
        char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
        rc = text != NULL ? s->ops->set_trial_attr(s, id, NULL, 0, key, text)
                          : hps_errbuf_set(&s->err, HPS_ERR_NOMEM, "out of memory");
        free(text);
    }
    if (rc == HPS_OK &&
        (rec->state == HPS_COMPLETE || rec->state == HPS_PRUNED || rec->state == HPS_FAIL)) {
        hps_finish_req req = {.state = rec->state,
                              .values = rec->values,
                              .n_values = rec->n_values,
                              .now = rec->datetime_complete};
        rc = s->ops->finish_trial(s, id, &req);
    }
    return rc;
}

hps_status hps_study_add_trial(hps_study *study, const char *trial_json, int64_t *number_out)
{
    json_error_t jerr;
    json_t *doc = json_loads(trial_json != NULL ? trial_json : "", 0, &jerr);
    if (doc == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID, "added trial: not JSON: %s", jerr.text);
    added a = {.rec = hps_rec_new()};
    hps_status rc = a.rec != NULL ? read_trial(study, doc, &a)
                                  : hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
    int64_t number = -1;
    /* In a finite space the trial claims its cell; the claim needs the cache current,
     * and is tried again when another worker took the cell's last run meanwhile. Only
     * where the failed batch rolled back (nothing of it was written): a storage that
     * keeps what a failed batch wrote (memory) would get a second copy, and there one
     * process holds the study, so its claim is never refused (hps_finite_claim_added). */
    int finite = hps_finite_configurations(study) > 0;
    hps_storage *s = study->storage;
    for (int attempt = 0; rc == HPS_OK; attempt++) {
        if (finite)
            rc = hps_study_sync(study); /* says what failed on study->err itself */
        if (rc != HPS_OK)
            break;
        rc = s->ops->batch_begin(s);
        if (rc == HPS_OK) {
            rc = write_trial(study, &a, &number);
            hps_status end = s->ops->batch_end(s, rc == HPS_OK);
            if (rc == HPS_OK)
                rc = end;
        }
        if (rc == HPS_ERR_EXISTS && finite && s->rolls_back && attempt < ADD_CLAIM_ATTEMPTS) {
            rc = HPS_OK;
            continue;
        }
        if (rc != HPS_OK)
            hps_errbuf_set(&study->err, rc, "%s", hps_errbuf_text(&s->err));
        break;
    }
    if (rc == HPS_OK && number_out != NULL)
        *number_out = number;
    free(a.system_attrs);
    hps_rec_free(a.rec);
    json_decref(doc);
    return rc;
}
