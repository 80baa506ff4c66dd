/* importance.c -- fANOVA on a random forest, the importance evaluators (hpsearch.h's
 * hps_importance) and the study's parameter importances by each method. */
#include "engine/importance.h"

#include "base/jsonw.h"
#include "base/mem.h"
#include "base/options.h"
#include "base/rng.h"
#include "base/strbuf.h"
#include "base/value.h"
#include "engine/ped_anova.h"
#include "engine/study.h"

#include <math.h>
#include <stdio.h>
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

hps_status hps_importance_forest(const double *x, const double *y, size_t n, size_t d,
                                 const hps_forest_feature *features,
                                 const hps_forest_options *opt, int mdi, double *out)
{
    hps_forest *forest = NULL;
    hps_status rc = hps_forest_fit(x, y, n, d, features, opt, &forest);
    if (rc == HPS_OK && mdi)
        hps_forest_mdi(forest, out);
    else if (rc == HPS_OK)
        rc = hps_importance_fanova(forest, out);
    hps_forest_free(forest);
    return rc;
}

hps_status hps_importance_compute(const double *x, const double *y, size_t n, size_t d,
                                  const hps_forest_feature *features, uint64_t seed,
                                  double *out)
{
    hps_forest_options opt;
    hps_forest_default_options(&opt);
    opt.seed = seed;
    return hps_importance_forest(x, y, n, d, features, &opt, 0, out);
}

/* ---- evaluators: the methods and their options ------------------------------------ */

typedef enum imp_method_id { IMP_FANOVA, IMP_MDI, IMP_PED_ANOVA } imp_method_id;

/* Every method's settings in one struct; each method's table names its own. */
typedef struct imp_settings {
    int normalize;
    size_t n_trees, max_depth;
    uint64_t seed;
    double target_quantile, region_quantile;
    int evaluate_on_local;
} imp_settings;

static const hps_option common_options[] = {
    {.name = "normalize", .type = HPS_OPTION_BOOL, HPS_OPTION_FIELD(imp_settings, normalize),
     .def = "true", .help = "scale the importances to sum to 1"},
    HPS_OPTIONS_END,
};

static const hps_option forest_options[] = {
    {.name = "n_trees", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(imp_settings, n_trees),
     .def = "64", .min = 1, .max = HPS_FOREST_MAX_TREES, .help = "trees in the random forest"},
    {.name = "max_depth", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(imp_settings, max_depth),
     .def = "64", .min = 1, .max = HPS_FOREST_MAX_DEPTH, .help = "depth of each tree at most"},
    {.name = "seed", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(imp_settings, seed), .def = "0",
     .help = "seed of the forest's bootstrap samples and tie-breaks"},
    HPS_OPTIONS_END,
};

static const hps_option ped_options[] = {
    {.name = "target_quantile", .type = HPS_OPTION_DOUBLE,
     HPS_OPTION_FIELD(imp_settings, target_quantile), .def = "0.1", .dmin = 0, .dmax = 1,
     .flags = HPS_OPTION_MIN_OPEN,
     .help = "the best trials whose choices are explained (below region_quantile)"},
    {.name = "region_quantile", .type = HPS_OPTION_DOUBLE,
     HPS_OPTION_FIELD(imp_settings, region_quantile), .def = "1", .dmin = 0, .dmax = 1,
     .flags = HPS_OPTION_MIN_OPEN, .help = "the best trials they are compared with (1: all)"},
    {.name = "evaluate_on_local", .type = HPS_OPTION_BOOL,
     HPS_OPTION_FIELD(imp_settings, evaluate_on_local), .def = "true",
     .help = "compare with the region's value density (false: the uniform one)"},
    HPS_OPTIONS_END,
};

typedef struct imp_method {
    const char *name, *alias, *help;
    imp_method_id id;
    const hps_option *options;
} imp_method;

static const imp_method methods[] = {
    {"fanova", NULL, "the share of the objective's variance each parameter explains alone (fANOVA)",
     IMP_FANOVA, forest_options},
    {"mean_decrease_impurity", "mdi",
     "how much a random forest's splits on each parameter lower its error", IMP_MDI,
     forest_options},
    {"ped_anova", NULL,
     "how differently the best trials chose each parameter (Pearson divergence)", IMP_PED_ANOVA,
     ped_options},
};

#define N_METHODS (sizeof methods / sizeof methods[0])

struct hps_importance {
    const imp_method *method;
    imp_settings settings;
    hps_errbuf err;
};

static const imp_method *find_method(const char *name)
{
    for (size_t i = 0; name != NULL && i < N_METHODS; i++)
        if (strcmp(methods[i].name, name) == 0 ||
            (methods[i].alias != NULL && strcmp(methods[i].alias, name) == 0))
            return &methods[i];
    return NULL;
}

static void default_settings(const imp_method *method, imp_settings *s)
{
    memset(s, 0, sizeof *s);
    /* No option has text: initialising cannot fail. */
    hps_options_init(common_options, s);
    hps_options_init(method->options, s);
}

hps_status hps_importance_new(const char *method, hps_importance **out, char *errbuf,
                              size_t errlen)
{
    if (out == NULL)
        return HPS_ERR_INVALID;
    *out = NULL;
    const imp_method *m = find_method(method);
    if (m == NULL) {
        char msg[HPS_ERRBUF_SIZE];
        snprintf(msg, sizeof msg,
                 "unknown importance method '%.100s' (known: fanova, mean_decrease_impurity, "
                 "mdi, ped_anova)",
                 method != NULL ? method : "(null)");
        hps_errbuf_copy_out(msg, errbuf, errlen);
        return HPS_ERR_INVALID;
    }
    hps_importance *e = hps_mem_calloc(1, sizeof *e);
    if (e == NULL) {
        hps_errbuf_copy_out("out of memory", errbuf, errlen);
        return HPS_ERR_NOMEM;
    }
    e->method = m;
    default_settings(m, &e->settings);
    *out = e;
    return HPS_OK;
}

void hps_importance_free(hps_importance *evaluator)
{
    hps_mem_free(evaluator);
}

const char *hps_importance_method(const hps_importance *evaluator)
{
    return evaluator != NULL ? evaluator->method->name : "fanova";
}

const char *hps_importance_errmsg(const hps_importance *evaluator)
{
    return evaluator != NULL ? hps_errbuf_text(&evaluator->err) : "no evaluator handle (NULL)";
}

hps_status hps_importance_set(hps_importance *evaluator, const char *option, const char *value)
{
    if (evaluator == NULL)
        return HPS_ERR_INVALID;
    if (option == NULL || value == NULL)
        return hps_errbuf_set(&evaluator->err, HPS_ERR_INVALID,
                              "option and value must not be NULL");
    char owner[64];
    snprintf(owner, sizeof owner, "importance '%s'", evaluator->method->name);
    hps_status rc = hps_options_set(common_options, &evaluator->settings, owner, option, value,
                                    NULL, &evaluator->err);
    if (rc == HPS_ERR_NOTFOUND)
        rc = hps_options_set(evaluator->method->options, &evaluator->settings, owner, option,
                             value, NULL, &evaluator->err);
    if (rc != HPS_ERR_NOTFOUND)
        return rc;
    hps_strbuf names;
    hps_strbuf_init(&names, 0);
    hps_options_names(&names, common_options);
    hps_strbuf_puts(&names, ", ");
    hps_options_names(&names, evaluator->method->options);
    const char *text = hps_strbuf_text(&names);
    hps_errbuf_set(&evaluator->err, HPS_ERR_INVALID, "%s has no option '%.100s' (its options: %s)",
                   owner, option, text != NULL ? text : "?");
    hps_strbuf_free(&names);
    return HPS_ERR_INVALID;
}

hps_status hps_importance_catalog(char **json_out)
{
    if (json_out == NULL)
        return HPS_ERR_INVALID;
    hps_strbuf sb;
    hps_strbuf_init(&sb, 0);
    hps_strbuf_putc(&sb, '[');
    for (size_t i = 0; i < N_METHODS; i++) {
        hps_strbuf_puts(&sb, i > 0 ? ", {\"name\": " : "{\"name\": ");
        hps_jsonw_string(&sb, methods[i].name);
        hps_strbuf_puts(&sb, ", \"aliases\": [");
        if (methods[i].alias != NULL)
            hps_jsonw_string(&sb, methods[i].alias);
        hps_strbuf_puts(&sb, "], \"help\": ");
        hps_jsonw_string(&sb, methods[i].help);
        hps_strbuf_puts(&sb, ", \"options\": [");
        size_t count = 0;
        hps_options_json(&sb, common_options, &count);
        hps_options_json(&sb, methods[i].options, &count);
        hps_strbuf_puts(&sb, "]}");
    }
    hps_strbuf_putc(&sb, ']');
    *json_out = hps_strbuf_take(&sb);
    return *json_out != NULL ? HPS_OK : HPS_ERR_NOMEM;
}

/* ---- the study's importances ----------------------------------------------------- */

/* One parameter ranked. */
typedef struct imp_param {
    const char *name;     /* borrowed from a cached trial */
    const hps_dist *dist; /* the newest trial's distribution (forest methods) */
    int64_t dist_number;
    int set_split;
    double importance;
} imp_param;

/* The trials of one branch of a conditional space: those where `parent` takes `value`. */
typedef struct imp_branch {
    const char *parent;
    hps_value value;
} imp_branch;

/* The external value of parameter `name` in t; HPS_VALUE_NONE when t lacks it. */
static hps_value param_value(const hps_frozen *t, const char *name)
{
    const hps_param_rec *rec = hps_rec_find_param(t, name);
    hps_value none = {.type = HPS_VALUE_NONE};
    return rec != NULL ? hps_dist_external(&rec->dist, rec->internal) : none;
}

static int in_branch(const hps_frozen *t, const imp_branch *branch)
{
    if (branch == NULL)
        return 1;
    hps_value v = param_value(t, branch->parent);
    return v.type != HPS_VALUE_NONE && hps_value_loosely_equal(&v, &branch->value);
}

static int usable_trial(const hps_frozen *t, size_t objective)
{
    return t != NULL && t->state == HPS_COMPLETE && t->n_values > objective &&
           isfinite(t->values[objective]);
}

static int usable_in(const hps_frozen *t, size_t objective, const imp_branch *branch)
{
    return usable_trial(t, objective) && in_branch(t, branch);
}

static hps_status too_many_params(hps_study *study, size_t n)
{
    return hps_errbuf_set(&study->err, HPS_ERR_UNSUPPORTED,
                          "study '%s' has %zu parameters: importances are computed for at most %u",
                          study->name, n, HPS_IMPORTANCE_MAX_PARAMS);
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
static hps_status build_space(hps_study *study, size_t objective, const imp_branch *branch,
                              imp_param **params_out, size_t *n_params_out,
                              size_t *n_usable_out)
{
    imp_param *params = NULL;
    size_t n_params = 0, n_usable = 0;
    *params_out = NULL;
    *n_params_out = 0;
    *n_usable_out = 0;
    for (size_t i = 0; i < study->n_cache; i++) {
        const hps_frozen *t = study->cache[i];
        if (!usable_in(t, objective, branch))
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
        /* a branch's parent is one value throughout its trials */
        if (hps_dist_cardinality(params[p].dist) == 1 ||
            (branch != NULL && strcmp(params[p].name, branch->parent) == 0))
            continue;
        params[kept] = params[p];
        params[kept].set_split = params[kept].dist->kind == HPS_DIST_CATEGORICAL &&
                                 params[kept].dist->n_choices <= HPS_FOREST_MAX_CATEGORIES;
        kept++;
    }
    if (kept > HPS_IMPORTANCE_MAX_PARAMS) {
        hps_mem_free(params);
        return too_many_params(study, kept);
    }
    *params_out = params;
    *n_params_out = kept;
    *n_usable_out = n_usable;
    return HPS_OK;
}

/* Every usable trial, in the study's order. */
static const hps_frozen **usable_trials(hps_study *study, size_t objective,
                                        const imp_branch *branch, size_t *n_out)
{
    size_t n = 0;
    for (size_t i = 0; i < study->n_cache; i++)
        n += (size_t)usable_in(study->cache[i], objective, branch);
    const hps_frozen **all = hps_mem_calloc(n + 1, sizeof *all);
    if (all == NULL)
        return NULL;
    n = 0;
    for (size_t i = 0; i < study->n_cache; i++)
        if (usable_in(study->cache[i], objective, branch))
            all[n++] = study->cache[i];
    *n_out = n;
    return all;
}

/* The trials that feed the forest: every usable one, or a seeded uniform sample of
 * HPS_IMPORTANCE_MAX_TRIALS of them (a partial Fisher-Yates shuffle). */
static const hps_frozen **pick_trials(hps_study *study, size_t objective,
                                      const imp_branch *branch, size_t *n_out)
{
    size_t n = 0;
    const hps_frozen **all = usable_trials(study, objective, branch, &n);
    if (all == NULL)
        return NULL;
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

/* With normalize the importances sum to 1 (or stay all 0); then most important first. */
static hps_status write_json(hps_study *study, imp_param *params, size_t n_params,
                             int normalize, char **json_out)
{
    double total = 0;
    for (size_t p = 0; p < n_params; p++)
        total += params[p].importance;
    for (size_t p = 0; normalize && total > 0 && p < n_params; p++)
        params[p].importance /= total;
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

/* fANOVA or mean decrease impurity of a forest fitted to the trials. */
static hps_status forest_importances(hps_study *study, size_t objective,
                                     const imp_branch *branch, const imp_method *method,
                                     const imp_settings *set, char **json_out)
{
    imp_param *params = NULL;
    const hps_frozen **trials = NULL;
    hps_forest_feature *features = NULL;
    double *x = NULL, *y = NULL, *importance = NULL;
    size_t n_params = 0, n_usable = 0, n = 0;
    hps_status rc = build_space(study, objective, branch, &params, &n_params, &n_usable);
    if (rc != HPS_OK)
        goto out;
    /* Fewer than two trials, or no parameter that varies: nothing to rank. */
    if (n_usable < 2 || n_params == 0) {
        rc = write_json(study, params, n_usable < 2 ? 0 : n_params, 0, json_out);
        goto out;
    }
    trials = pick_trials(study, objective, branch, &n);
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
        hps_forest_options opt;
        hps_forest_default_options(&opt);
        opt.n_trees = set->n_trees;
        opt.max_depth = set->max_depth;
        opt.seed = set->seed;
        rc = hps_importance_forest(x, y, n, n_params, features, &opt, method->id == IMP_MDI,
                                   importance);
        if (rc != HPS_OK) {
            rc = hps_errbuf_set(&study->err, rc, "parameter importances: %s", hps_strerror(rc));
            goto out;
        }
    }
    for (size_t p = 0; p < n_params; p++)
        params[p].importance = importance[p];
    rc = write_json(study, params, n_params, set->normalize, json_out);
out:
    hps_mem_free(params);
    hps_mem_free(trials);
    hps_mem_free(features);
    hps_mem_free(importance);
    hps_mem_free(x);
    hps_mem_free(y);
    return rc;
}

/* The observations PED-ANOVA weighs: every parameter of every usable trial, marked with
 * the trial's membership of the target and the region. */
static hps_ped_obs *ped_observations(const hps_frozen **trials, size_t n,
                                     const unsigned char *target, const unsigned char *region,
                                     size_t *n_obs_out)
{
    size_t n_obs = 0;
    for (size_t i = 0; i < n; i++)
        n_obs += trials[i]->n_params;
    hps_ped_obs *obs = hps_mem_realloc_array(NULL, n_obs + 1, sizeof *obs);
    if (obs == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t p = 0; p < trials[i]->n_params; p++)
            obs[k++] = (hps_ped_obs){.name = trials[i]->params[p].name,
                                     .dist = &trials[i]->params[p].dist,
                                     .internal = trials[i]->params[p].internal,
                                     .trial = i,
                                     .in_target = target[i],
                                     .in_region = region[i]};
    *n_obs_out = n_obs;
    return obs;
}

static hps_status ped_importances(hps_study *study, size_t objective, const imp_settings *set,
                                  char **json_out)
{
    if (!(set->target_quantile < set->region_quantile))
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                              "importance 'ped_anova': target_quantile (%g) must be below "
                              "region_quantile (%g)",
                              set->target_quantile, set->region_quantile);
    const hps_frozen **trials = NULL;
    double *loss = NULL;
    unsigned char *target = NULL, *region = NULL;
    hps_ped_obs *obs = NULL;
    hps_ped_result *results = NULL;
    imp_param *params = NULL;
    size_t n = 0, n_obs = 0, n_results = 0;
    hps_status rc = HPS_ERR_NOMEM;
    trials = usable_trials(study, objective, NULL, &n);
    if (trials == NULL)
        goto out;
    if (n < 2) {
        rc = write_json(study, NULL, 0, 0, json_out);
        goto out;
    }
    loss = hps_mem_calloc(n, sizeof *loss);
    target = hps_mem_calloc(n, 1);
    region = hps_mem_calloc(n, 1);
    if (loss == NULL || target == NULL || region == NULL)
        goto out;
    double sign = study->directions[objective] == HPS_MAXIMIZE ? -1 : 1;
    for (size_t i = 0; i < n; i++)
        loss[i] = sign * trials[i]->values[objective];
    if (hps_ped_top(loss, n, set->target_quantile, target) != HPS_OK ||
        hps_ped_top(loss, n, set->region_quantile, region) != HPS_OK)
        goto out;
    size_t n_target = 0, n_region = 0;
    for (size_t i = 0; i < n; i++) {
        n_target += target[i];
        n_region += region[i];
    }
    obs = ped_observations(trials, n, target, region, &n_obs);
    if (obs == NULL)
        goto out;
    rc = hps_ped_anova(obs, n_obs, n_target, n_region, set->evaluate_on_local, &results,
                       &n_results);
    if (rc != HPS_OK)
        goto out;
    if (n_results > HPS_IMPORTANCE_MAX_PARAMS) {
        rc = too_many_params(study, n_results);
        goto out;
    }
    params = hps_mem_calloc(n_results + 1, sizeof *params);
    if (params == NULL) {
        rc = HPS_ERR_NOMEM;
        goto out;
    }
    for (size_t p = 0; p < n_results; p++)
        params[p] = (imp_param){.name = results[p].name, .importance = results[p].importance};
    rc = write_json(study, params, n_results, set->normalize, json_out);
out:
    if (rc == HPS_ERR_NOMEM)
        hps_errbuf_set(&study->err, rc, "out of memory");
    hps_mem_free(trials);
    hps_mem_free(loss);
    hps_mem_free(target);
    hps_mem_free(region);
    hps_mem_free(obs);
    hps_mem_free(results);
    hps_mem_free(params);
    return rc;
}

hps_status hps_study_importances(hps_study *study, const hps_importance *evaluator,
                                 size_t objective, char **json_out)
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
    imp_settings defaults;
    const imp_method *method = evaluator != NULL ? evaluator->method : &methods[0];
    const imp_settings *set = &defaults;
    if (evaluator != NULL)
        set = &evaluator->settings;
    else
        default_settings(method, &defaults);
    if (method->id == IMP_PED_ANOVA)
        return ped_importances(study, objective, set, json_out);
    return forest_importances(study, objective, NULL, method, set, json_out);
}

hps_status hps_study_param_importances(hps_study *study, size_t objective, char **json_out)
{
    return hps_study_importances(study, NULL, objective, json_out);
}

/* ---- importances per branch ---------------------------------------------------------- */

/* A parent has at most this many values to be split into branches. */
#define IMP_MAX_BRANCH_VALUES 32u

/* The distinct values of `parent` among the trials, in order of first appearance; 0 when
 * some trial lacks it or it takes more than IMP_MAX_BRANCH_VALUES. */
static size_t parent_values(const hps_frozen **trials, size_t n, const char *parent,
                            hps_value *values, size_t *counts)
{
    size_t n_values = 0;
    for (size_t i = 0; i < n; i++) {
        hps_value v = param_value(trials[i], parent);
        if (v.type == HPS_VALUE_NONE)
            return 0;
        size_t k = 0;
        while (k < n_values && !hps_value_loosely_equal(&values[k], &v))
            k++;
        if (k == n_values) {
            if (n_values == IMP_MAX_BRANCH_VALUES)
                return 0;
            values[n_values] = v;
            counts[n_values++] = 0;
        }
        counts[k]++;
    }
    return n_values;
}

/* Whether one of `names` other than `parent` is present in some trials only, and present
 * or absent throughout each of parent's values: the parent's value decides it. */
static int decides_presence(const hps_frozen **trials, size_t n, const char *parent,
                            const hps_value *values, size_t n_values, const char **names,
                            size_t n_names)
{
    for (size_t c = 0; c < n_names; c++) {
        if (strcmp(names[c], parent) == 0)
            continue;
        int seen[IMP_MAX_BRANCH_VALUES][2] = {{0}}; /* [value][present] */
        int decided = 1, absent_somewhere = 0;
        for (size_t j = 0; j < n && decided; j++) {
            hps_value v = param_value(trials[j], parent);
            size_t k = 0;
            while (k < n_values - 1 && !hps_value_loosely_equal(&values[k], &v))
                k++;
            int present = hps_rec_find_param(trials[j], names[c]) != NULL;
            absent_somewhere |= !present;
            seen[k][present] = 1;
            decided = !(seen[k][0] && seen[k][1]);
        }
        if (decided && absent_somewhere)
            return 1;
    }
    return 0;
}

/* The distinct parameter names of the trials, at most HPS_IMPORTANCE_MAX_PARAMS (the
 * rest are not looked at); borrowed from the trials. */
static size_t param_names(const hps_frozen **trials, size_t n, const char **names)
{
    size_t n_names = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t p = 0; p < trials[i]->n_params; p++) {
            size_t k = 0;
            while (k < n_names && strcmp(names[k], trials[i]->params[p].name) != 0)
                k++;
            if (k == n_names && n_names < HPS_IMPORTANCE_MAX_PARAMS)
                names[n_names++] = trials[i]->params[p].name;
        }
    return n_names;
}

/* Appends {"parent": .., "value": .., "trials": n, "importances": {..}} for one branch. */
static hps_status put_branch(hps_study *study, size_t objective, const imp_branch *branch,
                             size_t n_trials, hps_strbuf *sb, int *first)
{
    imp_settings defaults;
    default_settings(&methods[0], &defaults);
    char *json = NULL;
    hps_status rc = forest_importances(study, objective, branch, &methods[0], &defaults, &json);
    if (rc != HPS_OK)
        return rc;
    hps_strbuf_puts(sb, *first ? "{\"parent\": " : ", {\"parent\": ");
    *first = 0;
    hps_jsonw_string(sb, branch->parent);
    hps_strbuf_puts(sb, ", \"value\": ");
    hps_jsonw_value(sb, &branch->value);
    hps_strbuf_printf(sb, ", \"trials\": %zu, \"importances\": ", n_trials);
    hps_strbuf_puts(sb, json);
    hps_strbuf_putc(sb, '}');
    hps_mem_free(json);
    return HPS_OK;
}

hps_status hps_study_branch_importances(hps_study *study, size_t objective, char **json_out)
{
    if (study == NULL || json_out == NULL)
        return study == NULL ? HPS_ERR_INVALID
                             : hps_errbuf_set(&study->err, HPS_ERR_INVALID, "json_out is NULL");
    *json_out = NULL;
    if (objective >= study->n_directions)
        return hps_errbuf_set(&study->err, HPS_ERR_INVALID,
                              "objective %zu is out of range: study '%s' has %zu", objective,
                              study->name, study->n_directions);
    hps_status rc = hps_study_sync(study);
    if (rc != HPS_OK)
        return rc;
    size_t n = 0;
    const hps_frozen **trials = usable_trials(study, objective, NULL, &n);
    const char **names = hps_mem_calloc(HPS_IMPORTANCE_MAX_PARAMS, sizeof *names);
    if (trials == NULL || names == NULL) {
        hps_mem_free(trials);
        hps_mem_free(names);
        return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
    }
    size_t n_names = param_names(trials, n, names);
    hps_strbuf sb;
    hps_strbuf_init(&sb, 0);
    hps_strbuf_putc(&sb, '[');
    int first = 1;
    /* every parent is a parameter of every trial, so the first trial names them all */
    for (size_t p = 0; rc == HPS_OK && n > 0 && p < trials[0]->n_params; p++) {
        const char *parent = trials[0]->params[p].name;
        hps_value values[IMP_MAX_BRANCH_VALUES];
        size_t counts[IMP_MAX_BRANCH_VALUES];
        size_t n_values = parent_values(trials, n, parent, values, counts);
        if (n_values < 2 ||
            !decides_presence(trials, n, parent, values, n_values, names, n_names))
            continue;
        for (size_t k = 0; rc == HPS_OK && k < n_values; k++) {
            imp_branch branch = {.parent = parent, .value = values[k]};
            if (counts[k] >= 2)
                rc = put_branch(study, objective, &branch, counts[k], &sb, &first);
        }
    }
    hps_strbuf_putc(&sb, ']');
    hps_mem_free(trials);
    hps_mem_free(names);
    char *text = hps_strbuf_take(&sb);
    if (rc != HPS_OK) {
        hps_mem_free(text);
        return rc;
    }
    if (text == NULL)
        return hps_errbuf_set(&study->err, HPS_ERR_NOMEM, "out of memory");
    *json_out = text;
    return HPS_OK;
}
