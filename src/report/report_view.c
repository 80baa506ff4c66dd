/* report_view.c -- the JSON a report or dashboard page draws from a loaded study: the
 * summary and chart samples, table rows, and filtered, sorted pages of the table. */
#include "report/report_data.h"

#include "cli/cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *direction_name(hps_direction d)
{
    return d == HPS_MAXIMIZE ? "maximize" : "minimize";
}

static double duration_of(const rdata_row *row)
{
    return row->start > 0 && row->complete >= row->start ? row->complete - row->start : NAN;
}

/* ---- rows ------------------------------------------------------------------------- */

void rdata_row_json(const rdata_study *data, size_t r, rjson_buf *b)
{
    const rdata_row *row = &data->rows[r];
    hps_strbuf_puts(b, "{\"number\":");
    rjson_int(b, (long long)row->number);
    hps_strbuf_puts(b, ",\"state\":");
    rjson_string(b, hps_trial_state_name(row->state));
    hps_strbuf_puts(b, ",\"values\":");
    int any = 0;
    for (size_t k = 0; k < data->n_directions; k++)
        any |= !isnan(data->values[r * data->n_directions + k]);
    if (!any) {
        hps_strbuf_puts(b, "null");
    } else {
        hps_strbuf_putc(b, '[');
        for (size_t k = 0; k < data->n_directions; k++) {
            if (k > 0)
                hps_strbuf_putc(b, ',');
            rjson_number(b, data->values[r * data->n_directions + k]);
        }
        hps_strbuf_putc(b, ']');
    }
    hps_strbuf_puts(b, ",\"params\":{");
    for (uint32_t k = 0; k < row->n_pv; k++) {
        const rdata_pv *pv = &data->pvs[row->pv_offset + k];
        const rdata_param *param = &data->params[pv->param];
        if (k > 0)
            hps_strbuf_putc(b, ',');
        rjson_key(b, param->name);
        if (param->kind == HPS_DIST_CATEGORICAL)
            rjson_raw_json(b, param->label_json[(size_t)pv->value]);
        else if (param->kind == HPS_DIST_INT)
            hps_strbuf_printf(b, "%.0f", pv->value);
        else
            rjson_number(b, pv->value);
    }
    hps_strbuf_puts(b, "},\"sampler\":");
    rjson_string(b, row->sampler >= 0 ? data->samplers[row->sampler] : NULL);
    hps_strbuf_puts(b, ",\"start\":");
    rjson_fixed3(b, row->start > 0 ? row->start : NAN);
    hps_strbuf_puts(b, ",\"complete\":");
    rjson_fixed3(b, row->complete > 0 ? row->complete : NAN);
    hps_strbuf_puts(b, ",\"duration\":");
    rjson_fixed3(b, duration_of(row));
    hps_strbuf_puts(b, ",\"steps\":");
    rjson_int(b, (long long)row->n_steps);
    if (row->n_c > 0) {
        hps_strbuf_puts(b, ",\"constraints\":[");
        for (uint32_t k = 0; k < row->n_c; k++) {
            if (k > 0)
                hps_strbuf_putc(b, ',');
            rjson_number(b, data->constraints[row->c_offset + k]);
        }
        hps_strbuf_puts(b, "],\"feasible\":");
        hps_strbuf_puts(b, row->feasible ? "true" : "false");
    }
    if (row->front)
        hps_strbuf_puts(b, ",\"front\":true");
    if (row->so_far_step >= 0) {
        hps_strbuf_puts(b, ",\"so_far\":{\"step\":");
        rjson_int(b, (long long)row->so_far_step);
        hps_strbuf_puts(b, ",\"value\":");
        rjson_number(b, row->so_far);
        hps_strbuf_putc(b, '}');
    }
    if (row->fail_reason != NULL) {
        hps_strbuf_puts(b, ",\"fail_reason\":");
        rjson_string(b, row->fail_reason);
    }
    if (row->gpus != NULL) {
        hps_strbuf_puts(b, ",\"gpus\":");
        rjson_string(b, row->gpus);
    }
    if (row->all_artifacts > 0) {
        hps_strbuf_puts(b, ",\"artifacts\":[");
        for (size_t i = 0; i < row->n_artifacts; i++) {
            if (i > 0)
                hps_strbuf_putc(b, ',');
            rjson_string(b, row->artifacts[i]);
        }
        hps_strbuf_puts(b, "],\"n_artifacts\":");
        rjson_int(b, (long long)row->all_artifacts);
    }
    hps_strbuf_putc(b, '}');
}

void rdata_rows_json(const rdata_study *data, rjson_buf *b)
{
    hps_strbuf_putc(b, '[');
    for (size_t r = 0; r < data->n_rows; r++) {
        if (r > 0)
            hps_strbuf_puts(b, ",\n");
        rdata_row_json(data, r, b);
    }
    hps_strbuf_putc(b, ']');
}

/* ---- chart samples ---------------------------------------------------------------- */

static int usable(const rdata_study *data, size_t r)
{
    return data->rows[r].state == HPS_COMPLETE && isfinite(rdata_value(data, r));
}

/* Optimization history: every COMPLETE trial's value, or -- beyond the cap -- every
 * improvement of the best value plus an even spread of the others; the best-so-far
 * line is computed over all of them, the feasible ones only (as the best trial is). */
static void history_json(const rdata_study *data, rjson_buf *b)
{
    size_t total = 0;
    for (size_t r = 0; r < data->n_rows; r++)
        total += (size_t)usable(data, r);
    size_t stride = total > RDATA_HISTORY_POINTS ? (total + RDATA_HISTORY_POINTS - 1) / RDATA_HISTORY_POINTS : 1;
    hps_strbuf_puts(b, "{\"total\":");
    rjson_int(b, (long long)total);
    hps_strbuf_puts(b, ",\"points\":[");
    double best = NAN;
    size_t seen = 0, written = 0;
    for (size_t r = 0; r < data->n_rows; r++) {
        if (!usable(data, r))
            continue;
        double v = rdata_value(data, r);
        int improves = data->rows[r].feasible &&
                       (isnan(best) || (rdata_maximize(data) ? v > best : v < best));
        if (improves)
            best = v;
        if (improves || seen % stride == 0) {
            hps_strbuf_puts(b, written > 0 ? ",[" : "[");
            rjson_int(b, (long long)data->rows[r].number);
            hps_strbuf_putc(b, ',');
            rjson_number(b, v);
            hps_strbuf_putc(b, ',');
            rjson_number(b, best);
            hps_strbuf_putc(b, ']');
            written++;
        }
        seen++;
    }
    hps_strbuf_puts(b, "],\"shown\":");
    rjson_int(b, (long long)written);
    hps_strbuf_putc(b, '}');
}

typedef struct sample_key {
    size_t row;
    double key;
} sample_key;

static int compare_keys(const void *a, const void *b)
{
    const sample_key *p = a, *q = b;
    if (p->key != q->key)
        return p->key < q->key ? -1 : 1;
    return (p->row > q->row) - (p->row < q->row);
}

/* The trials of parallel coordinates, slices and contour: COMPLETE ones with a value;
 * beyond the cap the best RDATA_SAMPLE_BEST and an even spread of the rest. Each is
 * [number, value, [param values: number, categorical label index, or null]]. */
static void sample_json(const rdata_study *data, rjson_buf *b)
{
    size_t total = 0;
    for (size_t r = 0; r < data->n_rows; r++)
        total += (size_t)usable(data, r);
    unsigned char *chosen = calloc(data->n_rows + 1, 1);
    if (chosen == NULL) {
        b->failed = 1;
        return;
    }
    if (total <= RDATA_SAMPLE_ROWS) {
        for (size_t r = 0; r < data->n_rows; r++)
            chosen[r] = (unsigned char)usable(data, r);
    } else {
        sample_key *keys = calloc(total, sizeof *keys);
        if (keys == NULL) {
            free(chosen);
            b->failed = 1;
            return;
        }
        size_t n = 0;
        for (size_t r = 0; r < data->n_rows; r++)
            if (usable(data, r))
                keys[n++] = (sample_key){r, rdata_maximize(data) ? -rdata_value(data, r) : rdata_value(data, r)};
        qsort(keys, n, sizeof *keys, compare_keys);
        for (size_t i = 0; i < RDATA_SAMPLE_BEST; i++)
            chosen[keys[i].row] = 1;
        size_t rest = RDATA_SAMPLE_ROWS - RDATA_SAMPLE_BEST;
        for (size_t k = 0; k < rest; k++)
            chosen[keys[RDATA_SAMPLE_BEST + (size_t)((double)k * (double)(n - RDATA_SAMPLE_BEST) / (double)rest)].row] = 1;
        free(keys);
    }
    hps_strbuf_puts(b, "{\"total\":");
    rjson_int(b, (long long)total);
    hps_strbuf_puts(b, ",\"rows\":[");
    size_t written = 0;
    for (size_t r = 0; r < data->n_rows; r++) {
        if (!chosen[r])
            continue;
        hps_strbuf_puts(b, written++ > 0 ? ",[" : "[");
        rjson_int(b, (long long)data->rows[r].number);
        hps_strbuf_putc(b, ',');
        rjson_number(b, rdata_value(data, r));
        hps_strbuf_puts(b, ",[");
        for (size_t p = 0; p < data->n_params; p++) {
            double v;
            if (p > 0)
                hps_strbuf_putc(b, ',');
            if (rdata_param_value(data, r, p, &v))
                rjson_number(b, v);
            else
                hps_strbuf_puts(b, "null");
        }
        hps_strbuf_puts(b, "]]");
    }
    hps_strbuf_puts(b, "]}");
    free(chosen);
}

/* The timeline: [number, state, start, complete or null, GPUs or null] for the latest
 * RDATA_TIMELINE_ROWS trials that started, in trial order. */
static void timeline_json(const rdata_study *data, rjson_buf *b)
{
    size_t first = data->n_rows, kept = 0;
    while (first > 0 && kept < RDATA_TIMELINE_ROWS) {
        first--;
        kept += data->rows[first].start > 0;
    }
    hps_strbuf_putc(b, '[');
    int comma = 0;
    for (size_t r = first; r < data->n_rows; r++) {
        const rdata_row *row = &data->rows[r];
        if (row->start <= 0)
            continue;
        hps_strbuf_puts(b, comma ? ",[" : "[");
        comma = 1;
        rjson_int(b, (long long)row->number);
        hps_strbuf_putc(b, ',');
        rjson_string(b, hps_trial_state_name(row->state));
        hps_strbuf_putc(b, ',');
        rjson_fixed3(b, row->start);
        hps_strbuf_putc(b, ',');
        rjson_fixed3(b, row->complete > 0 ? row->complete : NAN);
        hps_strbuf_putc(b, ',');
        rjson_string(b, row->gpus);
        hps_strbuf_putc(b, ']');
    }
    hps_strbuf_putc(b, ']');
}

/* The rounds of population-based training, each as its trial recorded it (member,
 * round, start_step, stop_step, parent_member, exploited, after), in trial order: each
 * member's hyperparameter schedule over the steps. [] for other studies. */
static void pbt_json(const rdata_study *data, rjson_buf *b)
{
    hps_strbuf_putc(b, '[');
    int comma = 0;
    for (size_t r = 0; r < data->n_rows; r++) {
        if (data->rows[r].pbt == NULL)
            continue;
        if (comma)
            hps_strbuf_putc(b, ',');
        comma = 1;
        rjson_raw_json(b, data->rows[r].pbt);
    }
    hps_strbuf_putc(b, ']');
}

/* A number or, for a step that is not there (-1), null. */
static void step_json(rjson_buf *b, int64_t step)
{
    if (step >= 0)
        rjson_int(b, (long long)step);
    else
        hps_strbuf_puts(b, "null");
}

/* A curve's slice boundaries, [pause step, value, resume step, value] (null where it
 * was not resumed), and its forecast, when it has them. */
static void curve_marks_json(const rdata_curve *curve, rjson_buf *b)
{
    if (curve->all_slices > 0) {
        hps_strbuf_puts(b, ",\"slices\":[");
        for (size_t k = 0; k < curve->n_slices; k++) {
            const rdata_slice_mark *m = &curve->slices[k];
            hps_strbuf_puts(b, k > 0 ? ",[" : "[");
            step_json(b, m->step);
            hps_strbuf_putc(b, ',');
            rjson_number(b, m->value);
            hps_strbuf_putc(b, ',');
            step_json(b, m->resume_step);
            hps_strbuf_putc(b, ',');
            rjson_number(b, m->resume_value);
            hps_strbuf_putc(b, ']');
        }
        hps_strbuf_puts(b, "],\"n_slices\":");
        rjson_int(b, (long long)curve->all_slices);
    }
    const rdata_forecast *f = &curve->forecast;
    if (f->have) {
        hps_strbuf_puts(b, ",\"forecast\":{\"step\":");
        rjson_int(b, (long long)f->step);
        hps_strbuf_puts(b, ",\"from\":");
        rjson_number(b, f->from);
        hps_strbuf_puts(b, ",\"max_step\":");
        rjson_int(b, (long long)f->max_step);
        hps_strbuf_puts(b, ",\"mean\":");
        rjson_number(b, f->mean);
        hps_strbuf_puts(b, ",\"sd\":");
        rjson_number(b, f->sd);
        hps_strbuf_puts(b, ",\"incumbent\":");
        rjson_number(b, f->incumbent);
        hps_strbuf_puts(b, ",\"p_beat\":");
        rjson_number(b, f->p_beat);
        hps_strbuf_putc(b, '}');
    }
}

static void curves_json(const rdata_study *data, rjson_buf *b)
{
    hps_strbuf_puts(b, "{\"total\":");
    rjson_int(b, (long long)data->n_with_steps);
    hps_strbuf_puts(b, ",\"rows\":[");
    for (size_t c = 0; c < data->n_curves; c++) {
        const rdata_curve *curve = &data->curves[c];
        const rdata_row *row = &data->rows[curve->row];
        if (c > 0)
            hps_strbuf_putc(b, ',');
        hps_strbuf_puts(b, "{\"number\":");
        rjson_int(b, (long long)row->number);
        hps_strbuf_puts(b, ",\"state\":");
        rjson_string(b, hps_trial_state_name(row->state));
        hps_strbuf_puts(b, ",\"n_steps\":");
        rjson_int(b, (long long)row->n_steps);
        hps_strbuf_puts(b, ",\"points\":[");
        for (size_t k = 0; k < curve->n; k++) {
            hps_strbuf_puts(b, k > 0 ? ",[" : "[");
            rjson_int(b, (long long)curve->steps[k]);
            hps_strbuf_putc(b, ',');
            rjson_number(b, curve->values[k]);
            hps_strbuf_putc(b, ']');
        }
        hps_strbuf_putc(b, ']');
        curve_marks_json(curve, b);
        hps_strbuf_putc(b, '}');
    }
    hps_strbuf_puts(b, "]}");
}

/* Whether a row has a point on the Pareto charts: COMPLETE with every value finite. */
static int pareto_usable(const rdata_study *data, size_t r)
{
    if (data->rows[r].state != HPS_COMPLETE)
        return 0;
    for (size_t k = 0; k < data->n_directions; k++)
        if (!isfinite(data->values[r * data->n_directions + k]))
            return 0;
    return 1;
}

/* The trials of the Pareto charts, each [number, [values], feasible, front]: every
 * usable one, or beyond the cap the front (up to the cap) and an even spread of the
 * rest, so the front is always drawn whole. */
static void pareto_points_json(const rdata_study *data, rjson_buf *b, size_t *total_out)
{
    size_t total = 0, n_front = 0;
    for (size_t r = 0; r < data->n_rows; r++) {
        total += (size_t)pareto_usable(data, r);
        n_front += (size_t)(data->rows[r].front && pareto_usable(data, r));
    }
    size_t rest = total - n_front;
    size_t room = n_front < RDATA_SAMPLE_ROWS ? RDATA_SAMPLE_ROWS - n_front : 0;
    size_t stride = rest > room && room > 0 ? (rest + room - 1) / room : 1;
    size_t seen = 0, written = 0, fronts = 0;
    hps_strbuf_putc(b, '[');
    for (size_t r = 0; r < data->n_rows; r++) {
        const rdata_row *row = &data->rows[r];
        if (!pareto_usable(data, r))
            continue;
        int take = row->front ? fronts++ < RDATA_SAMPLE_ROWS : room > 0 && seen++ % stride == 0;
        if (!take)
            continue;
        hps_strbuf_puts(b, written++ > 0 ? ",[" : "[");
        rjson_int(b, (long long)row->number);
        hps_strbuf_puts(b, ",[");
        for (size_t k = 0; k < data->n_directions; k++) {
            if (k > 0)
                hps_strbuf_putc(b, ',');
            rjson_number(b, data->values[r * data->n_directions + k]);
        }
        hps_strbuf_printf(b, "],%d,%d]", row->feasible ? 1 : 0, row->front ? 1 : 0);
    }
    hps_strbuf_putc(b, ']');
    *total_out = total;
}

/* The hypervolume after each COMPLETE trial as [number, hypervolume]: every change and,
 * beyond RDATA_HISTORY_POINTS, an even spread of the steps between, and the last. */
static void hypervolume_json(const rdata_study *data, rjson_buf *b)
{
    size_t total = 0;
    for (size_t r = 0; r < data->n_rows; r++)
        total += (size_t)!isnan(data->rows[r].hypervolume);
    size_t stride = total > RDATA_HISTORY_POINTS ? (total + RDATA_HISTORY_POINTS - 1) / RDATA_HISTORY_POINTS : 1;
    size_t seen = 0, written = 0;
    double last = NAN;
    hps_strbuf_putc(b, '[');
    for (size_t r = 0; r < data->n_rows; r++) {
        double hv = data->rows[r].hypervolume;
        if (isnan(hv))
            continue;
        int changed = hv != last, spread = seen % stride == 0, final = seen + 1 == total;
        seen++;
        if (!changed && !spread && !final)
            continue;
        last = hv;
        hps_strbuf_puts(b, written++ > 0 ? ",[" : "[");
        rjson_int(b, (long long)data->rows[r].number);
        hps_strbuf_putc(b, ',');
        rjson_number(b, hv);
        hps_strbuf_putc(b, ']');
    }
    hps_strbuf_putc(b, ']');
}

/* A study of several objectives: its front, the trials to draw, the hypervolume history
 * and its reference point. */
static void pareto_json(const rdata_study *data, rjson_buf *b)
{
    hps_strbuf_puts(b, "{\"front\":[");
    size_t written = 0;
    for (size_t r = 0; r < data->n_rows; r++) {
        if (!data->rows[r].front)
            continue;
        if (written++ > 0)
            hps_strbuf_putc(b, ',');
        rjson_int(b, (long long)data->rows[r].number);
    }
    size_t total;
    hps_strbuf_puts(b, "],\"points\":");
    pareto_points_json(data, b, &total);
    hps_strbuf_puts(b, ",\"total\":");
    rjson_int(b, (long long)total);
    hps_strbuf_puts(b, ",\"reference\":");
    if (data->reference != NULL) {
        hps_strbuf_putc(b, '[');
        for (size_t k = 0; k < data->n_directions; k++) {
            if (k > 0)
                hps_strbuf_putc(b, ',');
            rjson_number(b, data->reference[k]);
        }
        hps_strbuf_putc(b, ']');
    } else {
        hps_strbuf_puts(b, "null");
    }
    hps_strbuf_puts(b, ",\"hypervolume\":");
    hypervolume_json(data, b);
    if (data->hypervolume_error != NULL) {
        hps_strbuf_puts(b, ",\"hypervolume_error\":");
        rjson_string(b, data->hypervolume_error);
    }
    hps_strbuf_putc(b, '}');
}

static void params_json(const rdata_study *data, rjson_buf *b)
{
    hps_strbuf_putc(b, '[');
    for (size_t p = 0; p < data->n_params; p++) {
        const rdata_param *param = &data->params[p];
        if (p > 0)
            hps_strbuf_putc(b, ',');
        hps_strbuf_puts(b, "{\"name\":");
        rjson_string(b, param->name);
        hps_strbuf_puts(b, ",\"kind\":");
        rjson_string(b, param->kind == HPS_DIST_CATEGORICAL ? "categorical"
                        : param->kind == HPS_DIST_INT     ? "int"
                                                          : "float");
        if (param->kind == HPS_DIST_CATEGORICAL) {
            hps_strbuf_puts(b, ",\"choices\":[");
            for (size_t l = 0; l < param->n_labels; l++) {
                if (l > 0)
                    hps_strbuf_putc(b, ',');
                rjson_string(b, param->label_text[l]);
            }
            hps_strbuf_putc(b, ']');
        } else {
            hps_strbuf_puts(b, ",\"log\":");
            hps_strbuf_puts(b, param->log ? "true" : "false");
            hps_strbuf_puts(b, ",\"low\":");
            rjson_number(b, param->low);
            hps_strbuf_puts(b, ",\"high\":");
            rjson_number(b, param->high);
        }
        hps_strbuf_putc(b, '}');
    }
    hps_strbuf_putc(b, ']');
}

void rdata_view_json(const rdata_study *data, rjson_buf *b)
{
    hps_strbuf_puts(b, "{\"name\":");
    rjson_string(b, data->name);
    hps_strbuf_puts(b, ",\"directions\":[");
    for (size_t k = 0; k < data->n_directions; k++) {
        if (k > 0)
            hps_strbuf_putc(b, ',');
        rjson_string(b, direction_name(data->directions[k]));
    }
    hps_strbuf_puts(b, "],\"objective_names\":[");
    for (size_t k = 0; k < data->n_directions; k++) {
        if (k > 0)
            hps_strbuf_putc(b, ',');
        rjson_string(b, data->objective_names[k]);
    }
    hps_strbuf_puts(b, "],\"metric\":");
    rjson_string(b, data->metric);
    hps_strbuf_puts(b, ",\"generated\":");
    rjson_number(b, data->generated);
    hps_strbuf_puts(b, ",\"load_seconds\":");
    rjson_number(b, data->load_seconds);
    hps_strbuf_puts(b, ",\"n_trials\":");
    rjson_int(b, (long long)data->n_rows);
    hps_strbuf_puts(b, ",\"counts\":{");
    for (int s = 0; s < RDATA_STATES; s++) {
        if (s > 0)
            hps_strbuf_putc(b, ',');
        rjson_key(b, hps_trial_state_name((hps_trial_state)s));
        rjson_int(b, (long long)data->counts[s]);
    }
    hps_strbuf_puts(b, "},\"params\":");
    params_json(data, b);
    hps_strbuf_puts(b, ",\"samplers\":[");
    for (size_t s = 0; s < data->n_samplers; s++) {
        if (s > 0)
            hps_strbuf_putc(b, ',');
        rjson_string(b, data->samplers[s]);
    }
    hps_strbuf_puts(b, "],\"importances\":");
    rjson_raw_json(b, data->importances);
    if (data->importance_error != NULL) {
        hps_strbuf_puts(b, ",\"importance_error\":");
        rjson_string(b, data->importance_error);
    }
    hps_strbuf_puts(b, ",\"branch_importances\":");
    rjson_raw_json(b, data->branch_importances != NULL ? data->branch_importances : "[]");
    hps_strbuf_puts(b, ",\"best\":");
    if (data->best_row >= 0)
        rdata_row_json(data, (size_t)data->best_row, b);
    else
        hps_strbuf_puts(b, "null");
    hps_strbuf_puts(b, ",\"history\":");
    history_json(data, b);
    hps_strbuf_puts(b, ",\"sample\":");
    sample_json(data, b);
    hps_strbuf_puts(b, ",\"curves\":");
    curves_json(data, b);
    hps_strbuf_puts(b, ",\"timeline\":");
    timeline_json(data, b);
    hps_strbuf_puts(b, ",\"pbt\":");
    pbt_json(data, b);
    hps_strbuf_puts(b, ",\"n_constraints\":");
    rjson_int(b, (long long)data->n_constraints);
    if (data->n_directions > 1) {
        hps_strbuf_puts(b, ",\"pareto\":");
        pareto_json(data, b);
    }
    hps_strbuf_puts(b, ",\"limits\":{\"history\":");
    rjson_int(b, RDATA_HISTORY_POINTS);
    hps_strbuf_puts(b, ",\"sample\":");
    rjson_int(b, RDATA_SAMPLE_ROWS);
    hps_strbuf_puts(b, ",\"curves\":");
    rjson_int(b, RDATA_CURVES);
    hps_strbuf_puts(b, ",\"page\":");
    rjson_int(b, RDATA_PAGE_MAX);
    hps_strbuf_puts(b, "}}");
}

/* ---- table pages ------------------------------------------------------------------ */

void rdata_query_init(rdata_query *q)
{
    memset(q, 0, sizeof *q);
    q->limit = 50;
    snprintf(q->sort, sizeof q->sort, "number");
}

typedef enum sort_kind {
    SORT_NUMBER, SORT_VALUE, SORT_STATE, SORT_DURATION, SORT_START, SORT_SAMPLER, SORT_STEPS,
    SORT_PARAM, SORT_FEASIBLE, SORT_CONSTRAINT
} sort_kind;

typedef struct sort_ctx {
    const rdata_study *data;
    sort_kind kind;
    size_t param;        /* SORT_PARAM's parameter; SORT_VALUE's objective; SORT_CONSTRAINT's index */
    int descending;
} sort_ctx;

typedef struct sort_item {
    size_t row;
    double key;    /* NaN sorts last either way */
    const char *text;
} sort_item;

static int compare_items(const void *a, const void *b)
{
    const sort_item *p = a, *q = b;
    int pn = isnan(p->key) && p->text == NULL, qn = isnan(q->key) && q->text == NULL;
    if (pn != qn)
        return pn - qn;
    int c = 0;
    if (p->text != NULL && q->text != NULL)
        c = strcmp(p->text, q->text);
    else if (!pn && p->key != q->key)
        c = p->key < q->key ? -1 : 1;
    if (c != 0)
        return c;
    return (p->row > q->row) - (p->row < q->row);
}

/* Case-insensitive substring search. */
static int contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return 1;
    for (const char *h = hay; *h != '\0'; h++)
        if (strncasecmp(h, needle, n) == 0)
            return 1;
    return 0;
}

/* Whether a row's text (number, state, values, parameter values, strategy, failure
 * reason) contains the filter text. */
static int row_matches(const rdata_study *data, size_t r, const char *text)
{
    if (text[0] == '\0')
        return 1;
    const rdata_row *row = &data->rows[r];
    char buf[300];
    snprintf(buf, sizeof buf, "%lld", (long long)row->number);
    if (contains(buf, text) || contains(hps_trial_state_name(row->state), text))
        return 1;
    if (row->sampler >= 0 && contains(data->samplers[row->sampler], text))
        return 1;
    if (row->gpus != NULL && contains(row->gpus, text))
        return 1;
    if (row->fail_reason != NULL && contains(row->fail_reason, text))
        return 1;
    for (size_t k = 0; k < data->n_directions; k++) {
        double v = data->values[r * data->n_directions + k];
        if (!isnan(v)) {
            snprintf(buf, sizeof buf, "%.6g", v);
            if (contains(buf, text))
                return 1;
        }
    }
    for (uint32_t k = 0; k < row->n_pv; k++) {
        const rdata_pv *pv = &data->pvs[row->pv_offset + k];
        rdata_param_text(data, pv->param, pv->value, buf, sizeof buf);
        if (contains(buf, text))
            return 1;
    }
    return 0;
}

static int parse_sort(const rdata_study *data, const char *sort, sort_ctx *ctx)
{
    static const struct {
        const char *name;
        sort_kind kind;
    } keys[] = {{"number", SORT_NUMBER},     {"value", SORT_VALUE},     {"state", SORT_STATE},
                {"duration", SORT_DURATION}, {"start", SORT_START},     {"sampler", SORT_SAMPLER},
                {"steps", SORT_STEPS},       {"feasible", SORT_FEASIBLE}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(sort, keys[i].name) == 0) {
            ctx->kind = keys[i].kind;
            return 0;
        }
    /* value:K and constraint:K, K a plain decimal index in range */
    const char *index = strncmp(sort, "value:", 6) == 0        ? sort + 6
                        : strncmp(sort, "constraint:", 11) == 0 ? sort + 11
                                                                : NULL;
    if (index != NULL && index[0] >= '0' && index[0] <= '9' && strlen(index) <= 3) {
        char *end;
        unsigned long k = strtoul(index, &end, 10);
        size_t limit = index == sort + 6 ? data->n_directions : data->n_constraints;
        if (*end == '\0' && k < limit) {
            ctx->kind = index == sort + 6 ? SORT_VALUE : SORT_CONSTRAINT;
            ctx->param = (size_t)k;
            return 0;
        }
    }
    if (strncmp(sort, "param:", 6) == 0) {
        long p = rdata_param_index(data, sort + 6);
        if (p >= 0) {
            ctx->kind = SORT_PARAM;
            ctx->param = (size_t)p;
            return 0;
        }
    }
    return -1;
}

static void item_key(const sort_ctx *ctx, size_t r, sort_item *item)
{
    const rdata_study *data = ctx->data;
    const rdata_row *row = &data->rows[r];
    item->row = r;
    item->key = NAN;
    item->text = NULL;
    switch (ctx->kind) {
    case SORT_NUMBER:
        item->key = (double)row->number;
        break;
    case SORT_VALUE:
        item->key = ctx->param < data->n_directions ? data->values[r * data->n_directions + ctx->param] : NAN;
        break;
    case SORT_FEASIBLE:
        /* feasible first; trials without constraints have nothing to sort by */
        item->key = row->n_c > 0 ? (row->feasible ? 0 : 1) : NAN;
        break;
    case SORT_CONSTRAINT:
        item->key = ctx->param < row->n_c ? data->constraints[row->c_offset + ctx->param] : NAN;
        break;
    case SORT_STATE:
        item->text = hps_trial_state_name(row->state);
        break;
    case SORT_DURATION:
        item->key = duration_of(row);
        break;
    case SORT_START:
        item->key = row->start > 0 ? row->start : NAN;
        break;
    case SORT_SAMPLER:
        item->text = row->sampler >= 0 ? data->samplers[row->sampler] : NULL;
        break;
    case SORT_STEPS:
        item->key = (double)row->n_steps;
        break;
    case SORT_PARAM: {
        double v;
        if (rdata_param_value(data, r, ctx->param, &v)) {
            const rdata_param *param = &data->params[ctx->param];
            if (param->kind == HPS_DIST_CATEGORICAL)
                item->text = param->label_text[(size_t)v];
            else
                item->key = v;
        }
        break;
    }
    }
}

int rdata_page_json(const rdata_study *data, const rdata_query *q, rjson_buf *b, char *err,
                    size_t errlen)
{
    sort_ctx ctx = {.data = data, .descending = q->descending};
    if (parse_sort(data, q->sort, &ctx) != 0) {
        snprintf(err, errlen, "unknown sort key '%.100s' (number, value, value:K, state, duration, "
                              "start, sampler, steps, feasible, constraint:K, param:NAME)",
                 q->sort);
        return -1;
    }
    sort_item *items = calloc(data->n_rows + 1, sizeof *items);
    if (items == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = 0;
    for (size_t r = 0; r < data->n_rows; r++) {
        if (q->state_mask != 0 && !(q->state_mask & (1 << data->rows[r].state)))
            continue;
        if (!row_matches(data, r, q->text))
            continue;
        item_key(&ctx, r, &items[n++]);
    }
    qsort(items, n, sizeof *items, compare_items);
    if (q->descending) {
        /* Reverse the present keys only: missing values stay at the end. */
        size_t present = 0;
        while (present < n && !(isnan(items[present].key) && items[present].text == NULL))
            present++;
        for (size_t i = 0; i < present / 2; i++) {
            sort_item t = items[i];
            items[i] = items[present - 1 - i];
            items[present - 1 - i] = t;
        }
    }
    size_t limit = q->limit > RDATA_PAGE_MAX ? RDATA_PAGE_MAX : q->limit;
    hps_strbuf_puts(b, "{\"total\":");
    rjson_int(b, (long long)n);
    hps_strbuf_puts(b, ",\"offset\":");
    rjson_int(b, (long long)q->offset);
    hps_strbuf_puts(b, ",\"limit\":");
    rjson_int(b, (long long)limit);
    hps_strbuf_puts(b, ",\"rows\":[");
    for (size_t i = q->offset; i < n && i - q->offset < limit; i++) {
        if (i > q->offset)
            hps_strbuf_puts(b, ",\n");
        rdata_row_json(data, items[i].row, b);
    }
    hps_strbuf_puts(b, "]}");
    free(items);
    return 0;
}
