/*
 * metrics.h -- reading metric values from the lines a trial prints.
 *
 * Training scripts print progress in many shapes; all of these yield val_acc:
 *     epoch=3 val_acc=0.91
 *     val_acc: 0.93
 *     step 5 | loss=0.12, val_acc=0.5
 *     {"epoch": 3, "val_acc": 0.91}
 *     {'epoch': 3, 'val_acc': 0.91}            (a Python dict repr)
 *     INFO:root:val_acc=0.9                    (Python logging's default format)
 *
 * Grammar of one pair:
 *     key    [A-Za-z_][A-Za-z0-9_./-]*, optionally in matching '...' or "..."; a bare key
 *            starts only where the previous byte is not a key byte, so `top5` inside
 *            `val_acc_top5` is never a key and `val_acc_top5` never matches `val_acc`
 *     sep    optional spaces/tabs, '=' or ':', optional spaces/tabs
 *     number [+-] then digits with an optional '.' and fraction (or '.' and fraction),
 *            optional exponent e[+-]digits; or nan, inf, infinity (any case). The number
 *            must end the token: it may not be followed by [A-Za-z0-9_], nor by a '.'
 *            and one of those, so `lr=1e-3x`, `v=1.2.3` and `x=nano` are not numbers
 *            while `acc=0.95.` at the end of a sentence is.
 * Anything else separates pairs, including ANSI colour sequences (ESC [ ... m), so
 * coloured log lines parse like plain ones. A key whose value is not a number (`name=abc`,
 * `"opt": "adam"`, `flag=True`) is skipped. Not recognised (by design, for now):
 * `step 5` without '='/':' and wrapped values such as `tensor(0.5)`.
 *
 * Numbers are converted with strtod, which follows LC_NUMERIC: the process must keep
 * the "C" numeric locale (the default unless setlocale is called).
 *
 * A tracker may instead be given a POSIX extended regular expression for scripts whose
 * lines do not have this shape (`Val Acc: 0.93`): its first capture group is the value,
 * which must then be one number in the grammar above (blanks around it are ignored).
 */
#ifndef HPS_RUNNER_METRICS_H
#define HPS_RUNNER_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct metric_pair {
    const char *key; /* points into the parsed line; not NUL-terminated */
    size_t key_len;
    double value;
} metric_pair;

/* Finds up to max_pairs key/value pairs in line[0..len) in order of appearance and
 * returns how many it stored. Reads no byte at or past line[len]; the line need not be
 * NUL-terminated and may contain any bytes. `pairs` may be NULL when max_pairs is 0. */
size_t metric_parse_line(const char *line, size_t len, metric_pair *pairs, size_t max_pairs);

/* Follows one metric through a trial's output and keeps its last lines for error
 * messages. Not thread-safe; one tracker per trial. */
typedef struct metric_tracker metric_tracker;

/* Longest regular expression a metric may be given: patterns come from config files. */
#define METRIC_MAX_REGEX 1024

/* Checks a metric regular expression: POSIX extended syntax (regcomp with REG_EXTENDED),
 * non-empty, at most METRIC_MAX_REGEX bytes, with at least one capture group, no
 * Python-style \d or \D (POSIX reads them as letters), and repetitions that stay small
 * when glibc spells them out (stacked '+' or large nested {m,n} would take gigabytes). Returns 0, or -1 with why in err
 * (for a syntax error, regerror's text). */
int metric_regex_check(const char *pattern, char *err, size_t errlen);

/* Tracks `metric_name` (copied; matched exactly, case-sensitively). Keeps the last
 * tail_lines lines (0: none), each cut at max_line bytes. NULL on OOM or if
 * metric_name is NULL or empty. */
metric_tracker *metric_tracker_new(const char *metric_name, size_t tail_lines, size_t max_line);
void metric_tracker_free(metric_tracker *t);

/* Reads the metric with `pattern` (see metric_regex_check) instead of `name=value` pairs:
 * a line carries the metric when the pattern matches it (the first match counts) and
 * its first group holds a number. Steps are found as before (step/epoch keys, else the
 * counter). Returns 0, or -1 with why in err, the tracker unchanged. */
int metric_tracker_set_regex(metric_tracker *t, const char *pattern, char *err, size_t errlen);

/* Feeds one output line (without its newline). Returns 1 when the metric occurs on it,
 * with *value its value (the last occurrence on the line if several, with a regex the
 * first match; may be NaN or infinite -- the caller decides what to do with those) and
 * *step:
 *   - the value of a `step` key on the same line if it is an integer in [0, 2^63),
 *   - else the value of an `epoch` key likewise (both keys matched case-insensitively),
 *   - else the number of earlier lines that carried the metric (0, 1, 2, ...).
 * Returns 0 when the line does not carry the metric (step and value untouched).
 * Every line, matching or not, goes into the tail. step/value may be NULL. */
int metric_tracker_line(metric_tracker *t, const char *line, size_t len, int64_t *step,
                        double *value);

/* Counted steps (lines without a step or epoch key) start at `step` instead of 0: a
 * resumed trial's process goes on after the step its checkpoint holds. */
void metric_tracker_set_first_step(metric_tracker *t, int64_t step);

/* 1 once the metric has been seen. */
int metric_tracker_has_value(const metric_tracker *t);
/* The last value and step seen; NaN and -1 before the first. */
double metric_tracker_last_value(const metric_tracker *t);
int64_t metric_tracker_last_step(const metric_tracker *t);
/* Number of lines that carried the metric. */
size_t metric_tracker_count(const metric_tracker *t);

/* Which of a run's values is its result: the last one, or the smallest or largest. */
typedef enum metric_summary {
    METRIC_SUMMARY_LAST,
    METRIC_SUMMARY_MIN,
    METRIC_SUMMARY_MAX
} metric_summary;

/* The run's value by `how`. MIN and MAX skip NaN values; NaN when there is no value to
 * give (none seen, or only NaN for MIN and MAX). */
double metric_tracker_summary(const metric_tracker *t, metric_summary how);

/* With a regex: lines it matched whose group was not a number, and the first such
 * group's text (at most 40 bytes; "" when none), so a failed trial can say why. */
size_t metric_tracker_n_rejected(const metric_tracker *t);
const char *metric_tracker_first_rejected(const metric_tracker *t);

/* The kept lines, oldest first, joined with '\n' (no trailing newline; "" when none),
 * in a new string the caller frees with free(). NUL bytes inside lines appear as '?'.
 * NULL on OOM. The tail is best effort: a line whose copy cannot be allocated is left
 * out rather than failing the trial. */
char *metric_tracker_tail(const metric_tracker *t);

#endif /* HPS_RUNNER_METRICS_H */
