/* tpe.c -- the tree-structured Parzen estimator sampler ("tpe"), Optuna-compatible.
 *
 * After n_startup_trials finished trials (random until then), each ask splits the
 * finished trials into a good group (the best gamma(n) COMPLETE trials, topped up with
 * PRUNED trials ranked by their deepest step and then their last value there) and the
 * rest, fits a Parzen estimator (tpe_parzen.h) to each, draws n_ei_candidates points
 * from the good one and keeps the point with the largest log-density ratio.
 *
 * Defaults follow the newest Optuna for one objective, but for n_startup_trials (5
 * instead of 10, see the option): multivariate (one joint estimator over the relative
 * search space, drawn at ask) and constant liar (running trials, here and in other
 * processes, join the bad group, so concurrent workers spread out). With group=true, define-by-run spaces are decomposed into groups of
 * parameters that always appear together and each group is sampled jointly; values of
 * groups outside the study's relative space are kept per trial until suggested.
 * Parameters outside every joint space are sampled by a univariate TPE over the
 * trials that have them, as Optuna's sample_independent does.
 *
 * Several objectives and constraints follow Optuna 4.9's TPESampler (MOTPE; Optuna 5
 * weighs the good group uniformly and handles constraints differently): the good group
 * is filled by non-dominated rank, the front that does not fit cut down by greedy
 * hypervolume subset selection, and weighted by each member's hypervolume contribution
 * (tpe_split.h). A study uses constraints when a finished trial carries constraint
 * values; its infeasible trials then join the good group only after every feasible
 * one, smallest total violation first, so a study that has not found its feasible
 * region yet is drawn towards it, and once it has, they teach where not to go.
 *
 * Every random draw comes from a generator keyed by (seed, trial number, purpose), so
 * the result is a function of the seed and the history a trial sees. */
#include "base/mem.h"
#include "base/pareto.h"
#include "base/rng.h"
#include "samplers/sampler.h"
#include "samplers/tpe_parzen.h"
#include "samplers/tpe_split.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TPE_MAX_EI_CANDIDATES 100000
/* Joint values kept for trials of this process that have not suggested them yet. */
#define TPE_MAX_CACHED_TRIALS 4096
#define TPE_RELATIVE_KEY "\x01tpe-relative"

/* Values a group-mode ask drew for parameters outside the study's relative space. */
typedef struct tpe_cached {
    int64_t id; /* storage id of the trial */
    size_t n;
    char **names;
    hps_dist *dists;
    double *values;
} tpe_cached;

/* Observation rows of finished trials for the relative space, kept across asks: a
 * finished trial never changes, so its row is read from its record once. */
typedef struct tpe_rows {
    uint64_t sig; /* the parameters (names, distributions) the rows are for */
    size_t d;
    double *values;      /* cap x d */
    signed char *status; /* by trial number: 0 not read, 1 row stored, -1 not usable */
    size_t cap;
} tpe_rows;

typedef struct tpe_state {
    uint64_t n_startup;
    uint64_t n_ei;
    double gamma_frac;
    uint64_t gamma_cap;
    int gamma_hyperopt;
    int multivariate;
    int group;
    int constant_liar;
    tpe_params pe;
    tpe_arena arena; /* scratch of the current sampling step */
    tpe_mass_caches masses; /* discrete cell masses of earlier steps, by grid */
    tpe_rows rows;
    tpe_cached *cache;
    size_t n_cache, cap_cache;
} tpe_state;

/* ---- options ------------------------------------------------------------------------ */

static hps_status tpe_init(hps_sampler *sampler)
{
    tpe_state *s = hps_mem_calloc(1, sizeof *s);
    if (s == NULL)
        return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
    sampler->impl = s;
    return HPS_OK;
}

static void cached_clear(tpe_cached *c)
{
    for (size_t i = 0; i < c->n; i++) {
        hps_mem_free(c->names[i]);
        hps_dist_clear(&c->dists[i]);
    }
    hps_mem_free(c->names);
    hps_mem_free(c->dists);
    hps_mem_free(c->values);
    memset(c, 0, sizeof *c);
}

static void tpe_destroy(hps_sampler *sampler)
{
    tpe_state *s = sampler->impl;
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_cache; i++)
        cached_clear(&s->cache[i]);
    hps_mem_free(s->cache);
    hps_mem_free(s->rows.values);
    hps_mem_free(s->rows.status);
    tpe_arena_free(&s->arena);
    tpe_mass_caches_free(&s->masses);
    hps_mem_free(s);
}

/* gamma: "default", "hyperopt", FRACTION or FRACTION:CAP. */
static int parse_gamma(void *state, const char *value, const char **why)
{
    (void)why;
    tpe_state *s = state;
    if (strcasecmp(value, "default") == 0) {
        s->gamma_hyperopt = 0;
        s->gamma_frac = 0.1;
        s->gamma_cap = 25;
        return 0;
    }
    if (strcasecmp(value, "hyperopt") == 0) {
        s->gamma_hyperopt = 1;
        s->gamma_cap = 25;
        return 0;
    }
    char buf[64];
    double frac;
    uint64_t cap = 25;
    const char *colon = strchr(value, ':');
    size_t len = colon != NULL ? (size_t)(colon - value) : strlen(value);
    if (len >= sizeof buf)
        return -1;
    memcpy(buf, value, len);
    buf[len] = '\0';
    if (hps_option_parse_double(buf, &frac) != 0 || !(frac > 0 && frac <= 1))
        return -1;
    if (colon != NULL && (hps_option_parse_u64(colon + 1, &cap) != 0 || cap < 1))
        return -1;
    s->gamma_hyperopt = 0;
    s->gamma_frac = frac;
    s->gamma_cap = cap;
    return 0;
}

/* Groups are joint samples, so they need the multivariate estimator (Optuna refuses
 * the combination the same way). */
static const char *const group_needs_multivariate = "group=true needs multivariate=true";

static int parse_multivariate(void *state, const char *value, const char **why)
{
    tpe_state *s = state;
    int flag;
    if (hps_option_parse_bool(value, &flag) != 0)
        return -1;
    if (!flag && s->group) {
        *why = group_needs_multivariate;
        return -1;
    }
    s->multivariate = flag;
    return 0;
}

static int parse_group(void *state, const char *value, const char **why)
{
    tpe_state *s = state;
    int flag;
    if (hps_option_parse_bool(value, &flag) != 0)
        return -1;
    if (flag && !s->multivariate) {
        *why = group_needs_multivariate;
        return -1;
    }
    s->group = flag;
    return 0;
}

static const hps_option_choice weight_rules[] = {
    {"default", 0},
    {"uniform", 1},
    {NULL, 0},
};

static const hps_option_choice bandwidth_rules[] = {
    {"neighbour", 0},
    {"neighbor", 0},
    {"scott", 1},
    {NULL, 0},
};

static const hps_option tpe_options[] = {
    /* 5, not Optuna's 10: on bench/run.py (200 seeds) the model's earlier start lifted
     * Hartmann-6 and its noisy variant by 3-5 points at 25 and 50 trials and no family
     * lost (bench/tpe_cmaes.md) */
    {.name = "n_startup_trials", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(tpe_state, n_startup),
     .def = "5", .help = "trials sampled at random before the model is used"},
    {.name = "n_ei_candidates", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(tpe_state, n_ei),
     .def = "24", .min = 1, .max = TPE_MAX_EI_CANDIDATES,
     .help = "candidates drawn from the good density, of which the best ratio wins"},
    {.name = "gamma", .type = HPS_OPTION_TEXT, .def = "default", .parse = parse_gamma,
     .rule = "default, hyperopt, a fraction in (0, 1] or FRACTION:CAP with CAP >= 1",
     .help = "size of the good group of n trials: default ceil(0.1 n), hyperopt "
             "ceil(0.25 sqrt(n)), or ceil(FRACTION n); at most CAP (25)"},
    {.name = "prior_weight", .type = HPS_OPTION_DOUBLE, HPS_OPTION_FIELD(tpe_state, pe.prior_weight),
     .def = "1", .dmin = 0, .dmax = HUGE_VAL, .flags = HPS_OPTION_MIN_OPEN,
     .help = "weight of the prior component"},
    {.name = "consider_prior", .type = HPS_OPTION_BOOL,
     HPS_OPTION_FIELD(tpe_state, pe.consider_prior), .def = "true",
     .help = "add the broad prior to each density"},
    {.name = "consider_magic_clip", .type = HPS_OPTION_BOOL,
     HPS_OPTION_FIELD(tpe_state, pe.consider_magic_clip), .def = "true",
     .help = "bound bandwidths from below"},
    {.name = "consider_endpoints", .type = HPS_OPTION_BOOL,
     HPS_OPTION_FIELD(tpe_state, pe.consider_endpoints), .def = "false",
     .help = "univariate bandwidths: use the domain's ends as neighbours"},
    {.name = "multivariate", .type = HPS_OPTION_BOOL, .def = "true", .parse = parse_multivariate,
     .rule = "true or false", .help = "one joint density over the relative search space"},
    {.name = "group", .type = HPS_OPTION_BOOL, .def = "false", .parse = parse_group,
     .rule = "true or false",
     .help = "sample each group of parameters that appear together jointly (needs "
             "multivariate)"},
    {.name = "constant_liar", .type = HPS_OPTION_BOOL, HPS_OPTION_FIELD(tpe_state, constant_liar),
     .def = "true", .help = "running trials join the bad group, so concurrent workers spread out"},
    {.name = "weights", .type = HPS_OPTION_ENUM, HPS_OPTION_FIELD(tpe_state, pe.uniform_weights),
     .def = "default", .choices = weight_rules,
     .help = "weights of the observations: default (older trials ramp down, as Optuna's "
             "default_weights) or uniform; with several objectives the good group is "
             "weighted by hypervolume contribution instead"},
    {.name = "bandwidth", .type = HPS_OPTION_ENUM, HPS_OPTION_FIELD(tpe_state, pe.scott_bandwidth),
     .def = "neighbour", .choices = bandwidth_rules,
     .help = "neighbour (gaps between neighbouring observations, Optuna 5) or scott (Optuna "
             "2.2-4.x's multivariate rule)"},
    HPS_OPTIONS_END,
};

/* ---- splitting the history into good and bad trials -------------------------------- */

typedef struct rank_item {
    double k1, k2;
    size_t index;
} rank_item;

static int rank_less(const rank_item *a, const rank_item *b)
{
    if (a->k1 != b->k1)
        return a->k1 < b->k1;
    if (a->k2 != b->k2)
        return a->k2 < b->k2;
    return a->index < b->index;
}

static int cmp_rank(const void *pa, const void *pb)
{
    const rank_item *a = pa, *b = pb;
    return rank_less(a, b) ? -1 : (rank_less(b, a) ? 1 : 0);
}

/* Marks the k best items (ties: lower index first) in `below`. Insertion into a small
 * sorted window: gamma(n) is at most 25 by default, so this is linear in n. */
static int mark_best(rank_item *items, size_t count, size_t k, unsigned char *below)
{
    if (k > count)
        k = count;
    if (k == 0)
        return 0;
    if (k > 64) {
        qsort(items, count, sizeof *items, cmp_rank);
        for (size_t i = 0; i < k; i++)
            below[items[i].index] = 1;
        return 0;
    }
    rank_item window[64];
    size_t filled = 0;
    for (size_t i = 0; i < count; i++) {
        if (filled == k && !rank_less(&items[i], &window[k - 1]))
            continue;
        size_t pos = filled < k ? filled++ : k - 1;
        while (pos > 0 && rank_less(&items[i], &window[pos - 1])) {
            window[pos] = window[pos - 1];
            pos--;
        }
        window[pos] = items[i];
    }
    for (size_t i = 0; i < filled; i++)
        below[window[i].index] = 1;
    return 0;
}

static size_t gamma_of(const tpe_state *s, size_t n)
{
    double g = s->gamma_hyperopt ? ceil(0.25 * sqrt((double)n)) : ceil(s->gamma_frac * (double)n);
    if (g > (double)s->gamma_cap)
        g = (double)s->gamma_cap;
    return (size_t)g;
}

/* Optuna's ranking of pruned trials: deepest step first, then the value reported
 * there (oriented, NaN last); trials without reports come after all others. */
static void pruned_key(const hps_context *ctx, const hps_frozen *rec, double *k1, double *k2)
{
    if (rec->n_inter == 0) {
        *k1 = 1;
        *k2 = 0;
        return;
    }
    const hps_inter_rec *last = &rec->inter[rec->n_inter - 1];
    double v = last->value;
    if (isnan(v))
        v = INFINITY;
    else if (ctx->directions[0] == HPS_MAXIMIZE)
        v = -v;
    *k1 = -(double)last->step;
    *k2 = v;
}

/* A finished trial's total constraint violation (Optuna's infeasible-trial score):
 * the sum of its positive constraint values, +inf when the study uses constraints and
 * the trial has none (Optuna ranks those last), 0 when the study uses none. */
static double violation_of(const hps_frozen *rec, int constrained)
{
    if (!constrained)
        return 0;
    size_t n = hps_frozen_n_constraints(rec);
    if (n == 0)
        return INFINITY;
    double c[HPS_PARETO_MAX_CONSTRAINTS];
    if (n > HPS_PARETO_MAX_CONSTRAINTS)
        n = HPS_PARETO_MAX_CONSTRAINTS;
    for (size_t i = 0; i < n; i++)
        c[i] = hps_frozen_constraint(rec, i);
    return hps_pareto_violation(c, n);
}

/* Several objectives: the feasible COMPLETE trials with all their values, by
 * non-dominated rank and then hypervolume subset selection (tpe_split.h). Pruned trials
 * stay out, as in Optuna, where a study with several objectives cannot prune. Marks
 * the chosen in `below` and returns how many, or -1. */
static long split_multi(tpe_arena *ar, const hps_context *ctx, const hps_history *h,
                        const unsigned char *infeasible, size_t k, unsigned char *below)
{
    size_t n = h->n_finished, m = ctx->n_directions, count = 0;
    size_t *index = tpe_arena_calloc(ar, n + 1, sizeof *index);
    double *loss = tpe_arena_calloc(ar, n * m + 1, sizeof *loss);
    unsigned char *chosen = tpe_arena_calloc(ar, n + 1, 1);
    if (index == NULL || loss == NULL || chosen == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *rec = h->finished[i];
        if (rec->state != HPS_COMPLETE || rec->n_values != m || infeasible[i])
            continue;
        for (size_t j = 0; j < m; j++)
            loss[count * m + j] = ctx->directions[j] == HPS_MAXIMIZE ? -rec->values[j]
                                                                     : rec->values[j];
        index[count++] = i;
    }
    if (tpe_split_pareto(loss, count, m, k, chosen) != HPS_OK)
        return -1;
    long taken = 0;
    for (size_t c = 0; c < count; c++) {
        below[index[c]] = chosen[c];
        taken += chosen[c];
    }
    return taken;
}

/* The best COMPLETE trials by value, topped up with PRUNED ones by pruned_key; returns
 * how many were marked in `below`. */
static size_t split_single(rank_item *items, const hps_context *ctx, const hps_history *h,
                           const unsigned char *infeasible, size_t k, unsigned char *below)
{
    size_t n = h->n_finished, count = 0;
    for (size_t i = 0; i < n; i++) {
        if (h->finished[i]->state != HPS_COMPLETE || infeasible[i])
            continue;
        double loss = hps_ctx_loss(ctx, h->finished[i]);
        items[count++] = (rank_item){.k1 = isnan(loss) ? INFINITY : loss, .k2 = 0, .index = i};
    }
    mark_best(items, count, k, below);
    size_t taken = k < count ? k : count;
    if (taken < k) {
        count = 0;
        for (size_t i = 0; i < n; i++) {
            if (h->finished[i]->state != HPS_PRUNED || infeasible[i])
                continue;
            rank_item it = {.index = i};
            pruned_key(ctx, h->finished[i], &it.k1, &it.k2);
            items[count++] = it;
        }
        mark_best(items, count, k - taken, below);
        taken += k - taken < count ? k - taken : count;
    }
    return taken;
}

/* below[i] = 1 for the finished trials of the good group, as Optuna's _split_trials:
 * when the study uses constraints (some finished trial carries constraint values),
 * infeasible trials are set apart and fill the good group only after the feasible
 * ones, smallest total violation first, so that the estimators still learn from them
 * where not to go. infeasible[i] receives whether trial i was set apart. */
static int split_trials(tpe_state *s, const hps_context *ctx, const hps_history *h,
                        unsigned char *below, unsigned char *infeasible)
{
    size_t n = h->n_finished, k = gamma_of(s, n);
    memset(below, 0, n);
    memset(infeasible, 0, n);
    rank_item *violators = tpe_arena_calloc(&s->arena, n + 1, sizeof *violators);
    if (violators == NULL)
        return -1;
    int constrained = 0;
    for (size_t i = 0; i < n && !constrained; i++)
        constrained = hps_frozen_n_constraints(h->finished[i]) > 0;
    size_t n_infeasible = 0;
    for (size_t i = 0; i < n && constrained; i++) {
        double v = violation_of(h->finished[i], constrained);
        if (v > 0) {
            infeasible[i] = 1;
            violators[n_infeasible++] = (rank_item){.k1 = v, .k2 = 0, .index = i};
        }
    }
    size_t taken;
    if (ctx->n_directions > 1) {
        long t = split_multi(&s->arena, ctx, h, infeasible, k, below);
        if (t < 0)
            return -1;
        taken = (size_t)t;
    } else {
        rank_item *items = tpe_arena_calloc(&s->arena, n + 1, sizeof *items);
        if (items == NULL)
            return -1;
        taken = split_single(items, ctx, h, infeasible, k, below);
    }
    if (taken < k)
        mark_best(violators, n_infeasible, k - taken, below);
    return 0;
}

/* MOTPE's weights of the good group (tpe_split.h), by finished index, in `weight`:
 * infeasible members weigh almost nothing, feasible ones their hypervolume share. */
static int below_weights(tpe_arena *ar, const hps_context *ctx, const hps_history *h,
                         const unsigned char *below, const unsigned char *infeasible,
                         double *weight)
{
    size_t n = h->n_finished, m = ctx->n_directions, count = 0;
    size_t *index = tpe_arena_calloc(ar, n + 1, sizeof *index);
    double *loss = tpe_arena_calloc(ar, n * m + 1, sizeof *loss);
    unsigned char *feasible = tpe_arena_calloc(ar, n + 1, 1);
    double *w = tpe_arena_calloc(ar, n + 1, sizeof *w);
    if (index == NULL || loss == NULL || feasible == NULL || w == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!below[i])
            continue;
        const hps_frozen *rec = h->finished[i];
        /* the feasible members are COMPLETE with every value (split_multi) */
        feasible[count] = !infeasible[i];
        for (size_t j = 0; j < m && feasible[count]; j++)
            loss[count * m + j] = ctx->directions[j] == HPS_MAXIMIZE ? -rec->values[j]
                                                                     : rec->values[j];
        index[count++] = i;
    }
    if (tpe_below_weights(loss, feasible, count, m, w) != HPS_OK)
        return -1;
    for (size_t c = 0; c < count; c++)
        weight[index[c]] = w[c];
    return 0;
}

/* ---- observations ------------------------------------------------------------------- */

/* The parameters one estimator models. */
typedef struct tpe_target {
    size_t n;
    const char **names;
    const hps_dist **dists;
    unsigned char *in_space; /* equal in every finished trial (the relative space) */
    size_t *hint;            /* where the name sat in the last record that had it */
    tpe_dim *dims;
} tpe_target;

static int target_alloc(tpe_arena *ar, tpe_target *t, size_t n)
{
    memset(t, 0, sizeof *t);
    t->names = tpe_arena_calloc(ar, n + 1, sizeof *t->names);
    t->dists = tpe_arena_calloc(ar, n + 1, sizeof *t->dists);
    t->in_space = tpe_arena_calloc(ar, n + 1, 1);
    t->hint = tpe_arena_calloc(ar, n + 1, sizeof *t->hint);
    t->dims = tpe_arena_calloc(ar, n + 1, sizeof *t->dims);
    if (t->names == NULL || t->dists == NULL || t->in_space == NULL || t->hint == NULL ||
        t->dims == NULL)
        return -1;
    return 0;
}

static void target_add(tpe_target *t, const char *name, const hps_dist *dist, int in_space)
{
    t->names[t->n] = name;
    t->dists[t->n] = dist;
    t->in_space[t->n] = (unsigned char)in_space;
    tpe_dim_init(&t->dims[t->n], dist);
    t->n++;
}

/* A stored value of a parameter as a value of `dist`: the same kind (and choices), and
 * for numbers inside the range (snapped onto its grid). 0 when it is not usable. */
static int usable_value(const hps_dist *have, double v, const hps_dist *dist, double *out)
{
    if (have->kind != dist->kind || !isfinite(v))
        return 0;
    if (have == dist || hps_dist_equal(have, dist)) {
        *out = v;
        return 1;
    }
    if (dist->kind == HPS_DIST_CATEGORICAL)
        return 0;
    if (v < dist->low || v > dist->high)
        return 0;
    *out = hps_dist_snap(dist, v);
    return 1;
}

static const hps_param_rec *find_param(const hps_frozen *rec, const char *name, size_t *hint)
{
    if (*hint < rec->n_params && strcmp(rec->params[*hint].name, name) == 0)
        return &rec->params[*hint];
    for (size_t i = 0; i < rec->n_params; i++) {
        if (strcmp(rec->params[i].name, name) == 0) {
            *hint = i;
            return &rec->params[i];
        }
    }
    return NULL;
}

/* Values known for a trial that has not finished: its record, then (for this
 * process's live trials) the joint values drawn at its ask. */
typedef struct pending_src {
    const hps_frozen *rec;
    const hps_param_rec *planned;
    size_t n_planned;
    const tpe_cached *cached;
} pending_src;

static int pending_value(const pending_src *src, const char *name, const hps_dist *dist,
                         size_t *hint, double *out)
{
    const hps_param_rec *p = find_param(src->rec, name, hint);
    if (p != NULL)
        return usable_value(&p->dist, p->internal, dist, out);
    for (size_t i = 0; i < src->n_planned; i++) {
        const hps_param_rec *r = &src->planned[i];
        if (strcmp(r->name, name) == 0)
            return usable_value(&r->dist, r->internal, dist, out);
    }
    if (src->cached != NULL) {
        for (size_t i = 0; i < src->cached->n; i++)
            if (strcmp(src->cached->names[i], name) == 0)
                return usable_value(&src->cached->dists[i], src->cached->values[i], dist, out);
    }
    return 0;
}

/* One row of observations from a finished trial; 0 when it lacks a parameter. */
static int finished_row(const hps_frozen *rec, tpe_target *t, double *row)
{
    for (size_t d = 0; d < t->n; d++) {
        const hps_param_rec *p = find_param(rec, t->names[d], &t->hint[d]);
        if (p == NULL)
            return 0;
        if (t->in_space[d]) {
            /* the relative space guarantees the same distribution */
            row[d] = p->internal;
        } else if (!usable_value(&p->dist, p->internal, t->dists[d], &row[d])) {
            return 0;
        }
    }
    return 1;
}

typedef struct tpe_obs {
    double *below, *above;
    double *below_weight; /* MOTPE's, one per row of below; NULL: the rule in params */
    size_t n_below, n_above;
} tpe_obs;

static uint64_t target_signature(const tpe_target *t)
{
    uint64_t h = 0x7470652d726f7773ull;
    for (size_t d = 0; d < t->n; d++) {
        const hps_dist *dist = t->dists[d];
        double fields[5] = {(double)dist->kind, dist->low, dist->high, dist->step,
                            (double)dist->flags + 4.0 * (double)dist->n_choices};
        h = hps_hash_string(t->names[d], h);
        h = hps_hash_bytes(fields, sizeof fields, h);
        for (size_t c = 0; c < dist->n_choices; c++) {
            const hps_value *v = &dist->choices[c];
            if (v->type == HPS_VALUE_STRING)
                h = hps_hash_string(v->u.s, h);
            else
                h = hps_hash_bytes(&v->u, sizeof v->u, h ^ (uint64_t)v->type);
        }
    }
    return h;
}

/* Makes the row cache hold rows of target `t` for trial numbers below `need`. */
static int rows_prepare(tpe_rows *r, const tpe_target *t, size_t need)
{
    uint64_t sig = target_signature(t);
    if (r->sig != sig || r->d != t->n) {
        hps_mem_free(r->values);
        hps_mem_free(r->status);
        memset(r, 0, sizeof *r);
        r->sig = sig;
        r->d = t->n;
    }
    if (need <= r->cap)
        return 0;
    size_t cap = r->cap > 0 ? r->cap : 64;
    while (cap < need)
        cap *= 2;
    double *values = hps_mem_realloc_array(r->values, cap, r->d * sizeof *values + 1);
    if (values == NULL)
        return -1;
    r->values = values;
    signed char *status = hps_mem_realloc_array(r->status, cap, 1);
    if (status == NULL)
        return -1;
    memset(status + r->cap, 0, cap - r->cap);
    r->status = status;
    r->cap = cap;
    return 0;
}

/* The row of finished trial `rec`, through the cache when there is one. */
static int cached_row(tpe_rows *r, const hps_frozen *rec, tpe_target *t, double *row)
{
    if (r == NULL || rec->number < 0 || (size_t)rec->number >= r->cap)
        return finished_row(rec, t, row);
    size_t num = (size_t)rec->number;
    double *stored = &r->values[num * r->d];
    if (r->status[num] == 0) {
        int ok = finished_row(rec, t, stored);
        r->status[num] = ok ? 1 : -1;
    }
    if (r->status[num] < 0)
        return 0;
    memcpy(row, stored, r->d * sizeof *row);
    return 1;
}

/* Rows of the good and bad groups, each in trial-number order (the default weights
 * ramp by age), running trials among the bad ones when the liar is on. `cache` (may be
 * NULL) keeps finished trials' rows for the next ask. */
static int collect_obs(tpe_arena *ar, const hps_history *h, const unsigned char *below,
                       const double *below_weight, size_t n_below, const pending_src *pend,
                       size_t n_pend, tpe_target *t, tpe_rows *cache, tpe_obs *o)
{
    size_t d = t->n, n_fin = h->n_finished;
    memset(o, 0, sizeof *o);
    size_t rows = n_fin + n_pend + 1;
    if (d > 0 && rows > SIZE_MAX / d / sizeof(double))
        return -1;
    o->below = tpe_arena_calloc(ar, (n_below + 1) * d + 1, sizeof *o->below);
    o->above = tpe_arena_calloc(ar, rows * d + 1, sizeof *o->above);
    double *row = tpe_arena_calloc(ar, d + 1, sizeof *row);
    if (o->below == NULL || o->above == NULL || row == NULL)
        return -1;
    if (below_weight != NULL) {
        o->below_weight = tpe_arena_calloc(ar, n_below + 1, sizeof *o->below_weight);
        if (o->below_weight == NULL)
            return -1;
    }
    if (cache != NULL && n_fin > 0) {
        int64_t top = h->finished[n_fin - 1]->number;
        if (top < 0 || rows_prepare(cache, t, (size_t)top + 1) != 0)
            cache = NULL; /* no cache is slower, not wrong */
    }
    size_t next_pend = 0;
    for (size_t i = 0; i <= n_fin; i++) {
        int64_t number = i < n_fin ? h->finished[i]->number : INT64_MAX;
        /* running trials older than this finished one come first */
        for (; next_pend < n_pend && pend[next_pend].rec->number < number; next_pend++) {
            size_t k;
            for (k = 0; k < d; k++)
                if (!pending_value(&pend[next_pend], t->names[k], t->dists[k], &t->hint[k], &row[k]))
                    break;
            if (k == d)
                memcpy(&o->above[d * o->n_above++], row, d * sizeof *row);
        }
        if (i == n_fin)
            break;
        if (!cached_row(cache, h->finished[i], t, row))
            continue;
        if (below[i] && o->below_weight != NULL)
            o->below_weight[o->n_below] = below_weight[i];
        if (below[i])
            memcpy(&o->below[d * o->n_below++], row, d * sizeof *row);
        else
            memcpy(&o->above[d * o->n_above++], row, d * sizeof *row);
    }
    return 0;
}

/* piBO's term for each candidate: prior_weight * log prior(x), 0 without priors. */
static int prior_terms(tpe_arena *ar, const hps_context *ctx, size_t n_finished,
                       const tpe_target *t, const double *cand, size_t n_cand, double *out)
{
    size_t d = t->n;
    const hps_prior **priors = tpe_arena_calloc(ar, d + 1, sizeof *priors);
    if (priors == NULL)
        return -1;
    size_t n_priors = 0;
    for (size_t k = 0; k < d; k++) {
        priors[k] = hps_ctx_prior(ctx, t->names[k], t->dists[k]);
        n_priors += priors[k] != NULL;
    }
    double weight = hps_ctx_prior_weight(ctx, n_finished);
    for (size_t i = 0; i < n_cand; i++) {
        double sum = 0;
        for (size_t k = 0; n_priors > 0 && k < d; k++) {
            if (priors[k] == NULL)
                continue;
            const hps_dist *dist = t->dists[k];
            double x = cand[i * d + k];
            double enc = dist->kind == HPS_DIST_CATEGORICAL ? x : hps_dist_to_unit(dist, x);
            sum += hps_prior_log_density(priors[k], dist, enc, NULL);
        }
        out[i] = n_priors > 0 ? weight * sum : 0;
    }
    return 0;
}

/* Draws candidates from the good estimator and keeps the best by l(x) / g(x), times
 * prior(x)^(beta/n) when the user gave priors (piBO). */
static int tpe_choose(tpe_state *s, const hps_context *ctx, size_t n_finished,
                      const tpe_target *t, const tpe_obs *o, hps_rng *rng, double *best)
{
    tpe_arena *ar = &s->arena;
    size_t d = t->n, n_ei = (size_t)s->n_ei;
    tpe_parzen good, bad;
    double *cand = tpe_arena_calloc(ar, n_ei * d + 1, sizeof *cand);
    double *lg = tpe_arena_calloc(ar, n_ei + 1, sizeof *lg);
    double *lb = tpe_arena_calloc(ar, n_ei + 1, sizeof *lb);
    double *lp = tpe_arena_calloc(ar, n_ei + 1, sizeof *lp);
    if (cand == NULL || lg == NULL || lb == NULL || lp == NULL)
        return -1;
    for (size_t i = 0; i < d; i++)
        if (t->dims[i].kind == TPE_DISCRETE)
            t->dims[i].masses = tpe_mass_cache_for(&s->masses, t->dims[i].dist);
    if (tpe_parzen_build_weighted(&good, ar, t->dims, d, o->below, o->n_below, &s->pe,
                                  o->below_weight) != 0 ||
        tpe_parzen_build(&bad, ar, t->dims, d, o->above, o->n_above, &s->pe) != 0)
        return -1;
    tpe_parzen_sample(&good, rng, n_ei, cand);
    if (tpe_parzen_log_pdf(&good, cand, n_ei, lg) != 0 ||
        tpe_parzen_log_pdf(&bad, cand, n_ei, lb) != 0 ||
        prior_terms(ar, ctx, n_finished, t, cand, n_ei, lp) != 0)
        return -1;
    /* first maximum wins; a NaN score (both densities zero) never does */
    size_t arg = 0;
    double top = -INFINITY;
    for (size_t i = 0; i < n_ei; i++) {
        double score = lg[i] - lb[i] + lp[i];
        if (score > top) {
            top = score;
            arg = i;
        }
    }
    memcpy(best, &cand[arg * d], d * sizeof *best);
    return 0;
}

/* ---- per-ask context ---------------------------------------------------------------- */

typedef struct tpe_ctx {
    const hps_context *ctx;
    const hps_history *h;
    unsigned char *below;
    double *below_weight; /* by finished index; several objectives only */
    size_t n_below;
    pending_src *pend;
    size_t n_pend;
} tpe_ctx;

static const tpe_cached *cached_for(const tpe_state *s, int64_t id)
{
    for (size_t i = 0; i < s->n_cache; i++)
        if (s->cache[i].id == id)
            return &s->cache[i];
    return NULL;
}

static int cmp_pending(const void *pa, const void *pb)
{
    const pending_src *a = pa, *b = pb;
    return a->rec->number < b->rec->number ? -1 : (a->rec->number > b->rec->number ? 1 : 0);
}

static int ctx_init(tpe_ctx *c, tpe_state *s, const hps_context *ctx, const hps_history *h)
{
    memset(c, 0, sizeof *c);
    c->ctx = ctx;
    c->h = h;
    c->below = tpe_arena_calloc(&s->arena, h->n_finished + 1, 1);
    unsigned char *infeasible = tpe_arena_calloc(&s->arena, h->n_finished + 1, 1);
    c->pend = tpe_arena_calloc(&s->arena, h->n_pending + 1, sizeof *c->pend);
    if (c->below == NULL || infeasible == NULL || c->pend == NULL)
        return -1;
    if (split_trials(s, ctx, h, c->below, infeasible) != 0)
        return -1;
    if (ctx->n_directions > 1) {
        c->below_weight = tpe_arena_calloc(&s->arena, h->n_finished + 1, sizeof *c->below_weight);
        if (c->below_weight == NULL ||
            below_weights(&s->arena, ctx, h, c->below, infeasible, c->below_weight) != 0)
            return -1;
    }
    for (size_t i = 0; i < h->n_finished; i++)
        c->n_below += c->below[i];
    /* The constant liar: running trials count as bad (Optuna's, one objective). */
    if (s->constant_liar && ctx->n_directions == 1) {
        for (size_t i = 0; i < h->n_pending; i++) {
            const hps_frozen *rec = h->pending[i].rec;
            if (rec->state != HPS_RUNNING)
                continue;
            pending_src *p = &c->pend[c->n_pend++];
            p->rec = rec;
            p->planned = h->pending[i].planned;
            p->n_planned = h->pending[i].n_planned;
            p->cached = cached_for(s, rec->id);
        }
        qsort(c->pend, c->n_pend, sizeof *c->pend, cmp_pending);
    }
    return 0;
}

static int single_valued(const hps_dist *dist)
{
    return hps_dist_cardinality(dist) == 1;
}

/* TPE over the parameters of `t`, writing one value per parameter into `out`. */
static int sample_target(tpe_state *s, const tpe_ctx *c, tpe_target *t, tpe_rows *cache,
                         hps_rng *rng, double *out)
{
    tpe_obs o;
    if (collect_obs(&s->arena, c->h, c->below, c->below_weight, c->n_below, c->pend, c->n_pend,
                    t, cache, &o) != 0)
        return -1;
    return tpe_choose(s, c->ctx, c->h->n_finished, t, &o, rng, out);
}

/* ---- group decomposition ------------------------------------------------------------ */

/* Names seen in finished trials, with the distribution they had; a name seen with two
 * different distributions is left to independent sampling. */
typedef struct group_names {
    const char **names;
    const hps_dist **dists;
    unsigned char *mixed;
    size_t n, cap;
} group_names;

typedef struct group_set {
    size_t **members; /* sorted name ids */
    size_t *sizes;
    size_t n, cap;
} group_set;

static void group_set_clear(group_set *g)
{
    for (size_t i = 0; i < g->n; i++)
        hps_mem_free(g->members[i]);
    hps_mem_free(g->members);
    hps_mem_free(g->sizes);
    memset(g, 0, sizeof *g);
}

static int group_set_push(group_set *g, size_t *members, size_t size)
{
    if (size == 0) {
        hps_mem_free(members);
        return 0;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap, cap2 = g->cap;
        void *m = g->members, *z = g->sizes;
        if (hps_mem_grow(&m, &cap, g->n + 1, sizeof *g->members) != 0) {
            hps_mem_free(members);
            return -1;
        }
        g->members = m;
        if (hps_mem_grow(&z, &cap2, g->n + 1, sizeof *g->sizes) != 0) {
            hps_mem_free(members);
            return -1;
        }
        g->sizes = z;
        g->cap = cap < cap2 ? cap : cap2;
    }
    g->members[g->n] = members;
    g->sizes[g->n] = size;
    g->n++;
    return 0;
}

static long name_id(group_names *gn, const hps_param_rec *p, size_t hint)
{
    if (hint < gn->n && strcmp(gn->names[hint], p->name) == 0)
        return (long)hint;
    for (size_t i = 0; i < gn->n; i++)
        if (strcmp(gn->names[i], p->name) == 0)
            return (long)i;
    void *names = gn->names, *dists = gn->dists, *mixed = gn->mixed;
    size_t c1 = gn->cap, c2 = gn->cap, c3 = gn->cap;
    if (hps_mem_grow(&names, &c1, gn->n + 1, sizeof *gn->names) != 0)
        return -1;
    gn->names = names;
    if (hps_mem_grow(&dists, &c2, gn->n + 1, sizeof *gn->dists) != 0)
        return -1;
    gn->dists = dists;
    if (hps_mem_grow(&mixed, &c3, gn->n + 1, 1) != 0)
        return -1;
    gn->mixed = mixed;
    gn->cap = c1 < c2 ? (c1 < c3 ? c1 : c3) : (c2 < c3 ? c2 : c3);
    gn->names[gn->n] = p->name;
    gn->dists[gn->n] = &p->dist;
    gn->mixed[gn->n] = 0;
    return (long)gn->n++;
}

static int cmp_size(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return a < b ? -1 : (a > b ? 1 : 0);
}

/* Optuna's _SearchSpaceGroup.add_distributions: every group splits into the part the
 * trial has and the part it lacks; what the trial has beyond all groups is new. */
static int group_add_trial(group_set *g, const size_t *ids, size_t n_ids)
{
    group_set next;
    memset(&next, 0, sizeof next);
    size_t *rest = hps_mem_calloc(n_ids + 1, sizeof *rest);
    if (rest == NULL)
        return -1;
    memcpy(rest, ids, n_ids * sizeof *ids);
    size_t n_rest = n_ids;
    for (size_t gi = 0; gi < g->n; gi++) {
        size_t sz = g->sizes[gi];
        size_t *in = hps_mem_calloc(sz + 1, sizeof *in), *out = hps_mem_calloc(sz + 1, sizeof *out);
        if (in == NULL || out == NULL) {
            hps_mem_free(in);
            hps_mem_free(out);
            goto oom;
        }
        size_t n_in = 0, n_out = 0;
        for (size_t m = 0; m < sz; m++) {
            size_t id = g->members[gi][m];
            int has = bsearch(&id, ids, n_ids, sizeof *ids, cmp_size) != NULL;
            if (has)
                in[n_in++] = id;
            else
                out[n_out++] = id;
        }
        /* rest -= group */
        size_t kept = 0;
        for (size_t r = 0; r < n_rest; r++)
            if (bsearch(&rest[r], g->members[gi], sz, sizeof *rest, cmp_size) == NULL)
                rest[kept++] = rest[r];
        n_rest = kept;
        if (group_set_push(&next, in, n_in) != 0) {
            hps_mem_free(out);
            goto oom;
        }
        if (group_set_push(&next, out, n_out) != 0)
            goto oom;
    }
    if (group_set_push(&next, rest, n_rest) != 0) {
        rest = NULL;
        goto oom;
    }
    group_set_clear(g);
    *g = next;
    return 0;
oom:
    hps_mem_free(rest);
    group_set_clear(&next);
    return -1;
}

static int build_groups(const hps_history *h, group_names *gn, group_set *g)
{
    size_t *ids = NULL, cap = 0;
    for (size_t i = 0; i < h->n_finished; i++) {
        const hps_frozen *rec = h->finished[i];
        if (rec->n_params + 1 > cap) {
            hps_mem_free(ids);
            cap = rec->n_params + 1;
            ids = hps_mem_calloc(cap, sizeof *ids);
            if (ids == NULL)
                return -1;
        }
        for (size_t k = 0; k < rec->n_params; k++) {
            long id = name_id(gn, &rec->params[k], k);
            if (id < 0) {
                hps_mem_free(ids);
                return -1;
            }
            if (!gn->mixed[id] && !hps_dist_equal(gn->dists[id], &rec->params[k].dist))
                gn->mixed[id] = 1;
            ids[k] = (size_t)id;
        }
        qsort(ids, rec->n_params, sizeof *ids, cmp_size);
        if (group_add_trial(g, ids, rec->n_params) != 0) {
            hps_mem_free(ids);
            return -1;
        }
    }
    hps_mem_free(ids);
    return 0;
}

/* Keeps the values drawn for trials this process still runs. */
static void purge_cache(tpe_state *s, const hps_history *h)
{
    size_t kept = 0;
    for (size_t i = 0; i < s->n_cache; i++) {
        int alive = 0;
        for (size_t k = 0; k < h->n_pending && !alive; k++)
            alive = h->pending[k].live && h->pending[k].rec->id == s->cache[i].id;
        if (alive && kept < TPE_MAX_CACHED_TRIALS - 1)
            s->cache[kept++] = s->cache[i];
        else
            cached_clear(&s->cache[i]);
    }
    s->n_cache = kept;
}

static int cache_store(tpe_state *s, int64_t id, const tpe_target *t, const double *values,
                       const unsigned char *keep)
{
    size_t n = 0;
    for (size_t d = 0; d < t->n; d++)
        n += keep[d];
    if (n == 0)
        return 0;
    void *items = s->cache;
    if (hps_mem_grow(&items, &s->cap_cache, s->n_cache + 1, sizeof *s->cache) != 0)
        return -1;
    s->cache = items;
    tpe_cached *c = (tpe_cached *)cached_for(s, id);
    if (c == NULL) {
        c = &s->cache[s->n_cache++];
        memset(c, 0, sizeof *c);
        c->id = id;
    }
    size_t total = c->n + n;
    char **names = hps_mem_realloc_array(c->names, total, sizeof *names);
    if (names == NULL)
        return -1;
    c->names = names;
    hps_dist *dists = hps_mem_realloc_array(c->dists, total, sizeof *dists);
    if (dists == NULL)
        return -1;
    c->dists = dists;
    double *vals = hps_mem_realloc_array(c->values, total, sizeof *vals);
    if (vals == NULL)
        return -1;
    c->values = vals;
    for (size_t d = 0; d < t->n; d++) {
        if (!keep[d])
            continue;
        char *name = hps_mem_strdup(t->names[d]);
        if (name == NULL)
            return -1;
        if (hps_dist_copy(&c->dists[c->n], t->dists[d]) != 0) {
            hps_mem_free(name);
            return -1;
        }
        c->names[c->n] = name;
        c->values[c->n] = values[d];
        c->n++;
    }
    return 0;
}

static hps_status sample_groups(hps_sampler *sampler, tpe_state *s, const hps_frozen *trial,
                                const tpe_ctx *c, hps_rng *rng, double *values_out)
{
    const hps_history *h = c->h;
    group_names gn;
    group_set g;
    memset(&gn, 0, sizeof gn);
    memset(&g, 0, sizeof g);
    hps_status rc = HPS_ERR_NOMEM;
    if (build_groups(h, &gn, &g) != 0)
        goto out;
    for (size_t gi = 0; gi < g.n; gi++) {
        tpe_target t;
        if (target_alloc(&s->arena, &t, g.sizes[gi]) != 0)
            goto out;
        for (size_t m = 0; m < g.sizes[gi]; m++) {
            size_t id = g.members[gi][m];
            if (gn.mixed[id] || single_valued(gn.dists[id]))
                continue;
            long idx = hps_space_index(&h->space, gn.names[id]);
            target_add(&t, gn.names[id], gn.dists[id],
                       idx >= 0 && hps_dist_equal(h->space.dists[idx], gn.dists[id]));
        }
        if (t.n == 0)
            continue;
        double *vals = tpe_arena_calloc(&s->arena, t.n, sizeof *vals);
        unsigned char *keep = tpe_arena_calloc(&s->arena, t.n, 1);
        if (vals == NULL || keep == NULL || sample_target(s, c, &t, NULL, rng, vals) != 0)
            goto out;
        for (size_t d = 0; d < t.n; d++) {
            long idx = hps_space_index(&h->space, t.names[d]);
            if (idx >= 0 && t.in_space[d])
                values_out[idx] = vals[d];
            else
                keep[d] = 1;
        }
        if (cache_store(s, trial->id, &t, vals, keep) != 0)
            goto out;
    }
    rc = HPS_OK;
out:
    group_set_clear(&g);
    hps_mem_free(gn.names);
    hps_mem_free(gn.dists);
    hps_mem_free(gn.mixed);
    if (rc != HPS_OK)
        return hps_errbuf_set(&sampler->err, rc, "out of memory");
    return HPS_OK;
}

/* ---- the sampler operations --------------------------------------------------------- */

static hps_status oom(hps_sampler *sampler)
{
    return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
}

static hps_status tpe_sample_relative(hps_sampler *sampler, const hps_context *ctx,
                                      const hps_history *h, double *values_out)
{
    tpe_state *s = sampler->impl;
    if (s->group)
        purge_cache(s, h);
    if (!s->multivariate || h->n_finished < s->n_startup || h->n_finished == 0)
        return HPS_OK;
    tpe_arena_reset(&s->arena);
    tpe_ctx c;
    if (ctx_init(&c, s, ctx, h) != 0)
        return oom(sampler);
    hps_rng rng;
    hps_rng_seed_keyed(&rng, sampler->seed, ctx->trial->number, TPE_RELATIVE_KEY);
    if (s->group)
        return sample_groups(sampler, s, ctx->trial, &c, &rng, values_out);
    tpe_target t;
    if (target_alloc(&s->arena, &t, h->space.n) != 0)
        return oom(sampler);
    for (size_t i = 0; i < h->space.n; i++)
        if (!single_valued(h->space.dists[i]))
            target_add(&t, h->space.names[i], h->space.dists[i], 1);
    if (t.n == 0)
        return HPS_OK;
    double *vals = tpe_arena_calloc(&s->arena, t.n, sizeof *vals);
    if (vals == NULL || sample_target(s, &c, &t, &s->rows, &rng, vals) != 0)
        return oom(sampler);
    for (size_t d = 0, i = 0; i < h->space.n; i++)
        if (d < t.n && t.names[d] == h->space.names[i])
            values_out[i] = vals[d++];
    return HPS_OK;
}

static hps_status tpe_sample(hps_sampler *sampler, const hps_context *ctx, const char *name,
                             const hps_dist *dist, double *internal_out)
{
    tpe_state *s = sampler->impl;
    if (single_valued(dist)) {
        *internal_out = hps_dist_nth_value(dist, 0);
        return HPS_OK;
    }
    const tpe_cached *cached = cached_for(s, ctx->trial->id);
    for (size_t i = 0; cached != NULL && i < cached->n; i++) {
        if (strcmp(cached->names[i], name) == 0 && hps_dist_equal(&cached->dists[i], dist)) {
            *internal_out = cached->values[i];
            return HPS_OK;
        }
    }
    hps_rng rng;
    hps_rng_seed_keyed(&rng, sampler->seed, ctx->trial->number, name);
    hps_history h;
    hps_status rc = hps_ctx_history(ctx, &h, &sampler->err);
    if (rc != HPS_OK)
        return rc;
    if (h.n_finished < s->n_startup || h.n_finished == 0) {
        /* start-up: exactly as the random sampler draws it (uniform or from the prior) */
        hps_ctx_history_release(ctx, &h);
        *internal_out =
            hps_dist_from_unit(dist, hps_ctx_prior_unit(ctx, name, dist, hps_rng_uniform(&rng)));
        return HPS_OK;
    }
    tpe_arena_reset(&s->arena);
    tpe_ctx c;
    tpe_target t;
    rc = HPS_OK;
    if (ctx_init(&c, s, ctx, &h) != 0 || target_alloc(&s->arena, &t, 1) != 0) {
        rc = oom(sampler);
    } else {
        target_add(&t, name, dist, 0);
        if (sample_target(s, &c, &t, NULL, &rng, internal_out) != 0)
            rc = oom(sampler);
    }
    hps_ctx_history_release(ctx, &h);
    return rc;
}

const hps_sampler_ops hps_tpe_sampler_ops = {
    .name = "tpe",
    .help = "the tree-structured Parzen estimator, with Optuna's semantics, options and "
            "newest defaults (multivariate, constant liar)",
    .learns = 1,
    .options = tpe_options,
    .init = tpe_init,
    .destroy = tpe_destroy,
    .sample = tpe_sample,
    .sample_relative = tpe_sample_relative,
};
