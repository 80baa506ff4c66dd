/* test_gp_fail.c -- the GP sampler learns from FAIL trials: a region where the objective
 * raises (a diverged training run) must not keep drawing the sampler's proposals while
 * the smooth objective next to it points into it, with one objective, with two and
 * with a constraint; a failure a retry finished is not held against its point; a
 * failed trial from before the space changed is seen through the new space; and the
 * failed trials' path under allocation failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/history.h"
#include "engine/study.h"
#include "hpsearch.h"
#include "samplers/sampler.h"
#include "testutil.h"
#include "testutil_sampler.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The objective fails where x0 > FAIL_EDGE; its unconstrained optimum (x0 = 0.8) lies
 * beyond that edge, so the best trials sit on the edge and a model that sees only the
 * finished trials extrapolates the slope into the failing region. */
#define FAIL_EDGE 0.7
#define TRIALS 40
#define MODELLED_FROM 10 /* trials before this number are start-up or early: not counted */

/* A study sampled by the GP with `seed`, and `startup` start-up trials unless NULL. */
static hps_study *gp_study(const char *seed, const char *startup, const hps_direction *dirs,
                           size_t n_dirs)
{
    hps_study *study;
    char err[256];
    if (hps_study_open(":memory:", "gp", HPS_OPEN_CREATE, dirs, n_dirs, &study, err,
                       sizeof err) != HPS_OK)
        fail_msg("%s", err);
    hps_sampler *sampler;
    ASSERT_OK(hps_sampler_new("gp", &sampler, err, sizeof err));
    ASSERT_OK(hps_sampler_set(sampler, "seed", seed));
    if (startup != NULL)
        ASSERT_OK(hps_sampler_set(sampler, "n_startup_trials", startup));
    ASSERT_OK(hps_study_set_sampler(study, sampler));
    return study;
}

/* Runs TRIALS trials of the failing objective with `n_obj` objectives (1 or 2), with a
 * constraint value per finished trial when `constrained`; returns how many trials from
 * MODELLED_FROM on failed. */
static int failures_after_startup(const char *seed, size_t n_obj, int constrained)
{
    const hps_direction dirs[2] = {HPS_MINIMIZE, HPS_MINIMIZE};
    hps_study *study = gp_study(seed, NULL, dirs, n_obj);
    int failed = 0;
    for (int n = 0; n < TRIALS; n++) {
        hps_trial *t;
        double x0, x1;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_float(t, "x0", 0, 1, 0, 0, &x0));
        ASSERT_OK(hps_trial_suggest_float(t, "x1", 0, 1, 0, 0, &x1));
        if (x0 > FAIL_EDGE) {
            failed += n >= MODELLED_FROM;
            ASSERT_OK(hps_trial_tell(t, HPS_FAIL, NAN));
        } else {
            double edge = (x0 - 0.8) * (x0 - 0.8);
            double v[2] = {edge + (x1 - 0.3) * (x1 - 0.3), edge + (x1 - 0.7) * (x1 - 0.7)};
            if (constrained) {
                double c = x1 - 0.9; /* feasible below 0.9: most of the box */
                ASSERT_OK(hps_trial_set_constraints(t, &c, 1));
            }
            ASSERT_OK(hps_trial_tell_values(t, HPS_COMPLETE, v, n_obj));
        }
        hps_trial_free(t);
    }
    hps_study_close(study);
    return failed;
}

static int failures_over_seeds(size_t n_obj, int constrained)
{
    const char *seeds[4] = {"1", "2", "3", "4"};
    int total = 0;
    for (int i = 0; i < 4; i++)
        total += failures_after_startup(seeds[i], n_obj, constrained);
    return total;
}

/* Seeds 1-4, trials 10-39 (120 per test). With FAIL trials ignored every one of them
 * failed, in each of the three tests: the model's data stop changing once it proposes
 * into the failing region, so it stays there. With them entered at the worst observed
 * value: 10 (one objective), 10 (two), 13 (with a constraint). The bar sits between. */
#define MAX_FAILED 30

/* The modelled trials (seeds 1-4) of `n_obj` objectives, `constrained` or not, that
 * fell in the failing region: at most MAX_FAILED. */
static void expect_failing_region_avoided(size_t n_obj, int constrained, const char *what)
{
    int failed = failures_over_seeds(n_obj, constrained);
    printf("%s: %d of 120 modelled trials failed\n", what, failed);
    if (failed > MAX_FAILED)
        fail_msg("%d of 120 modelled trials in the failing region", failed);
}

/* One objective. */
static void test_failing_region_avoided(void **state)
{
    (void)state;
    expect_failing_region_avoided(1, 0, "one objective");
}

/* Two objectives sharing the failing slope in x0: the same, per objective. */
static void test_failing_region_avoided_two_objectives(void **state)
{
    (void)state;
    expect_failing_region_avoided(2, 0, "two objectives");
}

/* With a constraint the failed trials carry none; they enter its model at its worst
 * value and are never feasible. */
static void test_failing_region_avoided_with_constraints(void **state)
{
    (void)state;
    expect_failing_region_avoided(1, 1, "one objective, one constraint");
}

/* A study of `n_obj` objectives with FAIL trials among its finished ones, then an ask
 * whose relative sample runs with every allocation failing in turn: HPS_ERR_NOMEM or
 * valid values, never a crash or a leak (valgrind / the ASan build check the latter). */
static void out_of_memory_with_failures(size_t n_obj)
{
    const hps_direction dirs[2] = {HPS_MINIMIZE, HPS_MINIMIZE};
    hps_study *study = gp_study("13", NULL, dirs, n_obj);
    for (int n = 0; n < 9; n++) {
        hps_trial *t;
        double x0, x1;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_float(t, "x0", 0, 1, 0, 0, &x0));
        ASSERT_OK(hps_trial_suggest_float(t, "x1", 0, 1, 0, 0, &x1));
        double v[2] = {x0 + x1, x0 - x1};
        if (n % 3 == 1)
            ASSERT_OK(hps_trial_tell(t, HPS_FAIL, NAN));
        else
            ASSERT_OK(hps_trial_tell_values(t, HPS_COMPLETE, v, n_obj));
        hps_trial_free(t);
    }
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    hps_history h;
    ASSERT_OK(hps_history_collect(study, t, &h));
    assert_int_equal(h.n_finished, 6); /* the three FAIL trials are not finished: */
    assert_int_equal(h.n_ended, 3);    /* they ended without a value */
    hps_history_clear(&h);
    double values[2];
    testutil_sample_relative_under_oom(study, t, &hps_gp_sampler_ops, values, 2, 600);
    assert_true(isfinite(values[0]) && isfinite(values[1]));
    hps_trial_free(t);
    hps_study_close(study);
}

static void test_out_of_memory_with_failures(void **state)
{
    (void)state;
    out_of_memory_with_failures(1);
    out_of_memory_with_failures(2);
}

/* How many failed runs of its configuration came before the trial (the study's
 * retries count them in system attribute "attempt"). */
static long attempt_of(hps_trial *t)
{
    json_t *attrs = json_loads(hps_frozen_system_attrs(hps_trial_frozen(t)), 0, NULL);
    assert_non_null(attrs);
    long attempt = (long)json_integer_value(json_object_get(attrs, "attempt"));
    json_decref(attrs);
    return attempt;
}

/* The objective of flaky_study: its optimum at x0 = 0.2, x1 = 0.5. */
static double flaky_objective(double x0, double x1)
{
    return (x0 - 0.2) * (x0 - 0.2) + (x1 - 0.5) * (x1 - 0.5);
}

/* Runs `trials` configurations of flaky_objective with seed `seed` and the study option
 * retries = `lost`: the first `lost` runs of every configuration with x0 < 0.4 fail (a
 * node that loses big jobs), the next completes. Returns how many configurations from
 * MODELLED_FROM on the GP proposed within 0.1 of the optimum in x0. */
static int flaky_study(const char *seed, int trials, long lost)
{
    const hps_direction dir = HPS_MINIMIZE;
    hps_study *study = gp_study(seed, NULL, &dir, 1);
    char retries[16];
    snprintf(retries, sizeof retries, "%ld", lost);
    ASSERT_OK(hps_study_set(study, "retries", retries));
    int near = 0, configurations = 0;
    while (configurations < trials) {
        hps_trial *t;
        double x0, x1;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_float(t, "x0", 0, 1, 0, 0, &x0));
        ASSERT_OK(hps_trial_suggest_float(t, "x1", 0, 1, 0, 0, &x1));
        long attempt = attempt_of(t);
        if (attempt == 0) { /* a configuration the GP proposed, not a retry */
            near += configurations >= MODELLED_FROM && fabs(x0 - 0.2) < 0.1;
            configurations++;
        }
        if (x0 < 0.4 && attempt < lost)
            ASSERT_OK(hps_trial_fail(t, "node lost"));
        else
            ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, flaky_objective(x0, x1)));
        hps_trial_free(t);
    }
    hps_study_close(study);
    return near;
}

/* A failure whose retry finished says nothing about its point. Seeds 1-4,
 * configurations 10-29 (80), one lost run or two before the one that completes: with
 * every failure modelled at the worst value, 8 and 0 were proposed near the optimum
 * -- the region where every point also carries the worst value looks bad however good
 * its finished values are; with the failures a retry finished left out, 59 and 58.
 * The bar sits between. */
#define MIN_NEAR_OPTIMUM 40

static void test_retried_failure_not_modelled(void **state)
{
    (void)state;
    const char *seeds[4] = {"1", "2", "3", "4"};
    for (long lost = 1; lost <= 2; lost++) {
        int near = 0;
        for (int i = 0; i < 4; i++)
            near += flaky_study(seeds[i], 30, lost);
        printf("%ld lost run(s) per configuration: %d of 80 near the optimum\n", lost, near);
        if (near < MIN_NEAR_OPTIMUM)
            fail_msg("%d of 80 modelled configurations near the optimum", near);
    }
}

/* Runs a trial of `study` with choice `c` of `choices` (n of them), telling it
 * `value`, or FAIL when that is NaN. */
static void run_choice(hps_study *study, const hps_value *choices, size_t n, const char *c,
                       double value)
{
    char params[64];
    snprintf(params, sizeof params, "{\"c\": \"%s\"}", c);
    ASSERT_OK(hps_study_enqueue(study, params, NULL));
    hps_trial *t;
    size_t index;
    ASSERT_OK(hps_study_ask(study, &t));
    ASSERT_OK(hps_trial_suggest_categorical(t, "c", choices, n, &index));
    if (isnan(value))
        ASSERT_OK(hps_trial_fail(t, "diverged"));
    else
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, value));
    hps_trial_free(t);
}

/* A FAIL trial from before the space changed (hps_study_map_space) reaches the model
 * through the new space, as the finished ones do. The choices a, b, c, d are listed
 * reversed since, so a stored index names another choice now. a and b finished, c
 * failed: seen through the new space only d was taken by no trial, and the GP, which
 * never proposes a point a trial took, must propose d although the user's prior
 * favours c. The GP once read its failed trials as stored: index 2 of [a, b, c, d] --
 * b in the new order -- so c looked untried and was proposed again, to fail again. */
static void test_failed_trial_seen_through_changed_space(void **state)
{
    (void)state;
    static const hps_value old[4] = {
        {.type = HPS_VALUE_STRING, .u.s = "a"}, {.type = HPS_VALUE_STRING, .u.s = "b"},
        {.type = HPS_VALUE_STRING, .u.s = "c"}, {.type = HPS_VALUE_STRING, .u.s = "d"}};
    static const hps_value now[4] = {
        {.type = HPS_VALUE_STRING, .u.s = "d"}, {.type = HPS_VALUE_STRING, .u.s = "c"},
        {.type = HPS_VALUE_STRING, .u.s = "b"}, {.type = HPS_VALUE_STRING, .u.s = "a"}};
    const hps_direction dir = HPS_MINIMIZE;
    for (int seed = 1; seed <= 3; seed++) {
        char seed_text[16];
        snprintf(seed_text, sizeof seed_text, "%d", seed);
        hps_study *study = gp_study(seed_text, "2", &dir, 1);
        run_choice(study, old, 4, "a", 1.0);
        run_choice(study, old, 4, "b", 2.0);
        run_choice(study, old, 4, "c", NAN);
        ASSERT_OK(hps_study_map_space(study, "[{\"name\": \"c\", \"distribution\": "
                                             "{\"type\": \"categorical\", \"choices\": "
                                             "[\"d\", \"c\", \"b\", \"a\"]}}]"));
        ASSERT_OK(hps_study_set_prior(study, "c", "{\"weights\": [1, 50, 1, 1]}"));
        hps_trial *t;
        size_t index;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_categorical(t, "c", now, 4, &index));
        printf("seed %d: proposed %s\n", seed, now[index].u.s);
        assert_string_equal(now[index].u.s, "d");
        hps_trial_free(t);
        hps_study_close(study);
    }
}

/* The GP's relative sample under allocation failures with retried failures (retries =
 * 1): some runs' retries completed, some failed too. */
static void test_out_of_memory_with_retries(void **state)
{
    (void)state;
    const hps_direction dir = HPS_MINIMIZE;
    hps_study *study = gp_study("13", NULL, &dir, 1);
    ASSERT_OK(hps_study_set(study, "retries", "1"));
    for (int n = 0; n < 14; n++) {
        hps_trial *t;
        double x0, x1;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_float(t, "x0", 0, 1, 0, 0, &x0));
        ASSERT_OK(hps_trial_suggest_float(t, "x1", 0, 1, 0, 0, &x1));
        long attempt = attempt_of(t);
        if ((n % 3 == 1 && attempt == 0) || n % 5 == 2)
            ASSERT_OK(hps_trial_tell(t, HPS_FAIL, NAN));
        else
            ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, x0 + x1));
        hps_trial_free(t);
    }
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    double values[2];
    testutil_sample_relative_under_oom(study, t, &hps_gp_sampler_ops, values, 2, 800);
    assert_true(isfinite(values[0]) && isfinite(values[1]));
    hps_trial_free(t);
    hps_study_close(study);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failing_region_avoided),
        cmocka_unit_test(test_failing_region_avoided_two_objectives),
        cmocka_unit_test(test_failing_region_avoided_with_constraints),
        cmocka_unit_test(test_out_of_memory_with_failures),
        cmocka_unit_test(test_failed_trial_seen_through_changed_space),
        cmocka_unit_test(test_retried_failure_not_modelled),
        cmocka_unit_test(test_out_of_memory_with_retries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
