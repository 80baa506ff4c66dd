/* test_journal.c -- what the journal storage (journal:PATH) promises beyond the
 * conformance suite: a torn last record is ignored and cut off by the next writer, a
 * damaged record is skipped, a lock left by a dead writer is broken, a file that is not
 * a journal is refused and left alone, and 16 worker processes share one study. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hpsearch.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

static int counter;

static const char *new_url(void)
{
    static char url[4200];
    char name[64];
    snprintf(name, sizeof name, "j-%d.journal", counter++);
    snprintf(url, sizeof url, "journal:%s", testutil_path(name));
    return url;
}

static hps_study *open_study(const char *url, const char *name)
{
    hps_study *study = NULL;
    hps_direction dir = HPS_MINIMIZE;
    char err[512];
    if (hps_study_open(url, name, HPS_OPEN_CREATE | HPS_OPEN_LOAD, &dir, 1, &study, err,
                       sizeof err) != HPS_OK)
        fail_msg("open %s: %s", url, err);
    return study;
}

static void run_trials(hps_study *study, int n)
{
    for (int i = 0; i < n; i++) {
        hps_trial *t;
        double x;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, x));
        hps_trial_free(t);
    }
}

static size_t n_trials(const char *url)
{
    hps_study *study = open_study(url, "s");
    size_t n = 0;
    ASSERT_OK(hps_study_n_trials(study, &n));
    hps_study_close(study);
    return n;
}

static void append_bytes(const char *path, const char *bytes)
{
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    fputs(bytes, f);
    fclose(f);
}

static long file_size(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return (long)sb.st_size;
}

/* A writer killed half-way through a record leaves a line without its newline:
 * readers ignore it, and the next writer cuts it off before appending. */
static void test_torn_record_is_ignored(void **state)
{
    (void)state;
    const char *url = new_url();
    const char *path = url + strlen("journal:");
    hps_study *study = open_study(url, "s");
    run_trials(study, 3);
    hps_study_close(study);
    long before = file_size(path);
    append_bytes(path, "1234abcd {\"op\":\"create\",\"study\":1,\"max\":0,\"gr");
    assert_int_equal(n_trials(url), 3);
    study = open_study(url, "s");
    run_trials(study, 1);
    hps_study_close(study);
    assert_int_equal(n_trials(url), 4);
    /* the torn bytes are gone: the file is whole lines */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *text = calloc(1, (size_t)file_size(path) + 1);
    assert_int_equal(fread(text, 1, (size_t)file_size(path), f), (size_t)file_size(path));
    fclose(f);
    assert_true(file_size(path) > before);
    assert_null(strstr(text, "\"gr1"));
    assert_int_equal(text[file_size(path) - 1], '\n');
    free(text);
}

/* A complete line whose checksum does not match is skipped, not fatal. */
static void test_damaged_record_is_skipped(void **state)
{
    (void)state;
    const char *url = new_url();
    const char *path = url + strlen("journal:");
    hps_study *study = open_study(url, "s");
    run_trials(study, 2);
    hps_study_close(study);
    append_bytes(path, "00000000 {\"op\":\"delete\",\"name\":\"s\"}\n");
    assert_int_equal(n_trials(url), 2);
    study = open_study(url, "s");
    run_trials(study, 2);
    hps_study_close(study);
    assert_int_equal(n_trials(url), 4);
}

static void write_lock(const char *path, long pid, const char *host, time_t age)
{
    char lock[4200];
    snprintf(lock, sizeof lock, "%s.lock", path);
    FILE *f = fopen(lock, "w");
    assert_non_null(f);
    fprintf(f, "%ld %s %ld\n", pid, host, (long)(time(NULL) - age));
    fclose(f);
    struct utimbuf times = {time(NULL) - age, time(NULL) - age};
    assert_int_equal(utime(lock, &times), 0);
}

/* A lock whose writer is dead on this host, or which is older than the grace period
 * (a writer on another machine that died), is broken; the write then goes through. */
static void test_stale_lock_is_broken(void **state)
{
    (void)state;
    const char *url = new_url();
    const char *path = url + strlen("journal:");
    hps_study *study = open_study(url, "s");
    run_trials(study, 1);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    assert_int_equal(waitpid(child, NULL, 0), child);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    write_lock(path, (long)child, host, 0);
    run_trials(study, 1);
    write_lock(path, 1, "another-node", 3600);
    run_trials(study, 1);
    hps_study_close(study);
    assert_int_equal(n_trials(url), 3);
    char lock[4200];
    snprintf(lock, sizeof lock, "%s.lock", path);
    assert_int_not_equal(access(lock, F_OK), 0);
}

/* Another program's file is refused with its name, and left exactly as it was. */
static void test_foreign_file_is_refused(void **state)
{
    (void)state;
    const char *path = testutil_write_file("notes.txt", "my notes\n");
    char url[4200], err[512];
    snprintf(url, sizeof url, "journal:%s", path);
    hps_study *study = NULL;
    hps_direction dir = HPS_MINIMIZE;
    assert_int_equal(hps_study_open(url, "s", HPS_OPEN_CREATE | HPS_OPEN_LOAD, &dir, 1, &study,
                                    err, sizeof err),
                     HPS_ERR_INVALID);
    assert_null(study);
    if (strstr(err, "is not an hpsearch journal") == NULL || strstr(err, path) == NULL)
        fail_msg("message: %s", err);
    assert_int_equal(file_size(path), 9);
    /* an empty URL path is named as such */
    assert_int_equal(hps_study_open("journal:", "s", HPS_OPEN_CREATE, &dir, 1, &study, err,
                                    sizeof err),
                     HPS_ERR_INVALID);
    assert_non_null(strstr(err, "journal:PATH"));
}

/* 16 processes ask and tell on one study with a budget of 48: exactly 48 trials,
 * numbered 0..47 once each, none left RUNNING. */
static void test_sixteen_workers_share_the_budget(void **state)
{
    (void)state;
    enum { WORKERS = 16, BUDGET = 48 };
    const char *url = new_url();
    hps_study_close(open_study(url, "s"));
    for (int w = 0; w < WORKERS; w++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid != 0)
            continue;
        hps_study *study = NULL;
        hps_direction dir = HPS_MINIMIZE;
        char err[512];
        if (hps_study_open(url, "s", HPS_OPEN_LOAD, &dir, 1, &study, err, sizeof err) != HPS_OK) {
            fprintf(stderr, "worker %d: %s\n", w, err);
            _exit(2);
        }
        ASSERT_OK(hps_study_set(study, "max_trials", "48"));
        hps_trial *t;
        hps_status rc;
        while ((rc = hps_study_ask(study, &t)) == HPS_OK) {
            double x;
            if (hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x) != HPS_OK ||
                hps_trial_report(t, 0, x) != HPS_OK || hps_trial_tell(t, HPS_COMPLETE, x) != HPS_OK)
                _exit(3);
            hps_trial_free(t);
        }
        hps_study_close(study);
        _exit(rc == HPS_DONE ? 0 : 4);
    }
    for (int w = 0; w < WORKERS; w++) {
        int status;
        assert_true(wait(&status) > 0);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    hps_study *study = open_study(url, "s");
    size_t n = 0;
    ASSERT_OK(hps_study_n_trials(study, &n));
    assert_int_equal(n, BUDGET);
    for (int64_t i = 0; i < BUDGET; i++) {
        const hps_frozen *f;
        ASSERT_OK(hps_study_trial(study, i, &f));
        assert_int_equal(hps_frozen_number(f), i);
        assert_int_equal(hps_frozen_state(f), HPS_COMPLETE);
    }
    hps_study_close(study);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_torn_record_is_ignored),
        cmocka_unit_test(test_damaged_record_is_skipped),
        cmocka_unit_test(test_stale_lock_is_broken),
        cmocka_unit_test(test_foreign_file_is_refused),
        cmocka_unit_test(test_sixteen_workers_share_the_budget),
    };
    return cmocka_run_group_tests_name("journal storage", tests, NULL, NULL);
}
