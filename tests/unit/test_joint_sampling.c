/* test_joint_sampling.c -- the machinery joint samplers stand on: the relative search
 * space, the history they see (finished, ended, paused and pending trials, including
 * this handle's own live trials whose parameters are not written yet), and relative
 * values reaching suggest. Uses a tiny joint sampler defined here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/history.h"
#include "samplers/sampler.h"
#include "testutil.h"

#include <math.h>
#include <string.h>

/* What the fake sampler saw at its last joint sample. */
static size_t seen_space, seen_finished, seen_pending, seen_pending_params;
static char seen_names[8][16];
/* The ended trials (through the public accessors), and how many of them have every
 * parameter of the relative space with its distribution. */
static size_t seen_ended, seen_ended_in_space, seen_paused;
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
    for (size_t i = 0; i < seen_paused; i++)
        assert_int_equal(hps_frozen_state(hps_history_paused(h, i)), HPS_PAUSED);
    assert_null(hps_history_paused(h, seen_paused));
    return HPS_OK;
}

static const hps_sampler_ops fake_ops = {
    .name = "fake-joint",
    .sample = fake_sample,
    .sample_relative = fake_relative,
};

static void test_relative_space_and_history(void **state)
{
    (void)state;
    hps_study *study;
    hps_direction dir = HPS_MINIMIZE;
    char err[256];
    ASSERT_OK(hps_study_open(":memory:", "joint", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err));
    hps_sampler *sampler;
    ASSERT_OK(hps_sampler_from_ops(&fake_ops, &sampler));
    ASSERT_OK(hps_study_set_sampler(study, sampler));

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
    hps_study *study;
    hps_direction dir = HPS_MINIMIZE;
    char err[256];
    ASSERT_OK(hps_study_open(":memory:", "lists", HPS_OPEN_CREATE, &dir, 1, &study, err,
                             sizeof err));
    hps_sampler *sampler;
    ASSERT_OK(hps_sampler_from_ops(&fake_ops, &sampler));
    ASSERT_OK(hps_study_set_sampler(study, sampler));
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
    hps_study *study;
    hps_direction dir = HPS_MINIMIZE;
    char err[256];
    ASSERT_OK(hps_study_open(":memory:", "changed", HPS_OPEN_CREATE, &dir, 1, &study, err,
                             sizeof err));
    hps_sampler *sampler;
    ASSERT_OK(hps_sampler_from_ops(&fake_ops, &sampler));
    ASSERT_OK(hps_study_set_sampler(study, sampler));
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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_relative_space_and_history),
                                       cmocka_unit_test(test_history_lists_every_trial),
                                       cmocka_unit_test(test_history_through_changed_space)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
