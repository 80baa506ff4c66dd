/* nsga3.h -- the parts of NSGA-III ("nsga3", nsga3.c) that cut the front which does not
 * fit whole into the next parents, exposed for their tests: Das-Dennis reference points,
 * normalization by the ideal point and the intercepts of the extreme points' hyperplane,
 * association with the nearest reference line, and niching. Values are minimized (a
 * maximized objective negated), n rows of m. */
#ifndef HPS_NSGA3_H
#define HPS_NSGA3_H

#include "base/rng.h"

#include <stddef.h>

/* At most this many reference points, given or generated. */
#define HPS_NSGA3_MAX_REFERENCE_POINTS 100000

/* The size of the Das-Dennis set of m objectives and h divisions, C(h + m - 1, m - 1), or
 * SIZE_MAX when beyond HPS_NSGA3_MAX_REFERENCE_POINTS. */
size_t hps_nsga3_n_reference_points(size_t m, size_t h);

/* The Das-Dennis set into out (hps_nsga3_n_reference_points rows of m): every point of
 * the unit simplex whose coordinates are multiples of 1/h, in the order of Optuna's
 * (combinations with replacement of h axes, each adding 1/h to its axis). */
void hps_nsga3_reference_points(size_t m, size_t h, double *out);

/* Normalizes values in place as Optuna's NSGA-III: infinities clipped to 3 ranges
 * beyond the finite ones, the ideal point (each objective's minimum) subtracted, then
 * each objective divided by its intercept with the hyperplane through the extreme points
 * (the minimizers of the achievement scalarizing function of each axis); when those are
 * degenerate, by the objective's maximum instead. */
void hps_nsga3_normalize(double *values, size_t n, size_t m);

/* For each row, the reference line (from the origin through a reference point) it is
 * nearest, the first on a tie, and the distance to it. */
void hps_nsga3_associate(const double *values, size_t n, size_t m, const double *refs,
                         size_t n_refs, size_t *closest, double *distance);

/* Niching: the first n_elite rows of closest/distance are the parents already kept, the
 * next count the front; picks `room` (<= count) members of the front, by position
 * 0..count-1, into picked, in the order chosen: each time one of the reference points
 * with members left whose kept neighbours are fewest (at random among them), and of its
 * members the nearest when it has none kept yet, else one at random. 0, or -1 when out
 * of memory. */
int hps_nsga3_niche(const size_t *closest, const double *distance, size_t n_elite,
                    size_t count, size_t room, size_t n_refs, hps_rng *rng, size_t *picked);

#endif
