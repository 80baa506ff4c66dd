/* forest.c -- random forest regression (see forest.h). */
#include "engine/forest.h"

#include "base/mem.h"
#include "base/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Scratch of one fit, reused by every tree. Positions 0..n-1 index the tree's
 * (bootstrap) sample; boot[p] is the row of position p. */
typedef struct forest_fit {
    const double *x, *y;
    size_t n, d;
    const hps_forest_feature *features;
    const hps_forest_options *opt;
    hps_rng rng;
    uint32_t *boot;
    uint32_t **order;   /* order[f]: positions of the current node range sorted by feature f */
    uint32_t *tmp;
    unsigned char *left_flag;
    size_t *feature_perm;
    double *cat_sum;    /* per category, for set splits */
    size_t *cat_count;
    size_t *cat_order;
    double *cat_mean;
} forest_fit;

typedef struct forest_split {
    int found;
    size_t feature;
    double threshold;
    uint64_t left_set;
    double score;
} forest_split;

typedef struct forest_task {
    uint32_t node, lo, hi, depth;
} forest_task;

void hps_forest_default_options(hps_forest_options *opt)
{
    opt->n_trees = 64;
    opt->max_depth = 64;
    opt->min_split = 2;
    opt->bootstrap = 1;
    opt->seed = 0;
}

static int uses_set_split(const hps_forest_feature *feature)
{
    return feature->categorical && feature->n_categories <= HPS_FOREST_MAX_CATEGORIES;
}

int hps_forest_goes_left(const hps_forest *forest, const hps_forest_node *node, double x)
{
    const hps_forest_feature *feature = &forest->features[node->feature];
    if (uses_set_split(feature)) {
        /* An index outside the known categories has no bit: it goes right. */
        if (!(x >= 0 && x < (double)feature->n_categories))
            return 0;
        return (int)((node->left_set >> (unsigned)x) & 1u);
    }
    return x <= node->threshold;
}

static double xval(const forest_fit *fit, uint32_t pos, size_t feature)
{
    return fit->x[(size_t)fit->boot[pos] * fit->d + feature];
}

static double yval(const forest_fit *fit, uint32_t pos)
{
    return fit->y[fit->boot[pos]];
}

/* Best threshold of an ordered feature over positions order[lo..hi). */
static void best_ordered_split(const forest_fit *fit, size_t f, uint32_t lo, uint32_t hi,
                               double sum, forest_split *best)
{
    const uint32_t *order = fit->order[f];
    size_t m = hi - lo;
    double left_sum = 0;
    for (size_t k = 0; k + 1 < m; k++) {
        uint32_t pos = order[lo + k];
        left_sum += yval(fit, pos);
        double here = xval(fit, pos, f), next = xval(fit, order[lo + k + 1], f);
        if (!(here < next))
            continue;
        double n_left = (double)(k + 1), n_right = (double)(m - k - 1);
        double right_sum = sum - left_sum;
        double score = left_sum * left_sum / n_left + right_sum * right_sum / n_right;
        if (score > best->score) {
            double mid = here + (next - here) / 2;
            best->found = 1;
            best->feature = f;
            best->threshold = mid < next ? mid : here;
            best->left_set = 0;
            best->score = score;
        }
    }
}


/* Sorting the present categories by their mean target and cutting the sorted list
 * gives the best binary partition for squared error (Breiman et al., CART, 1984). */
static void best_set_split(forest_fit *fit, size_t f, uint32_t lo, uint32_t hi, double sum,
                           forest_split *best)
{
    size_t k_cats = fit->features[f].n_categories;
    memset(fit->cat_sum, 0, k_cats * sizeof *fit->cat_sum);
    memset(fit->cat_count, 0, k_cats * sizeof *fit->cat_count);
    for (uint32_t i = lo; i < hi; i++) {
        uint32_t pos = fit->order[f][i];
        size_t c = (size_t)xval(fit, pos, f);
        fit->cat_sum[c] += yval(fit, pos);
        fit->cat_count[c]++;
    }
    size_t present = 0;
    for (size_t c = 0; c < k_cats; c++) {
        if (fit->cat_count[c] == 0)
            continue;
        fit->cat_mean[c] = fit->cat_sum[c] / (double)fit->cat_count[c];
        fit->cat_order[present++] = c;
    }
    if (present < 2)
        return;
    /* insertion sort: at most 64 categories */
    for (size_t i = 1; i < present; i++) {
        size_t c = fit->cat_order[i], j = i;
        while (j > 0 && fit->cat_mean[fit->cat_order[j - 1]] > fit->cat_mean[c]) {
            fit->cat_order[j] = fit->cat_order[j - 1];
            j--;
        }
        fit->cat_order[j] = c;
    }
    size_t m = hi - lo, n_left = 0;
    double left_sum = 0;
    uint64_t set = 0;
    for (size_t i = 0; i + 1 < present; i++) {
        size_t c = fit->cat_order[i];
        set |= (uint64_t)1 << c;
        left_sum += fit->cat_sum[c];
        n_left += fit->cat_count[c];
        double right_sum = sum - left_sum;
        double score = left_sum * left_sum / (double)n_left +
                       right_sum * right_sum / (double)(m - n_left);
        if (score > best->score) {
            best->found = 1;
            best->feature = f;
            best->threshold = 0;
            best->left_set = set;
            best->score = score;
        }
    }
}

static int add_node(hps_forest_tree *tree, double value, uint32_t *index)
{
    if (tree->n_nodes >= UINT32_MAX)
        return -1;
    void *items = tree->nodes;
    if (hps_mem_grow(&items, &tree->cap_nodes, tree->n_nodes + 1, sizeof *tree->nodes) != 0)
        return -1;
    tree->nodes = items;
    hps_forest_node *node = &tree->nodes[tree->n_nodes];
    memset(node, 0, sizeof *node);
    node->feature = -1;
    node->value = value;
    *index = (uint32_t)tree->n_nodes++;
    return 0;
}

/* Moves the positions of [lo, hi) flagged left to the front of every order list,
 * keeping each list's relative order (so each stays sorted). */
static void partition_orders(forest_fit *fit, uint32_t lo, uint32_t hi)
{
    for (size_t f = 0; f < fit->d; f++) {
        uint32_t *order = fit->order[f];
        size_t n_left = 0, n_right = 0, m = hi - lo;
        for (uint32_t i = lo; i < hi; i++) {
            uint32_t pos = order[i];
            if (fit->left_flag[pos])
                order[lo + n_left++] = pos;
            else
                fit->tmp[n_right++] = pos;
        }
        memcpy(order + lo + n_left, fit->tmp, (m - n_left) * sizeof *order);
    }
}

/* qsort has no context argument in C11: sort (value, position) pairs instead. */
typedef struct forest_pair {
    double x;
    uint32_t pos;
} forest_pair;

static int compare_pairs(const void *a, const void *b)
{
    const forest_pair *p = a, *q = b;
    if (p->x != q->x)
        return (p->x > q->x) - (p->x < q->x);
    return (p->pos > q->pos) - (p->pos < q->pos);
}

static void sort_orders(forest_fit *fit, forest_pair *pairs)
{
    for (size_t f = 0; f < fit->d; f++) {
        if (uses_set_split(&fit->features[f])) {
            for (uint32_t p = 0; p < fit->n; p++)
                fit->order[f][p] = p;
            continue;
        }
        for (uint32_t p = 0; p < fit->n; p++) {
            pairs[p].x = xval(fit, p, f);
            pairs[p].pos = p;
        }
        qsort(pairs, fit->n, sizeof *pairs, compare_pairs);
        for (uint32_t p = 0; p < fit->n; p++)
            fit->order[f][p] = pairs[p].pos;
    }
}

static hps_status grow_tree(forest_fit *fit, hps_forest_tree *tree, forest_task *stack,
                            forest_pair *pairs)
{
    size_t n = fit->n;
    for (uint32_t p = 0; p < n; p++)
        fit->boot[p] = fit->opt->bootstrap ? (uint32_t)hps_rng_below(&fit->rng, n) : p;
    sort_orders(fit, pairs);

    double sum = 0;
    for (uint32_t p = 0; p < n; p++)
        sum += yval(fit, p);
    uint32_t root;
    if (add_node(tree, sum / (double)n, &root) != 0)
        return HPS_ERR_NOMEM;
    /* Depth-first with an explicit stack: a node's two children replace it on top, so
     * at most one pending sibling per level waits below: max_depth + 2 entries. */
    size_t top = 0;
    stack[top++] = (forest_task){root, 0, (uint32_t)n, 0};
    while (top > 0) {
        forest_task task = stack[--top];
        size_t m = task.hi - task.lo;
        if (m < fit->opt->min_split || task.depth >= fit->opt->max_depth)
            continue;
        const uint32_t *any = fit->order[0];
        double node_sum = 0, node_sumsq = 0, first = yval(fit, any[task.lo]);
        int constant = 1;
        for (uint32_t i = task.lo; i < task.hi; i++) {
            double v = yval(fit, any[i]);
            node_sum += v;
            node_sumsq += v * v;
            constant &= v == first;
        }
        if (constant)
            continue;
        double parent_score = node_sum * node_sum / (double)m;
        forest_split best = {.found = 0, .score = parent_score};
        /* A random feature order breaks ties between equally good splits at random,
         * as scikit-learn does, instead of always favouring the first feature. */
        for (size_t f = 0; f < fit->d; f++)
            fit->feature_perm[f] = f;
        for (size_t f = fit->d; f > 1; f--) {
            size_t j = (size_t)hps_rng_below(&fit->rng, f);
            size_t t = fit->feature_perm[f - 1];
            fit->feature_perm[f - 1] = fit->feature_perm[j];
            fit->feature_perm[j] = t;
        }
        for (size_t k = 0; k < fit->d; k++) {
            size_t f = fit->feature_perm[k];
            if (uses_set_split(&fit->features[f]))
                best_set_split(fit, f, task.lo, task.hi, node_sum, &best);
            else
                best_ordered_split(fit, f, task.lo, task.hi, node_sum, &best);
        }
        /* Gains at the rounding level of the sums are not structure. */
        double variance_scale = node_sumsq - parent_score;
        if (!best.found || best.score - parent_score <= 1e-12 * (variance_scale > 0 ? variance_scale : 1))
            continue;

        hps_forest_node split = {.feature = (int32_t)best.feature,
                                 .threshold = best.threshold,
                                 .left_set = best.left_set};
        size_t n_left = 0;
        double left_sum = 0;
        hps_forest forest_view = {.n_features = fit->d,
                                  .features = (hps_forest_feature *)fit->features};
        for (uint32_t i = task.lo; i < task.hi; i++) {
            uint32_t pos = any[i];
            int left = hps_forest_goes_left(&forest_view, &split, xval(fit, pos, best.feature));
            fit->left_flag[pos] = (unsigned char)left;
            if (left) {
                n_left++;
                left_sum += yval(fit, pos);
            }
        }
        if (n_left == 0 || n_left == m)
            continue;
        partition_orders(fit, task.lo, task.hi);
        uint32_t left_node, right_node;
        if (add_node(tree, left_sum / (double)n_left, &left_node) != 0 ||
            add_node(tree, (node_sum - left_sum) / (double)(m - n_left), &right_node) != 0)
            return HPS_ERR_NOMEM;
        hps_forest_node *node = &tree->nodes[task.node];
        /* The score is the sum of squares the children's means explain: its increase
         * over the parent's is the drop in squared error. */
        node->gain = best.score - parent_score;
        node->feature = split.feature;
        node->threshold = split.threshold;
        node->left_set = split.left_set;
        node->left = left_node;
        node->right = right_node;
        uint32_t mid = task.lo + (uint32_t)n_left;
        stack[top++] = (forest_task){right_node, mid, task.hi, task.depth + 1};
        stack[top++] = (forest_task){left_node, task.lo, mid, task.depth + 1};
    }
    return HPS_OK;
}

static hps_status check_input(const double *x, const double *y, size_t n, size_t d,
                              const hps_forest_feature *features)
{
    if (n == 0 || d == 0 || n > HPS_FOREST_MAX_SAMPLES || d > HPS_FOREST_MAX_FEATURES ||
        x == NULL || y == NULL || features == NULL)
        return HPS_ERR_INVALID;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            return HPS_ERR_INVALID;
        for (size_t f = 0; f < d; f++) {
            double v = x[i * d + f];
            if (!isfinite(v))
                return HPS_ERR_INVALID;
            if (features[f].categorical &&
                (v < 0 || v >= (double)features[f].n_categories || v != floor(v)))
                return HPS_ERR_INVALID;
        }
    }
    return HPS_OK;
}

hps_status hps_forest_fit(const double *x, const double *y, size_t n, size_t d,
                          const hps_forest_feature *features, const hps_forest_options *opt,
                          hps_forest **out)
{
    *out = NULL;
    hps_status rc = check_input(x, y, n, d, features);
    if (rc != HPS_OK)
        return rc;
    hps_forest_options defaults;
    if (opt == NULL) {
        hps_forest_default_options(&defaults);
        opt = &defaults;
    }
    if (opt->n_trees == 0 || opt->n_trees > HPS_FOREST_MAX_TREES || opt->min_split < 2 ||
        opt->max_depth > HPS_FOREST_MAX_DEPTH)
        return HPS_ERR_INVALID;

    forest_fit fit = {.x = x, .y = y, .n = n, .d = d, .features = features, .opt = opt};
    forest_task *stack = NULL;
    forest_pair *pairs = NULL;
    hps_forest *forest = hps_mem_calloc(1, sizeof *forest);
    rc = HPS_ERR_NOMEM;
    if (forest == NULL)
        goto out;
    forest->n_features = d;
    forest->features = hps_mem_calloc(d, sizeof *forest->features);
    forest->trees = hps_mem_calloc(opt->n_trees, sizeof *forest->trees);
    fit.boot = hps_mem_calloc(n, sizeof *fit.boot);
    fit.order = hps_mem_calloc(d, sizeof *fit.order);
    fit.tmp = hps_mem_calloc(n, sizeof *fit.tmp);
    fit.left_flag = hps_mem_calloc(n, 1);
    fit.feature_perm = hps_mem_calloc(d, sizeof *fit.feature_perm);
    fit.cat_sum = hps_mem_calloc(HPS_FOREST_MAX_CATEGORIES, sizeof *fit.cat_sum);
    fit.cat_count = hps_mem_calloc(HPS_FOREST_MAX_CATEGORIES, sizeof *fit.cat_count);
    fit.cat_order = hps_mem_calloc(HPS_FOREST_MAX_CATEGORIES, sizeof *fit.cat_order);
    fit.cat_mean = hps_mem_calloc(HPS_FOREST_MAX_CATEGORIES, sizeof *fit.cat_mean);
    stack = hps_mem_calloc(opt->max_depth + 2, sizeof *stack);
    pairs = hps_mem_calloc(n, sizeof *pairs);
    if (forest->features == NULL || forest->trees == NULL || fit.boot == NULL ||
        fit.order == NULL || fit.tmp == NULL || fit.left_flag == NULL ||
        fit.feature_perm == NULL || fit.cat_sum == NULL || fit.cat_count == NULL ||
        fit.cat_order == NULL || fit.cat_mean == NULL || stack == NULL || pairs == NULL)
        goto out;
    memcpy(forest->features, features, d * sizeof *features);
    for (size_t f = 0; f < d; f++) {
        fit.order[f] = hps_mem_calloc(n, sizeof *fit.order[f]);
        if (fit.order[f] == NULL)
            goto out;
    }
    hps_rng_seed(&fit.rng, opt->seed);
    for (size_t t = 0; t < opt->n_trees; t++) {
        forest->n_trees = t + 1;
        rc = grow_tree(&fit, &forest->trees[t], stack, pairs);
        if (rc != HPS_OK)
            goto out;
    }
    rc = HPS_OK;
    *out = forest;
    forest = NULL;
out:
    if (fit.order != NULL)
        for (size_t f = 0; f < d; f++)
            hps_mem_free(fit.order[f]);
    hps_mem_free(fit.order);
    hps_mem_free(fit.boot);
    hps_mem_free(fit.tmp);
    hps_mem_free(fit.left_flag);
    hps_mem_free(fit.feature_perm);
    hps_mem_free(fit.cat_sum);
    hps_mem_free(fit.cat_count);
    hps_mem_free(fit.cat_order);
    hps_mem_free(fit.cat_mean);
    hps_mem_free(stack);
    hps_mem_free(pairs);
    hps_forest_free(forest);
    return rc;
}

void hps_forest_free(hps_forest *forest)
{
    if (forest == NULL)
        return;
    if (forest->trees != NULL)
        for (size_t t = 0; t < forest->n_trees; t++)
            hps_mem_free(forest->trees[t].nodes);
    hps_mem_free(forest->trees);
    hps_mem_free(forest->features);
    hps_mem_free(forest);
}

void hps_forest_mdi(const hps_forest *forest, double *out)
{
    size_t d = forest->n_features, splitting = 0;
    for (size_t f = 0; f < d; f++)
        out[f] = 0;
    for (size_t t = 0; t < forest->n_trees; t++) {
        const hps_forest_tree *tree = &forest->trees[t];
        double total = 0;
        for (size_t i = 0; i < tree->n_nodes; i++)
            if (tree->nodes[i].feature >= 0)
                total += tree->nodes[i].gain;
        if (!(total > 0))
            continue;
        splitting++;
        for (size_t i = 0; i < tree->n_nodes; i++)
            if (tree->nodes[i].feature >= 0)
                out[tree->nodes[i].feature] += tree->nodes[i].gain / total;
    }
    double sum = 0;
    for (size_t f = 0; f < d; f++)
        sum += out[f];
    for (size_t f = 0; splitting > 0 && sum > 0 && f < d; f++)
        out[f] /= sum;
}

double hps_forest_predict(const hps_forest *forest, const double *row)
{
    double total = 0;
    for (size_t t = 0; t < forest->n_trees; t++) {
        const hps_forest_tree *tree = &forest->trees[t];
        const hps_forest_node *node = &tree->nodes[0];
        while (node->feature >= 0)
            node = &tree->nodes[hps_forest_goes_left(forest, node, row[node->feature])
                                    ? node->left
                                    : node->right];
        total += node->value;
    }
    return total / (double)forest->n_trees;
}
