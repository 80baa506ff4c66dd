/* ehvi.h -- log expected hypervolume improvement under independent Gaussian posteriors,
 * and the log probability of feasibility of a constraint.
 *
 * Every objective is minimized. The region a new point y can add to the hypervolume of
 * a front P (w.r.t. the reference point r) is the part of {z <= r} no point of P
 * dominates. It is cut into disjoint boxes exactly: a grid over the first m - 1
 * objectives whose lines are the front's coordinates (and -inf, r), and in each grid
 * cell with lower corner l the last objective runs from -inf up to the smallest last
 * coordinate of the front points p with p <= l on the first m - 1 (r_last when none).
 * Every point of a cell below that bound is undominated (a dominating p would satisfy
 * p <= l), and every point above it is dominated; so the improvement of y is
 *     HVI(y) = sum over boxes [l, u] of prod_k (u_k - max(l_k, y_k))^+.
 * For y_k ~ N(mu_k, s_k^2) independent, (u - max(l, y))^+ = (u - y)^+ - (l - y)^+ and
 * E (c - y)^+ = s h((c - mu) / s) with h(z) = phi(z) + z Phi(z), so
 *     EHVI = sum_boxes prod_k s_k (h(z_uk) - h(z_lk)),
 * and in logs each factor is log s + log h(z_u) + log(1 - exp(log h(z_l) - log h(z_u))),
 * log h from the stable three-branch form of acquisition.h; the sum is a logsumexp.
 * Far from the front every box's factor underflows as a number but not as a log, so the
 * value and its gradient stay useful (the point of log-EI, carried over).
 * Optuna's GPSampler integrates the same boxes by quasi-Monte-Carlo over the posterior;
 * the closed form here is exact and needs no samples.
 *
 * Size: the grid has (front + 1)^(m - 1) cells, one box each. Beyond GP_EHVI_MAX_BOXES
 * the front is reduced to its largest hypervolume contributors first (an
 * approximation: a point left out makes the region it dominates look open). */
#ifndef HPS_GP_EHVI_H
#define HPS_GP_EHVI_H

#include <stddef.h>

#define GP_EHVI_MAX_BOXES 4096

typedef struct gp_ehvi {
    size_t m;          /* objectives, >= 2 */
    size_t n_boxes;
    double *coord;     /* per objective k: its grid, -inf first and r_k last */
    size_t *coord_off; /* m + 1: objective k's grid is coord[coord_off[k] .. coord_off[k+1]) */
    size_t *box;       /* n_boxes x m: lower grid index per objective < m - 1 (the box is
                          [coord[j], coord[j + 1]] there), upper grid index on the last */
    /* per evaluation */
    double *log_f, *dmu, *dsd, *weight; /* one per grid interval (or last-objective
                                           coordinate), all objectives */
} gp_ehvi;

/* Builds the boxes of the improvement region of the n points (row-major, m objectives
 * each, minimized) w.r.t. ref (m values, finite). Points not strictly below ref in every
 * objective, and dominated ones, are ignored. 0 or GP_ERR_NOMEM (model.h). */
int gp_ehvi_init(gp_ehvi *e, const double *points, size_t n, size_t m, const double *ref);
void gp_ehvi_clear(gp_ehvi *e);

/* log EHVI for posterior means mu and standard deviations sd (m values each, sd > 0).
 * dmu and dsd (both given, or both NULL) receive the partial derivatives of the log.
 * -inf only when the region is empty (nothing below ref). */
double gp_ehvi_log(gp_ehvi *e, const double *mu, const double *sd, double *dmu, double *dsd);

/* log P(y <= threshold) for y ~ N(mu, sd^2), and its partial derivatives (may be NULL),
 * accurate far into both tails. */
double gp_log_pof(double mu, double sd, double threshold, double *dmu, double *dsd);

#endif
