/* prior.h -- what the user believes about a parameter before the first trial.
 *
 * A prior never changes the search space (the distribution, its JSON, the study's
 * compatibility checks): it only weighs where samplers look. Two forms, as JSON:
 *   {"center": c, "scale": s}   ints and floats: a normal truncated to [low, high] in
 *                                the parameter's own scale -- linear, or log10 for log
 *                                parameters, where `c` is in natural units and `s` is
 *                                in decades (s = 1: a factor of 10 either way);
 *   {"weights": [w0, w1, ...]}   categoricals: one positive weight per choice, in the
 *                                order of the choices (normalised here).
 * What samplers use is that distribution mixed with the uniform one, which keeps
 * HPS_PRIOR_UNIFORM_SHARE of the weight: a prior that is wrong then rules no region out
 * (its log density is bounded below by log of that share), so the search can leave it.
 * Every sampler sees a prior in its unit position (hps_dist_to_unit's [0, 1], log
 * scaled for log parameters), where the truncated normal stays a truncated normal, so
 * the independent samplers draw from it by the inverse CDF and the model-based ones
 * add its log density to their acquisition (the way of piBO, Hvarfner et al. 2022). */
#ifndef HPS_PRIOR_H
#define HPS_PRIOR_H

#include "base/dist.h"
#include "base/errbuf.h"

#include <jansson.h>

/* The uniform distribution's share of every prior (see above). */
#define HPS_PRIOR_UNIFORM_SHARE 0.1

typedef struct hps_prior {
    int categorical;   /* weights, else center and scale */
    double center, scale;
    double *weights;   /* normalised, owned */
    size_t n_weights;
} hps_prior;

/* Parses a prior's JSON form (messages name the parameter): HPS_ERR_INVALID for a
 * malformed one (unknown keys, scale <= 0, a weight <= 0 ...), HPS_ERR_NOMEM. */
hps_status hps_prior_from_json(hps_prior *prior, const char *name, const json_t *node,
                               hps_errbuf *err);
void hps_prior_clear(hps_prior *prior);

/* Whether the prior fits the distribution: the right form for its kind, the center
 * inside [low, high], one weight per choice. HPS_ERR_INVALID naming what is wrong. */
hps_status hps_prior_check(const hps_prior *prior, const char *name, const hps_dist *dist,
                           hps_errbuf *err);

/* The unit position that a uniform u in [0, 1) maps to under the prior (the inverse
 * CDF): a quasi-random u stays quasi-random in the prior's measure. The prior must
 * fit `dist`. */
double hps_prior_unit_quantile(const hps_prior *prior, const hps_dist *dist, double u);

/* Log density of the prior at an encoded value (the unit position of an int or float,
 * the index of a categorical), relative to the uniform density, so that 0 everywhere
 * is "no prior". `dlog` (may be NULL) receives its derivative for numeric ones. */
double hps_prior_log_density(const hps_prior *prior, const hps_dist *dist, double encoded,
                             double *dlog);

/* The study's priors by parameter name, and beta: the prior weighs as
 * prior(x)^(beta / n) after n finished trials. */
typedef struct hps_priors {
    char **names;
    hps_prior *items;
    size_t n;
    double beta; /* 0: the default (hps_priors_beta) */
} hps_priors;

/* The prior of `name`, or NULL (priors may be NULL). */
const hps_prior *hps_priors_find(const hps_priors *priors, const char *name);
/* Sets (copying `prior`'s content into the table, which then owns it) or replaces the
 * prior of `name`. HPS_ERR_NOMEM leaves the table and `prior` as they were. */
hps_status hps_priors_set(hps_priors *priors, const char *name, hps_prior *prior);
void hps_priors_clear(hps_priors *priors);

/* piBO's beta for a study with a budget of `budget` trials (0: none): beta = N / 10 for
 * a budget of N trials, as the paper sets it; 10 without a budget (N = 100). */
double hps_priors_beta(const hps_priors *priors, uint64_t budget);

#endif
