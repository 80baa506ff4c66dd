/* test_lifetime.c -- handles that outlive what they came from: a study closed while its
 * trials are still open, and borrowed attribute texts asked for twice. Meant for the
 * AddressSanitizer build (make test-asan), where a use after free is an error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hpsearch.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>

static hps_study *open_study(const char *url, const char *name)
{
    hps_study *study = NULL;
    char err[256];
    hps_direction dir = HPS_MINIMIZE;
    if (hps_study_open(url, name, HPS_OPEN_CREATE | HPS_OPEN_LOAD, &dir, 1, &study, err,
                       sizeof err) != HPS_OK)
        fail_msg("open %s: %s", url, err);
    return study;
}

/* Closing a study with open trials: the trials keep working and release it. */
static void test_close_with_open_trials(void **state)
{
    (void)state;
    char url[4200];
    snprintf(url, sizeof url, "sqlite:%s", testutil_path("lifetime.db"));
    hps_study *study = open_study(url, "close-early");
    ASSERT_OK(hps_study_set(study, "heartbeat_interval", "0.05"));
    hps_trial *a, *b;
    double x;
    ASSERT_OK(hps_study_ask(study, &a));
    ASSERT_OK(hps_study_ask(study, &b));
    ASSERT_OK(hps_trial_suggest_float(a, "x", 0, 1, 0, 0, &x));
    hps_study_close(study);
    /* the study handle is gone for the caller; its trials are not */
    ASSERT_OK(hps_trial_report(a, 0, x));
    ASSERT_OK(hps_trial_tell(a, HPS_COMPLETE, x));
    hps_trial_free(a);
    ASSERT_OK(hps_trial_suggest_float(b, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_tell(b, HPS_COMPLETE, x));
    hps_trial_free(b); /* the last one: releases the study */

    study = open_study(url, "close-early");
    size_t counts[5];
    ASSERT_OK(hps_study_count_states(study, counts));
    assert_int_equal(counts[HPS_COMPLETE], 2);
    /* closing with a RUNNING trial left open, freed afterwards */
    ASSERT_OK(hps_study_ask(study, &a));
    hps_study_close(study);
    hps_trial_free(a);
    hps_study_close(NULL);
}

/* A borrowed attribute text stays valid when the same record is asked again. */
static void test_attrs_text_stays_valid(void **state)
{
    (void)state;
    hps_study *study = open_study(":memory:", "attrs");
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    ASSERT_OK(hps_trial_set_user_attr(t, "note", "\"first\""));
    const hps_frozen *f = hps_trial_frozen(t);
    const char *user1 = hps_frozen_user_attrs(f);
    const char *system1 = hps_frozen_system_attrs(f);
    const char *user2 = hps_frozen_user_attrs(f);
    const char *system2 = hps_frozen_system_attrs(f);
    assert_string_equal(user1, "{\"note\": \"first\"}");
    assert_string_equal(user1, user2); /* reads user1 after the second call */
    assert_string_equal(system1, system2);
    /* a change gives a new text, with the change */
    ASSERT_OK(hps_trial_set_user_attr(t, "note", "\"second\""));
    assert_string_equal(hps_frozen_user_attrs(hps_trial_frozen(t)), "{\"note\": \"second\"}");
    ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, 1.0));
    hps_trial_free(t);
    hps_study_close(study);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_close_with_open_trials),
        cmocka_unit_test(test_attrs_text_stays_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
