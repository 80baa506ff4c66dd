/* testutil.h -- helpers shared by the cmocka unit tests. */
#ifndef HPS_TESTUTIL_H
#define HPS_TESTUTIL_H

#include <stddef.h>

/* Fails the test naming the call and the status it returned (after cmocka.h and
 * hpsearch.h). */
#define ASSERT_OK(expr)                                                                   \
    do {                                                                                  \
        hps_status rc_ = (expr);                                                          \
        if (rc_ != HPS_OK)                                                                \
            fail_msg("%s returned %s", #expr, hps_status_name(rc_));                      \
    } while (0)

/* A fresh, empty directory for this test program (under $HPS_TEST_TMPDIR or /tmp),
 * removed with its contents by testutil_cleanup_dirs() at exit. Never NULL. */
const char *testutil_tmpdir(void);

/* testutil_tmpdir() + "/" + name, in a static rotating buffer. */
const char *testutil_path(const char *name);

/* Writes `text` to testutil_path(name) and returns that path. */
const char *testutil_write_file(const char *name, const char *text);

/* Runs the Python script tests/unit/<script> (found through $HPS_SOURCE_DIR, which ctest
 * sets) with Debian's interpreter ($HPS_PYTHON, else /usr/bin/python3, as the CLI tests
 * do), giving it the n_args arguments. Returns its exit status (0 = success), or -1 when
 * it could not run; either way the command is printed to stderr on failure. */
int testutil_run_python(const char *script, const char *const *args, int n_args);

#endif
