/*
 * proc.h -- one child process per trial (Linux).
 *
 * The child runs in its own process group, so one signal reaches everything the trial
 * started (shell pipelines, DataLoader workers, torchrun ranks). It starts with stdin
 * from /dev/null, stdout and stderr merged into one pipe, default signal dispositions,
 * an empty signal mask, no file descriptors but 0-2, and PR_SET_PDEATHSIG(SIGKILL) so
 * it dies with hpsearch.
 *
 * Caveats the caller should know:
 *   - PR_SET_PDEATHSIG fires when the *thread* that called proc_start exits, not the
 *     process: start trials from a thread that lives as long as they do (the main one).
 *   - The child's process group is in the background of any terminal, so Ctrl-C reaches
 *     hpsearch only; forward it with proc_signal.
 *   - After the child exits, proc_poll_exit reports it but leaves it a zombie until
 *     proc_free. That keeps its pid -- which is also the process-group id -- reserved,
 *     so proc_signal and proc_free can never hit an unrelated process that got the pid
 *     recycled. Call proc_free promptly after a trial ends.
 *   - Nothing else in the process may reap our children (no waitpid(-1, ...) or
 *     SIGCHLD set to SIG_IGN), or proc_poll_exit fails with ECHILD.
 *   - Processes killed by proc_free that were not our children (grandchildren) are
 *     reaped by init or the nearest subreaper, not by us.
 *   - SIGPIPE: this module never writes to the pipe; the caller ignores SIGPIPE itself.
 *
 * Thread safety: a proc is used by one thread at a time; different procs are
 * independent. proc_start is safe with other threads running (no allocation happens
 * between fork and exec; all parent-side descriptors are close-on-exec).
 */
#ifndef HPS_RUNNER_PROC_H
#define HPS_RUNNER_PROC_H

#include <stddef.h>
#include <sys/types.h>

typedef struct proc_spec {
    char *const *argv;    /* NULL-terminated; argv[0] is looked up in PATH (execvp) --
                             the PATH of the child's environment, env_set included */
    char *const *env_set; /* NULL-terminated "NAME=value" entries set in the child on top
                             of the parent's environment (replacing same-named ones);
                             may be NULL */
    const char *cwd;      /* directory the child starts in; NULL: the parent's */
} proc_spec;

typedef struct proc proc;

/* Starts the child and returns once it has exec'd (or failed to). On success *out is
 * the new handle and 0 is returned. On failure *out is NULL, -1 is returned and err
 * holds the reason, e.g. "cannot run 'xyz': No such file or directory",
 * "cannot change to directory '/nope': No such file or directory", "invalid environment
 * entry 'FOO' (expected NAME=value)". err may be NULL (errlen 0). */
int proc_start(const proc_spec *spec, proc **out, char *err, size_t errlen);

pid_t proc_pid(const proc *p);
/* The read end of the output pipe (non-blocking, close-on-exec) to poll() on; -1 once
 * EOF has been seen. */
int proc_output_fd(const proc *p);

/* Reads what output is available without blocking: returns the number of bytes (> 0);
 * 0 at EOF (the fd is closed then, and every later call returns 0); -1 with errno
 * EAGAIN when nothing is available now, or -1 with another errno on error. */
ssize_t proc_read(proc *p, char *buf, size_t size);

/* Sends sig to the child's whole process group. 0, or -1 with errno (ESRCH: nobody is
 * left in the group). */
int proc_signal(proc *p, int sig);

/* Non-blocking check: returns 1 and sets *wstatus (a waitpid-style status for
 * WIFEXITED and friends; wstatus may be NULL) once the child has exited -- again on
 * every later call -- 0 while it runs, -1 with errno on error. */
int proc_poll_exit(proc *p, int *wstatus);

/* 1 after proc_poll_exit has returned 1. */
int proc_exited(const proc *p);

/* Describes a wait status: "exit status 3", "killed by signal 9 (Killed)",
 * "killed by signal 11 (Segmentation fault), core dumped". */
void proc_describe_status(int wstatus, char *buf, size_t size);

/* SIGKILLs the whole process group (also stragglers left behind by a child that has
 * exited), reaps the child and closes the descriptors. Blocks until the child is gone.
 * NULL-safe. */
void proc_free(proc *p);

#endif /* HPS_RUNNER_PROC_H */
