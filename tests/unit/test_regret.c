/* test_regret.c -- the regret bound (hps_regret_bound, hps_study_regret_bound): what
 * must hold whatever the model's details -- never negative, deterministic for a seed,
 * in the objective's units (scaling the values scales it), the same for a maximized
 * objective and its negation minimized, smaller once the search has concentrated on
 * the optimum; Optuna's choice of top trials; trials that cannot be used left out; a
 * study's COMPLETE trials giving what the arrays give; every bad input refused with its
 * reason; allocation failures at every point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/mem.h"
#include "base/rng.h"
#include "hpsearch.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SPACE_2D                                                                           \
    "[{\"name\": \"x\", \"distribution\": {\"type\": \"float\", \"low\": 0, \"high\": 1}}," \
    " {\"name\": \"y\", \"distribution\": {\"type\": \"float\", \"low\": 0, \"high\": 1}}]"

/* A smooth objective with its maximum 0 at (0.3, 0.7). */
static double peak(double x, double y)
{
    return -(x - 0.3) * (x - 0.3) - (y - 0.7) * (y - 0.7);
}

/* n points: the first n_random uniform, the others within `radius` of the optimum. */
static void make_points(double *xy, double *v, size_t n, size_t n_random, double radius,
                        uint64_t seed)
{
    hps_rng rng;
    hps_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        double x = hps_rng_uniform(&rng), y = hps_rng_uniform(&rng);
        if (i >= n_random) {
            x = 0.3 + radius * (2 * x - 1);
            y = 0.7 + radius * (2 * y - 1);
        }
        xy[2 * i] = x;
        xy[2 * i + 1] = y;
        v[i] = peak(x, y);
    }
}

static double bound_of(const char *space, const double *xy, const double *v, size_t n,
                       hps_direction dir, double ratio, size_t min_n, uint64_t seed)
{
    double bound = NAN;
    char err[256] = "";
    hps_status rc = hps_regret_bound(space, xy, v, n, dir, ratio, min_n, seed, &bound, err,
                                     sizeof err);
    if (rc != HPS_OK)
        fail_msg("hps_regret_bound: %s: %s", hps_status_name(rc), err);
    return bound;
}

static void test_bound_is_nonnegative_and_deterministic(void **state)
{
    (void)state;
    enum { N = 40 };
    double xy[2 * N], v[N];
    make_points(xy, v, N, N, 0, 7);
    double a = bound_of(SPACE_2D, xy, v, N, HPS_MAXIMIZE, 0.5, 20, 1);
    double b = bound_of(SPACE_2D, xy, v, N, HPS_MAXIMIZE, 0.5, 20, 1);
    print_message("regret bound of 40 random points: %g\n", a);
    assert_true(isfinite(a) && a >= 0);
    assert_true(a == b);
    double other_seed = bound_of(SPACE_2D, xy, v, N, HPS_MAXIMIZE, 0.5, 20, 2);
    assert_true(isfinite(other_seed) && other_seed >= 0);
}

/* The claim of the method: with high probability the bound is at least the true regret
 * -- how far the best trial is from the optimum -- and it tightens as trials accumulate
 * (random ones here, on a function whose optimum is known). */
static void test_bound_covers_the_regret_and_tightens(void **state)
{
    (void)state;
    enum { N = 320 };
    static double xy[2 * N], v[N];
    for (uint64_t seed = 1; seed <= 4; seed++) {
        make_points(xy, v, N, N, 0, seed);
        double first = 0, last = 0, best = -HUGE_VAL;
        for (size_t n = 10, seen = 0; n <= N; n *= 2) {
            for (; seen < n; seen++)
                best = v[seen] > best ? v[seen] : best;
            double bound = bound_of(SPACE_2D, xy, v, n, HPS_MAXIMIZE, 0.5, 20, 1);
            print_message("seed %llu, %3zu random trials: regret %.5f, bound %.5f\n",
                          (unsigned long long)seed, n, -best, bound);
            if (!(bound >= -best))
                fail_msg("seed %llu, %zu trials: bound %g below the true regret %g",
                         (unsigned long long)seed, n, bound, -best);
            first = n == 10 ? bound : first;
            last = bound;
        }
        if (!(last < first / 10))
            fail_msg("seed %llu: bound %g after 10 trials, %g after %d", (unsigned long long)seed,
                     first, last, N);
    }
}

/* In the objective's units; the direction only turns the values around. */
static void test_scale_and_direction(void **state)
{
    (void)state;
    enum { N = 30 };
    double xy[2 * N], v[N], scaled[N], negated[N];
    make_points(xy, v, N, N, 0, 3);
    for (size_t i = 0; i < N; i++) {
        scaled[i] = 10 * v[i] + 5;
        negated[i] = -v[i];
    }
    double base = bound_of(SPACE_2D, xy, v, N, HPS_MAXIMIZE, 0.5, 20, 1);
    double times_ten = bound_of(SPACE_2D, xy, scaled, N, HPS_MAXIMIZE, 0.5, 20, 1);
    double minimized = bound_of(SPACE_2D, xy, negated, N, HPS_MINIMIZE, 0.5, 20, 1);
    if (fabs(times_ten - 10 * base) > 1e-6 * fabs(10 * base))
        fail_msg("values times 10 gave %.17g, expected 10 x %.17g", times_ten, base);
    assert_true(minimized == base);
}

/* Optuna's top trials: clip(floor(n * ratio), min_n_trials, n) -- so with fewer trials
 * than min_n_trials, all of them -- and those tied with the last one. */
static void test_top_trials_as_optuna_takes_them(void **state)
{
    (void)state;
    enum { N = 12 };
    double xy[2 * N], v[N];
    make_points(xy, v, N, N, 0, 5);
    double all = bound_of(SPACE_2D, xy, v, N, HPS_MAXIMIZE, 1.0, 1, 1);
    assert_true(bound_of(SPACE_2D, xy, v, N, HPS_MAXIMIZE, 0.5, 20, 1) == all);
    double half = bound_of(SPACE_2D, xy, v, N, HPS_MAXIMIZE, 0.5, 1, 1);
    assert_true(half != all);
    /* ties with the 6th best join the top: the bound of 7 trials, not of 6 */
    double tied[N];
    memcpy(tied, v, sizeof tied);
    double sorted[N];
    memcpy(sorted, v, sizeof sorted);
    for (size_t i = 0; i < N; i++) /* sorted descending (tiny: insertion sort) */
        for (size_t j = i; j > 0 && sorted[j] > sorted[j - 1]; j--) {
            double t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    for (size_t i = 0; i < N; i++)
        if (tied[i] == sorted[6])
            tied[i] = sorted[5]; /* the 7th best now ties with the 6th */
    double six_plus_tie = bound_of(SPACE_2D, xy, tied, N, HPS_MAXIMIZE, 0.5, 1, 1);
    double seven = bound_of(SPACE_2D, xy, tied, N, HPS_MAXIMIZE, 7.0 / N, 1, 1);
    assert_true(six_plus_tie == seven);
}

/* A trial whose value or a parameter is not finite is left out; an off-grid value is
 * snapped onto its distribution. */
static void test_unusable_trials_are_left_out(void **state)
{
    (void)state;
    enum { N = 25 };
    double xy[2 * (N + 2)], v[N + 2];
    make_points(xy, v, N, N, 0, 9);
    double base = bound_of(SPACE_2D, xy, v, N, HPS_MAXIMIZE, 0.5, 20, 1);
    xy[2 * N] = 0.5;
    xy[2 * N + 1] = 0.5;
    v[N] = NAN;
    xy[2 * N + 2] = INFINITY;
    xy[2 * N + 3] = 0.5;
    v[N + 1] = 1e9;
    assert_true(bound_of(SPACE_2D, xy, v, N + 2, HPS_MAXIMIZE, 0.5, 20, 1) == base);

    const char *ints = "[{\"name\": \"k\", \"distribution\": {\"type\": \"int\", \"low\": 0, "
                       "\"high\": 10, \"step\": 2, \"log\": false}}]";
    double k[4] = {0, 2, 4, 8}, off[4] = {0.1, 2, 3.9, 8}, kv[4] = {1, 2, 3, 2};
    assert_true(bound_of(ints, k, kv, 4, HPS_MAXIMIZE, 1, 1, 1) ==
                bound_of(ints, off, kv, 4, HPS_MAXIMIZE, 1, 1, 1));
}

static void expect_invalid(const char *space, const double *xy, const double *v, size_t n,
                           double ratio, size_t min_n, const char *message)
{
    double bound = 42;
    char err[256] = "";
    hps_status rc = hps_regret_bound(space, xy, v, n, HPS_MINIMIZE, ratio, min_n, 1, &bound,
                                     err, sizeof err);
    if (rc != HPS_ERR_INVALID)
        fail_msg("expected HPS_ERR_INVALID (%s), got %s", message, hps_status_name(rc));
    if (strstr(err, message) == NULL)
        fail_msg("message [%s] does not say [%s]", err, message);
    assert_true(bound == 42);
}

static void test_bad_input_is_refused(void **state)
{
    (void)state;
    double xy[4] = {0.1, 0.2, 0.3, 0.4}, v[2] = {1, 2}, nan_v[2] = {NAN, NAN};
    expect_invalid(NULL, xy, v, 2, 0.5, 20, "non-empty JSON array");
    expect_invalid("[]", xy, v, 2, 0.5, 20, "non-empty JSON array");
    expect_invalid("{\"x\": 1}", xy, v, 2, 0.5, 20, "non-empty JSON array");
    expect_invalid("[{\"name\": \"x\", \"distribution\": {\"type\": \"float\", \"low\": 2, "
                   "\"high\": 1}}, {\"name\": \"y\", \"distribution\": {\"type\": \"float\"}}]",
                   xy, v, 2, 0.5, 20, "x");
    expect_invalid(SPACE_2D, xy, v, 0, 0.5, 20, "no trial has been completed");
    expect_invalid(SPACE_2D, xy, nan_v, 2, 0.5, 20, "no trial has been completed");
    expect_invalid(SPACE_2D, xy, v, 2, -0.5, 20, "top_trials_ratio");
    expect_invalid(SPACE_2D, xy, v, 2, NAN, 20, "top_trials_ratio");
    expect_invalid(SPACE_2D, xy, v, 2, INFINITY, 20, "top_trials_ratio");
    expect_invalid(SPACE_2D, xy, v, 2, 0.5, 0, "min_n_trials");
    expect_invalid(SPACE_2D, NULL, v, 2, 0.5, 20, "needed");
    char err[64];
    assert_int_equal(hps_regret_bound(SPACE_2D, xy, v, 2, HPS_MINIMIZE, 0.5, 20, 1, NULL, err,
                                      sizeof err),
                     HPS_ERR_INVALID);
    /* no error buffer is fine */
    assert_int_equal(hps_regret_bound("[]", xy, v, 2, HPS_MINIMIZE, 0.5, 20, 1, v, NULL, 0),
                     HPS_ERR_INVALID);
}

/* ---- a study's trials ------------------------------------------------------------ */

static hps_study *open_memory(size_t n_directions)
{
    hps_study *study = NULL;
    hps_direction dirs[2] = {HPS_MINIMIZE, HPS_MINIMIZE};
    char err[256];
    if (hps_study_open(":memory:", "s", HPS_OPEN_CREATE, dirs, n_directions, &study, err,
                       sizeof err) != HPS_OK)
        fail_msg("open: %s", err);
    return study;
}

/* A study over a log float, a stepped int and a categorical, with failed, pruned and
 * conditional trials that the bound must not see; the arrays of what it must see. */
static void test_study_matches_its_arrays(void **state)
{
    (void)state;
    enum { N = 30 };
    hps_study *study = open_memory(1);
    double internal[3 * N], values[N];
    size_t row = 0;
    hps_value choices[3] = {{.type = HPS_VALUE_STRING, .u.s = "relu"},
                            {.type = HPS_VALUE_STRING, .u.s = "tanh"},
                            {.type = HPS_VALUE_STRING, .u.s = "gelu"}};
    for (int i = 0; i < N + 6; i++) {
        hps_trial *trial;
        ASSERT_OK(hps_study_ask(study, &trial));
        double lr;
        int64_t width;
        size_t act;
        ASSERT_OK(hps_trial_suggest_float(trial, "lr", 1e-4, 1e-1, 0, HPS_LOG, &lr));
        ASSERT_OK(hps_trial_suggest_int(trial, "width", 16, 256, 16, 0, &width));
        ASSERT_OK(hps_trial_suggest_categorical(trial, "act", choices, 3, &act));
        double loss = pow(log10(lr) + 2.5, 2) + fabs((double)width - 128) / 128 + 0.1 * (double)act;
        if (i % 4 == 1) { /* a parameter only some trials have: not in the space */
            double extra;
            ASSERT_OK(hps_trial_suggest_float(trial, "extra", 0, 1, 0, 0, &extra));
        }
        if (i >= N) {
            if (i % 2 == 0)
                ASSERT_OK(hps_trial_fail(trial, "boom"));
            else
                ASSERT_OK(hps_trial_tell_values(trial, HPS_PRUNED, NULL, 0));
            hps_trial_free(trial);
            continue;
        }
        ASSERT_OK(hps_trial_tell(trial, HPS_COMPLETE, loss));
        internal[3 * row] = lr;
        internal[3 * row + 1] = (double)width;
        internal[3 * row + 2] = (double)act;
        values[row++] = loss;
        hps_trial_free(trial);
    }
    const char *space =
        "[{\"name\": \"lr\", \"distribution\": {\"type\": \"float\", \"low\": 1e-4, \"high\": "
        "0.1, \"log\": true}}, {\"name\": \"width\", \"distribution\": {\"type\": \"int\", "
        "\"low\": 16, \"high\": 256, \"step\": 16}}, {\"name\": \"act\", \"distribution\": "
        "{\"type\": \"categorical\", \"choices\": [\"relu\", \"tanh\", \"gelu\"]}}]";
    double expected = bound_of(space, internal, values, N, HPS_MINIMIZE, 0.5, 20, 4);
    double got = NAN;
    ASSERT_OK(hps_study_regret_bound(study, 0.5, 20, 4, &got));
    print_message("regret bound of the study: %g\n", got);
    assert_true(got == expected);
    hps_study_close(study);
}

static void test_study_refusals(void **state)
{
    (void)state;
    double bound = 42;
    hps_study *study = open_memory(1);
    assert_int_equal(hps_study_regret_bound(study, 0.5, 20, 1, &bound), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_study_errmsg(study), "no COMPLETE trial"));
    hps_trial *trial;
    ASSERT_OK(hps_study_ask(study, &trial)); /* complete, but without parameters */
    ASSERT_OK(hps_trial_tell(trial, HPS_COMPLETE, 1.0));
    hps_trial_free(trial);
    assert_int_equal(hps_study_regret_bound(study, 0.5, 20, 1, &bound), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_study_errmsg(study), "the one COMPLETE trial of study 's' has no parameter"));
    assert_int_equal(hps_study_regret_bound(study, 0.5, 20, 1, NULL), HPS_ERR_INVALID);
    assert_int_equal(hps_study_regret_bound(NULL, 0.5, 20, 1, &bound), HPS_ERR_INVALID);
    hps_study_close(study);
    study = open_memory(2);
    assert_int_equal(hps_study_regret_bound(study, 0.5, 20, 1, &bound), HPS_ERR_UNSUPPORTED);
    assert_non_null(strstr(hps_study_errmsg(study), "2 objectives"));
    hps_study_close(study);
    assert_true(bound == 42);
}

/* Every allocation failing in turn: HPS_ERR_NOMEM, or a bound from a model fitted
 * with fewer tries (a likelihood whose scratch could not be allocated counts as a poor
 * one); no leak (the sanitizer build checks); the same bound once nothing fails. */
static void test_allocation_failures(void **state)
{
    (void)state;
    enum { N = 30 };
    double xy[2 * N], v[N];
    make_points(xy, v, N, N, 0, 13);
    double expected = bound_of(SPACE_2D, xy, v, N, HPS_MAXIMIZE, 0.5, 20, 1);
    int clean = 0;
    for (unsigned long k = 1; k < 5000 && !clean; k++) {
        double bound = NAN;
        hps_mem_fail_after(k);
        hps_status rc = hps_regret_bound(SPACE_2D, xy, v, N, HPS_MAXIMIZE, 0.5, 20, 1, &bound,
                                         NULL, 0);
        clean = hps_mem_fail_after(0) < k; /* the k-th allocation never came */
        if (clean && (rc != HPS_OK || bound != expected))
            fail_msg("without a failure: %s, bound %.17g, expected %.17g", hps_status_name(rc),
                     bound, expected);
        if (rc == HPS_OK && !(bound >= 0 && isfinite(bound)))
            fail_msg("allocation %lu failing gave the bound %g", k, bound);
        if (rc != HPS_OK && rc != HPS_ERR_NOMEM)
            fail_msg("allocation %lu failing gave %s", k, hps_status_name(rc));
    }
    assert_true(clean);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bound_is_nonnegative_and_deterministic),
        cmocka_unit_test(test_bound_covers_the_regret_and_tightens),
        cmocka_unit_test(test_scale_and_direction),
        cmocka_unit_test(test_top_trials_as_optuna_takes_them),
        cmocka_unit_test(test_unusable_trials_are_left_out),
        cmocka_unit_test(test_bad_input_is_refused),
        cmocka_unit_test(test_study_matches_its_arrays),
        cmocka_unit_test(test_study_refusals),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
