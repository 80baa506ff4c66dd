/* test_importance.c -- parameter importance (fANOVA on a random forest) on functions
 * whose answer is known: a dominant parameter ranks first, a parameter without effect
 * gets almost nothing, an additive function splits in proportion to its variances;
 * mixed parameter types; empty, one-trial, constant and failed-only studies; bad input
 * to the forest; allocation failures at every point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/forest.h"
#include "engine/importance.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forest_fits_a_step),
        cmocka_unit_test(test_forest_rejects_bad_input),
        cmocka_unit_test(test_fanova_single_dominant_feature),
        cmocka_unit_test(test_fanova_additive_proportions),
        cmocka_unit_test(test_fanova_categorical),
        cmocka_unit_test(test_fanova_pure_interaction),
        cmocka_unit_test(test_study_mixed_types_rank_dominant_first),
        cmocka_unit_test(test_study_empty_and_degenerate),
        cmocka_unit_test(test_study_conditional_and_single_valued),
        cmocka_unit_test(test_study_two_objectives),
        cmocka_unit_test(test_study_many_trials_is_capped),
        cmocka_unit_test(test_study_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
