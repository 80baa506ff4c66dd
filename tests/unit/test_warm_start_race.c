/* test_warm_start_race.c -- a worker asking for trials while the warm start adds the
 * old ones (issue #19) never gets one of them, and every added trial is its origin.
 *
 * A second process asks, suggests and tells trials in a tight loop on the new study,
 * as `hpsearch run` workers started at the same time do, for as long as the warm start
 * (warm_seed) takes. When the warm start enqueued each old trial and then asked for
 * it, the worker's ask could take the enqueued trial (it ran the old configuration as a
 * new trial) and the warm start's ask got another trial, recorded under the old values.
 * Here the worker must never see an old configuration, and each added trial must have
 * its origin's parameter and value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/config.h"
#include "cli/warm_start.h"
#include "testutil.h"
#include "testutil_study.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_OLD 40
#define ROUNDS 5
/* what the worker tells its own trials: no old trial has it */
#define WORKER_VALUE 99.0

static double old_x[N_OLD], old_value[N_OLD];

static int is_old_x(double x)
{
    for (int i = 0; i < N_OLD; i++)
        if (x == old_x[i])
            return 1;
    return 0;
}

/* The worker: asks until `stop` has something to read (or is closed); returns how
 * many of its trials had an old configuration, as its exit status. */
static int run_worker(const char *url, int ready, int stop)
{
    hps_study *study = NULL;
    char err[256];
    if (hps_study_open(url, "new", HPS_OPEN_LOAD, NULL, 0, &study, err, sizeof err) != HPS_OK)
        return 100;
    if (write(ready, "r", 1) != 1)
        return 101;
    int stolen = 0;
    for (;;) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(stop, &fds);
        struct timeval now = {0, 0};
        if (select(stop + 1, &fds, NULL, NULL, &now) != 0)
            break;
        hps_trial *t = NULL;
        double x;
        if (hps_study_ask(study, &t) != HPS_OK)
            continue;
        if (hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x) == HPS_OK)
            stolen += is_old_x(x);
        hps_trial_tell(t, HPS_COMPLETE, WORKER_VALUE);
        hps_trial_free(t);
    }
    hps_study_close(study);
    return stolen > 90 ? 90 : stolen;
}

/* Counts the added trials, those of them not their origin (other parameter or value),
 * and the other trials that ran an old configuration; prints each wrong one. */
static void check_added(hps_study *study, int round, size_t *n_added, size_t *n_wrong,
                        size_t *n_stolen)
{
    size_t n = 0;
    *n_added = *n_wrong = *n_stolen = 0;
    ASSERT_OK(hps_study_sync(study));
    ASSERT_OK(hps_study_n_trials(study, &n));
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *t;
        ASSERT_OK(hps_study_trial(study, (int64_t)i, &t));
        json_t *attrs = json_loads(hps_frozen_user_attrs(t), 0, NULL);
        json_t *number = json_object_get(json_object_get(attrs, "warm_start_from"), "number");
        long x_index = hps_frozen_param_index(t, "x");
        assert_true(x_index >= 0);
        double x = hps_frozen_param_value(t, (size_t)x_index).u.f;
        if (number != NULL) {
            json_int_t k = json_integer_value(number);
            assert_true(k >= 0 && k < N_OLD);
            (*n_added)++;
            if (x != old_x[k] || hps_frozen_value(t, 0) != old_value[k]) {
                (*n_wrong)++;
                fprintf(stderr, "round %d: trial %lld, added from old trial %lld: x=%.17g "
                        "value=%.17g, the old trial's x=%.17g value=%.17g\n", round,
                        (long long)hps_frozen_number(t), (long long)k, x,
                        hps_frozen_value(t, 0), old_x[k], old_value[k]);
            }
        } else if (is_old_x(x)) {
            (*n_stolen)++;
            fprintf(stderr, "round %d: trial %lld is no warm-start trial but ran old "
                    "configuration x=%.17g\n", round, (long long)hps_frozen_number(t), x);
        }
        json_decref(attrs);
    }
}

static void test_a_worker_never_takes_a_trial_the_warm_start_adds(void **state)
{
    (void)state;
    char source_url[1024], target_url[1024], name[64], text[4096], err[512];
    snprintf(source_url, sizeof source_url, "sqlite:%s", testutil_path("source.db"));
    /* the earlier study: N_OLD trials of x, valued x * x */
    testutil_make_x_study(source_url, "old", N_OLD, false, old_x);
    for (int i = 0; i < N_OLD; i++)
        old_value[i] = old_x[i] * old_x[i];
    hps_direction dir = HPS_MINIMIZE;
    for (int round = 0; round < ROUNDS; round++) {
        snprintf(name, sizeof name, "target-%d.db", round);
        snprintf(target_url, sizeof target_url, "sqlite:%s", testutil_path(name));
        snprintf(text, sizeof text,
                 "study: new\nstorage: %s\nmetric: loss\nn_trials: 3\ncommand: echo {x}\n"
                 "warm_start: {from: old, storage: '%s'}\nparameters:\n"
                 "  x: {low: 0.0, high: 1.0}\n",
                 target_url, source_url);
        cfg_config *cfg = NULL;
        if (cfg_load_string(text, strlen(text), "warm.yaml", &cfg, err, sizeof err) != 0)
            fail_msg("the config does not load: %s", err);
        hps_study *study = NULL;
        ASSERT_OK(hps_study_open(target_url, "new", HPS_OPEN_CREATE, &dir, 1, &study, err,
                                 sizeof err));
        assert_int_equal(warm_reserve(cfg, study), 0);
        int ready[2], stop[2];
        assert_int_equal(pipe(ready), 0);
        assert_int_equal(pipe(stop), 0);
        fflush(NULL);
        pid_t worker = fork();
        assert_true(worker >= 0);
        if (worker == 0) {
            close(ready[0]);
            close(stop[1]);
            _exit(run_worker(target_url, ready[1], stop[0]));
        }
        close(ready[1]);
        close(stop[0]);
        char byte;
        assert_int_equal(read(ready[0], &byte, 1), 1); /* the worker is asking */
        assert_int_equal(warm_seed(cfg, study), 0);
        close(stop[1]);
        int status = 0;
        assert_int_equal(waitpid(worker, &status, 0), worker);
        close(ready[0]);
        assert_true(WIFEXITED(status));
        size_t added, wrong, stolen;
        check_added(study, round, &added, &wrong, &stolen);
        if (wrong > 0 || stolen > 0 || WEXITSTATUS(status) != 0)
            fail_msg("round %d: %zu added trials are not their origin, %zu other trials ran an "
                     "old configuration (the worker saw %d)",
                     round, wrong, stolen, WEXITSTATUS(status));
        assert_int_equal(added, N_OLD);
        hps_study_close(study);
        cfg_free(cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_worker_never_takes_a_trial_the_warm_start_adds)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
