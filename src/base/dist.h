/* dist.h -- parameter distributions: validation, encodings, JSON.
 *
 * A distribution maps between three forms of a value:
 *   external  what the user sees (hps_value: 0.01, 64, "relu");
 *   internal  a double: the float, the int, or the categorical index;
 *   unit      a position in [0, 1] used by samplers (log-scaled for HPS_LOG).
 * Samplers draw in the unit form and the distribution snaps the result onto valid
 * values (steps, integers, choices), so no sampler can produce an invalid value. */
#ifndef HPS_DIST_H
#define HPS_DIST_H

#include "base/errbuf.h"
#include "hpsearch.h"

#include <jansson.h>

struct hps_dist {
    hps_dist_kind kind;
    double low, high;  /* float and int */
    double step;       /* 0 = continuous (float) ; int step >= 1 */
    unsigned flags;    /* HPS_LOG */
    hps_value *choices; /* categorical, owned */
    size_t n_choices;
};

/* Validate and initialise. Messages name the parameter. On error `dist` is left empty
 * (safe to hps_dist_clear). */
hps_status hps_dist_init_float(hps_dist *dist, const char *name, double low, double high,
                               double step, unsigned flags, hps_errbuf *err);
hps_status hps_dist_init_int(hps_dist *dist, const char *name, int64_t low, int64_t high,
                             int64_t step, unsigned flags, hps_errbuf *err);
hps_status hps_dist_init_categorical(hps_dist *dist, const char *name, const hps_value *choices,
                                     size_t n_choices, hps_errbuf *err);
void hps_dist_clear(hps_dist *dist);
int hps_dist_copy(hps_dist *dst, const hps_dist *src);
int hps_dist_equal(const hps_dist *a, const hps_dist *b);
/* Same kind and, for categoricals, same choices: what Optuna calls compatible. */
int hps_dist_compatible(const hps_dist *a, const hps_dist *b);

/* Whether `internal` is a valid value of the distribution. */
int hps_dist_contains(const hps_dist *dist, double internal);
/* Internal value of an external one; -1 if it is not a valid value. */
int hps_dist_internal_of(const hps_dist *dist, const hps_value *value, double *internal);

/* Number of distinct values, or 0 for a continuous float. Saturates at UINT64_MAX. */
uint64_t hps_dist_cardinality(const hps_dist *dist);
/* The i-th distinct value (i < cardinality) in increasing order. */
double hps_dist_nth_value(const hps_dist *dist, uint64_t i);

/* Maps u in [0, 1) to a valid internal value, uniformly over the distribution's
 * values: continuous floats linearly (or log-linearly); ints and stepped floats give
 * each valid value an equal share of [0, 1) (log-distributed ones a log-shaped share). */
double hps_dist_from_unit(const hps_dist *dist, double u);
/* Inverse position of an internal value in [0, 1] (center of its share for discrete). */
double hps_dist_to_unit(const hps_dist *dist, double internal);
/* Snaps any finite number to the nearest valid internal value. */
double hps_dist_snap(const hps_dist *dist, double x);

json_t *hps_dist_to_json_node(const hps_dist *dist);
/* Parses the JSON form. HPS_ERR_CORRUPT with a message naming the parameter on
 * malformed input, HPS_ERR_NOMEM when out of memory. */
hps_status hps_dist_from_json_node(hps_dist *dist, const char *name, const json_t *node,
                                   hps_errbuf *err);

#endif
