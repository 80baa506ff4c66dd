/* acquisition.h -- where to sample next: log expected improvement (or log EHVI, plus
 * log probability of feasibility: ehvi.h) and its maximizer.
 *
 * Expected improvement under a Gaussian posterior (mean mu, sd sigma) below the
 * incumbent `best` (lower is better) is EI = sigma h(z), z = (best - mu) / sigma,
 * h(z) = phi(z) + z Phi(z). Far from the incumbent h underflows to 0 and its gradient
 * with it, which leaves a gradient-based optimizer stranded on a flat plateau. Working
 * with log h, computed in the three-branch form of Ament et al. 2023 ("Unexpected
 * improvements to expected improvement for Bayesian optimization"), keeps the value and
 * a useful gradient (d log h / dz ~ -z) for any z a double can hold.
 *
 * The maximizer: a scrambled-Sobol candidate set plus perturbations of the best
 * observed points, all snapped onto the valid values of discrete dimensions; L-BFGS
 * (NLopt, bounded to the unit box) refines the best few over the continuous
 * dimensions; a discrete local search then tries other values of the int, stepped and
 * categorical dimensions one coordinate at a time, and the refinement repeats when
 * that moved the point. */
#ifndef HPS_GP_ACQUISITION_H
#define HPS_GP_ACQUISITION_H

#include "base/dist.h"
#include "base/prior.h"
#include "samplers/gp/ehvi.h"
#include "samplers/gp/model.h"

#include <stdint.h>

/* log h(z) with h(z) = phi(z) + z Phi(z). `ratio_cdf` (may be NULL) receives
 * Phi(z) / h(z) = d log h / dz and `ratio_pdf` (may be NULL) phi(z) / h(z); both are
 * computed without cancellation. */
double gp_log_h(double z, double *ratio_cdf, double *ratio_pdf);

/* log EI at a point with posterior mean `mean` and variance `var` (> 0). */
double gp_log_ei(double mean, double var, double best);

/* log EI and its gradient from the posterior's gradients (d values each; only the
 * first d entries of grad_out are written). */
double gp_log_ei_grad(double mean, double var, const double *dmean, const double *dvar,
                      size_t d, double best, double *grad_out);

typedef enum gp_dim_kind {
    GP_DIM_CONTINUOUS = 0, /* float without step: any u in [0, 1] */
    GP_DIM_DISCRETE = 1,   /* int or stepped float: u on the centres of the value grid */
    GP_DIM_CATEGORICAL = 2 /* the choice index */
} gp_dim_kind;

typedef struct gp_dim {
    gp_dim_kind kind;
    const hps_dist *dist; /* borrowed */
    uint64_t levels;      /* discrete and categorical: number of values */
    const hps_prior *prior; /* the user's belief about the parameter, or NULL */
} gp_dim;

/* Discrete dimensions with more values than this are also moved by L-BFGS (and snapped
 * afterwards); with fewer, only the discrete search moves them, trying every value. */
#define GP_FINE_LEVELS 32
/* Categorical dimensions with more choices try only a seeded subset of this many. */
#define GP_MAX_CATEGORY_TRIES 256

/* The encoded value of `dim` closest to `u` that is valid (discrete: a grid centre;
 * categorical: an index; u is a unit position for numeric dims, in [0, 1] or not). */
double gp_dim_snap(const gp_dim *dim, double u);

typedef struct gp_acq_problem {
    gp_model *model;       /* factored, fantasies included */
    const gp_dim *dims;    /* model->d of them */
    double best;           /* incumbent, in target units */
    const double *fixed;   /* d encoded values, NAN where free; may be NULL */
    const unsigned char *inactive; /* d flags, 1 = held at NaN (a conditional parameter
                                      outside the branch searched); may be NULL */
    const double *taken;   /* points not to suggest again (row-major, encoded) */
    size_t n_taken;
    const double *seeds;   /* observed points worth perturbing, best first */
    size_t n_seeds;
    uint64_t seed;         /* for the candidate set */
    size_t n_candidates;
    size_t n_local;        /* L-BFGS starts */
    unsigned local_evals;  /* L-BFGS evaluations per start */
    double prior_weight;   /* piBO: maximize log EI + prior_weight * log prior (the
                              dims' priors); 0 ignores them */
    /* Several objectives: log EHVI over these models (model is objectives[0]) in place
     * of log EI. n_objectives 0 or 1 with ehvi NULL: log EI of `model` below `best`. */
    gp_model *const *objectives;
    size_t n_objectives;
    gp_ehvi *ehvi;
    /* Constraints: log P(c_i <= thresholds[i]) of each model is added (independent
     * models: the log of the product); with feasibility_only, no trial is feasible yet
     * and the objectives are left out -- first find where the constraints hold. */
    gp_model *const *constraints;
    const double *thresholds;
    size_t n_constraints;
    int feasibility_only;
} gp_acq_problem;

/* Maximizes the acquisition -- log EI, or log EHVI, plus the log probability of
 * feasibility, plus the weighted log prior; writes the encoded point into x_out (d
 * values) and the acquisition's value into *value_out. Returns 0 or GP_ERR_NOMEM. Writes
 * NaN exactly for the inactive dims: every other coordinate is a valid encoded value. */
int gp_acq_optimize(const gp_acq_problem *p, double *x_out, double *value_out);

#endif
