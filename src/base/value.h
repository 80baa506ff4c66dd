/* value.h -- external parameter values (hps_value): copies, equality, JSON. */
#ifndef HPS_VALUE_H
#define HPS_VALUE_H

#include "hpsearch.h"

#include <jansson.h>

/* Deep copy (a string is duplicated). Returns 0 or -1 on OOM. */
int hps_value_copy(hps_value *dst, const hps_value *src);
/* Frees an owned string inside a value and resets it to NONE. */
void hps_value_clear(hps_value *v);
/* Same type and value (floats compared exactly; NaN never equal). */
int hps_value_equal(const hps_value *a, const hps_value *b);
/* Equality with Python semantics, used to match a given value against categorical
 * choices: 1 == 1.0 == True. */
int hps_value_loosely_equal(const hps_value *a, const hps_value *b);
/* A new JSON node for the value (reals stay reals: 1.0 is written "1.0"). */
json_t *hps_value_to_json(const hps_value *v);
/* Reads a scalar JSON node into a value whose string is borrowed from `node`.
 * Returns -1 for arrays, objects, null. */
int hps_value_from_json(const json_t *node, hps_value *out);

#endif
