/* test_cmaes.c -- the CMA-ES sampler: convergence on a sphere and a rotated
 * ellipsoid, restarts (IPOP, BIPOP) on a multimodal function, integers kept integral
 * with the margin, categoricals left to independent sampling, determinism with a seed,
 * the same run after the process restarts (state rebuilt from stored trials), several
 * workers on one study, and option validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/mem.h"
#include "engine/study.h"
#include "hpsearch.h"
#include "engine/history.h"
#include "samplers/sampler.h"
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIMS 5

static hps_sampler *make_sampler(const char *seed, const char *const *opts)
{
    hps_sampler *sampler;
    char err[256];
    if (hps_sampler_new("cmaes", &sampler, err, sizeof err) != HPS_OK)
        fail_msg("%s", err);
    if (seed != NULL)
        ASSERT_OK(hps_sampler_set(sampler, "seed", seed));
    for (size_t i = 0; opts != NULL && opts[i] != NULL; i += 2)
        if (hps_sampler_set(sampler, opts[i], opts[i + 1]) != HPS_OK)
            fail_msg("%s=%s: %s", opts[i], opts[i + 1], hps_sampler_errmsg(sampler));
    return sampler;
}

static hps_study *open_study(const char *url, const char *seed, const char *const *opts)
{
    hps_study *study;
    hps_direction dir = HPS_MINIMIZE;
    char err[256];
    if (hps_study_open(url, "cma", HPS_OPEN_CREATE | HPS_OPEN_LOAD, &dir, 1, &study, err,
                       sizeof err) != HPS_OK)
        fail_msg("%s", err);
    ASSERT_OK(hps_study_set_sampler(study, make_sampler(seed, opts)));
    return study;
}

typedef double (*objective)(const double *x, size_t d);

static double sphere(const double *x, size_t d)
{
    double s = 0;
    for (size_t i = 0; i < d; i++)
        s += (x[i] - 0.1 * (double)(i + 1)) * (x[i] - 0.1 * (double)(i + 1));
    return s;
}

/* f(x) = sum_i 10^(6 i / (d - 1)) (sum_{j <= i} (x_j - 0.5))^2: condition 1e6 in a
 * rotated frame (Schwefel's 1.2 with scaling), minimum 0 at x = 0.5. */
static double rotated_ellipsoid(const double *x, size_t d)
{
    double s = 0, y = 0;
    for (size_t i = 0; i < d; i++) {
        y += x[i] - 0.5;
        s += pow(1e6, (double)i / (double)(d - 1)) * y * y;
    }
    return s;
}

static double rastrigin(const double *x, size_t d)
{
    double s = 10.0 * (double)d;
    for (size_t i = 0; i < d; i++)
        s += x[i] * x[i] - 10 * cos(2 * 3.14159265358979323846 * x[i]);
    return s;
}

/* One trial over d floats in [-5, 5]; returns its value. */
static double run_trial_d(hps_study *study, objective fn, size_t d, double *x_out)
{
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    double x[DIMS];
    for (size_t i = 0; i < d; i++) {
        char name[24];
        snprintf(name, sizeof name, "x%zu", i);
        ASSERT_OK(hps_trial_suggest_float(t, name, -5, 5, 0, 0, &x[i]));
        assert_true(x[i] >= -5 && x[i] <= 5);
    }
    double y = fn(x, d);
    ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, y));
    hps_trial_free(t);
    if (x_out != NULL)
        memcpy(x_out, x, d * sizeof x[0]);
    return y;
}

static double run_trial(hps_study *study, objective fn, double *x_out)
{
    return run_trial_d(study, fn, DIMS, x_out);
}

/* Runs until f < target or the budget is spent; returns the number of trials used. */
static int minimize_d(hps_study *study, objective fn, size_t d, int budget, double target,
                      double *best)
{
    *best = INFINITY;
    for (int i = 0; i < budget; i++) {
        double y = run_trial_d(study, fn, d, NULL);
        if (y < *best)
            *best = y;
        if (*best < target)
            return i + 1;
    }
    return budget;
}

static int minimize(hps_study *study, objective fn, int budget, double target, double *best)
{
    return minimize_d(study, fn, DIMS, budget, target, best);
}

/* The "cmaes" system attribute of trial `number`, parsed (caller decrefs), or NULL. */
static json_t *tag_of(hps_study *study, int64_t number)
{
    const hps_frozen *f;
    ASSERT_OK(hps_study_trial(study, number, &f));
    json_t *attrs = json_loads(hps_frozen_system_attrs(f), 0, NULL);
    assert_non_null(attrs);
    json_t *tag = json_incref(json_object_get(attrs, "cmaes"));
    json_decref(attrs);
    return tag;
}

static void test_sphere_converges(void **state)
{
    (void)state;
    hps_study *study = open_study(":memory:", "3", NULL);
    double best;
    int used = minimize(study, sphere, 600, 1e-6, &best);
    assert_true(best < 1e-6);
    assert_true(used <= 600);
    /* every trial carries its candidate: restart 0, a generation, 5 raw coordinates */
    json_t *tag = tag_of(study, used - 1);
    assert_non_null(tag);
    assert_int_equal(json_integer_value(json_object_get(tag, "r")), 0);
    assert_true(json_integer_value(json_object_get(tag, "g")) > 10);
    assert_int_equal(json_array_size(json_object_get(tag, "x")), DIMS);
    json_decref(tag);
    hps_study_close(study);
}

static void test_rotated_ellipsoid_converges(void **state)
{
    (void)state;
    hps_study *study = open_study(":memory:", "5", NULL);
    double best;
    int used = minimize(study, rotated_ellipsoid, 3000, 1e-6, &best);
    if (best >= 1e-6)
        fail_msg("rotated ellipsoid: best %g after %d trials", best, used);
    hps_study_close(study);
}

/* Counts trials per (restart, generation 0) and the highest restart index. Trial 0 has
 * no tag: before any trial finishes there is no relative space, so it is independent. */
static void restart_stats(hps_study *study, int n_trials, int *max_r, int gen0_count[8])
{
    *max_r = 0;
    memset(gen0_count, 0, 8 * sizeof *gen0_count);
    json_t *first = tag_of(study, 0);
    assert_null(first);
    for (int i = 1; i < n_trials; i++) {
        json_t *tag = tag_of(study, i);
        assert_non_null(tag);
        int r = (int)json_integer_value(json_object_get(tag, "r"));
        int64_t g = json_integer_value(json_object_get(tag, "g"));
        if (r > *max_r)
            *max_r = r;
        if (g == 0 && r < 8)
            gen0_count[r]++;
        json_decref(tag);
    }
}

/* Restarts on the 2-D Rastrigin function, whose runs stop (flat values on a local
 * minimum) after a few hundred evaluations. */
static void test_ipop_restarts_on_rastrigin(void **state)
{
    (void)state;
    const char *opts[] = {"restart_strategy", "ipop", NULL};
    hps_study *study = open_study(":memory:", "3", opts);
    double best;
    minimize_d(study, rastrigin, 2, 1200, -1, &best);
    int max_r, gen0[8];
    restart_stats(study, 1200, &max_r, gen0);
    assert_true(max_r >= 1);
    /* default population for 2 dimensions: 4 + floor(3 ln 2) = 6, doubled per restart;
     * one worker, so each generation holds exactly its population */
    assert_int_equal(gen0[0], 6);
    assert_int_equal(gen0[1], 12);
    hps_study_close(study);

    /* without restarts the first run just keeps going */
    const char *none[] = {"restart_strategy", "none", NULL};
    study = open_study(":memory:", "3", none);
    minimize_d(study, rastrigin, 2, 1200, -1, &best);
    restart_stats(study, 1200, &max_r, gen0);
    assert_int_equal(max_r, 0);
    hps_study_close(study);
}

static void test_bipop_restarts(void **state)
{
    (void)state;
    const char *opts[] = {"restart_strategy", "bipop", NULL};
    hps_study *study = open_study(":memory:", "3", opts);
    double best;
    minimize_d(study, rastrigin, 2, 1800, -1, &best);
    int max_r, gen0[8];
    restart_stats(study, 1800, &max_r, gen0);
    assert_true(max_r >= 2);
    /* the first restart is a large-population run (twice the default 6); the large
     * regime has then used more evaluations, so a small-population run follows, whose
     * population lies between the default and half the last large one (here 6) */
    assert_int_equal(gen0[1], 12);
    assert_int_equal(gen0[2], 6);
    hps_study_close(study);
}

/* Integers and stepped floats stay valid; with the margin the integer coordinate keeps
 * moving and finds its optimum. */
static void test_integers_with_margin(void **state)
{
    (void)state;
    for (int margin = 0; margin <= 1; margin++) {
        const char *opts[] = {"with_margin", margin ? "true" : "false", NULL};
        hps_study *study = open_study(":memory:", "11", opts);
        double best = INFINITY;
        int64_t best_k = -1, best_b = -1;
        for (int i = 0; i < 400; i++) {
            hps_trial *t;
            ASSERT_OK(hps_study_ask(study, &t));
            double x, s;
            int64_t k, b;
            ASSERT_OK(hps_trial_suggest_float(t, "x", -3, 3, 0, 0, &x));
            ASSERT_OK(hps_trial_suggest_int(t, "k", 0, 20, 1, 0, &k));
            ASSERT_OK(hps_trial_suggest_int(t, "b", 1, 1024, 1, HPS_LOG, &b));
            ASSERT_OK(hps_trial_suggest_float(t, "s", 0, 1, 0.25, 0, &s));
            assert_true(k >= 0 && k <= 20);
            assert_true(b >= 1 && b <= 1024);
            assert_true(s == 0 || s == 0.25 || s == 0.5 || s == 0.75 || s == 1);
            double y = (x - 1) * (x - 1) + 0.3 * (double)((k - 7) * (k - 7)) +
                       pow(log2((double)b) - 5, 2) + (s - 0.75) * (s - 0.75);
            if (y < best) {
                best = y;
                best_k = k;
                best_b = b;
            }
            ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, y));
            hps_trial_free(t);
        }
        if (margin) {
            assert_int_equal(best_k, 7);
            assert_int_equal(best_b, 32);
            assert_true(best < 0.01);
        }
        hps_study_close(study);
    }
}

/* Categoricals are not in the candidate: they are drawn independently and uniformly. */
static void test_categorical_falls_back(void **state)
{
    (void)state;
    hps_study *study = open_study(":memory:", "2", NULL);
    hps_value choices[] = {{.type = HPS_VALUE_STRING, .u.s = "a"},
                           {.type = HPS_VALUE_STRING, .u.s = "b"},
                           {.type = HPS_VALUE_STRING, .u.s = "c"}};
    int counts[3] = {0};
    for (int i = 0; i < 300; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        double x, y;
        size_t c;
        ASSERT_OK(hps_trial_suggest_float(t, "x", -1, 1, 0, 0, &x));
        ASSERT_OK(hps_trial_suggest_categorical(t, "c", choices, 3, &c));
        ASSERT_OK(hps_trial_suggest_float(t, "y", -1, 1, 0, 0, &y));
        if (i >= 100)
            counts[c]++;
        /* choice "a" is best, yet the sampler does not model it */
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, x * x + y * y + (c == 0 ? 0 : 1)));
        hps_trial_free(t);
    }
    for (int c = 0; c < 3; c++)
        assert_true(counts[c] > 40 && counts[c] < 95);
    json_t *tag = tag_of(study, 250);
    assert_non_null(tag);
    assert_int_equal(json_array_size(json_object_get(tag, "x")), 2);
    json_decref(tag);
    hps_study_close(study);
}

/* hps_trial_last_independent says which values CMA-ES did not draw: every one before a
 * trial has finished, then the categorical and the conditional parameter, never the two
 * numeric ones every trial has; a value fixed or suggested again is not drawn at all. */
static void test_last_independent(void **state)
{
    (void)state;
    hps_study *study = open_study(":memory:", "4", NULL);
    hps_value choices[] = {{.type = HPS_VALUE_STRING, .u.s = "adam"},
                           {.type = HPS_VALUE_STRING, .u.s = "sgd"}};
    int drawn_alone[4] = {0}, asked[4] = {0};
    for (int i = 0; i < 30; i++) {
        hps_trial *t;
        double x, y, momentum;
        size_t opt;
        ASSERT_OK(hps_study_ask(study, &t));
        assert_int_equal(hps_trial_last_independent(t), 0); /* nothing suggested yet */
        ASSERT_OK(hps_trial_suggest_float(t, "x", -1, 1, 0, 0, &x));
        int x_alone = hps_trial_last_independent(t);
        ASSERT_OK(hps_trial_suggest_categorical(t, "opt", choices, 2, &opt));
        int opt_alone = hps_trial_last_independent(t);
        ASSERT_OK(hps_trial_suggest_float(t, "y", -1, 1, 0, 0, &y));
        int y_alone = hps_trial_last_independent(t);
        if (i == 0) {
            assert_true(x_alone && opt_alone && y_alone); /* no finished trial: no space */
        } else {
            drawn_alone[0] += x_alone, asked[0]++;
            drawn_alone[1] += y_alone, asked[1]++;
            drawn_alone[2] += opt_alone, asked[2]++;
        }
        if (opt == 1) {
            ASSERT_OK(hps_trial_suggest_float(t, "momentum", 0.5, 0.99, 0, 0, &momentum));
            if (i > 0)
                drawn_alone[3] += hps_trial_last_independent(t), asked[3]++;
        }
        /* suggested again: the value recorded, nothing drawn */
        ASSERT_OK(hps_trial_suggest_categorical(t, "opt", choices, 2, &opt));
        assert_int_equal(hps_trial_last_independent(t), 0);
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, x * x + y * y + (double)opt));
        hps_trial_free(t);
    }
    assert_int_equal(drawn_alone[0], 0);
    assert_int_equal(drawn_alone[1], 0);
    assert_int_equal(drawn_alone[2], asked[2]);
    assert_true(asked[3] > 0);
    assert_int_equal(drawn_alone[3], asked[3]);
    /* a fixed value is the caller's, not the sampler's */
    hps_trial *t;
    double x;
    ASSERT_OK(hps_study_ask(study, &t));
    ASSERT_OK(hps_trial_fix_params(t, "{\"opt\": \"sgd\"}"));
    size_t opt;
    ASSERT_OK(hps_trial_suggest_float(t, "x", -1, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_suggest_categorical(t, "opt", choices, 2, &opt));
    assert_int_equal(opt, 1);
    assert_int_equal(hps_trial_last_independent(t), 0);
    hps_trial_free(t);
    hps_study_close(study);
}

static void record_run(const char *seed, double *xs, int n)
{
    hps_study *study = open_study(":memory:", seed, NULL);
    for (int i = 0; i < n; i++)
        run_trial(study, sphere, &xs[i * DIMS]);
    hps_study_close(study);
}

static void test_determinism(void **state)
{
    (void)state;
    enum { N = 60 };
    double a[N * DIMS], b[N * DIMS], c[N * DIMS];
    record_run("17", a, N);
    record_run("17", b, N);
    record_run("18", c, N);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
}

/* A process that stops and comes back continues exactly where it was: the state is a
 * function of the stored trials. */
static void test_resume_after_restart(void **state)
{
    (void)state;
    enum { N = 120, CUT = 53 };
    double straight[N * DIMS], resumed[N * DIMS];
    const char *url1 = "sqlite:";
    char path1[4096], path2[4096];
    snprintf(path1, sizeof path1, "%s%s", url1, testutil_path("straight.db"));
    snprintf(path2, sizeof path2, "%s%s", url1, testutil_path("resumed.db"));
    hps_study *study = open_study(path1, "9", NULL);
    for (int i = 0; i < N; i++)
        run_trial(study, sphere, &straight[i * DIMS]);
    hps_study_close(study);

    study = open_study(path2, "9", NULL);
    for (int i = 0; i < CUT; i++)
        run_trial(study, sphere, &resumed[i * DIMS]);
    hps_study_close(study);
    study = open_study(path2, "9", NULL); /* a new process: nothing in memory */
    for (int i = CUT; i < N; i++)
        run_trial(study, sphere, &resumed[i * DIMS]);
    hps_study_close(study);
    assert_memory_equal(straight, resumed, sizeof straight);
}

/* Two workers on one study, asking in turn with trials in flight: generations fill from
 * both, and the search still converges. */
static void test_two_workers(void **state)
{
    (void)state;
    char url[4096];
    snprintf(url, sizeof url, "sqlite:%s", testutil_path("workers.db"));
    hps_study *w1 = open_study(url, "21", NULL), *w2 = open_study(url, "21", NULL);
    double best = INFINITY;
    for (int round = 0; round < 150; round++) {
        hps_trial *t1, *t2;
        ASSERT_OK(hps_study_ask(w1, &t1));
        ASSERT_OK(hps_study_ask(w2, &t2));
        hps_trial *ts[2] = {t1, t2};
        for (int k = 0; k < 2; k++) {
            double x[DIMS];
            for (size_t i = 0; i < DIMS; i++) {
                char name[24];
                snprintf(name, sizeof name, "x%zu", i);
                ASSERT_OK(hps_trial_suggest_float(ts[k], name, -5, 5, 0, 0, &x[i]));
            }
            double y = sphere(x, DIMS);
            best = fmin(best, y);
            ASSERT_OK(hps_trial_tell(ts[k], HPS_COMPLETE, y));
            hps_trial_free(ts[k]);
        }
    }
    assert_true(best < 1e-4);
    hps_study_close(w1);
    hps_study_close(w2);
}

static void test_startup_and_options(void **state)
{
    (void)state;
    const char *opts[] = {"n_startup_trials", "7", "popsize", "6", "sigma0", "0.3", NULL};
    hps_study *study = open_study(":memory:", "1", opts);
    for (int i = 0; i < 20; i++)
        run_trial(study, sphere, NULL);
    for (int i = 0; i < 7; i++) {
        json_t *tag = tag_of(study, i);
        assert_null(tag); /* start-up trials are independent */
    }
    int gen0 = 0;
    for (int i = 7; i < 20; i++) {
        json_t *tag = tag_of(study, i);
        assert_non_null(tag);
        gen0 += json_integer_value(json_object_get(tag, "g")) == 0;
        json_decref(tag);
    }
    assert_int_equal(gen0, 6);
    hps_study_close(study);

    /* the smallest population (one parent, c_mu = 0) still works */
    const char *tiny[] = {"popsize", "2", NULL};
    study = open_study(":memory:", "1", tiny);
    double best;
    minimize(study, sphere, 300, -1, &best);
    assert_true(best < 1);
    hps_study_close(study);

    hps_sampler *s;
    char err[256];
    ASSERT_OK(hps_sampler_new("cmaes", &s, err, sizeof err));
    static const char *const bad[][2] = {
        {"sigma0", "0"},        {"sigma0", "1.5"},       {"sigma0", "abc"},
        {"popsize", "1"},       {"popsize", "-3"},       {"popsize", "99999999"},
        {"inc_popsize", "1"},   {"restart_strategy", "lipop"}, {"with_margin", "maybe"},
        {"n_startup_trials", "-1"}, {"multivariate", "true"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (hps_sampler_set(s, bad[i][0], bad[i][1]) != HPS_ERR_INVALID)
            fail_msg("%s=%s was accepted", bad[i][0], bad[i][1]);
        assert_non_null(strstr(hps_sampler_errmsg(s), bad[i][0]));
    }
    ASSERT_OK(hps_sampler_set(s, "popsize", "0"));
    ASSERT_OK(hps_sampler_set(s, "restart_strategy", "BIPOP"));
    ASSERT_OK(hps_sampler_set(s, "with_margin", "false"));

    /* one objective only */
    hps_study *mo;
    hps_direction dirs[2] = {HPS_MINIMIZE, HPS_MAXIMIZE};
    ASSERT_OK(hps_study_open(":memory:", "mo", HPS_OPEN_CREATE, dirs, 2, &mo, err, sizeof err));
    assert_int_equal(hps_study_set_sampler(mo, s), HPS_ERR_UNSUPPORTED);
    assert_non_null(strstr(hps_study_errmsg(mo), "one objective"));
    hps_study_close(mo);
}

/* A space that changes (a new parameter in every trial) restarts the strategy for the
 * new space instead of mixing candidates of different shapes. */
static void test_space_change(void **state)
{
    (void)state;
    hps_study *study = open_study(":memory:", "8", NULL);
    for (int i = 0; i < 30; i++)
        run_trial(study, sphere, NULL);
    for (int i = 0; i < 30; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        double a, b;
        ASSERT_OK(hps_trial_suggest_float(t, "a", 0, 1, 0, 0, &a));
        ASSERT_OK(hps_trial_suggest_float(t, "b", 0, 1, 0, 0, &b));
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, a + b));
        hps_trial_free(t);
    }
    /* the relative space is now empty (no parameter in every trial): independent */
    json_t *tag = tag_of(study, 59);
    assert_null(tag);
    hps_study_close(study);
}

/* Every allocation failing in turn: the sampler reports the failure, drops its state,
 * and the next call rebuilds it from the stored trials -- to the same candidate. */
static void test_out_of_memory(void **state)
{
    (void)state;
    hps_study *study = open_study(":memory:", "14", NULL);
    for (int i = 0; i < 40; i++)
        run_trial(study, sphere, NULL);
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    hps_history h;
    ASSERT_OK(hps_history_collect(study, t, &h));
    hps_engine_ctx e;
    hps_study_context(study, t, &e);
    assert_int_equal(h.space.n, DIMS);
    double want[DIMS];
    for (size_t i = 0; i < DIMS; i++)
        want[i] = NAN;
    ASSERT_OK(hps_cmaes_sampler_ops.sample_relative(study->sampler, &e.ctx, &h, want));
    int ok = 0;
    for (unsigned long n = 1; n < 5000 && !ok; n++) {
        double got[DIMS];
        for (size_t i = 0; i < DIMS; i++)
            got[i] = NAN;
        /* a fresh sampler each round: the state is rebuilt by replaying the history */
        hps_sampler *fresh = make_sampler("14", NULL);
        hps_mem_fail_after(n);
        hps_status rc = hps_cmaes_sampler_ops.sample_relative(fresh, &e.ctx, &h, got);
        hps_mem_fail_after(0);
        if (rc == HPS_OK) {
            assert_memory_equal(got, want, sizeof got);
            ok = 1;
        } else {
            assert_true(rc == HPS_ERR_NOMEM || rc == HPS_ERR_STORAGE);
        }
        hps_sampler_free(fresh);
    }
    assert_true(ok);
    hps_history_clear(&h);
    hps_trial_free(t);
    run_trial(study, sphere, NULL);
    hps_study_close(study);
}

/* source_trials: with earlier trials near a point far from the middle, the first
 * generation is drawn around that point (the best tenth of the source trials, with the
 * spread they and alpha give), not around the middle of the space. */
static char *source_json(int count, const double *centre, int skip_x4_every)
{
    json_t *list = json_array();
    unsigned seed = 12345;
    for (int i = 0; i < count; i++) {
        json_t *params = json_object();
        double dist2 = 0;
        for (int k = 0; k < DIMS; k++) {
            seed = seed * 1103515245u + 12345u;
            double jitter = 0.4 * ((double)(seed >> 16 & 0x7fff) / 32767.0 - 0.5);
            double v = centre[k] + jitter * (1 + i % 7);
            dist2 += (v - centre[k]) * (v - centre[k]);
            char name[8];
            snprintf(name, sizeof name, "x%d", k);
            if (k != 4 || skip_x4_every == 0 || i % skip_x4_every != 0)
                json_object_set_new(params, name, json_real(v));
        }
        json_t *trial = json_object();
        json_object_set_new(trial, "params", params);
        json_object_set_new(trial, "value", json_real(dist2));
        json_array_append_new(list, trial);
    }
    char *text = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    return text;
}

static void test_warm_start(void **state)
{
    (void)state;
    const double centre[DIMS] = {3, -3, 2.5, -2.5, 4};
    /* one in three lacks x4: not used */
    char *text = source_json(60, centre, 3);
    const char *opts[] = {"source_trials", text, NULL};
    hps_study *study = open_study(":memory:", "3", opts);
    size_t lambda = 4 + (size_t)floor(3 * log(DIMS)), near = 0;
    double mean_dist = 0;
    for (size_t i = 0; i < lambda; i++) {
        double x[DIMS], d2 = 0;
        run_trial(study, sphere, x);
        for (int k = 0; k < DIMS; k++) {
            near += fabs(x[k] - centre[k]) < 2.5;
            d2 += (x[k] - centre[k]) * (x[k] - centre[k]);
        }
        mean_dist += sqrt(d2) / (double)lambda;
    }
    /* a step of about 1 per coordinate around the centre (the source's best tenth
     * spread by 0.1 of the range, alpha); the default start, the middle with steps of
     * 10/6, is about 7 away from it */
    assert_true(near >= lambda * DIMS * 9 / 10);
    assert_true(mean_dist < 3.5);
    json_t *tag = tag_of(study, 0);
    assert_int_equal(json_integer_value(json_object_get(tag, "g")), 0);
    json_decref(tag);
    hps_study_close(study);
    free(text);

    /* bad source trials: the error names the option and what is wrong, at the ask
     * that starts CMA-ES (the second: the first has no relative space yet) */
    const char *nine = "[{\"params\": {\"x0\": 1}, \"value\": 1}, "
                       "{\"params\": {\"x0\": 1}, \"value\": 1}, "
                       "{\"params\": {\"x0\": 1}, \"value\": 1}, "
                       "{\"params\": {\"x0\": 1}, \"value\": 1}, "
                       "{\"params\": {\"x0\": 1}, \"value\": 1}, "
                       "{\"params\": {\"x0\": 1}, \"value\": 1}, "
                       "{\"params\": {\"x0\": 1}, \"value\": 1}, "
                       "{\"params\": {\"x0\": 1}, \"value\": 1}, "
                       "{\"params\": {\"x0\": 1}, \"value\": 1}]";
    const char *const bad[][2] = {
        {nine, "at least 10 trials with a valid value of every numeric parameter of the "
               "search space (9 of 9 have them)"},
        /* sources without x0, or with a value outside its range, are not used */
        {"[{\"params\": {\"y\": 1}, \"value\": 1}, {\"params\": {\"x0\": 7}, \"value\": 1}]",
         "no compatible source_trials: none of the 2 has"},
        {"[1, 2]", "source_trials[0] must be"},
        {"{\"params\": {}}", "JSON list"},
        {"[{\"params\": {\"x0\": 1}, \"value\": 1}, {\"params\": {\"x0\": 1}, \"value\": \"a\"}]",
         "source_trials[1] must be"},
        {"[{\"par", "JSON list"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *o[] = {"source_trials", bad[i][0], NULL};
        study = open_study(":memory:", "3", o);
        hps_trial *t;
        double x;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_float(t, "x0", -5, 5, 0, 0, &x));
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, x));
        hps_trial_free(t);
        hps_status rc = hps_study_ask(study, &t);
        if (rc != HPS_ERR_INVALID || strstr(hps_study_errmsg(study), bad[i][1]) == NULL)
            fail_msg("case %zu: %d %s", i, rc, hps_study_errmsg(study));
        hps_study_close(study);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sphere_converges),
        cmocka_unit_test(test_rotated_ellipsoid_converges),
        cmocka_unit_test(test_ipop_restarts_on_rastrigin),
        cmocka_unit_test(test_bipop_restarts),
        cmocka_unit_test(test_integers_with_margin),
        cmocka_unit_test(test_categorical_falls_back),
        cmocka_unit_test(test_last_independent),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_resume_after_restart),
        cmocka_unit_test(test_two_workers),
        cmocka_unit_test(test_startup_and_options),
        cmocka_unit_test(test_space_change),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_warm_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
