/* test_nsga2.c -- the NSGA-II sampler: on ZDT1 its final front's hypervolume beats random
 * search's at the same budget and nears the analytic front's, with each crossover; a
 * constrained problem whose first generation is all infeasible reaches the feasible
 * region; one objective; generations and parents recorded so that a reopened study (a
 * restart) continues them and two workers share them, children inheriting the agreed
 * parents' values; determinism with a seed; options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/hypervolume.h"
#include "hpsearch.h"
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZDT1_DIMS 5
#define ZDT1_TRIALS 600
#define POPULATION "10"
#define MAX_TRIALS 2000

/* The hypervolume of the analytic ZDT1 front f2 = 1 - sqrt(f1), f1 in [0, 1], with the
 * reference point (1.1, 1.1): the integral of 1.1 - (1 - sqrt(f1)) over [0, 1], plus the
 * strip 1 < f1 < 1.1 of height 1.1. */
#define ZDT1_FRONT_HV (0.1 + 2.0 / 3.0 + 0.1 * 1.1)

static hps_sampler *make_sampler(const char *name, const char *const *opts)
{
    hps_sampler *sampler;
    char err[256];
    if (hps_sampler_new(name, &sampler, err, sizeof err) != HPS_OK)
        fail_msg("%s", err);
    ASSERT_OK(hps_sampler_set(sampler, "seed", "7"));
    for (size_t i = 0; opts != NULL && opts[i] != NULL; i += 2)
        if (hps_sampler_set(sampler, opts[i], opts[i + 1]) != HPS_OK)
            fail_msg("%s=%s: %s", opts[i], opts[i + 1], hps_sampler_errmsg(sampler));
    return sampler;
}

static hps_study *open_study(const char *url, size_t n_objectives, const char *sampler,
                             const char *const *opts)
{
    hps_direction dirs[2] = {HPS_MINIMIZE, HPS_MINIMIZE};
    hps_study *study;
    char err[256];
    if (hps_study_open(url, "nsga2", HPS_OPEN_CREATE | HPS_OPEN_LOAD, dirs, n_objectives,
                       &study, err, sizeof err) != HPS_OK)
        fail_msg("%s", err);
    ASSERT_OK(hps_study_set_sampler(study, make_sampler(sampler, opts)));
    return study;
}

static void suggest_unit(hps_trial *t, size_t d, double *x)
{
    for (size_t i = 0; i < d; i++) {
        char name[16];
        snprintf(name, sizeof name, "x%zu", i);
        ASSERT_OK(hps_trial_suggest_float(t, name, 0, 1, 0, 0, &x[i]));
        assert_true(x[i] >= 0 && x[i] <= 1);
    }
}

static void zdt1(const double *x, double *f)
{
    double sum = 0;
    for (size_t i = 1; i < ZDT1_DIMS; i++)
        sum += x[i];
    double g = 1 + 9 * sum / (ZDT1_DIMS - 1);
    f[0] = x[0];
    f[1] = g * (1 - sqrt(x[0] / g));
}

/* The hypervolume (reference point (1.1, 1.1)) of the feasible COMPLETE trials. */
static double study_hypervolume(hps_study *study)
{
    static double points[MAX_TRIALS * 2];
    size_t n = 0, count;
    ASSERT_OK(hps_study_n_trials(study, &count));
    for (size_t i = 0; i < count && n < MAX_TRIALS; i++) {
        const hps_frozen *t;
        ASSERT_OK(hps_study_trial(study, (int64_t)i, &t));
        if (hps_frozen_state(t) == HPS_COMPLETE && hps_frozen_feasible(t)) {
            points[2 * n] = hps_frozen_value(t, 0);
            points[2 * n + 1] = hps_frozen_value(t, 1);
            n++;
        }
    }
    double ref[2] = {1.1, 1.1}, hv;
    ASSERT_OK(hps_hypervolume(points, n, 2, ref, &hv));
    return hv;
}

static double zdt1_hypervolume(const char *sampler, const char *const *opts)
{
    hps_study *study = open_study(":memory:", 2, sampler, opts);
    for (int i = 0; i < ZDT1_TRIALS; i++) {
        hps_trial *t;
        double x[ZDT1_DIMS], f[2];
        ASSERT_OK(hps_study_ask(study, &t));
        suggest_unit(t, ZDT1_DIMS, x);
        zdt1(x, f);
        ASSERT_OK(hps_trial_tell_values(t, HPS_COMPLETE, f, 2));
        hps_trial_free(t);
    }
    double hv = study_hypervolume(study);
    hps_study_close(study);
    return hv;
}

static void test_zdt1_front(void **state)
{
    (void)state;
    static const char *const crossovers[] = {"uniform", "sbx", "blxalpha", "vsbx", "spx",
                                             "undx"};
    enum { N_CROSSOVERS = sizeof crossovers / sizeof *crossovers, SBX = 1, UNDX = 5 };
    double random = zdt1_hypervolume("random", NULL);
    double hvs[N_CROSSOVERS];
    fprintf(stderr, "ZDT1, %d trials: hypervolume random %.4f, analytic front %.4f; nsga2",
            ZDT1_TRIALS, random, ZDT1_FRONT_HV);
    for (size_t i = 0; i < N_CROSSOVERS; i++) {
        const char *const opts[] = {"population_size", POPULATION, "crossover", crossovers[i],
                                    NULL};
        hvs[i] = zdt1_hypervolume("nsga2", opts);
        fprintf(stderr, " %s %.4f", crossovers[i], hvs[i]);
    }
    fprintf(stderr, "\n");
    /* random search hardly reaches the reference box (g is about 1 + 9/2 on average);
     * every operator but undx gets most of the way to the analytic front, as Optuna's
     * NSGA-II does (bench/nsga2.md), and SBX, the operator made for real parameters,
     * nearest. UNDX's children keep close to lines through pairs of parents (its spread
     * across them is 0.35^2 / 5 of the third parent's distance): Optuna 3.1's reaches
     * 0.30 to 0.48 here over seeds 0-2, short of the others too */
    for (size_t i = 0; i < N_CROSSOVERS; i++) {
        assert_true(hvs[i] <= ZDT1_FRONT_HV);
        if (i == UNDX) {
            assert_true(hvs[i] > random + 0.1);
            continue;
        }
        assert_true(hvs[i] > random + 0.5);
        assert_true(hvs[i] > 0.7 * ZDT1_FRONT_HV);
    }
    assert_true(hvs[SBX] > 0.85 * ZDT1_FRONT_HV);
}

/* Minimize (x0, x1) over [0, 1]^4 subject to x0 + x1 + x2 + x3 >= 3.2: the feasible
 * region is 1.7% of the cube, and the objectives pull away from it. */
static int constrained_trial(hps_study *study)
{
    hps_trial *t;
    double x[4];
    ASSERT_OK(hps_study_ask(study, &t));
    suggest_unit(t, 4, x);
    double c = 3.2 - (x[0] + x[1] + x[2] + x[3]);
    ASSERT_OK(hps_trial_set_constraints(t, &c, 1));
    ASSERT_OK(hps_trial_tell_values(t, HPS_COMPLETE, x, 2));
    hps_trial_free(t);
    return c <= 0;
}

static void test_constrained_start_infeasible(void **state)
{
    (void)state;
    const char *const opts[] = {"population_size", "20", NULL};
    hps_study *study = open_study(":memory:", 2, "nsga2", opts);
    hps_study *random = open_study(":memory:", 2, "random", NULL);
    int first_generation = 0, last_generation = 0, total = 0, total_random = 0;
    for (int i = 0; i < 300; i++) {
        int feasible = constrained_trial(study);
        total += feasible;
        total_random += constrained_trial(random);
        first_generation += i < 20 && feasible;
        last_generation += i >= 280 && feasible;
    }
    int64_t *best;
    size_t n_best;
    ASSERT_OK(hps_study_best_trials(study, &best, &n_best));
    fprintf(stderr, "constrained: feasible trials %d of the first 20, %d of the last 20, "
            "%d of 300 (random search: %d); %zu on the feasible front\n",
            first_generation, last_generation, total, total_random, n_best);
    assert_int_equal(first_generation, 0); /* the premise: an all-infeasible start */
    assert_true(last_generation >= 10);
    assert_true(total > 4 * total_random);
    assert_true(n_best >= 5);
    for (size_t i = 0; i < n_best; i++) {
        const hps_frozen *t;
        ASSERT_OK(hps_study_trial(study, best[i], &t));
        assert_true(hps_frozen_feasible(t));
    }
    hps_free(best);
    hps_study_close(study);
    hps_study_close(random);
}

/* One objective: NSGA-II is an elitist GA; on a shifted sphere it beats random search. */
static double sphere_best(const char *sampler, const char *const *opts)
{
    hps_study *study = open_study(":memory:", 1, sampler, opts);
    double best = INFINITY;
    for (int i = 0; i < 300; i++) {
        hps_trial *t;
        double x[4], y = 0;
        ASSERT_OK(hps_study_ask(study, &t));
        suggest_unit(t, 4, x);
        for (size_t j = 0; j < 4; j++)
            y += (x[j] - 0.3) * (x[j] - 0.3);
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, y));
        hps_trial_free(t);
        best = fmin(best, y);
    }
    hps_study_close(study);
    return best;
}

static void test_single_objective(void **state)
{
    (void)state;
    const char *const opts[] = {"population_size", "20", "crossover", "sbx", NULL};
    double random = sphere_best("random", NULL), nsga2 = sphere_best("nsga2", opts);
    fprintf(stderr, "sphere, 300 trials: best random %.5f, nsga2 %.5f\n", random, nsga2);
    assert_true(nsga2 < random / 4);
}

/* The generation of every trial, and the number of parents stored per generation. */
static void check_generations(hps_study *study, size_t population, int64_t *last_generation)
{
    size_t count;
    ASSERT_OK(hps_study_n_trials(study, &count));
    int64_t previous = 0;
    for (size_t i = 0; i < count; i++) {
        const hps_frozen *t;
        ASSERT_OK(hps_study_trial(study, (int64_t)i, &t));
        json_t *attrs = json_loads(hps_frozen_system_attrs(t), 0, NULL);
        json_t *g = json_object_get(attrs, "nsga2:generation");
        assert_true(json_is_integer(g));
        /* trials asked one at a time: generations never go back, never skip */
        assert_true(json_integer_value(g) == previous || json_integer_value(g) == previous + 1);
        previous = json_integer_value(g);
        json_decref(attrs);
    }
    const char *text;
    ASSERT_OK(hps_study_system_attrs(study, &text));
    json_t *attrs = json_loads(text, 0, NULL);
    for (int64_t g = 1; g <= previous; g++) {
        char key[64];
        snprintf(key, sizeof key, "nsga2:parents:%lld", (long long)g);
        json_t *parents = json_object_get(attrs, key);
        assert_true(json_is_array(parents));
        assert_int_equal(json_array_size(parents), population);
    }
    json_decref(attrs);
    *last_generation = previous;
}

static void zdt1_trials(hps_study *study, int n, double *first_x)
{
    for (int i = 0; i < n; i++) {
        hps_trial *t;
        double x[ZDT1_DIMS], f[2];
        ASSERT_OK(hps_study_ask(study, &t));
        suggest_unit(t, ZDT1_DIMS, x);
        if (i == 0 && first_x != NULL)
            *first_x = x[0];
        zdt1(x, f);
        ASSERT_OK(hps_trial_tell_values(t, HPS_COMPLETE, f, 2));
        hps_trial_free(t);
    }
}

/* A study reopened by another process (here: closed and reopened with a new sampler)
 * continues the generations and takes the parents the first process agreed on, so its
 * trials are those of an uninterrupted run. */
static void test_restart_continues(void **state)
{
    (void)state;
    const char *const opts[] = {"population_size", "10", NULL};
    char url[512];
    snprintf(url, sizeof url, "sqlite:///%s", testutil_path("restart.db"));
    hps_study *study = open_study(url, 2, "nsga2", opts);
    zdt1_trials(study, 35, NULL);
    hps_study_close(study);
    study = open_study(url, 2, "nsga2", opts);
    double resumed_x0;
    zdt1_trials(study, 25, &resumed_x0);
    int64_t last;
    check_generations(study, 10, &last);
    assert_int_equal(last, 5);
    hps_study_close(study);

    hps_study *straight = open_study(":memory:", 2, "nsga2", opts);
    double unused, straight_x0 = NAN;
    zdt1_trials(straight, 35, &unused);
    zdt1_trials(straight, 25, &straight_x0);
    assert_true(resumed_x0 == straight_x0);
    check_generations(straight, 10, &last);
    hps_study_close(straight);
}

/* The number of trials of generations >= 1 that have a parameter value of one of their
 * generation's agreed parents (uniform crossover copies values; only a mutation draws
 * anew); fails on a child that has none. */
static int children_inherit(hps_study *study)
{
    const char *text;
    ASSERT_OK(hps_study_system_attrs(study, &text));
    json_t *attrs = json_loads(text, 0, NULL);
    size_t count;
    ASSERT_OK(hps_study_n_trials(study, &count));
    int inheriting = 0;
    for (size_t i = 0; i < count; i++) {
        const hps_frozen *child;
        ASSERT_OK(hps_study_trial(study, (int64_t)i, &child));
        json_t *own = json_loads(hps_frozen_system_attrs(child), 0, NULL);
        json_int_t g = json_integer_value(json_object_get(own, "nsga2:generation"));
        json_decref(own);
        if (g < 1)
            continue;
        char key[64];
        snprintf(key, sizeof key, "nsga2:parents:%lld", (long long)g);
        json_t *parents = json_object_get(attrs, key);
        int found = 0;
        for (size_t k = 0; k < json_array_size(parents) && !found; k++) {
            const hps_frozen *parent;
            ASSERT_OK(hps_study_trial(study, json_integer_value(json_array_get(parents, k)),
                                      &parent));
            for (size_t j = 0; j < ZDT1_DIMS; j++)
                found |= hps_frozen_param_internal(parent, j) ==
                         hps_frozen_param_internal(child, j);
        }
        assert_true(found);
        inheriting++;
    }
    json_decref(attrs);
    return inheriting;
}

/* Two workers on one study (two handles on one SQLite file, taking turns, each with its
 * own sampler): one sequence of generations, one list of parents per generation, and
 * every child bred from those parents' values. */
static void test_two_workers_share_generations(void **state)
{
    (void)state;
    const char *const opts[] = {"population_size", "10", NULL};
    char url[512];
    snprintf(url, sizeof url, "sqlite:///%s", testutil_path("workers.db"));
    hps_study *workers[2] = {open_study(url, 2, "nsga2", opts), open_study(url, 2, "nsga2", opts)};
    for (int i = 0; i < 60; i++)
        zdt1_trials(workers[i % 2], 1, NULL);
    int64_t last[2];
    check_generations(workers[0], 10, &last[0]);
    check_generations(workers[1], 10, &last[1]);
    assert_int_equal(last[0], last[1]);
    assert_true(last[0] >= 4);
    assert_true(children_inherit(workers[0]) >= 30);
    hps_study_close(workers[0]);
    hps_study_close(workers[1]);
}

static void test_seeded_runs_repeat(void **state)
{
    (void)state;
    const char *const opts[] = {"population_size", "10", "crossover", "sbx", NULL};
    hps_study *a = open_study(":memory:", 2, "nsga2", opts);
    hps_study *b = open_study(":memory:", 2, "nsga2", opts);
    zdt1_trials(a, 60, NULL);
    zdt1_trials(b, 60, NULL);
    for (int64_t i = 0; i < 60; i++) {
        const hps_frozen *ta, *tb;
        ASSERT_OK(hps_study_trial(a, i, &ta));
        ASSERT_OK(hps_study_trial(b, i, &tb));
        for (size_t j = 0; j < ZDT1_DIMS; j++)
            assert_true(hps_frozen_param_internal(ta, j) == hps_frozen_param_internal(tb, j));
    }
    hps_study_close(a);
    hps_study_close(b);
}

static void expect_refused(const char *option, const char *value, const char *message)
{
    hps_sampler *sampler;
    char err[256];
    ASSERT_OK(hps_sampler_new("nsga2", &sampler, err, sizeof err));
    assert_int_equal(hps_sampler_set(sampler, option, value), HPS_ERR_INVALID);
    if (strstr(hps_sampler_errmsg(sampler), message) == NULL)
        fail_msg("%s=%s: '%s' does not say '%s'", option, value, hps_sampler_errmsg(sampler),
                 message);
    hps_sampler_free(sampler);
}

/* A crossover of three parents with a population of two: refused when the study binds
 * the sampler (the first ask), whatever order the options came in. */
static void expect_bind_refused(const char *crossover, const char *population,
                                const char *message)
{
    const char *const opts[] = {"crossover", crossover, "population_size", population, NULL};
    hps_direction dirs[2] = {HPS_MINIMIZE, HPS_MINIMIZE};
    hps_study *study;
    char err[256];
    ASSERT_OK(hps_study_open(":memory:", "bind", HPS_OPEN_CREATE, dirs, 2, &study, err,
                             sizeof err));
    hps_status rc = hps_study_set_sampler(study, make_sampler("nsga2", opts));
    if (rc == HPS_OK) {
        hps_trial *t;
        rc = hps_study_ask(study, &t);
        if (rc == HPS_OK)
            hps_trial_free(t);
    }
    assert_int_equal(rc, HPS_ERR_INVALID);
    if (strstr(hps_study_errmsg(study), message) == NULL)
        fail_msg("'%s' does not say '%s'", hps_study_errmsg(study), message);
    hps_study_close(study);
}

static void test_options(void **state)
{
    (void)state;
    expect_refused("crossover", "pcx",
                   "crossover must be uniform, sbx, blxalpha, spx, undx or vsbx (got 'pcx')");
    expect_refused("population_size", "1", "population_size must be an integer in [2,");
    expect_refused("mutation_prob", "1.5", "mutation_prob must be auto or a number in [0, 1]");
    expect_refused("mutation_prob", "often", "mutation_prob must be auto or a number in [0, 1]");
    expect_refused("crossover_prob", "-0.1", "crossover_prob must be");
    expect_refused("swapping_prob", "2", "swapping_prob must be");
    expect_refused("sbx_eta", "-1", "sbx_eta must be auto or a number >= 0");
    expect_refused("blx_alpha", "-1", "blx_alpha must be");
    expect_refused("vsbx_eta", "-2", "vsbx_eta must be auto or a number >= 0");
    expect_refused("spx_epsilon", "wide", "spx_epsilon must be auto or a number >= 0");
    expect_refused("undx_sigma_xi", "-0.5", "undx_sigma_xi must be");
    expect_refused("undx_sigma_eta", "nan", "undx_sigma_eta must be auto or a number >= 0");
    expect_bind_refused("spx", "2",
                        "the nsga2 sampler's crossover spx takes 3 parents: population_size "
                        "must be at least 3 (it is 2)");
    expect_bind_refused("undx", "2",
                        "the nsga2 sampler's crossover undx takes 3 parents: population_size "
                        "must be at least 3 (it is 2)");
    hps_sampler *sampler;
    char err[256];
    ASSERT_OK(hps_sampler_new("nsga2", &sampler, err, sizeof err));
    ASSERT_OK(hps_sampler_set(sampler, "mutation_prob", "AUTO"));
    ASSERT_OK(hps_sampler_set(sampler, "mutation_prob", "0.25"));
    ASSERT_OK(hps_sampler_set(sampler, "sbx_eta", "15"));
    ASSERT_OK(hps_sampler_set(sampler, "crossover", "SBX"));
    hps_sampler_free(sampler);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zdt1_front),
        cmocka_unit_test(test_constrained_start_infeasible),
        cmocka_unit_test(test_single_objective),
        cmocka_unit_test(test_restart_continues),
        cmocka_unit_test(test_two_workers_share_generations),
        cmocka_unit_test(test_seeded_runs_repeat),
        cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
