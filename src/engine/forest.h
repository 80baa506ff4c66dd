/* forest.h -- a random forest of regression trees, grown for parameter importance.
 *
 * The trees are what fANOVA (importance.c) decomposes: axis-aligned splits on numeric
 * features and subset splits on categorical ones, grown like scikit-learn's
 * RandomForestRegressor with its defaults (bootstrap samples, every feature considered
 * at every split, squared-error criterion, leaves of one sample allowed), which is the
 * forest Optuna's fANOVA evaluator fits. Features are expected in the unit form [0, 1]
 * (numeric) or as category indices (categorical).
 *
 * Growing is presorted CART: every feature is sorted once per tree and the sorted lists
 * are partitioned stably at each split, so a tree costs O(n d depth) after the sort. */
#ifndef HPS_FOREST_H
#define HPS_FOREST_H

#include "hpsearch.h"

#include <stddef.h>
#include <stdint.h>

/* Categorical features with more categories than fit in a split's bit set are split
 * as if their indices were ordered. */
#define HPS_FOREST_MAX_CATEGORIES 64

/* Hard caps: a forest is grown from at most this many samples and features. */
#define HPS_FOREST_MAX_SAMPLES 1000000u
#define HPS_FOREST_MAX_FEATURES 4096u
#define HPS_FOREST_MAX_TREES 4096u
#define HPS_FOREST_MAX_DEPTH 1024u

typedef struct hps_forest_feature {
    int categorical;    /* values are indices 0 .. n_categories-1 */
    size_t n_categories;
} hps_forest_feature;

typedef struct hps_forest_options {
    size_t n_trees;     /* 64 */
    size_t max_depth;   /* 64 */
    size_t min_split;   /* 2: a node of fewer samples is a leaf */
    int bootstrap;      /* 1: each tree sees n samples drawn with replacement */
    uint64_t seed;
} hps_forest_options;

typedef struct hps_forest_node {
    int32_t feature;     /* -1 for a leaf */
    uint32_t left, right; /* child node indices */
    double threshold;    /* numeric: x <= threshold goes left */
    uint64_t left_set;   /* set-split categorical: bit c set -> category c goes left */
    double value;        /* mean target of the node's samples */
    double gain;         /* inner node: how much the split lowers the squared error of its
                          * samples (bootstrap copies counted): mean decrease impurity */
} hps_forest_node;

typedef struct hps_forest_tree {
    hps_forest_node *nodes; /* nodes[0] is the root */
    size_t n_nodes, cap_nodes;
} hps_forest_tree;

typedef struct hps_forest {
    size_t n_features;
    hps_forest_feature *features;
    hps_forest_tree *trees;
    size_t n_trees;
} hps_forest;

void hps_forest_default_options(hps_forest_options *opt);

/* Grows a forest on n samples of d features: x is row-major (x[i * d + f]), y has n
 * finite targets. HPS_ERR_INVALID for n == 0, d == 0, over the caps, a non-finite
 * value or a category index out of range; HPS_ERR_NOMEM. On error *out is NULL. */
hps_status hps_forest_fit(const double *x, const double *y, size_t n, size_t d,
                          const hps_forest_feature *features, const hps_forest_options *opt,
                          hps_forest **out);
void hps_forest_free(hps_forest *forest);

/* Whether a sample with feature value x goes to the left child of an inner node. */
int hps_forest_goes_left(const hps_forest *forest, const hps_forest_node *node, double x);

/* Mean decrease impurity, as scikit-learn's feature_importances_ of a random forest:
 * out[f] = the share of each tree's squared-error decrease due to splits on f, averaged
 * over the trees that split at all, then normalized to sum to 1 (all 0 when no tree
 * splits). */
void hps_forest_mdi(const hps_forest *forest, double *out);

/* Mean prediction of the trees for one row of d features. */
double hps_forest_predict(const hps_forest *forest, const double *row);

#endif
