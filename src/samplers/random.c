/* random.c -- independent uniform sampling (log-uniform for log parameters), or from
 * the parameter's prior when it has one.
 *
 * Each value is a pure function of (seed, trial number, parameter name), so workers
 * sharing a seed reproduce a sequential run exactly and never repeat each other. */
#include "base/rng.h"
#include "samplers/sampler.h"

static hps_status random_sample(hps_sampler *sampler, const hps_context *ctx, const char *name,
                                const hps_dist *dist, double *internal_out)
{
    hps_rng rng;
    hps_rng_seed_keyed(&rng, sampler->seed, ctx->trial->number, name);
    *internal_out = hps_dist_from_unit(dist, hps_ctx_prior_unit(ctx, name, dist, hps_rng_uniform(&rng)));
    return HPS_OK;
}

const hps_sampler_ops hps_random_sampler_ops = {
    .name = "random",
    .help = "independent uniform sampling (log-uniform for log parameters, or from a prior); a value depends "
            "only on the seed, the trial number and the parameter",
    .sample = random_sample,
};
