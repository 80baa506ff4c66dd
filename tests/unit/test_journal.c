/* test_journal.c -- what the journal storage (journal:PATH) promises beyond the
 * conformance suite: a torn last record is ignored and cut off by the next writer, a
 * damaged record is skipped, a lock left by a dead writer is broken, a file that is not
 * a journal is refused and left alone, and 16 worker processes share one study, also
 * while workers are SIGKILLed at random. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hpsearch.h"
#include "storage/journal_file.h"
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
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

/* Writes the owner file PATH.lock.PID.SERIAL of a writer waiting for the lock; returns
 * its name, to free. */
static char *write_owner_file(const char *path, long pid, unsigned serial,
                                    const char *host)
{
    char name[4200];
    snprintf(name, sizeof name, "%s.lock.%ld.%u", path, pid, serial);
    FILE *f = fopen(name, "w");
    assert_non_null(f);
    fprintf(f, "%ld %s %ld\n", pid, host, (long)time(NULL));
    fclose(f);
    return strdup(name);
}

/* A lock whose writer is dead on this host, or which is older than the grace period
 * (a writer on another machine that died), is broken; the write then goes through.
 * Breaking it also removes the owner files of dead writers on this host. */
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
    /* owner files left by writers killed while waiting (PATH.lock.PID.N): the dead
     * process's goes with the lock it broke; a live one's, and one from another host
     * (which cannot be judged), stay */
    char *dead_owner = write_owner_file(path, (long)child, 3, host);
    char *live_owner = write_owner_file(path, (long)getpid(), 4000, host);
    char *remote_owner = write_owner_file(path, 1, 0, "another-node");
    run_trials(study, 1);
    assert_int_not_equal(access(dead_owner, F_OK), 0);
    assert_int_equal(access(live_owner, F_OK), 0);
    assert_int_equal(access(remote_owner, F_OK), 0);
    unlink(live_owner);
    unlink(remote_owner);
    free(dead_owner);
    free(live_owner);
    free(remote_owner);
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

/* ---- 16 workers, SIGKILLed at random -------------------------------------------- */

enum { KILL_WORKERS = 16, KILL_BUDGET = 400, KILLS = 30, MAX_PIDS = KILL_WORKERS + KILLS + 1 };

/* Opens the study as a worker of the kill test does. heartbeat_grace > 0 makes its
 * first ask recover the RUNNING trials of workers on this host that are gone -- how a
 * replacement worker cleans up after a killed one. */
static hps_study *open_as_worker(const char *url)
{
    hps_study *study = NULL;
    hps_direction dir = HPS_MINIMIZE;
    char err[512], budget[32];
    snprintf(budget, sizeof budget, "%d", KILL_BUDGET);
    if (hps_study_open(url, "s", HPS_OPEN_LOAD, &dir, 1, &study, err, sizeof err) != HPS_OK ||
        hps_study_set(study, "max_trials", budget) != HPS_OK ||
        hps_study_set(study, "heartbeat_grace", "3600") != HPS_OK) {
        fprintf(stderr, "worker %ld: %s\n", (long)getpid(), err);
        _exit(2);
    }
    return study;
}

/* A worker: asks and tells until the budget is reached, writing "told N PID" to
 * `told_fd` after each tell that returned HPS_OK (one write of a few bytes into a
 * pipe: atomic). */
static void kill_test_worker(const char *url, int told_fd)
{
    hps_study *study = open_as_worker(url);
    hps_trial *t;
    hps_status rc;
    while ((rc = hps_study_ask(study, &t)) == HPS_OK) {
        double x, y;
        if (hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x) != HPS_OK ||
            hps_trial_suggest_float(t, "y", 0, 1, 0, 0, &y) != HPS_OK ||
            hps_trial_report(t, 0, x) != HPS_OK ||
            hps_trial_tell(t, HPS_COMPLETE, x + y) != HPS_OK) {
            fprintf(stderr, "worker %ld: %s\n", (long)getpid(), hps_trial_errmsg(t));
            _exit(3);
        }
        char line[64];
        int n = snprintf(line, sizeof line, "told %lld %ld\n", (long long)hps_trial_number(t),
                         (long)getpid());
        if (write(told_fd, line, (size_t)n) != n)
            _exit(5);
        hps_trial_free(t);
    }
    if (rc != HPS_DONE)
        fprintf(stderr, "worker %ld: %s\n", (long)getpid(), hps_study_errmsg(study));
    hps_study_close(study);
    _exit(rc == HPS_DONE ? 0 : 4);
}

static pid_t start_worker(const char *url, int told_fd)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        kill_test_worker(url, told_fd);
    return pid;
}

typedef enum { STOP_HOLDING_LOCK, STOP_INSIDE_TRIAL } stop_point;

/* A process that stops at `where` -- holding the journal's lock (`target` is the
 * journal's path), or inside a trial it asked for (`target` is the URL) -- and waits
 * there to be killed. Returns once it is there: nothing here depends on timing. */
static pid_t start_stopped(const char *target, stop_point where)
{
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (where == STOP_HOLDING_LOCK) {
            char lock[4200];
            snprintf(lock, sizeof lock, "%s.lock", target);
            hps_errbuf err = {0};
            if (journal_lock_acquire(lock, &err) != HPS_OK)
                _exit(2);
        } else {
            hps_trial *t;
            if (hps_study_ask(open_as_worker(target), &t) != HPS_OK)
                _exit(2);
        }
        if (write(ready[1], "R", 1) != 1)
            _exit(3);
        for (;;)
            pause();
    }
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    close(ready[1]);
    return pid;
}

/* Reaps `pid`: it must have been SIGKILLed or have finished cleanly. */
static void reap(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        assert_int_equal(WTERMSIG(status), SIGKILL);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("worker %ld exited with status %d", (long)pid, WEXITSTATUS(status));
}

/* A worker picked as a victim may be exiting already: then the kill has no effect. */
static void kill_and_reap(pid_t pid)
{
    kill(pid, SIGKILL);
    reap(pid);
}

/* Reaps the workers that finished by themselves. */
static void reap_finished(const pid_t *pids, int *alive, int n_pids)
{
    for (int i = 0; i < n_pids; i++) {
        int status;
        if (alive[i] && waitpid(pids[i], &status, WNOHANG) == pids[i]) {
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("worker %ld failed (status %#x)", (long)pids[i], status);
            alive[i] = 0;
        }
    }
}

/* A random worker still running and past its first tell, or -1 if none is. */
static int random_working(const int *alive, const int *working, int n_pids, unsigned *seed)
{
    int n_candidates = 0;
    for (int i = 0; i < n_pids; i++)
        n_candidates += alive[i] && working[i];
    if (n_candidates == 0)
        return -1;
    int pick = (int)(rand_r(seed) % (unsigned)n_candidates);
    for (int i = 0; i < n_pids; i++)
        if (alive[i] && working[i] && pick-- == 0)
            return i;
    return -1;
}

static int any_alive(const int *alive, int n_pids)
{
    for (int i = 0; i < n_pids; i++)
        if (alive[i])
            return 1;
    return 0;
}

/* What the workers wrote to the pipe: how often each trial was told, and which
 * workers are past their first tell (busy in the loop, not still opening the study). */
typedef struct {
    char text[1 << 16];
    size_t len, parsed;
    int told[KILL_BUDGET * 2];
    int working[MAX_PIDS];
} told_log;

static void drain_told(told_log *log, int fd, const pid_t *pids, int n_pids)
{
    ssize_t got;
    while ((got = read(fd, log->text + log->len, sizeof log->text - 1 - log->len)) > 0)
        log->len += (size_t)got;
    log->text[log->len] = '\0';
    char *line = log->text + log->parsed, *end;
    while ((end = strchr(line, '\n')) != NULL) {
        long n, pid;
        assert_int_equal(sscanf(line, "told %ld %ld", &n, &pid), 2);
        assert_true(n >= 0 && n < KILL_BUDGET * 2);
        log->told[n]++;
        for (int i = 0; i < n_pids; i++)
            if (pids[i] == (pid_t)pid)
                log->working[i] = 1;
        line = end + 1;
    }
    log->parsed = (size_t)(line - log->text);
}

/* The pid of the worker named in an interrupted trial's fail reason ("interrupted:
 * worker HOST:PID:START is gone"), or -1. */
static long gone_worker_pid(const hps_frozen *f)
{
    const char *reason = strstr(hps_frozen_system_attrs(f), "interrupted: worker ");
    if (reason == NULL || strstr(reason, " is gone") == NULL)
        return -1;
    const char *colon = strchr(reason, ':');
    colon = colon != NULL ? strchr(colon + 1, ':') : NULL; /* after the host */
    return colon != NULL ? strtol(colon + 1, NULL, 10) : -1;
}

/* 16 workers share a budget of 400 while the parent SIGKILLs a random busy one every
 * few milliseconds (30 times, fixed seed) and starts a replacement. Before they start,
 * two kills that do not depend on timing: a worker stopped inside trial 0 (so at least
 * one trial is left RUNNING by a dead worker, for the workers to recover all at once),
 * and a process holding the journal's lock, killed as the workers start (they must
 * break the lock together). The parent never waits on the journal while the workers
 * run: when it did (taking the lock itself, unfairly against 16 busy writers), the
 * workers could finish the budget before any random kill.
 *
 * Nothing finished is lost: every tell that returned HPS_OK is COMPLETE in the study.
 * Nothing runs twice: numbers are 0..n-1 once each, no trial is told twice, and the
 * killed workers' RUNNING trials were failed as interrupted by the others (none left
 * RUNNING), each naming a killed worker, at most one per worker, so exactly 400 trials
 * are COMPLETE. No live worker was judged gone. */
static void test_killed_workers_lose_nothing(void **state)
{
    (void)state;
    const char *url = new_url();
    const char *path = url + strlen("journal:");
    hps_study_close(open_study(url, "s"));
    pid_t killed[KILLS + 1];
    int kills = 0;
    killed[kills++] = start_stopped(url, STOP_INSIDE_TRIAL);
    kill_and_reap(killed[0]);
    pid_t lock_holder = start_stopped(path, STOP_HOLDING_LOCK);

    int told_pipe[2];
    assert_int_equal(pipe(told_pipe), 0);
    assert_int_equal(fcntl(told_pipe[0], F_SETFL, O_NONBLOCK), 0);
    static told_log log;
    memset(&log, 0, sizeof log);
    pid_t pids[MAX_PIDS];
    int alive[MAX_PIDS];
    int n_pids = 0;
    for (int w = 0; w < KILL_WORKERS; w++) {
        alive[n_pids] = 1;
        pids[n_pids++] = start_worker(url, told_pipe[1]);
    }
    kill_and_reap(lock_holder);
    unsigned seed = 21;
    while (kills < KILLS + 1) {
        struct timespec pause_for = {0, (1 + (long)(rand_r(&seed) % 4)) * 1000000};
        nanosleep(&pause_for, NULL);
        reap_finished(pids, alive, n_pids);
        if (!any_alive(alive, n_pids))
            break; /* the budget is done */
        drain_told(&log, told_pipe[0], pids, n_pids);
        int victim = random_working(alive, log.working, n_pids, &seed);
        if (victim < 0)
            continue; /* all are still starting */
        killed[kills++] = pids[victim];
        kill_and_reap(pids[victim]);
        alive[victim] = 0;
        alive[n_pids] = 1;
        pids[n_pids++] = start_worker(url, told_pipe[1]);
    }
    for (int i = 0; i < n_pids; i++)
        if (alive[i])
            reap(pids[i]);
    close(told_pipe[1]);
    drain_told(&log, told_pipe[0], pids, n_pids);
    close(told_pipe[0]);
    const int *told = log.told;

    hps_study *study = open_study(url, "s");
    size_t n = 0, n_complete = 0, n_interrupted = 0;
    int interrupted_of[KILLS + 1] = {0};
    ASSERT_OK(hps_study_n_trials(study, &n));
    assert_true(n >= KILL_BUDGET && n <= KILL_BUDGET + (size_t)kills);
    for (int64_t i = 0; i < (int64_t)n; i++) {
        const hps_frozen *f;
        ASSERT_OK(hps_study_trial(study, i, &f));
        assert_int_equal(hps_frozen_number(f), i);
        assert_true(told[i] <= 1);
        if (hps_frozen_state(f) == HPS_COMPLETE) {
            n_complete++;
            continue;
        }
        if (told[i] != 0)
            fail_msg("trial %lld was told COMPLETE but is in state %d", (long long)i,
                     (int)hps_frozen_state(f));
        assert_int_equal(hps_frozen_state(f), HPS_FAIL);
        assert_true(hps_frozen_interrupted(f));
        long gone = gone_worker_pid(f);
        int k = 0;
        while (k < kills && killed[k] != (pid_t)gone)
            k++;
        if (k == kills)
            fail_msg("trial %lld was failed as interrupted, but its worker was not killed: %s",
                     (long long)i, hps_frozen_system_attrs(f));
        if (++interrupted_of[k] > 1)
            fail_msg("killed worker %ld left more than one RUNNING trial", gone);
        n_interrupted++;
    }
    for (size_t i = n; i < KILL_BUDGET * 2; i++)
        assert_int_equal(told[i], 0);
    assert_int_equal(n_complete, KILL_BUDGET);
    assert_int_equal(n_complete + n_interrupted, n);
    const hps_frozen *first;
    ASSERT_OK(hps_study_trial(study, 0, &first));
    assert_true(hps_frozen_interrupted(first) && gone_worker_pid(first) == (long)killed[0]);
    size_t n_failed = 1;
    ASSERT_OK(hps_study_recover_stale(study, &n_failed));
    assert_int_equal(n_failed, 0);
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
        cmocka_unit_test(test_killed_workers_lose_nothing),
    };
    return cmocka_run_group_tests_name("journal storage", tests, NULL, NULL);
}
