/* value_names.h -- what a study's values and constraint values are called, for the
 * commands that show trials (`trials`, `best`, `show`).
 *
 * `hpsearch run` records the names as study user attributes: "metric" (the first
 * objective), "metrics" (every objective's, when there are several) and "constraints"
 * ([{name, max} or {name, min}], in the order of the trial's constraint values). The
 * library keeps a constraint as Optuna does (value - max, or min - value: <= 0 is
 * feasible); these helpers turn it back into the value the trial printed. */
#ifndef HPS_CLI_VALUE_NAMES_H
#define HPS_CLI_VALUE_NAMES_H

#include "hpsearch.h"

#include <jansson.h>
#include <stddef.h>

typedef struct value_names {
    json_t *attrs;          /* the study's user attributes (holds the names) */
    size_t n_objectives;    /* the study's directions */
    size_t n_constraints;   /* constraints described in "constraints" */
} value_names;

/* Reads the names of `study`'s values. Never fails: missing names read as "value",
 * "values_K" and "constraint_K". */
void value_names_load(hps_study *study, value_names *out);
void value_names_clear(value_names *names);

/* Whether the study's trials need more than the one-value views: several objectives, or
 * constraints. */
int value_names_extended(const value_names *names);

/* The k-th objective's name (borrowed from names, or written into buf). */
const char *value_names_objective(const value_names *names, size_t k, char *buf, size_t size);
/* The k-th constraint's name likewise. */
const char *value_names_constraint(const value_names *names, size_t k, char *buf, size_t size);

/* The k-th constraint of trial t as the trial printed it; NaN when the trial has none.
 * *bound_text gets "<= 10" or ">= 0.5" (or "<= 0" when the bound is unknown). */
double value_names_constraint_value(const value_names *names, const hps_frozen *t, size_t k,
                                    char *bound_text, size_t size);

/* The k-th objective of trial t as `trials` shows it: the trial's value, or, for a
 * PRUNED trial that has none for k, the last value it reported for objective k -- the
 * library makes the first objective's last report a PRUNED trial's value, and the other
 * objectives read the same way. NaN when there is none (or the last report was NaN). */
double value_names_objective_value(const value_names *names, const hps_frozen *t, size_t k);

/* Every objective's intermediate values, for a study of several: {"NAME": {"STEP":
 * value, ...}, ...} in the order of the directions, a step under each objective it was
 * reported for; non-finite values as the strings "NaN", "Infinity" and "-Infinity", as
 * hps_frozen_to_json writes them. NULL when out of memory. */
json_t *value_names_intermediate_json(const value_names *names, const hps_frozen *t);

/* "yes", "no", or "-" for a trial without constraint values. */
const char *value_names_feasible(const hps_frozen *t);

/* Why a study has no best trial (or Pareto set) yet, for `run`, `best` and `show` alike:
 * with constraints, that no COMPLETE trial meets them. */
const char *value_names_no_best(size_t n_constraints);

/* The heading `run`, `best` and `show` print above a Pareto set of n trials. */
void value_names_print_pareto_heading(size_t n, size_t n_constraints);

#endif
