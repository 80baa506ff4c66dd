/* replay_main.c -- runs a fuzz harness over saved inputs, without libFuzzer.
 *
 * gcc has no libFuzzer, so the normal and ASan builds link each harness with this
 * driver instead: every file named on the command line, and every file in every
 * directory named, is read and handed to LLVMFuzzerTestOneInput once, in name order so
 * that runs repeat exactly. A crash, a sanitizer report or a leak fails the test like
 * any other. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where this driver reports: copies of the original stdout and stderr, taken before a
 * harness points the standard streams elsewhere (fuzz_cli_args silences the CLI). */
static FILE *report_out, *report_err;

static void fail_on(const char *path)
{
    fprintf(report_err, "%s: %s\n", path, strerror(errno));
}

/* Reads a whole file; NULL with a message on failure. */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_on(path);
        return NULL;
    }
    uint8_t *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap == 0 ? 4096 : cap * 2;
            uint8_t *grown = realloc(data, cap);
            if (grown == NULL) {
                free(data);
                fclose(f);
                fprintf(report_err, "%s: out of memory\n", path);
                return NULL;
            }
            data = grown;
        }
        size_t got = fread(data + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        fail_on(path);
        free(data);
        return NULL;
    }
    *size = len;
    return data;
}

static int replay_file(const char *path)
{
    size_t size;
    uint8_t *data = read_file(path, &size);
    if (data == NULL)
        return -1;
    /* an exactly sized copy, as libFuzzer passes it, so reads past the end are caught */
    uint8_t *exact = malloc(size > 0 ? size : 1);
    if (exact == NULL) {
        free(data);
        return -1;
    }
    memcpy(exact, data, size);
    free(data);
    LLVMFuzzerTestOneInput(exact, size);
    free(exact);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Replays the regular files of a directory; returns how many, or -1. */
static long replay_dir(const char *dir)
{
    struct dirent **entries;
    int n = scandir(dir, &entries, NULL, by_name);
    if (n < 0) {
        fail_on(dir);
        return -1;
    }
    long count = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(entries[i]->d_name) + 2;
        char *path = malloc(len);
        struct stat st;
        if (path != NULL) {
            snprintf(path, len, "%s/%s", dir, entries[i]->d_name);
            if (stat(path, &st) != 0) {
                fail_on(path);
                count = -1;
            } else if (S_ISREG(st.st_mode)) {
                if (replay_file(path) != 0)
                    count = -1;
                else if (count >= 0)
                    count++;
            }
        } else {
            count = -1;
        }
        free(path);
        free(entries[i]);
    }
    free(entries);
    return count;
}

int main(int argc, char **argv)
{
    int out_fd = dup(1), err_fd = dup(2);
    report_out = out_fd >= 0 ? fdopen(out_fd, "w") : NULL;
    report_err = err_fd >= 0 ? fdopen(err_fd, "w") : NULL;
    if (report_out == NULL || report_err == NULL) {
        perror("replay");
        return 1;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
        return 2;
    }
    long total = 0;
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        /* absolute, since a harness may change directory (fuzz_cli_args does) */
        char *path = realpath(argv[i], NULL);
        struct stat st;
        if (path == NULL || stat(path, &st) != 0) {
            fail_on(argv[i]);
            free(path);
            failed = 1;
            continue;
        }
        long n = S_ISDIR(st.st_mode) ? replay_dir(path) : (replay_file(path) == 0 ? 1 : -1);
        free(path);
        if (n < 0)
            failed = 1;
        else
            total += n;
    }
    fprintf(failed ? report_err : report_out, "replayed %ld inputs\n", total);
    fclose(report_out);
    fclose(report_err);
    return failed ? 1 : 0;
}
