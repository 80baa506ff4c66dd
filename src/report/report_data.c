/* report_data.c -- reading a study into a snapshot (see report_data.h). */
#include "report/report_data.h"

#include "base/hypervolume.h"
#include "cli/cli.h"
#include "cli/so_far.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", msg);
}

static int grow(void **items, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 8;
    while (n < need) {
        if (n > SIZE_MAX / 2 / size)
            return -1;
        n *= 2;
    }
    void *grown = realloc(*items, n * size);
    if (grown == NULL)
        return -1;
    *items = grown;
    *cap = n;
    return 0;
}

void rdata_free(rdata_study *data)
{
    if (data == NULL)
        return;
    for (size_t p = 0; p < data->n_params; p++) {
        rdata_param *param = &data->params[p];
        free(param->name);
        for (size_t l = 0; l < param->n_labels; l++) {
            free(param->label_json[l]);
            free(param->label_text[l]);
            if (param->label_values[l].type == HPS_VALUE_STRING)
                free((char *)param->label_values[l].u.s);
        }
        free(param->label_json);
        free(param->label_text);
        free(param->label_values);
    }
    free(data->params);
    for (size_t r = 0; r < data->n_rows; r++) {
        free(data->rows[r].fail_reason);
        for (size_t a = 0; a < data->rows[r].n_artifacts; a++)
            free(data->rows[r].artifacts[a]);
        free(data->rows[r].artifacts);
        free(data->rows[r].gpus);
        free(data->rows[r].pbt);
    }
    free(data->rows);
    free(data->values);
    free(data->pvs);
    free(data->constraints);
    free(data->reference);
    free(data->hypervolume_error);
    for (size_t s = 0; s < data->n_samplers; s++)
        free(data->samplers[s]);
    free(data->samplers);
    for (size_t c = 0; c < data->n_curves; c++) {
        free(data->curves[c].steps);
        free(data->curves[c].values);
        free(data->curves[c].slices);
    }
    free(data->curves);
    free(data->importances);
    free(data->importance_error);
    free(data->branch_importances);
    free(data->name);
    free(data->metric);
    for (size_t k = 0; data->objective_names != NULL && k < data->n_directions; k++)
        free(data->objective_names[k]);
    free(data->objective_names);
    free(data->directions);
    free(data);
}

int rdata_maximize(const rdata_study *data)
{
    return data->n_directions > 0 && data->directions[0] == HPS_MAXIMIZE;
}

double rdata_value(const rdata_study *data, size_t row)
{
    return data->n_directions > 0 ? data->values[row * data->n_directions] : NAN;
}

int rdata_param_value(const rdata_study *data, size_t row, size_t p, double *out)
{
    const rdata_row *r = &data->rows[row];
    for (uint32_t k = 0; k < r->n_pv; k++) {
        const rdata_pv *pv = &data->pvs[r->pv_offset + k];
        if (pv->param == p) {
            *out = pv->value;
            return 1;
        }
    }
    return 0;
}

long rdata_param_index(const rdata_study *data, const char *name)
{
    for (size_t p = 0; p < data->n_params; p++)
        if (strcmp(data->params[p].name, name) == 0)
            return (long)p;
    return -1;
}

void rdata_param_text(const rdata_study *data, size_t p, double value, char *buf, size_t size)
{
    const rdata_param *param = &data->params[p];
    if (param->kind == HPS_DIST_CATEGORICAL) {
        size_t l = (size_t)value;
        snprintf(buf, size, "%s", l < param->n_labels ? param->label_text[l] : "?");
    } else if (param->kind == HPS_DIST_INT) {
        snprintf(buf, size, "%.0f", value);
    } else {
        snprintf(buf, size, "%.6g", value);
    }
}

/* ---- loading ---------------------------------------------------------------------- */

static long find_or_add_param(rdata_study *data, const char *name, const hps_dist *dist)
{
    long p = rdata_param_index(data, name);
    if (p >= 0)
        return p;
    void *items = data->params;
    if (grow(&items, &data->cap_params, data->n_params + 1, sizeof *data->params) != 0)
        return -1;
    data->params = items;
    rdata_param *param = &data->params[data->n_params];
    memset(param, 0, sizeof *param);
    param->name = strdup(name);
    if (param->name == NULL)
        return -1;
    param->kind = hps_dist_get_kind(dist);
    param->low = INFINITY;
    param->high = -INFINITY;
    return (long)data->n_params++;
}

static int same_value(hps_value a, hps_value b)
{
    if (a.type != b.type)
        return 0;
    switch (a.type) {
    case HPS_VALUE_STRING:
        return strcmp(a.u.s, b.u.s) == 0;
    case HPS_VALUE_INT:
        return a.u.i == b.u.i;
    case HPS_VALUE_FLOAT:
        return a.u.f == b.u.f || (isnan(a.u.f) && isnan(b.u.f));
    case HPS_VALUE_BOOL:
        return !a.u.b == !b.u.b;
    default:
        return 1;
    }
}

/* Labels are compared as values, so a trial costs no formatting; text and JSON are
 * made once per distinct choice. */
static long find_or_add_label(rdata_param *param, hps_value v)
{
    for (size_t l = 0; l < param->n_labels; l++)
        if (same_value(param->label_values[l], v))
            return (long)l;
    size_t need = param->n_labels + 1;
    if (need > param->cap_labels) {
        size_t cap = param->cap_labels ? param->cap_labels * 2 : 8;
        char **json = realloc(param->label_json, cap * sizeof *json);
        if (json == NULL)
            return -1;
        param->label_json = json;
        char **text = realloc(param->label_text, cap * sizeof *text);
        if (text == NULL)
            return -1;
        param->label_text = text;
        hps_value *values = realloc(param->label_values, cap * sizeof *values);
        if (values == NULL)
            return -1;
        param->label_values = values;
        param->cap_labels = cap;
    }
    char text[256];
    cli_format_value(v, text, sizeof text);
    rjson_buf json;
    hps_strbuf_init(&json, 4096);
    rjson_value(&json, v);
    char *json_text = hps_strbuf_take(&json);
    char *text_copy = strdup(text);
    hps_value copy = v;
    if (v.type == HPS_VALUE_STRING)
        copy.u.s = strdup(v.u.s);
    if (json_text == NULL || text_copy == NULL || (v.type == HPS_VALUE_STRING && copy.u.s == NULL)) {
        free(json_text);
        free(text_copy);
        if (v.type == HPS_VALUE_STRING)
            free((char *)copy.u.s);
        return -1;
    }
    param->label_json[param->n_labels] = json_text;
    param->label_text[param->n_labels] = text_copy;
    param->label_values[param->n_labels] = copy;
    return (long)param->n_labels++;
}

static int intern_sampler(rdata_study *data, const char *name)
{
    for (size_t s = 0; s < data->n_samplers; s++)
        if (strcmp(data->samplers[s], name) == 0)
            return (int)s;
    /* A bounded set: a corrupt study cannot make every trial a new strategy. */
    if (data->n_samplers >= 256)
        return -1;
    void *items = data->samplers;
    if (grow(&items, &data->cap_samplers, data->n_samplers + 1, sizeof(char *)) != 0)
        return -2;
    data->samplers = items;
    data->samplers[data->n_samplers] = strndup(name, 128);
    if (data->samplers[data->n_samplers] == NULL)
        return -2;
    return (int)data->n_samplers++;
}

/* The files the run kept of the trial (run_artifacts.h), the first RDATA_MAX_ARTIFACTS. */
static int read_artifacts(json_t *attrs, rdata_row *row)
{
    json_t *files = json_object_get(attrs, "artifacts");
    if (!json_is_array(files) || json_array_size(files) == 0)
        return 0;
    size_t n = json_array_size(files);
    size_t shown = n < RDATA_MAX_ARTIFACTS ? n : RDATA_MAX_ARTIFACTS;
    row->artifacts = calloc(shown, sizeof *row->artifacts);
    if (row->artifacts == NULL)
        return -1;
    row->all_artifacts = n;
    for (size_t i = 0; i < shown; i++) {
        const char *path = json_string_value(json_array_get(files, i));
        if (path == NULL)
            continue;
        row->artifacts[row->n_artifacts] = strdup(path);
        if (row->artifacts[row->n_artifacts] == NULL)
            return -1;
        row->n_artifacts++;
    }
    return 0;
}

/* "0,1" from the system attribute "gpus": ["0", "1"] (run_slot.h); at most 256 bytes. */
static int read_gpus(json_t *attrs, rdata_row *row)
{
    json_t *gpus = json_object_get(attrs, "gpus");
    char text[257];
    size_t used = 0;
    if (!json_is_array(gpus) || json_array_size(gpus) == 0)
        return 0;
    text[0] = '\0';
    for (size_t i = 0; i < json_array_size(gpus) && used < sizeof text - 1; i++) {
        const char *id = json_string_value(json_array_get(gpus, i));
        int w = snprintf(text + used, sizeof text - used, "%s%s", i > 0 ? "," : "",
                         id != NULL ? id : "?");
        if (w < 0)
            break;
        used += (size_t)w;
    }
    row->gpus = strdup(text);
    return row->gpus != NULL ? 0 : -1;
}

/* The member's round of population-based training, unless it was interrupted: its
 * member, round, steps, parent and hyperparameters, for the report's schedule chart. */
static int read_pbt(json_t *attrs, const hps_frozen *t, rdata_row *row)
{
    json_t *lineage = json_object_get(attrs, "pbt");
    if (!json_is_object(lineage) || (hps_frozen_state(t) == HPS_FAIL && hps_frozen_interrupted(t)))
        return 0;
    json_t *kept = json_object();
    static const char *const keys[] = {"member", "round", "start_step", "stop_step",
                                       "parent_member", "exploited", "after"};
    for (size_t k = 0; kept != NULL && k < sizeof keys / sizeof keys[0]; k++) {
        json_t *v = json_object_get(lineage, keys[k]);
        if (v != NULL)
            json_object_set(kept, keys[k], v);
    }
    row->pbt = kept != NULL ? json_dumps(kept, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(kept);
    return row->pbt != NULL ? 0 : -1;
}

/* The strategy that chose the trial, why it failed, the files kept of it its GPUs and
 * its PBT lineage, from its system attributes. */
static int read_system_attrs(rdata_study *data, const hps_frozen *t, rdata_row *row)
{
    const char *text = hps_frozen_system_attrs(t);
    row->sampler = -1;
    if (text == NULL || (strstr(text, "\"sampler\"") == NULL && strstr(text, "\"fail_reason\"") == NULL &&
                         strstr(text, "\"artifacts\"") == NULL && strstr(text, "\"gpus\"") == NULL &&
                         strstr(text, "\"pbt\"") == NULL))
        return 0;
    json_t *attrs = json_loads(text, 0, NULL);
    if (attrs == NULL)
        return 0; /* malformed attributes: show the trial without them */
    int rc = 0;
    const char *sampler = json_string_value(json_object_get(attrs, "sampler"));
    if (sampler != NULL) {
        int s = intern_sampler(data, sampler);
        if (s == -2)
            rc = -1;
        row->sampler = s < 0 ? -1 : s;
    }
    const char *reason = json_string_value(json_object_get(attrs, "fail_reason"));
    if (reason != NULL && rc == 0) {
        size_t len = strcspn(reason, "\n");
        row->fail_reason = strndup(reason, len < 300 ? len : 300);
        if (row->fail_reason == NULL)
            rc = -1;
    }
    if (rc == 0)
        rc = read_artifacts(attrs, row);
    if (rc == 0)
        rc = read_gpus(attrs, row);
    if (rc == 0)
        rc = read_pbt(attrs, t, row);
    json_decref(attrs);
    return rc;
}

static int read_params(rdata_study *data, const hps_frozen *t, rdata_row *row)
{
    row->pv_offset = data->n_pvs;
    row->n_pv = 0;
    size_t n = hps_frozen_n_params(t);
    for (size_t i = 0; i < n; i++) {
        const hps_dist *dist = hps_frozen_param_dist(t, i);
        long p = find_or_add_param(data, hps_frozen_param_name(t, i), dist);
        if (p < 0)
            return -1;
        rdata_param *param = &data->params[p];
        hps_value v = hps_frozen_param_value(t, i);
        double value;
        if (param->kind == HPS_DIST_CATEGORICAL) {
            if (hps_dist_get_kind(dist) != HPS_DIST_CATEGORICAL)
                continue; /* the same name with another kind of distribution: skip */
            long l = find_or_add_label(param, v);
            if (l < 0)
                return -1;
            value = (double)l;
        } else {
            if (hps_dist_get_kind(dist) == HPS_DIST_CATEGORICAL)
                continue;
            value = v.type == HPS_VALUE_INT ? (double)v.u.i : v.u.f;
            if (hps_dist_low(dist) < param->low)
                param->low = hps_dist_low(dist);
            if (hps_dist_high(dist) > param->high)
                param->high = hps_dist_high(dist);
            param->log = (hps_dist_flags(dist) & HPS_LOG) != 0;
        }
        void *items = data->pvs;
        if (grow(&items, &data->cap_pvs, data->n_pvs + 1, sizeof *data->pvs) != 0)
            return -1;
        data->pvs = items;
        data->pvs[data->n_pvs++] = (rdata_pv){(uint32_t)p, value};
        row->n_pv++;
    }
    return 0;
}

static int read_constraints(rdata_study *data, const hps_frozen *t, rdata_row *row)
{
    size_t n = hps_frozen_n_constraints(t);
    row->c_offset = data->n_cvals;
    row->n_c = (uint32_t)n;
    row->feasible = (unsigned char)hps_frozen_feasible(t);
    if (n == 0)
        return 0;
    void *items = data->constraints;
    if (grow(&items, &data->cap_cvals, data->n_cvals + n, sizeof *data->constraints) != 0)
        return -1;
    data->constraints = items;
    for (size_t i = 0; i < n; i++)
        data->constraints[data->n_cvals++] = hps_frozen_constraint(t, i);
    if (n > data->n_constraints)
        data->n_constraints = n;
    return 0;
}

static int better(const rdata_study *data, double a, double b)
{
    return rdata_maximize(data) ? a > b : a < b;
}

static int read_rows(hps_study *study, rdata_study *data, char *err, size_t errlen)
{
    size_t n;
    if (hps_study_n_trials(study, &n) != HPS_OK) {
        set_err(err, errlen, hps_study_errmsg(study));
        return -1;
    }
    data->rows = calloc(n + 1, sizeof *data->rows);
    data->values = calloc((n + 1) * (data->n_directions + 1), sizeof *data->values);
    if (data->rows == NULL || data->values == NULL) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    data->best_row = -1;
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *t;
        hps_status st = hps_study_trial(study, (int64_t)i, &t);
        if (st == HPS_ERR_NOTFOUND)
            continue; /* a number claimed but not yet written */
        if (st != HPS_OK) {
            set_err(err, errlen, hps_study_errmsg(study));
            return -1;
        }
        size_t r = data->n_rows;
        rdata_row *row = &data->rows[r];
        row->number = hps_frozen_number(t);
        row->state = hps_frozen_state(t);
        if ((unsigned)row->state < RDATA_STATES)
            data->counts[row->state]++;
        row->start = hps_frozen_datetime_start(t);
        row->complete = hps_frozen_datetime_complete(t);
        row->n_steps = hps_frozen_n_intermediate(t);
        if (row->n_steps > 0)
            data->n_with_steps++;
        size_t nv = hps_frozen_n_values(t);
        for (size_t k = 0; k < data->n_directions; k++)
            data->values[r * data->n_directions + k] = k < nv ? hps_frozen_value(t, k) : NAN;
        row->hypervolume = NAN;
        row->so_far = NAN;
        if (so_far_values(t, &row->so_far_step, &row->so_far, 1) == 0)
            row->so_far_step = -1;
        if (read_params(data, t, row) != 0 || read_system_attrs(data, t, row) != 0 ||
            read_constraints(data, t, row) != 0) {
            set_err(err, errlen, "out of memory");
            data->n_rows++;
            return -1;
        }
        data->n_rows++;
        /* The library's rule (hps_study_best_trial), so that `best`, `show` and the pages
         * name the same trial: any feasible COMPLETE value but NaN (a metric may print
         * inf), and on ties the lowest number -- rows come in number order, the first
         * best stays. */
        double v = rdata_value(data, r);
        if (row->state == HPS_COMPLETE && row->feasible && !isnan(v) && data->n_directions == 1 &&
            (data->best_row < 0 || better(data, v, rdata_value(data, (size_t)data->best_row))))
            data->best_row = (long)r;
    }
    return 0;
}

/* ---- intermediate-value curves ---------------------------------------------------- */

typedef struct ranked {
    size_t row;
    double key;
} ranked;

static int compare_ranked(const void *a, const void *b)
{
    const ranked *p = a, *q = b;
    if (p->key != q->key)
        return p->key < q->key ? -1 : 1;
    return (p->row > q->row) - (p->row < q->row);
}

/* Rank key: smaller is better whatever the direction; trials without a value last. */
static double rank_key(const rdata_study *data, size_t row)
{
    double v = rdata_value(data, row);
    if (!isfinite(v))
        return INFINITY;
    return rdata_maximize(data) ? -v : v;
}

/* Picks up to `limit` of the rows in `cand` (in number order): the `n_best` best, then
 * an even spread of the others. Writes a 0/1 flag per candidate into `chosen`. */
static int choose_rows(const rdata_study *data, const size_t *cand, size_t n_cand, size_t limit,
                       size_t n_best, unsigned char *chosen)
{
    if (n_cand <= limit) {
        memset(chosen, 1, n_cand);
        return 0;
    }
    memset(chosen, 0, n_cand);
    ranked *order = calloc(n_cand, sizeof *order);
    if (order == NULL)
        return -1;
    for (size_t i = 0; i < n_cand; i++)
        order[i] = (ranked){i, rank_key(data, cand[i])};
    qsort(order, n_cand, sizeof *order, compare_ranked);
    for (size_t i = 0; i < n_best && i < n_cand; i++)
        if (isfinite(order[i].key))
            chosen[order[i].row] = 1;
    free(order);
    size_t taken = 0;
    for (size_t i = 0; i < n_cand; i++)
        taken += chosen[i];
    size_t rest = limit > taken ? limit - taken : 0;
    for (size_t k = 0; k < rest; k++) {
        size_t i = (size_t)((double)k * (double)n_cand / (double)rest);
        /* the spread may land on a row already taken: then the next free one */
        while (i < n_cand && chosen[i])
            i++;
        if (i < n_cand)
            chosen[i] = 1;
    }
    return 0;
}

/* The slice boundaries of a trial that ran in slices (see rdata_slice_mark), from its
 * system attribute "pause_steps" and its whole curve: both in step order, so one pass
 * over each. -1 when out of memory; a malformed attribute marks nothing. */
static int read_slice_marks(const hps_frozen *t, json_t *attrs, rdata_curve *curve)
{
    json_t *pauses = json_object_get(attrs, "pause_steps");
    size_t n_pauses = json_array_size(pauses);
    if (n_pauses == 0)
        return 0;
    size_t keep = n_pauses < RDATA_CURVE_SLICES ? n_pauses : RDATA_CURVE_SLICES;
    curve->slices = calloc(keep, sizeof *curve->slices);
    if (curve->slices == NULL)
        return -1;
    curve->all_slices = n_pauses;
    size_t n = hps_frozen_n_intermediate(t), next = 0; /* the first value past the pause */
    for (size_t k = 0; k < keep; k++) {
        json_t *step = json_array_get(pauses, k);
        if (!json_is_integer(step))
            continue;
        rdata_slice_mark *mark = &curve->slices[curve->n_slices++];
        *mark = (rdata_slice_mark){json_integer_value(step), NAN, -1, NAN};
        int64_t at;
        double value;
        while (next < n) {
            hps_frozen_intermediate(t, next, &at, &value);
            if (at > mark->step)
                break;
            next++;
        }
        if (next > 0) { /* the last value by the pause (two pauses may share it) */
            hps_frozen_intermediate(t, next - 1, &at, &value);
            mark->value = value;
        }
        if (next < n) {
            hps_frozen_intermediate(t, next, &at, &value);
            mark->resume_step = at;
            mark->resume_value = value;
        }
    }
    return 0;
}

/* The trial's last forecast (see rdata_forecast); nothing for a malformed one. */
static void read_forecast(const hps_frozen *t, json_t *attrs, rdata_curve *curve)
{
    json_t *f = json_object_get(attrs, "forecast");
    json_t *step = json_object_get(f, "step"), *max_step = json_object_get(f, "max_step");
    json_t *mean = json_object_get(f, "mean"), *sd = json_object_get(f, "sd");
    if (!json_is_integer(step) || !json_is_integer(max_step) || !json_is_number(mean) ||
        !json_is_number(sd))
        return;
    rdata_forecast *out = &curve->forecast;
    out->step = json_integer_value(step);
    out->max_step = json_integer_value(max_step);
    out->mean = json_number_value(mean);
    out->sd = json_number_value(sd);
    json_t *incumbent = json_object_get(f, "incumbent"), *p_beat = json_object_get(f, "p_beat");
    out->incumbent = json_is_number(incumbent) ? json_number_value(incumbent) : NAN;
    out->p_beat = json_is_number(p_beat) ? json_number_value(p_beat) : NAN;
    out->from = NAN;
    for (size_t i = 0; i < hps_frozen_n_intermediate(t); i++) {
        int64_t at;
        double value;
        hps_frozen_intermediate(t, i, &at, &value);
        if (at == out->step)
            out->from = value;
    }
    out->have = isfinite(out->mean) && isfinite(out->sd) && out->max_step > out->step;
}

/* The curve's slice boundaries and forecast, from the trial's system attributes. */
static int read_curve_marks(const hps_frozen *t, rdata_curve *curve)
{
    const char *text = hps_frozen_system_attrs(t);
    if (text == NULL ||
        (strstr(text, "\"pause_steps\"") == NULL && strstr(text, "\"forecast\"") == NULL))
        return 0;
    json_t *attrs = json_loads(text, 0, NULL);
    if (attrs == NULL)
        return 0; /* malformed attributes: the curve without marks */
    int rc = read_slice_marks(t, attrs, curve);
    read_forecast(t, attrs, curve);
    json_decref(attrs);
    return rc;
}

static int read_curves(hps_study *study, rdata_study *data, char *err, size_t errlen)
{
    if (data->n_with_steps == 0)
        return 0;
    size_t *cand = calloc(data->n_with_steps, sizeof *cand);
    unsigned char *chosen = calloc(data->n_with_steps, 1);
    data->curves = calloc(RDATA_CURVES + 1, sizeof *data->curves);
    int rc = -1;
    if (cand == NULL || chosen == NULL || data->curves == NULL)
        goto out;
    size_t n_cand = 0;
    for (size_t r = 0; r < data->n_rows; r++)
        if (data->rows[r].n_steps > 0)
            cand[n_cand++] = r;
    if (choose_rows(data, cand, n_cand, RDATA_CURVES, RDATA_CURVES_BEST, chosen) != 0)
        goto out;
    for (size_t i = 0; i < n_cand && data->n_curves < RDATA_CURVES; i++) {
        if (!chosen[i])
            continue;
        const hps_frozen *t;
        if (hps_study_trial(study, data->rows[cand[i]].number, &t) != HPS_OK)
            continue;
        size_t n = hps_frozen_n_intermediate(t), keep = n < RDATA_CURVE_POINTS ? n : RDATA_CURVE_POINTS;
        if (keep == 0)
            continue;
        rdata_curve *curve = &data->curves[data->n_curves];
        curve->row = cand[i];
        curve->steps = calloc(keep, sizeof *curve->steps);
        curve->values = calloc(keep, sizeof *curve->values);
        if (curve->steps == NULL || curve->values == NULL) {
            free(curve->steps);
            free(curve->values);
            goto out;
        }
        /* An even spread of the steps that always ends at the last one. */
        for (size_t k = 0; k < keep; k++) {
            size_t idx = keep == n ? k : (keep == 1 ? n - 1 : k * (n - 1) / (keep - 1));
            hps_frozen_intermediate(t, idx, &curve->steps[k], &curve->values[k]);
        }
        curve->n = keep;
        data->n_curves++;
        if (read_curve_marks(t, curve) != 0)
            goto out;
    }
    rc = 0;
out:
    if (rc != 0)
        set_err(err, errlen, "out of memory");
    free(cand);
    free(chosen);
    return rc;
}

/* ---- the Pareto view of several objectives ---------------------------------------- */

/* The row of trial `number`, or -1: rows are in number order, with gaps where a number
 * was claimed but not written. */
static long row_of_number(const rdata_study *data, int64_t number)
{
    size_t lo = 0, hi = data->n_rows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (data->rows[mid].number < number)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < data->n_rows && data->rows[lo].number == number ? (long)lo : -1;
}

/* The library says which trials are best (hps_study_best_trials), so the pages and
 * `best` agree. A live study may have finished more trials since it was read: only rows
 * COMPLETE in this snapshot are marked. */
static int mark_front(hps_study *study, rdata_study *data, char *err, size_t errlen)
{
    int64_t *numbers = NULL;
    size_t n = 0;
    hps_status st = hps_study_best_trials(study, &numbers, &n);
    if (st == HPS_ERR_NOTFOUND)
        return 0;
    if (st != HPS_OK) {
        set_err(err, errlen, hps_study_errmsg(study));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        long r = row_of_number(data, numbers[i]);
        if (r >= 0 && data->rows[r].state == HPS_COMPLETE && !data->rows[r].front) {
            data->rows[r].front = 1;
            data->n_front++;
        }
    }
    hps_free(numbers);
    return 0;
}

/* Whether a row takes part in the hypervolume: COMPLETE, feasible, every value finite
 * (an infinite value has no box to measure). Its values, every objective minimized as
 * base/hypervolume.h wants, into p. */
static int hypervolume_point(const rdata_study *data, size_t r, double *p)
{
    const rdata_row *row = &data->rows[r];
    if (row->state != HPS_COMPLETE || !row->feasible)
        return 0;
    for (size_t k = 0; k < data->n_directions; k++) {
        double v = data->values[r * data->n_directions + k];
        if (!isfinite(v))
            return 0;
        p[k] = data->directions[k] == HPS_MAXIMIZE ? -v : v;
    }
    return 1;
}

/* Whether p is dominated by or equal to one of the n points of the front. */
static int covered(const double *front, size_t n, size_t m, const double *p)
{
    for (size_t i = 0; i < n; i++)
        if (hps_pareto_dominates(front + i * m, p, m) || memcmp(front + i * m, p, m * sizeof *p) == 0)
            return 1;
    return 0;
}

/* Adds p to the non-dominated front (n points), dropping the points it dominates. */
static size_t add_to_front(double *front, size_t n, size_t m, const double *p)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (hps_pareto_dominates(p, front + i * m, m))
            continue;
        if (kept != i)
            memmove(front + kept * m, front + i * m, m * sizeof *front);
        kept++;
    }
    memcpy(front + kept * m, p, m * sizeof *p);
    return kept + 1;
}

/* The hypervolume of the feasible front after each COMPLETE trial, into the rows: 0
 * before the first feasible one, as Optuna's plot_hypervolume_history draws it. The
 * reference point is Optuna's rule (hps_hypervolume_reference) over every trial that
 * takes part, so each of them counts. The front is kept non-dominated, so each step
 * measures only the trials that are still best. */
static int hypervolume_history(rdata_study *data, char *err, size_t errlen)
{
    size_t m = data->n_directions, n = 0;
    double *points = calloc((data->n_rows + 1) * m, sizeof *points);
    double *front = calloc((data->n_rows + 1) * m, sizeof *front);
    double *ref = calloc(m, sizeof *ref);
    int rc = -1;
    if (points == NULL || front == NULL || ref == NULL) {
        set_err(err, errlen, "out of memory");
        goto out;
    }
    for (size_t r = 0; r < data->n_rows; r++)
        n += (size_t)hypervolume_point(data, r, points + n * m);
    if (n == 0) {
        rc = 0;
        goto out;
    }
    hps_status st = hps_hypervolume_reference(points, n, m, NULL, ref);
    if (st != HPS_OK) {
        /* values so large that 1.1 times them overflows: the pages say so */
        rc = 0;
        data->hypervolume_error = strdup("no reference point: the objective values are too large");
        if (data->hypervolume_error == NULL) {
            rc = -1;
            set_err(err, errlen, "out of memory");
        }
        goto out;
    }
    size_t n_front = 0;
    double hv = 0, *p = points; /* the points are consumed in the same row order */
    for (size_t r = 0; r < data->n_rows; r++) {
        if (data->rows[r].state != HPS_COMPLETE)
            continue;
        if (hypervolume_point(data, r, p)) {
            if (!covered(front, n_front, m, p)) {
                n_front = add_to_front(front, n_front, m, p);
                st = hps_hypervolume(front, n_front, m, ref, &hv);
                if (st != HPS_OK) {
                    set_err(err, errlen, st == HPS_ERR_NOMEM ? "out of memory" : "hypervolume failed");
                    goto out;
                }
            }
            p += m;
        }
        data->rows[r].hypervolume = hv;
    }
    data->reference = ref;
    for (size_t k = 0; k < m; k++)
        if (data->directions[k] == HPS_MAXIMIZE)
            ref[k] = -ref[k];
    ref = NULL;
    rc = 0;
out:
    free(points);
    free(front);
    free(ref);
    return rc;
}

static int read_pareto(hps_study *study, rdata_study *data, char *err, size_t errlen)
{
    if (data->n_directions < 2)
        return 0;
    if (mark_front(study, data, err, errlen) != 0)
        return -1;
    return hypervolume_history(data, err, errlen);
}

/* ---- the whole study -------------------------------------------------------------- */

int rdata_open(const char *cmd, const char *arg, const char *storage, cli_target *target,
               hps_study **study)
{
    *study = NULL;
    int rc = cli_resolve_target(arg, storage, target);
    if (rc != 0)
        return rc;
    char err[1024];
    hps_status st = hps_study_open(target->storage, target->study, HPS_OPEN_LOAD, NULL, 0, study,
                                   err, sizeof err);
    if (st != HPS_OK) {
        rc = cli_open_failed(cmd, st, err, target->storage);
        cli_target_clear(target);
        return rc;
    }
    return 0;
}

/* The objectives' names `hpsearch run` recorded: "metrics" lists every objective's when
 * there are several, "metric" is the only one's. A name that is not a string, or a list
 * of another length, leaves the objectives unnamed rather than misnamed. */
static int read_objective_names(const json_t *attrs, rdata_study *data)
{
    data->objective_names = calloc(data->n_directions + 1, sizeof *data->objective_names);
    if (data->objective_names == NULL)
        return -1;
    const json_t *metrics = json_object_get(attrs, "metrics");
    if (json_is_array(metrics) && json_array_size(metrics) == data->n_directions) {
        for (size_t k = 0; k < data->n_directions; k++) {
            const char *name = json_string_value(json_array_get(metrics, k));
            if (name != NULL && (data->objective_names[k] = strndup(name, 256)) == NULL)
                return -1;
        }
    } else if (data->n_directions == 1 && data->metric != NULL) {
        if ((data->objective_names[0] = strdup(data->metric)) == NULL)
            return -1;
    }
    return 0;
}

static int read_study_attrs(hps_study *study, rdata_study *data, char *err, size_t errlen)
{
    data->name = strdup(hps_study_name(study));
    data->n_directions = hps_study_n_directions(study);
    data->directions = calloc(data->n_directions + 1, sizeof *data->directions);
    if (data->name == NULL || data->directions == NULL) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    for (size_t k = 0; k < data->n_directions; k++)
        data->directions[k] = hps_study_direction(study, k);
    const char *attrs = NULL;
    if (hps_study_user_attrs(study, &attrs) != HPS_OK) {
        set_err(err, errlen, hps_study_errmsg(study));
        return -1;
    }
    json_t *parsed = json_loads(attrs, 0, NULL);
    const char *metric = json_string_value(json_object_get(parsed, "metric"));
    if (metric != NULL)
        data->metric = strndup(metric, 256);
    int rc = read_objective_names(parsed, data);
    json_decref(parsed);
    if (rc != 0)
        set_err(err, errlen, "out of memory");
    return rc;
}

int rdata_load(hps_study *study, int importances, rdata_study **out, char *err, size_t errlen)
{
    *out = NULL;
    double t0 = cli_monotonic();
    rdata_study *data = calloc(1, sizeof *data);
    if (data == NULL) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    data->best_row = -1;
    if (read_study_attrs(study, data, err, errlen) != 0 || read_rows(study, data, err, errlen) != 0 ||
        read_curves(study, data, err, errlen) != 0 || read_pareto(study, data, err, errlen) != 0) {
        rdata_free(data);
        return -1;
    }
    if (importances) {
        char *json = NULL;
        if (hps_study_param_importances(study, 0, &json) == HPS_OK) {
            data->importances = strdup(json);
        } else {
            data->importances = strdup("{}");
            data->importance_error = strdup(hps_study_errmsg(study));
        }
        hps_free(json);
        json = NULL;
        /* within each branch of a conditional space; the global error says it all */
        if (data->importance_error == NULL &&
            hps_study_branch_importances(study, 0, &json) == HPS_OK)
            data->branch_importances = strdup(json);
        else
            data->branch_importances = strdup("[]");
        hps_free(json);
    } else {
        data->importances = strdup("{}");
        data->branch_importances = strdup("[]");
    }
    if (data->importances == NULL || data->branch_importances == NULL) {
        set_err(err, errlen, "out of memory");
        rdata_free(data);
        return -1;
    }
    /* Sub-second, so that two snapshots within a second still differ for the page. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    data->generated = (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
    data->load_seconds = cli_monotonic() - t0;
    *out = data;
    return 0;
}
