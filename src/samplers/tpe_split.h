/* tpe_split.h -- how the TPE sampler chooses and weighs its good group when a study has
 * several objectives (MOTPE), as Optuna 4.9's TPESampler does (_split_complete_trials_
 * multi_objective, _solve_hssp, _calculate_weights_below_for_multi_objective).
 *
 * Pure computation on caller arrays, with base/pareto.h's conventions: every objective
 * MINIMIZED (callers negate maximized ones), points row-major, n rows of m doubles,
 * inputs only read. Each returns HPS_OK, HPS_ERR_NOMEM (outputs unspecified) or
 * HPS_ERR_INVALID for sizes base/pareto.h refuses.
 *
 * The reference point is Optuna's (hypervolume.h's rule, r = max(1.1 w, 0.9 w) of the
 * worst value w of each objective, 1e-12 where that is 0), taken over the points the
 * step looks at; where a value is not finite Optuna's reference would not be either, and
 * each function below says what Optuna does then. */
#ifndef HPS_TPE_SPLIT_H
#define HPS_TPE_SPLIT_H

#include "hpsearch.h"

#include <stddef.h>

/* The good group of k of the n points: whole non-dominated fronts (base/pareto.h's
 * ranks, equal points sharing one) while they fit, then the front that does not fit cut
 * down by tpe_hssp. below[i] = 1 for the k chosen (k >= n: all). */
hps_status tpe_split_pareto(const double *points, size_t n, size_t m, size_t k,
                            unsigned char *below);

/* Hypervolume subset selection, greedy (a 1 - 1/e approximation; Guerreiro, Fonseca and
 * Paquete, Evol. Comput. 2016): chooses k (< n) of the n points, meant to be one front.
 * Equal points are first reduced to one each (the first); the distinct points, in
 * lexicographic order, are then taken one at a time, each the one adding the most
 * hypervolume to those taken (the first of equal gains), w.r.t. the reference point of
 * all n. Fewer distinct points than k: all of them, then the other copies by index. A
 * reference point that is not finite (a value is inf or NaN): the first k distinct
 * points in lexicographic order (NaN after every number). chosen[0..k) receives indices.
 * With two objectives the gains are computed with Optuna's own products, so it chooses
 * as Optuna does, ties included (305 random sets: all equal). With three or more, gains
 * equal in exact arithmetic that rounding separates differently may pick another of
 * the tied points (2 of 295 random sets on a coarse grid: the same hypervolume). */
hps_status tpe_hssp(const double *points, size_t n, size_t m, size_t k, size_t *chosen);

/* The weights of the good group's n points (in the order the estimator gets them):
 * infeasible ones (feasible[i] == 0; feasible NULL: all feasible) get 1e-12; the
 * feasible ones on the feasible front their exclusive hypervolume contribution to that
 * front (base/hypervolume.h; dominated members are left out of it, as Optuna's
 * leave-one-out over the front leaves them, so they take none of a front member's
 * share), w.r.t. the reference point of all feasible ones, divided by the largest, at
 * least 1e-12; dominated and duplicated points get 1e-12. With at most one feasible point, or a feasible value
 * that is not finite or a hypervolume that overflows (Optuna's reference or volume is
 * then infinite), every feasible point weighs 1. weight has n entries. */
hps_status tpe_below_weights(const double *points, const unsigned char *feasible, size_t n,
                             size_t m, double *weight);

#endif
