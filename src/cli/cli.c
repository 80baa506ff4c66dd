/* cli.c -- messages, formatting and study lookup shared by the subcommands. */
#include "cli/cli.h"

#include "cli/config.h"
#include "runner/template.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("hpsearch: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("hpsearch: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

double cli_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_format_duration(double seconds, char *buf, size_t size)
{
    if (!isfinite(seconds) || seconds < 0)
        seconds = 0;
    if (seconds < 60) {
        snprintf(buf, size, "%.1fs", seconds);
        return;
    }
    long total = (long)(seconds + 0.5);
    if (total < 3600)
        snprintf(buf, size, "%ldm%02lds", total / 60, total % 60);
    else
        snprintf(buf, size, "%ldh%02ldm", total / 3600, (total % 3600) / 60);
}

void cli_format_value(hps_value v, char *buf, size_t size)
{
    if (tmpl_format_value(v, buf, size) < 0)
        snprintf(buf, size, "?");
}

const char *cli_shown_url(const char *url, char *buf, size_t size)
{
    hps_storage_url_redact(url != NULL ? url : "", buf, size);
    return buf;
}

void cli_format_double(double x, char *buf, size_t size)
{
    hps_value v = {.type = HPS_VALUE_FLOAT, .u.f = x};
    cli_format_value(v, buf, size);
}

static int looks_like_config(const char *arg)
{
    size_t len = strlen(arg);
    if ((len > 5 && strcmp(arg + len - 5, ".yaml") == 0) ||
        (len > 4 && strcmp(arg + len - 4, ".yml") == 0))
        return 1;
    struct stat st;
    return stat(arg, &st) == 0 && S_ISREG(st.st_mode);
}

int cli_resolve_target(const char *arg, const char *storage_flag, cli_target *target)
{
    memset(target, 0, sizeof *target);
    if (arg == NULL || arg[0] == '\0') {
        cli_error("which study? give a study name or a config file");
        return CLI_EXIT_USAGE;
    }
    if (looks_like_config(arg)) {
        cfg_config *cfg = NULL;
        char err[1024];
        if (cfg_load(arg, &cfg, err, sizeof err) != 0) {
            cli_error("%s", err);
            return CLI_EXIT_USAGE;
        }
        target->study = strdup(cfg->study_name);
        target->storage = strdup(storage_flag != NULL ? storage_flag : cfg->storage);
        cfg_free(cfg);
    } else {
        target->study = strdup(arg);
        target->storage = strdup(storage_flag != NULL ? storage_flag : CLI_DEFAULT_STORAGE);
    }
    if (target->study == NULL || target->storage == NULL) {
        cli_target_clear(target);
        cli_error("out of memory");
        return CLI_EXIT_FAILED;
    }
    return 0;
}

void cli_target_clear(cli_target *target)
{
    free(target->study);
    free(target->storage);
    target->study = target->storage = NULL;
}

int cli_open_exit_code(hps_status status)
{
    switch (status) {
    case HPS_ERR_NOTFOUND:
    case HPS_ERR_INVALID:
    case HPS_ERR_UNSUPPORTED:
        return CLI_EXIT_USAGE;
    default:
        return CLI_EXIT_FAILED;
    }
}

int cli_open_failed(const char *cmd, hps_status status, const char *message, const char *storage)
{
    char shown[512];
    cli_error("%s: %s%s (storage %s)", cmd, message,
              status == HPS_ERR_NOTFOUND ? "; `hpsearch run CONFIG` creates it" : "",
              cli_shown_url(storage, shown, sizeof shown));
    return cli_open_exit_code(status);
}

int cli_make_dirs(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0750) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

json_t *cli_value_json(const hps_value *v)
{
    switch (v->type) {
    case HPS_VALUE_STRING:
        return json_string(v->u.s);
    case HPS_VALUE_INT:
        return json_integer((json_int_t)v->u.i);
    case HPS_VALUE_FLOAT:
        return json_real(v->u.f);
    case HPS_VALUE_BOOL:
        return json_boolean(v->u.b);
    case HPS_VALUE_NONE:
        break;
    }
    return json_null();
}
