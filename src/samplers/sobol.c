/* sobol.c -- quasi-random search: a scrambled Sobol sequence.
 *
 * Trial number n takes point n of the sequence; the k-th parameter a trial suggests
 * takes dimension k. Both are known without any shared state, so parallel workers
 * fill in the sequence together. Beyond the last tabulated dimension parameters fall
 * back to independent random values. */
#include "base/mem.h"
#include "base/rng.h"
#include "samplers/sampler.h"
#include "samplers/sobol_seq.h"

#include <stdio.h>
#include <string.h>

typedef struct sobol_state {
    int scramble;
} sobol_state;

static hps_status sobol_init(hps_sampler *sampler)
{
    sobol_state *s = hps_mem_calloc(1, sizeof *s);
    if (s == NULL)
        return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
    sampler->impl = s;
    return HPS_OK;
}

static void sobol_destroy(hps_sampler *sampler)
{
    hps_mem_free(sampler->impl);
}

static const hps_option sobol_options[] = {
    {.name = "scramble", .type = HPS_OPTION_BOOL, HPS_OPTION_FIELD(sobol_state, scramble),
     .def = "true", .help = "scramble the sequence (with the seed the study's workers agree on)"},
    HPS_OPTIONS_END,
};

static hps_status sobol_bind(hps_sampler *sampler, const hps_context *ctx)
{
    /* Workers must scramble alike, or their points would not interleave into one
     * sequence: the first worker's seed becomes the study's. */
    return hps_ctx_agree_seed(ctx, "sobol_seed", "scrambles its Sobol sequence with",
                              &sampler->seed, sampler->seeded, &sampler->err);
}

static hps_status sobol_sample(hps_sampler *sampler, const hps_context *ctx, const char *name,
                               const hps_dist *dist, double *internal_out)
{
    sobol_state *s = sampler->impl;
    size_t dim = ctx->position;
    int64_t number = ctx->trial->number;
    double u = -1;
    if (dim < SOBOL_MAX_DIMS && number >= 0)
        u = sobol_coordinate((uint64_t)number, (unsigned)dim, s->scramble, sampler->seed);
    if (u < 0) {
        hps_rng rng;
        hps_rng_seed_keyed(&rng, sampler->seed, number, name);
        u = hps_rng_uniform(&rng);
    }
    /* a monotone map per coordinate: the points stay low-discrepancy in the prior's
     * measure */
    *internal_out = hps_dist_from_unit(dist, hps_ctx_prior_unit(ctx, name, dist, u));
    return HPS_OK;
}

const hps_sampler_ops hps_sobol_sampler_ops = {
    .name = "sobol",
    .help = "a scrambled Sobol low-discrepancy sequence (Joe-Kuo directions), one dimension "
            "per parameter in the order a trial suggests them",
    .options = sobol_options,
    .init = sobol_init,
    .destroy = sobol_destroy,
    .bind = sobol_bind,
    .sample = sobol_sample,
};
