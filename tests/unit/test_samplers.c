/* test_samplers.c -- distributions and their encodings; the random, grid and Sobol
 * samplers through the public API: bounds, validity, distribution shape, determinism,
 * coverage and discrepancy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/dist.h"
#include "hpsearch.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hps_study *memory_study(const char *sampler_name, const char *seed)
{
    hps_study *study;
    hps_direction dir = HPS_MINIMIZE;
    char err[256];
    if (hps_study_open(":memory:", "s", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err) != HPS_OK)
        fail_msg("%s", err);
    hps_sampler *sampler;
    ASSERT_OK(hps_sampler_new(sampler_name, &sampler, err, sizeof err));
    if (seed != NULL)
        ASSERT_OK(hps_sampler_set(sampler, "seed", seed));
    ASSERT_OK(hps_study_set_sampler(study, sampler));
    return study;
}

/* ---- distributions ------------------------------------------------------------------ */

static void test_dist_unit_round_trip(void **state)
{
    (void)state;
    hps_errbuf err;
    hps_dist d;
    ASSERT_OK(hps_dist_init_float(&d, "x", 1e-4, 1e-1, 0, HPS_LOG, &err));
    assert_true(fabs(hps_dist_from_unit(&d, 0.0) - 1e-4) < 1e-18);
    assert_true(fabs(hps_dist_from_unit(&d, 0.5) - sqrt(1e-4 * 1e-1)) < 1e-12);
    for (double u = 0; u < 1; u += 0.125)
        assert_true(fabs(hps_dist_to_unit(&d, hps_dist_from_unit(&d, u)) - u) < 1e-12);
    hps_dist_clear(&d);

    /* ints: each value gets an equal share of [0, 1) */
    ASSERT_OK(hps_dist_init_int(&d, "n", 2, 10, 2, 0, &err));
    assert_int_equal(hps_dist_cardinality(&d), 5);
    int counts[11] = {0};
    for (int i = 0; i < 1000; i++)
        counts[(int)hps_dist_from_unit(&d, (i + 0.5) / 1000.0)]++;
    for (int v = 2; v <= 10; v += 2)
        assert_int_equal(counts[v], 200);
    assert_true(hps_dist_contains(&d, 4));
    assert_false(hps_dist_contains(&d, 5));
    assert_false(hps_dist_contains(&d, 12));
    assert_true(hps_dist_snap(&d, 5.2) == 6);
    assert_true(hps_dist_snap(&d, -40) == 2);
    hps_dist_clear(&d);

    /* stepped floats stay on the grid, including the rounding of low + k * step */
    ASSERT_OK(hps_dist_init_float(&d, "f", 0.1, 0.7, 0.2, 0, &err));
    assert_int_equal(hps_dist_cardinality(&d), 4);
    for (int i = 0; i < 100; i++) {
        double x = hps_dist_from_unit(&d, i / 100.0);
        assert_true(hps_dist_contains(&d, x));
        assert_true(x <= 0.7);
    }
    hps_dist_clear(&d);

    /* categorical: index in, choice out; Python-style matching of external values */
    hps_value choices[] = {{.type = HPS_VALUE_INT, .u.i = 1},
                           {.type = HPS_VALUE_STRING, .u.s = "relu"},
                           {.type = HPS_VALUE_BOOL, .u.b = 1},
                           {.type = HPS_VALUE_FLOAT, .u.f = 2.5}};
    ASSERT_OK(hps_dist_init_categorical(&d, "c", choices, 4, &err));
    double idx;
    hps_value v = {.type = HPS_VALUE_STRING, .u.s = "relu"};
    assert_int_equal(hps_dist_internal_of(&d, &v, &idx), 0);
    assert_true(idx == 1);
    v = (hps_value){.type = HPS_VALUE_BOOL, .u.b = 1};
    assert_int_equal(hps_dist_internal_of(&d, &v, &idx), 0);
    assert_true(idx == 2); /* the exact match wins over True == 1 */
    v = (hps_value){.type = HPS_VALUE_FLOAT, .u.f = 1.0};
    assert_int_equal(hps_dist_internal_of(&d, &v, &idx), 0);
    assert_true(idx == 0); /* 1.0 == 1, as in Python */
    v = (hps_value){.type = HPS_VALUE_STRING, .u.s = "tanh"};
    assert_int_equal(hps_dist_internal_of(&d, &v, &idx), -1);
    hps_value ext = hps_dist_external(&d, 3);
    assert_int_equal(ext.type, HPS_VALUE_FLOAT);
    assert_true(ext.u.f == 2.5);
    hps_dist_clear(&d);
}

static void test_dist_json_round_trip(void **state)
{
    (void)state;
    hps_errbuf err;
    hps_dist dists[4];
    hps_value choices[] = {{.type = HPS_VALUE_STRING, .u.s = "a\"b"},
                           {.type = HPS_VALUE_INT, .u.i = -7},
                           {.type = HPS_VALUE_FLOAT, .u.f = 0.1},
                           {.type = HPS_VALUE_BOOL, .u.b = 0}};
    ASSERT_OK(hps_dist_init_float(&dists[0], "a", 1e-5, 0.3, 0, HPS_LOG, &err));
    ASSERT_OK(hps_dist_init_float(&dists[1], "b", -1, 1, 0.1, 0, &err));
    ASSERT_OK(hps_dist_init_int(&dists[2], "c", 32, 256, 32, 0, &err));
    ASSERT_OK(hps_dist_init_categorical(&dists[3], "d", choices, 4, &err));
    for (int i = 0; i < 4; i++) {
        json_t *node = hps_dist_to_json_node(&dists[i]);
        char *text = json_dumps(node, JSON_COMPACT | JSON_REAL_PRECISION(17));
        json_decref(node);
        json_t *parsed = json_loads(text, 0, NULL);
        hps_dist back;
        assert_int_equal(hps_dist_from_json_node(&back, "x", parsed, &err), 0);
        assert_true(hps_dist_equal(&back, &dists[i]));
        json_decref(parsed);
        free(text);
        hps_dist_clear(&back);
        hps_dist_clear(&dists[i]);
    }
    /* malformed stored forms are errors, not crashes */
    const char *bad[] = {"{}", "{\"type\":\"float\"}", "{\"type\":\"float\",\"low\":2,\"high\":1}",
                         "{\"type\":\"int\",\"low\":0.5,\"high\":3}",
                         "{\"type\":\"categorical\",\"choices\":[]}",
                         "{\"type\":\"categorical\",\"choices\":[[1]]}", "{\"type\":\"cube\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *parsed = json_loads(bad[i], 0, NULL);
        hps_dist d;
        assert_int_equal(hps_dist_from_json_node(&d, "x", parsed, &err), HPS_ERR_CORRUPT);
        hps_dist_clear(&d);
        json_decref(parsed);
    }
}

/* ---- random sampler ------------------------------------------------------------------ */

static void test_random_bounds_and_log_uniform(void **state)
{
    (void)state;
    hps_study *study = memory_study("random", "42");
    enum { N = 4000 };
    int decade[3] = {0};
    int ints[6] = {0};
    int cats[3] = {0};
    hps_value choices[] = {{.type = HPS_VALUE_STRING, .u.s = "a"},
                           {.type = HPS_VALUE_STRING, .u.s = "b"},
                           {.type = HPS_VALUE_STRING, .u.s = "c"}};
    for (int i = 0; i < N; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        double lr, q;
        int64_t n, big;
        size_t c;
        ASSERT_OK(hps_trial_suggest_float(t, "lr", 1e-4, 1e-1, 0, HPS_LOG, &lr));
        ASSERT_OK(hps_trial_suggest_int(t, "n", 0, 5, 1, 0, &n));
        ASSERT_OK(hps_trial_suggest_int(t, "big", 32, 256, 32, 0, &big));
        ASSERT_OK(hps_trial_suggest_float(t, "q", -1, 1, 0.25, 0, &q));
        ASSERT_OK(hps_trial_suggest_categorical(t, "c", choices, 3, &c));
        assert_true(lr >= 1e-4 && lr <= 1e-1);
        assert_true(n >= 0 && n <= 5);
        assert_true(big >= 32 && big <= 256 && big % 32 == 0);
        assert_true(q >= -1 && q <= 1 && fabs(q * 4 - nearbyint(q * 4)) < 1e-12);
        assert_true(c < 3);
        decade[(int)floor(log10(lr) + 4) < 3 ? (int)floor(log10(lr) + 4) : 2]++;
        ints[n]++;
        cats[c]++;
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, lr));
        hps_trial_free(t);
    }
    /* log-uniform: each decade of [1e-4, 1e-1] gets a third; uniform would give
     * 0.1%, 0.9% and 99% */
    for (int k = 0; k < 3; k++) {
        double share = decade[k] / (double)N;
        printf("decade 1e%d: %.3f\n", k - 4, share);
        assert_true(fabs(share - 1.0 / 3) < 0.035);
    }
    for (int v = 0; v < 6; v++)
        assert_true(fabs(ints[v] / (double)N - 1.0 / 6) < 0.03);
    for (int v = 0; v < 3; v++)
        assert_true(fabs(cats[v] / (double)N - 1.0 / 3) < 0.035);
    hps_study_close(study);
}

/* Values of parameter "x" in the first n trials of a fresh study. */
static void sample_sequence(const char *sampler, const char *seed, double *out, int n)
{
    hps_study *study = memory_study(sampler, seed);
    for (int i = 0; i < n; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &out[i]));
        hps_trial_free(t);
    }
    hps_study_close(study);
}

static void test_seeded_samplers_are_deterministic(void **state)
{
    (void)state;
    const char *names[] = {"random", "sobol"};
    for (int k = 0; k < 2; k++) {
        double a[16], b[16], c[16];
        sample_sequence(names[k], "7", a, 16);
        sample_sequence(names[k], "7", b, 16);
        sample_sequence(names[k], "8", c, 16);
        assert_memory_equal(a, b, sizeof a);
        assert_memory_not_equal(a, c, sizeof a);
        double u[16];
        sample_sequence(names[k], NULL, u, 16); /* unseeded: a fresh OS seed */
        assert_memory_not_equal(a, u, sizeof a);
    }
}

/* ---- Sobol sampler -------------------------------------------------------------- */

/* L2-star discrepancy (Warnock's formula) of n points in d dimensions. */
static double l2_star(const double *pts, int n, int d)
{
    double a = 1.0 / pow(3.0, d), b = 0, c = 0;
    for (int i = 0; i < n; i++) {
        double p = 1;
        for (int k = 0; k < d; k++)
            p *= 1 - pts[i * d + k] * pts[i * d + k];
        b += p;
        for (int j = 0; j < n; j++) {
            double q = 1;
            for (int k = 0; k < d; k++)
                q *= 1 - fmax(pts[i * d + k], pts[j * d + k]);
            c += q;
        }
    }
    return sqrt(a - b * pow(2.0, 1 - d) / n + c / ((double)n * n));
}

static void collect_points(const char *sampler, const char *seed, double *pts, int n, int d)
{
    hps_study *study = memory_study(sampler, seed);
    const char *names[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < n; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        for (int k = 0; k < d; k++)
            ASSERT_OK(hps_trial_suggest_float(t, names[k], 0, 1, 0, 0, &pts[i * d + k]));
        hps_trial_free(t);
    }
    hps_study_close(study);
}

static void test_sobol_discrepancy_beats_random(void **state)
{
    (void)state;
    enum { N = 128, D = 5 };
    static double sobol_pts[N * D], random_pts[N * D];
    const char *seeds[] = {"1", "2", "3", "4", "5"};
    for (int s = 0; s < 5; s++) {
        collect_points("sobol", seeds[s], sobol_pts, N, D);
        collect_points("random", seeds[s], random_pts, N, D);
        double ds = l2_star(sobol_pts, N, D), dr = l2_star(random_pts, N, D);
        printf("seed %s: L2-star discrepancy sobol %.5f, random %.5f\n", seeds[s], ds, dr);
        assert_true(ds < dr);
        for (int i = 0; i < N * D; i++)
            assert_true(sobol_pts[i] >= 0 && sobol_pts[i] <= 1);
    }
    /* Sobol dimension by suggestion order: the first parameter of 8 trials is
     * stratified, one point per eighth of [0, 1) */
    int strata[8] = {0};
    collect_points("sobol", "9", sobol_pts, 8, 1);
    for (int i = 0; i < 8; i++)
        strata[(int)(sobol_pts[i] * 8)]++;
    for (int k = 0; k < 8; k++)
        assert_int_equal(strata[k], 1);
}

static void test_sampler_options(void **state)
{
    (void)state;
    hps_sampler *s;
    char err[256];
    assert_int_equal(hps_sampler_new("bayes-magic", &s, err, sizeof err), HPS_ERR_INVALID);
    assert_null(s);
    assert_non_null(strstr(err, "unknown sampler 'bayes-magic'"));
    ASSERT_OK(hps_sampler_new("random", &s, err, sizeof err));
    assert_int_equal(hps_sampler_set(s, "seed", "-1"), HPS_ERR_INVALID);
    assert_int_equal(hps_sampler_set(s, "seed", "12abc"), HPS_ERR_INVALID);
    assert_int_equal(hps_sampler_set(s, "shuffle", "true"), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_sampler_errmsg(s), "has no option 'shuffle'"));
    hps_value v = {.type = HPS_VALUE_INT, .u.i = 1};
    assert_int_equal(hps_sampler_grid_add(s, "x", &v, 1), HPS_ERR_INVALID);
    hps_sampler_free(s);
    ASSERT_OK(hps_sampler_new("grid", &s, err, sizeof err));
    assert_int_equal(hps_sampler_grid_add(s, "x", NULL, 0), HPS_ERR_INVALID);
    ASSERT_OK(hps_sampler_grid_add(s, "x", &v, 1));
    assert_int_equal(hps_sampler_grid_add(s, "x", &v, 1), HPS_ERR_EXISTS);
    assert_int_equal(hps_sampler_set(s, "shuffle", "maybe"), HPS_ERR_INVALID);
    hps_sampler_free(s);
    hps_sampler_free(NULL);
    /* a grid with no parameters cannot join a study */
    hps_study *study;
    hps_direction dir = HPS_MINIMIZE;
    ASSERT_OK(hps_study_open(":memory:", "g", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err));
    ASSERT_OK(hps_sampler_new("grid", &s, err, sizeof err));
    assert_int_equal(hps_study_set_sampler(study, s), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_study_errmsg(study), "no parameters"));
    /* a grid value outside the suggested distribution is an error naming both */
    ASSERT_OK(hps_sampler_new("grid", &s, err, sizeof err));
    hps_value big = {.type = HPS_VALUE_FLOAT, .u.f = 5.0};
    ASSERT_OK(hps_sampler_grid_add(s, "x", &big, 1));
    ASSERT_OK(hps_study_set_sampler(study, s));
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    double x;
    assert_int_equal(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_trial_errmsg(t), "grid value 5.0 of parameter 'x'"));
    assert_int_equal(hps_trial_suggest_float(t, "y", 0, 1, 0, 0, &x), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_trial_errmsg(t), "'y' is not part of the grid"));
    hps_trial_free(t);
    hps_study_close(study);
}

/* hps_trial_fix_params (PartialFixedSampler): fixed names take their values whatever the
 * sampler, an enqueued trial's own values win, a value outside the distribution and a
 * non-object are refused with a message. */
static void test_fix_params(void **state)
{
    (void)state;
    hps_study *study = memory_study("tpe", "3");
    ASSERT_OK(hps_study_enqueue(study, "{\"y\": 4}", NULL));
    for (int i = 0; i < 12; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_fix_params(t, "{\"y\": 2, \"z\": 1.5}"));
        double x, z;
        int64_t y;
        ASSERT_OK(hps_trial_suggest_float(t, "x", -1, 1, 0, 0, &x));
        ASSERT_OK(hps_trial_suggest_int(t, "y", 0, 5, 1, 0, &y));
        ASSERT_OK(hps_trial_suggest_float(t, "z", 0, 2, 0, 0, &z));
        assert_int_equal(y, i == 0 ? 4 : 2);
        assert_true(z == 1.5);
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, x * x + (double)y));
        hps_trial_free(t);
    }
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    assert_int_equal(hps_trial_fix_params(t, "[1]"), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_trial_errmsg(t), "JSON object"));
    ASSERT_OK(hps_trial_fix_params(t, "{\"y\": 9}"));
    int64_t y;
    assert_int_equal(hps_trial_suggest_int(t, "y", 0, 5, 1, 0, &y), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_trial_errmsg(t), "parameter 'y'"));
    ASSERT_OK(hps_trial_tell(t, HPS_FAIL, 0));
    assert_int_equal(hps_trial_fix_params(t, "{}"), HPS_ERR_STATE);
    hps_trial_free(t);
    hps_study_close(study);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dist_unit_round_trip),
        cmocka_unit_test(test_dist_json_round_trip),
        cmocka_unit_test(test_random_bounds_and_log_uniform),
        cmocka_unit_test(test_seeded_samplers_are_deterministic),
        cmocka_unit_test(test_sobol_discrepancy_beats_random),
        cmocka_unit_test(test_sampler_options),
        cmocka_unit_test(test_fix_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
