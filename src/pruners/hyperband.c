/* hyperband.c -- Hyperband (Li et al., JMLR 18, 2018) as Optuna's HyperbandPruner:
 * several successive-halving brackets with different aggressiveness (early-stopping
 * rates 0..n_brackets-1); each trial belongs to one bracket, chosen by a hash of the
 * study name and trial number weighted by the bracket's budget, and competes only with
 * the trials of its bracket.
 *
 * With mode promotion each bracket is ASHA's promotion form instead (asha_promotion.h):
 * bracket b's rungs are at min_resource * rf^(b + k) below max_resource, a trial pauses
 * at each and an ask resumes the best promotable paused trial of every bracket, the
 * highest rung step first (asha_promote_ladders). A trial's bracket is chosen as in
 * mode stop, by the same hash, so the two modes put each trial in the same bracket. */
#include "base/mem.h"
#include "pruners/asha.h"
#include "pruners/asha_promotion.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define HYPERBAND_MAX_BRACKETS 64

typedef struct hyperband_state {
    int64_t min_resource;
    int64_t max_resource; /* 0 = auto: the largest last step of COMPLETE trials + 1 */
    int64_t reduction_factor;
    int64_t bootstrap_count;
    int mode;             /* ASHA_STOP or ASHA_PROMOTION */
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
             "trials plus 1, fixed when first known; mode promotion: the full budget, given, "
             "where trials finish instead of pausing)"},
    {.name = "reduction_factor", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(hyperband_state, reduction_factor), .def = "3", .min = 2,
     .max = HYPERBAND_MAX_RESOURCE, .help = "as the asha pruner's, in every bracket"},
    {.name = "bootstrap_count", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(hyperband_state, bootstrap_count), .def = "0", .min = 0,
     .max = HYPERBAND_MAX_RESOURCE,
     .help = "values a rung needs before it prunes (needs an explicit max_resource)"},
    {.name = "mode", .type = HPS_OPTION_ENUM, HPS_OPTION_FIELD(hyperband_state, mode),
     .def = "stop", .choices = asha_modes,
     .help = "stop (a trial not in the top 1/reduction_factor of its bracket's rung is pruned) "
             "or promotion (each bracket is asha's promotion form: trials pause at the rungs "
             "and the best paused ones are resumed to the next; needs max_resource)"},
    HPS_OPTIONS_END,
};

static int initialise(hyperband_state *h, const hps_frozen *const *all, size_t n_all);

/* Mode promotion's own checks: its budget is given (no trial is COMPLETE to estimate it
 * from before every trial pauses), and successive halving has a rung below it. */
static hps_status check_promotion(hps_pruner *pruner, const hyperband_state *h)
{
    if (h->max_resource == 0)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'hyperband': mode promotion needs max_resource (the full "
                              "budget, where trials finish instead of pausing; 'auto' waits for "
                              "a COMPLETE trial, which mode promotion cannot start without)");
    if (h->max_resource <= h->min_resource)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'hyperband': max_resource (%lld) must be above min_resource "
                              "(%lld) in mode promotion (the first bracket's first rung, where "
                              "trials pause first)",
                              (long long)h->max_resource, (long long)h->min_resource);
    if (h->bootstrap_count > 0)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'hyperband': bootstrap_count applies to mode stop only");
    return HPS_OK;
}

static hps_status hyperband_bind(hps_pruner *pruner, const hps_context *ctx)
{
    hyperband_state *h = pruner->impl;
    if (h->mode == ASHA_PROMOTION) {
        hps_status rc = check_promotion(pruner, h);
        if (rc != HPS_OK)
            return rc;
    }
    if (h->bootstrap_count > 0 && h->max_resource == 0)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'hyperband': bootstrap_count > 0 and max_resource 'auto' "
                              "cannot be combined");
    if (h->max_resource != 0 && h->max_resource < h->min_resource)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'hyperband': max_resource (%lld) is below min_resource "
                              "(%lld)",
                              (long long)h->max_resource, (long long)h->min_resource);
    hps_mem_free(h->study_name); /* a second bind starts afresh */
    h->study_name = hps_mem_strdup(ctx->study_name);
    if (h->study_name == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    if (h->mode == ASHA_PROMOTION)
        initialise(h, NULL, 0); /* max_resource is given: the brackets are known now */
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
    /* Optuna's brackets: bracket b is successive halving with min_early_stopping_rate b,
     * given a share of the trials in proportion to its budget */
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
    if (h->mode == ASHA_PROMOTION)
        return asha_promotion_should_prune(pruner, ctx, prune_out);
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

/* ---- mode promotion: a promotion-form ASHA per bracket ---------------------------- */

/* Bracket b's ladder: the rungs its mode stop would judge at, up to the full budget. */
static asha_ladder bracket_ladder(const hyperband_state *h, int bracket)
{
    return (asha_ladder){
        .min_resource = h->min_resource,
        .reduction_factor = h->reduction_factor,
        .min_early_stopping_rate = bracket,
        .max_resource = h->max_resource,
    };
}

static int ladder_of_trial(const void *ctx, const hps_frozen *trial)
{
    return bracket_of(ctx, trial->number);
}

/* The best promotable paused trial across the brackets (asha_promote_ladders: the
 * highest rung step first, at the same step the lower bracket). */
static hps_status hyperband_promote(hps_pruner *pruner, const hps_context *ctx,
                                    int64_t *number_out)
{
    const hyperband_state *h = pruner->impl;
    *number_out = -1;
    if (h->mode != ASHA_PROMOTION || h->n_brackets == 0)
        return HPS_OK;
    asha_ladder ladders[HYPERBAND_MAX_BRACKETS];
    for (int b = 0; b < h->n_brackets; b++)
        ladders[b] = bracket_ladder(h, b);
    return asha_promote_ladders(pruner, ctx, ladders, (size_t)h->n_brackets, ladder_of_trial, h,
                                number_out);
}

/* The next rung of the trial's bracket above the step its checkpoint holds; -1 at the
 * top (the last bracket may have no rung below max_resource: its trials run whole). */
static hps_status hyperband_max_step(hps_pruner *pruner, const hps_context *ctx,
                                     int64_t *max_step_out)
{
    const hyperband_state *h = pruner->impl;
    *max_step_out = -1;
    if (h->mode != ASHA_PROMOTION || h->n_brackets == 0)
        return HPS_OK;
    asha_ladder ladder = bracket_ladder(h, bracket_of(h, ctx->trial->number));
    *max_step_out = asha_ladder_slice_end(&ladder, ctx->trial);
    return HPS_OK;
}

/* Mode promotion's full budget, every bracket's: a trial that reaches it has finished. */
static int64_t hyperband_full_step(const hps_pruner *pruner)
{
    const hyperband_state *h = pruner->impl;
    return h->mode == ASHA_PROMOTION ? h->max_resource : -1;
}

const hps_pruner_ops hps_hyperband_pruner_ops = {
    .name = "hyperband",
    .help = "successive halving within the trial's bracket, one of several brackets of "
            "different aggressiveness; mode promotion pauses trials at their bracket's rungs "
            "and resumes the best instead",
    .options = hyperband_options,
    .init = hyperband_init,
    .destroy = hyperband_destroy,
    .bind = hyperband_bind,
    .should_prune = hyperband_should_prune,
    .max_step = hyperband_max_step,
    .promote = hyperband_promote,
    .full_step = hyperband_full_step,
};
