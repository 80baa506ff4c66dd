/* test_joint_sampling.c -- the machinery joint samplers stand on: the relative search
 * space, the history they see (finished, ended, paused and pending trials, including
 * this handle's own live trials whose parameters are not written yet), and relative
 * values reaching suggest. Uses a tiny joint sampler defined here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/mem.h"
#include "engine/history.h"
#include "samplers/sampler.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* What the fake sampler saw at its last joint sample. */
static size_t seen_space, seen_finished, seen_pending, seen_pending_params;
static char seen_names[8][16];
/* The ended trials (through the public accessors), and how many of them have every
 * parameter of the relative space with its distribution. */
static size_t seen_ended, seen_ended_in_space, seen_paused;
/* The paused trials: how many have a parameter "w", and x's upper bound as they see it. */
static size_t seen_paused_has_w;
static double seen_paused_x_high;
static hps_trial_state seen_ended_states[8];
static int seen_ended_interrupted[8];

static hps_status fake_sample(hps_sampler *sampler, const hps_context *ctx, const char *name,
                              const hps_dist *dist, double *out)
{
    (void)sampler, (void)ctx, (void)name;
    *out = dist->low; /* independent values: always the low end */
    return HPS_OK;
}

static hps_status fake_relative(hps_sampler *sampler, const hps_context *ctx,
                                const hps_history *h, double *values)
{
    (void)sampler, (void)ctx;
    seen_space = h->space.n;
    seen_finished = h->n_finished;
    seen_pending = h->n_pending;
    seen_pending_params = 0;
    for (size_t i = 0; i < h->n_pending; i++)
        seen_pending_params += h->pending[i].rec->n_params;
    for (size_t i = 0; i < h->space.n && i < 8; i++) {
        strncpy(seen_names[i], h->space.names[i], 15);
        values[i] = h->space.dists[i]->high; /* joint values: the high end */
    }
    seen_ended = hps_history_n_ended(h);
    seen_ended_in_space = 0;
    for (size_t i = 0; i < seen_ended; i++) {
        const hps_frozen *rec = hps_history_ended(h, i);
        if (i < 8) {
            seen_ended_states[i] = hps_frozen_state(rec);
            seen_ended_interrupted[i] = hps_frozen_interrupted(rec);
        }
        size_t fits = 0;
        for (size_t k = 0; k < h->space.n; k++) {
            const hps_param_rec *p = hps_rec_find_param(rec, h->space.names[k]);
            fits += p != NULL && hps_dist_equal(&p->dist, h->space.dists[k]);
        }
        seen_ended_in_space += fits == h->space.n;
    }
    assert_null(hps_history_ended(h, seen_ended));
    seen_paused = hps_history_n_paused(h);
    seen_paused_has_w = 0;
    seen_paused_x_high = NAN;
    for (size_t i = 0; i < seen_paused; i++) {
        const hps_frozen *rec = hps_history_paused(h, i);
        assert_int_equal(hps_frozen_state(rec), HPS_PAUSED);
        seen_paused_has_w += hps_rec_find_param(rec, "w") != NULL;
        const hps_param_rec *x = hps_rec_find_param(rec, "x");
        if (x != NULL)
            seen_paused_x_high = x->dist.high;
    }
    assert_null(hps_history_paused(h, seen_paused));
    return HPS_OK;
}

static const hps_sampler_ops fake_ops = {
    .name = "fake-joint",
    .sample = fake_sample,
    .sample_relative = fake_relative,
};

/* A study at `url` (":memory:", or "sqlite:FILE" created or loaded) minimizing one
 * objective, sampled by `ops`. */
static hps_study *study_with(const char *url, const char *name, const hps_sampler_ops *ops)
{
    hps_study *study;
    hps_direction dir = HPS_MINIMIZE;
    char err[512];
    ASSERT_OK(hps_study_open(url, name, HPS_OPEN_CREATE | HPS_OPEN_LOAD, &dir, 1, &study, err,
                             sizeof err));
    hps_sampler *sampler;
    ASSERT_OK(hps_sampler_from_ops(ops, &sampler));
    ASSERT_OK(hps_study_set_sampler(study, sampler));
    return study;
}

static void test_relative_space_and_history(void **state)
{
    (void)state;
    hps_study *study = study_with(":memory:", "joint", &fake_ops);

    /* trial 0: nothing finished yet, so no relative space: everything independent */
    hps_trial *t0;
    ASSERT_OK(hps_study_ask(study, &t0));
    double x, y, z;
    ASSERT_OK(hps_trial_suggest_float(t0, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_suggest_float(t0, "y", 0, 1, 0, 0, &y));
    ASSERT_OK(hps_trial_suggest_float(t0, "z", 0, 1, 0, 0, &z));
    assert_true(x == 0 && y == 0 && z == 0);
    ASSERT_OK(hps_trial_tell(t0, HPS_COMPLETE, 1.0));
    hps_trial_free(t0);

    /* trial 1: finished trial 0 has x, y, z; trial 1 suggests x, y and w */
    hps_trial *t1;
    ASSERT_OK(hps_study_ask(study, &t1));
    assert_int_equal(seen_space, 3);
    assert_int_equal(seen_finished, 1);
    assert_int_equal(seen_pending, 0);
    assert_string_equal(seen_names[0], "x");
    ASSERT_OK(hps_trial_suggest_float(t1, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_suggest_float(t1, "y", 0, 2, 0, 0, &y)); /* other distribution */
    double w;
    ASSERT_OK(hps_trial_suggest_float(t1, "w", 0, 1, 0, 0, &w));
    assert_true(x == 1);          /* from the joint sample */
    assert_true(y == 0 && w == 0); /* not in the space with that distribution: independent */

    /* trial 2 starts while trial 1 runs with unwritten params: it is pending, with them */
    hps_trial *t2;
    ASSERT_OK(hps_study_ask(study, &t2));
    assert_int_equal(seen_pending, 1);
    assert_int_equal(seen_pending_params, 3);
    ASSERT_OK(hps_trial_tell(t1, HPS_COMPLETE, 0.5));
    hps_trial_free(t1);
    hps_trial_free(t2);

    /* trial 3: the space is now what trials 0 and 1 share with equal distributions */
    hps_trial *t3;
    ASSERT_OK(hps_study_ask(study, &t3));
    assert_int_equal(seen_space, 1);
    assert_string_equal(seen_names[0], "x");
    assert_int_equal(seen_finished, 2);
    assert_int_equal(seen_pending, 1); /* trial 2 was freed while RUNNING: still pending */
    hps_trial_free(t3);
    hps_study_close(study);
}

/* Every trial but the asking one is in one list of the history: finished, ended
 * (FAIL, interrupted or not, and PRUNED without a value), paused or pending. */
static void test_history_lists_every_trial(void **state)
{
    (void)state;
    hps_study *study = study_with(":memory:", "lists", &fake_ops);
    hps_trial *t[7];
    double x;
    for (int i = 0; i < 7; i++) {
        ASSERT_OK(hps_study_ask(study, &t[i]));
        ASSERT_OK(hps_trial_suggest_float(t[i], "x", 0, 1, 0, 0, &x));
    }
    ASSERT_OK(hps_trial_tell(t[0], HPS_COMPLETE, 1.0));
    ASSERT_OK(hps_trial_fail(t[1], "diverged"));
    ASSERT_OK(hps_trial_interrupt(t[2], "stopped"));
    ASSERT_OK(hps_trial_tell(t[3], HPS_PRUNED, NAN)); /* no step reported: no value */
    ASSERT_OK(hps_trial_report(t[4], 1, 0.5));
    ASSERT_OK(hps_trial_tell(t[4], HPS_PRUNED, NAN)); /* its last step's value */
    ASSERT_OK(hps_trial_report(t[5], 1, 0.7));
    ASSERT_OK(hps_trial_pause(t[5], 1));
    ASSERT_OK(hps_study_enqueue(study, "{\"x\": 0.5}", NULL)); /* trials 7 and 8, */
    ASSERT_OK(hps_study_enqueue(study, "{\"x\": 0.6}", NULL)); /* WAITING */
    hps_trial *asking;
    ASSERT_OK(hps_study_ask(study, &asking)); /* takes trial 7 */
    assert_int_equal(seen_finished, 2);
    assert_int_equal(seen_ended, 3);
    assert_int_equal(seen_ended_states[0], HPS_FAIL);
    assert_false(seen_ended_interrupted[0]);
    assert_int_equal(seen_ended_states[1], HPS_FAIL);
    assert_true(seen_ended_interrupted[1]);
    assert_int_equal(seen_ended_states[2], HPS_PRUNED);
    assert_int_equal(seen_paused, 1);
    assert_int_equal(seen_pending, 2); /* trial 6, running, and 8, waiting */
    for (int i = 0; i < 7; i++)
        hps_trial_free(t[i]);
    hps_trial_free(asking);
    hps_study_close(study);
}

/* Runs one trial of the old space: x in [0, 1], c one of a, b, c; tells it COMPLETE with
 * `value`, or FAIL when `value` is NaN. */
static void run_old_trial(hps_study *study, const char *params, double value)
{
    hps_value abc[3] = {{.type = HPS_VALUE_STRING}, {.type = HPS_VALUE_STRING},
                        {.type = HPS_VALUE_STRING}};
    abc[0].u.s = "a", abc[1].u.s = "b", abc[2].u.s = "c";
    int64_t number;
    hps_trial *t;
    double x;
    size_t c;
    ASSERT_OK(hps_study_enqueue(study, params, &number));
    ASSERT_OK(hps_study_ask(study, &t));
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_suggest_categorical(t, "c", abc, 3, &c));
    ASSERT_OK(hps_trial_tell(t, isnan(value) ? HPS_FAIL : HPS_COMPLETE, value));
    hps_trial_free(t);
}

/* After the space changed mid-study, the samplers see the old trials, finished or
 * failed, through the new space: those whose values it takes, with its distributions
 * and the added parameter's default; the others not at all. */
static void test_history_through_changed_space(void **state)
{
    (void)state;
    hps_study *study = study_with(":memory:", "changed", &fake_ops);
    run_old_trial(study, "{\"x\": 0.2, \"c\": \"a\"}", 1.0);
    run_old_trial(study, "{\"x\": 0.8, \"c\": \"b\"}", 2.0); /* outside the narrowed x */
    run_old_trial(study, "{\"x\": 0.3, \"c\": \"c\"}", 3.0); /* a removed choice */
    run_old_trial(study, "{\"x\": 0.1, \"c\": \"b\"}", 4.0);
    run_old_trial(study, "{\"x\": 0.4, \"c\": \"b\"}", NAN); /* failed */
    run_old_trial(study, "{\"x\": 0.9, \"c\": \"a\"}", NAN); /* failed outside x */

    /* x narrowed to [0, 0.5], choice c removed and d added, w added with default 3 */
    const char *space =
        "[{\"name\": \"x\", \"distribution\": {\"type\": \"float\", \"low\": 0, \"high\": 0.5}},"
        " {\"name\": \"c\", \"distribution\": {\"type\": \"categorical\", \"choices\": [\"a\", "
        "\"b\", \"d\"]}},"
        " {\"name\": \"w\", \"distribution\": {\"type\": \"int\", \"low\": 1, \"high\": 5}, "
        "\"default\": 3}]";
    ASSERT_OK(hps_study_map_space(study, space));
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    assert_int_equal(seen_finished, 2);
    assert_int_equal(seen_space, 3); /* the two fitting trials share all three */
    /* failed trials are seen through the new space as finished ones are */
    assert_int_equal(seen_ended, 1);
    assert_int_equal(seen_ended_in_space, 1);
    assert_string_equal(seen_names[0], "x");
    assert_string_equal(seen_names[2], "w");
    /* the joint sample is in the new distributions: x's high end is now 0.5 */
    double x;
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 0.5, 0, 0, &x));
    assert_true(x == 0.5);
    hps_trial_free(t);

    /* the stored trials are unchanged */
    const hps_frozen *old;
    ASSERT_OK(hps_study_trial(study, 1, &old));
    assert_true(hps_frozen_param_value(old, 0).u.f == 0.8);
    assert_int_equal(hps_frozen_n_params(old), 2);

    /* a default the distribution does not take is refused, naming the parameter */
    const char *bad = "[{\"name\": \"w\", \"distribution\": {\"type\": \"int\", \"low\": 1, "
                      "\"high\": 5}, \"default\": 9}]";
    assert_int_equal(hps_study_map_space(study, bad), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_study_errmsg(study), "'w'"));

    /* without the map, the samplers see the trials as stored again */
    ASSERT_OK(hps_study_map_space(study, NULL));
    ASSERT_OK(hps_study_ask(study, &t));
    assert_int_equal(seen_finished, 4);
    assert_int_equal(seen_space, 2);
    assert_int_equal(seen_ended, 2);
    hps_trial_free(t);
    hps_study_close(study);
}

/* A live trial of this handle that another worker ended (here told FAIL by number from
 * a second handle) is listed once, by its stored state: not also as pending. */
static void test_live_trial_ended_elsewhere_listed_once(void **state)
{
    (void)state;
    char url[4200];
    snprintf(url, sizeof url, "sqlite:%s", testutil_path("ended-elsewhere.db"));
    hps_study *a = study_with(url, "s", &fake_ops), *b = study_with(url, "s", &fake_ops);
    hps_trial *done, *held, *asking;
    double x;
    ASSERT_OK(hps_study_ask(a, &done)); /* trial 0 finished: the space exists */
    ASSERT_OK(hps_trial_suggest_float(done, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_tell(done, HPS_COMPLETE, 1.0));
    ASSERT_OK(hps_study_ask(a, &held)); /* trial 1: live in a */
    ASSERT_OK(hps_trial_suggest_float(held, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_study_tell_number(b, 1, HPS_FAIL, NULL, 0));
    ASSERT_OK(hps_study_ask(a, &asking));
    assert_int_equal(seen_finished, 1);
    assert_int_equal(seen_ended, 1);
    assert_int_equal(seen_pending, 0);
    assert_int_equal(seen_paused, 0);
    hps_trial_free(done);
    hps_trial_free(held);
    hps_trial_free(asking);
    hps_study_close(b);
    hps_study_close(a);
}

/* A trial that failed before suggesting y is seen with y's default once the space gives
 * one, as a finished trial lacking it is: the view cannot tell "before y existed" from
 * "before y was suggested", and in both the end did not depend on y. As stored it lacks
 * y, which no sampler could place. */
static void test_failed_early_seen_with_default(void **state)
{
    (void)state;
    hps_study *study = study_with(":memory:", "early", &fake_ops);
    double x, y;
    for (int i = 0; i < 2; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
        ASSERT_OK(hps_trial_suggest_float(t, "y", 0, 1, 0, 0, &y));
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, 1.0 + i));
        hps_trial_free(t);
    }
    hps_trial *f;
    ASSERT_OK(hps_study_ask(study, &f));
    ASSERT_OK(hps_trial_suggest_float(f, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_fail(f, "raised before y"));
    hps_trial_free(f);
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    assert_int_equal(seen_ended, 1); /* as stored, lacking y */
    assert_int_equal(seen_ended_in_space, 0);
    hps_trial_free(t);
    ASSERT_OK(hps_study_map_space(study,
        "[{\"name\": \"x\", \"distribution\": {\"type\": \"float\", \"low\": 0, \"high\": 2}},"
        " {\"name\": \"y\", \"distribution\": {\"type\": \"float\", \"low\": 0, \"high\": 1},"
        " \"default\": 0.5}]"));
    ASSERT_OK(hps_study_ask(study, &t));
    assert_int_equal(seen_finished, 2);
    assert_int_equal(seen_ended, 1);
    assert_int_equal(seen_ended_in_space, 1);
    hps_trial_free(t);
    hps_study_close(study);
}

/* hps_history_collect under allocation failures, every list filled and the space
 * changed (the view maps): each failure is HPS_ERR_NOMEM with an empty history (ASan:
 * nothing leaks), and the first success lists what it should. */
static void test_collect_under_oom(void **state)
{
    (void)state;
    hps_study *study = study_with(":memory:", "oom", &fake_ops);
    hps_trial *t[6];
    double x;
    for (int i = 0; i < 6; i++) {
        ASSERT_OK(hps_study_ask(study, &t[i]));
        ASSERT_OK(hps_trial_suggest_float(t[i], "x", 0, 1, 0, 0, &x));
    }
    ASSERT_OK(hps_trial_tell(t[0], HPS_COMPLETE, 1.0));
    ASSERT_OK(hps_trial_fail(t[1], "diverged"));
    ASSERT_OK(hps_trial_tell(t[2], HPS_PRUNED, NAN));
    ASSERT_OK(hps_trial_report(t[3], 1, 0.7));
    ASSERT_OK(hps_trial_pause(t[3], 1));
    ASSERT_OK(hps_trial_tell(t[4], HPS_COMPLETE, 2.0));
    /* x widened: every trial mapped, the paused one into a copy the history owns */
    ASSERT_OK(hps_study_map_space(study,
        "[{\"name\": \"x\", \"distribution\": {\"type\": \"float\", \"low\": 0, \"high\": 2}}]"));
    hps_history h;
    int ok = 0;
    for (unsigned long k = 1; k <= 400 && !ok; k++) {
        hps_mem_fail_after(k);
        hps_status rc = hps_history_collect(study, t[5], &h);
        hps_mem_fail_after(0);
        if (rc == HPS_OK) {
            ok = 1;
            assert_int_equal(h.n_finished, 2);
            assert_int_equal(h.n_ended, 2);
            assert_int_equal(h.n_paused, 1); /* a copy through the new space */
            assert_int_equal(h.n_pending, 0);
            assert_int_equal(h.space.n, 1);
            hps_history_clear(&h);
            break;
        }
        assert_int_equal(rc, HPS_ERR_NOMEM);
        assert_null(h.finished);
        assert_null(h.ended);
        assert_null(h.paused);
        assert_int_equal(h.n_ended + h.n_finished + h.n_paused + h.n_pending, 0);
    }
    assert_true(ok);
    for (int i = 0; i < 6; i++)
        hps_trial_free(t[i]);
    hps_study_close(study);
}

/* A sampler whose independent sample takes a history (as tpe and auto do), recording
 * the pending trials' numbers in it. */
static size_t indep_calls, indep_pending;
static int64_t indep_pending_numbers[8];

static hps_status history_sample(hps_sampler *sampler, const hps_context *ctx, const char *name,
                                 const hps_dist *dist, double *out)
{
    (void)name;
    hps_history h;
    hps_status rc = hps_ctx_history(ctx, &h, &sampler->err);
    if (rc != HPS_OK)
        return rc;
    indep_calls++;
    indep_pending = h.n_pending;
    for (size_t i = 0; i < h.n_pending && i < 8; i++)
        indep_pending_numbers[i] = h.pending[i].rec->number;
    hps_ctx_history_release(ctx, &h);
    *out = dist->low;
    return HPS_OK;
}

static const hps_sampler_ops history_ops = {
    .name = "fake-history",
    .sample = history_sample,
    .sample_relative = fake_relative,
};

static hps_study *open_worker(const char *url, const char *worker)
{
    hps_study *study = study_with(url, "w", &history_ops);
    ASSERT_OK(hps_study_set(study, "worker", worker));
    return study;
}

/* A trial resumed here, recovered as stale by another worker (back to PAUSED) and
 * resumed here again: the first handle, superseded, is still live. The history the
 * second handle gets does not list the trial itself as pending through the first
 * handle (the loop over live trials skipped the asking trial by handle, not by id);
 * and while only the first handle is live, the trial is listed once, as paused. */
static void test_superseded_handle_not_pending(void **state)
{
    (void)state;
    char url[4200];
    snprintf(url, sizeof url, "sqlite:%s", testutil_path("superseded.db"));
    hps_study *a = open_worker(url, "worker-a:1:1");
    ASSERT_OK(hps_study_set(a, "heartbeat_interval", "3600"));
    hps_trial *t, *first, *second, *other;
    double x, y;
    ASSERT_OK(hps_study_ask(a, &t));
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, 1.0));
    hps_trial_free(t);
    ASSERT_OK(hps_study_ask(a, &t));
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_report(t, 0, 1.0));
    ASSERT_OK(hps_trial_pause(t, 0));
    hps_trial_free(t);
    ASSERT_OK(hps_study_resume(a, 1, &first));
    ASSERT_OK(hps_trial_report(first, 1, 0.5));

    hps_study *b = open_worker(url, "worker-b:2:2");
    ASSERT_OK(hps_study_set(b, "heartbeat_grace", "0.2"));
    usleep(400000); /* a's heartbeat (every hour) is now older than b's grace */
    size_t n_recovered;
    ASSERT_OK(hps_study_recover_stale(b, &n_recovered));
    assert_int_equal(n_recovered, 1);

    ASSERT_OK(hps_study_ask(a, &other)); /* `first` live, trial 1 stored PAUSED */
    assert_int_equal(seen_paused, 1);
    assert_int_equal(seen_pending, 0);
    hps_trial_free(other);

    ASSERT_OK(hps_study_resume(a, 1, &second));
    size_t before = indep_calls;
    ASSERT_OK(hps_trial_suggest_float(second, "y", 0, 1, 0, 0, &y));
    assert_true(indep_calls > before);
    for (size_t i = 0; i < indep_pending && i < 8; i++)
        assert_int_not_equal(indep_pending_numbers[i], 1);
    hps_trial_free(first);
    hps_trial_free(second);
    hps_study_close(b);
    hps_study_close(a);
}

/* A paused trial lacking a parameter added with a default is seen without it: it
 * suggests the parameter when resumed, so the default is no value it took. */
static void test_paused_trial_without_added_default(void **state)
{
    (void)state;
    hps_study *study = study_with(":memory:", "paused-default", &fake_ops);
    hps_trial *t;
    double x;
    ASSERT_OK(hps_study_ask(study, &t));
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, 1.0));
    hps_trial_free(t);
    ASSERT_OK(hps_study_ask(study, &t));
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_report(t, 1, 0.7));
    ASSERT_OK(hps_trial_pause(t, 1));
    hps_trial_free(t);
    ASSERT_OK(hps_study_map_space(study,
        "[{\"name\": \"x\", \"distribution\": {\"type\": \"float\", \"low\": 0, \"high\": 2}},"
        " {\"name\": \"w\", \"distribution\": {\"type\": \"int\", \"low\": 1, \"high\": 5},"
        " \"default\": 3}]"));
    ASSERT_OK(hps_study_ask(study, &t));
    assert_int_equal(seen_paused, 1);
    assert_int_equal(seen_paused_has_w, 0);
    assert_true(seen_paused_x_high == 2.0); /* x seen in the widened distribution */
    assert_int_equal(seen_space, 2); /* the finished trial: x and w (its default) */
    hps_trial_free(t);
    hps_study_close(study);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_relative_space_and_history),
                                       cmocka_unit_test(test_history_lists_every_trial),
                                       cmocka_unit_test(test_history_through_changed_space),
                                       cmocka_unit_test(test_live_trial_ended_elsewhere_listed_once),
                                       cmocka_unit_test(test_failed_early_seen_with_default),
                                       cmocka_unit_test(test_collect_under_oom),
                                       cmocka_unit_test(test_superseded_handle_not_pending),
                                       cmocka_unit_test(test_paused_trial_without_added_default)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
