/* sampler.h -- the sampler interface (a struct of function pointers per strategy).
 *
 * A study asks its sampler for values through the plug-in context (plugin/plugin.h):
 * when a trial starts, a joint sampler draws the relative search space at once
 * (sample_relative); any parameter it leaves open is drawn alone when suggested
 * (sample). Samplers see the context and the history, never the study. Adding a
 * strategy is adding one file with an hps_sampler_ops (its options a table, options.h)
 * and a line in sampler.c's registry. */
#ifndef HPS_SAMPLER_H
#define HPS_SAMPLER_H

#include "base/dist.h"
#include "base/errbuf.h"
#include "base/options.h"
#include "hpsearch.h"
#include "plugin/plugin.h"

typedef struct hps_sampler_ops {
    const char *name;
    /* What the strategy does, in a line (the catalog's "help"). */
    const char *help;
    /* 1 when its suggestions depend on the results of finished trials (the catalog's
     * "learns"): not so for random, grid and Sobol. */
    int learns;
    /* The options beyond "seed" (which every sampler takes), fields of sampler->impl;
     * NULL when none. hps_sampler_set parses them, creation applies their defaults. */
    const hps_option *options;
    /* Allocates the strategy's state into sampler->impl. */
    hps_status (*init)(hps_sampler *sampler);
    void (*destroy)(hps_sampler *sampler);
    /* Options no table describes (a registered sampler's); NULL when none. Returns
     * HPS_ERR_NOTFOUND for an unknown option so the caller can say so. */
    hps_status (*set_option)(hps_sampler *sampler, const char *option, const char *value);
    /* Grid samplers: number of cells the study claims positions from; NULL otherwise. */
    uint64_t (*grid_cells)(const hps_sampler *sampler);
    /* Grid samplers: the slot (position / repeats) whose cell is the configuration in
     * `fixed` ({"name": value, ...} as enqueued), or -1 when it is not a cell. */
    int64_t (*grid_slot)(const hps_sampler *sampler, const json_t *fixed);
    /* Called when the sampler joins a study (ctx->trial is NULL): agree with the other
     * workers on what must be shared, check what the strategy needs. */
    hps_status (*bind)(hps_sampler *sampler, const hps_context *ctx);
    /* A value for parameter `name` of ctx->trial drawn from `dist`, in internal form
     * (independent sampling: used for every parameter a joint sample did not cover). */
    hps_status (*sample)(hps_sampler *sampler, const hps_context *ctx, const char *name,
                         const hps_dist *dist, double *internal_out);
    /* Joint samplers, optional: when ctx->trial starts, values for the parameters of the
     * relative search space (history->space) at once, in internal form, one per space
     * entry; NAN leaves a parameter to `sample`. */
    hps_status (*sample_relative)(hps_sampler *sampler, const hps_context *ctx,
                                  const hps_history *history, double *values_out);
} hps_sampler_ops;

struct hps_sampler {
    const hps_sampler_ops *ops;
    void *impl;
    uint64_t seed;   /* the given seed, or one from the OS */
    int seeded;      /* 1 when the user gave the seed */
    uint64_t given;  /* the options of ops->options the user set (options.h) */
    int bound;       /* attached to a study */
    hps_errbuf err;
};

extern const hps_sampler_ops hps_random_sampler_ops;
extern const hps_sampler_ops hps_grid_sampler_ops;
extern const hps_sampler_ops hps_sobol_sampler_ops;
extern const hps_sampler_ops hps_gp_sampler_ops;
extern const hps_sampler_ops hps_tpe_sampler_ops;
extern const hps_sampler_ops hps_cmaes_sampler_ops;
extern const hps_sampler_ops hps_nsga2_sampler_ops;
extern const hps_sampler_ops hps_nsga3_sampler_ops;
extern const hps_sampler_ops hps_auto_sampler_ops;

/* The built-in strategy of that name, or NULL. */
const hps_sampler_ops *hps_sampler_builtin(const char *name);
/* A strategy registered with hps_sampler_register (registered.c), or NULL. */
const hps_sampler_ops *hps_sampler_registered(const char *name);
/* The index-th registered strategy, in the order of registration; NULL past the last. */
const hps_sampler_ops *hps_sampler_registered_at(size_t index);

/* A sampler from a strategy not in the registry (tests, experiments). */
hps_status hps_sampler_from_ops(const hps_sampler_ops *ops, hps_sampler **out);

#endif
