/* ped_anova.h -- PED-ANOVA: parameter importance from how differently the best trials
 * chose each parameter.
 *
 * Watanabe, Bansal and Hutter, "PED-ANOVA: Efficiently Quantifying Hyperparameter
 * Importance in Arbitrary Subspaces" (IJCAI 2023), with the conditional extension of
 * "Conditional PED-ANOVA" (KDD 2026), as the newest Optuna's default
 * PedAnovaImportanceEvaluator computes it. The *target* trials are the best
 * target_quantile of the completed ones, the *region* trials the best region_quantile
 * (all of them by default). A parameter matters when the values the target trials took
 * are distributed unlike those of the region: its importance is the Pearson divergence
 * between two one-dimensional densities of the parameter, both Parzen estimators on a
 * grid of at most 50 cells (Scott's bandwidth for numbers, a smoothed histogram for
 * categories). Without evaluate_on_local the region's density is the uniform one.
 *
 * A parameter that not every trial has, or that changed its distribution during the
 * study, is split into *regimes*, one per distribution: each regime with at least two
 * region trials adds alpha^2 / beta times its divergence, alpha and beta being the
 * regime's shares of the target and the region trials; the sum is scaled by
 * (n_target / n_region)^2. No forest, no randomness: the result is a function of the
 * trials. */
#ifndef HPS_PED_ANOVA_H
#define HPS_PED_ANOVA_H

#include "base/dist.h"

#include <stddef.h>

/* Cells of the grid a numeric parameter is counted on (fewer for a parameter with
 * fewer values). */
#define HPS_PED_GRID_STEPS 50

/* One parameter value of one trial. `name` and `dist` are borrowed. */
typedef struct hps_ped_obs {
    const char *name;
    const hps_dist *dist;
    double internal;
    size_t trial;   /* index of the trial: observations of one trial share it */
    unsigned char in_target, in_region;
} hps_ped_obs;

/* A parameter and its importance. `name` is borrowed from the observations. */
typedef struct hps_ped_result {
    const char *name;
    double importance;
} hps_ped_result;

/* keep[i] = 1 for the trials among the best `quantile` (in (0, 1]) of `loss` (lower is
 * better), Optuna's way: the cut is the ceil(quantile * n)-th smallest loss, and every
 * trial at or below it is kept, ties included. HPS_ERR_NOMEM. */
hps_status hps_ped_top(const double *loss, size_t n, double quantile, unsigned char *keep);

/* The number of grid cells of a distribution, and the cell of an internal value. */
size_t hps_ped_grid_size(const hps_dist *dist);
size_t hps_ped_grid_cell(const hps_dist *dist, size_t grid_size, double internal);

/* The Parzen estimator of the counts per cell (not all 0), as probabilities of the
 * cells into pdf[grid_size]: categorical, each observed category a kernel that puts
 * weight 1 on it and the prior's share spread evenly; numeric, a discrete Gaussian
 * kernel per occupied cell with Scott's bandwidth, and a wide prior kernel. Both give
 * the prior the weight of one observation. */
void hps_ped_density(const double *counts, size_t grid_size, int categorical, double *pdf);

/* Pearson divergence sum_g local[g] (top[g] / local[g] - 1)^2 of two densities on the
 * same grid, 1e-12 added to each cell; local NULL is the uniform density. */
double hps_ped_divergence(const double *top, const double *local, size_t grid_size);

/* The importance of every parameter named in `obs`, which this reorders. n_target and
 * n_region count the target and region trials (0 < n_target <= n_region); every
 * target trial must be a region trial. *results_out (free with hps_mem_free) has one
 * entry per distinct name in no particular order, *n_results_out of them; parameters
 * without a regime of two region trials get 0. HPS_ERR_NOMEM. */
hps_status hps_ped_anova(hps_ped_obs *obs, size_t n_obs, size_t n_target, size_t n_region,
                         int evaluate_on_local, hps_ped_result **results_out,
                         size_t *n_results_out);

#endif
