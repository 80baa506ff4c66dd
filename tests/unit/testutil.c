/* testutil.c -- temporary directories and files for unit tests. */
#include "testutil.h"

#include <stdio.h>
#include <sys/wait.h>
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

/* appends ' text ' quoted for sh to cmd */
static int append_quoted(char *cmd, size_t size, const char *text)
{
    size_t len = strlen(cmd);
    if (len + 3 >= size)
        return -1;
    cmd[len++] = ' ';
    cmd[len++] = '\'';
    for (const char *c = text; *c != '\0'; c++) {
        if (len + 6 >= size)
            return -1;
        if (*c == '\'') {
            memcpy(cmd + len, "'\\''", 4);
            len += 4;
        } else {
            cmd[len++] = *c;
        }
    }
    cmd[len++] = '\'';
    cmd[len] = '\0';
    return 0;
}

int testutil_run_python(const char *script, const char *const *args, int n_args)
{
    const char *python = getenv("HPS_PYTHON");
    const char *source = getenv("HPS_SOURCE_DIR");
    if (python == NULL || python[0] == '\0')
        python = "/usr/bin/python3";
    if (source == NULL || source[0] == '\0') {
        fprintf(stderr, "testutil: HPS_SOURCE_DIR is not set (ctest sets it)\n");
        return -1;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/tests/unit/%s", source, script);
    char cmd[16384] = "";
    int ok = append_quoted(cmd, sizeof cmd, python) == 0 &&
             append_quoted(cmd, sizeof cmd, path) == 0;
    for (int i = 0; i < n_args && ok; i++)
        ok = append_quoted(cmd, sizeof cmd, args[i]) == 0;
    if (!ok) {
        fprintf(stderr, "testutil: command for %s too long\n", script);
        return -1;
    }
    int status = system(cmd);
    int code = status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code != 0)
        fprintf(stderr, "testutil: %s failed (status %d)\n", cmd, code);
    return code;
}
