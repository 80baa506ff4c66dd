/* test_ctx_trials_sync.c -- a plug-in's hps_ctx_trials does not sync the study while a
 * history of the same call is held. A sync frees and replaces every record another
 * process changed, and the history borrows those records: the GP read a freed one
 * (AddressSanitizer, heap-use-after-free in its fantasies of running trials) when a
 * second worker reported on its running trial between the engine's history and the
 * GP's own hps_ctx_trials, and PostgreSQL workers crashed (tests/cli test_postgres_fault). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "engine/history.h"
#include "engine/study.h"
#include "hpsearch.h"
#include "testutil.h"

static hps_study *open_study(const char *url, unsigned mode)
{
    hps_study *study;
    hps_direction dir = HPS_MINIMIZE;
    char err[256];
    if (hps_study_open(url, "sync", mode, &dir, 1, &study, err, sizeof err) != HPS_OK)
        fail_msg("%s", err);
    return study;
}

/* The record of trial `number` in hps_ctx_trials' view. */
static const hps_frozen *trial_in_view(const hps_context *ctx, int64_t number)
{
    const hps_frozen *const *all;
    size_t n;
    hps_errbuf err = {0};
    ASSERT_OK(hps_ctx_trials(ctx, &all, &n, &err));
    assert_true((size_t)number < n && all[number] != NULL);
    return all[number];
}

static void test_trials_keep_a_held_history_valid(void **state)
{
    (void)state;
    char url[4200];
    snprintf(url, sizeof url, "sqlite:%s", testutil_path("sync.db"));
    hps_study *a = open_study(url, HPS_OPEN_CREATE);
    hps_study *b = open_study(url, HPS_OPEN_LOAD);
    hps_trial *other, *asking;
    double x;
    ASSERT_OK(hps_study_ask(b, &other)); /* another worker's running trial */
    ASSERT_OK(hps_trial_suggest_float(other, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_report(other, 0, 1.0));
    int64_t number = hps_trial_number(other);
    ASSERT_OK(hps_study_ask(a, &asking));

    hps_engine_ctx e;
    hps_study_context(a, asking, &e);
    hps_history h;
    hps_errbuf err = {0};
    ASSERT_OK(hps_ctx_history(&e.ctx, &h, &err));
    assert_int_equal(h.n_pending, 1);
    const hps_frozen *borrowed = h.pending[0].rec;
    assert_int_equal(borrowed->n_inter, 1);

    ASSERT_OK(hps_trial_report(other, 1, 0.5)); /* changes the stored record */
    /* held: the view is the history's, its record neither freed nor replaced */
    assert_ptr_equal(trial_in_view(&e.ctx, number), borrowed);
    assert_int_equal(borrowed->n_inter, 1);

    hps_ctx_history_release(&e.ctx, &h);
    /* released: the view is current again */
    assert_int_equal(trial_in_view(&e.ctx, number)->n_inter, 2);

    hps_trial_free(asking);
    hps_trial_free(other);
    hps_study_close(a);
    hps_study_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trials_keep_a_held_history_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
