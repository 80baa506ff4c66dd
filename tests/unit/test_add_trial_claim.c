/* test_add_trial_claim.c -- hps_study_add_trial into a finite space when storage refuses
 * the claim of the trial's configuration (HPS_ERR_EXISTS: another worker took its last
 * run between the sync and the write).
 *
 * A refused claim fails the whole batch; add_trial syncs and tries again. That is right
 * only where the failed batch rolled back. The memory backend keeps what a failed batch
 * wrote, so a retry there would add a second copy. The race cannot happen on memory (one
 * process holds the study), so the refusal is made here: the study's storage gets an ops
 * table whose claim_position refuses the first `refusals` calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/study.h"
#include "hpsearch.h"
#include "storage/storage.h"
#include "testutil.h"

#include <stdio.h>

static const hps_storage_ops *real_ops;
static hps_storage_ops refusing_ops;
static int refusals;

static hps_status refusing_claim(hps_storage *s, int64_t study_id, int64_t trial_id,
                                 int64_t first, uint64_t count, int64_t *pos_out)
{
    if (refusals > 0) {
        refusals--;
        return hps_errbuf_set(&s->err, HPS_ERR_EXISTS, "positions %lld to %lld are all held",
                              (long long)first, (long long)(first + (int64_t)count - 1));
    }
    return real_ops->claim_position(s, study_id, trial_id, first, count, pos_out);
}

static const char *const space =
    "[{\"name\": \"i\", \"distribution\": {\"type\": \"int\", \"low\": 0, \"high\": 3,"
    " \"step\": 1, \"log\": false}}]";

static const char *const trial =
    "{\"state\": \"COMPLETE\", \"values\": [1], \"datetime_start\": 1, \"datetime_complete\": 2,"
    " \"params\": [{\"name\": \"i\", \"distribution\": {\"type\": \"int\", \"low\": 0,"
    " \"high\": 3, \"step\": 1, \"log\": false}, \"value\": 2}]}";

static hps_study *finite_study(const char *url, int refuse)
{
    hps_study *study = NULL;
    hps_direction dir = HPS_MINIMIZE;
    char err[512];
    if (hps_study_open(url, "claim", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err) != HPS_OK)
        fail_msg("open %s: %s", url, err);
    ASSERT_OK(hps_study_declare_space(study, space));
    real_ops = study->storage->ops;
    refusing_ops = *real_ops;
    refusing_ops.claim_position = refusing_claim;
    study->storage->ops = &refusing_ops;
    refusals = refuse;
    return study;
}

static void close_study(hps_study *study)
{
    study->storage->ops = real_ops;
    hps_study_close(study);
}

/* Memory: no retry, so no second copy; the trial is in, holding no run (as when every
 * run of its configuration is held). */
static void test_memory_adds_one_copy(void **state)
{
    (void)state;
    hps_study *study = finite_study(":memory:", 100);
    int64_t number = -1;
    hps_status rc = hps_study_add_trial(study, trial, &number);
    size_t n = 0;
    ASSERT_OK(hps_study_n_trials(study, &n));
    if (rc != HPS_OK || n != 1)
        fail_msg("add_trial returned %d (%s) and left %zu trials", rc, hps_study_errmsg(study), n);
    assert_int_equal(number, 0);
    close_study(study);
}

/* SQLite rolls a failed batch back: the claim is tried again, and one copy is in. */
static void test_sqlite_retries_and_adds_one_copy(void **state)
{
    (void)state;
    char url[4200];
    snprintf(url, sizeof url, "sqlite:%s", testutil_path("claim.db"));
    hps_study *study = finite_study(url, 2);
    int64_t number = -1;
    ASSERT_OK(hps_study_add_trial(study, trial, &number));
    assert_int_equal(refusals, 0); /* refused twice, then taken */
    size_t n = 0;
    ASSERT_OK(hps_study_n_trials(study, &n));
    assert_int_equal(n, 1);
    const hps_frozen *f;
    ASSERT_OK(hps_study_trial(study, number, &f));
    assert_int_equal(hps_frozen_state(f), HPS_COMPLETE);
    close_study(study);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_adds_one_copy),
        cmocka_unit_test(test_sqlite_retries_and_adds_one_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
