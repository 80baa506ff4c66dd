/* importance.c -- fANOVA on a random forest, and the study's parameter importances. */
#include "engine/importance.h"

#include "base/jsonw.h"
#include "base/mem.h"
#include "base/rng.h"
#include "base/strbuf.h"
#include "engine/study.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- fANOVA over one tree -------------------------------------------------------- */

/* The boxes (leaves) of one tree: value, and per feature the box's extent. */
typedef struct fanova_tree {
    size_t d, n_leaves;
    double *value;   /* [leaf] */
    double *lo, *hi; /* [leaf * d + f], numeric features */
    uint64_t *set;   /* [leaf * d + f], set-split features */
    double *prefix;  /* [leaf * (d + 1) + f]: product of the sizes of features < f */
    double *suffix;  /* [leaf * (d + 1) + f]: product of the sizes of features >= f */
    /* traversal scratch: one region per stack slot */
    uint32_t *stack;
    double *slot_lo, *slot_hi;
    uint64_t *slot_set;
    /* marginal scratch */
    struct fanova_event *events;
    double *cat_marginal;
} fanova_tree;

typedef struct fanova_event {
    double at, delta;
} fanova_event;

static int set_split(const hps_forest *forest, size_t f)
{
    return forest->features[f].categorical &&
           forest->features[f].n_categories <= HPS_FOREST_MAX_CATEGORIES;
}

static uint64_t all_categories(size_t k)
{
    return k >= 64 ? UINT64_MAX : (((uint64_t)1 << k) - 1);
}

static double region_size(const hps_forest *forest, size_t f, double lo, double hi,
                          uint64_t set)
{
    if (set_split(forest, f))
        return (double)__builtin_popcountll(set) / (double)forest->features[f].n_categories;
    double a = lo < 0 ? 0 : lo, b = hi > 1 ? 1 : hi;
    return b > a ? b - a : 0;
}

static int compare_events(const void *a, const void *b)
{
    double x = ((const fanova_event *)a)->at, y = ((const fanova_event *)b)->at;
    return (x > y) - (x < y);
}

/* Walks the tree from the root carrying each node's box; records the leaves. */
static void collect_leaves(const hps_forest *forest, const hps_forest_tree *tree,
                           fanova_tree *ft)
{
    size_t d = forest->n_features;
    ft->n_leaves = 0;
    size_t top = 0;
    ft->stack[top] = 0;
    for (size_t f = 0; f < d; f++) {
        ft->slot_lo[f] = 0;
        ft->slot_hi[f] = 1;
        ft->slot_set[f] = all_categories(forest->features[f].n_categories);
    }
    top = 1;
    while (top > 0) {
        size_t slot = top - 1;
        const hps_forest_node *node = &tree->nodes[ft->stack[slot]];
        double *lo = ft->slot_lo + slot * d, *hi = ft->slot_hi + slot * d;
        uint64_t *set = ft->slot_set + slot * d;
        if (node->feature < 0) {
            size_t leaf = ft->n_leaves++;
            ft->value[leaf] = node->value;
            memcpy(ft->lo + leaf * d, lo, d * sizeof *lo);
            memcpy(ft->hi + leaf * d, hi, d * sizeof *hi);
            memcpy(ft->set + leaf * d, set, d * sizeof *set);
            top--;
            continue;
        }
        /* The right child takes this slot, the left one the next. */
        size_t next = slot + 1, f = (size_t)node->feature;
        memcpy(ft->slot_lo + next * d, lo, d * sizeof *lo);
        memcpy(ft->slot_hi + next * d, hi, d * sizeof *hi);
        memcpy(ft->slot_set + next * d, set, d * sizeof *set);
        if (set_split(forest, f)) {
            set[f] &= ~node->left_set;
            ft->slot_set[next * d + f] &= node->left_set;
        } else {
            if (node->threshold > lo[f])
                lo[f] = node->threshold;
            if (node->threshold < ft->slot_hi[next * d + f])
                ft->slot_hi[next * d + f] = node->threshold;
        }
        ft->stack[slot] = node->right;
        ft->stack[next] = node->left;
        top = next + 1;
    }
}

/* Adds each feature's explained fraction of this tree's variance to sum[]; returns 0
 * when the tree's prediction does not vary (it then adds nothing). */
static int fanova_one_tree(const hps_forest *forest, const hps_forest_tree *tree,
                           fanova_tree *ft, double *sum)
{
    size_t d = forest->n_features;
    collect_leaves(forest, tree, ft);
    size_t L = ft->n_leaves;
    double mean = 0, second = 0;
    for (size_t l = 0; l < L; l++) {
        double *pre = ft->prefix + l * (d + 1), *suf = ft->suffix + l * (d + 1);
        pre[0] = 1;
        for (size_t f = 0; f < d; f++)
            pre[f + 1] = pre[f] * region_size(forest, f, ft->lo[l * d + f], ft->hi[l * d + f],
                                              ft->set[l * d + f]);
        suf[d] = 1;
        for (size_t f = d; f > 0; f--)
            suf[f - 1] = suf[f] * region_size(forest, f - 1, ft->lo[l * d + f - 1],
                                              ft->hi[l * d + f - 1], ft->set[l * d + f - 1]);
        double volume = pre[d], v = ft->value[l];
        mean += volume * v;
        second += volume * v * v;
    }
    double total = second - mean * mean;
    if (!(total > 1e-12 * (second > 0 ? second : 1)))
        return 0;
    for (size_t f = 0; f < d; f++) {
        double s1 = 0, s2 = 0;
        if (set_split(forest, f)) {
            size_t k = forest->features[f].n_categories;
            memset(ft->cat_marginal, 0, k * sizeof *ft->cat_marginal);
            for (size_t l = 0; l < L; l++) {
                double weight = ft->prefix[l * (d + 1) + f] * ft->suffix[l * (d + 1) + f + 1];
                uint64_t set = ft->set[l * d + f];
                for (size_t c = 0; c < k; c++)
                    if ((set >> c) & 1u)
                        ft->cat_marginal[c] += weight * ft->value[l];
            }
            for (size_t c = 0; c < k; c++) {
                s1 += ft->cat_marginal[c] / (double)k;
                s2 += ft->cat_marginal[c] * ft->cat_marginal[c] / (double)k;
            }
        } else {
            /* The marginal is a step function of x_f: each box adds weight * value on
             * its extent. Sweep the boxes' edges in order. */
            size_t n_events = 0;
            for (size_t l = 0; l < L; l++) {
                double weight = ft->prefix[l * (d + 1) + f] * ft->suffix[l * (d + 1) + f + 1];
                double a = ft->lo[l * d + f], b = ft->hi[l * d + f];
                a = a < 0 ? 0 : a;
                b = b > 1 ? 1 : b;
                if (!(b > a) || weight == 0)
                    continue;
                ft->events[n_events++] = (fanova_event){a, weight * ft->value[l]};
                ft->events[n_events++] = (fanova_event){b, -weight * ft->value[l]};
            }
            if (n_events > 1)
                qsort(ft->events, n_events, sizeof *ft->events, compare_events);
            double running = 0, prev = 0;
            for (size_t e = 0; e < n_events; e++) {
                double len = ft->events[e].at - prev;
                if (len > 0) {
                    s1 += len * running;
                    s2 += len * running * running;
                    prev = ft->events[e].at;
                }
                running += ft->events[e].delta;
            }
        }
        double explained = (s2 - s1 * s1) / total;
        sum[f] += explained < 0 ? 0 : (explained > 1 ? 1 : explained);
    }
    return 1;
}

static void fanova_tree_free(fanova_tree *ft)
{
    hps_mem_free(ft->value);
    hps_mem_free(ft->lo);
    hps_mem_free(ft->hi);
    hps_mem_free(ft->set);
    hps_mem_free(ft->prefix);
    hps_mem_free(ft->suffix);
    hps_mem_free(ft->stack);
    hps_mem_free(ft->slot_lo);
    hps_mem_free(ft->slot_hi);
    hps_mem_free(ft->slot_set);
    hps_mem_free(ft->events);
    hps_mem_free(ft->cat_marginal);
}

/* Number of leaves and depth of the deepest tree: children always come after their
 * parent in the node array, so one forward pass gives every depth. */
static int forest_shape(const hps_forest *forest, size_t *max_leaves, size_t *max_depth)
{
    size_t max_nodes = 0;
    for (size_t t = 0; t < forest->n_trees; t++)
        if (forest->trees[t].n_nodes > max_nodes)
            max_nodes = forest->trees[t].n_nodes;
    uint32_t *depth = hps_mem_calloc(max_nodes, sizeof *depth);
    if (depth == NULL)
        return -1;
    *max_leaves = 0;
    *max_depth = 0;
    for (size_t t = 0; t < forest->n_trees; t++) {
        const hps_forest_tree *tree = &forest->trees[t];
        size_t leaves = 0;
        depth[0] = 0;
        for (size_t i = 0; i < tree->n_nodes; i++) {
            const hps_forest_node *node = &tree->nodes[i];
            if (node->feature < 0) {
                leaves++;
                continue;
            }
            depth[node->left] = depth[node->right] = depth[i] + 1;
            if (depth[i] + 1 > *max_depth)
                *max_depth = depth[i] + 1;
        }
        if (leaves > *max_leaves)
            *max_leaves = leaves;
    }
    hps_mem_free(depth);
    return 0;
}

hps_status hps_importance_fanova(const hps_forest *forest, double *out)
{
    size_t d = forest->n_features;
    for (size_t f = 0; f < d; f++)
        out[f] = 0;
    size_t L, depth;
    if (forest_shape(forest, &L, &depth) != 0)
        return HPS_ERR_NOMEM;
    size_t slots = depth + 2;
    fanova_tree ft = {.d = d};
    hps_status rc = HPS_ERR_NOMEM;
    if (L > SIZE_MAX / (d + 1) || slots > SIZE_MAX / d)
        goto out;
    ft.value = hps_mem_calloc(L, sizeof *ft.value);
    ft.lo = hps_mem_calloc(L * d, sizeof *ft.lo);
    ft.hi = hps_mem_calloc(L * d, sizeof *ft.hi);
    ft.set = hps_mem_calloc(L * d, sizeof *ft.set);
    ft.prefix = hps_mem_calloc(L * (d + 1), sizeof *ft.prefix);
    ft.suffix = hps_mem_calloc(L * (d + 1), sizeof *ft.suffix);
    ft.stack = hps_mem_calloc(slots, sizeof *ft.stack);
    ft.slot_lo = hps_mem_calloc(slots * d, sizeof *ft.slot_lo);
    ft.slot_hi = hps_mem_calloc(slots * d, sizeof *ft.slot_hi);
    ft.slot_set = hps_mem_calloc(slots * d, sizeof *ft.slot_set);
    ft.events = hps_mem_calloc(2 * L, sizeof *ft.events);
    ft.cat_marginal = hps_mem_calloc(HPS_FOREST_MAX_CATEGORIES, sizeof *ft.cat_marginal);
    if (ft.value == NULL || ft.lo == NULL || ft.hi == NULL || ft.set == NULL ||
        ft.prefix == NULL || ft.suffix == NULL || ft.stack == NULL || ft.slot_lo == NULL ||
        ft.slot_hi == NULL || ft.slot_set == NULL || ft.events == NULL ||
        ft.cat_marginal == NULL)
        goto out;
    size_t varying = 0;
    for (size_t t = 0; t < forest->n_trees; t++)
        varying += (size_t)fanova_one_tree(forest, &forest->trees[t], &ft, out);
    for (size_t f = 0; varying > 0 && f < d; f++)
        out[f] /= (double)varying;
    rc = HPS_OK;
out:
    fanova_tree_free(&ft);
    return rc;
}

hps_status hps_importance_compute(const double *x, const double *y, size_t n, size_t d,
                                  const hps_forest_feature *features, uint64_t seed,
                                  double *out)
{
    hps_forest_options opt;
    hps_forest_default_options(&opt);
    opt.seed = seed;
    hps_forest *forest = NULL;
    hps_status rc = hps_forest_fit(x, y, n, d, features, &opt, &forest);
    if (rc == HPS_OK)
        rc = hps_importance_fanova(forest, out);
    hps_forest_free(forest);
    return rc;
}

/* ---- the study's importances ----------------------------------------------------- */

/* One parameter of the intersection search space. */
typedef struct imp_param {
    const char *name;     /* borrowed from a cached trial */
    const hps_dist *dist; /* the newest trial's distribution */
    int64_t dist_number;
    int set_split;
    double importance;
} imp_param;

static int usable_trial(const hps_frozen *t, size_t objective)
{
    return t != NULL && t->state == HPS_COMPLETE && t->n_values > objective &&
           isfinite(t->values[objective]);
}

static int compare_importance(const void *a, const void *b)
{
    const imp_param *p = a, *q = b;
    if (p->importance != q->importance)
        return p->importance < q->importance ? 1 : -1;
    return strcmp(p->name, q->name);
}

/* Optuna ranks the parameters every completed trial has with one distribution (its
 * intersection search space); here compatible distributions (same kind, same choices)
 * count as one, so a widened range does not drop a parameter. Parameters that can take
 * one value only explain nothing and are left out. */
static hps_status build_space(hps_study *study, size_t objective, imp_param **params_out,
                              size_t *n_params_out, size_t *n_usable_out)
{
    imp_param *params = NULL;
    size_t n_params = 0, n_usable = 0;
    *params_out = NULL;
    *n_params_out = 0;
    *n_usable_out = 0;
    for (size_t i = 0; i < study->n_cache; i++) {
        const hps_frozen *t = study->cache[i];
        if (!usable_trial(t, objective))
            continue;
        if (n_usable++ == 0) {
            params = hps_mem_calloc(t->n_params + 1, sizeof *params);
            if (params == NULL)
                return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
            for (size_t p = 0; p < t->n_params; p++)
                params[n_params++] = (imp_param){.name = t->params[p].name,
                                                 .dist = &t->params[p].dist,
                                                 .dist_number = t->number};
            continue;
        }
        size_t kept = 0;
        for (size_t p = 0; p < n_params; p++) {
            const hps_param_rec *rec = hps_rec_find_param(t, params[p].name);
            if (rec == NULL || !hps_dist_compatible(&rec->dist, params[p].dist))
                continue;
            params[kept] = params[p];
            if (t->number > params[kept].dist_number) {
                params[kept].dist = &rec->dist;
                params[kept].dist_number = t->number;
            }
            kept++;
        }
        n_params = kept;
    }
    size_t kept = 0;
    for (size_t p = 0; p < n_params; p++) {
        if (hps_dist_cardinality(params[p].dist) == 1)
            continue;
        params[kept] = params[p];
        params[kept].set_split = params[kept].dist->kind == HPS_DIST_CATEGORICAL &&
                                 params[kept].dist->n_choices <= HPS_FOREST_MAX_CATEGORIES;
        kept++;
    }
    if (kept > HPS_IMPORTANCE_MAX_PARAMS) {
        hps_mem_free(params);
        return hps_errbuf_set(&study->err, HPS_ERR_UNSUPPORTED,
                              "study '%s' has %zu parameters: importances are computed for "
                              "at most %u",
                              study->name, kept, HPS_IMPORTANCE_MAX_PARAMS);
    }
    *params_out = params;
    *n_params_out = kept;
    *n_usable_out = n_usable;
    return HPS_OK;
}

/* The trials that feed the forest: every usable one, or a seeded uniform sample of
 * HPS_IMPORTANCE_MAX_TRIALS of them (a partial Fisher-Yates shuffle). */
static const hps_frozen **pick_trials(hps_study *study, size_t objective, size_t n_usable,
                                      size_t *n_out)
{
    const hps_frozen **all = hps_mem_calloc(n_usable, sizeof *all);
    if (all == NULL)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < study->n_cache && n < n_usable; i++)
        if (usable_trial(study->cache[i], objective))
            all[n++] = study->cache[i];
    if (n > HPS_IMPORTANCE_MAX_TRIALS) {
        hps_rng rng;
        hps_rng_seed(&rng, 0x1dea5eedULL);
        for (size_t i = 0; i < HPS_IMPORTANCE_MAX_TRIALS; i++) {
            size_t j = i + (size_t)hps_rng_below(&rng, n - i);
            const hps_frozen *tmp = all[i];
            all[i] = all[j];
            all[j] = tmp;
        }
        n = HPS_IMPORTANCE_MAX_TRIALS;
    }
    *n_out = n;
    return all;
}

static hps_status write_json(hps_study *study, imp_param *params, size_t n_params,
                             char **json_out)
{
    if (n_params > 1)
        qsort(params, n_params, sizeof *params, compare_importance);
    hps_strbuf sb;
    hps_strbuf_init(&sb, 0);
    hps_strbuf_putc(&sb, '{');
    for (size_t p = 0; p < n_params; p++) {
        if (p > 0)
            hps_strbuf_puts(&sb, ", ");
        hps_jsonw_string(&sb, params[p].name);
        hps_strbuf_puts(&sb, ": ");
        hps_jsonw_double(&sb, params[p].importance);
    }
    hps_strbuf_putc(&sb, '}');
    *json_out = hps_strbuf_take(&sb);
    if (*json_out == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
    return HPS_OK;
}

hps_status hps_study_param_importances(hps_study *study, size_t objective, char **json_out)
{
    if (json_out == NULL)
        return study == NULL ? HPS_ERR_INVALID
                             : hps_errbuf_set(&study->err, HPS_ERR_INVALID, "json_out is NULL");
    *json_out = NULL;
    if (study == NULL)
        return HPS_ERR_INVALID;
    if (objective >= study->n_directions)
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                              "objective %zu is out of range: study '%s' has %zu", objective,
                              study->name, study->n_directions);
    hps_status rc = hps_study_sync(study);
    if (rc != HPS_OK)
        return rc;

    imp_param *params = NULL;
    const hps_frozen **trials = NULL;
    hps_forest_feature *features = NULL;
    double *x = NULL, *y = NULL, *importance = NULL;
    size_t n_params = 0, n_usable = 0, n = 0;
    rc = build_space(study, objective, &params, &n_params, &n_usable);
    if (rc != HPS_OK)
        goto out;
    /* Fewer than two trials, or no parameter that varies: nothing to rank. */
    if (n_usable < 2 || n_params == 0) {
        rc = write_json(study, params, n_usable < 2 ? 0 : n_params, json_out);
        goto out;
    }
    trials = pick_trials(study, objective, n_usable, &n);
    features = hps_mem_calloc(n_params, sizeof *features);
    importance = hps_mem_calloc(n_params, sizeof *importance);
    x = hps_mem_realloc_array(NULL, n, n_params * sizeof *x);
    y = hps_mem_calloc(n, sizeof *y);
    if (trials == NULL || features == NULL || importance == NULL || x == NULL || y == NULL) {
        rc = hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t p = 0; p < n_params; p++) {
        features[p].categorical = params[p].set_split;
        features[p].n_categories = params[p].set_split ? params[p].dist->n_choices : 0;
    }
    double mean = 0;
    for (size_t i = 0; i < n; i++) {
        y[i] = trials[i]->values[objective];
        mean += y[i];
        for (size_t p = 0; p < n_params; p++) {
            double internal = hps_rec_find_param(trials[i], params[p].name)->internal;
            x[i * n_params + p] = params[p].set_split ? internal
                                                      : hps_dist_to_unit(params[p].dist, internal);
        }
    }
    /* Standardized targets keep the sums of squares well scaled whatever the metric's
     * units; a constant objective leaves every importance at 0. */
    mean /= (double)n;
    double var = 0;
    for (size_t i = 0; i < n; i++)
        var += (y[i] - mean) * (y[i] - mean);
    double sd = sqrt(var / (double)n);
    if (sd > 0 && isfinite(sd)) {
        for (size_t i = 0; i < n; i++)
            y[i] = (y[i] - mean) / sd;
        rc = hps_importance_compute(x, y, n, n_params, features, 0, importance);
        if (rc != HPS_OK) {
            rc = hps_errbuf_set(&study->err, rc, "parameter importances: %s", hps_strerror(rc));
            goto out;
        }
    }
    double total = 0;
    for (size_t p = 0; p < n_params; p++)
        total += importance[p];
    for (size_t p = 0; p < n_params; p++)
        params[p].importance = total > 0 ? importance[p] / total : 0;
    rc = write_json(study, params, n_params, json_out);
out:
    hps_mem_free(params);
    hps_mem_free(trials);
    hps_mem_free(features);
    hps_mem_free(importance);
    hps_mem_free(x);
    hps_mem_free(y);
    return rc;
}
