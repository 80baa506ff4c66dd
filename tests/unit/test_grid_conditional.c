/* test_grid_conditional.c -- the grid sampler over a conditional space
 * (hps_sampler_grid_when): only the active combinations, each once (or `repeats`
 * times), then HPS_DONE; shuffled too; an enqueued configuration takes its cell; the
 * conditions are part of the grid every worker must agree on; bad conditions are
 * refused with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/mem.h"
#include "hpsearch.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#define STR(text) {.type = HPS_VALUE_STRING, .u.s = (text)}
#define FLT(x) {.type = HPS_VALUE_FLOAT, .u.f = (x)}
#define INT(x) {.type = HPS_VALUE_INT, .u.i = (x)}
#define BOOL(x) {.type = HPS_VALUE_BOOL, .u.b = (x)}

static const hps_value OPTIMIZERS[] = {STR("adam"), STR("sgd")};
static const hps_value MOMENTA[] = {FLT(0.5), FLT(0.9)};
static const hps_value NESTEROV[] = {BOOL(1), BOOL(0)};
static const hps_value BETA2[] = {FLT(0.9), FLT(0.99), FLT(0.999)};
static const hps_value LAYERS[] = {INT(1), INT(2)};

/* momentum for sgd, nesterov for momentum 0.9 (a condition on a conditional parent),
 * beta2 for adam; layers everywhere. adam: 3 x 2 = 6 cells; sgd with momentum 0.5: 2,
 * with 0.9: 2 x 2 = 4; 12 in all, not the 2 x 2 x 2 x 3 x 2 = 48 of the product. */
#define ACTIVE_CELLS 12

static hps_sampler *tree_grid(const char *shuffle_seed)
{
    hps_sampler *s;
    char err[256];
    ASSERT_OK(hps_sampler_new("grid", &s, err, sizeof err));
    if (shuffle_seed != NULL) {
        ASSERT_OK(hps_sampler_set(s, "shuffle", "true"));
        ASSERT_OK(hps_sampler_set(s, "seed", shuffle_seed));
    }
    ASSERT_OK(hps_sampler_grid_add(s, "optimizer", OPTIMIZERS, 2));
    ASSERT_OK(hps_sampler_grid_add(s, "momentum", MOMENTA, 2));
    ASSERT_OK(hps_sampler_grid_add(s, "nesterov", NESTEROV, 2));
    ASSERT_OK(hps_sampler_grid_add(s, "beta2", BETA2, 3));
    ASSERT_OK(hps_sampler_grid_add(s, "layers", LAYERS, 2));
    assert_int_equal(hps_sampler_grid_size(s), 48);
    ASSERT_OK(hps_sampler_grid_when(s, "momentum", "optimizer", &OPTIMIZERS[1], 1));
    ASSERT_OK(hps_sampler_grid_when(s, "nesterov", "momentum", &MOMENTA[1], 1));
    ASSERT_OK(hps_sampler_grid_when(s, "beta2", "optimizer", &OPTIMIZERS[0], 1));
    assert_int_equal(hps_sampler_grid_size(s), ACTIVE_CELLS);
    return s;
}

static hps_study *open_study(const char *storage, const char *options_repeats)
{
    hps_study *study;
    hps_direction dir = HPS_MINIMIZE;
    char err[256];
    if (hps_study_open(storage, "tree", HPS_OPEN_CREATE | HPS_OPEN_LOAD, &dir, 1, &study, err,
                       sizeof err) != HPS_OK)
        fail_msg("%s", err);
    if (options_repeats != NULL)
        ASSERT_OK(hps_study_set(study, "repeats", options_repeats));
    return study;
}

/* Suggests the trial's active parameters as a user's define-by-run code would, and
 * writes its configuration as "adam/-/-/0.99/2". */
static void suggest_tree(hps_trial *t, char *config, size_t size)
{
    size_t opt, mom = 0, nest = 0, beta = 0, layers;
    ASSERT_OK(hps_trial_suggest_categorical(t, "optimizer", OPTIMIZERS, 2, &opt));
    int sgd = opt == 1;
    if (sgd)
        ASSERT_OK(hps_trial_suggest_categorical(t, "momentum", MOMENTA, 2, &mom));
    if (sgd && mom == 1)
        ASSERT_OK(hps_trial_suggest_categorical(t, "nesterov", NESTEROV, 2, &nest));
    if (!sgd)
        ASSERT_OK(hps_trial_suggest_categorical(t, "beta2", BETA2, 3, &beta));
    ASSERT_OK(hps_trial_suggest_categorical(t, "layers", LAYERS, 2, &layers));
    snprintf(config, size, "%s/%s/%s/%s/%d", sgd ? "sgd" : "adam",
             sgd ? (mom ? "0.9" : "0.5") : "-", sgd && mom == 1 ? (nest ? "F" : "T") : "-",
             sgd ? "-" : (const char *[]){"0.9", "0.99", "0.999"}[beta], layers ? 2 : 1);
}

/* Runs the study to HPS_DONE; returns the number of trials and fills configs[]. */
static size_t run_to_done(hps_study *study, char configs[][32], size_t cap)
{
    size_t n = 0;
    for (;;) {
        hps_trial *t;
        hps_status rc = hps_study_ask(study, &t);
        if (rc == HPS_DONE)
            break;
        ASSERT_OK(rc);
        assert_true(n < cap);
        suggest_tree(t, configs[n++], 32);
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, 0.0));
        hps_trial_free(t);
    }
    return n;
}

static size_t count_of(char configs[][32], size_t n, const char *config)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += strcmp(configs[i], config) == 0;
    return k;
}

/* Each active combination exactly `repeats` times, then HPS_DONE. */
static void assert_each_config(char configs[][32], size_t n, size_t repeats)
{
    assert_int_equal(n, ACTIVE_CELLS * repeats);
    for (size_t i = 0; i < n; i++)
        if (count_of(configs, n, configs[i]) != repeats)
            fail_msg("%s ran %zu times, expected %zu", configs[i],
                     count_of(configs, n, configs[i]), repeats);
    /* every branch is there: 6 adam, 2 + 4 sgd */
    size_t adam = 0, nesterov = 0;
    for (size_t i = 0; i < n; i++) {
        adam += strncmp(configs[i], "adam/", 5) == 0;
        nesterov += strncmp(configs[i], "sgd/0.9/", 8) == 0;
    }
    assert_int_equal(adam, 6 * repeats);
    assert_int_equal(nesterov, 4 * repeats);
}

static void test_grid_active_cells_once(void **state)
{
    (void)state;
    char configs[64][32];
    hps_study *study = open_study(":memory:", NULL);
    ASSERT_OK(hps_study_set_sampler(study, tree_grid(NULL)));
    size_t n = run_to_done(study, configs, 64);
    assert_each_config(configs, n, 1);
    /* branch after branch, the parents' loops outermost, in the order they were added */
    assert_string_equal(configs[0], "adam/-/-/0.9/1");
    assert_string_equal(configs[1], "adam/-/-/0.9/2");
    assert_string_equal(configs[6], "sgd/0.5/-/-/1");
    assert_string_equal(configs[8], "sgd/0.9/T/-/1");
    assert_string_equal(configs[11], "sgd/0.9/F/-/2");
    hps_study_close(study);
}

static void test_grid_repeats_and_shuffle(void **state)
{
    (void)state;
    char configs[64][32];
    hps_study *study = open_study(":memory:", "3");
    ASSERT_OK(hps_study_set_sampler(study, tree_grid("5")));
    size_t n = run_to_done(study, configs, 64);
    assert_each_config(configs, n, 3);
    /* a cell's repeats are consecutive; the shuffled order is not the enumeration's */
    for (size_t i = 0; i < n; i += 3)
        assert_true(strcmp(configs[i], configs[i + 1]) == 0 &&
                    strcmp(configs[i], configs[i + 2]) == 0);
    int in_order = strcmp(configs[0], "adam/-/-/0.9/1") == 0 &&
                   strcmp(configs[3], "adam/-/-/0.9/2") == 0 &&
                   strcmp(configs[6], "adam/-/-/0.99/1") == 0;
    assert_false(in_order);
    hps_study_close(study);
}

/* An enqueued configuration takes its cell, so the grid does not run it again: 12
 * trials in all, the enqueued ones first. */
static void test_grid_enqueued_takes_its_cell(void **state)
{
    (void)state;
    char configs[64][32];
    hps_study *study = open_study(":memory:", NULL);
    ASSERT_OK(hps_study_set_sampler(study, tree_grid(NULL)));
    ASSERT_OK(hps_study_enqueue(study,
                                "{\"optimizer\": \"sgd\", \"momentum\": 0.9, \"nesterov\": false, "
                                "\"layers\": 2}",
                                NULL));
    ASSERT_OK(hps_study_enqueue(study, "{\"optimizer\": \"adam\", \"beta2\": 0.99, "
                                       "\"layers\": 1}", NULL));
    size_t n = run_to_done(study, configs, 64);
    assert_each_config(configs, n, 1);
    assert_string_equal(configs[0], "sgd/0.9/F/-/2");
    assert_string_equal(configs[1], "adam/-/-/0.99/1");
    hps_study_close(study);
}

/* Suggesting a parameter its cell leaves inactive is an error naming it. */
static void test_grid_inactive_suggestion(void **state)
{
    (void)state;
    hps_study *study = open_study(":memory:", NULL);
    ASSERT_OK(hps_study_set_sampler(study, tree_grid(NULL)));
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t)); /* adam/-/-/0.9/1 */
    size_t index;
    assert_int_equal(hps_trial_suggest_categorical(t, "momentum", MOMENTA, 2, &index),
                     HPS_ERR_INVALID);
    assert_non_null(strstr(hps_trial_errmsg(t), "'momentum' is inactive in this trial's grid"));
    hps_trial_free(t);
    hps_study_close(study);
}

/* The conditions are part of the grid: a worker with other conditions is refused. */
static void test_grid_conditions_agreed(void **state)
{
    (void)state;
    char url[600];
    snprintf(url, sizeof url, "sqlite:%s", testutil_path("agree.db"));
    hps_study *first = open_study(url, NULL);
    ASSERT_OK(hps_study_set_sampler(first, tree_grid(NULL)));
    hps_study *second = open_study(url, NULL);
    hps_sampler *other = tree_grid(NULL);
    hps_sampler_free(other);
    char err[256];
    ASSERT_OK(hps_sampler_new("grid", &other, err, sizeof err));
    ASSERT_OK(hps_sampler_grid_add(other, "optimizer", OPTIMIZERS, 2));
    ASSERT_OK(hps_sampler_grid_add(other, "momentum", MOMENTA, 2));
    ASSERT_OK(hps_sampler_grid_add(other, "nesterov", NESTEROV, 2));
    ASSERT_OK(hps_sampler_grid_add(other, "beta2", BETA2, 3));
    ASSERT_OK(hps_sampler_grid_add(other, "layers", LAYERS, 2));
    ASSERT_OK(hps_sampler_grid_when(other, "momentum", "optimizer", &OPTIMIZERS[1], 1));
    ASSERT_OK(hps_sampler_grid_when(other, "beta2", "optimizer", &OPTIMIZERS[0], 1));
    assert_int_equal(hps_study_set_sampler(second, other), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_study_errmsg(second), "different grid"));
    hps_study *third = open_study(url, NULL);
    ASSERT_OK(hps_study_set_sampler(third, tree_grid(NULL)));
    hps_study_close(first);
    hps_study_close(second);
    hps_study_close(third);
}

static void test_grid_when_errors(void **state)
{
    (void)state;
    hps_sampler *s;
    char err[256];
    ASSERT_OK(hps_sampler_new("random", &s, err, sizeof err));
    assert_int_equal(hps_sampler_grid_when(s, "a", "b", OPTIMIZERS, 1), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_sampler_errmsg(s), "only be added to a grid sampler"));
    hps_sampler_free(s);

    ASSERT_OK(hps_sampler_new("grid", &s, err, sizeof err));
    ASSERT_OK(hps_sampler_grid_add(s, "optimizer", OPTIMIZERS, 2));
    ASSERT_OK(hps_sampler_grid_add(s, "momentum", MOMENTA, 2));
    assert_int_equal(hps_sampler_grid_when(s, "momentum", "lr", OPTIMIZERS, 1),
                     HPS_ERR_INVALID);
    assert_non_null(strstr(hps_sampler_errmsg(s), "'lr' is not a grid parameter"));
    assert_int_equal(hps_sampler_grid_when(s, "optimizer", "momentum", MOMENTA, 1),
                     HPS_ERR_INVALID);
    assert_non_null(strstr(hps_sampler_errmsg(s), "must be added to the grid before it"));
    assert_int_equal(hps_sampler_grid_when(s, "momentum", "momentum", MOMENTA, 1),
                     HPS_ERR_INVALID);
    assert_int_equal(hps_sampler_grid_when(s, "momentum", "optimizer", NULL, 0),
                     HPS_ERR_INVALID);
    assert_non_null(strstr(hps_sampler_errmsg(s), "has no values"));
    hps_value rmsprop = STR("rmsprop");
    assert_int_equal(hps_sampler_grid_when(s, "momentum", "optimizer", &rmsprop, 1),
                     HPS_ERR_INVALID);
    assert_non_null(strstr(hps_sampler_errmsg(s), "not one of the grid values of 'optimizer'"));
    /* the refused conditions left the grid unconditional */
    assert_int_equal(hps_sampler_grid_size(s), 4);
    ASSERT_OK(hps_sampler_grid_when(s, "momentum", "optimizer", &OPTIMIZERS[1], 1));
    assert_int_equal(hps_sampler_grid_size(s), 3);
    /* a parameter added after a condition joins every branch */
    ASSERT_OK(hps_sampler_grid_add(s, "layers", LAYERS, 2));
    assert_int_equal(hps_sampler_grid_size(s), 6);
    hps_study *study = open_study(":memory:", NULL);
    ASSERT_OK(hps_study_set_sampler(study, s));
    assert_int_equal(hps_sampler_grid_when((hps_sampler *)hps_study_sampler(study), "layers",
                                           "optimizer", OPTIMIZERS, 1),
                     HPS_ERR_STATE);
    hps_study_close(study);
}

/* Allocation failures leave a defined grid: the condition is refused, nothing leaks. */
static void test_grid_when_out_of_memory(void **state)
{
    (void)state;
    for (unsigned long fail_at = 1; fail_at < 40; fail_at++) {
        hps_sampler *s;
        char err[256];
        ASSERT_OK(hps_sampler_new("grid", &s, err, sizeof err));
        ASSERT_OK(hps_sampler_grid_add(s, "optimizer", OPTIMIZERS, 2));
        ASSERT_OK(hps_sampler_grid_add(s, "momentum", MOMENTA, 2));
        hps_mem_fail_after(fail_at);
        hps_status rc = hps_sampler_grid_when(s, "momentum", "optimizer", &OPTIMIZERS[1], 1);
        hps_mem_fail_after(0);
        assert_true(rc == HPS_OK || rc == HPS_ERR_NOMEM);
        assert_int_equal(hps_sampler_grid_size(s), rc == HPS_OK ? 3 : 4);
        hps_sampler_free(s);
        if (rc == HPS_OK)
            break;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_active_cells_once),
        cmocka_unit_test(test_grid_repeats_and_shuffle),
        cmocka_unit_test(test_grid_enqueued_takes_its_cell),
        cmocka_unit_test(test_grid_inactive_suggestion),
        cmocka_unit_test(test_grid_conditions_agreed),
        cmocka_unit_test(test_grid_when_errors),
        cmocka_unit_test(test_grid_when_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
