/* testutil_study.h -- studies the cmocka unit tests build as their inputs (after
 * cmocka.h: it fails the test when the storage does). */
#ifndef HPS_TESTUTIL_STUDY_H
#define HPS_TESTUTIL_STUDY_H

#include <stdbool.h>

/* Creates study `name` in `url` (minimized) with n COMPLETE trials of one parameter
 * x in [0, 1], each valued x * x; with `curve`, each reports two steps first (2x + 1 at
 * step 0, x at step 1), for what reads curves. xs, when not NULL, gets the n x's. A
 * warm start's source study, for one. */
void testutil_make_x_study(const char *url, const char *name, int n, bool curve, double *xs);

#endif
