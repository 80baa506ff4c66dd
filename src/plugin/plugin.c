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
