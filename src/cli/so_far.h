/* so_far.h -- a PAUSED trial's result so far: the values of its last reported step.
 *
 * A paused trial has no objective value (it is neither finished nor failed), yet the
 * library documents its last intermediate value as its result so far (hpsearch.h,
 * "paused trials"), and a run that ends with trials paused says so. `hpsearch trials`
 * and the report show that value beside the state PAUSED, so that a reader sees how far
 * each paused trial got; `best` and the charts of finished trials never use it. */
#ifndef HPS_CLI_SO_FAR_H
#define HPS_CLI_SO_FAR_H

#include "hpsearch.h"

#include <stddef.h>
#include <stdint.h>

/* For a PAUSED trial with intermediate values: the step of its last one into *step and
 * up to `cap` of that step's values (one per objective it was reported with) into
 * values; returns how many were written. 0 for any other trial. */
size_t so_far_values(const hps_frozen *t, int64_t *step, double *values, size_t cap);

#endif
