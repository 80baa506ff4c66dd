/* asha.c -- asynchronous successive halving (Optuna's SuccessiveHalvingPruner; Li et
 * al., "A System for Massively Parallel Hyperparameter Tuning", MLSys 2020). Trials
 * climb rungs at steps min_resource * rf^k; at each rung only the top 1/rf of the
 * values seen there so far go on. No trial waits for others: that is the
 * "asynchronous" part, which suits many workers.
 *
 * With several objectives it is MOASHA (Schmucker et al., "Multi-objective Asynchronous
 * Successive Halving", 2021; Syne Tune's MOASHA): a rung holds each trial's vector of
 * values, and the trials there are ordered by non-dominated rank, then by crowding
 * distance within a rank (NSGA-II's tie-break, so the promoted ones spread along the
 * front); the top 1/rf go on. Constraints rank as NSGA-II's constrained domination does
 * (base/pareto.h): every feasible trial before every infeasible one, and infeasible ones
 * by their total violation. */
#include "pruners/asha.h"
#include "pruners/asha_promotion.h"

#include "base/mem.h"
#include "base/pareto.h"
#include "base/strbuf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void asha_rung_key(int64_t rung, char *buf, size_t size)
{
    snprintf(buf, size, "completed_rung_%lld", (long long)rung);
}

static int rung_value(const hps_frozen *rec, const char *key, double *out)
{
    const json_t *v = json_object_get(rec->system_attrs, key);
    if (!json_is_number(v))
        return 0;
    *out = json_number_value(v);
    return 1;
}

const hps_inter_rec *asha_report_at_rung(const hps_frozen *trial, double rung_step,
                                         int64_t as_of)
{
    /* the reports are in step order: the first past `as_of`, then the one before it */
    size_t lo = 0, hi = trial->n_inter;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (trial->inter[mid].step <= as_of)
            lo = mid + 1;
        else
            hi = mid;
    }
    const hps_inter_rec *last = lo > 0 ? &trial->inter[lo - 1] : NULL;
    return last != NULL && (double)last->step >= rung_step ? last : NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Optuna's _is_trial_promotable_to_next_rung (NaN sorts last, as Python's sort leaves
 * it: comparisons with NaN are false, so we drop NaNs from the competition but keep
 * their count, which is what decides the cut). */
static int promotable(double value, double *competing, size_t n, int64_t rf, int maximize)
{
    int64_t idx = (int64_t)n / rf - 1;
    if (idx < 0)
        idx = 0;
    qsort(competing, n, sizeof *competing, cmp_double);
    if (maximize)
        return value >= competing[n - 1 - (size_t)idx];
    return value <= competing[idx];
}

/* ---- several objectives (MOASHA) ---------------------------------------------------- */

/* JSON has no infinity: the largest double stands in (it ranks the same). */
static void format_rung_number(double x, char *buf, size_t size)
{
    if (isinf(x))
        snprintf(buf, size, "%s1.7976931348623157e308", x < 0 ? "-" : "");
    else
        snprintf(buf, size, "%.17g", x);
}

static char *rung_entry_json(const asha_rung_entry *e, size_t m)
{
    hps_strbuf sb;
    hps_strbuf_init(&sb, 0);
    char num[40];
    hps_strbuf_puts(&sb, "{\"values\":[");
    for (size_t i = 0; i < m; i++) {
        format_rung_number(e->values[i], num, sizeof num);
        hps_strbuf_printf(&sb, "%s%s", i > 0 ? "," : "", num);
    }
    hps_strbuf_puts(&sb, "]");
    if (e->n_constraints > 0) {
        hps_strbuf_puts(&sb, ",\"constraints\":[");
        for (size_t i = 0; i < e->n_constraints; i++) {
            format_rung_number(e->constraints[i], num, sizeof num);
            hps_strbuf_printf(&sb, "%s%s", i > 0 ? "," : "", num);
        }
        hps_strbuf_puts(&sb, "]");
    }
    hps_strbuf_puts(&sb, "}");
    return hps_strbuf_take(&sb);
}

/* Another trial's entry at a rung: its object when that holds m values, else NULL. */
static const json_t *rung_entry_of(const hps_frozen *rec, const char *key, size_t m)
{
    const json_t *obj = json_object_get(rec->system_attrs, key);
    return json_array_size(json_object_get(obj, "values")) == m ? obj : NULL;
}

/* Copies the first `count` numbers of `array` into out[0..count): what is missing or is
 * not a number reads as NaN (the worst objective value; a violated constraint). */
static void read_numbers(const json_t *array, size_t count, double *out)
{
    for (size_t i = 0; i < count; i++) {
        const json_t *v = json_array_get(array, i);
        out[i] = json_is_number(v) ? json_number_value(v) : NAN;
    }
}

/* The judged trial's entry: its values at its latest step and its constraints now. */
static hps_status own_rung_entry(hps_pruner *pruner, const hps_frozen *t, size_t m,
                                 asha_rung_entry *e)
{
    const hps_inter_rec *last = &t->inter[t->n_inter - 1];
    if (last->n_more + 1 != m)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "the study has %zu objectives but trial %lld reported %zu value%s "
                              "at step %lld; report every objective's "
                              "(hps_trial_report_values, trial.report([...], step))",
                              m, (long long)t->number, last->n_more + 1,
                              last->n_more == 0 ? "" : "s", (long long)last->step);
    hps_rec_inter_values(last, e->values);
    e->n_constraints = hps_frozen_n_constraints(t);
    if (e->n_constraints > HPS_PARETO_MAX_CONSTRAINTS)
        e->n_constraints = HPS_PARETO_MAX_CONSTRAINTS;
    for (size_t i = 0; i < e->n_constraints; i++)
        e->constraints[i] = hps_frozen_constraint(t, i);
    return HPS_OK;
}

/* Sorts rung entries by MOASHA's order: rank up, then crowding distance down, NaN after
 * every distance (a NaN distance is never larger than another, so it puts no one behind
 * it), then index, so that the order is total. */
typedef struct rung_order_ctx {
    const size_t *rank;
    const double *crowd;
} rung_order_ctx;

static int rung_order_cmp(size_t a, size_t b, const void *arg)
{
    const rung_order_ctx *c = arg;
    if (c->rank[a] != c->rank[b])
        return c->rank[a] < c->rank[b] ? -1 : 1;
    double x = c->crowd[a], y = c->crowd[b];
    int x_nan = isnan(x), y_nan = isnan(y);
    if (x_nan != y_nan)
        return x_nan - y_nan;
    if (!x_nan && x != y)
        return x > y ? -1 : 1;
    return (a > b) - (a < b);
}

/* ahead[i] from each entry's rank and crowding distance, by one sort: an entry has ahead
 * of it every entry of a better rank and those of its own rank with a strictly larger
 * distance, which in the sorted order are the entries before its run of equal distances
 * (before its rank's first entry, for a NaN distance). O(n log n); the pairwise count
 * this replaces was O(n^2) at each rung of each ask. */
static void count_ahead(const size_t *rank, const double *crowd, size_t n, size_t *order,
                        size_t *tmp, size_t *ahead)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    rung_order_ctx ctx = {.rank = rank, .crowd = crowd};
    hps_sort_indices(order, n, tmp, rung_order_cmp, &ctx);
    size_t rank_start = 0, run_start = 0;
    for (size_t pos = 0; pos < n; pos++) {
        size_t i = order[pos];
        if (pos == 0 || rank[i] != rank[order[pos - 1]]) {
            rank_start = run_start = pos;
        } else {
            double prev = crowd[order[pos - 1]];
            if (isnan(crowd[i]) || isnan(prev) || crowd[i] != prev)
                run_start = pos;
        }
        ahead[i] = isnan(crowd[i]) ? rank_start : run_start;
    }
}

hps_status asha_rung_order(const double *values, const double *constraints, size_t n,
                           const hps_direction *dirs, size_t m, size_t k, size_t *ahead)
{
    if (m == 0 || m > HPS_PARETO_MAX_OBJECTIVES || k > HPS_PARETO_MAX_CONSTRAINTS ||
        n > HPS_PARETO_MAX_POINTS)
        return HPS_ERR_INVALID;
    double *points = hps_mem_calloc(n * m + 1, sizeof *points);
    double *crowd = hps_mem_calloc(n + 1, sizeof *crowd);
    double *dist = hps_mem_calloc(n + 1, sizeof *dist);
    size_t *rank = hps_mem_calloc(n + 1, sizeof *rank);
    size_t *members = hps_mem_calloc(n + 1, sizeof *members);
    size_t *first = hps_mem_calloc(n + 2, sizeof *first);
    size_t *tmp = hps_mem_calloc(n + 1, sizeof *tmp);
    hps_status rc = HPS_ERR_NOMEM;
    if (points == NULL || crowd == NULL || dist == NULL || rank == NULL || members == NULL ||
        first == NULL || tmp == NULL)
        goto out;
    /* base/pareto.h minimizes every objective */
    for (size_t i = 0; i < n * m; i++)
        points[i] = dirs[i % m] == HPS_MAXIMIZE ? -values[i] : values[i];
    size_t n_fronts = 0;
    rc = hps_pareto_rank(points, n, m, constraints, k, rank, &n_fronts);
    if (rc != HPS_OK)
        goto out;
    /* each front's members in index order (the order the crowding distance's stable
     * sorts start from), by a counting sort on the rank: front f is
     * members[first[f] .. first[f + 1]) */
    for (size_t i = 0; i < n; i++)
        first[rank[i] + 1]++;
    for (size_t f = 0; f < n_fronts; f++)
        first[f + 1] += first[f];
    for (size_t i = 0; i < n; i++)
        members[first[rank[i]] + tmp[rank[i]]++] = i;
    for (size_t f = 0; rc == HPS_OK && f < n_fronts; f++) {
        size_t count = first[f + 1] - first[f];
        rc = hps_pareto_crowding(points, n, m, &members[first[f]], count, dist);
        for (size_t c = 0; rc == HPS_OK && c < count; c++)
            crowd[members[first[f] + c]] = dist[c];
    }
    if (rc == HPS_OK)
        count_ahead(rank, crowd, n, members, tmp, ahead);
out:
    hps_mem_free(points);
    hps_mem_free(crowd);
    hps_mem_free(dist);
    hps_mem_free(rank);
    hps_mem_free(members);
    hps_mem_free(first);
    hps_mem_free(tmp);
    return rc;
}

static int has_nan(const double *x, size_t m)
{
    for (size_t i = 0; i < m; i++)
        if (isnan(x[i]))
            return 1;
    return 0;
}

static int64_t estimate_min_resource(const hps_frozen *const *all, size_t n_all)
{
    int64_t last = -1;
    for (size_t i = 0; i < n_all; i++) {
        const hps_frozen *t = all[i];
        if (t != NULL && t->state == HPS_COMPLETE) {
            int64_t s = hps_pruner_last_step(t);
            if (s > last)
                last = s;
        }
    }
    if (last < 0)
        return 0;
    return last / 100 > 1 ? last / 100 : 1;
}

static int competes(const asha_params *params, const hps_frozen *judged, const hps_frozen *other)
{
    if (other == NULL || other->id == judged->id)
        return 0;
    return params->member == NULL || params->member(params->member_ctx, other);
}

/* Whether the judged trial, with `value` at the rung `key`, is among the top 1/rf of the
 * values recorded there (its own included). */
static hps_status promoted_single(hps_pruner *pruner, const hps_context *ctx,
                                  const asha_params *params, const char *key, double value,
                                  int *promoted)
{
    const hps_frozen *const *all;
    size_t n_all;
    hps_status rc = hps_ctx_trials(ctx, &all, &n_all, &pruner->err);
    if (rc != HPS_OK)
        return rc;
    double *competing = hps_mem_calloc(n_all + 1, sizeof *competing);
    if (competing == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < n_all; i++) {
        double v;
        if (competes(params, ctx->trial, all[i]) && rung_value(all[i], key, &v))
            competing[n++] = v;
    }
    competing[n++] = value;
    *promoted = (int64_t)n > params->bootstrap_count &&
                promotable(value, competing, n, params->reduction_factor,
                           ctx->directions[0] == HPS_MAXIMIZE);
    hps_mem_free(competing);
    return HPS_OK;
}

/* The same with several objectives: the judged trial's entry `own` is among the top
 * 1/rf of the rung's entries in MOASHA's order (asha_rung_order). */
static hps_status promoted_multi(hps_pruner *pruner, const hps_context *ctx,
                                 const asha_params *params, const char *key,
                                 const asha_rung_entry *own, int *promoted)
{
    const hps_frozen *const *all;
    size_t n_all;
    hps_status rc = hps_ctx_trials(ctx, &all, &n_all, &pruner->err);
    if (rc != HPS_OK)
        return rc;
    size_t m = ctx->n_directions;
    /* first the rung's size and its most constraints, then one row per entry */
    size_t n = 1, k = own->n_constraints;
    for (size_t i = 0; i < n_all; i++) {
        const json_t *e = competes(params, ctx->trial, all[i]) ? rung_entry_of(all[i], key, m)
                                                               : NULL;
        if (e != NULL) {
            size_t ke = json_array_size(json_object_get(e, "constraints"));
            k = ke > k ? ke : k;
            n++;
        }
    }
    if (k > HPS_PARETO_MAX_CONSTRAINTS)
        k = HPS_PARETO_MAX_CONSTRAINTS;
    *promoted = 0;
    if ((int64_t)n <= params->bootstrap_count)
        return HPS_OK;
    double *values = hps_mem_calloc(n * m, sizeof *values);
    double *cons = hps_mem_calloc(n * k + 1, sizeof *cons);
    size_t *ahead = hps_mem_calloc(n, sizeof *ahead);
    if (values == NULL || cons == NULL || ahead == NULL) {
        rc = hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t row = 0;
    for (size_t i = 0; i < n_all; i++) {
        const json_t *e = competes(params, ctx->trial, all[i]) ? rung_entry_of(all[i], key, m)
                                                               : NULL;
        if (e == NULL)
            continue;
        read_numbers(json_object_get(e, "values"), m, &values[row * m]);
        /* a trial with fewer constraint values than others has the rest violated */
        read_numbers(json_object_get(e, "constraints"), k, &cons[row * k]);
        row++;
    }
    memcpy(&values[row * m], own->values, m * sizeof *values);
    for (size_t j = 0; j < k; j++)
        cons[row * k + j] = j < own->n_constraints ? own->constraints[j] : NAN;
    rc = asha_rung_order(values, k > 0 ? cons : NULL, n, ctx->directions, m, k, ahead);
    if (rc != HPS_OK) {
        rc = hps_errbuf_set(&pruner->err, rc, rc == HPS_ERR_NOMEM ? "out of memory"
                                                                  : "too many trials at a rung");
        goto out;
    }
    size_t top = n / (size_t)params->reduction_factor;
    *promoted = ahead[n - 1] < (top > 0 ? top : 1);
out:
    hps_mem_free(values);
    hps_mem_free(cons);
    hps_mem_free(ahead);
    return rc;
}

/* Records the judged trial at the rung: a number, or with several objectives its entry. */
static hps_status record_at_rung(hps_pruner *pruner, const hps_context *ctx, const char *key,
                                 double value, const asha_rung_entry *own)
{
    char number[40];
    char *entry = NULL;
    const char *text = number;
    if (ctx->n_directions > 1) {
        entry = rung_entry_json(own, ctx->n_directions);
        if (entry == NULL)
            return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
        text = entry;
    } else {
        format_rung_number(value, number, sizeof number);
    }
    hps_status rc = hps_ctx_set_trial_attr(ctx, key, text, &pruner->err);
    hps_mem_free(entry);
    return rc;
}

hps_status asha_decide(hps_pruner *pruner, const hps_context *ctx, const asha_params *params,
                       int *prune_out)
{
    const hps_frozen *t = ctx->trial;
    *prune_out = 0;
    int64_t step = hps_pruner_last_step(t);
    if (step < 0)
        return HPS_OK;
    size_t m = ctx->n_directions;
    double value = t->inter[t->n_inter - 1].value;
    asha_rung_entry own = {.n_constraints = 0};
    hps_status rc = HPS_OK;
    if (m > 1) {
        rc = own_rung_entry(pruner, t, m, &own);
        if (rc != HPS_OK)
            return rc;
    }
    int diverged = m > 1 ? has_nan(own.values, m) : isnan(value);
    char key[48];
    int64_t rung = 0;
    for (;; rung++) {
        asha_rung_key(rung, key, sizeof key);
        if (json_object_get(t->system_attrs, key) == NULL)
            break;
    }
    for (;;) {
        if (*params->min_resource == 0) {
            const hps_frozen *const *all;
            size_t n_all;
            rc = hps_ctx_trials(ctx, &all, &n_all, &pruner->err);
            if (rc != HPS_OK)
                break;
            *params->min_resource = estimate_min_resource(all, n_all);
            if (*params->min_resource == 0)
                break;
        }
        double rung_step = (double)*params->min_resource *
                           pow((double)params->reduction_factor,
                               (double)(params->min_early_stopping_rate + rung));
        const hps_inter_rec *at_rung = asha_report_at_rung(t, rung_step, step);
        if (at_rung == NULL)
            break;
        value = at_rung->value; /* the latest report's: the trial is judged as of it */
        if (diverged) {
            *prune_out = 1;
            break;
        }
        asha_rung_key(rung, key, sizeof key);
        rc = record_at_rung(pruner, ctx, key, value, &own);
        if (rc != HPS_OK)
            break;
        int promoted = 0;
        rc = m > 1 ? promoted_multi(pruner, ctx, params, key, &own, &promoted)
                   : promoted_single(pruner, ctx, params, key, value, &promoted);
        if (rc != HPS_OK)
            break;
        if (!promoted) {
            *prune_out = 1;
            break;
        }
        rung++;
    }
    return rc;
}

/* ---- the asha pruner -------------------------------------------------------------- */

/* The two forms of ASHA: asha_promotion.h. */
typedef struct asha_opts {
    int64_t min_resource; /* 0 = auto */
    int64_t reduction_factor;
    int64_t min_early_stopping_rate;
    int64_t bootstrap_count;
    int mode;
    int64_t max_resource; /* promotion: the full budget, the top rung; 0 = none given */
} asha_opts;

/* The one ladder of rungs the promotion form climbs. */
static asha_ladder ladder_of_opts(const asha_opts *o)
{
    return (asha_ladder){
        .min_resource = o->min_resource,
        .reduction_factor = o->reduction_factor,
        .min_early_stopping_rate = o->min_early_stopping_rate,
        .max_resource = o->max_resource,
    };
}

static hps_status asha_promote(hps_pruner *pruner, const hps_context *ctx, int64_t *number_out)
{
    const asha_opts *o = pruner->impl;
    *number_out = -1;
    if (o->mode != ASHA_PROMOTION)
        return HPS_OK;
    asha_ladder ladder = ladder_of_opts(o);
    return asha_promote_ladders(pruner, ctx, &ladder, 1, NULL, NULL, number_out);
}

/* The next rung above the step the trial's checkpoint holds; -1 at the top. */
static hps_status asha_max_step(hps_pruner *pruner, const hps_context *ctx, int64_t *max_step_out)
{
    const asha_opts *o = pruner->impl;
    *max_step_out = -1;
    if (o->mode != ASHA_PROMOTION)
        return HPS_OK;
    asha_ladder ladder = ladder_of_opts(o);
    *max_step_out = asha_ladder_slice_end(&ladder, ctx->trial);
    return HPS_OK;
}

/* Promotion's top rung: a trial that reaches it has finished. */
static int64_t asha_full_step(const hps_pruner *pruner)
{
    const asha_opts *o = pruner->impl;
    return o->mode == ASHA_PROMOTION ? o->max_resource : -1;
}

static hps_status asha_init(hps_pruner *pruner)
{
    asha_opts *o = hps_mem_calloc(1, sizeof *o);
    if (o == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    pruner->impl = o;
    return HPS_OK;
}

static void asha_destroy(hps_pruner *pruner)
{
    hps_mem_free(pruner->impl);
}

static const hps_option asha_options[] = {
    {.name = "min_resource", .type = HPS_OPTION_INT, HPS_OPTION_FIELD(asha_opts, min_resource),
     .def = "auto", .min = 1, .keyword = "auto", .keyword_value = 0,
     .help = "the step of the first rung (auto: the largest last step of the COMPLETE "
             "trials / 100, at least 1, fixed when first known)"},
    {.name = "reduction_factor", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(asha_opts, reduction_factor), .def = "4", .min = 2, .max = 1000000,
     .help = "rungs at steps min_resource * reduction_factor^k; the top 1/reduction_factor "
             "go on"},
    {.name = "min_early_stopping_rate", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(asha_opts, min_early_stopping_rate), .def = "0", .min = 0, .max = 1000000,
     .help = "rungs to skip before the first one that prunes"},
    {.name = "bootstrap_count", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(asha_opts, bootstrap_count), .def = "0", .min = 0, .max = 1000000,
     .help = "values a rung needs before it prunes (needs an explicit min_resource)"},
    {.name = "mode", .type = HPS_OPTION_ENUM, HPS_OPTION_FIELD(asha_opts, mode), .def = "stop",
     .choices = asha_modes,
     .help = "stop (a trial not in the top 1/reduction_factor of its rung is pruned) or "
             "promotion (it pauses at each rung and the best paused ones are resumed to the "
             "next; needs min_resource and max_resource)"},
    {.name = "max_resource", .type = HPS_OPTION_INT, HPS_OPTION_FIELD(asha_opts, max_resource),
     .def = "none", .min = 1, .keyword = "none", .keyword_value = 0,
     .help = "mode promotion: the full budget in steps, the top rung, where trials finish "
             "instead of pausing"},
    HPS_OPTIONS_END,
};

/* Any number of objectives, in both modes: with several, the rungs rank by
 * non-dominated sorting. */
static hps_status asha_bind(hps_pruner *pruner, const hps_context *ctx)
{
    (void)ctx; /* every study fits: the options alone are checked */
    const asha_opts *o = pruner->impl;
    if (o->bootstrap_count > 0 && o->min_resource == 0)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'asha': bootstrap_count > 0 needs an explicit min_resource");
    if (o->mode == ASHA_STOP) {
        if (o->max_resource != 0)
            return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                                  "pruner 'asha': max_resource applies to mode promotion only "
                                  "(mode stop prunes at every rung up to the trial's end)");
        return HPS_OK;
    }
    if (o->min_resource == 0 || o->max_resource == 0)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'asha': mode promotion needs min_resource and max_resource "
                              "(where trials pause first, and their full budget)");
    asha_ladder ladder = ladder_of_opts(o);
    if (asha_ladder_n_rungs(&ladder) == 0)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'asha': max_resource (%lld) must be above the first rung "
                              "(min_resource * reduction_factor^min_early_stopping_rate = %.0f)",
                              (long long)o->max_resource,
                              (double)o->min_resource *
                                  pow((double)o->reduction_factor,
                                      (double)o->min_early_stopping_rate));
    if (o->bootstrap_count > 0)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'asha': bootstrap_count applies to mode stop only");
    return HPS_OK;
}

/* Mode promotion pauses trials at the rungs instead; only a run that diverged (a NaN
 * among its latest values) stops. With several objectives every step carries each
 * objective's value, as mode stop needs too. */
hps_status asha_promotion_should_prune(hps_pruner *pruner, const hps_context *ctx,
                                       int *prune_out)
{
    const hps_frozen *t = ctx->trial;
    *prune_out = 0;
    if (hps_pruner_last_step(t) < 0)
        return HPS_OK;
    if (ctx->n_directions == 1) {
        *prune_out = isnan(t->inter[t->n_inter - 1].value);
        return HPS_OK;
    }
    asha_rung_entry latest;
    hps_status rc = own_rung_entry(pruner, t, ctx->n_directions, &latest);
    if (rc == HPS_OK)
        *prune_out = has_nan(latest.values, ctx->n_directions);
    return rc;
}

static hps_status asha_should_prune(hps_pruner *pruner, const hps_context *ctx, int *prune_out)
{
    asha_opts *o = pruner->impl;
    if (o->mode == ASHA_PROMOTION)
        return asha_promotion_should_prune(pruner, ctx, prune_out);
    asha_params params = {
        .min_resource = &o->min_resource,
        .reduction_factor = o->reduction_factor,
        .min_early_stopping_rate = o->min_early_stopping_rate,
        .bootstrap_count = o->bootstrap_count,
    };
    return asha_decide(pruner, ctx, &params, prune_out);
}

const hps_pruner_ops hps_asha_pruner_ops = {
    .name = "asha",
    .help = "asynchronous successive halving: at steps min_resource * reduction_factor^k, the "
            "value is not in the top 1/reduction_factor of the values seen at that rung (several "
            "objectives: by non-dominated rank, then crowding distance, the infeasible last); "
            "mode promotion pauses trials at the rungs and resumes the best instead",
    .options = asha_options,
    .init = asha_init,
    .destroy = asha_destroy,
    .bind = asha_bind,
    .should_prune = asha_should_prune,
    .max_step = asha_max_step,
    .promote = asha_promote,
    .full_step = asha_full_step,
};
