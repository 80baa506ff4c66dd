/* test_proc.c -- real child processes through proc_start and friends. */
#define _GNU_SOURCE /* PR_SET_CHILD_SUBREAPER is Linux; pipe2 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner/proc.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------------------- */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static proc *start_ok(char *const *argv, char *const *env_set, const char *cwd)
{
    proc_spec spec = {argv, env_set, cwd};
    proc *p = NULL;
    char err[512] = "";
    if (proc_start(&spec, &p, err, sizeof err) != 0)
        fail_msg("proc_start(%s) failed: %s", argv[0], err);
    assert_non_null(p);
    assert_true(proc_pid(p) > 0);
    assert_true(proc_output_fd(p) >= 0);
    return p;
}

static proc *start_sh(const char *script)
{
    char *const argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    return start_ok(argv, NULL, NULL);
}

/* Reads until EOF (polling, as the run loop will), then waits for the exit. Returns
 * the output (free()) and its length; stops reading past max_keep bytes but keeps
 * counting. */
static char *drain(proc *p, size_t max_keep, size_t *len_out, int *wstatus)
{
    char *out = malloc(max_keep + 1);
    assert_non_null(out);
    size_t kept = 0, total = 0;
    double deadline = now_seconds() + 20;
    char buf[65536];
    while (proc_output_fd(p) >= 0) {
        assert_true(now_seconds() < deadline);
        struct pollfd pfd = {proc_output_fd(p), POLLIN, 0};
        int rc = poll(&pfd, 1, 1000);
        if (rc < 0 && errno == EINTR)
            continue;
        assert_true(rc >= 0);
        for (;;) {
            ssize_t n = proc_read(p, buf, sizeof buf);
            if (n > 0) {
                size_t take = (size_t)n < max_keep - kept ? (size_t)n : max_keep - kept;
                memcpy(out + kept, buf, take);
                kept += take;
                total += (size_t)n;
                continue;
            }
            if (n == 0)
                break;
            assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
            break;
        }
    }
    out[kept] = '\0';
    assert_int_equal(proc_output_fd(p), -1);
    assert_int_equal(proc_read(p, buf, sizeof buf), 0); /* EOF stays EOF */
    int st = 0;
    while (proc_poll_exit(p, &st) == 0) {
        assert_true(now_seconds() < deadline);
        usleep(1000);
    }
    assert_true(proc_exited(p));
    if (wstatus != NULL)
        *wstatus = st;
    if (len_out != NULL)
        *len_out = total;
    return out;
}

/* Reaps orphans handed to us as subreaper until nothing of group `pgid` is left. */
static void assert_group_gone(pid_t pgid)
{
    double deadline = now_seconds() + 10;
    while (kill(-pgid, 0) == 0) {
        if (now_seconds() > deadline)
            fail_msg("process group %d still has members", (int)pgid);
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
        usleep(2000);
    }
    assert_int_equal(errno, ESRCH);
}

static int group_setup(void **state)
{
    (void)state;
    /* Orphaned grandchildren are reparented to us, so we can reap them and see their
     * process group become empty (this container's init does not reap). */
    return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 ? 0 : -1;
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_output_and_exit_status(void **state)
{
    (void)state;
    proc *p = start_sh("echo hello; echo to-stderr >&2; printf 'no newline'; exit 3");
    assert_false(proc_exited(p));
    int st;
    char *out = drain(p, 4096, NULL, &st);
    assert_string_equal(out, "hello\nto-stderr\nno newline");
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 3);
    /* Later polls return the same. */
    int again = -1;
    assert_int_equal(proc_poll_exit(p, &again), 1);
    assert_int_equal(again, st);
    assert_int_equal(proc_poll_exit(p, NULL), 1);
    char desc[128];
    proc_describe_status(st, desc, sizeof desc);
    assert_string_equal(desc, "exit status 3");
    free(out);
    proc_free(p);

    p = start_sh("exit 0");
    out = drain(p, 16, NULL, &st);
    assert_string_equal(out, "");
    proc_describe_status(st, desc, sizeof desc);
    assert_string_equal(desc, "exit status 0");
    free(out);
    proc_free(p);
}

static void test_killed_by_signal(void **state)
{
    (void)state;
    int st;
    char desc[128];
    proc *p = start_sh("kill -9 $$");
    free(drain(p, 16, NULL, &st));
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
    proc_describe_status(st, desc, sizeof desc);
    assert_string_equal(desc, "killed by signal 9 (Killed)");
    proc_free(p);

    /* proc_signal reaches a running child. */
    char *const argv[] = {"sleep", "100", NULL};
    p = start_ok(argv, NULL, NULL);
    int st2 = 0;
    assert_int_equal(proc_poll_exit(p, &st2), 0);
    assert_false(proc_exited(p));
    assert_int_equal(proc_signal(p, SIGTERM), 0);
    free(drain(p, 16, NULL, &st));
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGTERM);
    proc_describe_status(st, desc, sizeof desc);
    assert_string_equal(desc, "killed by signal 15 (Terminated)");
    proc_free(p);
}

static void test_describe_status(void **state)
{
    (void)state;
    char desc[128];
    proc_describe_status(SIGSEGV | 0x80, desc, sizeof desc);
    assert_string_equal(desc, "killed by signal 11 (Segmentation fault), core dumped");
    proc_describe_status(255 << 8, desc, sizeof desc);
    assert_string_equal(desc, "exit status 255");
    proc_describe_status((SIGSTOP << 8) | 0x7f, desc, sizeof desc);
    assert_string_equal(desc, "stopped by signal 19");
    proc_describe_status(SIGINT, desc, 8);
    assert_string_equal(desc, "killed ");
    proc_describe_status(0, NULL, 0); /* no crash */
}

static void test_start_errors(void **state)
{
    (void)state;
    proc *p = (proc *)1;
    char err[512];
    char *const missing[] = {"hps-no-such-command-xyz", "arg", NULL};
    proc_spec spec = {missing, NULL, NULL};
    assert_int_equal(proc_start(&spec, &p, err, sizeof err), -1);
    assert_null(p);
    assert_string_equal(err, "cannot run 'hps-no-such-command-xyz': No such file or directory");

    char *const abs_missing[] = {"/nonexistent/dir/tool", NULL};
    spec.argv = abs_missing;
    assert_int_equal(proc_start(&spec, &p, err, sizeof err), -1);
    assert_string_equal(err, "cannot run '/nonexistent/dir/tool': No such file or directory");

    const char *script = testutil_write_file("not_executable.sh", "echo hi\n");
    chmod(script, 0644);
    char *const noexec[] = {(char *)script, NULL};
    spec.argv = noexec;
    assert_int_equal(proc_start(&spec, &p, err, sizeof err), -1);
    char expected[1024];
    snprintf(expected, sizeof expected, "cannot run '%s': Permission denied", script);
    assert_string_equal(err, expected);

    char *const ok[] = {"true", NULL};
    proc_spec bad_cwd = {ok, NULL, "/nonexistent/dir"};
    assert_int_equal(proc_start(&bad_cwd, &p, err, sizeof err), -1);
    assert_string_equal(err,
                        "cannot change to directory '/nonexistent/dir': No such file or directory");

    char *const bad_env[] = {"GOOD=1", "NOEQUALS", NULL};
    proc_spec bad_env_spec = {ok, bad_env, NULL};
    assert_int_equal(proc_start(&bad_env_spec, &p, err, sizeof err), -1);
    assert_string_equal(err, "invalid environment entry 'NOEQUALS' (expected NAME=value)");
    char *const empty_name[] = {"=x", NULL};
    bad_env_spec.env_set = empty_name;
    assert_int_equal(proc_start(&bad_env_spec, &p, err, sizeof err), -1);

    char *const none[] = {NULL};
    spec.argv = none;
    assert_int_equal(proc_start(&spec, &p, err, sizeof err), -1);
    assert_int_equal(proc_start(NULL, &p, NULL, 0), -1);

    /* Failed starts leave no zombie behind. */
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
    proc_free(NULL);
}

static void test_script_without_shebang_runs(void **state)
{
    (void)state;
    /* execvp semantics: an executable text file without #! runs under /bin/sh. */
    const char *script = testutil_write_file("plain_script", "echo plain $1\n");
    chmod(script, 0755);
    char *const argv[] = {(char *)script, "arg", NULL};
    proc *p = start_ok(argv, NULL, NULL);
    int st;
    char *out = drain(p, 64, NULL, &st);
    assert_string_equal(out, "plain arg\n");
    free(out);
    proc_free(p);
}

static void test_group_kill_kills_grandchildren(void **state)
{
    (void)state;
    proc *p = start_sh("sleep 100 & sleep 100 & echo ready; wait");
    pid_t pgid = proc_pid(p);
    assert_int_equal(getpgid(pgid), pgid);
    assert_true(pgid != getpgrp());
    /* Wait until both sleeps run. */
    char buf[64];
    size_t got = 0;
    double deadline = now_seconds() + 10;
    while (got < 6) {
        assert_true(now_seconds() < deadline);
        ssize_t n = proc_read(p, buf + got, sizeof buf - 1 - got);
        if (n > 0)
            got += (size_t)n;
        else
            usleep(1000);
    }
    buf[got] = '\0';
    assert_string_equal(buf, "ready\n");
    assert_int_equal(kill(-pgid, 0), 0);
    proc_free(p);
    assert_group_gone(pgid);
}

static void test_free_kills_stragglers_after_exit(void **state)
{
    (void)state;
    /* The leader exits normally but leaves a background process in its group. */
    proc *p = start_sh("sleep 100 >/dev/null 2>&1 & echo $!");
    pid_t pgid = proc_pid(p);
    int st;
    char *out = drain(p, 64, NULL, &st);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    pid_t straggler = (pid_t)atoi(out);
    free(out);
    assert_true(straggler > 0);
    assert_int_equal(getpgid(straggler), pgid);
    /* The exited leader is kept as a zombie, so the group id cannot be recycled. */
    assert_int_equal(proc_signal(p, 0), 0);
    proc_free(p);
    assert_group_gone(pgid);
}

static void test_free_running_child(void **state)
{
    (void)state;
    /* proc_free on a running child that ignores SIGTERM and has unread output. */
    proc *p = start_sh("trap '' TERM; yes | head -c 1000000; sleep 100");
    pid_t pgid = proc_pid(p);
    usleep(20000);
    double t0 = now_seconds();
    proc_free(p);
    assert_true(now_seconds() - t0 < 5);
    assert_group_gone(pgid);
}

static void test_env_and_cwd(void **state)
{
    (void)state;
    setenv("HPS_TEST_INHERITED", "inherited", 1);
    setenv("HPS_TEST_REPLACED", "old", 1);
    char *const env_set[] = {"HPS_TEST_A=first", "HPS_TEST_REPLACED=new value",
                             "HPS_TEST_A=second", "HPS_TEST_EMPTY=", NULL};
    char *const argv[] = {"/bin/sh", "-c",
                          "echo \"$HPS_TEST_A|$HPS_TEST_REPLACED|$HPS_TEST_INHERITED|"
                          "${HPS_TEST_EMPTY-unset}|$(env | grep -c '^HPS_TEST_REPLACED=')\"; pwd",
                          NULL};
    const char *dir = testutil_tmpdir();
    proc *p = start_ok(argv, env_set, dir);
    int st;
    char *out = drain(p, 4096, NULL, &st);
    char real[PATH_MAX];
    assert_non_null(realpath(dir, real));
    char expected[PATH_MAX + 128];
    snprintf(expected, sizeof expected, "second|new value|inherited||1\n%s\n", real);
    assert_string_equal(out, expected);
    free(out);
    proc_free(p);

    /* The parent's environment is untouched. */
    assert_string_equal(getenv("HPS_TEST_REPLACED"), "old");
    assert_null(getenv("HPS_TEST_A"));

    /* A PATH given in env_set is used to find the command. */
    const char *tool = testutil_write_file("hps_private_tool", "#!/bin/sh\necho private tool\n");
    chmod(tool, 0755);
    char path_entry[PATH_MAX + 16];
    snprintf(path_entry, sizeof path_entry, "PATH=%s:/usr/bin:/bin", dir);
    char *const path_env[] = {path_entry, NULL};
    char *const tool_argv[] = {"hps_private_tool", NULL};
    p = start_ok(tool_argv, path_env, NULL);
    out = drain(p, 64, NULL, &st);
    assert_string_equal(out, "private tool\n");
    free(out);
    proc_free(p);
}

static void test_child_starts_clean(void **state)
{
    (void)state;
    /* Parent state that must not leak into the child: ignored and blocked signals, a
     * descriptor without close-on-exec. */
    struct sigaction ign, old_pipe, old_int;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old_pipe);
    sigaction(SIGINT, &ign, &old_int);
    sigset_t block, old_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old_mask);
    int leaked = open("/dev/null", O_RDONLY); /* deliberately without O_CLOEXEC */
    assert_true(leaked >= 0);

    char *const status_argv[] = {"grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status", NULL};
    proc *p = start_ok(status_argv, NULL, NULL);
    int st;
    char *out = drain(p, 4096, NULL, &st);
    /* Signals 1-31 must be clean. glibc reserves 32 and 33 for itself and refuses to
     * change them, so they stay as the environment that started the test left them. */
    unsigned long long blocked = 0, ignored = 0;
    assert_int_equal(sscanf(out, "SigBlk:\t%llx\nSigIgn:\t%llx", &blocked, &ignored), 2);
    assert_int_equal(blocked & 0x7fffffffULL, 0);
    assert_int_equal(ignored & 0x7fffffffULL, 0);
    free(out);
    proc_free(p);

    char *const fd_argv[] = {"ls", "/proc/self/fd", NULL};
    p = start_ok(fd_argv, NULL, NULL);
    out = drain(p, 4096, NULL, &st);
    /* 0-2 and the descriptor ls itself opened to read the directory. */
    assert_string_equal(out, "0\n1\n2\n3\n");
    free(out);
    proc_free(p);

    /* stdin is /dev/null: cat ends at once. */
    char *const cat_argv[] = {"cat", NULL};
    p = start_ok(cat_argv, NULL, NULL);
    out = drain(p, 64, NULL, &st);
    assert_string_equal(out, "");
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    free(out);
    proc_free(p);

    close(leaked);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    sigaction(SIGINT, &old_int, NULL);

    /* Our own descriptors are close-on-exec. */
    p = start_sh("true");
    int flags = fcntl(proc_output_fd(p), F_GETFD);
    assert_true(flags >= 0 && (flags & FD_CLOEXEC));
    assert_true(fcntl(proc_output_fd(p), F_GETFL) & O_NONBLOCK);
    free(drain(p, 16, NULL, NULL));
    proc_free(p);
}

static void test_big_output(void **state)
{
    (void)state;
    /* 8 MB through a 64 KiB pipe: the reader must keep up without deadlock, and
     * nothing may be lost. */
    proc *p = start_sh("yes 0123456789abcdef | head -c 8000000; echo; echo done");
    size_t total = 0;
    int st;
    char *out = drain(p, 64, &total, &st);
    assert_int_equal(total, 8000000 + 1 + 5);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_memory_equal(out, "0123456789abcdef\n0123456789abcdef\n", 34);
    free(out);
    proc_free(p);
}

static void test_pdeathsig(void **state)
{
    (void)state;
    /* A middle process starts a child through proc_start and dies without cleaning
     * up: the child must be killed with it. We are the subreaper, so the orphan is
     * reparented to us and we can wait for it. */
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    pid_t middle = fork();
    assert_true(middle >= 0);
    if (middle == 0) {
        char *const argv[] = {"sleep", "100", NULL};
        proc_spec spec = {argv, NULL, NULL};
        proc *p = NULL;
        pid_t pid = -1;
        if (proc_start(&spec, &p, NULL, 0) == 0)
            pid = proc_pid(p);
        if (write(fds[1], &pid, sizeof pid) != (ssize_t)sizeof pid)
            _exit(2);
        _exit(0);
    }
    close(fds[1]);
    pid_t child = -1;
    assert_int_equal(read(fds[0], &child, sizeof child), (ssize_t)sizeof child);
    close(fds[0]);
    assert_true(child > 0);
    int st;
    assert_int_equal(waitpid(middle, &st, 0), middle);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    double deadline = now_seconds() + 10;
    pid_t r;
    while ((r = waitpid(child, &st, WNOHANG)) == 0) {
        assert_true(now_seconds() < deadline);
        usleep(2000);
    }
    assert_int_equal(r, child);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
}

static void on_alarm(int sig)
{
    (void)sig;
}

static void test_survives_eintr(void **state)
{
    (void)state;
    /* A signal handler without SA_RESTART firing every 200 us interrupts reads, polls
     * and waits; everything must still work. */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGALRM, &sa, &old);
    struct itimerval it = {{0, 200}, {0, 200}}, off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &it, NULL);

    for (int round = 0; round < 20; round++) {
        proc *p = start_sh("yes abc | head -c 200000; exit 7");
        size_t total = 0;
        int st;
        free(drain(p, 16, &total, &st));
        assert_int_equal(total, 200000);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 7);
        proc_free(p);
    }
    char *const missing[] = {"hps-no-such-command-xyz", NULL};
    proc_spec spec = {missing, NULL, NULL};
    proc *p = NULL;
    char err[256];
    assert_int_equal(proc_start(&spec, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "No such file or directory"));

    setitimer(ITIMER_REAL, &off, NULL);
    /* Ignoring discards a SIGALRM still pending, which the default action would turn
     * into our death. */
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGALRM, &ign, NULL);
    sigaction(SIGALRM, &old, NULL);
}

static void test_many_concurrent(void **state)
{
    (void)state;
    /* Several children at once: each one's output pipe must reach EOF when it exits,
     * which fails if a write end leaked into a sibling. */
    enum { N = 8 };
    proc *procs[N];
    for (int i = 0; i < N; i++) {
        char script[64];
        snprintf(script, sizeof script, "echo child %d", i);
        procs[i] = start_sh(script);
    }
    char *const argv[] = {"sleep", "100", NULL};
    proc *sleeper = start_ok(argv, NULL, NULL);
    for (int i = 0; i < N; i++) {
        char expected[32];
        snprintf(expected, sizeof expected, "child %d\n", i);
        char *out = drain(procs[i], 64, NULL, NULL);
        assert_string_equal(out, expected);
        free(out);
        proc_free(procs[i]);
    }
    assert_int_equal(proc_poll_exit(sleeper, NULL), 0);
    proc_free(sleeper);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_and_exit_status),
        cmocka_unit_test(test_killed_by_signal),
        cmocka_unit_test(test_describe_status),
        cmocka_unit_test(test_start_errors),
        cmocka_unit_test(test_script_without_shebang_runs),
        cmocka_unit_test(test_group_kill_kills_grandchildren),
        cmocka_unit_test(test_free_kills_stragglers_after_exit),
        cmocka_unit_test(test_free_running_child),
        cmocka_unit_test(test_env_and_cwd),
        cmocka_unit_test(test_child_starts_clean),
        cmocka_unit_test(test_big_output),
        cmocka_unit_test(test_pdeathsig),
        cmocka_unit_test(test_survives_eintr),
        cmocka_unit_test(test_many_concurrent),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
