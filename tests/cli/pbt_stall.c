/* pbt_stall.c -- an LD_PRELOAD stand-in for a PBT driver stalled mid-copy and for one
 * that takes it over at once (tests/cli/test_pbt.sh).
 *
 * closedir() of a directory whose path ends in $STALL_DIR_SUFFIX waits, once, while the
 * file $STALL_GATE exists: a run copying that directory then stalls after its last
 * heartbeat beat and before it renames the copy into place, as a process stopped or
 * swapped out there does. time() returns the time $TIME_SHIFT seconds later: a run
 * started with it finds the stalled run's heartbeat older than the grace at once,
 * instead of the test waiting a minute. write() into a file named $FULL_DISK_NAME
 * in a temporary copy (a "...copying" directory) fails with ENOSPC, as on a full disk.
 *
 *     cc -shared -fPIC -o pbt_stall.so pbt_stall.c -ldl */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef int (*closedir_fn)(DIR *);
typedef time_t (*time_fn)(time_t *);

/* Whether `d` is the directory to stall at (its path ends in the suffix). */
static int stall_here(DIR *d)
{
    const char *suffix = getenv("STALL_DIR_SUFFIX");
    if (suffix == NULL)
        return 0;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd(d));
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return 0;
    path[n] = '\0';
    size_t len = strlen(suffix);
    return (size_t)n >= len && strcmp(path + n - len, suffix) == 0;
}

int closedir(DIR *d)
{
    static closedir_fn next_closedir;
    static int stalled;
    if (next_closedir == NULL)
        next_closedir = (closedir_fn)dlsym(RTLD_NEXT, "closedir");
    const char *gate = getenv("STALL_GATE");
    if (!stalled && gate != NULL && stall_here(d)) {
        stalled = 1;
        fprintf(stderr, "[stall] copy stalled\n");
        struct timespec tenth = {0, 100000000};
        while (access(gate, F_OK) == 0)
            nanosleep(&tenth, NULL);
    }
    return next_closedir(d);
}

time_t time(time_t *out)
{
    static time_fn next_time;
    if (next_time == NULL)
        next_time = (time_fn)dlsym(RTLD_NEXT, "time");
    const char *shift = getenv("TIME_SHIFT");
    time_t now = next_time(NULL) + (shift != NULL ? (time_t)atol(shift) : 0);
    if (out != NULL)
        *out = now;
    return now;
}

typedef ssize_t (*write_fn)(int, const void *, size_t);

ssize_t write(int fd, const void *buf, size_t count)
{
    static write_fn next_write;
    if (next_write == NULL)
        next_write = (write_fn)dlsym(RTLD_NEXT, "write");
    const char *name = getenv("FULL_DISK_NAME");
    if (name != NULL) {
        char link[64], path[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, path, sizeof path - 1);
        path[n > 0 ? n : 0] = '\0';
        const char *base = strrchr(path, '/');
        if (base != NULL && strcmp(base + 1, name) == 0 && strstr(path, ".copying") != NULL) {
            errno = ENOSPC;
            return -1;
        }
    }
    return next_write(fd, buf, count);
}
