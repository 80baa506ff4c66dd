/* test_warm_budget.c -- a worker asking for trials while a warm start's old trials go in
 * (warm_budget.h) runs n_trials new ones, never more, step by step: the creating run has
 * recorded that it will add all the old trials but added only some; the worker's budget
 * counts those in, again before each ask, and once the warm start is complete the budget
 * is n_trials plus all of them. (An ask refused because an old trial went in between
 * the count and the ask, which asks again, needs two processes racing:
 * test_warm_start_budget.sh runs ten `hpsearch run` workers at once.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/config.h"
#include "cli/warm_budget.h"
#include "cli/warm_start.h"
#include "testutil.h"
#include "testutil_study.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define N_OLD 6
#define N_TRIALS 3

static cfg_config *load_config(const char *target_url, const char *source_url, int warm)
{
    char text[4096], err[512];
    snprintf(text, sizeof text,
             "study: new\nstorage: %s\nmetric: loss\nn_trials: %d\ncommand: echo {x}\n"
             "%s%s%s"
             "parameters:\n  x: {low: 0.0, high: 1.0}\n",
             target_url, N_TRIALS, warm ? "warm_start: {from: old, storage: '" : "",
             warm ? source_url : "", warm ? "'}\n" : "");
    cfg_config *cfg = NULL;
    if (cfg_load_string(text, strlen(text), "warm.yaml", &cfg, err, sizeof err) != 0)
        fail_msg("the config does not load: %s", err);
    return cfg;
}

/* Adds old trial `number` of the source as the warm start does. */
static void add_old(const cfg_config *cfg, hps_study *study, hps_study *source, int64_t number)
{
    const hps_frozen *old;
    json_t *params = NULL;
    size_t which;
    ASSERT_OK(hps_study_trial(source, number, &old));
    assert_int_equal(warm_map_trial(cfg, old, &params, &which), WARM_FITS);
    assert_int_equal(warm_add_trial(cfg, study, old, params, "old"), 1);
    json_decref(params);
}

/* The worker's ask: a new trial, told at once. */
static hps_status ask_and_tell(const cfg_config *cfg, hps_study *study, warm_budget *budget)
{
    hps_trial *t = NULL;
    hps_status rc = warm_budget_ask(cfg, study, budget, &t);
    if (rc == HPS_OK) {
        double x;
        ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, 5.0));
        hps_trial_free(t);
    }
    return rc;
}

/* The study's trials the warm start added, and the others. */
static void count(hps_study *study, size_t *old, size_t *fresh)
{
    size_t n = 0;
    *old = *fresh = 0;
    ASSERT_OK(hps_study_n_trials(study, &n));
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *t;
        int64_t number;
        ASSERT_OK(hps_study_trial(study, (int64_t)i, &t));
        if (warm_origin(t, "old", &number))
            (*old)++;
        else
            (*fresh)++;
    }
}

static void test_a_worker_runs_n_trials_new_ones_while_the_old_ones_go_in(void **state)
{
    (void)state;
    char source_url[1024], target_url[1024], err[512];
    snprintf(source_url, sizeof source_url, "sqlite:%s", testutil_path("budget-source.db"));
    snprintf(target_url, sizeof target_url, "sqlite:%s", testutil_path("budget-target.db"));
    testutil_make_x_study(source_url, "old", N_OLD, false, NULL); /* the earlier study */
    cfg_config *cfg = load_config(target_url, source_url, 1);
    hps_direction dir = HPS_MINIMIZE;
    hps_study *creator = NULL, *worker = NULL, *source = NULL;
    ASSERT_OK(hps_study_open(source_url, "old", HPS_OPEN_LOAD, NULL, 0, &source, err, sizeof err));
    ASSERT_OK(hps_study_open(target_url, "new", HPS_OPEN_CREATE, &dir, 1, &creator, err,
                             sizeof err));
    /* recorded: N_OLD will go in; two are in */
    assert_int_equal(warm_reserve(cfg, creator), 0);
    assert_int_equal(warm_added(creator), N_OLD);
    add_old(cfg, creator, source, 0);
    add_old(cfg, creator, source, 1);

    /* the worker opens it now, and allows n_trials plus all N_OLD as run_setup.c does */
    ASSERT_OK(hps_study_open(target_url, "new", HPS_OPEN_LOAD, NULL, 0, &worker, err, sizeof err));
    char text[32];
    snprintf(text, sizeof text, "%d", N_TRIALS + N_OLD);
    ASSERT_OK(hps_study_set(worker, "max_trials", text));
    warm_budget budget = {0};
    ASSERT_OK(ask_and_tell(cfg, worker, &budget));
    ASSERT_OK(ask_and_tell(cfg, worker, &budget));
    /* another old one goes in: the storage's count (3 old + 2 new) reaches the budget
     * the worker set at its last ask (2 old + 3); its next ask counts the old ones
     * again first, and gets the third new trial */
    add_old(cfg, creator, source, 2);
    ASSERT_OK(ask_and_tell(cfg, worker, &budget));
    /* n_trials new ones ran: no more, though 3 old trials are not in yet */
    assert_int_equal(ask_and_tell(cfg, worker, &budget), HPS_DONE);
    size_t old = 0, fresh = 0;
    count(worker, &old, &fresh);
    assert_int_equal(old, 3);
    assert_int_equal(fresh, N_TRIALS);

    /* the rest go in, the warm start is complete: still nothing new */
    assert_int_equal(warm_seed(cfg, creator), 0);
    assert_int_equal(ask_and_tell(cfg, worker, &budget), HPS_DONE);
    assert_true(budget.settled);
    assert_int_equal(budget.max_trials, N_TRIALS + N_OLD);
    count(worker, &old, &fresh);
    assert_int_equal(old, N_OLD);
    assert_int_equal(fresh, N_TRIALS);
    /* and the creator, whose budget warm_seed set, runs none either */
    warm_budget creator_budget = {0};
    assert_int_equal(ask_and_tell(cfg, creator, &creator_budget), HPS_DONE);

    hps_study_close(worker);
    hps_study_close(creator);
    hps_study_close(source);
    cfg_free(cfg);
}

/* Without `warm_start:` the ask is hps_study_ask's, under the max_trials it had. */
static void test_without_a_warm_start_the_budget_is_left_as_set(void **state)
{
    (void)state;
    char target_url[1024], err[512];
    snprintf(target_url, sizeof target_url, "sqlite:%s", testutil_path("budget-plain.db"));
    cfg_config *cfg = load_config(target_url, NULL, 0);
    hps_direction dir = HPS_MINIMIZE;
    hps_study *study = NULL;
    ASSERT_OK(hps_study_open(target_url, "new", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err));
    ASSERT_OK(hps_study_set(study, "max_trials", "2"));
    warm_budget budget = {0};
    ASSERT_OK(ask_and_tell(cfg, study, &budget));
    ASSERT_OK(ask_and_tell(cfg, study, &budget));
    assert_int_equal(ask_and_tell(cfg, study, &budget), HPS_DONE);
    assert_int_equal(budget.max_trials, 0);
    hps_study_close(study);
    cfg_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_worker_runs_n_trials_new_ones_while_the_old_ones_go_in),
        cmocka_unit_test(test_without_a_warm_start_the_budget_is_left_as_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
