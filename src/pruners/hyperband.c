/* hyperband.c -- Hyperband (Li et al., JMLR 18, 2018) as Optuna's HyperbandPruner:
 * several successive-halving brackets with different aggressiveness (early-stopping
 * rates 0..n_brackets-1); each trial belongs to one bracket, chosen by a hash of the
 * study name and trial number weighted by the bracket's budget, and competes only with
 * the trials of its bracket. */
#include "base/mem.h"
#include "pruners/asha.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define HYPERBAND_MAX_BRACKETS 64

typedef struct hyperband_state {
    int64_t min_resource;
    int64_t max_resource; /* 0 = auto: the largest last step of COMPLETE trials + 1 */
    int64_t reduction_factor;
    int64_t bootstrap_count;
    int n_brackets;       /* 0 until initialised */
    int64_t budgets[HYPERBAND_MAX_BRACKETS];
    int64_t total_budget;
    char *study_name;     /* brackets hash it, as Optuna's do */
} hyperband_state;

static hps_status hyperband_init(hps_pruner *pruner)
{
    hyperband_state *h = hps_mem_calloc(1, sizeof *h);
    if (h == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    pruner->impl = h;
    return HPS_OK;
}

static void hyperband_destroy(hps_pruner *pruner)
{
    hyperband_state *h = pruner->impl;
    if (h != NULL)
        hps_mem_free(h->study_name);
    hps_mem_free(h);
}

#define HYPERBAND_MAX_RESOURCE (INT64_MAX / 4)

static const hps_option hyperband_options[] = {
    {.name = "min_resource", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(hyperband_state, min_resource), .def = "1", .min = 1,
     .max = HYPERBAND_MAX_RESOURCE, .help = "the step of the first rung"},
    {.name = "max_resource", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(hyperband_state, max_resource), .def = "auto", .min = 1,
     .max = HYPERBAND_MAX_RESOURCE, .keyword = "auto", .keyword_value = 0,
     .help = "the last step a trial reports (auto: the largest last step of the COMPLETE "
             "trials plus 1, fixed when first known)"},
    {.name = "reduction_factor", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(hyperband_state, reduction_factor), .def = "3", .min = 2,
     .max = HYPERBAND_MAX_RESOURCE, .help = "as the asha pruner's, in every bracket"},
    {.name = "bootstrap_count", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(hyperband_state, bootstrap_count), .def = "0", .min = 0,
     .max = HYPERBAND_MAX_RESOURCE,
     .help = "values a rung needs before it prunes (needs an explicit max_resource)"},
    HPS_OPTIONS_END,
};

static hps_status hyperband_bind(hps_pruner *pruner, const hps_context *ctx)
{
    hyperband_state *h = pruner->impl;
    if (h->bootstrap_count > 0 && h->max_resource == 0)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'hyperband': bootstrap_count > 0 and max_resource 'auto' "
                              "cannot be combined");
    if (h->max_resource != 0 && h->max_resource < h->min_resource)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'hyperband': max_resource (%lld) is below min_resource "
                              "(%lld)",
                              (long long)h->max_resource, (long long)h->min_resource);
    h->study_name = hps_mem_strdup(ctx->study_name);
    if (h->study_name == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    return HPS_OK;
}

/* CRC-32 (IEEE), bit by bit: Optuna picks brackets with binascii.crc32, and using the
 * same hash puts each trial in the bracket Optuna would. */
static uint32_t crc32_ieee(const char *s)
{
    uint32_t crc = 0xffffffffu;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        crc ^= *p;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static int bracket_of(const hyperband_state *h, int64_t number)
{
    char text[1200];
    snprintf(text, sizeof text, "%s_%lld", h->study_name, (long long)number);
    int64_t n = (int64_t)(crc32_ieee(text) % (uint64_t)h->total_budget);
    for (int b = 0; b < h->n_brackets; b++) {
        n -= h->budgets[b];
        if (n < 0)
            return b;
    }
    return h->n_brackets - 1;
}

/* Sets the brackets up once max_resource is known; 0 when it is not yet. */
static int initialise(hyperband_state *h, const hps_frozen *const *all, size_t n_all)
{
    if (h->n_brackets > 0)
        return 1;
    if (h->max_resource == 0) {
        int64_t last = -1;
        for (size_t i = 0; i < n_all; i++) {
            const hps_frozen *t = all[i];
            if (t != NULL && t->state == HPS_COMPLETE && hps_pruner_last_step(t) > last)
                last = hps_pruner_last_step(t);
        }
        if (last < 0)
            return 0;
        h->max_resource = last + 1;
    }
    double ratio = (double)h->max_resource / (double)h->min_resource;
    /* the same float expression as Optuna's math.log(ratio, rf), so the bracket count
     * (and with it every trial's bracket) agrees with Optuna's */
    int n = (int)floor(log(ratio) / log((double)h->reduction_factor)) + 1;
    if (n < 1)
        n = 1;
    if (n > HYPERBAND_MAX_BRACKETS)
        n = HYPERBAND_MAX_BRACKETS;
    h->n_brackets = n;
    h->total_budget = 0;
    for (int b = 0; b < n; b++) {
        int s = n - 1 - b;
        h->budgets[b] = (int64_t)ceil((double)n * pow((double)h->reduction_factor, s) / (s + 1));
        h->total_budget += h->budgets[b];
    }
    return 1;
}

typedef struct bracket_filter {
    const hyperband_state *h;
    int bracket;
} bracket_filter;

static int same_bracket(const void *ctx, const hps_frozen *rec)
{
    const bracket_filter *f = ctx;
    return bracket_of(f->h, rec->number) == f->bracket;
}

static hps_status hyperband_should_prune(hps_pruner *pruner, const hps_context *ctx,
                                         int *prune_out)
{
    hyperband_state *h = pruner->impl;
    *prune_out = 0;
    const hps_frozen *const *all;
    size_t n_all;
    hps_status rc = hps_ctx_trials(ctx, &all, &n_all, &pruner->err);
    if (rc != HPS_OK)
        return rc;
    if (!initialise(h, all, n_all))
        return HPS_OK;
    bracket_filter filter = {.h = h, .bracket = bracket_of(h, ctx->trial->number)};
    int64_t min_resource = h->min_resource;
    asha_params params = {
        .min_resource = &min_resource,
        .reduction_factor = h->reduction_factor,
        .min_early_stopping_rate = filter.bracket,
        .bootstrap_count = h->bootstrap_count,
        .member = same_bracket,
        .member_ctx = &filter,
    };
    return asha_decide(pruner, ctx, &params, prune_out);
}

const hps_pruner_ops hps_hyperband_pruner_ops = {
    .name = "hyperband",
    .help = "successive halving within the trial's bracket, one of several brackets of "
            "different aggressiveness",
    .options = hyperband_options,
    .init = hyperband_init,
    .destroy = hyperband_destroy,
    .bind = hyperband_bind,
    .should_prune = hyperband_should_prune,
};
