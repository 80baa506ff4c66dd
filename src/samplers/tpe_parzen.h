/* tpe_parzen.h -- the Parzen estimator of the TPE sampler: a weighted mixture of
 * product kernels over a mixed search space, as Optuna builds it.
 *
 * Every observation is one mixture component (plus one broad "prior" component), and
 * each component is a product over the dimensions of
 *   - a truncated normal for continuous floats (in log space for log parameters),
 *   - the normal mass of each value's cell for ints and stepped floats (a discretized
 *     truncated normal: the cell of value v is [v - step/2, v + step/2], log-scaled for
 *     log parameters),
 *   - an Aitchison-Aitken style kernel for categoricals (most mass on the observed
 *     choice, the rest spread evenly).
 * TPE samples candidates from the estimator of the good trials and ranks them by the
 * log-density ratio against the estimator of the others.
 *
 * Values are in the internal form of hps_dist (categoricals are indices). */
#ifndef HPS_TPE_PARZEN_H
#define HPS_TPE_PARZEN_H

#include "base/dist.h"
#include "base/rng.h"

#include <stddef.h>
#include <stdint.h>

/* Scratch memory for one sampling step: bump allocation, all released at once by
 * tpe_arena_reset, which keeps one block big enough for the last step so the next
 * step allocates nothing (no malloc traffic, no page faults). */
typedef struct tpe_arena {
    unsigned char *block;
    size_t cap, used, wanted; /* wanted: bytes the current step asked for in total */
    void **extra;             /* blocks taken when `block` ran out */
    size_t n_extra, cap_extra;
} tpe_arena;

/* Zeroed, 16-byte aligned room for count * size bytes; NULL on overflow or OOM. */
void *tpe_arena_calloc(tpe_arena *arena, size_t count, size_t size);
void tpe_arena_reset(tpe_arena *arena);
void tpe_arena_free(tpe_arena *arena);

/* Log cell masses of discrete dimensions kept from one sampling step to the next. A
 * mass is a function of the dimension's grid, the candidate's value, the component's
 * centre and its bandwidth, and successive steps of a study meet mostly the same ones
 * (bandwidths sit at the clip floor, candidates near the good region). One cache serves
 * every dimension with the same grid. Direct-mapped; an entry is compared in full, so
 * a hit returns exactly what computing would. */
typedef struct tpe_mass_entry {
    int64_t value_grid, centre_grid; /* grid indices of the candidate and the centre */
    uint64_t sigma_bits;             /* 0: empty (bandwidths are never +0.0) */
    double log_mass;
} tpe_mass_entry;

typedef struct tpe_mass_cache {
    double low, high, step; /* the grid */
    int log;
    tpe_mass_entry *entries; /* 2^bits */
    unsigned bits;
} tpe_mass_cache;

/* Caches for the discrete grids a sampler meets, up to a fixed number of grids. */
typedef struct tpe_mass_caches {
    tpe_mass_cache *items; /* room for TPE_MAX_MASS_CACHES (tpe_parzen.c) */
    size_t n;
} tpe_mass_caches;

/* The cache for `dist`'s grid, created on first use; NULL when there is no room (the
 * caller then computes every mass, which is slower but gives the same results). */
tpe_mass_cache *tpe_mass_cache_for(tpe_mass_caches *caches, const hps_dist *dist);
void tpe_mass_caches_free(tpe_mass_caches *caches);

/* How a dimension is modelled. */
typedef enum tpe_dim_kind { TPE_CONTINUOUS = 0, TPE_DISCRETE = 1, TPE_CATEGORICAL = 2 } tpe_dim_kind;

typedef struct tpe_dim {
    const hps_dist *dist; /* borrowed */
    tpe_dim_kind kind;
    int log;
    double lo, hi;        /* kernel domain in the transformed (possibly log) scale */
    double cell_lo_floor; /* discrete log: lowest lower cell edge in linear scale */
    size_t n_choices;
    uint64_t cardinality; /* discrete: number of values (UINT64_MAX when huge) */
    tpe_mass_cache *masses; /* discrete, optional (borrowed): masses of earlier steps */
} tpe_dim;

/* Describes `dist` as a kernel dimension. */
void tpe_dim_init(tpe_dim *dim, const hps_dist *dist);

typedef struct tpe_params {
    double prior_weight;     /* > 0 */
    int consider_prior;      /* add the broad prior component */
    int consider_magic_clip; /* lower bound on bandwidths */
    int consider_endpoints;  /* univariate bandwidths: use the domain ends as neighbours */
    int scott_bandwidth;     /* Optuna 2.2-4.x multivariate rule: one Scott-style
                                bandwidth per dimension; else each centre's larger gap
                                to a neighbour (Optuna 5's rule for every mode) */
    int uniform_weights;     /* 0: Optuna's default_weights (old trials ramp down) */
} tpe_params;

/* One dimension of the mixture, for all its components. */
typedef struct tpe_kernel {
    /* numeric: centre (transformed scale) and bandwidth of every component */
    double *mu, *sigma, *inv_sigma, *log_sigma;
    /* discrete: observation components grouped by distinct (centre, sigma), so each
     * cell mass is computed once per group */
    uint32_t *pair_of;   /* group of each observation component */
    size_t n_pairs;
    double *pair_mu, *pair_sigma, *pair_inv_sigma, *pair_log_sigma;
    int64_t *pair_grid;  /* grid index of the group's centre */
    uint32_t *pair_class; /* linear grids: index of the group's sigma among distinct ones */
    size_t n_classes;
    /* categorical: observed choice (-1 for the prior row; a double so that density
     * loops compare like with like), log probability of any other choice, what the
     * observed choice has beyond that, and the probability that sampling takes the
     * observed choice outright (else it draws uniformly over all choices) */
    double *cat_obs;
    double *cat_log_other, *cat_log_delta, *cat_p_hit;
    /* the observation components by observed choice: members[start[c] .. start[c+1]) */
    uint32_t *cat_members;
    size_t *cat_start;
} tpe_kernel;

typedef struct tpe_parzen {
    tpe_arena *arena;                         /* holds everything below */
    size_t n_dims, n_obs, n_comp, prior_comp; /* prior_comp == n_comp when there is none */
    const tpe_dim *dims;                      /* borrowed */
    double *weights;                          /* normalised, n_comp */
    double *cum_weights;
    double *base;   /* log weight + per-component normalising constants + the
                       categorical log probabilities of choices not observed, n_comp */
    tpe_kernel *kernels; /* n_dims */
} tpe_parzen;

/* Builds the estimator from `n_obs` observations (row-major, n_dims values each, all
 * valid values of the dims), in `arena` (valid until its next reset). Observations
 * must be in trial-number order when the default weights are used (older trials weigh
 * less). -1 on out-of-memory. */
int tpe_parzen_build(tpe_parzen *pe, tpe_arena *arena, const tpe_dim *dims, size_t n_dims,
                     const double *obs, size_t n_obs, const tpe_params *params);

/* The same with the observations' weights given (n_obs positive values, MOTPE's
 * hypervolume contributions: Optuna's predetermined_weights) instead of the rule in
 * params; the prior component keeps prior_weight, and all are normalised together.
 * weights NULL: tpe_parzen_build. */
int tpe_parzen_build_weighted(tpe_parzen *pe, tpe_arena *arena, const tpe_dim *dims,
                              size_t n_dims, const double *obs, size_t n_obs,
                              const tpe_params *params, const double *weights);

/* Draws `n` points (row-major, valid internal values) from the mixture. */
void tpe_parzen_sample(const tpe_parzen *pe, hps_rng *rng, size_t n, double *out);

/* Log density (mass, for discrete dimensions) of `n` points, into out[n]. Points must
 * be valid values of the dims. -1 on out-of-memory. */
int tpe_parzen_log_pdf(const tpe_parzen *pe, const double *x, size_t n, double *out);

/* Optuna's default_weights: 1 for the newest 25, a linear ramp from 1/n up for older. */
void tpe_default_weights(size_t n, double *out);

/* Numerics shared with the tests. */
double tpe_log_ndtr(double x);
/* log(Phi(b) - Phi(a)) for a < b, accurate in the tails. */
double tpe_log_gauss_mass(double a, double b);
/* Inverse of the standard normal CDF, for 0 < p < 1. */
double tpe_ndtri(double p);
/* A standard normal truncated to [a, b] (a < b) from a uniform u in [0, 1). */
double tpe_truncnorm_ppf(double u, double a, double b);

#endif
