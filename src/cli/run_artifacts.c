/* run_artifacts.c -- `artifacts:` (see run_artifacts.h). */
#include "cli/run_artifacts.h"
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The kernel stamps files with its coarse clock, which may lag a precise reading by a
 * tick: read that one, so a file written after the reading is never older than it. */
double artifacts_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME_COARSE, &ts) != 0)
        clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int artifacts_expand(const cfg_config *cfg, const tmpl_context *ctx, char ***out, size_t *n,
                     char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (cfg->n_artifacts == 0)
        return 0;
    return tmpl_expand_argv(cfg->artifacts, cfg->n_artifacts, ctx, out, n, err, errlen);
}

/* `pattern` made absolute under `dir`, whose own glob characters are escaped. */
static void absolute_pattern(const char *dir, const char *pattern, char *buf, size_t size)
{
    if (pattern[0] == '/') {
        snprintf(buf, size, "%s", pattern);
        return;
    }
    size_t used = 0;
    for (const char *c = dir; *c != '\0' && used + 3 < size; c++) {
        if (strchr("*?[\\", *c) != NULL)
            buf[used++] = '\\';
        buf[used++] = *c;
    }
    snprintf(buf + used, size - used, "/%s", pattern);
}

static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (out < 0) {
        int saved = errno;
        close(in);
        errno = saved;
        return -1;
    }
    char buf[65536];
    ssize_t got;
    int rc = 0;
    while (rc == 0 && (got = read(in, buf, sizeof buf)) != 0) {
        if (got < 0) {
            if (errno != EINTR)
                rc = -1;
            continue;
        }
        for (ssize_t done = 0; rc == 0 && done < got;) {
            ssize_t put = write(out, buf + done, (size_t)(got - done));
            if (put < 0 && errno != EINTR)
                rc = -1;
            else if (put > 0)
                done += put;
        }
    }
    int saved = errno;
    close(in);
    if (close(out) != 0 && rc == 0)
        rc = -1;
    else
        errno = saved;
    return rc;
}

/* Where a match is kept: its path under workdir, else (outside it, or through a ".."
 * that would lead out of the trial's directory) its base name. */
static const char *kept_name(const char *workdir, const char *match)
{
    size_t len = strlen(workdir);
    const char *slash = strrchr(match, '/');
    const char *base = slash != NULL ? slash + 1 : match;
    if (strncmp(match, workdir, len) != 0 || match[len] != '/')
        return base;
    const char *rel = match + len + 1;
    if (strncmp(rel, "../", 3) == 0 || strstr(rel, "/../") != NULL)
        return base;
    return rel;
}

/* `to` with "-K" before the extension of its last component ("model.pt" -> "model-2.pt"),
 * for a second file that would be kept under the same name. */
static void numbered_name(const char *to, unsigned k, char *buf, size_t size)
{
    const char *slash = strrchr(to, '/');
    const char *base = slash != NULL ? slash + 1 : to;
    const char *dot = strrchr(base, '.');
    if (dot == NULL || dot == base)
        dot = base + strlen(base); /* no extension (or a dot file): append */
    snprintf(buf, size, "%.*s-%u%s", (int)(dot - to), to, k, dot);
}

/* Whether `to` is already kept, as the copy of `match` (*same_source) or of another file. */
static int already_kept(const json_t *kept, const json_t *sources, const char *to,
                        const char *match, int *same_source)
{
    for (size_t i = 0; i < json_array_size(kept); i++)
        if (strcmp(json_string_value(json_array_get(kept, i)), to) == 0) {
            *same_source = strcmp(json_string_value(json_array_get(sources, i)), match) == 0;
            return 1;
        }
    return 0;
}

/* Copies one match into dir (creating its subdirectories); appends its kept path to
 * `kept` and its own path to `sources`. Two files outside workdir with one base name
 * (e.g. "../a/model.pt" and "../b/model.pt") are both kept, the second numbered. */
static int keep_one(const char *workdir, const char *dir, const char *match, double since,
                    json_t *kept, json_t *sources)
{
    struct stat st;
    if (stat(match, &st) != 0 || !S_ISREG(st.st_mode))
        return 0; /* directories and vanished files are not artifacts */
    if ((double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9 < since)
        return 0; /* older than the trial: another trial's */
    char first[8192], to[8208];
    snprintf(first, sizeof first, "%s/%s", dir, kept_name(workdir, match));
    snprintf(to, sizeof to, "%s", first);
    int same_source = 0;
    for (unsigned k = 2; already_kept(kept, sources, to, match, &same_source); k++) {
        if (same_source)
            return 0; /* matched by two patterns */
        numbered_name(first, k, to, sizeof to);
    }
    if (strcmp(to, first) != 0)
        cli_warn("artifacts: %s is kept as %s (another file of that name is kept already)",
                 match, to);
    char parent[8208];
    snprintf(parent, sizeof parent, "%s", to);
    *strrchr(parent, '/') = '\0';
    if (cli_make_dirs(parent) != 0 || copy_file(match, to) != 0) {
        int saved = errno;
        unlink(to); /* no half copy */
        cli_warn("artifacts: cannot keep %s as %s: %s", match, to, strerror(saved));
        return 0;
    }
    json_array_append_new(kept, json_string(to));
    json_array_append_new(sources, json_string(match));
    return 1;
}

size_t artifacts_keep(hps_trial *trial, const cfg_config *cfg, const char *log_dir,
                      char *const *patterns, size_t n_patterns, double since)
{
    if (n_patterns == 0)
        return 0;
    json_t *kept = json_array(), *sources = json_array();
    if (kept == NULL || sources == NULL) {
        json_decref(kept);
        json_decref(sources);
        return 0;
    }
    char dir[4400];
    snprintf(dir, sizeof dir, "%s/trial-%05" PRId64 ".artifacts", log_dir,
             hps_trial_number(trial));
    size_t skipped = 0;
    for (size_t p = 0; p < n_patterns; p++) {
        char pattern[8192];
        absolute_pattern(cfg->workdir, patterns[p], pattern, sizeof pattern);
        glob_t matches;
        if (glob(pattern, 0, NULL, &matches) != 0)
            continue; /* nothing matched: the trial did not write it this time */
        for (size_t i = 0; i < matches.gl_pathc; i++) {
            if (json_array_size(kept) >= ARTIFACTS_MAX_FILES)
                skipped++;
            else
                keep_one(cfg->workdir, dir, matches.gl_pathv[i], since, kept, sources);
        }
        globfree(&matches);
    }
    if (skipped > 0)
        cli_warn("artifacts: trial %" PRId64 ": kept the first %d files, not %zu more",
                 hps_trial_number(trial), ARTIFACTS_MAX_FILES, skipped);
    size_t n = json_array_size(kept);
    char *text = n > 0 ? json_dumps(kept, JSON_COMPACT) : NULL;
    if (text != NULL && hps_trial_set_system_attr(trial, "artifacts", text) != HPS_OK)
        cli_warn("artifacts: trial %" PRId64 ": cannot record the kept files: %s",
                 hps_trial_number(trial), hps_trial_errmsg(trial));
    free(text);
    json_decref(kept);
    json_decref(sources);
    return n;
}
