/* test_nsga3.c -- the NSGA-III sampler: Das-Dennis reference points against hand-worked
 * sets and C(h + m - 1, m - 1); normalization, association and niching on hand-worked
 * populations; on DTLZ2 with 3 objectives its front nears the unit sphere and spreads
 * over the reference directions; a constrained problem that starts all infeasible
 * reaches the feasible region; its own generations and parents; bad options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/rng.h"
#include "hpsearch.h"
#include "samplers/nsga3.h"
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DTLZ2_OBJECTIVES 3
#define DTLZ2_DIMS (DTLZ2_OBJECTIVES + 4)
#define DTLZ2_TRIALS 400
#define MAX_TRIALS 1000

static void assert_close(double got, double want)
{
    if (!(fabs(got - want) <= 1e-12 * fmax(1, fabs(want))))
        fail_msg("got %.17g, want %.17g", got, want);
}

/* ---- reference points --------------------------------------------------------------- */

static void test_reference_points_hand_worked(void **state)
{
    (void)state;
    /* 3 objectives, 2 divisions, in the order of combinations_with_replacement(range(3), 2):
     * (0,0) (0,1) (0,2) (1,1) (1,2) (2,2), each axis adding 1/2 */
    const double want[6][3] = {{1, 0, 0},     {0.5, 0.5, 0}, {0.5, 0, 0.5},
                               {0, 1, 0},     {0, 0.5, 0.5}, {0, 0, 1}};
    double got[6 * 3];
    assert_int_equal(hps_nsga3_n_reference_points(3, 2), 6);
    hps_nsga3_reference_points(3, 2, got);
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 3; j++)
            assert_close(got[i * 3 + j], want[i][j]);
    /* 2 objectives, 3 divisions (Optuna's default) */
    const double two[4][2] = {{1, 0}, {2.0 / 3, 1.0 / 3}, {1.0 / 3, 2.0 / 3}, {0, 1}};
    assert_int_equal(hps_nsga3_n_reference_points(2, 3), 4);
    hps_nsga3_reference_points(2, 3, got);
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 2; j++)
            assert_close(got[i * 2 + j], two[i][j]);
}

static double binomial(size_t n, size_t k)
{
    double c = 1;
    for (size_t i = 1; i <= k; i++)
        c = c * (double)(n - k + i) / (double)i;
    return c;
}

/* Every size up to 6 objectives and 6 divisions: C(h + m - 1, m - 1) distinct points on
 * the unit simplex with coordinates that are multiples of 1/h. */
static void test_reference_points_counts(void **state)
{
    (void)state;
    for (size_t m = 1; m <= 6; m++) {
        for (size_t h = 1; h <= 6; h++) {
            size_t n = hps_nsga3_n_reference_points(m, h);
            assert_int_equal(n, (size_t)llround(binomial(h + m - 1, m - 1)));
            double *p = calloc(n * m, sizeof *p);
            assert_non_null(p);
            hps_nsga3_reference_points(m, h, p);
            for (size_t i = 0; i < n; i++) {
                double sum = 0;
                for (size_t j = 0; j < m; j++) {
                    double steps = p[i * m + j] * (double)h;
                    assert_true(fabs(steps - round(steps)) < 1e-9 && steps > -1e-9);
                    sum += p[i * m + j];
                }
                assert_true(fabs(sum - 1) < 1e-9);
                for (size_t k = 0; k < i; k++) {
                    int same = 1;
                    for (size_t j = 0; j < m; j++)
                        same &= fabs(p[i * m + j] - p[k * m + j]) < 1e-9;
                    assert_false(same);
                }
            }
            free(p);
        }
    }
    /* 16 objectives, 20 divisions: C(35, 15), far beyond the cap */
    assert_true(hps_nsga3_n_reference_points(16, 20) == SIZE_MAX);
    assert_int_equal(hps_nsga3_n_reference_points(16, 3), 816);
}

/* ---- normalization, association, niching ------------------------------------------- */

static void test_normalize_hand_worked(void **state)
{
    (void)state;
    /* ideal point (2, 4); shifted: (0, 8), (2, 4), (8, 0); the extreme points (8, 0) and
     * (0, 8) make the hyperplane x + y = 8, intercepts 8 and 8 */
    double v[] = {2, 12, 4, 8, 10, 4};
    const double want[] = {0, 1, 0.25, 0.5, 1, 0};
    hps_nsga3_normalize(v, 3, 2);
    for (size_t i = 0; i < 6; i++)
        assert_close(v[i], want[i]);
    /* intercepts 4 and 8 (the line x / 4 + y / 8 = 1 through (4, 0) and (0, 8)) */
    double w[] = {0, 8, 4, 0, 2, 2};
    const double want_w[] = {0, 1, 1, 0, 0.5, 0.25};
    hps_nsga3_normalize(w, 3, 2);
    for (size_t i = 0; i < 6; i++)
        assert_close(w[i], want_w[i]);
    /* degenerate: one trial is extreme on both axes, so no hyperplane; each objective is
     * divided by its maximum; an infinity is clipped 3 ranges beyond the finite values */
    double d[] = {0, 0, 1, 2, INFINITY, 1};
    const double want_d[] = {0, 0, 0.25, 1, 1, 0.5};
    hps_nsga3_normalize(d, 3, 2);
    for (size_t i = 0; i < 6; i++)
        assert_close(d[i], want_d[i]);
}

static void test_associate_hand_worked(void **state)
{
    (void)state;
    const double refs[] = {1, 0, 0.5, 0.5, 0, 1};
    const double v[] = {1, 0.1, 0.5, 0.6, 0, 0, 0.1, 3};
    size_t closest[4];
    double distance[4];
    hps_nsga3_associate(v, 4, 2, refs, 3, closest, distance);
    const size_t want[] = {0, 1, 0, 2};
    const double want_d[] = {0.1, sqrt(2 * 0.05 * 0.05), 0, 0.1};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(closest[i], want[i]);
        assert_true(fabs(distance[i] - want_d[i]) < 1e-12);
    }
}

/* One kept parent near reference point 2; the front: positions 0 and 1 near point 0
 * (distances 0.3 and 0.1), 2 near point 1, 3 near point 2. Points 0 and 1 have no kept
 * neighbour: they give their nearest members first (1 and 2, in either order); then
 * points 0 and 2 have one each: either gives its last member. */
static void test_niche_hand_worked(void **state)
{
    (void)state;
    const size_t closest[] = {2, 0, 0, 1, 2};
    const double distance[] = {0.05, 0.3, 0.1, 0.2, 0.0};
    int third[4] = {0};
    for (uint64_t seed = 1; seed <= 20; seed++) {
        hps_rng rng;
        hps_rng_seed(&rng, seed);
        size_t picked[4];
        ASSERT_OK(hps_nsga3_niche(closest, distance, 1, 4, 3, 3, &rng, picked));
        assert_true((picked[0] == 1 && picked[1] == 2) || (picked[0] == 2 && picked[1] == 1));
        assert_true(picked[2] == 0 || picked[2] == 3);
        third[picked[2]]++;
        hps_rng_seed(&rng, seed);
        ASSERT_OK(hps_nsga3_niche(closest, distance, 1, 4, 4, 3, &rng, picked));
        int seen[4] = {0};
        for (size_t i = 0; i < 4; i++)
            seen[picked[i]]++;
        for (size_t i = 0; i < 4; i++)
            assert_int_equal(seen[i], 1);
    }
    /* the choice among equally crowded points is random: both happen over 20 seeds */
    assert_true(third[0] > 0 && third[3] > 0);
    /* no kept parent, two members on one point and one on another, room for 2: the
     * nearest of the first and the lone one, never the farther of the first */
    const size_t c2[] = {0, 0, 1};
    const double d2[] = {0.2, 0.1, 0.7};
    for (uint64_t seed = 1; seed <= 10; seed++) {
        hps_rng rng;
        hps_rng_seed(&rng, seed);
        size_t picked[2];
        ASSERT_OK(hps_nsga3_niche(c2, d2, 0, 3, 2, 2, &rng, picked));
        assert_true(picked[0] != 0 && picked[1] != 0 && picked[0] != picked[1]);
    }
}

/* ---- the sampler on studies --------------------------------------------------------- */

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

static hps_study *open_study(size_t n_objectives, const char *sampler, const char *const *opts)
{
    hps_direction dirs[DTLZ2_OBJECTIVES] = {HPS_MINIMIZE, HPS_MINIMIZE, HPS_MINIMIZE};
    hps_study *study;
    char err[256];
    if (hps_study_open(":memory:", "nsga3", HPS_OPEN_CREATE | HPS_OPEN_LOAD, dirs,
                       n_objectives, &study, err, sizeof err) != HPS_OK)
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

/* DTLZ2 (Deb, Thiele, Laumanns, Zitzler 2002): its Pareto front is the positive octant of
 * the unit sphere, reached when the last DTLZ2_DIMS - 2 parameters are 1/2. */
static void dtlz2(const double *x, double *f)
{
    double g = 0;
    for (size_t i = DTLZ2_OBJECTIVES - 1; i < DTLZ2_DIMS; i++)
        g += (x[i] - 0.5) * (x[i] - 0.5);
    double a = x[0] * M_PI / 2, b = x[1] * M_PI / 2;
    f[0] = (1 + g) * cos(a) * cos(b);
    f[1] = (1 + g) * cos(a) * sin(b);
    f[2] = (1 + g) * sin(a);
}

typedef struct front_quality {
    double mean_distance; /* of the Pareto set's points to the unit sphere */
    size_t n_front;
    size_t directions;    /* Das-Dennis directions (3 divisions) nearest to a front point */
} front_quality;

static front_quality dtlz2_front(const char *sampler, const char *const *opts)
{
    hps_study *study = open_study(DTLZ2_OBJECTIVES, sampler, opts);
    for (int i = 0; i < DTLZ2_TRIALS; i++) {
        hps_trial *t;
        double x[DTLZ2_DIMS], f[DTLZ2_OBJECTIVES];
        ASSERT_OK(hps_study_ask(study, &t));
        suggest_unit(t, DTLZ2_DIMS, x);
        dtlz2(x, f);
        ASSERT_OK(hps_trial_tell_values(t, HPS_COMPLETE, f, DTLZ2_OBJECTIVES));
        hps_trial_free(t);
    }
    int64_t *best;
    size_t n_best;
    ASSERT_OK(hps_study_best_trials(study, &best, &n_best));
    static double points[MAX_TRIALS * DTLZ2_OBJECTIVES];
    front_quality q = {.n_front = n_best};
    for (size_t i = 0; i < n_best; i++) {
        const hps_frozen *t;
        ASSERT_OK(hps_study_trial(study, best[i], &t));
        double norm = 0;
        for (size_t j = 0; j < DTLZ2_OBJECTIVES; j++) {
            points[i * DTLZ2_OBJECTIVES + j] = hps_frozen_value(t, j);
            norm += hps_frozen_value(t, j) * hps_frozen_value(t, j);
        }
        q.mean_distance += (sqrt(norm) - 1) / (double)n_best;
    }
    double refs[10 * DTLZ2_OBJECTIVES];
    hps_nsga3_reference_points(DTLZ2_OBJECTIVES, 3, refs);
    size_t closest[MAX_TRIALS];
    double distance[MAX_TRIALS];
    hps_nsga3_associate(points, n_best, DTLZ2_OBJECTIVES, refs, 10, closest, distance);
    int hit[10] = {0};
    for (size_t i = 0; i < n_best; i++)
        hit[closest[i]] = 1;
    for (size_t r = 0; r < 10; r++)
        q.directions += (size_t)hit[r];
    hps_free(best);
    hps_study_close(study);
    return q;
}

static void test_dtlz2_front(void **state)
{
    (void)state;
    const char *const opts[] = {"population_size", "20", "crossover", "sbx", NULL};
    front_quality random = dtlz2_front("random", NULL);
    front_quality nsga3 = dtlz2_front("nsga3", opts);
    fprintf(stderr, "DTLZ2, 3 objectives, %d trials: mean distance of the Pareto set to the "
            "unit sphere: random %.4f (%zu points, %zu directions), nsga3 %.4f (%zu points, "
            "%zu of 10 directions)\n",
            DTLZ2_TRIALS, random.mean_distance, random.n_front, random.directions,
            nsga3.mean_distance, nsga3.n_front, nsga3.directions);
    assert_true(nsga3.mean_distance >= 0);
    assert_true(nsga3.mean_distance < 0.1);
    assert_true(nsga3.mean_distance < random.mean_distance / 2);
    assert_true(nsga3.n_front >= 20);
    assert_true(nsga3.directions >= 8);
}

/* Minimize (x0, x1, x2) over [0, 1]^4 subject to x0 + x1 + x2 + x3 >= 3.2: the feasible
 * region is 1.7% of the cube, and the objectives pull away from it. */
static int constrained_trial(hps_study *study)
{
    hps_trial *t;
    double x[4];
    ASSERT_OK(hps_study_ask(study, &t));
    suggest_unit(t, 4, x);
    double c = 3.2 - (x[0] + x[1] + x[2] + x[3]);
    ASSERT_OK(hps_trial_set_constraints(t, &c, 1));
    ASSERT_OK(hps_trial_tell_values(t, HPS_COMPLETE, x, 3));
    hps_trial_free(t);
    return c <= 0;
}

static void test_constrained_start_infeasible(void **state)
{
    (void)state;
    const char *const opts[] = {"population_size", "20", NULL};
    hps_study *study = open_study(3, "nsga3", opts);
    hps_study *random = open_study(3, "random", NULL);
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
    assert_true(last_generation >= 5);
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

/* Its generations and parents are its own ("nsga3:..."), of population_size each. */
static void test_generations_recorded(void **state)
{
    (void)state;
    const char *const opts[] = {"population_size", "10", "dividing_parameter", "2", NULL};
    hps_study *study = open_study(3, "nsga3", opts);
    for (int i = 0; i < 45; i++)
        constrained_trial(study);
    const hps_frozen *last;
    ASSERT_OK(hps_study_trial(study, 44, &last));
    json_t *own = json_loads(hps_frozen_system_attrs(last), 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(own, "nsga3:generation")), 4);
    assert_null(json_object_get(own, "nsga2:generation"));
    json_decref(own);
    const char *text;
    ASSERT_OK(hps_study_system_attrs(study, &text));
    json_t *attrs = json_loads(text, 0, NULL);
    for (int g = 1; g <= 4; g++) {
        char key[32];
        snprintf(key, sizeof key, "nsga3:parents:%d", g);
        assert_int_equal(json_array_size(json_object_get(attrs, key)), 10);
    }
    json_decref(attrs);
    hps_study_close(study);
}

/* The parents a run agrees on, as the study's system attributes' text. */
static char *dtlz2_parents(const char *const *opts)
{
    hps_study *study = open_study(DTLZ2_OBJECTIVES, "nsga3", opts);
    for (int i = 0; i < 60; i++) {
        hps_trial *t;
        double x[DTLZ2_DIMS], f[DTLZ2_OBJECTIVES];
        ASSERT_OK(hps_study_ask(study, &t));
        suggest_unit(t, DTLZ2_DIMS, x);
        dtlz2(x, f);
        ASSERT_OK(hps_trial_tell_values(t, HPS_COMPLETE, f, DTLZ2_OBJECTIVES));
        hps_trial_free(t);
    }
    const char *text;
    ASSERT_OK(hps_study_system_attrs(study, &text));
    char *copy = strdup(text);
    hps_study_close(study);
    return copy;
}

/* Given reference points are the ones niching uses: the Das-Dennis set written out
 * selects the parents the default does; a single point selects others. */
static void test_given_reference_points(void **state)
{
    (void)state;
    const char *const fallback[] = {"population_size", "10", NULL};
    const char *const written[] = {"population_size", "10", "reference_points",
                                   "[[1,0,0],[0.5,0.5,0],[0.5,0,0.5],[0,1,0],[0,0.5,0.5],"
                                   "[0,0,1]]",
                                   "dividing_parameter", "7", NULL};
    const char *const two[] = {"population_size", "10", "dividing_parameter", "2", NULL};
    const char *const one[] = {"population_size", "10", "reference_points", "[[1, 1, 1]]",
                               NULL};
    char *by_default = dtlz2_parents(two), *by_hand = dtlz2_parents(written);
    char *single = dtlz2_parents(one), *three = dtlz2_parents(fallback);
    assert_string_equal(by_default, by_hand);
    assert_string_not_equal(by_default, single);
    assert_string_not_equal(by_default, three);
    free(by_default);
    free(by_hand);
    free(single);
    free(three);
}

/* ---- options ------------------------------------------------------------------------- */

static void expect_refused(const char *option, const char *value, const char *message)
{
    hps_sampler *sampler;
    char err[256];
    ASSERT_OK(hps_sampler_new("nsga3", &sampler, err, sizeof err));
    assert_int_equal(hps_sampler_set(sampler, option, value), HPS_ERR_INVALID);
    if (strstr(hps_sampler_errmsg(sampler), message) == NULL)
        fail_msg("%s=%s: '%s' does not say '%s'", option, value, hps_sampler_errmsg(sampler),
                 message);
    hps_sampler_free(sampler);
}

static void expect_bind_refused(size_t n_objectives, const char *option, const char *value,
                                const char *message)
{
    hps_direction dirs[DTLZ2_OBJECTIVES] = {HPS_MINIMIZE, HPS_MINIMIZE, HPS_MINIMIZE};
    hps_study *study;
    char err[256];
    ASSERT_OK(hps_study_open(":memory:", "bind", HPS_OPEN_CREATE, dirs, n_objectives, &study,
                             err, sizeof err));
    const char *const opts[] = {option, value, NULL};
    hps_sampler *sampler = make_sampler("nsga3", opts);
    hps_status rc = hps_study_set_sampler(study, sampler);
    if (rc == HPS_OK) {
        /* bound when the first trial asks */
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
    expect_refused("dividing_parameter", "0", "dividing_parameter must be an integer in [1, 1000]");
    expect_refused("reference_points", "[1, 0]", "reference_points must be none or a JSON list");
    expect_refused("reference_points", "[[1, 0], [0]]",
                   "every point must be a list of as many numbers as the first");
    expect_refused("reference_points", "[[0, 0]]", "a point at the origin gives no direction");
    expect_refused("reference_points", "[[1, \"x\"]]", "coordinates must be finite numbers");
    expect_refused("reference_points", "[[1, 0]", "reference_points must be none or a JSON list");
    expect_refused("crossover", "pcx",
                   "crossover must be uniform, sbx, blxalpha, spx, undx or vsbx (got 'pcx')");
    expect_refused("population_size", "1", "population_size must be an integer in [2,");
    expect_bind_refused(3, "reference_points", "[[1, 0], [0, 1]]",
                        "reference_points have 2 coordinates, but study 'bind' has 3 objectives");
    expect_bind_refused(3, "dividing_parameter", "1000",
                        "dividing_parameter 1000 makes more than 100000 reference points");
    hps_sampler *sampler;
    char err[256];
    ASSERT_OK(hps_sampler_new("nsga3", &sampler, err, sizeof err));
    ASSERT_OK(hps_sampler_set(sampler, "reference_points", "[[1, 0], [0, 1]]"));
    ASSERT_OK(hps_sampler_set(sampler, "reference_points", "none"));
    ASSERT_OK(hps_sampler_set(sampler, "dividing_parameter", "12"));
    ASSERT_OK(hps_sampler_set(sampler, "crossover", "blxalpha"));
    hps_sampler_free(sampler);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_points_hand_worked),
        cmocka_unit_test(test_reference_points_counts),
        cmocka_unit_test(test_normalize_hand_worked),
        cmocka_unit_test(test_associate_hand_worked),
        cmocka_unit_test(test_niche_hand_worked),
        cmocka_unit_test(test_dtlz2_front),
        cmocka_unit_test(test_constrained_start_infeasible),
        cmocka_unit_test(test_generations_recorded),
        cmocka_unit_test(test_given_reference_points),
        cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
