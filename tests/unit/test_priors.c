/* test_priors.c -- priors on parameters (hps_study_set_prior): malformed priors and
 * priors that do not fit the suggested distribution are refused with a message naming
 * them; random and Sobol draw from the prior (counts inside one scale of the center), and
 * so do NSGA-II's and NSGA-III's first generation and NSGA-II's draws of a parameter it
 * does not breed;
 * GP and TPE reach the optimum of a toy function sooner with a good prior than
 * without, and still reach it with a misleading one (counts over fixed seeds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/dist.h"
#include "base/mem.h"
#include "base/prior.h"
#include "hpsearch.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A study sampled by `sampler_name` seeded `seed`, with one more option when `option`
 * is not NULL. */
static hps_study *open_study_with(const char *sampler_name, const char *seed, const char *option,
                                  const char *value)
{
    hps_study *study;
    char err[256];
    hps_direction dir = HPS_MINIMIZE;
    if (hps_study_open(":memory:", "priors", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err) !=
        HPS_OK)
        fail_msg("%s", err);
    hps_sampler *sampler;
    ASSERT_OK(hps_sampler_new(sampler_name, &sampler, err, sizeof err));
    ASSERT_OK(hps_sampler_set(sampler, "seed", seed));
    if (option != NULL)
        ASSERT_OK(hps_sampler_set(sampler, option, value));
    ASSERT_OK(hps_study_set_sampler(study, sampler));
    return study;
}

static hps_study *open_study(const char *sampler_name, const char *seed)
{
    return open_study_with(sampler_name, seed, NULL, NULL);
}

/* ---- errors ---------------------------------------------------------------------------- */

static void test_malformed_priors(void **state)
{
    (void)state;
    hps_study *study = open_study("random", "1");
    const char *bad[][2] = {
        {"{}", "center and scale"},
        {"{\"center\": 0.5}", "center and scale"},
        {"{\"center\": 0.5, \"scale\": 0}", "scale must be a positive number"},
        {"{\"center\": 0.5, \"scale\": -1}", "scale must be a positive number"},
        {"{\"center\": \"mid\", \"scale\": 1}", "center must be a number"},
        {"{\"center\": 0.5, \"scale\": 1, \"shape\": 2}", "unknown key 'shape'"},
        {"{\"weights\": []}", "weights must be a list"},
        {"{\"weights\": [1, 0]}", "weight 2 must be a positive number"},
        {"{\"weights\": [1, -2]}", "weight 2 must be a positive number"},
        {"{\"weights\": [1], \"center\": 0}", "weights go alone"},
        {"[1, 2]", "must be an object"},
        {"{center: 1", "not JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(hps_study_set_prior(study, "lr", bad[i][0]), HPS_ERR_INVALID);
        const char *msg = hps_study_errmsg(study);
        if (strstr(msg, bad[i][1]) == NULL || strstr(msg, "'lr'") == NULL)
            fail_msg("prior %s: message \"%s\" lacks \"%s\" or the name", bad[i][0], msg,
                     bad[i][1]);
    }
    assert_int_equal(hps_study_set_prior(study, "", "{\"weights\": [1]}"), HPS_ERR_INVALID);
    assert_int_equal(hps_study_set_prior(study, "lr", NULL), HPS_ERR_INVALID);
    hps_study_close(study);
}

static void test_prior_that_does_not_fit_the_distribution(void **state)
{
    (void)state;
    hps_study *study = open_study("random", "1");
    ASSERT_OK(hps_study_set_prior(study, "x", "{\"center\": 5, \"scale\": 1}"));
    ASSERT_OK(hps_study_set_prior(study, "act", "{\"weights\": [1, 2, 3]}"));
    ASSERT_OK(hps_study_set_prior(study, "n", "{\"weights\": [1, 2]}"));
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    double x;
    assert_int_equal(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_trial_errmsg(t), "prior of 'x': center 5 is outside [0, 1]"));
    hps_value choices[] = {{.type = HPS_VALUE_STRING, .u.s = "relu"},
                           {.type = HPS_VALUE_STRING, .u.s = "tanh"}};
    size_t k;
    assert_int_equal(hps_trial_suggest_categorical(t, "act", choices, 2, &k), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_trial_errmsg(t), "prior of 'act': 3 weights for 2 choices"));
    int64_t n;
    assert_int_equal(hps_trial_suggest_int(t, "n", 1, 8, 1, 0, &n), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_trial_errmsg(t), "weights are for categorical parameters"));
    /* a fitting prior replaces the bad one */
    ASSERT_OK(hps_study_set_prior(study, "x", "{\"center\": 0.5, \"scale\": 0.1}"));
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    hps_trial_free(t);
    hps_study_close(study);
}

/* Out of memory at every allocation of setting priors: HPS_ERR_NOMEM, and the table
 * keeps what it had (the study still works and frees everything). */
static void test_set_prior_out_of_memory(void **state)
{
    (void)state;
    hps_study *study = open_study("random", "1");
    ASSERT_OK(hps_study_set_prior(study, "x", "{\"center\": 0.5, \"scale\": 0.1}"));
    int ok_seen = 0;
    for (unsigned long k = 1; k < 50 && !ok_seen; k++) {
        hps_mem_fail_after(k);
        hps_status a = hps_study_set_prior(study, "act", "{\"weights\": [1, 2]}");
        hps_status b = a == HPS_OK ? hps_study_set_prior(study, "y", "{\"center\": 1, \"scale\": 2}")
                                   : a;
        hps_mem_fail_after(0);
        if (a == HPS_OK && b == HPS_OK)
            ok_seen = 1;
        else
            assert_int_equal(a == HPS_OK ? b : a, HPS_ERR_NOMEM);
    }
    assert_true(ok_seen);
    hps_trial *t;
    double x;
    ASSERT_OK(hps_study_ask(study, &t));
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    hps_trial_free(t);
    hps_study_close(study);
}

/* ---- independent samplers draw from the prior ------------------------------------------ */

#define DRAWS 200

/* Of DRAWS trials of `sampler_name`, how many put x within one scale of the center,
 * lr within one decade-scale, n within one scale, and pick choice 0. */
static void count_inside(const char *sampler_name, int with_prior, int counts[4])
{
    /* NSGA's first generation holds every draw: the prior is for the first generation */
    int nsga = strncmp(sampler_name, "nsga", 4) == 0;
    hps_study *study = open_study_with(sampler_name, "3", nsga ? "population_size" : NULL,
                                       nsga ? "200" : NULL);
    if (with_prior) {
        ASSERT_OK(hps_study_set_prior(study, "x", "{\"center\": 0.3, \"scale\": 0.05}"));
        ASSERT_OK(hps_study_set_prior(study, "lr", "{\"center\": 1e-3, \"scale\": 0.5}"));
        ASSERT_OK(hps_study_set_prior(study, "n", "{\"center\": 40, \"scale\": 5}"));
        ASSERT_OK(hps_study_set_prior(study, "act", "{\"weights\": [8, 1, 1]}"));
    }
    hps_value choices[] = {{.type = HPS_VALUE_STRING, .u.s = "relu"},
                           {.type = HPS_VALUE_STRING, .u.s = "tanh"},
                           {.type = HPS_VALUE_STRING, .u.s = "gelu"}};
    memset(counts, 0, 4 * sizeof *counts);
    for (int i = 0; i < DRAWS; i++) {
        hps_trial *t;
        double x, lr;
        int64_t n;
        size_t k;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
        ASSERT_OK(hps_trial_suggest_float(t, "lr", 1e-5, 1e-1, 0, HPS_LOG, &lr));
        ASSERT_OK(hps_trial_suggest_int(t, "n", 1, 100, 1, 0, &n));
        ASSERT_OK(hps_trial_suggest_categorical(t, "act", choices, 3, &k));
        counts[0] += fabs(x - 0.3) <= 0.05;
        counts[1] += fabs(log10(lr) + 3) <= 0.5;
        counts[2] += n >= 35 && n <= 45;
        counts[3] += k == 0;
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, x));
        hps_trial_free(t);
    }
    hps_study_close(study);
}

/* A normal puts 68% of its mass within one scale (a little more once truncated); the
 * uniform would put 10%, 25%, 11% and 33% there. */
static void check_follows_prior(const char *sampler_name)
{
    int with[4], without[4];
    count_inside(sampler_name, 1, with);
    count_inside(sampler_name, 0, without);
    const char *what[] = {"x", "lr", "n", "act"};
    int low[] = {120, 120, 120, 140}, high[] = {160, 160, 170, 180}, uniform_max[] = {40, 70, 40, 85};
    for (int j = 0; j < 4; j++) {
        if (with[j] < low[j] || with[j] > high[j])
            fail_msg("%s: %s inside one scale %d of %d times with the prior (want %d..%d)",
                     sampler_name, what[j], with[j], DRAWS, low[j], high[j]);
        if (without[j] > uniform_max[j])
            fail_msg("%s: %s inside one scale %d of %d times without a prior", sampler_name,
                     what[j], without[j], DRAWS);
    }
}

static void test_random_follows_prior(void **state)
{
    (void)state;
    check_follows_prior("random");
}

static void test_sobol_follows_prior(void **state)
{
    (void)state;
    check_follows_prior("sobol");
}

/* NSGA-II and NSGA-III draw their first generation from the prior (before: uniformly,
 * whatever the prior said: x inside one scale in 24 of 200 trials, as uniform draws). */
static void test_nsga2_first_generation_follows_prior(void **state)
{
    (void)state;
    check_follows_prior("nsga2");
}

static void test_nsga3_first_generation_follows_prior(void **state)
{
    (void)state;
    check_follows_prior("nsga3");
}

/* After the first generation, a conditional parameter (outside the relative space, so
 * never crossed) is still drawn from its prior, while the unconditional ones are bred:
 * of the trials of generations 1..4 with act = relu, how many put mom within one scale
 * of the prior's center. */
static void test_nsga2_conditional_parameter_follows_prior(void **state)
{
    (void)state;
    int inside[2] = {0, 0}, active[2] = {0, 0};
    hps_value choices[] = {{.type = HPS_VALUE_STRING, .u.s = "relu"},
                           {.type = HPS_VALUE_STRING, .u.s = "tanh"}};
    for (int with_prior = 0; with_prior < 2; with_prior++) {
        hps_study *study = open_study_with("nsga2", "5", "population_size", "20");
        if (with_prior)
            ASSERT_OK(hps_study_set_prior(study, "mom", "{\"center\": 0.9, \"scale\": 0.02}"));
        for (int i = 0; i < 100; i++) {
            hps_trial *t;
            double x, mom = 0;
            size_t k;
            ASSERT_OK(hps_study_ask(study, &t));
            ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
            ASSERT_OK(hps_trial_suggest_categorical(t, "act", choices, 2, &k));
            if (k == 0) {
                ASSERT_OK(hps_trial_suggest_float(t, "mom", 0.5, 0.99, 0, 0, &mom));
                if (i >= 20) {
                    active[with_prior]++;
                    inside[with_prior] += fabs(mom - 0.9) <= 0.02;
                }
            }
            ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, (x - 0.2) * (x - 0.2) + (double)k));
            hps_trial_free(t);
        }
        hps_study_close(study);
    }
    /* one scale of the prior is 8% of the range: uniform draws land there rarely */
    if (active[1] < 20 || inside[1] < active[1] / 2)
        fail_msg("nsga2: mom within one scale of the prior in %d of %d later trials with it",
                 inside[1], active[1]);
    if (active[0] < 20 || inside[0] > active[0] / 4)
        fail_msg("nsga2: mom within one scale in %d of %d later trials without a prior",
                 inside[0], active[0]);
}

static double phi_cdf(double z)
{
    return 0.5 * erfc(-z / sqrt(2.0));
}

/* The inverse CDF is the CDF's inverse and the density the mixture's: a truncated normal
 * in unit positions (mean 0.5, sd 0.1 here) mixed with the uniform, checked against the
 * closed form at the median and one scale above it. */
static void test_quantile_and_density(void **state)
{
    (void)state;
    hps_dist dist;
    hps_errbuf err;
    ASSERT_OK(hps_dist_init_float(&dist, "x", 0, 10, 0, 0, &err));
    hps_prior prior = {.center = 5, .scale = 1};
    ASSERT_OK(hps_prior_check(&prior, "x", &dist, &err));
    const double share = HPS_PRIOR_UNIFORM_SHARE;
    double lo = phi_cdf(-5), mass = phi_cdf(5) - lo;
    assert_true(fabs(hps_prior_unit_quantile(&prior, &dist, 0.5) - 0.5) < 1e-12);
    /* one scale above the center is 0.6 in unit position */
    double u_one = (1 - share) * (phi_cdf(1) - lo) / mass + share * 0.6;
    assert_true(fabs(hps_prior_unit_quantile(&prior, &dist, u_one) - 0.6) < 1e-9);
    double normal_center = 1 / (0.1 * sqrt(2 * M_PI) * mass);
    double normal_one = normal_center * exp(-0.5);
    double d_one = (1 - share) * normal_one + share;
    assert_true(fabs(hps_prior_log_density(&prior, &dist, 0.5, NULL) -
                     log((1 - share) * normal_center + share)) < 1e-9);
    double dlog;
    assert_true(fabs(hps_prior_log_density(&prior, &dist, 0.6, &dlog) - log(d_one)) < 1e-9);
    /* d/du of log((1 - share) n(u) + share) = (1 - share) n(u) (-z / sigma) / density */
    assert_true(fabs(dlog - (1 - share) * normal_one * (-1.0 / 0.1) / d_one) < 1e-9);
    /* far from the center the uniform's share is all that is left */
    assert_true(fabs(hps_prior_log_density(&prior, &dist, 0.0, NULL) - log(share)) < 1e-3);
    hps_dist_clear(&dist);
}

/* ---- model-based samplers: good priors help, misleading ones cost little --------------- */

#define TOY_TRIALS 40
#define TOY_TARGET 0.01

/* Trials until f(x, y) = (x - 0.8)^2 + (y - 0.15)^2 on [0, 1]^2 goes below TOY_TARGET
 * (TOY_TRIALS + 1 when it never does). */
static int trials_to_optimum(const char *sampler_name, const char *seed, const char *prior_x,
                             const char *prior_y)
{
    hps_study *study = open_study(sampler_name, seed);
    if (prior_x != NULL) {
        ASSERT_OK(hps_study_set_prior(study, "x", prior_x));
        ASSERT_OK(hps_study_set_prior(study, "y", prior_y));
    }
    int reached = TOY_TRIALS + 1;
    for (int i = 0; i < TOY_TRIALS && reached > TOY_TRIALS; i++) {
        hps_trial *t;
        double x, y;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
        ASSERT_OK(hps_trial_suggest_float(t, "y", 0, 1, 0, 0, &y));
        double f = (x - 0.8) * (x - 0.8) + (y - 0.15) * (y - 0.15);
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, f));
        hps_trial_free(t);
        if (f < TOY_TARGET)
            reached = i + 1;
    }
    hps_study_close(study);
    return reached;
}

static void check_model_based(const char *sampler_name)
{
    const char *seeds[] = {"1", "2", "3"};
    int none = 0, good = 0, misleading = 0, misleading_missed = 0;
    for (size_t s = 0; s < 3; s++) {
        none += trials_to_optimum(sampler_name, seeds[s], NULL, NULL);
        good += trials_to_optimum(sampler_name, seeds[s], "{\"center\": 0.75, \"scale\": 0.1}",
                                  "{\"center\": 0.2, \"scale\": 0.1}");
        int m = trials_to_optimum(sampler_name, seeds[s], "{\"center\": 0.3, \"scale\": 0.15}",
                                  "{\"center\": 0.6, \"scale\": 0.15}");
        misleading += m;
        misleading_missed += m > TOY_TRIALS;
    }
    print_message("%s: trials to the optimum over 3 seeds: %d without a prior, %d with a good "
                  "one, %d with a misleading one\n", sampler_name, none, good, misleading);
    /* a good prior saves at least a third of the trials (TPE: 45 -> 19 with Optuna's 10
     * startup trials; since its model starts after 5, 35 without a prior -> 20) */
    if (!(3 * good <= 2 * none))
        fail_msg("%s: a good prior took %d trials, no prior %d", sampler_name, good, none);
    if (misleading_missed > 0)
        fail_msg("%s: a misleading prior missed the optimum in %d of 3 runs", sampler_name,
                 misleading_missed);
}

static void test_gp_with_priors(void **state)
{
    (void)state;
    check_model_based("gp");
}

static void test_tpe_with_priors(void **state)
{
    (void)state;
    check_model_based("tpe");
}

/* A prior on a conditional parameter (one only some trials have) through the GP's
 * conditional model: every suggestion valid, and the sgd trials after start-up mostly
 * near the prior. */
static void test_gp_prior_on_a_conditional_parameter(void **state)
{
    (void)state;
    hps_study *study = open_study("gp", "5");
    ASSERT_OK(hps_study_set_prior(study, "momentum", "{\"center\": 0.9, \"scale\": 0.02}"));
    hps_value choices[] = {{.type = HPS_VALUE_STRING, .u.s = "adam"},
                           {.type = HPS_VALUE_STRING, .u.s = "sgd"}};
    int sgd_late = 0, near_late = 0;
    for (int i = 0; i < 30; i++) {
        hps_trial *t;
        size_t k;
        double loss = 0.5, m = NAN;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_categorical(t, "optimizer", choices, 2, &k));
        if (k == 1) {
            ASSERT_OK(hps_trial_suggest_float(t, "momentum", 0.5, 0.99, 0, 0, &m));
            loss = (m - 0.88) * (m - 0.88);
        }
        if (i >= 15 && k == 1) {
            sgd_late++;
            near_late += fabs(m - 0.9) <= 0.06;
        }
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, loss));
        hps_trial_free(t);
    }
    print_message("gp: %d of %d late sgd trials with momentum near the prior\n", near_late,
                  sgd_late);
    assert_true(sgd_late >= 5);
    assert_true(2 * near_late >= sgd_late);
    hps_study_close(study);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_priors),
        cmocka_unit_test(test_prior_that_does_not_fit_the_distribution),
        cmocka_unit_test(test_set_prior_out_of_memory),
        cmocka_unit_test(test_random_follows_prior),
        cmocka_unit_test(test_sobol_follows_prior),
        cmocka_unit_test(test_nsga2_first_generation_follows_prior),
        cmocka_unit_test(test_nsga3_first_generation_follows_prior),
        cmocka_unit_test(test_nsga2_conditional_parameter_follows_prior),
        cmocka_unit_test(test_quantile_and_density),
        cmocka_unit_test(test_gp_with_priors),
        cmocka_unit_test(test_tpe_with_priors),
        cmocka_unit_test(test_gp_prior_on_a_conditional_parameter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
