/* slow_read.c -- an LD_PRELOAD stand-in for a slow filesystem (tests/cli/test_pbt.sh).
 *
 * While the file named by $SLOW_READ_GATE exists, each read() of a file whose base name
 * is $SLOW_READ_NAME waits half a second and returns at most one byte. A copy of such a
 * file then goes on for as long as the test keeps the gate, making progress all the
 * while, as the copy of a large checkpoint over a network filesystem does; removing
 * the gate lets it finish at full speed. Every other read() is left alone.
 *
 *     cc -shared -fPIC -o slow_read.so slow_read.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef ssize_t (*read_fn)(int, void *, size_t);

/* Whether `fd` reads the gated file while the gate stands. */
static int gated(int fd)
{
    const char *gate = getenv("SLOW_READ_GATE"), *name = getenv("SLOW_READ_NAME");
    if (gate == NULL || name == NULL || access(gate, F_OK) != 0)
        return 0;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return 0;
    path[n] = '\0';
    const char *base = strrchr(path, '/');
    return base != NULL && strcmp(base + 1, name) == 0;
}

ssize_t read(int fd, void *buf, size_t count)
{
    static read_fn next_read;
    if (next_read == NULL)
        next_read = (read_fn)dlsym(RTLD_NEXT, "read");
    if (count > 1 && gated(fd)) {
        struct timespec half = {0, 500000000};
        nanosleep(&half, NULL);
        count = 1;
    }
    return next_read(fd, buf, count);
}

/* _FORTIFY_SOURCE builds call this instead of read(). */
ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen)
{
    (void)buflen;
    return read(fd, buf, count);
}
