/* pareto.h -- Pareto dominance on objective vectors: non-dominated sorting into fronts,
 * NSGA-II's crowding distance, and Deb's constrained domination.
 *
 * Pure computation on caller arrays; nothing here knows about trials or studies.
 *
 * Orientation: every objective is MINIMIZED. Callers negate the values of maximized
 * objectives before calling (and negate back anything they report).
 *
 * Layout: `points` is row-major, n rows of m doubles (point i is points[i*m .. i*m+m)).
 * `constraints`, where taken, is row-major too: n rows of k doubles. Nothing is retained
 * after a call returns; inputs are only read.
 *
 * NaN, deterministically: an objective value that is NaN is worse than every number,
 * +inf included, and equal to another NaN. A constraint value that is NaN makes the
 * point infeasible with an infinite violation (Optuna refuses NaN constraints; a trial
 * that has no constraint values can be passed as NaN and is then beaten by every trial
 * that has finite ones).
 *
 * Constraints follow Optuna: a point is feasible when every constraint value is <= 0;
 * its violation is the sum of its positive constraint values. Deb's rule: a feasible
 * point beats an infeasible one; of two infeasible points the one with the smaller
 * violation wins (equal violations: neither); two feasible points compare by Pareto
 * dominance.
 *
 * Caps: n <= HPS_PARETO_MAX_POINTS, 1 <= m <= HPS_PARETO_MAX_OBJECTIVES,
 * k <= HPS_PARETO_MAX_CONSTRAINTS; larger sizes are HPS_ERR_INVALID, as are NULL arrays
 * (except when n == 0). Functions allocate once per call at most; out of memory is
 * HPS_ERR_NOMEM with the outputs unspecified. */
#ifndef HPS_PARETO_H
#define HPS_PARETO_H

#include "hpsearch.h"

#include <stddef.h>

#define HPS_PARETO_MAX_POINTS ((size_t)1 << 24)
#define HPS_PARETO_MAX_OBJECTIVES 64
#define HPS_PARETO_MAX_CONSTRAINTS 64

/* The total order on objective values the functions here use: NaN after every number
 * and equal to itself (where numpy's sort puts it). A qsort-style result. */
int hps_pareto_cmp(double a, double b);

/* 1 when a dominates b: a is no worse in every objective and better in at least one
 * (NaN ordered as above, so equal vectors, NaN included, never dominate each other). */
int hps_pareto_dominates(const double *a, const double *b, size_t m);

/* 1 when every one of the k constraint values is <= 0 (k == 0: feasible). */
int hps_pareto_feasible(const double *c, size_t k);

/* The sum of the positive constraint values; +inf if any is NaN; 0 when feasible. */
double hps_pareto_violation(const double *c, size_t k);

/* Deb's constrained domination of b by a (objectives a, b of length m; constraint
 * values ca, cb of length k; k == 0 is plain dominance and ca, cb may be NULL). */
int hps_pareto_constrained_dominates(const double *a, const double *ca, const double *b,
                                     const double *cb, size_t m, size_t k);

/* Non-dominated sorting: rank[i] = 0 for the points no other point dominates, 1 for
 * those dominated only by rank-0 points, and so on (Deb et al.'s fronts; equal points
 * share a rank). With constraints (k > 0) the domination is Deb's constrained one, so
 * all feasible points come first, then the infeasible ones in fronts of equal violation,
 * smallest first. constraints may be NULL only when k == 0. *n_fronts (may be NULL)
 * receives 1 + the largest rank (0 when n == 0). rank has n entries.
 * Cost: O(n log n) for m <= 2, O(m n^2) at worst otherwise (Zhang et al.'s efficient
 * non-dominated sort: one sort, then each point checked against the fronts so far);
 * memory O(n). */
hps_status hps_pareto_rank(const double *points, size_t n, size_t m, const double *constraints,
                           size_t k, size_t *rank, size_t *n_fronts);

/* NSGA-II's crowding distance of the `count` points whose indices (< n) are in members
 * (usually one front), exactly as Optuna 3.1 computes it (_calc_crowding_distance): for
 * each objective, the members are stably sorted by it (each sort starting from the
 * order the previous objective left, as Optuna's in-place sorts do); an objective on
 * which all members are equal adds nothing; otherwise member j adds
 * (next - previous) / width, where previous and next are its neighbours' values in that
 * order (-inf before the first, +inf after the last, a gap between equal infinities
 * being 0) and width is the largest minus the smallest value that is not infinite
 * (1 when that is not positive). So the extreme members get +inf. NaN counts as +inf
 * here. distance[j] is member j's; distance has count entries.
 * Orientation matters only on ties: Optuna sorts the raw values (maximized objectives not
 * negated), and which of two equal members gets which neighbour follows the sort
 * direction; to reproduce its choices exactly, pass the raw values here. (Optuna's
 * NSGA-II then keeps the members in decreasing distance by sorting increasing, stably,
 * and reversing.) */
hps_status hps_pareto_crowding(const double *points, size_t n, size_t m, const size_t *members,
                               size_t count, double *distance);

/* A stable merge sort of idx[0..n) by cmp(a, b, ctx) (< 0: a first), with tmp of n
 * entries as scratch: shared by this module and hypervolume.c, which sort indices by
 * coordinates (qsort is neither stable nor given a context in C11). */
typedef int (*hps_index_cmp)(size_t a, size_t b, const void *ctx);
void hps_sort_indices(size_t *idx, size_t n, size_t *tmp, hps_index_cmp cmp, const void *ctx);

#endif
