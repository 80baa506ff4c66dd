/* grid_refine.h -- a finer grid around the best cells of a finished grid search, for
 * `hpsearch narrow` ("broad first, then narrow"). Pure functions on numbers: the
 * command decides which parameters are axes and writes the result. */
#ifndef HPS_CLI_GRID_REFINE_H
#define HPS_CLI_GRID_REFINE_H

#include <stddef.h>

/* Whether `values` (any order, distinct) are spaced geometrically rather than evenly,
 * as 0.001, 0.01, 0.1 or 32, 64, 128 are: all positive, and the ratios of neighbours
 * more alike than their differences. Two values count as geometric when they are at
 * least a factor of 10 apart (an order of magnitude is how such lists are written). */
int grid_values_geometric(const double *values, size_t n);

/* The refined values of one numeric axis. `axis` holds the values the old grid tried
 * (n_axis >= 1, any order, distinct); `best` the values the best cells had on this axis
 * (each one of `axis`; repeats allowed). Writes to `out` (room for 3 * n_best values)
 * the sorted, distinct union of every best value and one new point strictly between it
 * and each of its neighbours on the sorted old axis (one point between two best
 * neighbours):
 *   - the midpoint, or the geometric mean when `log_scale`;
 *   - when step > 0 (ints: 1), the lattice point origin + k * step nearest to it (a
 *     tie goes toward the best value, the upper one between two), and none when no
 *     lattice point lies strictly between;
 *   - otherwise rounded to the fewest significant digits, at least 3, that keep it
 *     strictly between (a value people read: 0.00316, not 0.0031622776601683794).
 * New points never leave the old axis' span: a best value at an end gets a point on its
 * inner side only. Returns the number of values written. */
size_t grid_refine_axis(const double *axis, size_t n_axis, const double *best, size_t n_best,
                        int log_scale, double step, double origin, double *out);

#endif
