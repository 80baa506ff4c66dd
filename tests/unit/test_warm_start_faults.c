/* test_warm_start_faults.c -- a warm start is all or nothing: when a storage call fails
 * at any point while `hpsearch run` adds the other study's trials (fault injection:
 * hps_storage_fail_after, looped over every call), the study records the warm start as
 * cut short, and the next run (warm_resume_needed, then warm_seed) adds exactly the
 * trials not added yet: every fitting old trial once, with its curve, none twice. The
 * failing run is a child process, gone by then; one still alive is left to finish. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/config.h"
#include "cli/warm_start.h"
#include "storage/storage.h"
#include "testutil.h"
#include "testutil_study.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_OLD 3
#define MAX_POINTS 2000

/* COMPLETE warm-start trials of `study`, each old trial at most once, each with its
 * two steps; fails the test on a duplicate. */
static size_t count_added(hps_study *study)
{
    size_t n = 0, added = 0;
    int seen[N_OLD] = {0};
    ASSERT_OK(hps_study_n_trials(study, &n));
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *t;
        ASSERT_OK(hps_study_trial(study, (int64_t)i, &t));
        if (hps_frozen_state(t) != HPS_COMPLETE)
            continue;
        json_t *attrs = json_loads(hps_frozen_user_attrs(t), 0, NULL);
        json_t *number = json_object_get(json_object_get(attrs, "warm_start_from"), "number");
        assert_true(json_is_integer(number));
        json_int_t k = json_integer_value(number);
        assert_true(k >= 0 && k < N_OLD);
        if (seen[k]++)
            fail_msg("old trial %lld was added twice", (long long)k);
        assert_int_equal(hps_frozen_n_intermediate(t), 2);
        added++;
        json_decref(attrs);
    }
    return added;
}

static cfg_config *load_config(const char *target_url, const char *source_url)
{
    char text[4096], err[512];
    snprintf(text, sizeof text,
             "study: new\nstorage: %s\nmetric: loss\nn_trials: 3\ncommand: echo {x}\n"
             "warm_start: {from: old, storage: '%s'}\nparameters:\n  x: {low: 0.0, high: 1.0}\n",
             target_url, source_url);
    cfg_config *cfg = NULL;
    if (cfg_load_string(text, strlen(text), "warm.yaml", &cfg, err, sizeof err) != 0)
        fail_msg("the config does not load: %s", err);
    return cfg;
}

static void test_cut_short_warm_start_is_finished_by_the_next_run(void **state)
{
    (void)state;
    char source_url[1024], target_url[1024], name[64];
    snprintf(source_url, sizeof source_url, "sqlite:%s", testutil_path("source.db"));
    /* the earlier study: N_OLD trials, two steps of curve each */
    testutil_make_x_study(source_url, "old", N_OLD, true, NULL);
    hps_direction dir = HPS_MINIMIZE;
    char err[512];
    unsigned long k, cut_short = 0, partial = 0;
    for (k = 1; k < MAX_POINTS; k++) {
        snprintf(name, sizeof name, "target-%lu.db", k);
        snprintf(target_url, sizeof target_url, "sqlite:%s", testutil_path(name));
        cfg_config *cfg = load_config(target_url, source_url);
        /* the run that creates the study, its k-th storage call failing: a process of
         * its own, gone when the next run looks (a live one may still be adding) */
        fflush(NULL);
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
            hps_storage_faults_enable(1);
            hps_storage_fail_after(k);
            hps_study *study = NULL;
            int seeded = -1;
            if (hps_study_open(target_url, "new", HPS_OPEN_CREATE, &dir, 1, &study, err,
                               sizeof err) == HPS_OK &&
                warm_reserve(cfg, study) == 0)
                seeded = warm_seed(cfg, study);
            unsigned long made = hps_storage_fail_after(0);
            hps_study_close(study);
            _exit(seeded != 0 ? 2 : made < k ? 0 : 1);
        }
        int status = 0;
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFEXITED(status));
        int seeded = WEXITSTATUS(status) == 2 ? -1 : 0;
        int no_failure = WEXITSTATUS(status) == 0;
        /* the next run */
        hps_study *study = NULL;
        if (hps_study_open(target_url, "new", HPS_OPEN_LOAD, NULL, 0, &study, err, sizeof err) ==
            HPS_OK) {
            const char *attrs;
            ASSERT_OK(hps_study_system_attrs(study, &attrs));
            /* a failure before the warm start was recorded leaves a study without one:
             * nothing was added, and nothing is to finish */
            if (strstr(attrs, "\"warm_start\"") != NULL) {
                int resume = warm_resume_needed(cfg, study);
                assert_int_equal(resume, seeded != 0);
                if (resume) {
                    size_t before = count_added(study);
                    partial += before > 0 && before < N_OLD;
                    cut_short++;
                    assert_int_equal(warm_seed(cfg, study), 0);
                }
                assert_int_equal(count_added(study), N_OLD);
                assert_false(warm_resume_needed(cfg, study));
                assert_int_equal(warm_added(study), N_OLD);
            } else {
                assert_int_equal(count_added(study), 0);
            }
            hps_study_close(study);
        }
        cfg_free(cfg);
        if (no_failure)
            break; /* no call failed: every point was tried */
    }
    assert_true(k < MAX_POINTS);
    /* a warm start still going in (its process alive: this one) is not taken over */
    snprintf(target_url, sizeof target_url, "sqlite:%s", testutil_path("live.db"));
    cfg_config *cfg = load_config(target_url, source_url);
    hps_study *study;
    ASSERT_OK(hps_study_open(target_url, "new", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err));
    assert_int_equal(warm_reserve(cfg, study), 0);
    assert_false(warm_resume_needed(cfg, study));
    hps_study_close(study);
    cfg_free(cfg);
    assert_true(cut_short > N_OLD);
    assert_true(partial > 0); /* some failures fell between two added trials */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_short_warm_start_is_finished_by_the_next_run)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
