/* transform.h -- from the study's losses to the GP's targets.
 *
 * Training runs diverge and report absurd numbers; one loss of 1e12 among losses near
 * 0.5 would, after plain standardization, squash every useful difference into noise,
 * and so would +inf. So, before standardizing:
 *   - non-finite losses take the worst (+inf, NaN) or best (-inf) finite value;
 *   - the bad half -- losses above the median -- is compressed: distances d from the
 *     median become s asinh(d / s) (log-like growth), bounded by GP_BAD_CAP s through
 *     a tanh, where s is the spread of the good half (median minus best). Both maps
 *     are nearly the identity for d below s, so ordinary bad values keep their shape,
 *     while a catastrophe lands at most GP_BAD_CAP s away -- even when half of the
 *     trials are catastrophes, since the scale comes from the good half only;
 *   - the good half is left alone: a deep narrow optimum (Hartmann-6's) is a long good
 *     tail, and flattening it would hide exactly what the search is looking for.
 * The transform is monotone, so the best loss stays the best target. */
#ifndef HPS_GP_TRANSFORM_H
#define HPS_GP_TRANSFORM_H

#include <stddef.h>

#define GP_BAD_CAP 10.0

typedef enum gp_warp {
    GP_WARP_STANDARDIZE = 0, /* non-finite values replaced, then standardized */
    GP_WARP_ROBUST = 1       /* plus the compression of the bad half */
} gp_warp;

/* Writes targets y (mean 0, standard deviation 1) for n losses (lower is better).
 * `scratch` holds n doubles. Returns 1 when all targets are equal (y is all 0: there
 * is nothing to learn), else 0. */
int gp_transform_losses(const double *loss, size_t n, gp_warp warp, double *y, double *scratch);

/* Subtracts from the n targets y their q quantile (0 <= q <= 1, linear between order
 * statistics), so that a GP whose constant prior mean is 0 expects that level where it
 * has no data. `scratch` holds n doubles. Used with q = GP_PRIOR_MEAN_QUANTILE after
 * gp_transform_losses: at the targets' upper quartile (worse than most observations,
 * since lower is better) an unexplored region -- the box's faces and corners first --
 * is worth less than at their mean, where the posterior's large sd there made EI
 * rise toward the faces (bench/gp.md, "Proposals on the range bounds"). */
#define GP_PRIOR_MEAN_QUANTILE 0.75
void gp_transform_shift_to_quantile(double *y, size_t n, double q, double *scratch);

#endif
