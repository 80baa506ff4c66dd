/* test_importance.c -- parameter importance (fANOVA and mean decrease impurity on a
 * random forest, PED-ANOVA) on functions whose answer is known: a dominant parameter
 * ranks first, a parameter without effect gets almost nothing, an additive function
 * splits in proportion to its variances; mean decrease impurity and PED-ANOVA's
 * densities, divergence and importances computed by hand on small cases; mixed
 * parameter types; conditional parameters; empty, one-trial, constant and failed-only
 * studies; bad input to the forest and to the evaluators; allocation failures at every
 * point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/forest.h"
#include "engine/importance.h"
#include "engine/ped_anova.h"
#include "base/mem.h"
#include "base/rng.h"
#include "hpsearch.h"
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define ASSERT_IN(what, x, lo, hi)                                                        \
    do {                                                                                  \
        double x_ = (x);                                                                  \
        if (!(x_ >= (lo) && x_ <= (hi)))                                                  \
            fail_msg("%s = %g, expected in [%g, %g]", what, x_, (double)(lo), (double)(hi)); \
    } while (0)

/* ---- the forest and fANOVA on arrays --------------------------------------------- */

static void fill_uniform(double *x, size_t n, size_t d, uint64_t seed)
{
    hps_rng rng;
    hps_rng_seed(&rng, seed);
    for (size_t i = 0; i < n * d; i++)
        x[i] = hps_rng_uniform(&rng);
}

static void test_forest_fits_a_step(void **state)
{
    (void)state;
    enum { N = 200 };
    double x[N], y[N];
    for (int i = 0; i < N; i++) {
        x[i] = (i + 0.5) / N;
        y[i] = x[i] < 0.3 ? 1.0 : 5.0;
    }
    hps_forest_feature feature = {0, 0};
    hps_forest *forest = NULL;
    ASSERT_OK(hps_forest_fit(x, y, N, 1, &feature, NULL, &forest));
    double at = 0.1;
    ASSERT_IN("prediction left of the step", hps_forest_predict(forest, &at), 0.99, 1.01);
    at = 0.9;
    ASSERT_IN("prediction right of the step", hps_forest_predict(forest, &at), 4.99, 5.01);
    hps_forest_free(forest);
    hps_forest_free(NULL);
}

static void test_forest_rejects_bad_input(void **state)
{
    (void)state;
    double x[4] = {0.1, 0.2, 0.3, 0.4}, y[4] = {1, 2, 3, 4};
    hps_forest_feature num = {0, 0}, cat = {1, 3};
    hps_forest *forest = (hps_forest *)&forest; /* must be reset to NULL */
    assert_int_equal(hps_forest_fit(x, y, 0, 1, &num, NULL, &forest), HPS_ERR_INVALID);
    assert_null(forest);
    assert_int_equal(hps_forest_fit(x, y, 4, 0, &num, NULL, &forest), HPS_ERR_INVALID);
    y[2] = NAN;
    assert_int_equal(hps_forest_fit(x, y, 4, 1, &num, NULL, &forest), HPS_ERR_INVALID);
    y[2] = 3;
    x[1] = INFINITY;
    assert_int_equal(hps_forest_fit(x, y, 4, 1, &num, NULL, &forest), HPS_ERR_INVALID);
    double cats[4] = {0, 1, 2, 3}; /* 3 is out of range for 3 categories */
    assert_int_equal(hps_forest_fit(cats, y, 4, 1, &cat, NULL, &forest), HPS_ERR_INVALID);
    cats[3] = 1.5; /* not an index */
    assert_int_equal(hps_forest_fit(cats, y, 4, 1, &cat, NULL, &forest), HPS_ERR_INVALID);
    hps_forest_options opt;
    hps_forest_default_options(&opt);
    opt.n_trees = 0;
    cats[3] = 2;
    assert_int_equal(hps_forest_fit(cats, y, 4, 1, &cat, &opt, &forest), HPS_ERR_INVALID);
    assert_null(forest);
}

/* y = sin(6 x0): only x0 matters; x1 and x2 are noise-free distractors. */
static void test_fanova_single_dominant_feature(void **state)
{
    (void)state;
    enum { N = 400, D = 3 };
    static double x[N * D], y[N];
    fill_uniform(x, N, D, 1);
    for (int i = 0; i < N; i++)
        y[i] = sin(6 * x[i * D]);
    hps_forest_feature features[D] = {{0, 0}, {0, 0}, {0, 0}};
    double imp[D];
    ASSERT_OK(hps_importance_compute(x, y, N, D, features, 7, imp));
    ASSERT_IN("x0 explains nearly everything", imp[0], 0.9, 1.0);
    ASSERT_IN("x1 explains almost nothing", imp[1], 0.0, 0.02);
    ASSERT_IN("x2 explains almost nothing", imp[2], 0.0, 0.02);
}

/* y = 2 x0 + x1 with uniform inputs: Var(2 x0) = 4 Var(x1), so fANOVA gives 0.8 / 0.2. */
static void test_fanova_additive_proportions(void **state)
{
    (void)state;
    enum { N = 1000, D = 2 };
    static double x[N * D], y[N];
    fill_uniform(x, N, D, 2);
    for (int i = 0; i < N; i++)
        y[i] = 2 * x[i * D] + x[i * D + 1];
    hps_forest_feature features[D] = {{0, 0}, {0, 0}};
    double imp[D];
    ASSERT_OK(hps_importance_compute(x, y, N, D, features, 3, imp));
    double total = imp[0] + imp[1];
    ASSERT_IN("main effects explain the additive function", total, 0.9, 1.0001);
    ASSERT_IN("share of x0", imp[0] / total, 0.75, 0.85);
}

/* A categorical feature whose categories matter, in no order their indices suggest. */
static void test_fanova_categorical(void **state)
{
    (void)state;
    enum { N = 300, D = 2 };
    static double x[N * D], y[N];
    static const double effect[5] = {3, -2, 5, 0, -4};
    hps_rng rng;
    hps_rng_seed(&rng, 4);
    for (int i = 0; i < N; i++) {
        x[i * D] = (double)hps_rng_below(&rng, 5);
        x[i * D + 1] = hps_rng_uniform(&rng);
        y[i] = effect[(int)x[i * D]] + 0.3 * x[i * D + 1];
    }
    hps_forest_feature features[D] = {{1, 5}, {0, 0}};
    double imp[D];
    ASSERT_OK(hps_importance_compute(x, y, N, D, features, 5, imp));
    if (!(imp[0] > 20 * imp[1]))
        fail_msg("categorical %g should dwarf numeric %g", imp[0], imp[1]);
}

/* An interaction-only function: x0 * x1 centred has main effects of zero... almost;
 * fANOVA's single-parameter fractions must then be small and not sum to 1. */
static void test_fanova_pure_interaction(void **state)
{
    (void)state;
    enum { N = 800, D = 2 };
    static double x[N * D], y[N];
    fill_uniform(x, N, D, 9);
    for (int i = 0; i < N; i++)
        y[i] = (x[i * D] - 0.5) * (x[i * D + 1] - 0.5);
    hps_forest_feature features[D] = {{0, 0}, {0, 0}};
    double imp[D];
    ASSERT_OK(hps_importance_compute(x, y, N, D, features, 1, imp));
    ASSERT_IN("x0 alone", imp[0], 0.0, 0.15);
    ASSERT_IN("x1 alone", imp[1], 0.0, 0.15);
}

/* ---- through a study ------------------------------------------------------------- */

static hps_study *open_memory(size_t n_directions)
{
    hps_direction dirs[2] = {HPS_MINIMIZE, HPS_MAXIMIZE};
    hps_study *study = NULL;
    char err[256];
    if (hps_study_open(":memory:", "imp", HPS_OPEN_CREATE, dirs, n_directions, &study, err,
                       sizeof err) != HPS_OK)
        fail_msg("open: %s", err);
    hps_sampler *sampler;
    ASSERT_OK(hps_sampler_new("random", &sampler, err, sizeof err));
    ASSERT_OK(hps_sampler_set(sampler, "seed", "11"));
    ASSERT_OK(hps_study_set_sampler(study, sampler));
    return study;
}

static const hps_value choices[3] = {
    {.type = HPS_VALUE_STRING, .u.s = "relu"},
    {.type = HPS_VALUE_STRING, .u.s = "tanh"},
    {.type = HPS_VALUE_STRING, .u.s = "gelu"},
};

/* lr (log float) dominates, layers (int) matters a little, act (categorical) and
 * dropout (float) not at all. */
static void run_mixed(hps_study *study, int n_trials)
{
    for (int i = 0; i < n_trials; i++) {
        hps_trial *trial;
        ASSERT_OK(hps_study_ask(study, &trial));
        double lr, dropout;
        int64_t layers;
        size_t act;
        ASSERT_OK(hps_trial_suggest_float(trial, "lr", 1e-5, 1e-1, 0, HPS_LOG, &lr));
        ASSERT_OK(hps_trial_suggest_int(trial, "layers", 1, 8, 1, 0, &layers));
        ASSERT_OK(hps_trial_suggest_categorical(trial, "act", choices, 3, &act));
        ASSERT_OK(hps_trial_suggest_float(trial, "dropout", 0, 0.5, 0, 0, &dropout));
        double u = log10(lr) + 3; /* -2 .. 2 */
        double loss = 10 * u * u + 0.5 * (double)layers;
        ASSERT_OK(hps_trial_tell(trial, HPS_COMPLETE, loss));
        hps_trial_free(trial);
    }
}

static json_t *importances(hps_study *study, size_t objective)
{
    char *text = NULL;
    hps_status rc = hps_study_param_importances(study, objective, &text);
    if (rc != HPS_OK)
        fail_msg("importances: %s (%s)", hps_status_name(rc), hps_study_errmsg(study));
    json_error_t jerr;
    json_t *obj = json_loads(text, JSON_PRESERVE_ORDER, &jerr);
    if (obj == NULL)
        fail_msg("not JSON: %s", text);
    hps_free(text);
    return obj;
}

static void test_study_mixed_types_rank_dominant_first(void **state)
{
    (void)state;
    hps_study *study = open_memory(1);
    run_mixed(study, 300);
    json_t *imp = importances(study, 0);
    assert_int_equal(json_object_size(imp), 4);
    const char *first = json_object_iter_key(json_object_iter(imp));
    assert_string_equal(first, "lr");
    double sum = 0, prev = 2;
    const char *key;
    json_t *value;
    json_object_foreach(imp, key, value) {
        double v = json_number_value(value);
        if (v > prev)
            fail_msg("not ordered from the most important: %s = %g after %g", key, v, prev);
        prev = v;
        sum += v;
    }
    ASSERT_IN("importances sum to 1", sum, 0.999999, 1.000001);
    ASSERT_IN("lr", json_number_value(json_object_get(imp, "lr")), 0.8, 1.0);
    ASSERT_IN("layers matters a little", json_number_value(json_object_get(imp, "layers")), 0.002,
              0.15);
    ASSERT_IN("act has no effect", json_number_value(json_object_get(imp, "act")), 0.0, 0.03);
    ASSERT_IN("dropout has no effect", json_number_value(json_object_get(imp, "dropout")), 0.0,
              0.03);
    /* Deterministic: the same trials give the same text. */
    char *a = NULL, *b = NULL;
    ASSERT_OK(hps_study_param_importances(study, 0, &a));
    ASSERT_OK(hps_study_param_importances(study, 0, &b));
    assert_string_equal(a, b);
    hps_free(a);
    hps_free(b);
    json_decref(imp);
    hps_study_close(study);
}

static void test_study_empty_and_degenerate(void **state)
{
    (void)state;
    hps_study *study = open_memory(1);
    json_t *imp = importances(study, 0);
    assert_int_equal(json_object_size(imp), 0);
    json_decref(imp);

    /* FAIL and PRUNED trials and RUNNING ones are not evidence. */
    hps_trial *trial;
    double x;
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(hps_study_ask(study, &trial));
        ASSERT_OK(hps_trial_suggest_float(trial, "x", 0, 1, 0, 0, &x));
        ASSERT_OK(hps_trial_report(trial, 0, x));
        ASSERT_OK(hps_trial_tell(trial, i == 0 ? HPS_FAIL : HPS_PRUNED, NAN));
        hps_trial_free(trial);
    }
    ASSERT_OK(hps_study_ask(study, &trial));
    ASSERT_OK(hps_trial_suggest_float(trial, "x", 0, 1, 0, 0, &x));
    hps_trial_free(trial); /* stays RUNNING */
    imp = importances(study, 0);
    assert_int_equal(json_object_size(imp), 0);
    json_decref(imp);

    /* One COMPLETE trial: still nothing to compare. */
    ASSERT_OK(hps_study_ask(study, &trial));
    ASSERT_OK(hps_trial_suggest_float(trial, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_tell(trial, HPS_COMPLETE, 1.0));
    hps_trial_free(trial);
    imp = importances(study, 0);
    assert_int_equal(json_object_size(imp), 0);
    json_decref(imp);

    /* A constant objective: the parameters are listed, every importance 0. */
    for (int i = 0; i < 10; i++) {
        ASSERT_OK(hps_study_ask(study, &trial));
        ASSERT_OK(hps_trial_suggest_float(trial, "x", 0, 1, 0, 0, &x));
        ASSERT_OK(hps_trial_tell(trial, HPS_COMPLETE, 1.0));
        hps_trial_free(trial);
    }
    imp = importances(study, 0);
    assert_int_equal(json_object_size(imp), 1);
    assert_true(json_number_value(json_object_get(imp, "x")) == 0.0);
    json_decref(imp);

    char *text = (char *)"untouched";
    assert_int_equal(hps_study_param_importances(study, 1, &text), HPS_ERR_INVALID);
    assert_null(text);
    assert_non_null(strstr(hps_study_errmsg(study), "out of range"));
    assert_int_equal(hps_study_param_importances(study, 0, NULL), HPS_ERR_INVALID);
    assert_int_equal(hps_study_param_importances(NULL, 0, &text), HPS_ERR_INVALID);
    hps_study_close(study);
}

/* Parameters not every trial has (define-by-run branches), and ones with a single
 * possible value, are not ranked; a categorical that decides everything ranks first. */
static void test_study_conditional_and_single_valued(void **state)
{
    (void)state;
    hps_study *study = open_memory(1);
    for (int i = 0; i < 120; i++) {
        hps_trial *trial;
        ASSERT_OK(hps_study_ask(study, &trial));
        size_t act;
        double x, fixed, extra = 0;
        ASSERT_OK(hps_trial_suggest_categorical(trial, "act", choices, 3, &act));
        ASSERT_OK(hps_trial_suggest_float(trial, "x", 0, 1, 0, 0, &x));
        ASSERT_OK(hps_trial_suggest_float(trial, "fixed", 2, 2, 0, 0, &fixed));
        if (act == 1)
            ASSERT_OK(hps_trial_suggest_float(trial, "only_tanh", 0, 1, 0, 0, &extra));
        ASSERT_OK(hps_trial_tell(trial, HPS_COMPLETE, 5.0 * (double)act + 0.1 * x + extra));
        hps_trial_free(trial);
    }
    json_t *imp = importances(study, 0);
    assert_int_equal(json_object_size(imp), 2);
    assert_string_equal(json_object_iter_key(json_object_iter(imp)), "act");
    assert_null(json_object_get(imp, "only_tanh"));
    assert_null(json_object_get(imp, "fixed"));
    json_decref(imp);
    hps_study_close(study);
}

/* Importances per branch: momentum exists for sgd only and decides sgd's loss, lr
 * decides adam's; layers is in every trial and decides nothing about presence, so it
 * is no parent. Each branch ranks its own trials' parameters, its parent left out. */
static void test_study_branch_importances(void **state)
{
    (void)state;
    static const hps_value optimizers[2] = {{.type = HPS_VALUE_STRING, .u.s = "adam"},
                                            {.type = HPS_VALUE_STRING, .u.s = "sgd"}};
    hps_study *study = open_memory(1);
    char *text = NULL;
    ASSERT_OK(hps_study_branch_importances(study, 0, &text));
    assert_string_equal(text, "[]"); /* no trial yet */
    hps_free(text);
    size_t n_sgd = 0;
    for (int i = 0; i < 80; i++) {
        hps_trial *trial;
        ASSERT_OK(hps_study_ask(study, &trial));
        size_t opt;
        double lr, momentum = 0;
        int64_t layers;
        ASSERT_OK(hps_trial_suggest_categorical(trial, "optimizer", optimizers, 2, &opt));
        ASSERT_OK(hps_trial_suggest_float(trial, "lr", 0, 1, 0, 0, &lr));
        ASSERT_OK(hps_trial_suggest_int(trial, "layers", 1, 3, 1, 0, &layers));
        if (opt == 1)
            ASSERT_OK(hps_trial_suggest_float(trial, "momentum", 0, 1, 0, 0, &momentum));
        double loss = opt == 1 ? 10 * momentum + 0.1 * lr : 10 * lr;
        n_sgd += opt == 1;
        ASSERT_OK(hps_trial_tell(trial, HPS_COMPLETE, loss));
        hps_trial_free(trial);
    }
    ASSERT_OK(hps_study_branch_importances(study, 0, &text));
    json_t *branches = json_loads(text, JSON_PRESERVE_ORDER, NULL);
    if (branches == NULL || json_array_size(branches) != 2)
        fail_msg("two branches of optimizer expected: %s", text);
    hps_free(text);
    for (size_t b = 0; b < 2; b++) {
        json_t *branch = json_array_get(branches, b);
        assert_string_equal(json_string_value(json_object_get(branch, "parent")), "optimizer");
        const char *value = json_string_value(json_object_get(branch, "value"));
        int sgd = strcmp(value, "sgd") == 0;
        assert_int_equal(json_integer_value(json_object_get(branch, "trials")),
                         sgd ? n_sgd : 80 - n_sgd);
        json_t *imp = json_object_get(branch, "importances");
        assert_null(json_object_get(imp, "optimizer"));
        assert_string_equal(json_object_iter_key(json_object_iter(imp)), sgd ? "momentum" : "lr");
        assert_true(json_real_value(json_object_iter_value(json_object_iter(imp))) > 0.8);
        assert_int_equal(json_object_size(imp), sgd ? 3 : 2); /* adam has no momentum */
    }
    json_decref(branches);
    /* the global ranking is unchanged: momentum is not in every trial */
    json_t *imp = importances(study, 0);
    assert_null(json_object_get(imp, "momentum"));
    json_decref(imp);
    assert_int_equal(hps_study_branch_importances(study, 1, &text), HPS_ERR_INVALID);
    assert_int_equal(hps_study_branch_importances(study, 0, NULL), HPS_ERR_INVALID);
    /* an allocation that fails is HPS_ERR_NOMEM with nothing returned, never a crash */
    ASSERT_OK(hps_study_sync(study));
    int succeeded = 0;
    for (unsigned long k = 1; k < 4000 && !succeeded; k++) {
        text = NULL;
        hps_mem_fail_after(k);
        hps_status rc = hps_study_branch_importances(study, 0, &text);
        hps_mem_fail_after(0);
        succeeded = rc == HPS_OK;
        if (succeeded)
            assert_non_null(strstr(text, "\"momentum\""));
        else if (rc != HPS_ERR_NOMEM && rc != HPS_ERR_STORAGE)
            fail_msg("allocation %lu failing gave %s", k, hps_status_name(rc));
        else
            assert_null(text);
        hps_free(text);
    }
    assert_true(succeeded);
    hps_study_close(study);
}

/* Multi-objective: each objective has its own ranking. */
static void test_study_two_objectives(void **state)
{
    (void)state;
    hps_study *study = open_memory(2);
    for (int i = 0; i < 150; i++) {
        hps_trial *trial;
        ASSERT_OK(hps_study_ask(study, &trial));
        double a, b;
        ASSERT_OK(hps_trial_suggest_float(trial, "a", 0, 1, 0, 0, &a));
        ASSERT_OK(hps_trial_suggest_float(trial, "b", 0, 1, 0, 0, &b));
        double values[2] = {a * a + 0.01 * b, b + 0.01 * a};
        ASSERT_OK(hps_trial_tell_values(trial, HPS_COMPLETE, values, 2));
        hps_trial_free(trial);
    }
    json_t *first = importances(study, 0), *second = importances(study, 1);
    assert_string_equal(json_object_iter_key(json_object_iter(first)), "a");
    assert_string_equal(json_object_iter_key(json_object_iter(second)), "b");
    json_decref(first);
    json_decref(second);
    hps_study_close(study);
}

/* Far more trials than the cap: the sampled forest still ranks right, and quickly. */
static void test_study_many_trials_is_capped(void **state)
{
    (void)state;
    hps_study *study = open_memory(1);
    run_mixed(study, 6000);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    json_t *imp = importances(study, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    print_message("importances of 6000 trials (2000 used) took %.3f s\n", seconds);
    assert_string_equal(json_object_iter_key(json_object_iter(imp)), "lr");
    json_decref(imp);
    hps_study_close(study);
}

/* Every allocation of the computation failing in turn: HPS_ERR_NOMEM, no leak (the
 * sanitizer build checks), and success once allocations succeed. */
static void test_study_allocation_failures(void **state)
{
    (void)state;
    hps_study *study = open_memory(1);
    run_mixed(study, 40);
    ASSERT_OK(hps_study_sync(study));
    int succeeded = 0;
    for (unsigned long k = 1; k < 2000 && !succeeded; k++) {
        char *text = NULL;
        hps_mem_fail_after(k);
        hps_status rc = hps_study_param_importances(study, 0, &text);
        hps_mem_fail_after(0);
        if (rc == HPS_OK) {
            succeeded = 1;
            assert_non_null(strstr(text, "\"lr\""));
        } else if (rc != HPS_ERR_NOMEM && rc != HPS_ERR_STORAGE) {
            fail_msg("allocation %lu failing gave %s", k, hps_status_name(rc));
        } else {
            assert_null(text);
        }
        hps_free(text);
    }
    assert_true(succeeded);
    hps_study_close(study);
}

/* ---- mean decrease impurity ---------------------------------------------------------- */

/* One tree on the whole sample (no bootstrap): y = 10 x0 + x1 on the four corners. The
 * root splits on x0 and lowers the squared error from 101 to 1; each child's split on x1
 * lowers it by 0.5. scikit-learn's importances are then 100/101 and 1/101. */
static void test_mdi_by_hand(void **state)
{
    (void)state;
    double x[8] = {0, 0, 0, 1, 1, 0, 1, 1}, y[4] = {0, 1, 10, 11};
    hps_forest_feature features[2] = {{0, 0}, {0, 0}};
    hps_forest_options opt;
    hps_forest_default_options(&opt);
    opt.n_trees = 1;
    opt.bootstrap = 0;
    double imp[2];
    ASSERT_OK(hps_importance_forest(x, y, 4, 2, features, &opt, 1, imp));
    ASSERT_IN("x0", imp[0], 100.0 / 101 - 1e-12, 100.0 / 101 + 1e-12);
    ASSERT_IN("x1", imp[1], 1.0 / 101 - 1e-12, 1.0 / 101 + 1e-12);
}

/* Only x0 matters: the forest's splits are on x0 (almost) always; the shares sum to 1;
 * a constant target gives no split and all zeros. */
static void test_mdi_dominant_feature_and_constant(void **state)
{
    (void)state;
    enum { N = 300, D = 3 };
    static double x[N * D], y[N];
    fill_uniform(x, N, D, 5);
    for (int i = 0; i < N; i++)
        y[i] = sin(6 * x[i * D]);
    hps_forest_feature features[D] = {{0, 0}, {0, 0}, {0, 0}};
    hps_forest_options opt;
    hps_forest_default_options(&opt);
    double imp[D];
    ASSERT_OK(hps_importance_forest(x, y, N, D, features, &opt, 1, imp));
    ASSERT_IN("x0", imp[0], 0.98, 1.0);
    ASSERT_IN("the shares sum to 1", imp[0] + imp[1] + imp[2], 1 - 1e-12, 1 + 1e-12);
    for (int i = 0; i < N; i++)
        y[i] = 2.5;
    ASSERT_OK(hps_importance_forest(x, y, N, D, features, &opt, 1, imp));
    for (int f = 0; f < D; f++)
        ASSERT_IN("constant target", imp[f], 0, 0);
}

/* ---- PED-ANOVA's pieces ---------------------------------------------------------------- */

static void test_ped_top_keeps_ties(void **state)
{
    (void)state;
    double loss[4] = {3, 2, 1, 2};
    unsigned char keep[4];
    ASSERT_OK(hps_ped_top(loss, 4, 0.5, keep));
    /* the 2nd smallest loss is 2: both trials at 2 are in */
    assert_memory_equal(keep, ((unsigned char[]){0, 1, 1, 1}), 4);
    ASSERT_OK(hps_ped_top(loss, 4, 0.25, keep));
    assert_memory_equal(keep, ((unsigned char[]){0, 0, 1, 0}), 4);
    ASSERT_OK(hps_ped_top(loss, 4, 1.0, keep));
    assert_memory_equal(keep, ((unsigned char[]){1, 1, 1, 1}), 4);
    /* 0.07 * 100 is 7.000000000000001 in doubles: Optuna's ceil makes it 8 trials. */
    double many[100];
    for (int i = 0; i < 100; i++)
        many[i] = i;
    unsigned char kept[100];
    ASSERT_OK(hps_ped_top(many, 100, 0.07, kept));
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        n += kept[i];
    assert_int_equal(n, 8);
}

static void test_ped_grid(void **state)
{
    (void)state;
    char err[256];
    hps_errbuf eb;
    hps_dist f, i, ilog, fstep, c;
    ASSERT_OK(hps_dist_init_float(&f, "f", 0, 49, 0, 0, &eb));
    ASSERT_OK(hps_dist_init_int(&i, "i", 1, 8, 1, 0, &eb));
    ASSERT_OK(hps_dist_init_int(&ilog, "ilog", 1, 512, 1, HPS_LOG, &eb));
    ASSERT_OK(hps_dist_init_float(&fstep, "fstep", 0, 0.5, 0.05, 0, &eb));
    ASSERT_OK(hps_dist_init_categorical(&c, "c", choices, 3, &eb));
    (void)err;
    assert_int_equal(hps_ped_grid_size(&f), 50);
    assert_int_equal(hps_ped_grid_size(&i), 8);
    assert_int_equal(hps_ped_grid_size(&ilog), 10); /* one cell per doubling, and one */
    assert_int_equal(hps_ped_grid_size(&fstep), 11);
    assert_int_equal(hps_ped_grid_size(&c), 3);
    /* cells of width 1 on [0, 49]: a value midway goes to the lower cell */
    assert_int_equal(hps_ped_grid_cell(&f, 50, 0.5), 0);
    assert_int_equal(hps_ped_grid_cell(&f, 50, 0.51), 1);
    assert_int_equal(hps_ped_grid_cell(&f, 50, 49), 49);
    assert_int_equal(hps_ped_grid_cell(&i, 8, 8), 7);
    assert_int_equal(hps_ped_grid_cell(&ilog, 10, 1), 0);
    assert_int_equal(hps_ped_grid_cell(&ilog, 10, 512), 9);
    assert_int_equal(hps_ped_grid_cell(&ilog, 10, 16), 4); /* log 16 / (log 512 / 9) = 4 */
    assert_int_equal(hps_ped_grid_cell(&c, 3, 2), 2);
    hps_dist_clear(&f);
    hps_dist_clear(&i);
    hps_dist_clear(&ilog);
    hps_dist_clear(&fstep);
    hps_dist_clear(&c);
}

/* Two categories. Counts {2, 0}: one kernel (weight 2/3) on the first with the prior
 * spread, and the uniform prior (1/3): 2/3 and 1/3. Counts {2, 2}: 1/2 each. Their
 * Pearson divergence: 1/2 (4/3 - 1)^2 + 1/2 (2/3 - 1)^2 = 1/9. */
static void test_ped_categorical_density_by_hand(void **state)
{
    (void)state;
    double top[2], local[2];
    hps_ped_density((double[]){2, 0}, 2, 1, top);
    hps_ped_density((double[]){2, 2}, 2, 1, local);
    ASSERT_IN("top[0]", top[0], 2.0 / 3 - 1e-15, 2.0 / 3 + 1e-15);
    ASSERT_IN("top[1]", top[1], 1.0 / 3 - 1e-15, 1.0 / 3 + 1e-15);
    ASSERT_IN("local[0]", local[0], 0.5 - 1e-15, 0.5 + 1e-15);
    ASSERT_IN("divergence", hps_ped_divergence(top, local, 2), 1.0 / 9 - 1e-10, 1.0 / 9 + 1e-10);
    /* against the uniform density: the same here, as local is uniform */
    ASSERT_IN("divergence from uniform", hps_ped_divergence(top, NULL, 2), 1.0 / 9 - 1e-10,
              1.0 / 9 + 1e-10);
    ASSERT_IN("a density against itself", hps_ped_divergence(local, local, 2), 0, 1e-20);
}

/* Numeric densities are probabilities of the cells, mirror with the counts, and put the
 * most mass where the counts are. */
static void test_ped_numeric_density_properties(void **state)
{
    (void)state;
    enum { G = 50 };
    double counts[G] = {0}, pdf[G], mirrored[G], flipped[G];
    counts[3] = 5;
    counts[10] = 2;
    counts[11] = 1;
    hps_ped_density(counts, G, 0, pdf);
    for (int g = 0; g < G; g++)
        flipped[g] = counts[G - 1 - g];
    hps_ped_density(flipped, G, 0, mirrored);
    double sum = 0;
    int argmax = 0;
    for (int g = 0; g < G; g++) {
        sum += pdf[g];
        ASSERT_IN("mirrored", mirrored[G - 1 - g] - pdf[g], -1e-15, 1e-15);
        if (pdf[g] > pdf[argmax])
            argmax = g;
    }
    ASSERT_IN("sums to 1", sum, 1 - 1e-12, 1 + 1e-12);
    assert_int_equal(argmax, 3);
    if (!(pdf[3] > 10 * pdf[40]))
        fail_msg("mass at the counts %g vs far away %g", pdf[3], pdf[40]);
}

/* ---- evaluators ------------------------------------------------------------------------ */

static hps_importance *evaluator(const char *method, const char *const *options)
{
    hps_importance *e = NULL;
    char err[256];
    if (hps_importance_new(method, &e, err, sizeof err) != HPS_OK)
        fail_msg("new %s: %s", method, err);
    for (size_t i = 0; options != NULL && options[i] != NULL; i += 2)
        if (hps_importance_set(e, options[i], options[i + 1]) != HPS_OK)
            fail_msg("set %s: %s", options[i], hps_importance_errmsg(e));
    return e;
}

static json_t *importances_by(hps_study *study, const hps_importance *e, size_t objective)
{
    char *text = NULL;
    hps_status rc = hps_study_importances(study, e, objective, &text);
    if (rc != HPS_OK)
        fail_msg("importances: %s (%s)", hps_status_name(rc), hps_study_errmsg(study));
    json_error_t jerr;
    json_t *obj = json_loads(text, JSON_PRESERVE_ORDER, &jerr);
    if (obj == NULL)
        fail_msg("not JSON: %s", text);
    hps_free(text);
    return obj;
}

static double number_of(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        fail_msg("no '%s'", key);
    return json_number_value(v);
}

static const char *first_key(json_t *obj)
{
    return json_object_iter_key(json_object_iter(obj));
}

static void test_evaluators_rank_the_mixed_study(void **state)
{
    (void)state;
    hps_study *study = open_memory(1);
    run_mixed(study, 300);
    static const char *const methods[] = {"fanova", "mean_decrease_impurity", "mdi", "ped_anova"};
    for (size_t m = 0; m < 4; m++) {
        hps_importance *e = evaluator(methods[m], NULL);
        json_t *imp = importances_by(study, e, 0);
        assert_int_equal(json_object_size(imp), 4);
        if (strcmp(first_key(imp), "lr") != 0)
            fail_msg("%s ranks %s first", methods[m], first_key(imp));
        double sum = 0;
        const char *key;
        json_t *value;
        json_object_foreach(imp, key, value) sum += json_number_value(value);
        ASSERT_IN("normalized", sum, 1 - 1e-9, 1 + 1e-9);
        /* deterministic */
        char *a = NULL, *b = NULL;
        ASSERT_OK(hps_study_importances(study, e, 0, &a));
        ASSERT_OK(hps_study_importances(study, e, 0, &b));
        assert_string_equal(a, b);
        hps_free(a);
        hps_free(b);
        json_decref(imp);
        hps_importance_free(e);
    }
    /* the default evaluator is fanova */
    char *a = NULL, *b = NULL;
    hps_importance *fanova = evaluator("fanova", NULL);
    ASSERT_OK(hps_study_importances(study, NULL, 0, &a));
    ASSERT_OK(hps_study_importances(study, fanova, 0, &b));
    assert_string_equal(a, b);
    assert_string_equal(hps_importance_method(fanova), "fanova");
    hps_free(a);
    hps_free(b);
    hps_importance_free(fanova);
    /* without normalize, mdi still sums to 1 (scikit-learn's); fanova's fractions of
     * variance sum to at most 1 */
    static const char *const raw[] = {"normalize", "false", NULL};
    hps_importance *mdi = evaluator("mdi", raw);
    json_t *imp = importances_by(study, mdi, 0);
    double sum = 0;
    const char *key;
    json_t *value;
    json_object_foreach(imp, key, value) sum += json_number_value(value);
    ASSERT_IN("mdi sums to 1", sum, 1 - 1e-9, 1 + 1e-9);
    json_decref(imp);
    hps_importance_free(mdi);
    /* a forest of its own: another seed, fewer and shallower trees, same ranking */
    static const char *const small[] = {"n_trees", "8", "max_depth", "3", "seed", "42", NULL};
    hps_importance *e = evaluator("fanova", small);
    imp = importances_by(study, e, 0);
    assert_string_equal(first_key(imp), "lr");
    json_decref(imp);
    hps_importance_free(e);
    hps_study_close(study);
}

/* Four trials of a categorical parameter, losses 1, 2, 3, 4 for a, a, b, b; the top half
 * chose a twice: the densities of test_ped_categorical_density_by_hand, divergence 1/9,
 * and the importance (2/4)^2 * 1/9 = 1/36. */
static void test_ped_anova_study_by_hand(void **state)
{
    (void)state;
    static const hps_value ab[2] = {{.type = HPS_VALUE_STRING, .u.s = "a"},
                                    {.type = HPS_VALUE_STRING, .u.s = "b"}};
    hps_study *study = open_memory(1);
    for (int i = 0; i < 4; i++) {
        char params[32];
        snprintf(params, sizeof params, "{\"c\": \"%s\"}", i < 2 ? "a" : "b");
        ASSERT_OK(hps_study_enqueue(study, params, NULL));
        hps_trial *trial;
        size_t index;
        ASSERT_OK(hps_study_ask(study, &trial));
        ASSERT_OK(hps_trial_suggest_categorical(trial, "c", ab, 2, &index));
        ASSERT_OK(hps_trial_tell(trial, HPS_COMPLETE, i + 1.0));
        hps_trial_free(trial);
    }
    static const char *const opts[] = {"target_quantile", "0.5", "normalize", "false", NULL};
    hps_importance *e = evaluator("ped_anova", opts);
    json_t *imp = importances_by(study, e, 0);
    ASSERT_IN("c", number_of(imp, "c"), 1.0 / 36 - 1e-10, 1.0 / 36 + 1e-10);
    json_decref(imp);
    /* the top half compared with the top three quarters: the region is a, a, b (ties
     * kept), so the importance shrinks */
    ASSERT_OK(hps_importance_set(e, "region_quantile", "0.75"));
    imp = importances_by(study, e, 0);
    double in_region = number_of(imp, "c");
    if (!(in_region > 0 && in_region < 1.0 / 36))
        fail_msg("region of three trials: %g", in_region);
    json_decref(imp);
    hps_importance_free(e);
    hps_study_close(study);
}

/* What PED-ANOVA ranks that the forest methods do not: a conditional parameter that
 * decides the objective when present, a parameter whose range changed (two regimes),
 * and a single-valued parameter (listed, 0). Maximizing -loss is minimizing loss: the
 * same importances. All trials alike leave everything at 0. */
static void test_ped_anova_conditional_and_directions(void **state)
{
    (void)state;
    char *text[2] = {NULL, NULL};
    for (int maximize = 0; maximize < 2; maximize++) {
        hps_direction dir = maximize ? HPS_MAXIMIZE : HPS_MINIMIZE;
        hps_study *study = NULL;
        char err[256];
        ASSERT_OK(hps_study_open(":memory:", "ped", HPS_OPEN_CREATE, &dir, 1, &study, err,
                                 sizeof err));
        hps_sampler *sampler;
        ASSERT_OK(hps_sampler_new("random", &sampler, err, sizeof err));
        ASSERT_OK(hps_sampler_set(sampler, "seed", "3"));
        ASSERT_OK(hps_study_set_sampler(study, sampler));
        for (int i = 0; i < 400; i++) {
            hps_trial *trial;
            ASSERT_OK(hps_study_ask(study, &trial));
            size_t act;
            double noise, fixed, widened, branch = 0;
            ASSERT_OK(hps_trial_suggest_categorical(trial, "act", choices, 3, &act));
            ASSERT_OK(hps_trial_suggest_float(trial, "noise", 0, 1, 0, 0, &noise));
            ASSERT_OK(hps_trial_suggest_float(trial, "fixed", 2, 2, 0, 0, &fixed));
            ASSERT_OK(hps_trial_suggest_float(trial, "widened", 0, i < 200 ? 1 : 2, 0, 0, &widened));
            if (act == 1)
                ASSERT_OK(hps_trial_suggest_float(trial, "only_tanh", 0, 1, 0, 0, &branch));
            /* small is good: only tanh reaches below 1, when only_tanh is small */
            double loss = act == 1 ? 4 * branch : 1 + 0.01 * noise;
            ASSERT_OK(hps_trial_tell(trial, HPS_COMPLETE, maximize ? -loss : loss));
            hps_trial_free(trial);
        }
        hps_importance *e = evaluator("ped_anova", NULL);
        json_t *imp = importances_by(study, e, 0);
        assert_int_equal(json_object_size(imp), 5);
        assert_string_equal(first_key(imp), "only_tanh");
        ASSERT_IN("only_tanh", number_of(imp, "only_tanh"), 0.5, 1.0);
        assert_true(number_of(imp, "widened") > 0.0);
        assert_true(number_of(imp, "fixed") == 0.0);
        json_decref(imp);
        ASSERT_OK(hps_study_importances(study, e, 0, &text[maximize]));
        /* the forest methods leave the conditional parameter out */
        imp = importances(study, 0);
        assert_null(json_object_get(imp, "only_tanh"));
        json_decref(imp);
        hps_importance_free(e);
        hps_study_close(study);
    }
    assert_string_equal(text[0], text[1]);
    hps_free(text[0]);
    hps_free(text[1]);

    hps_study *constant = open_memory(1);
    for (int i = 0; i < 20; i++) {
        hps_trial *trial;
        double x;
        ASSERT_OK(hps_study_ask(constant, &trial));
        ASSERT_OK(hps_trial_suggest_float(trial, "x", 0, 1, 0, 0, &x));
        ASSERT_OK(hps_trial_tell(trial, HPS_COMPLETE, 1.0));
        hps_trial_free(trial);
    }
    hps_importance *e = evaluator("ped_anova", NULL);
    json_t *imp = importances_by(constant, e, 0);
    assert_true(number_of(imp, "x") == 0.0);
    json_decref(imp);
    hps_importance_free(e);
    hps_study_close(constant);
}

static void test_evaluator_bad_input(void **state)
{
    (void)state;
    hps_importance *e = (hps_importance *)&e;
    char err[256] = "";
    assert_int_equal(hps_importance_new("shap", &e, err, sizeof err), HPS_ERR_INVALID);
    assert_null(e);
    assert_non_null(strstr(err, "unknown importance method 'shap'"));
    assert_non_null(strstr(err, "ped_anova"));
    assert_int_equal(hps_importance_new(NULL, &e, NULL, 0), HPS_ERR_INVALID);
    assert_int_equal(hps_importance_new("fanova", NULL, NULL, 0), HPS_ERR_INVALID);

    e = evaluator("ped_anova", NULL);
    assert_int_equal(hps_importance_set(e, "n_trees", "8"), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_importance_errmsg(e), "importance 'ped_anova' has no option 'n_trees'"));
    assert_non_null(strstr(hps_importance_errmsg(e), "target_quantile"));
    assert_int_equal(hps_importance_set(e, "target_quantile", "0"), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_importance_errmsg(e), "target_quantile"));
    assert_int_equal(hps_importance_set(e, "region_quantile", "1.5"), HPS_ERR_INVALID);
    assert_int_equal(hps_importance_set(e, "evaluate_on_local", "maybe"), HPS_ERR_INVALID);
    assert_int_equal(hps_importance_set(e, "normalize", NULL), HPS_ERR_INVALID);
    /* each option valid alone, not together: the study call says so */
    ASSERT_OK(hps_importance_set(e, "target_quantile", "0.5"));
    ASSERT_OK(hps_importance_set(e, "region_quantile", "0.5"));
    hps_study *study = open_memory(1);
    run_mixed(study, 10);
    char *text = (char *)"untouched";
    assert_int_equal(hps_study_importances(study, e, 0, &text), HPS_ERR_INVALID);
    assert_null(text);
    assert_non_null(strstr(hps_study_errmsg(study), "target_quantile (0.5) must be below "
                                                    "region_quantile (0.5)"));
    assert_int_equal(hps_study_importances(study, e, 1, &text), HPS_ERR_INVALID);
    hps_importance_free(e);

    e = evaluator("mdi", NULL);
    assert_string_equal(hps_importance_method(e), "mean_decrease_impurity");
    assert_int_equal(hps_importance_set(e, "n_trees", "0"), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_importance_errmsg(e), "n_trees must be"));
    assert_int_equal(hps_importance_set(e, "max_depth", "5000"), HPS_ERR_INVALID);
    assert_int_equal(hps_importance_set(e, "target_quantile", "0.1"), HPS_ERR_INVALID);
    hps_importance_free(e);
    hps_importance_free(NULL);
    assert_non_null(hps_importance_errmsg(NULL));
    hps_study_close(study);

    char *catalog = NULL;
    ASSERT_OK(hps_importance_catalog(&catalog));
    json_error_t jerr;
    json_t *methods = json_loads(catalog, 0, &jerr);
    assert_non_null(methods);
    assert_int_equal(json_array_size(methods), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(methods, 2), "name")),
                        "ped_anova");
    json_decref(methods);
    hps_free(catalog);
    assert_int_equal(hps_importance_catalog(NULL), HPS_ERR_INVALID);
}

/* Allocation failures in every evaluator: HPS_ERR_NOMEM with nothing returned, and
 * success once allocations succeed. */
static void test_evaluator_allocation_failures(void **state)
{
    (void)state;
    hps_study *study = open_memory(1);
    run_mixed(study, 40);
    ASSERT_OK(hps_study_sync(study));
    static const char *const methods[] = {"mdi", "ped_anova"};
    for (size_t m = 0; m < 2; m++) {
        hps_importance *e = evaluator(methods[m], NULL);
        int succeeded = 0;
        for (unsigned long k = 1; k < 2000 && !succeeded; k++) {
            char *text = NULL;
            hps_mem_fail_after(k);
            hps_status rc = hps_study_importances(study, e, 0, &text);
            hps_mem_fail_after(0);
            if (rc == HPS_OK) {
                succeeded = 1;
                assert_non_null(strstr(text, "\"lr\""));
            } else if (rc != HPS_ERR_NOMEM && rc != HPS_ERR_STORAGE) {
                fail_msg("%s: allocation %lu failing gave %s", methods[m], k, hps_status_name(rc));
            } else {
                assert_null(text);
            }
            hps_free(text);
        }
        assert_true(succeeded);
        hps_importance_free(e);
    }
    hps_study_close(study);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forest_fits_a_step),
        cmocka_unit_test(test_forest_rejects_bad_input),
        cmocka_unit_test(test_fanova_single_dominant_feature),
        cmocka_unit_test(test_fanova_additive_proportions),
        cmocka_unit_test(test_fanova_categorical),
        cmocka_unit_test(test_fanova_pure_interaction),
        cmocka_unit_test(test_study_branch_importances),
        cmocka_unit_test(test_study_mixed_types_rank_dominant_first),
        cmocka_unit_test(test_study_empty_and_degenerate),
        cmocka_unit_test(test_study_conditional_and_single_valued),
        cmocka_unit_test(test_study_two_objectives),
        cmocka_unit_test(test_study_many_trials_is_capped),
        cmocka_unit_test(test_study_allocation_failures),
        cmocka_unit_test(test_mdi_by_hand),
        cmocka_unit_test(test_mdi_dominant_feature_and_constant),
        cmocka_unit_test(test_ped_top_keeps_ties),
        cmocka_unit_test(test_ped_grid),
        cmocka_unit_test(test_ped_categorical_density_by_hand),
        cmocka_unit_test(test_ped_numeric_density_properties),
        cmocka_unit_test(test_evaluators_rank_the_mixed_study),
        cmocka_unit_test(test_ped_anova_study_by_hand),
        cmocka_unit_test(test_ped_anova_conditional_and_directions),
        cmocka_unit_test(test_evaluator_bad_input),
        cmocka_unit_test(test_evaluator_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
