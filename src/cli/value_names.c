/* value_names.c -- the names of a study's values and constraints (see value_names.h). */
#include "cli/value_names.h"

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
