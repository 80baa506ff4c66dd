/* branch.c -- Thompson sampling over the branches of a conditional space (branch.h). */
#include "samplers/gp/branch.h"

#include <math.h>

size_t gp_branch_n_good(size_t n)
{
    size_t good = (n + 9) / 10;
    return good > 25 ? 25 : good;
}

/* Gamma(shape, 1) by Marsaglia and Tsang (2000); a shape below 1 is raised by one and
 * the draw scaled by U^(1 / shape). */
static double gamma_draw(hps_rng *rng, double shape)
{
    double boost = 1;
    if (shape < 1) {
        double u = hps_rng_uniform(rng);
        boost = pow(u > 0 ? u : 1e-300, 1 / shape);
        shape += 1;
    }
    double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double z = hps_rng_normal(rng), v = 1 + c * z;
        if (v <= 0)
            continue;
        v = v * v * v;
        double u = hps_rng_uniform(rng);
        if (u < 1 - 0.0331 * z * z * z * z ||
            (u > 0 && log(u) < 0.5 * z * z + d * (1 - v + log(v))))
            return boost * d * v;
    }
}

double gp_branch_beta(hps_rng *rng, double a, double b)
{
    double x = gamma_draw(rng, a), y = gamma_draw(rng, b);
    return x + y > 0 ? x / (x + y) : 0.5;
}

double gp_branch_draw(hps_rng *rng, size_t n_trials, size_t n_good, size_t n_good_total,
                      size_t n_total)
{
    /* the prior's mean: the overall share of good trials, kept off 0 and 1 */
    double rate = n_total > 0 ? (double)n_good_total / (double)n_total : 0.5;
    rate = rate < 0.01 ? 0.01 : rate > 0.99 ? 0.99 : rate;
    double a0 = GP_BRANCH_PRIOR_TRIALS * rate, b0 = GP_BRANCH_PRIOR_TRIALS * (1 - rate);
    return gp_branch_beta(rng, a0 + (double)n_good, b0 + (double)(n_trials - n_good));
}

size_t gp_branch_thompson(hps_rng *rng, const size_t *n_trials, const size_t *n_good,
                          size_t n_branches, size_t n_good_total, size_t n_total)
{
    size_t chosen = 0;
    double best = -1;
    for (size_t k = 0; k < n_branches; k++) {
        double draw = gp_branch_draw(rng, n_trials[k], n_good[k], n_good_total, n_total);
        if (draw > best) {
            best = draw;
            chosen = k;
        }
    }
    return chosen;
}
