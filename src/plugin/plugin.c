/* plugin.c -- the services of the plug-in context, and history helpers. */
#include "plugin/plugin.h"

#include "base/mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long hps_space_index(const hps_space *space, const char *name)
{
    for (size_t i = 0; i < space->n; i++)
        if (strcmp(space->names[i], name) == 0)
            return (long)i;
    return -1;
}

hps_status hps_ctx_agree(const hps_context *ctx, const char *key, const char *json,
                         char **stored, hps_errbuf *err)
{
    return ctx->calls->agree(ctx, key, json, stored, err);
}

/* A seed stored as a JSON string: seeds use all 64 bits, JSON integers only 63. */
static int parse_seed_json(const char *json, uint64_t *out)
{
    size_t len = json != NULL ? strlen(json) : 0;
    char digits[32], *end;
    if (len < 3 || len - 2 >= sizeof digits || json[0] != '"' || json[len - 1] != '"')
        return -1;
    memcpy(digits, json + 1, len - 2);
    digits[len - 2] = '\0';
    if (digits[0] < '0' || digits[0] > '9')
        return -1;
    unsigned long long v = strtoull(digits, &end, 10);
    if (*end != '\0')
        return -1;
    *out = (uint64_t)v;
    return 0;
}

hps_status hps_ctx_agree_seed(const hps_context *ctx, const char *key, const char *what,
                              uint64_t *seed, int seeded, hps_errbuf *err)
{
    char text[40], *stored = NULL;
    snprintf(text, sizeof text, "\"%llu\"", (unsigned long long)*seed);
    hps_status rc = hps_ctx_agree(ctx, key, text, &stored, err);
    if (rc != HPS_OK)
        return rc;
    uint64_t agreed;
    int bad = parse_seed_json(stored, &agreed) != 0;
    free(stored);
    if (bad)
        return hps_errbuf_set(err, HPS_ERR_CORRUPT, "study '%s': its stored %s is malformed",
                              ctx->study_name, key);
    if (agreed != *seed && seeded)
        return hps_errbuf_set(err, HPS_ERR_INVALID, "study '%s' %s seed %llu, not %llu",
                              ctx->study_name, what, (unsigned long long)agreed,
                              (unsigned long long)*seed);
    *seed = agreed;
    return HPS_OK;
}

hps_status hps_ctx_set_trial_attr(const hps_context *ctx, const char *key, const char *json,
                                  hps_errbuf *err)
{
    return ctx->calls->set_trial_attr(ctx, key, json, err);
}

hps_status hps_ctx_trials(const hps_context *ctx, const hps_frozen *const **all, size_t *n,
                          hps_errbuf *err)
{
    return ctx->calls->trials(ctx, all, n, err);
}

hps_status hps_ctx_history(const hps_context *ctx, hps_history *out, hps_errbuf *err)
{
    return ctx->calls->history(ctx, out, err);
}

void hps_ctx_history_release(const hps_context *ctx, hps_history *h)
{
    ctx->calls->history_release(ctx, h);
}

double hps_ctx_loss(const hps_context *ctx, const hps_frozen *rec)
{
    if (rec->n_values < 1)
        return NAN;
    double v = rec->values[0];
    return ctx->directions[0] == HPS_MAXIMIZE ? -v : v;
}

const hps_prior *hps_ctx_prior(const hps_context *ctx, const char *name, const hps_dist *dist)
{
    const hps_prior *prior = hps_priors_find(ctx->priors, name);
    hps_errbuf ignored;
    if (prior == NULL || hps_prior_check(prior, name, dist, &ignored) != HPS_OK)
        return NULL;
    return prior;
}

double hps_ctx_prior_unit(const hps_context *ctx, const char *name, const hps_dist *dist,
                          double u)
{
    const hps_prior *prior = hps_ctx_prior(ctx, name, dist);
    return prior != NULL ? hps_prior_unit_quantile(prior, dist, u) : u;
}

double hps_ctx_prior_weight(const hps_context *ctx, size_t n)
{
    double beta = hps_priors_beta(ctx->priors, ctx->budget);
    return n > 0 ? beta / (double)n : beta;
}

/* ---- the public views (hpsearch.h), for plug-ins written outside ------------------- */

const char *hps_context_study_name(const hps_context *ctx)
{
    return ctx->study_name;
}

size_t hps_context_n_directions(const hps_context *ctx)
{
    return ctx->n_directions;
}

hps_direction hps_context_direction(const hps_context *ctx, size_t index)
{
    return index < ctx->n_directions ? ctx->directions[index] : HPS_MINIMIZE;
}

uint64_t hps_context_budget(const hps_context *ctx)
{
    return ctx->budget;
}

uint64_t hps_context_seed(const hps_context *ctx)
{
    return ctx->seed;
}

const hps_frozen *hps_context_trial(const hps_context *ctx)
{
    return ctx->trial;
}

/* A plug-in outside the library has no errbuf of its own to hand the services. */
static hps_errbuf *error_buffer(const hps_context *ctx, hps_errbuf *fallback)
{
    return ctx->err != NULL ? ctx->err : fallback;
}

hps_status hps_context_trials(const hps_context *ctx, const hps_frozen *const **all,
                              size_t *n_out)
{
    hps_errbuf scratch;
    return hps_ctx_trials(ctx, all, n_out, error_buffer(ctx, &scratch));
}

hps_status hps_context_agree(const hps_context *ctx, const char *key, const char *json,
                             char **stored_out)
{
    hps_errbuf scratch;
    if (key == NULL || json == NULL || stored_out == NULL)
        return hps_errbuf_set(error_buffer(ctx, &scratch), HPS_ERR_INVALID,
                              "hps_context_agree: key, json and stored_out are required");
    return hps_ctx_agree(ctx, key, json, stored_out, error_buffer(ctx, &scratch));
}

hps_status hps_context_set_trial_attr(const hps_context *ctx, const char *key, const char *json)
{
    hps_errbuf scratch;
    return hps_ctx_set_trial_attr(ctx, key, json, error_buffer(ctx, &scratch));
}

void hps_context_error(const hps_context *ctx, const char *message)
{
    if (ctx->err != NULL)
        hps_errbuf_set(ctx->err, HPS_ERR_INVALID, "%s", message != NULL ? message : "failed");
}

size_t hps_history_n_finished(const hps_history *history)
{
    return history->n_finished;
}

const hps_frozen *hps_history_finished(const hps_history *history, size_t index)
{
    return index < history->n_finished ? history->finished[index] : NULL;
}

size_t hps_history_n_ended(const hps_history *history)
{
    return history->n_ended;
}

const hps_frozen *hps_history_ended(const hps_history *history, size_t index)
{
    return index < history->n_ended ? history->ended[index] : NULL;
}

size_t hps_history_n_paused(const hps_history *history)
{
    return history->n_paused;
}

const hps_frozen *hps_history_paused(const hps_history *history, size_t index)
{
    return index < history->n_paused ? history->paused[index] : NULL;
}

size_t hps_history_n_pending(const hps_history *history)
{
    return history->n_pending;
}

const hps_frozen *hps_history_pending(const hps_history *history, size_t index)
{
    return index < history->n_pending ? history->pending[index].rec : NULL;
}

size_t hps_history_space_size(const hps_history *history)
{
    return history->space.n;
}

const char *hps_history_space_name(const hps_history *history, size_t index)
{
    return index < history->space.n ? history->space.names[index] : NULL;
}

const hps_dist *hps_history_space_dist(const hps_history *history, size_t index)
{
    return index < history->space.n ? history->space.dists[index] : NULL;
}
