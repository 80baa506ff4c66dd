/* testutil.c -- temporary directories and files for unit tests. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir_path[4096];

static void remove_tmpdir(void)
{
    if (tmpdir_path[0] == '\0' || getenv("HPS_KEEP_TMP") != NULL)
        return;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir_path);
    if (system(cmd) != 0)
        fprintf(stderr, "testutil: could not remove %s\n", tmpdir_path);
}

const char *testutil_tmpdir(void)
{
    if (tmpdir_path[0] != '\0')
        return tmpdir_path;
    const char *base = getenv("HPS_TEST_TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    char mkdir_cmd[4200];
    snprintf(mkdir_cmd, sizeof mkdir_cmd, "mkdir -p '%s'", base);
    if (system(mkdir_cmd) != 0)
        base = "/tmp";
    snprintf(tmpdir_path, sizeof tmpdir_path, "%s/hpstest.XXXXXX", base);
    if (mkdtemp(tmpdir_path) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    atexit(remove_tmpdir);
    return tmpdir_path;
}

const char *testutil_path(const char *name)
{
    static char buffers[8][4300];
    static unsigned next;
    char *buf = buffers[next++ % 8];
    snprintf(buf, sizeof buffers[0], "%s/%s", testutil_tmpdir(), name);
    return buf;
}

const char *testutil_write_file(const char *name, const char *text)
{
    const char *path = testutil_path(name);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
    return path;
}
