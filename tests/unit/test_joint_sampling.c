/* test_joint_sampling.c -- the machinery joint samplers stand on: the relative search
 * space, the history they see (finished and pending trials, including this handle's
 * own live trials whose parameters are not written yet), and relative values reaching
 * suggest. Uses a tiny joint sampler defined here. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_relative_space_and_history)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
