/* test_wandb_standin.c -- the wandb stand-in is compiled in whole and written where
 * trials import it: once, atomically, replaced when it differs, refused for a path
 * PYTHONPATH cannot hold. (What the module does is tests/python/test_wandb_standin.py.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/wandb_standin.h"
#include "testutil.h"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void make_dir(const char *path)
{
    assert_int_equal(mkdir(path, 0750), 0);
}

/* The source is the file's bytes: its first line is the marker the module uses to tell
 * a stand-in from the real package, its last the deferral to a real wandb. */
static void test_source_is_embedded_whole(void **state)
{
    (void)state;
    assert_true(wandb_standin_source_len > 1000);
    assert_int_equal(strlen(wandb_standin_source), wandb_standin_source_len);
    assert_memory_equal(wandb_standin_source, "# hpsearch-wandb-standin", 24);
    const char *tail = "    _defer_to(_real_spec)\n";
    size_t n = strlen(tail);
    assert_memory_equal(wandb_standin_source + wandb_standin_source_len - n, tail, n);
}

static void test_install_writes_the_package_once(void **state)
{
    (void)state;
    const char *log_dir = testutil_path("logs");
    make_dir(log_dir);
    char dir[4200], err[4400], module[4400];
    assert_int_equal(wandb_standin_install(log_dir, dir, sizeof dir, err, sizeof err), 0);
    char expected[4200];
    snprintf(expected, sizeof expected, "%s/wandb-standin", log_dir);
    assert_string_equal(dir, expected);
    snprintf(module, sizeof module, "%s/wandb/__init__.py", dir);
    size_t len;
    char *text = read_file(module, &len);
    assert_int_equal(len, wandb_standin_source_len);
    assert_memory_equal(text, wandb_standin_source, len);
    free(text);

    /* an identical copy stays as it is: same inode, no temporary file left */
    struct stat before, after;
    assert_int_equal(stat(module, &before), 0);
    assert_int_equal(wandb_standin_install(log_dir, dir, sizeof dir, err, sizeof err), 0);
    assert_int_equal(stat(module, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    char package[4300];
    snprintf(package, sizeof package, "%s/wandb", dir);
    DIR *d = opendir(package);
    assert_non_null(d);
    int entries = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d))
        entries += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(entries, 1);
}

/* A copy from another hpsearch version (or a truncated one) is replaced by a rename. */
static void test_install_replaces_a_different_copy(void **state)
{
    (void)state;
    const char *log_dir = testutil_path("old");
    make_dir(log_dir);
    char dir[4200], err[4400], module[4400];
    assert_int_equal(wandb_standin_install(log_dir, dir, sizeof dir, err, sizeof err), 0);
    snprintf(module, sizeof module, "%s/wandb/__init__.py", dir);
    for (int variant = 0; variant < 2; variant++) {
        FILE *f = fopen(module, "w");
        assert_non_null(f);
        if (variant == 0)
            fputs("# an older stand-in\n", f);
        else
            fwrite(wandb_standin_source, 1, wandb_standin_source_len - 1, f);
        fclose(f);
        struct stat before, after;
        assert_int_equal(stat(module, &before), 0);
        assert_int_equal(wandb_standin_install(log_dir, dir, sizeof dir, err, sizeof err), 0);
        assert_int_equal(stat(module, &after), 0);
        assert_int_not_equal(before.st_ino, after.st_ino);
        size_t len;
        char *text = read_file(module, &len);
        assert_int_equal(len, wandb_standin_source_len);
        assert_memory_equal(text, wandb_standin_source, len);
        free(text);
    }
}

static void test_install_errors_name_the_path(void **state)
{
    (void)state;
    char dir[4200], err[4400];
    const char *missing = testutil_path("no/such/dir");
    assert_int_equal(wandb_standin_install(missing, dir, sizeof dir, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot create"));
    assert_non_null(strstr(err, "no/such/dir/wandb-standin"));

    const char *colon = testutil_path("a:b");
    make_dir(colon);
    assert_int_equal(wandb_standin_install(colon, dir, sizeof dir, err, sizeof err), -1);
    assert_non_null(strstr(err, "a:b/wandb-standin holds a ':'"));

    char small[8];
    assert_int_equal(wandb_standin_install(testutil_path("logs"), small, sizeof small, err,
                                           sizeof err), -1);
    assert_non_null(strstr(err, "too long"));

    if (geteuid() != 0) { /* root writes anywhere */
        const char *locked = testutil_path("locked");
        make_dir(locked);
        chmod(locked, 0500);
        assert_int_equal(wandb_standin_install(locked, dir, sizeof dir, err, sizeof err), -1);
        assert_non_null(strstr(err, "locked/wandb-standin"));
        chmod(locked, 0750);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_is_embedded_whole),
        cmocka_unit_test(test_install_writes_the_package_once),
        cmocka_unit_test(test_install_replaces_a_different_copy),
        cmocka_unit_test(test_install_errors_name_the_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
