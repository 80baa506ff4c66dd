/* importance.h -- parameter importance: fANOVA on a random forest (and the forest's mean
 * decrease impurity, forest.h; PED-ANOVA, ped_anova.h).
 *
 * The forest (forest.h) is fitted to the objective as a function of the parameters in
 * their unit form; fANOVA (Hutter, Hoos and Leyton-Brown, "An Efficient Approach for
 * Assessing Hyperparameter Importance", ICML 2014) then splits each tree's variance
 * over the whole search space into the part each parameter explains alone. A tree is
 * a partition of the space into boxes with constant predictions, so the marginal of
 * one parameter is a step function that a sweep over the boxes' edges computes
 * exactly. This is what Optuna's default FanovaImportanceEvaluator computes.
 *
 * hps_study_importances (hpsearch.h) gathers the study's COMPLETE trials and calls
 * these, or PED-ANOVA, as its evaluator says. */
#ifndef HPS_IMPORTANCE_H
#define HPS_IMPORTANCE_H

#include "engine/forest.h"

/* At most this many trials feed the forest: beyond it a seeded uniform sample of them
 * does, which keeps a 100 000-trial study's importances to a fraction of a second
 * and changes the estimate little. */
#define HPS_IMPORTANCE_MAX_TRIALS 2000u
/* Parameters beyond this count are not ranked (an error names the cap). */
#define HPS_IMPORTANCE_MAX_PARAMS 1024u

/* For each feature f, out[f] = the fraction of a tree's variance that f explains alone,
 * averaged over the trees whose prediction varies; all 0 when none does. Numeric
 * features must be in [0, 1] (the forest's domain); set-split categorical features
 * weigh every category equally. HPS_ERR_NOMEM. */
hps_status hps_importance_fanova(const hps_forest *forest, double *out);

/* Fits a forest with options `opt` and computes fANOVA (out[f] as above, not
 * normalized) or, with `mdi`, mean decrease impurity (hps_forest_mdi). Errors as for
 * hps_forest_fit. */
hps_status hps_importance_forest(const double *x, const double *y, size_t n, size_t d,
                                 const hps_forest_feature *features,
                                 const hps_forest_options *opt, int mdi, double *out);

/* Fits the forest (hps_forest_fit with default options and `seed`) and runs fANOVA:
 * out[f] as above, not normalized. The targets may have any scale. */
hps_status hps_importance_compute(const double *x, const double *y, size_t n, size_t d,
                                  const hps_forest_feature *features, uint64_t seed,
                                  double *out);

#endif
