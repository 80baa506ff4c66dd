/* wandb_standin.c -- writes the embedded wandb stand-in where trials import it. */
#include "runner/wandb_standin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int wandb_standin_mkdir(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0750) == 0 || errno == EEXIST)
        return 0;
    snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
    return -1;
}

/* 1 when the file at path holds exactly the embedded source. */
static int wandb_standin_is_current(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int same = 1;
    size_t pos = 0;
    char buf[8192];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            same = n == 0 && pos == wandb_standin_source_len;
            break;
        }
        if ((size_t)n > wandb_standin_source_len - pos ||
            memcmp(buf, wandb_standin_source + pos, (size_t)n) != 0) {
            same = 0;
            break;
        }
        pos += (size_t)n;
    }
    close(fd);
    return same;
}

static int wandb_standin_write(const char *path, char *err, size_t errlen)
{
    char tmp[4400];
    /* A name of its own per process: concurrent runs sharing the log directory each
     * write their copy and rename it over the file. */
    if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof tmp) {
        snprintf(err, errlen, "path too long: %s", path);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    const char *data = wandb_standin_source;
    size_t left = wandb_standin_source_len;
    while (left > 0) {
        ssize_t n = write(fd, data, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }
        data += n;
        left -= (size_t)n;
    }
    if (close(fd) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int wandb_standin_install(const char *log_dir, char *dir_out, size_t dir_size, char *err,
                          size_t errlen)
{
    char package[4200], module[4300];
    if (snprintf(dir_out, dir_size, "%s/wandb-standin", log_dir) >= (int)dir_size ||
        snprintf(package, sizeof package, "%s/wandb", dir_out) >= (int)sizeof package ||
        snprintf(module, sizeof module, "%s/__init__.py", package) >= (int)sizeof module) {
        snprintf(err, errlen, "log directory path too long: %s", log_dir);
        return -1;
    }
    if (strchr(dir_out, ':') != NULL) {
        snprintf(err, errlen, "%s holds a ':', which PYTHONPATH cannot hold", dir_out);
        return -1;
    }
    if (wandb_standin_mkdir(dir_out, err, errlen) != 0 ||
        wandb_standin_mkdir(package, err, errlen) != 0)
        return -1;
    if (wandb_standin_is_current(module))
        return 0;
    return wandb_standin_write(module, err, errlen);
}
