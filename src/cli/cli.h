/* cli.h -- what the subcommands of `hpsearch` share: exit codes, messages, and finding
 * the study a command is about. */
#ifndef HPS_CLI_H
#define HPS_CLI_H

#include "hpsearch.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILED = 1,   /* the study (or the command's work) failed */
    CLI_EXIT_USAGE = 2,    /* bad usage or config: the message says what and where */
    CLI_EXIT_INTERRUPTED = 130
};

#define CLI_DEFAULT_STORAGE "sqlite:hpsearch.db"

/* "hpsearch: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Seconds on a clock that never jumps (for timeouts and durations). */
double cli_monotonic(void);

/* "1h02m", "3m05s", "12.4s". */
void cli_format_duration(double seconds, char *buf, size_t size);

/* An external value as a new JSON node (null for none). */
json_t *cli_value_json(const hps_value *v);

/* The text of an external value as a user reads it (0.001, 64, relu, True). */
void cli_format_value(hps_value v, char *buf, size_t size);

/* A storage URL fit to print: a password in it is replaced by "***". Returns `buf`. */
const char *cli_shown_url(const char *url, char *buf, size_t size);

/* Shortest text that reads back to the same double (Python repr). */
void cli_format_double(double x, char *buf, size_t size);

/* Where a query command's study lives. The positional argument is a study name, or a
 * config file (ends in .yaml/.yml or names an existing file) whose study and storage
 * are used; --storage overrides the storage. */
typedef struct cli_target {
    char *study;
    char *storage;
} cli_target;

/* A whole number in [0, max] from text (no sign, nothing after it): 0, or -1. NULL
 * text is 0 with *out untouched (an absent option). */
int cli_parse_size(const char *text, size_t max, size_t *out);

/* Creates a directory and its missing parents (mode 0750). 0, or -1 with errno. */
int cli_make_dirs(const char *path);

/* Fills `target`; returns 0 or an exit code after printing the error. */
int cli_resolve_target(const char *arg, const char *storage_flag, cli_target *target);
void cli_target_clear(cli_target *target);

/* The exit code of a command that could not open its study or storage: CLI_EXIT_USAGE
 * when they are not what was asked for (no such study or database, a file that is not
 * an hpsearch database, a newer schema, a bad URL), CLI_EXIT_FAILED when the storage
 * could not be read. Reading commands never create a database, so a missing one lands
 * here too. */
int cli_open_exit_code(hps_status status);

/* Prints "CMD: MESSAGE (storage URL)" -- with a hint when nothing is there yet -- and
 * returns cli_open_exit_code(status). For the commands that read a study or storage. */
int cli_open_failed(const char *cmd, hps_status status, const char *message, const char *storage);

/* The library's samplers or pruners (cmd_catalog.c). */
typedef enum cli_strategy_kind { CLI_SAMPLERS, CLI_PRUNERS } cli_strategy_kind;

/* Their names as a sentence, "a, b or c", from the library's catalog; `dflt` (may be
 * NULL) comes first, marked "(default)". Returns `buf` ("" if the catalog could not be
 * had). */
const char *cli_strategy_names(cli_strategy_kind kind, const char *dflt, char *buf, size_t size);
/* Whether the sampler's suggestions depend on the results (the catalog's "learns"). */
int cli_sampler_learns(const char *name);

int cmd_run(int argc, char **argv);
int cmd_trials(int argc, char **argv);
int cmd_best(int argc, char **argv);
int cmd_studies(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_dashboard(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_narrow(int argc, char **argv);
int cmd_slurm(int argc, char **argv);
int cmd_samplers(int argc, char **argv);
int cmd_pruners(int argc, char **argv);
/* `hpsearch help config`: the keys of a config file. */
int cmd_help_config(FILE *out);

#endif
