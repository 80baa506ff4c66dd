/* test_auto.c -- the `auto` strategy: its decisions on a table of spaces and budgets,
 * and the auto sampler recording which strategy ran each trial. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hpsearch.h"
#include "testutil.h"
#include "samplers/auto_policy.h"

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
        /* bench/: the GP matched or beat TPE on conditional and categorical-heavy spaces */
        {{.n_float = 3, .conditional = 1}, AUTO_GP, "Bayesian"},
        {{.n_float = 1, .n_categorical = 2}, AUTO_GP, "Bayesian"},
        {{.n_float = 25, .budget = 200}, AUTO_TPE, "25 parameters"},
        {{.n_float = 3, .n_categorical = 1, .budget = 100}, AUTO_GP, "mostly numeric"},
        /* long continuous runs hand over to CMA-ES after AUTO_CMAES_AFTER trials */
        {{.n_float = 5, .budget = 5000, .n_finished = 100}, AUTO_GP, "Bayesian"},
        {{.n_float = 5, .budget = 5000, .n_finished = 500}, AUTO_CMAES, "CMA-ES"},
        {{.n_float = 4, .n_categorical = 1, .budget = 5000, .n_finished = 500}, AUTO_GP, "Bayesian"},
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decision_table),
        cmocka_unit_test(test_auto_sampler_records_strategy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
