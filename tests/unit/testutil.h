/* testutil.h -- helpers shared by the cmocka unit tests. */
#ifndef HPS_TESTUTIL_H
#define HPS_TESTUTIL_H

#include <stddef.h>

/* A fresh, empty directory for this test program (under $HPS_TEST_TMPDIR or /tmp),
 * removed with its contents by testutil_cleanup_dirs() at exit. Never NULL. */
const char *testutil_tmpdir(void);

/* testutil_tmpdir() + "/" + name, in a static rotating buffer. */
const char *testutil_path(const char *name);

/* Writes `text` to testutil_path(name) and returns that path. */
const char *testutil_write_file(const char *name, const char *text);

#endif
