/* test_run_failures.c -- what `hpsearch run` says when a run starts nothing because the
 * budget or the space is used up and no trial completed (run_failures_explain_idle):
 * which of the two it blames depends on how many trials hold a place in n_trials, and
 * that is the budget's own count -- PAUSED trials hold theirs (a paused trial is resumed,
 * never replaced), interrupted ones gave theirs back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/config.h"
#include "cli/run_failures.h"
#include "hpsearch.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What run_failures_explain_idle prints on stderr, into out[size]. */
static void explain_idle_text(hps_study *study, const cfg_config *cfg, char *out, size_t size)
{
    FILE *capture = tmpfile();
    assert_non_null(capture);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(capture), STDERR_FILENO) >= 0);
    run_failures_explain_idle(study, cfg);
    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    rewind(capture);
    size_t n = fread(out, 1, size - 1, capture);
    out[n] = '\0';
    fclose(capture);
}

/* A trial asked, reported at step 0 and then ended as `how` says. */
static void add_trial(hps_study *study, const char *how)
{
    hps_trial *t = NULL;
    ASSERT_OK(hps_study_ask(study, &t));
    ASSERT_OK(hps_trial_report(t, 0, 1.0));
    if (strcmp(how, "paused") == 0)
        ASSERT_OK(hps_trial_pause(t, 0));
    else if (strcmp(how, "interrupted") == 0)
        ASSERT_OK(hps_trial_interrupt(t, "interrupted: hpsearch run was stopped"));
    else
        ASSERT_OK(hps_trial_fail(t, "exit status 1"));
    hps_trial_free(t);
}

static hps_study *study_of(const char *const *trials, size_t n)
{
    hps_study *study = NULL;
    hps_direction dir = HPS_MINIMIZE;
    char err[256];
    if (hps_study_open(":memory:", "idle", HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err) !=
        HPS_OK)
        fail_msg("open: %s", err);
    for (size_t i = 0; i < n; i++)
        add_trial(study, trials[i]);
    return study;
}

/* n_trials 3, held by one failed and two PAUSED trials (an interrupted one holds none):
 * the budget is what is used up; the space (not finite) never was. */
static void test_paused_trials_hold_their_place_in_the_budget(void **state)
{
    (void)state;
    static const char *const trials[] = {"failed", "interrupted", "paused", "paused"};
    hps_study *study = study_of(trials, 4);
    cfg_config cfg = {.study_name = "idle", .storage = ":memory:", .n_trials = 3};
    char text[4096];
    explain_idle_text(study, &cfg, text, sizeof text);
    if (strstr(text, "the study already holds its n_trials (3) trials and none completed") == NULL)
        fail_msg("got: %s", text);
    hps_study_close(study);
}

/* n_trials 3: one failed and two interrupted trials hold one place, so the budget is
 * not what stopped the run -- the space is (a grid's last cells, say). */
static void test_interrupted_trials_hold_none(void **state)
{
    (void)state;
    static const char *const trials[] = {"failed", "interrupted", "interrupted"};
    hps_study *study = study_of(trials, 3);
    cfg_config cfg = {.study_name = "idle", .storage = ":memory:", .n_trials = 3};
    char text[4096];
    explain_idle_text(study, &cfg, text, sizeof text);
    if (strstr(text, "every configuration of the space has been tried and none completed") == NULL)
        fail_msg("got: %s", text);
    hps_study_close(study);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paused_trials_hold_their_place_in_the_budget),
        cmocka_unit_test(test_interrupted_trials_hold_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
