/*
 * proc.c -- starting, reading, signalling and reaping one trial process; see proc.h.
 *
 * fork + exec rather than posix_spawn: PR_SET_PDEATHSIG has no posix_spawn attribute.
 * hpsearch can be multi-threaded (the library's heartbeat thread), so between fork and
 * exec the child only makes async-signal-safe calls: everything that allocates (the
 * environment array, the proc handle) is prepared in the parent beforehand.
 */
#define _GNU_SOURCE /* pipe2, GNU strerror_r, sigdescr_np */

#include "runner/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef W_EXITCODE
#define W_EXITCODE(ret, sig) ((ret) << 8 | (sig))
#endif
#ifndef WCOREFLAG
#define WCOREFLAG 0x80
#endif

/* When close_range is missing (Linux < 5.11), how many descriptors the child marks
 * close-on-exec by hand at most. */
#define PROC_FALLBACK_MAX_FD 65536

struct proc {
    pid_t pid;     /* also the process-group id */
    int out_fd;    /* read end of the output pipe; -1 after EOF */
    int exited;
    int wstatus;
};

/* What the child reports through the status pipe when it cannot exec. */
enum { PROC_STAGE_SETUP = 1, PROC_STAGE_CHDIR = 2, PROC_STAGE_EXEC = 3 };
typedef struct proc_report {
    int stage;
    int err;
} proc_report;

__attribute__((format(printf, 3, 4))) static void proc_errf(char *err, size_t errlen,
                                                            const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *proc_strerror(int e, char *buf, size_t size)
{
    return strerror_r(e, buf, size); /* the GNU variant: returns the text */
}

static void proc_close(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Moves a descriptor to 3 or above (keeping close-on-exec), so the child's dup2 onto
 * 0-2 never collides with it even if the parent runs with stdio closed. */
static int proc_fd_above_stdio(int *fd)
{
    if (*fd > 2)
        return 0;
    int moved = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
    if (moved < 0)
        return -1;
    close(*fd);
    *fd = moved;
    return 0;
}

/* Length of the NAME part of "NAME=value", or 0 if the entry is not of that form. */
static size_t proc_env_name_len(const char *entry)
{
    const char *eq = strchr(entry, '=');
    return eq != NULL ? (size_t)(eq - entry) : 0;
}

static int proc_env_same_name(const char *a, const char *b, size_t b_name_len)
{
    return strncmp(a, b, b_name_len) == 0 && a[b_name_len] == '=';
}

/* The child's environment: the parent's minus names that env_set replaces, then
 * env_set (the last of duplicate names wins). Only pointers are copied. */
static int proc_build_env(char *const *env_set, char ***envp_out, char *err, size_t errlen)
{
    size_t n_env = 0, n_set = 0;
    *envp_out = NULL;
    for (char **e = environ; e != NULL && *e != NULL; e++)
        n_env++;
    for (; env_set[n_set] != NULL; n_set++) {
        if (proc_env_name_len(env_set[n_set]) == 0) {
            proc_errf(err, errlen, "invalid environment entry '%.200s' (expected NAME=value)",
                      env_set[n_set]);
            return -1;
        }
    }
    if (n_env > SIZE_MAX / sizeof(char *) - n_set - 1) {
        proc_errf(err, errlen, "out of memory");
        return -1;
    }
    char **envp = malloc((n_env + n_set + 1) * sizeof(char *));
    if (envp == NULL) {
        proc_errf(err, errlen, "out of memory");
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n_env; i++) {
        int replaced = 0;
        for (size_t j = 0; j < n_set && !replaced; j++)
            replaced = proc_env_same_name(environ[i], env_set[j], proc_env_name_len(env_set[j]));
        if (!replaced)
            envp[k++] = environ[i];
    }
    for (size_t i = 0; i < n_set; i++) {
        int overridden = 0;
        for (size_t j = i + 1; j < n_set && !overridden; j++)
            overridden = proc_env_same_name(env_set[j], env_set[i], proc_env_name_len(env_set[i]));
        if (!overridden)
            envp[k++] = env_set[i];
    }
    envp[k] = NULL;
    *envp_out = envp;
    return 0;
}

/* In the child after fork: async-signal-safe calls only, never returns. */
static void proc_child(const proc_spec *spec, char **envp, pid_t parent, int devnull,
                       int out_w, int status_w, int fallback_max_fd)
{
    proc_report report = {PROC_STAGE_SETUP, 0};

    setpgid(0, 0);
    /* Die with hpsearch. If it died before prctl took effect, we were reparented and
     * no signal will come: leave now (nobody is left to read a report). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
        goto fail;
    if (getppid() != parent)
        _exit(127);

    /* Handlers do not survive exec, but ignored signals (hpsearch ignores SIGPIPE) do;
     * the trial must start with the defaults. All signals are still blocked here, so no
     * handler of the parent can run in this child. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &dfl, NULL); /* fails harmlessly for glibc-reserved signals */
    }

    if (dup2(devnull, STDIN_FILENO) < 0 || dup2(out_w, STDOUT_FILENO) < 0 ||
        dup2(out_w, STDERR_FILENO) < 0)
        goto fail;

    /* Our own descriptors are close-on-exec already; this also catches any that other
     * code in the process opened without O_CLOEXEC. */
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        for (int fd = 3; fd < fallback_max_fd; fd++) {
            int flags = fcntl(fd, F_GETFD);
            if (flags >= 0 && !(flags & FD_CLOEXEC))
                fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
        }
    }

    if (spec->cwd != NULL && chdir(spec->cwd) != 0) {
        report.stage = PROC_STAGE_CHDIR;
        goto fail;
    }

    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    /* execvp searches the PATH of `environ`, so pointing environ at the child's
     * environment makes an env_set PATH count, as in `PATH=... cmd` in a shell. */
    if (envp != NULL)
        environ = envp;
    execvp(spec->argv[0], spec->argv);
    report.stage = PROC_STAGE_EXEC;
fail:
    report.err = errno;
    if (write(status_w, &report, sizeof report) < 0) {
        /* nothing more we can do; the parent sees a short report */
    }
    _exit(127);
}

int proc_start(const proc_spec *spec, proc **out, char *err, size_t errlen)
{
    proc *p = NULL;
    char **envp = NULL;
    int devnull = -1;
    int out_pipe[2] = {-1, -1};
    int status_pipe[2] = {-1, -1};
    char ebuf[128];
    int rc = -1;
    int fallback_max_fd = PROC_FALLBACK_MAX_FD;
    struct rlimit lim;
    sigset_t all, old;
    pid_t parent = getpid();
    pid_t pid = -1;
    int fork_errno = 0;
    proc_report report;
    ssize_t n = 0;
    int flags = 0;

    *out = NULL;
    if (spec == NULL || spec->argv == NULL || spec->argv[0] == NULL) {
        proc_errf(err, errlen, "no command to run");
        return -1;
    }
    if (spec->env_set != NULL && proc_build_env(spec->env_set, &envp, err, errlen) != 0)
        return -1;

    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
        lim.rlim_cur < (rlim_t)fallback_max_fd)
        fallback_max_fd = (int)lim.rlim_cur;

    p = malloc(sizeof *p);
    if (p == NULL) {
        proc_errf(err, errlen, "out of memory");
        goto out;
    }
    p->pid = -1;
    p->out_fd = -1;
    p->exited = 0;
    p->wstatus = 0;

    do {
        devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    } while (devnull < 0 && errno == EINTR);
    if (devnull < 0) {
        proc_errf(err, errlen, "cannot open /dev/null: %s",
                  proc_strerror(errno, ebuf, sizeof ebuf));
        goto out;
    }
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(status_pipe, O_CLOEXEC) != 0) {
        proc_errf(err, errlen, "cannot create a pipe: %s",
                  proc_strerror(errno, ebuf, sizeof ebuf));
        goto out;
    }
    if (proc_fd_above_stdio(&devnull) != 0 || proc_fd_above_stdio(&out_pipe[0]) != 0 ||
        proc_fd_above_stdio(&out_pipe[1]) != 0 || proc_fd_above_stdio(&status_pipe[0]) != 0 ||
        proc_fd_above_stdio(&status_pipe[1]) != 0) {
        proc_errf(err, errlen, "cannot duplicate a descriptor: %s",
                  proc_strerror(errno, ebuf, sizeof ebuf));
        goto out;
    }

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid = fork();
    if (pid == 0)
        proc_child(spec, envp, parent, devnull, out_pipe[1], status_pipe[1], fallback_max_fd);
    fork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) {
        proc_errf(err, errlen, "cannot start '%.200s': fork: %s", spec->argv[0],
                  proc_strerror(fork_errno, ebuf, sizeof ebuf));
        goto out;
    }
    /* Also from this side, so the group exists whichever process runs first. Fails
     * with EACCES once the child has exec'd, which is fine. */
    setpgid(pid, pid);
    proc_close(&out_pipe[1]);
    proc_close(&status_pipe[1]);
    proc_close(&devnull);

    /* EOF (the write end closed by a successful exec) means the command runs. */
    do {
        n = read(status_pipe[0], &report, sizeof report);
    } while (n < 0 && errno == EINTR);
    if (n != 0) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (n != (ssize_t)sizeof report)
            proc_errf(err, errlen, "cannot run '%.200s': the child failed before exec",
                      spec->argv[0]);
        else if (report.stage == PROC_STAGE_CHDIR)
            proc_errf(err, errlen, "cannot change to directory '%.200s': %s", spec->cwd,
                      proc_strerror(report.err, ebuf, sizeof ebuf));
        else if (report.stage == PROC_STAGE_EXEC)
            proc_errf(err, errlen, "cannot run '%.200s': %s", spec->argv[0],
                      proc_strerror(report.err, ebuf, sizeof ebuf));
        else
            proc_errf(err, errlen, "cannot set up the child for '%.200s': %s", spec->argv[0],
                      proc_strerror(report.err, ebuf, sizeof ebuf));
        goto out;
    }

    flags = fcntl(out_pipe[0], F_GETFL);
    if (flags < 0 || fcntl(out_pipe[0], F_SETFL, flags | O_NONBLOCK) != 0) {
        /* Practically impossible; a blocking pipe would stall the run loop, so give up
         * on this trial cleanly. */
        proc_errf(err, errlen, "cannot make the output pipe non-blocking: %s",
                  proc_strerror(errno, ebuf, sizeof ebuf));
        p->pid = pid;
        proc_free(p);
        p = NULL;
        goto out;
    }
    p->pid = pid;
    p->out_fd = out_pipe[0];
    out_pipe[0] = -1;
    *out = p;
    p = NULL;
    rc = 0;
out:
    proc_close(&devnull);
    proc_close(&out_pipe[0]);
    proc_close(&out_pipe[1]);
    proc_close(&status_pipe[0]);
    proc_close(&status_pipe[1]);
    free(envp);
    free(p);
    return rc;
}

pid_t proc_pid(const proc *p)
{
    return p->pid;
}

int proc_output_fd(const proc *p)
{
    return p->out_fd;
}

ssize_t proc_read(proc *p, char *buf, size_t size)
{
    if (p->out_fd < 0)
        return 0;
    ssize_t n;
    do {
        n = read(p->out_fd, buf, size);
    } while (n < 0 && errno == EINTR);
    if (n == 0 && size > 0)
        proc_close(&p->out_fd);
    return n;
}

int proc_signal(proc *p, int sig)
{
    return kill(-p->pid, sig);
}

int proc_poll_exit(proc *p, int *wstatus)
{
    if (!p->exited) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        int rc;
        /* WNOWAIT: observe the exit but leave the zombie, which keeps the pid and the
         * process-group id from being recycled before proc_free. */
        do {
            rc = waitid(P_PID, (id_t)p->pid, &info, WEXITED | WNOHANG | WNOWAIT);
        } while (rc < 0 && errno == EINTR);
        if (rc < 0)
            return -1;
        if (info.si_pid == 0)
            return 0;
        switch (info.si_code) {
        case CLD_EXITED:
            p->wstatus = W_EXITCODE(info.si_status & 0xff, 0);
            break;
        case CLD_DUMPED:
            p->wstatus = W_EXITCODE(0, info.si_status) | WCOREFLAG;
            break;
        default: /* CLD_KILLED */
            p->wstatus = W_EXITCODE(0, info.si_status);
            break;
        }
        p->exited = 1;
    }
    if (wstatus != NULL)
        *wstatus = p->wstatus;
    return 1;
}

int proc_exited(const proc *p)
{
    return p->exited;
}

void proc_describe_status(int wstatus, char *buf, size_t size)
{
    if (buf == NULL || size == 0)
        return;
    if (WIFEXITED(wstatus)) {
        snprintf(buf, size, "exit status %d", WEXITSTATUS(wstatus));
    } else if (WIFSIGNALED(wstatus)) {
        int sig = WTERMSIG(wstatus);
        const char *what = NULL;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
        what = sigdescr_np(sig); /* untranslated and thread-safe, unlike strsignal */
#else
        what = strsignal(sig);
#endif
        snprintf(buf, size, "killed by signal %d (%s)%s", sig,
                 what != NULL ? what : "unknown signal",
                 WCOREDUMP(wstatus) ? ", core dumped" : "");
    } else if (WIFSTOPPED(wstatus)) {
        snprintf(buf, size, "stopped by signal %d", WSTOPSIG(wstatus));
    } else {
        snprintf(buf, size, "unknown wait status 0x%x", (unsigned)wstatus);
    }
}

void proc_free(proc *p)
{
    if (p == NULL)
        return;
    if (p->pid > 0) {
        /* The leader is unreaped (running or a zombie), so the group id is still ours. */
        kill(-p->pid, SIGKILL);
        int status;
        while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    proc_close(&p->out_fd);
    free(p);
}
