/* testutil_study.c -- studies built as the unit tests' inputs (see testutil_study.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil_study.h"

#include "hpsearch.h"
#include "testutil.h"

void testutil_make_x_study(const char *url, const char *name, int n, bool curve, double *xs)
{
    hps_study *study;
    hps_direction dir = HPS_MINIMIZE;
    char err[256];
    if (hps_study_open(url, name, HPS_OPEN_CREATE, &dir, 1, &study, err, sizeof err) != HPS_OK)
        fail_msg("cannot create study '%s' in %s: %s", name, url, err);
    for (int i = 0; i < n; i++) {
        hps_trial *t;
        double x;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
        if (curve) {
            ASSERT_OK(hps_trial_report(t, 0, 2 * x + 1));
            ASSERT_OK(hps_trial_report(t, 1, x));
        }
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, x * x));
        hps_trial_free(t);
        if (xs != NULL)
            xs[i] = x;
    }
    hps_study_close(study);
}
