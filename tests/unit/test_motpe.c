/* test_motpe.c -- the TPE sampler with several objectives and with constraints (MOTPE,
 * as Optuna 4.9): the good group by non-dominated rank and hypervolume subset selection
 * and its hypervolume-contribution weights, against sets worked by hand; and through the
 * public API, that it beats random search on a ZDT1-like problem and finds a small
 * feasible region more often than random search does, and that with one objective the
 * infeasible trials' good values do not draw it away from the feasible optimum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/hypervolume.h"
#include "base/mem.h"
#include "engine/history.h"
#include "engine/study.h"
#include "hpsearch.h"
#include "samplers/sampler.h"
#include "samplers/tpe_split.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define ASSERT_NEAR(got, want, tol)                                                       \
    do {                                                                                  \
        double g_ = (got), w_ = (want);                                                   \
        if (!(fabs(g_ - w_) <= (tol) * fmax(1.0, fabs(w_))))                              \
            fail_msg("%s = %.17g, expected %.17g", #got, g_, w_);                         \
    } while (0)

/* Fronts, minimized: A B C (rank 0), D E (rank 1: B dominates D, C dominates E), F. */
static const double fronts[] = {
    1, 5, /* A */
    2, 3, /* B */
    4, 1, /* C */
    3, 4, /* D */
    5, 2, /* E */
    6, 6, /* F */
};
enum { A, B, C, D, E, F, N_FRONTS };

static void expect_below(const unsigned char *below, size_t n, unsigned want_mask)
{
    for (size_t i = 0; i < n; i++)
        if (below[i] != ((want_mask >> i) & 1u))
            fail_msg("point %zu: below = %d, expected %u", i, below[i], (want_mask >> i) & 1u);
}

static void test_split_by_rank_then_hssp(void **state)
{
    (void)state;
    unsigned char below[N_FRONTS];
    /* k = 4: front 0 whole; of D, E one more. Reference of {D, E}: worst (5, 4), so
     * (5.5, 4.4); D adds 2.5 * 0.4 = 1.0, E 0.5 * 2.4 = 1.2: E. */
    ASSERT_OK(tpe_split_pareto(fronts, N_FRONTS, 2, 4, below));
    expect_below(below, N_FRONTS, 1u << A | 1u << B | 1u << C | 1u << E);
    /* k = 2: front 0 does not fit. Reference of {A, B, C}: (4.4, 5.5). Alone A adds
     * 3.4 * 0.5 = 1.7, B 2.4 * 2.5 = 6, C 0.4 * 4.5 = 1.8: B; then A adds 1 * 0.5 and C
     * 0.4 * 2 = 0.8: C. */
    ASSERT_OK(tpe_split_pareto(fronts, N_FRONTS, 2, 2, below));
    expect_below(below, N_FRONTS, 1u << B | 1u << C);
    /* whole fronts exactly, none, all */
    ASSERT_OK(tpe_split_pareto(fronts, N_FRONTS, 2, 5, below));
    expect_below(below, N_FRONTS, 0x1fu);
    ASSERT_OK(tpe_split_pareto(fronts, N_FRONTS, 2, 0, below));
    expect_below(below, N_FRONTS, 0);
    ASSERT_OK(tpe_split_pareto(fronts, N_FRONTS, 2, 9, below));
    expect_below(below, N_FRONTS, 0x3fu);
}

static void test_hssp_copies_and_infinities(void **state)
{
    (void)state;
    size_t chosen[3];
    /* Two distinct points, three wanted: both firsts, then the first copy by index. */
    static const double copies[] = {1, 2, 1, 2, 2, 1, 2, 1};
    ASSERT_OK(tpe_hssp(copies, 4, 2, 3, chosen));
    assert_int_equal(chosen[0], 0);
    assert_int_equal(chosen[1], 1);
    assert_int_equal(chosen[2], 2);
    /* A copy is never chosen before every distinct point: (1, 2) twice, then (2, 1). */
    ASSERT_OK(tpe_hssp(copies, 4, 2, 2, chosen));
    assert_true((chosen[0] == 0 && chosen[1] == 2) || (chosen[0] == 2 && chosen[1] == 0));
    /* An infinite value: no finite reference point, so the first in lexicographic
     * order (Optuna's fallback). */
    static const double inf_pts[] = {3, 0, INFINITY, -1, 1, 2};
    ASSERT_OK(tpe_hssp(inf_pts, 3, 2, 1, chosen));
    assert_int_equal(chosen[0], 2);
    /* Three objectives go through the general improvement: (0,0,1) (0,1,0) (1,0,0) and
     * (0.5,0.5,0.5); reference (1.1, 1.1, 1.1). Alone the middle point adds 0.6^3 =
     * 0.216, each corner 1.1 * 1.1 * 0.1 = 0.121: the middle point is first. */
    static const double three[] = {0, 0, 1, 0, 1, 0, 1, 0, 0, 0.5, 0.5, 0.5};
    ASSERT_OK(tpe_hssp(three, 4, 3, 1, chosen));
    assert_int_equal(chosen[0], 3);
    assert_int_equal(tpe_hssp(three, 4, 3, 5, chosen), HPS_ERR_INVALID);
}

static void test_below_weights_by_contribution(void **state)
{
    (void)state;
    /* Good group A B C D (feasible) and X (infeasible). Reference of the feasible ones,
     * D included: worst (4, 5), so (4.4, 5.5). Exclusive volumes within the front
     * A B C (D, dominated by B, is left out and takes nothing of B's): A [1,2) x
     * [5,5.5) = 0.5; B [2,4) x [3,5) = 4; C [4,4.4) x [1,3) = 0.8. Weights: contribution
     * / 4, at least 1e-12; D and X 1e-12. */
    static const double pts[] = {1, 5, 2, 3, 4, 1, 3, 4, 0, 0};
    static const unsigned char feasible[] = {1, 1, 1, 1, 0};
    double w[5];
    ASSERT_OK(tpe_below_weights(pts, feasible, 5, 2, w));
    ASSERT_NEAR(w[0], 0.5 / 4, 1e-12);
    ASSERT_NEAR(w[1], 1.0, 1e-12);
    ASSERT_NEAR(w[2], 0.8 / 4, 1e-12);
    ASSERT_NEAR(w[3], HPS_HV_EPS, 1e-3);
    ASSERT_NEAR(w[4], HPS_HV_EPS, 1e-3);
    /* One feasible point: it weighs 1, the infeasible ones 1e-12. */
    static const unsigned char one[] = {0, 1, 0, 0, 0};
    ASSERT_OK(tpe_below_weights(pts, one, 5, 2, w));
    assert_true(w[1] == 1.0 && w[0] == HPS_HV_EPS && w[4] == HPS_HV_EPS);
    /* An infinite value: Optuna's volume is infinite and every feasible point weighs 1. */
    static const double inf_pts[] = {1, INFINITY, 2, 3};
    ASSERT_OK(tpe_below_weights(inf_pts, NULL, 2, 2, w));
    assert_true(w[0] == 1.0 && w[1] == 1.0);
}

/* ---- through the public API ------------------------------------------------------ */

static hps_study *open_two_objective_study(const char *sampler_name, unsigned seed)
{
    hps_study *study;
    hps_sampler *sampler;
    char err[256], seed_text[32];
    hps_direction dirs[2] = {HPS_MINIMIZE, HPS_MINIMIZE};
    if (hps_study_open(":memory:", "mo", HPS_OPEN_CREATE, dirs, 2, &study, err, sizeof err) !=
        HPS_OK)
        fail_msg("%s", err);
    if (hps_sampler_new(sampler_name, &sampler, err, sizeof err) != HPS_OK)
        fail_msg("%s", err);
    snprintf(seed_text, sizeof seed_text, "%u", seed);
    ASSERT_OK(hps_sampler_set(sampler, "seed", seed_text));
    ASSERT_OK(hps_study_set_sampler(study, sampler));
    return study;
}

/* ZDT1 with 4 variables: f1 = x0, g = 1 + 9 mean(x1..x3), f2 = g (1 - sqrt(f1 / g));
 * the Pareto front is f2 = 1 - sqrt(f1) at x1 = x2 = x3 = 0. Returns the hypervolume of
 * the trials' values w.r.t. (1.1, 11) (every value lies inside). */
static double zdt1_hypervolume(const char *sampler_name, unsigned seed, int n_trials)
{
    enum { DIM = 4 };
    hps_study *study = open_two_objective_study(sampler_name, seed);
    double values[2 * 200];
    assert_true(n_trials <= 200);
    for (int i = 0; i < n_trials; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        double x[DIM], tail = 0;
        for (int d = 0; d < DIM; d++) {
            char name[8];
            snprintf(name, sizeof name, "x%d", d);
            ASSERT_OK(hps_trial_suggest_float(t, name, 0, 1, 0, 0, &x[d]));
            tail += d > 0 ? x[d] : 0;
        }
        double g = 1 + 9 * tail / (DIM - 1);
        values[2 * i] = x[0];
        values[2 * i + 1] = g * (1 - sqrt(x[0] / g));
        ASSERT_OK(hps_trial_tell_values(t, HPS_COMPLETE, &values[2 * i], 2));
        hps_trial_free(t);
    }
    hps_study_close(study);
    static const double ref[2] = {1.1, 11};
    double hv;
    ASSERT_OK(hps_hypervolume(values, (size_t)n_trials, 2, ref, &hv));
    return hv;
}

static void test_zdt1_beats_random(void **state)
{
    (void)state;
    double tpe_sum = 0, random_sum = 0;
    for (unsigned seed = 1; seed <= 3; seed++) {
        double tpe = zdt1_hypervolume("tpe", seed, 150);
        double random = zdt1_hypervolume("random", seed, 150);
        print_message("seed %u: hypervolume tpe %.4f, random %.4f\n", seed, tpe, random);
        if (!(tpe > random))
            fail_msg("seed %u: tpe's hypervolume %.4f, random's %.4f", seed, tpe, random);
        tpe_sum += tpe;
        random_sum += random;
    }
    print_message("mean: tpe %.4f, random %.4f\n", tpe_sum / 3, random_sum / 3);
}

/* Two objectives over (x, y) in [0, 1]^2 with one constraint whose feasible region is
 * the disc of radius 0.1 around (0.8, 0.3), about 3% of the square. Returns how many of
 * the n_trials were feasible. */
static int feasible_count(const char *sampler_name, unsigned seed, int n_trials)
{
    hps_study *study = open_two_objective_study(sampler_name, seed);
    int feasible = 0;
    for (int i = 0; i < n_trials; i++) {
        hps_trial *t;
        double x, y;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
        ASSERT_OK(hps_trial_suggest_float(t, "y", 0, 1, 0, 0, &y));
        double c = (x - 0.8) * (x - 0.8) + (y - 0.3) * (y - 0.3) - 0.01;
        double v[2] = {x, 1 - x + y};
        feasible += c <= 0;
        ASSERT_OK(hps_trial_set_constraints(t, &c, 1));
        ASSERT_OK(hps_trial_tell_values(t, HPS_COMPLETE, v, 2));
        hps_trial_free(t);
    }
    hps_study_close(study);
    return feasible;
}

static void test_constraint_finds_feasible_region(void **state)
{
    (void)state;
    int tpe_total = 0, random_total = 0;
    for (unsigned seed = 1; seed <= 3; seed++) {
        int tpe = feasible_count("tpe", seed, 100);
        int random = feasible_count("random", seed, 100);
        print_message("seed %u: feasible trials of 100: tpe %d, random %d\n", seed, tpe, random);
        if (!(tpe > random))
            fail_msg("seed %u: tpe found %d feasible trials, random %d", seed, tpe, random);
        tpe_total += tpe;
        random_total += random;
    }
    print_message("total: tpe %d, random %d\n", tpe_total, random_total);
}

/* One objective, minimize x on [0, 1], feasible only for x >= 0.5: the best values are
 * infeasible, so a TPE that ignored the constraint would crowd x near 0. Infeasible
 * trials fill the good group only after the feasible ones, so the model heads for the
 * feasible optimum x = 0.5 from above. Returns how many of the trials after the first
 * 30 landed in [0.5, 0.6]. */
static int near_feasible_optimum(const char *sampler_name, unsigned seed, int n_trials)
{
    hps_study *study;
    hps_sampler *sampler;
    char err[256], seed_text[32];
    hps_direction dir = HPS_MINIMIZE;
    if (hps_study_open(":memory:", "so", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err) !=
        HPS_OK)
        fail_msg("%s", err);
    if (hps_sampler_new(sampler_name, &sampler, err, sizeof err) != HPS_OK)
        fail_msg("%s", err);
    snprintf(seed_text, sizeof seed_text, "%u", seed);
    ASSERT_OK(hps_sampler_set(sampler, "seed", seed_text));
    ASSERT_OK(hps_study_set_sampler(study, sampler));
    int near = 0;
    for (int i = 0; i < n_trials; i++) {
        hps_trial *t;
        double x;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
        double c = 0.5 - x;
        near += i >= 30 && x >= 0.5 && x <= 0.6;
        ASSERT_OK(hps_trial_set_constraints(t, &c, 1));
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, x));
        hps_trial_free(t);
    }
    hps_study_close(study);
    return near;
}

static void test_single_objective_constraint(void **state)
{
    (void)state;
    for (unsigned seed = 1; seed <= 3; seed++) {
        int tpe = near_feasible_optimum("tpe", seed, 80);
        int random = near_feasible_optimum("random", seed, 80);
        print_message("seed %u: trials 30-79 in [0.5, 0.6]: tpe %d, random %d\n", seed, tpe,
                      random);
        /* random: 5 of the 50 expected */
        if (!(tpe >= 15 && tpe > 2 * random))
            fail_msg("seed %u: tpe put %d of 50 trials in [0.5, 0.6], random %d", seed, tpe,
                     random);
    }
}

/* Every allocation failing in turn: HPS_ERR_NOMEM, never a crash or a wrong answer. */
static void test_out_of_memory(void **state)
{
    (void)state;
    int split_ok = 0, weights_ok = 0;
    for (unsigned long n = 1; n < 200 && !(split_ok && weights_ok); n++) {
        unsigned char below[N_FRONTS];
        double w[N_FRONTS];
        hps_mem_fail_after(n);
        hps_status rc_split = split_ok ? HPS_OK : tpe_split_pareto(fronts, N_FRONTS, 2, 2, below);
        hps_status rc_weights = weights_ok ? HPS_OK : tpe_below_weights(fronts, NULL, N_FRONTS, 2, w);
        hps_mem_fail_after(0);
        if (!split_ok && rc_split == HPS_OK) {
            expect_below(below, N_FRONTS, 1u << B | 1u << C);
            split_ok = 1;
        } else if (!split_ok) {
            assert_int_equal(rc_split, HPS_ERR_NOMEM);
        }
        if (!weights_ok && rc_weights == HPS_OK) {
            /* reference (6.6, 6.6); within the front A B C, C adds [4, 6.6) x [1, 3),
             * 5.2, the most, B [2, 4) x [3, 5); D, E and F are dominated */
            ASSERT_NEAR(w[C], 1.0, 1e-12);
            ASSERT_NEAR(w[B], 4 / 5.2, 1e-12);
            assert_true(w[E] == HPS_HV_EPS);
            assert_true(w[D] == HPS_HV_EPS && w[F] == HPS_HV_EPS);
            weights_ok = 1;
        } else if (!weights_ok)
            assert_int_equal(rc_weights, HPS_ERR_NOMEM);
    }
    assert_true(split_ok && weights_ok);

    /* the sampler itself, with two objectives and infeasible trials in its history */
    hps_study *study = open_two_objective_study("tpe", 5);
    for (int i = 0; i < 30; i++) {
        hps_trial *t;
        double x;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
        double v[2] = {x, 1 - x}, c = x - 0.3;
        ASSERT_OK(hps_trial_set_constraints(t, &c, 1));
        ASSERT_OK(hps_trial_tell_values(t, HPS_COMPLETE, v, 2));
        hps_trial_free(t);
    }
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    hps_history h;
    ASSERT_OK(hps_history_collect(study, t, &h));
    hps_engine_ctx e;
    hps_study_context(study, t, &e);
    int ok = 0;
    for (unsigned long n = 1; n < 2000 && !ok; n++) {
        double value = NAN;
        hps_mem_fail_after(n);
        hps_status rc = hps_tpe_sampler_ops.sample_relative(study->sampler, &e.ctx, &h, &value);
        hps_mem_fail_after(0);
        if (rc == HPS_OK) {
            assert_true(value >= 0 && value <= 1);
            ok = 1;
        } else {
            assert_int_equal(rc, HPS_ERR_NOMEM);
        }
    }
    assert_true(ok);
    hps_history_clear(&h);
    hps_trial_free(t);
    hps_study_close(study);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_by_rank_then_hssp),
        cmocka_unit_test(test_hssp_copies_and_infinities),
        cmocka_unit_test(test_below_weights_by_contribution),
        cmocka_unit_test(test_zdt1_beats_random),
        cmocka_unit_test(test_constraint_finds_feasible_region),
        cmocka_unit_test(test_single_objective_constraint),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
