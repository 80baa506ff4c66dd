/* value_names.c -- the names of a study's values and constraints (see value_names.h). */
#include "cli/value_names.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void value_names_load(hps_study *study, value_names *out)
{
    const char *text = NULL;
    memset(out, 0, sizeof *out);
    if (hps_study_user_attrs(study, &text) == HPS_OK)
        out->attrs = json_loads(text, 0, NULL);
    out->n_objectives = hps_study_n_directions(study);
    out->n_constraints = json_array_size(json_object_get(out->attrs, "constraints"));
}

void value_names_clear(value_names *names)
{
    json_decref(names->attrs);
    names->attrs = NULL;
}

int value_names_extended(const value_names *names)
{
    return names->n_objectives > 1 || names->n_constraints > 0;
}

const char *value_names_objective(const value_names *names, size_t k, char *buf, size_t size)
{
    const json_t *metrics = json_object_get(names->attrs, "metrics");
    const char *name = json_string_value(json_array_get(metrics, k));
    if (name == NULL && k == 0)
        name = json_string_value(json_object_get(names->attrs, "metric"));
    if (name != NULL)
        return name;
    if (names->n_objectives == 1)
        return "value";
    snprintf(buf, size, "values_%zu", k);
    return buf;
}

static const json_t *constraint_entry(const value_names *names, size_t k)
{
    return json_array_get(json_object_get(names->attrs, "constraints"), k);
}

const char *value_names_constraint(const value_names *names, size_t k, char *buf, size_t size)
{
    const char *name = json_string_value(json_object_get(constraint_entry(names, k), "name"));
    if (name != NULL)
        return name;
    snprintf(buf, size, "constraint_%zu", k);
    return buf;
}

/* The trial's value from what is stored, `value - max` (or `min - value`), and the bound:
 * the subtraction and its undoing leave an error in the last bits (0.82 - 2 + 2 is
 * 0.8199999999999998), which rounding to 15 significant digits takes away. A value the
 * trial printed with more digits than that (a full 17-digit repr) is shown to 15; the
 * exact stored difference is in the trial's system attribute "constraints". */
static double unshifted(double stored, double bound, int sign)
{
    char text[40];
    snprintf(text, sizeof text, "%.15g", bound + sign * stored);
    return strtod(text, NULL);
}

double value_names_constraint_value(const value_names *names, const hps_frozen *t, size_t k,
                                    char *bound_text, size_t size)
{
    const json_t *entry = constraint_entry(names, k);
    const json_t *max = json_object_get(entry, "max"), *min = json_object_get(entry, "min");
    double stored = k < hps_frozen_n_constraints(t) ? hps_frozen_constraint(t, k) : NAN;
    if (json_is_number(max)) {
        snprintf(bound_text, size, "<= %.6g", json_number_value(max));
        return unshifted(stored, json_number_value(max), +1);
    }
    if (json_is_number(min)) {
        snprintf(bound_text, size, ">= %.6g", json_number_value(min));
        return unshifted(stored, json_number_value(min), -1);
    }
    snprintf(bound_text, size, "<= 0");
    return stored;
}

/* The values of step `index` of t into vals (room for the study's objectives): how many
 * the step has (1 when it was reported alone, with hps_trial_report). */
static size_t step_values(const value_names *names, const hps_frozen *t, size_t index,
                          double *vals)
{
    size_t n = hps_frozen_intermediate_values(t, index, vals, names->n_objectives);
    return n < names->n_objectives ? n : names->n_objectives;
}

double value_names_objective_value(const value_names *names, const hps_frozen *t, size_t k)
{
    if (k < hps_frozen_n_values(t))
        return hps_frozen_value(t, k);
    if (hps_frozen_state(t) != HPS_PRUNED || k >= names->n_objectives)
        return NAN;
    double *vals = malloc(names->n_objectives * sizeof *vals);
    double last = NAN;
    int64_t last_step = -1;
    for (size_t i = 0; vals != NULL && i < hps_frozen_n_intermediate(t); i++) {
        int64_t step;
        double first;
        hps_frozen_intermediate(t, i, &step, &first);
        if (step > last_step && step_values(names, t, i, vals) > k) {
            last_step = step;
            last = vals[k];
        }
    }
    free(vals);
    return last;
}

static json_t *json_number_or_name(double x)
{
    if (isnan(x))
        return json_string("NaN");
    if (isinf(x))
        return json_string(x > 0 ? "Infinity" : "-Infinity");
    return json_real(x);
}

json_t *value_names_intermediate_json(const value_names *names, const hps_frozen *t)
{
    json_t *all = json_object();
    double *vals = malloc((names->n_objectives + 1) * sizeof *vals);
    int ok = all != NULL && vals != NULL;
    char buf[64], step_text[32];
    for (size_t k = 0; ok && k < names->n_objectives; k++) {
        json_t *steps = json_object();
        ok = steps != NULL &&
             json_object_set_new(all, value_names_objective(names, k, buf, sizeof buf), steps) == 0;
        for (size_t i = 0; ok && i < hps_frozen_n_intermediate(t); i++) {
            int64_t step;
            double first;
            hps_frozen_intermediate(t, i, &step, &first);
            if (step_values(names, t, i, vals) <= k)
                continue;
            snprintf(step_text, sizeof step_text, "%" PRId64, step);
            ok = json_object_set_new(steps, step_text, json_number_or_name(vals[k])) == 0;
        }
    }
    free(vals);
    if (!ok) {
        json_decref(all);
        return NULL;
    }
    return all;
}

const char *value_names_no_best(size_t n_constraints)
{
    return n_constraints > 0 ? "no COMPLETE trial meets the constraints yet"
                             : "no trial has completed yet";
}

void value_names_print_pareto_heading(size_t n, size_t n_constraints)
{
    printf("Pareto set: %zu trial%s (%sCOMPLETE, no other better in every objective)\n", n,
           n == 1 ? "" : "s", n_constraints > 0 ? "feasible, " : "");
}

const char *value_names_feasible(const hps_frozen *t)
{
    if (hps_frozen_n_constraints(t) == 0)
        return "-";
    return hps_frozen_feasible(t) ? "yes" : "no";
}
