/* test_stale_owner.c -- a worker whose trial was recovered as stale and handed to
 * another worker must not finish, pause or report into that trial any more.
 *
 * Two study handles on one SQLite file play two worker processes. A's heartbeat stops
 * (its interval is longer than the test), B's grace is short: B finds A's trial stale,
 * takes it over, and the stale A then tries to tell it. The conformance suite
 * checks the same rule on every backend through one handle and a dead worker id; this
 * is the case as workers meet it, with heartbeats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hpsearch.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static hps_study *open_worker(const char *url, const char *worker, const char *max_trials)
{
    hps_study *study = NULL;
    char err[512];
    hps_direction dir = HPS_MINIMIZE;
    hps_status rc = hps_study_open(url, "stale-owner", HPS_OPEN_CREATE | HPS_OPEN_LOAD, &dir, 1,
                                   &study, err, sizeof err);
    if (rc != HPS_OK)
        fail_msg("open %s: %s", url, err);
    ASSERT_OK(hps_study_set(study, "worker", worker));
    ASSERT_OK(hps_study_set(study, "max_trials", max_trials));
    return study;
}

/* B finds A's trial silent for longer than its grace and recovers it (back to PAUSED,
 * as a resumed trial), then resumes it: the same trial, RUNNING again, now B's. */
static hps_trial *take_over(hps_study *b_study)
{
    ASSERT_OK(hps_study_set(b_study, "heartbeat_grace", "0.2"));
    usleep(400000); /* A's heartbeat is now older than B's grace */
    size_t n_recovered;
    ASSERT_OK(hps_study_recover_stale(b_study, &n_recovered));
    assert_int_equal(n_recovered, 1);
    hps_trial *t = NULL;
    ASSERT_OK(hps_study_resume(b_study, 0, &t));
    assert_int_equal(hps_trial_number(t), 0);
    return t;
}

static void test_stale_tell_is_refused_and_new_owner_records(void **state)
{
    (void)state;
    char url[4200];
    snprintf(url, sizeof url, "sqlite:%s", testutil_path("tell.db"));
    hps_study *a = open_worker(url, "worker-a:1:1", "1");
    ASSERT_OK(hps_study_set(a, "heartbeat_interval", "3600")); /* beats once, at the start */
    hps_trial *t = NULL;
    ASSERT_OK(hps_study_ask(a, &t));
    double x;
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_report(t, 0, 1.0));
    ASSERT_OK(hps_trial_pause(t, 0));
    hps_trial_free(t);
    hps_trial *a_trial = NULL;
    ASSERT_OK(hps_study_resume(a, 0, &a_trial));
    ASSERT_OK(hps_trial_report(a_trial, 1, 0.5));

    hps_study *b = open_worker(url, "worker-b:2:2", "1");
    hps_trial *b_trial = take_over(b);
    assert_int_equal(hps_trial_resume_step(b_trial), 1);
    double bx;
    ASSERT_OK(hps_trial_suggest_float(b_trial, "x", 0, 1, 0, 0, &bx));
    assert_true(bx == x);

    /* A wakes up and tells what it had */
    assert_int_equal(hps_trial_tell(a_trial, HPS_COMPLETE, 42.0), HPS_ERR_STATE);
    const char *msg = hps_trial_errmsg(a_trial);
    assert_non_null(strstr(msg, "trial 0 is no longer run by worker 'worker-a:1:1'"));
    assert_non_null(strstr(msg, "worker 'worker-b:2:2' took it over"));
    hps_trial_free(a_trial);

    ASSERT_OK(hps_trial_report(b_trial, 2, 0.25));
    ASSERT_OK(hps_trial_tell(b_trial, HPS_COMPLETE, 0.25));
    hps_trial_free(b_trial);

    const hps_frozen *f;
    ASSERT_OK(hps_study_trial(a, 0, &f));
    assert_int_equal(hps_frozen_state(f), HPS_COMPLETE);
    assert_true(hps_frozen_value(f, 0) == 0.25);
    assert_int_equal(hps_frozen_n_intermediate(f), 3);
    size_t n;
    ASSERT_OK(hps_study_n_trials(a, &n));
    assert_int_equal(n, 1);
    hps_study_close(b);
    hps_study_close(a);
}

/* The stale A's reports and its pause would have moved B's curve and B's resume step:
 * both are refused, and B's run goes on from where B is. */
static void test_stale_report_and_pause_are_refused(void **state)
{
    (void)state;
    char url[4200];
    snprintf(url, sizeof url, "sqlite:%s", testutil_path("pause.db"));
    hps_study *a = open_worker(url, "worker-a:1:1", "1");
    ASSERT_OK(hps_study_set(a, "heartbeat_interval", "3600"));
    hps_trial *t = NULL;
    ASSERT_OK(hps_study_ask(a, &t));
    ASSERT_OK(hps_trial_report(t, 0, 1.0));
    ASSERT_OK(hps_trial_pause(t, 0));
    hps_trial_free(t);
    hps_trial *a_trial = NULL;
    ASSERT_OK(hps_study_resume(a, 0, &a_trial));
    ASSERT_OK(hps_trial_report(a_trial, 1, 0.5));

    hps_study *b = open_worker(url, "worker-b:2:2", "1");
    hps_trial *b_trial = take_over(b);

    /* A runs ahead of B: its step 2 would be the one kept (a step keeps its first value) */
    assert_int_equal(hps_trial_report(a_trial, 2, 99.0), HPS_ERR_STATE);
    assert_non_null(strstr(hps_trial_errmsg(a_trial), "took it over"));
    assert_int_equal(hps_trial_pause(a_trial, 7), HPS_ERR_STATE);
    hps_trial_free(a_trial);

    ASSERT_OK(hps_trial_report(b_trial, 2, 0.25));
    ASSERT_OK(hps_trial_pause(b_trial, 2));
    hps_trial_free(b_trial);

    const hps_frozen *f;
    ASSERT_OK(hps_study_trial(b, 0, &f));
    assert_int_equal(hps_frozen_state(f), HPS_PAUSED);
    assert_non_null(strstr(hps_frozen_system_attrs(f), "\"paused_step\": 2"));
    int64_t step;
    double value;
    assert_int_equal(hps_frozen_n_intermediate(f), 3);
    hps_frozen_intermediate(f, 2, &step, &value);
    assert_int_equal(step, 2);
    assert_true(value == 0.25);
    hps_study_close(b);
    hps_study_close(a);
}

/* One handle, one worker id: a process frozen long enough finds its own resumed trial
 * stale when it wakes, pauses it and resumes it again in another handle (another thread
 * of the same process, say). Storage cannot tell the two runs apart by worker; the
 * engine refuses the older handle, and heartbeats go on for the newer. */
static void test_same_worker_rerun_supersedes_older_handle(void **state)
{
    (void)state;
    char url[4200];
    snprintf(url, sizeof url, "sqlite:%s", testutil_path("same.db"));
    hps_study *w = open_worker(url, "worker-w:3:3", "1");
    ASSERT_OK(hps_study_set(w, "heartbeat_interval", "3600"));
    hps_trial *t = NULL;
    ASSERT_OK(hps_study_ask(w, &t));
    ASSERT_OK(hps_trial_report(t, 0, 1.0));
    ASSERT_OK(hps_trial_pause(t, 0));
    hps_trial_free(t);
    hps_trial *older = NULL;
    ASSERT_OK(hps_study_resume(w, 0, &older));
    ASSERT_OK(hps_trial_report(older, 1, 0.5));
    hps_trial *newer = take_over(w);

    assert_int_equal(hps_trial_report(older, 2, 99.0), HPS_ERR_STATE);
    assert_int_equal(hps_trial_tell(older, HPS_COMPLETE, 42.0), HPS_ERR_STATE);
    const char *msg = hps_trial_errmsg(older);
    assert_non_null(strstr(msg, "trial 0 is no longer run by worker 'worker-w:3:3'"));
    assert_non_null(strstr(msg, "(another run of the same worker)"));
    /* nor does it write attributes or constraints: storage would take them (same worker) */
    assert_int_equal(hps_trial_set_user_attr(older, "note", "\"older\""), HPS_ERR_STATE);
    double c = 5.0;
    assert_int_equal(hps_trial_set_constraints(older, &c, 1), HPS_ERR_STATE);
    hps_trial_free(older);

    ASSERT_OK(hps_trial_report(newer, 2, 0.25));
    ASSERT_OK(hps_trial_tell(newer, HPS_COMPLETE, 0.25));
    hps_trial_free(newer);
    const hps_frozen *f;
    ASSERT_OK(hps_study_trial(w, 0, &f));
    assert_int_equal(hps_frozen_state(f), HPS_COMPLETE);
    assert_true(hps_frozen_value(f, 0) == 0.25);
    int64_t step;
    double value;
    hps_frozen_intermediate(f, 2, &step, &value);
    assert_true(value == 0.25);
    assert_null(strstr(hps_frozen_user_attrs(f), "older"));
    assert_null(strstr(hps_frozen_system_attrs(f), "constraints"));
    hps_study_close(w);
}

/* Nothing of a stale worker lands in the run another worker took over: not its
 * attributes, its constraints (which Python's tell sets just before the state), nor the
 * parameters it suggested but had not written yet. Each is refused naming the new
 * owner. */
static void test_stale_attrs_constraints_and_params_are_refused(void **state)
{
    (void)state;
    char url[4200];
    snprintf(url, sizeof url, "sqlite:%s", testutil_path("attr.db"));
    hps_study *a = open_worker(url, "worker-a:1:1", "1");
    ASSERT_OK(hps_study_set(a, "heartbeat_interval", "3600"));
    hps_trial *t = NULL;
    ASSERT_OK(hps_study_ask(a, &t));
    double x;
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_report(t, 0, 1.0));
    ASSERT_OK(hps_trial_pause(t, 0));
    hps_trial_free(t);
    hps_trial *a_trial = NULL;
    ASSERT_OK(hps_study_resume(a, 0, &a_trial));
    double y;
    ASSERT_OK(hps_trial_suggest_float(a_trial, "y", 0, 1, 0, 0, &y)); /* not written yet */

    hps_study *b = open_worker(url, "worker-b:2:2", "1");
    hps_trial *b_trial = take_over(b);

    double c = 5.0;
    assert_int_equal(hps_trial_set_constraints(a_trial, &c, 1), HPS_ERR_STATE);
    assert_non_null(strstr(hps_trial_errmsg(a_trial), "worker 'worker-b:2:2' took it over"));
    assert_int_equal(hps_trial_set_user_attr(a_trial, "note", "\"from stale A\""),
                     HPS_ERR_STATE);
    assert_int_equal(hps_trial_set_system_attr(a_trial, "note", "1"), HPS_ERR_STATE);
    assert_int_equal(hps_trial_flush(a_trial), HPS_ERR_STATE);
    assert_int_equal(hps_trial_tell(a_trial, HPS_COMPLETE, 42.0), HPS_ERR_STATE);
    hps_trial_free(a_trial); /* would flush y, were it still A's */

    ASSERT_OK(hps_study_sync(b));
    const hps_frozen *f;
    ASSERT_OK(hps_study_trial(b, 0, &f));
    assert_null(strstr(hps_frozen_system_attrs(f), "constraints"));
    assert_null(strstr(hps_frozen_system_attrs(f), "note"));
    assert_null(strstr(hps_frozen_user_attrs(f), "stale A"));
    assert_int_equal(hps_frozen_n_params(f), 1); /* x only */
    /* the new owner writes them as usual */
    ASSERT_OK(hps_trial_set_constraints(b_trial, &c, 1));
    ASSERT_OK(hps_trial_tell(b_trial, HPS_COMPLETE, 0.25));
    hps_trial_free(b_trial);
    ASSERT_OK(hps_study_trial(b, 0, &f));
    assert_non_null(strstr(hps_frozen_system_attrs(f), "constraints"));
    hps_study_close(b);
    hps_study_close(a);
}

/* A superseded handle, freed after the handle that took its trial over paused it, must
 * stop beating the trial: otherwise this process keeps the trial's heartbeat fresh while
 * a worker on another host runs it, and hides that worker's death from stale recovery.
 * W's worker id names a dead process of this host, so W's first run of the trial is
 * recovered at once; W resumes the trial again (superseding its first handle) and pauses
 * it; C, on another host, resumes it and goes silent; D must find C's trial stale. */
static void test_superseded_handle_stops_beating(void **state)
{
    (void)state;
    char url[4200];
    snprintf(url, sizeof url, "sqlite:%s", testutil_path("beat.db"));
    char host[256];
    assert_int_equal(gethostname(host, sizeof host), 0);
    host[sizeof host - 1] = '\0';
    char dead[300];
    snprintf(dead, sizeof dead, "%s:999999:1", host);
    hps_study *w = open_worker(url, dead, "1");
    ASSERT_OK(hps_study_set(w, "heartbeat_interval", "0.05"));
    hps_trial *t = NULL;
    ASSERT_OK(hps_study_ask(w, &t));
    ASSERT_OK(hps_trial_report(t, 0, 1.0));
    ASSERT_OK(hps_trial_pause(t, 0));
    hps_trial_free(t);
    hps_trial *older = NULL;
    ASSERT_OK(hps_study_resume(w, 0, &older));
    hps_study *b = open_worker(url, "worker-b:2:2", "1");
    size_t n;
    ASSERT_OK(hps_study_recover_stale(b, &n));
    assert_int_equal(n, 1); /* W's worker id is a dead process of this host */
    hps_trial *newer = NULL;
    ASSERT_OK(hps_study_resume(w, 0, &newer)); /* supersedes `older` */
    ASSERT_OK(hps_trial_report(newer, 1, 0.5));
    ASSERT_OK(hps_trial_pause(newer, 1));
    hps_trial_free(newer);
    hps_trial_free(older);

    hps_study *c = open_worker(url, "otherhost:5:5", "1");
    ASSERT_OK(hps_study_set(c, "heartbeat_interval", "3600")); /* beats once, then silent */
    hps_trial *c_trial = NULL;
    ASSERT_OK(hps_study_resume(c, 0, &c_trial));
    hps_study *d = open_worker(url, "otherhost2:6:6", "1");
    ASSERT_OK(hps_study_set(d, "heartbeat_grace", "0.3"));
    usleep(800000); /* W, if it still beat trial 0, would have beaten it 16 times */
    ASSERT_OK(hps_study_recover_stale(d, &n));
    assert_int_equal(n, 1);
    hps_trial_free(c_trial);
    hps_study_close(d);
    hps_study_close(c);
    hps_study_close(b);
    hps_study_close(w);
}

/* A worker id that is not valid UTF-8 is refused where it is set: stored as text and
 * inside PostgreSQL's owner JSON it would come back altered, and every beat and report
 * of the worker would be refused as another's. The id set before stays. */
static void test_worker_id_must_be_utf8(void **state)
{
    (void)state;
    char url[4200];
    snprintf(url, sizeof url, "sqlite:%s", testutil_path("utf8-worker.db"));
    hps_study *w = open_worker(url, "good:1:1", "1");
    assert_int_equal(hps_study_set(w, "worker", "bad\xff:2:2"), HPS_ERR_INVALID);
    const char *msg = hps_study_errmsg(w);
    if (strstr(msg, "study option 'worker'") == NULL || strstr(msg, "not valid UTF-8") == NULL ||
        strstr(msg, "byte 3") == NULL)
        fail_msg("%s", msg);
    assert_int_equal(hps_study_set(w, "worker", "\xc3"), HPS_ERR_INVALID); /* cut short */
    ASSERT_OK(hps_study_set(w, "worker", "h\xc3\xb4te:3:3")); /* UTF-8 beyond ASCII is fine */
    hps_trial *t = NULL;
    ASSERT_OK(hps_study_ask(w, &t));
    ASSERT_OK(hps_trial_report(t, 0, 1.0));
    ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, 1.0));
    hps_trial_free(t);
    hps_study_close(w);
}

/* A trial another process finished (hps_study_tell_number) while this worker's handle
 * ran it: the refused beat says so, not that the trial was recovered as stale. */
static void test_refused_beat_says_what_became_of_the_trial(void **state)
{
    (void)state;
    char url[4200];
    snprintf(url, sizeof url, "sqlite:%s", testutil_path("told.db"));
    hps_study *a = open_worker(url, "worker-a:1:1", "1");
    ASSERT_OK(hps_study_set(a, "heartbeat_interval", "0.02"));
    hps_trial *t = NULL;
    ASSERT_OK(hps_study_ask(a, &t));
    hps_study *b = open_worker(url, "worker-b:2:2", "1");
    double v = 0.5;
    ASSERT_OK(hps_study_tell_number(b, hps_trial_number(t), HPS_COMPLETE, &v, 1));
    hps_status rc = HPS_OK;
    for (int i = 0; i < 500 && rc == HPS_OK; i++) { /* a beat comes every 20 ms */
        usleep(10000);
        rc = hps_trial_check_running(t);
    }
    assert_int_equal(rc, HPS_ERR_STATE);
    const char *msg = hps_trial_errmsg(t);
    if (strstr(msg, "is COMPLETE, not RUNNING: another process finished it while worker "
                    "'worker-a:1:1' ran it") == NULL ||
        strstr(msg, "stale") != NULL)
        fail_msg("%s", msg);
    hps_trial_free(t);
    hps_study_close(b);
    hps_study_close(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stale_tell_is_refused_and_new_owner_records),
        cmocka_unit_test(test_stale_report_and_pause_are_refused),
        cmocka_unit_test(test_same_worker_rerun_supersedes_older_handle),
        cmocka_unit_test(test_superseded_handle_stops_beating),
        cmocka_unit_test(test_stale_attrs_constraints_and_params_are_refused),
        cmocka_unit_test(test_worker_id_must_be_utf8),
        cmocka_unit_test(test_refused_beat_says_what_became_of_the_trial),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
