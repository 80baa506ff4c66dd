/* test_auto.c -- the `auto` strategy: its decisions on a table of spaces and budgets,
 * and the auto sampler recording which strategy ran each trial. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hpsearch.h"
#include "testutil.h"
#include "testutil_objectives.h"
#include "base/hypervolume.h"
#include "samplers/auto_policy.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void test_decision_table(void **state)
{
    (void)state;
    static const struct {
        auto_inputs in;
        auto_strategy want;
        const char *why; /* a phrase the reason must contain */
    } cases[] = {
        /* the seed's grid: 18 cells, budget 20, the CLI can enumerate it */
        {{.n_categorical = 3, .grid_size = 18, .budget = 20, .can_grid = 1}, AUTO_GRID, "fits the budget"},
        /* the same grid without a budget: small enough to run whole, then stop */
        {{.n_categorical = 3, .grid_size = 18, .budget = 0, .can_grid = 1}, AUTO_GRID, "no budget is set"},
        /* a larger one without a budget, or a budget below the grid: a model */
        {{.n_int = 3, .grid_size = 500, .budget = 0, .can_grid = 1}, AUTO_GP, "Bayesian"},
        {{.n_float = 2, .n_int = 1, .grid_size = 500, .budget = 100, .can_grid = 1}, AUTO_GP, "Bayesian"},
        /* the auto sampler itself cannot enumerate a grid */
        {{.n_int = 2, .grid_size = 10, .budget = 50, .can_grid = 0}, AUTO_GP, "Gaussian process"},
        {{.budget = 50}, AUTO_SOBOL, "Nothing is known"},
        /* bench/conditional.md: the GP, which models each branch, led on conditional
         * spaces */
        {{.n_float = 3, .conditional = 1}, AUTO_GP, "A conditional space"},
        /* how the branch is chosen, as shipped: the acquisition decides (a choice by the
         * branches' ranks lost, bench/conditional_route.md) */
        {{.n_float = 3, .conditional = 1}, AUTO_GP, "the expected improvement is largest"},
        {{.n_float = 3, .conditional = 1, .n_objectives = 2}, AUTO_GP, "Several objectives"},
        {{.n_float = 1, .n_categorical = 2}, AUTO_GP, "Bayesian"},
        {{.n_float = 25, .budget = 200}, AUTO_TPE, "25 parameters"},
        {{.n_float = 3, .n_categorical = 1, .budget = 100}, AUTO_GP, "mostly numeric"},
        /* long continuous runs hand over to CMA-ES after AUTO_CMAES_AFTER trials */
        {{.n_float = 5, .budget = 5000, .n_finished = 100}, AUTO_GP, "Bayesian"},
        {{.n_float = 5, .budget = 5000, .n_finished = 500}, AUTO_CMAES, "CMA-ES"},
        {{.n_float = 4, .n_categorical = 1, .budget = 5000, .n_finished = 500}, AUTO_GP, "Bayesian"},
        /* several objectives or constraints: the GP for AUTO_SEVERAL_GP_TRIALS trials,
         * then TPE (MOTPE); TPE from the start on a space too wide for the GP; a grid that
         * fits the budget is still run whole */
        {{.n_float = 3, .n_objectives = 2}, AUTO_GP, "Several objectives: Bayesian"},
        {{.n_float = 3, .n_objectives = 2, .n_finished = 99}, AUTO_GP, "hypervolume"},
        {{.n_float = 3, .n_objectives = 2, .n_finished = 100}, AUTO_TPE, "takes over after 100"},
        {{.n_float = 3, .n_objectives = 3, .budget = 5000, .n_finished = 500}, AUTO_TPE, "MOTPE"},
        {{.n_float = 25, .n_objectives = 2}, AUTO_TPE, "too wide"},
        {{.n_float = 3, .n_objectives = 4}, AUTO_GP, "hypervolume"},
        {{.n_float = 3, .n_objectives = 5}, AUTO_TPE, "more than 4 objectives"},
        {{.n_float = 2, .constrained = 1}, AUTO_GP, "Constraints: Bayesian"},
        {{.n_float = 2, .constrained = 1, .n_finished = 150}, AUTO_TPE, "Constraints: TPE"},
        {{.n_float = 2, .n_objectives = 2, .constrained = 1}, AUTO_GP,
         "per objective and per constraint"},
        {{.n_objectives = 2, .budget = 50}, AUTO_GP, "Several objectives"},
        {{.n_categorical = 2, .grid_size = 6, .budget = 10, .can_grid = 1, .n_objectives = 2},
         AUTO_GRID, "fits the budget"},
        /* one objective, no constraints: as before */
        {{.n_float = 3, .n_objectives = 1}, AUTO_GP, "Bayesian"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        auto_decision d;
        auto_decide(&cases[i].in, &d);
        if (d.strategy != cases[i].want || strstr(d.reason, cases[i].why) == NULL)
            fail_msg("case %zu: got %s (%s), want %s with '%s'", i, auto_strategy_name(d.strategy),
                     d.reason, auto_strategy_name(cases[i].want), cases[i].why);
    }
}

/* The auto sampler starts with Sobol points, then models; each trial says which. */
static void test_auto_sampler_records_strategy(void **state)
{
    (void)state;
    hps_study *study;
    char err[256];
    hps_direction dir = HPS_MINIMIZE;
    ASSERT_OK(hps_study_open(":memory:", "a", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err));
    hps_sampler *s;
    ASSERT_OK(hps_sampler_new("auto", &s, err, sizeof err));
    ASSERT_OK(hps_sampler_set(s, "seed", "5"));
    ASSERT_OK(hps_study_set_sampler(study, s));
    int seen_gp = 0, seen_sobol = 0;
    double best = 1e9;
    for (int i = 0; i < 25; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        double x, y;
        ASSERT_OK(hps_trial_suggest_float(t, "x", -5, 5, 0, 0, &x));
        ASSERT_OK(hps_trial_suggest_float(t, "y", -5, 5, 0, 0, &y));
        double f = (x - 1) * (x - 1) + (y + 2) * (y + 2);
        best = f < best ? f : best;
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, f));
        const char *attrs = hps_frozen_system_attrs(hps_trial_frozen(t));
        seen_gp += strstr(attrs, "\"sampler\": \"gp\"") != NULL;
        seen_sobol += strstr(attrs, "\"sampler\": \"sobol\"") != NULL;
        assert_true(strstr(attrs, "\"sampler\"") != NULL);
        hps_trial_free(t);
    }
    printf("auto: %d sobol trials, %d gp trials, best %.2e\n", seen_sobol, seen_gp, best);
    assert_int_equal(seen_sobol, 1); /* trial 0: nothing known yet */
    assert_int_equal(seen_gp, 24);
    assert_true(best < 0.05); /* the model found the bowl's bottom */
    /* a space of more than AUTO_GP_MAX_DIMS parameters goes to TPE */
    hps_study *wide;
    ASSERT_OK(hps_study_open(":memory:", "w", HPS_OPEN_CREATE, &dir, 1, &wide, err, sizeof err));
    ASSERT_OK(hps_sampler_new("auto", &s, err, sizeof err));
    ASSERT_OK(hps_study_set_sampler(wide, s));
    const char *last = "";
    for (int i = 0; i < 3; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(wide, &t));
        double sum = 0;
        for (int k = 0; k < AUTO_GP_MAX_DIMS + 2; k++) {
            char name[16];
            double v;
            snprintf(name, sizeof name, "p%d", k);
            ASSERT_OK(hps_trial_suggest_float(t, name, 0, 1, 0, 0, &v));
            sum += v;
        }
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, sum));
        last = strstr(hps_frozen_system_attrs(hps_trial_frozen(t)), "\"sampler\": \"tpe\"") != NULL
                   ? "tpe"
                   : "other";
        hps_trial_free(t);
    }
    assert_string_equal(last, "tpe");
    hps_study_close(wide);
    hps_study_close(study);
}

/* ZDT1 with 4 parameters run by the named sampler for `trials` trials: the hypervolume
 * of its trials w.r.t. (1.1, 11) (f2 <= 10 on the whole space); *gp_trials counts the
 * trials whose system attributes say the auto sampler gave them to the GP. */
static double zdt1_hypervolume(const char *sampler_name, int seed, int trials, int *gp_trials)
{
    hps_study *study;
    char err[256];
    hps_direction dirs[2] = {HPS_MINIMIZE, HPS_MINIMIZE};
    ASSERT_OK(hps_study_open(":memory:", "zdt1", HPS_OPEN_CREATE, dirs, 2, &study, err, sizeof err));
    hps_sampler *s;
    ASSERT_OK(hps_sampler_new(sampler_name, &s, err, sizeof err));
    char seed_text[16];
    snprintf(seed_text, sizeof seed_text, "%d", seed);
    ASSERT_OK(hps_sampler_set(s, "seed", seed_text));
    ASSERT_OK(hps_study_set_sampler(study, s));
    double points[2 * 64];
    assert_true(trials <= 64);
    *gp_trials = 0;
    for (int i = 0; i < trials; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        double x[4], rest = 0;
        for (int k = 0; k < 4; k++) {
            char name[8];
            snprintf(name, sizeof name, "x%d", k);
            ASSERT_OK(hps_trial_suggest_float(t, name, 0, 1, 0, 0, &x[k]));
            rest += k > 0 ? x[k] : 0;
        }
        double g = 1 + 9 * rest / 3;
        points[2 * i] = x[0];
        points[2 * i + 1] = g * (1 - sqrt(x[0] / g));
        ASSERT_OK(hps_trial_tell_values(t, HPS_COMPLETE, &points[2 * i], 2));
        *gp_trials += strstr(hps_frozen_system_attrs(hps_trial_frozen(t)),
                             "\"sampler\": \"gp\"") != NULL;
        hps_trial_free(t);
    }
    hps_study_close(study);
    const double ref[2] = {1.1, 11};
    double hv;
    ASSERT_OK(hps_hypervolume(points, (size_t)trials, 2, ref, &hv));
    return hv;
}

/* The x values of `trials` trials on two objectives (ZDT1's x0 and a bowl around 0.8)
 * from the named sampler with one option set (NULL: none). */
static void two_objective_xs(const char *sampler_name, const char *option, const char *value,
                             int trials, double *xs)
{
    hps_study *study;
    char err[256];
    hps_direction dirs[2] = {HPS_MINIMIZE, HPS_MINIMIZE};
    ASSERT_OK(hps_study_open(":memory:", "two", HPS_OPEN_CREATE, dirs, 2, &study, err, sizeof err));
    hps_sampler *s;
    ASSERT_OK(hps_sampler_new(sampler_name, &s, err, sizeof err));
    ASSERT_OK(hps_sampler_set(s, "seed", "4"));
    if (option != NULL)
        ASSERT_OK(hps_sampler_set(s, option, value));
    ASSERT_OK(hps_study_set_sampler(study, s));
    for (int i = 0; i < trials; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &xs[i]));
        double f[2] = {xs[i], (xs[i] - 0.8) * (xs[i] - 0.8)};
        ASSERT_OK(hps_trial_tell_values(t, HPS_COMPLETE, f, 2));
        hps_trial_free(t);
    }
    hps_study_close(study);
}

/* With several objectives auto's first trials are exactly the gp sampler's (same seed,
 * same Sobol start-up, same models). Where auto runs TPE it keeps TPE's 10 random
 * start-up trials, with which its policy was benchmarked (bench/multiobjective.md),
 * although tpe's own default is now 5: the two depart once tpe's model starts. */
static void test_auto_several_objectives_startup(void **state)
{
    (void)state;
    double by_auto[14], by_gp[14], by_tpe10[14], by_tpe[14];
    two_objective_xs("auto", NULL, NULL, 14, by_auto);
    two_objective_xs("gp", NULL, NULL, 14, by_gp);
    for (int i = 0; i < 14; i++)
        if (by_auto[i] != by_gp[i])
            fail_msg("trial %d: auto drew %.17g, gp %.17g", i, by_auto[i], by_gp[i]);
    two_objective_xs("tpe", "n_startup_trials", "10", 14, by_tpe10);
    two_objective_xs("tpe", NULL, NULL, 14, by_tpe);
    int differ = 0;
    for (int i = 5; i < 14; i++)
        differ += by_tpe[i] != by_tpe10[i];
    if (differ == 0)
        fail_msg("tpe's default start-up drew the same trials as 10 random ones");
}

/* With two objectives auto hands its first AUTO_SEVERAL_GP_TRIALS trials to the GP (log
 * EHVI), and its Pareto front beats random search's at a small budget on every seed. */
static void test_auto_two_objectives(void **state)
{
    (void)state;
    for (int seed = 1; seed <= 3; seed++) {
        int gp_trials, ignored;
        double with_auto = zdt1_hypervolume("auto", seed, 40, &gp_trials);
        double with_random = zdt1_hypervolume("random", seed, 40, &ignored);
        printf("seed %d: hypervolume auto %.4f, random %.4f (front 11.7667)\n", seed,
               with_auto, with_random);
        assert_int_equal(gp_trials, 40);
        assert_true(with_auto > with_random);
    }
}

/* One objective with constraints: the GP, with a model of the constraint. */
static void test_auto_constraints(void **state)
{
    (void)state;
    hps_study *study;
    char err[256];
    hps_direction dir = HPS_MINIMIZE;
    ASSERT_OK(hps_study_open(":memory:", "c", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err));
    hps_sampler *s;
    ASSERT_OK(hps_sampler_new("auto", &s, err, sizeof err));
    ASSERT_OK(hps_study_set_sampler(study, s));
    const char *want[] = {"sobol", "gp", "gp"}; /* trial 0: no constraints seen yet */
    for (int i = 0; i < 3; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        double x;
        ASSERT_OK(hps_trial_suggest_float(t, "x", -5, 5, 0, 0, &x));
        double c = 1 - x; /* x >= 1 */
        ASSERT_OK(hps_trial_set_constraints(t, &c, 1));
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, x * x));
        char expect[32];
        snprintf(expect, sizeof expect, "\"sampler\": \"%s\"", want[i]);
        if (strstr(hps_frozen_system_attrs(hps_trial_frozen(t)), expect) == NULL)
            fail_msg("trial %d: %s, want %s", i, hps_frozen_system_attrs(hps_trial_frozen(t)), expect);
        hps_trial_free(t);
    }
    hps_study_close(study);
}

/* On a conditional space auto hands the trials to the GP once a finished trial shows
 * the space is conditional; the late trials take the branch holding the optimum, and no
 * trial stores a parameter it did not suggest (inactive ones are never drawn into it). */
static void test_auto_conditional_tree(void **state)
{
    (void)state;
    enum { TRIALS = 60, LATE = 20 };
    for (int seed = 1; seed <= 3; seed++) {
        hps_study *study;
        char err[256], seed_text[16];
        hps_direction dir = HPS_MINIMIZE;
        ASSERT_OK(hps_study_open(":memory:", "tree", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err));
        hps_sampler *s;
        ASSERT_OK(hps_sampler_new("auto", &s, err, sizeof err));
        snprintf(seed_text, sizeof seed_text, "%d", seed);
        ASSERT_OK(hps_sampler_set(s, "seed", seed_text));
        ASSERT_OK(hps_study_set_sampler(study, s));
        int late_two_layers = 0, gp_trials = 0;
        double best = 1e9;
        for (int i = 0; i < TRIALS; i++) {
            hps_trial *t;
            ASSERT_OK(hps_study_ask(study, &t));
            testutil_tree_trial r = testutil_tree(t);
            ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, r.value));
            const hps_frozen *f = hps_trial_frozen(t);
            assert_int_equal(hps_frozen_n_params(f), r.n_suggested);
            gp_trials += strstr(hps_frozen_system_attrs(f), "\"sampler\": \"gp\"") != NULL;
            late_two_layers += i >= TRIALS - LATE && r.deep && r.layers == 2;
            best = r.value < best ? r.value : best;
            hps_trial_free(t);
        }
        printf("seed %d: %d GP trials, %d of the last %d in deep/2 layers, best %.4f\n", seed,
               gp_trials, late_two_layers, LATE, best);
        /* trial 0 is Sobol, every later one the GP's */
        assert_true(gp_trials == TRIALS - 1);
        assert_true(late_two_layers >= 12); /* when the GP drew conditional ones at random: 0 */
        assert_true(best < 0.05);
        hps_study_close(study);
    }
}

/* A parameter with one value (the CLI passes a constant such as `epochs: 3` as a
 * one-choice categorical) is nothing to search: auto leaves it out of its counts, as
 * Optuna's search space does and as hps_auto_explain's caller does, so a long run on
 * x and y still hands over to CMA-ES after AUTO_CMAES_AFTER trials. */
static void test_auto_ignores_one_value_parameter(void **state)
{
    (void)state;
    hps_study *study;
    char err[256];
    hps_direction dir = HPS_MINIMIZE;
    ASSERT_OK(hps_study_open(":memory:", "k", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err));
    hps_sampler *s;
    ASSERT_OK(hps_sampler_new("random", &s, err, sizeof err));
    ASSERT_OK(hps_study_set_sampler(study, s));
    ASSERT_OK(hps_study_set(study, "max_trials", "1000"));
    const hps_value epochs = {.type = HPS_VALUE_INT, .u.i = 3};
    for (int i = 0; i <= AUTO_CMAES_AFTER; i++) {
        if (i == AUTO_CMAES_AFTER) { /* the finished trials came cheap; auto takes the next */
            ASSERT_OK(hps_sampler_new("auto", &s, err, sizeof err));
            ASSERT_OK(hps_study_set_sampler(study, s));
        }
        hps_trial *t;
        double x, y;
        size_t k;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
        ASSERT_OK(hps_trial_suggest_float(t, "y", 0, 1, 0, 0, &y));
        ASSERT_OK(hps_trial_suggest_categorical(t, "epochs", &epochs, 1, &k));
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, x * x + y));
        if (i == AUTO_CMAES_AFTER) {
            const char *attrs = hps_frozen_system_attrs(hps_trial_frozen(t));
            if (strstr(attrs, "\"sampler\": \"cmaes\"") == NULL)
                fail_msg("trial %d after %d finished: %s, want cmaes", i, AUTO_CMAES_AFTER, attrs);
        }
        hps_trial_free(t);
    }
    hps_study_close(study);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decision_table),
        cmocka_unit_test(test_auto_sampler_records_strategy),
        cmocka_unit_test(test_auto_two_objectives),
        cmocka_unit_test(test_auto_several_objectives_startup),
        cmocka_unit_test(test_auto_constraints),
        cmocka_unit_test(test_auto_conditional_tree),
        cmocka_unit_test(test_auto_ignores_one_value_parameter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
