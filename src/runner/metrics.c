/*
 * metrics.c -- metric pairs in output lines, and one metric followed over a trial; see
 * metrics.h for the grammar.
 *
 * The scanner is a hand-written loop over bytes rather than a regex: it must never read
 * past `len` (lines are not NUL-terminated and may hold binary junk), must run in linear
 * time on hostile lines, and byte classes must not depend on the locale (ctype would).
 * A user's own regex (metric_tracker_set_regex) runs on a NUL-terminated copy of the line.
 */
#include "runner/metrics.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest number text we convert; anything longer is not a metric anyone prints. */
#define METRIC_MAX_NUMBER_TEXT 127

static int metric_is_alpha(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int metric_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int metric_is_key_start(unsigned char c)
{
    return metric_is_alpha(c) || c == '_';
}

static int metric_is_key_char(unsigned char c)
{
    return metric_is_alpha(c) || metric_is_digit(c) || c == '_' || c == '.' || c == '/' ||
           c == '-';
}

/* A byte that would make the number part of a longer word. */
static int metric_is_word_char(unsigned char c)
{
    return metric_is_alpha(c) || metric_is_digit(c) || c == '_';
}

static int metric_is_blank(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* Case-insensitive ASCII prefix test of word (lowercase) at line[pos..len). */
static int metric_has_word(const char *line, size_t len, size_t pos, const char *word)
{
    size_t n = strlen(word);
    if (len - pos < n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)line[pos + i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (c != (unsigned char)word[i])
            return 0;
    }
    return 1;
}

/* Parses a number starting exactly at line[pos]. On success stores it and the index
 * just past it. */
static int metric_parse_number(const char *line, size_t len, size_t pos, double *value,
                               size_t *end_out)
{
    size_t q = pos;
    if (q < len && (line[q] == '+' || line[q] == '-'))
        q++;
    if (metric_has_word(line, len, q, "infinity")) {
        q += 8;
    } else if (metric_has_word(line, len, q, "inf") || metric_has_word(line, len, q, "nan")) {
        q += 3;
    } else {
        size_t digits = 0;
        while (q < len && metric_is_digit((unsigned char)line[q])) {
            q++;
            digits++;
        }
        if (q < len && line[q] == '.') {
            q++;
            while (q < len && metric_is_digit((unsigned char)line[q])) {
                q++;
                digits++;
            }
        }
        if (digits == 0)
            return 0;
        /* An 'e' belongs to the number only if digits follow; otherwise the boundary
         * test below rejects the token (as in "3em"). */
        if (q < len && (line[q] == 'e' || line[q] == 'E')) {
            size_t e = q + 1;
            if (e < len && (line[e] == '+' || line[e] == '-'))
                e++;
            if (e < len && metric_is_digit((unsigned char)line[e])) {
                while (e < len && metric_is_digit((unsigned char)line[e]))
                    e++;
                q = e;
            }
        }
    }
    if (q < len) {
        unsigned char next = (unsigned char)line[q];
        if (metric_is_word_char(next))
            return 0;
        /* "1.2.3" is a version, not 1.2; but "acc=0.95." ends a sentence. */
        if (next == '.' && q + 1 < len && metric_is_word_char((unsigned char)line[q + 1]))
            return 0;
    }
    size_t n = q - pos;
    if (n > METRIC_MAX_NUMBER_TEXT)
        return 0;
    char text[METRIC_MAX_NUMBER_TEXT + 1];
    memcpy(text, line + pos, n);
    text[n] = '\0';
    char *end = NULL;
    double v = strtod(text, &end);
    /* Under a locale whose decimal point is not '.', strtod stops early: refuse rather
     * than report a wrong value. */
    if (end != text + n)
        return 0;
    *value = v;
    *end_out = q;
    return 1;
}

/* Separator and number after a key ending at line[pos]. */
static int metric_parse_value(const char *line, size_t len, size_t pos, double *value,
                              size_t *end_out)
{
    size_t q = pos;
    while (q < len && metric_is_blank((unsigned char)line[q]))
        q++;
    if (q >= len || (line[q] != '=' && line[q] != ':'))
        return 0;
    q++;
    while (q < len && metric_is_blank((unsigned char)line[q]))
        q++;
    return metric_parse_number(line, len, q, value, end_out);
}

/* Index just past an ANSI escape sequence starting with ESC at line[i]: a CSI sequence
 * (ESC [ parameters intermediates final), as colouring loggers emit, or the ESC alone. */
static size_t metric_skip_escape(const char *line, size_t len, size_t i)
{
    if (i + 1 >= len || line[i + 1] != '[')
        return i + 1;
    size_t j = i + 2;
    while (j < len && (unsigned char)line[j] >= 0x20 && (unsigned char)line[j] <= 0x3f)
        j++;
    if (j < len && (unsigned char)line[j] >= 0x40 && (unsigned char)line[j] <= 0x7e)
        j++;
    return j;
}

/* Finds the next pair at or after *pos; advances *pos past what it consumed. */
static int metric_next_pair(const char *line, size_t len, size_t *pos, metric_pair *out)
{
    size_t i = *pos;
    size_t after_escape = SIZE_MAX; /* a word may start here whatever byte precedes */
    while (i < len) {
        unsigned char c = (unsigned char)line[i];
        size_t value_end = 0;
        double value = 0.0;
        if (c == 0x1b) {
            i = metric_skip_escape(line, len, i);
            after_escape = i;
            continue;
        }
        if ((c == '"' || c == '\'') && i + 1 < len &&
            metric_is_key_start((unsigned char)line[i + 1])) {
            size_t j = i + 1;
            while (j < len && metric_is_key_char((unsigned char)line[j]))
                j++;
            if (j < len && (unsigned char)line[j] == c) {
                if (metric_parse_value(line, len, j + 1, &value, &value_end)) {
                    out->key = line + i + 1;
                    out->key_len = j - i - 1;
                    out->value = value;
                    *pos = value_end;
                    return 1;
                }
                i = j + 1;
                continue;
            }
            /* No closing quote: let the key be tried bare from the next byte. */
            i++;
            continue;
        }
        if (metric_is_key_start(c) &&
            (i == 0 || i == after_escape || !metric_is_key_char((unsigned char)line[i - 1]))) {
            size_t j = i + 1;
            while (j < len && metric_is_key_char((unsigned char)line[j]))
                j++;
            if (metric_parse_value(line, len, j, &value, &value_end)) {
                out->key = line + i;
                out->key_len = j - i;
                out->value = value;
                *pos = value_end;
                return 1;
            }
            /* Skip the whole word so no key starts inside it. */
            i = j;
            continue;
        }
        i++;
    }
    *pos = len;
    return 0;
}

size_t metric_parse_line(const char *line, size_t len, metric_pair *pairs, size_t max_pairs)
{
    size_t n = 0;
    size_t pos = 0;
    if (line == NULL)
        return 0;
    while (n < max_pairs && metric_next_pair(line, len, &pos, &pairs[n]))
        n++;
    return n;
}

/* ---- a user's regular expression ------------------------------------------------------ */

/* Bytes of the first rejected capture kept for messages. */
#define METRIC_REJECTED_TEXT 40

static void metric_say(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* glibc's regcomp spells repetitions out: X+ becomes X X*, X{2,5} five copies of X, and
 * nested repetitions multiply. Its work grows with those copies, and much faster where
 * they can match nothing (an interval over an optional piece nests the options):
 * a group and twenty-two '+' take 3 GB, '(a?){1,1000}' 140 MB, fourteen '+' after a
 * '?' minutes and gigabytes, deep nests of intervals crash it. So the copies are counted
 * from the pattern first and bounded, and a repetition right after another -- undefined
 * in POSIX, and Python's lazy '+?' -- is refused. */
#define METRIC_MAX_REGEX_COPIES 500.0
#define METRIC_MAX_REGEX_GROUPS 64

/* Index of the ']' closing the bracket expression opened at p[at] (or len). */
static size_t metric_bracket_end(const char *p, size_t len, size_t at)
{
    size_t k = at + 1;
    if (k < len && p[k] == '^')
        k++;
    if (k < len && p[k] == ']')
        k++; /* a leading ']' is a member */
    for (; k < len && p[k] != ']'; k++) {
        if (p[k] == '[' && k + 1 < len && strchr(":=.", p[k + 1]) != NULL) {
            const char *close = NULL; /* [:alpha:], [=a=], [.-.] */
            for (size_t j = k + 2; j + 1 < len && close == NULL; j++)
                if (p[j] == p[k + 1] && p[j + 1] == ']')
                    close = p + j + 1;
            if (close != NULL)
                k = (size_t)(close - p);
        }
    }
    return k;
}

/* How many copies the interval at p[at] ('{') makes of what it repeats, with *end its
 * closing '}'; 0 when it is not an interval. */
static double metric_interval_copies(const char *p, size_t len, size_t at, size_t *end)
{
    double low = 0.0, high = -1.0;
    size_t k = at + 1;
    for (; k < len && p[k] >= '0' && p[k] <= '9'; k++)
        low = low * 10.0 + (p[k] - '0');
    if (k < len && p[k] == ',') {
        high = 0.0;
        size_t digits = ++k;
        for (; k < len && p[k] >= '0' && p[k] <= '9'; k++)
            high = high * 10.0 + (p[k] - '0');
        if (k == digits)
            high = -1.0; /* {m,}: m copies and a star */
    }
    if (k >= len || p[k] != '}')
        return 0.0;
    *end = k;
    return (high > low ? high : low) + 1.0;
}

/* The pieces regcomp would copy to spell out the pattern's repetitions (HUGE_VAL for
 * groups nested past METRIC_MAX_REGEX_GROUPS); *stacked is the offset of the first
 * repetition that follows another, or SIZE_MAX. */
static double metric_regex_copies(const char *p, size_t len, size_t *stacked)
{
    double size[METRIC_MAX_REGEX_GROUPS + 1], last[METRIC_MAX_REGEX_GROUPS + 1];
    double copies = 0.0;
    int depth = 0, after_repetition = 0;
    size[0] = last[0] = 0.0;
    *stacked = SIZE_MAX;
    for (size_t i = 0; i < len; i++) {
        size_t end = i;
        double factor = p[i] == '+' ? 2.0
                        : p[i] == '{' ? metric_interval_copies(p, len, i, &end)
                                      : 0.0;
        if (factor > 0.0 || p[i] == '*' || p[i] == '?') {
            if (after_repetition && *stacked == SIZE_MAX)
                *stacked = i;
            after_repetition = 1;
            if (factor > 0.0) { /* the last piece, spelt out `factor` times */
                copies += last[depth] * (factor - 1.0);
                size[depth] += last[depth] * (factor - 1.0);
                last[depth] *= factor;
            }
            i = end;
            continue;
        }
        after_repetition = 0;
        double piece = 1.0;
        if (p[i] == '(') {
            if (depth == METRIC_MAX_REGEX_GROUPS)
                return HUGE_VAL;
            depth++;
            size[depth] = last[depth] = 0.0;
            continue;
        }
        if (p[i] == '|') {
            last[depth] = 0.0;
            continue;
        }
        if (p[i] == ')' && depth > 0) {
            piece = size[depth] + 1.0;
            depth--;
        } else if (p[i] == '\\') {
            i++;
        } else if (p[i] == '[') {
            i = metric_bracket_end(p, len, i);
        }
        size[depth] += piece;
        last[depth] = piece;
    }
    return copies;
}

/* Compiles a checked pattern into *re (regfree it after a 0 return). */
static int metric_regex_compile(const char *pattern, regex_t *re, char *err, size_t errlen)
{
    if (pattern == NULL || pattern[0] == '\0') {
        metric_say(err, errlen, "the regular expression is empty");
        return -1;
    }
    size_t len = strnlen(pattern, METRIC_MAX_REGEX + 1);
    if (len > METRIC_MAX_REGEX) {
        metric_say(err, errlen, "the regular expression is too long (at most %d bytes)",
                   METRIC_MAX_REGEX);
        return -1;
    }
    /* Python's \d reads as a literal 'd' in glibc's POSIX regex: the pattern would never
     * match a digit, and every trial would fail without saying why. */
    for (size_t i = 0; i + 1 < len; i++) {
        if (pattern[i] != '\\')
            continue;
        if (pattern[i + 1] == 'd' || pattern[i + 1] == 'D') {
            metric_say(err, errlen, "\\%c is not part of POSIX regular expressions: write %s",
                       pattern[i + 1], pattern[i + 1] == 'd' ? "[0-9]" : "[^0-9]");
            return -1;
        }
        i++; /* the escaped character, which may be a backslash itself */
    }
    size_t stacked;
    double copies = metric_regex_copies(pattern, len, &stacked);
    if (stacked != SIZE_MAX) {
        metric_say(err, errlen, "'%.*s' at byte %zu repeats a repetition, which POSIX leaves "
                   "undefined (Python's lazy +? and *? do not exist here): keep one",
                   (int)(stacked > 0 ? 2 : 1), pattern + (stacked > 0 ? stacked - 1 : 0),
                   stacked + 1);
        return -1;
    }
    if (!(copies <= METRIC_MAX_REGEX_COPIES)) {
        metric_say(err, errlen, "the regular expression repeats too much to compile safely "
                   "(its + and {m,n} would make more than %.0f copies); use smaller counts "
                   "and fewer nested repetitions", METRIC_MAX_REGEX_COPIES);
        return -1;
    }
    int rc = regcomp(re, pattern, REG_EXTENDED);
    if (rc != 0) {
        char why[256];
        regerror(rc, re, why, sizeof why);
        metric_say(err, errlen, "not a valid regular expression (%s)", why);
        return -1;
    }
    /* Without a group the match would be the whole text around the number ("Val Acc:
     * 0.93"), never a number itself: say so now rather than fail every trial. */
    if (re->re_nsub == 0) {
        regfree(re);
        metric_say(err, errlen, "the regular expression has no group: put parentheses around "
                   "the number, e.g. 'Val Acc: ([0-9.]+)'");
        return -1;
    }
    return 0;
}

int metric_regex_check(const char *pattern, char *err, size_t errlen)
{
    regex_t re;
    int rc = metric_regex_compile(pattern, &re, err, errlen);
    if (rc == 0)
        regfree(&re);
    return rc;
}

/* ---- tracker ------------------------------------------------------------------------ */

typedef struct metric_tail_slot {
    char *text; /* NULL when empty or when its copy could not be allocated */
    size_t len;
    size_t cap;
} metric_tail_slot;

struct metric_tracker {
    char *name;
    size_t name_len;
    size_t max_line;
    metric_tail_slot *slots; /* ring of tail_lines slots */
    size_t n_slots;
    size_t next_slot;        /* where the next line goes (the oldest when full) */
    size_t n_kept;
    size_t count;
    int64_t first_step;      /* the step of the first counted line (a resumed trial's) */
    double last_value;
    int64_t last_step;
    int has_number;          /* a value other than NaN was seen: min/max are set */
    double min_value, max_value;
    regex_t *regex;          /* NULL: name=value pairs */
    char *scratch;           /* the line NUL-terminated, for regexec */
    size_t scratch_cap;
    size_t n_rejected;
    char first_rejected[METRIC_REJECTED_TEXT + 1];
};

metric_tracker *metric_tracker_new(const char *metric_name, size_t tail_lines, size_t max_line)
{
    metric_tracker *t = NULL;
    if (metric_name == NULL || metric_name[0] == '\0')
        return NULL;
    t = calloc(1, sizeof *t);
    if (t == NULL)
        goto fail;
    t->name_len = strlen(metric_name);
    t->name = malloc(t->name_len + 1);
    if (t->name == NULL)
        goto fail;
    memcpy(t->name, metric_name, t->name_len + 1);
    if (tail_lines > 0) {
        t->slots = calloc(tail_lines, sizeof *t->slots);
        if (t->slots == NULL)
            goto fail;
    }
    t->n_slots = tail_lines;
    t->max_line = max_line;
    t->last_value = NAN;
    t->last_step = -1;
    return t;
fail:
    metric_tracker_free(t);
    return NULL;
}

void metric_tracker_free(metric_tracker *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n_slots; i++)
        free(t->slots[i].text);
    free(t->slots);
    free(t->name);
    if (t->regex != NULL)
        regfree(t->regex);
    free(t->regex);
    free(t->scratch);
    free(t);
}

int metric_tracker_set_regex(metric_tracker *t, const char *pattern, char *err, size_t errlen)
{
    regex_t *re = malloc(sizeof *re);
    if (re == NULL) {
        metric_say(err, errlen, "out of memory");
        return -1;
    }
    if (metric_regex_compile(pattern, re, err, errlen) != 0) {
        free(re);
        return -1;
    }
    if (t->regex != NULL)
        regfree(t->regex);
    free(t->regex);
    t->regex = re;
    return 0;
}

static void metric_reject(metric_tracker *t, const char *text, size_t len)
{
    if (t->n_rejected++ > 0)
        return;
    size_t n = len < METRIC_REJECTED_TEXT ? len : METRIC_REJECTED_TEXT;
    memcpy(t->first_rejected, text, n);
    t->first_rejected[n] = '\0';
}

/* Matches the regex against line[0..len): 1 with the number its first group holds. The
 * line is copied with a NUL at its end and '?' for NUL bytes inside (no number holds a
 * '?'). A line whose copy cannot be allocated is skipped. */
static int metric_regex_value(metric_tracker *t, const char *line, size_t len, double *value)
{
    if (len >= t->scratch_cap) {
        if (len == SIZE_MAX)
            return 0;
        char *grown = realloc(t->scratch, len + 1);
        if (grown == NULL)
            return 0;
        t->scratch = grown;
        t->scratch_cap = len + 1;
    }
    for (size_t i = 0; i < len; i++)
        t->scratch[i] = line[i] == '\0' ? '?' : line[i];
    t->scratch[len] = '\0';
    regmatch_t match[2];
    if (regexec(t->regex, t->scratch, 2, match, 0) != 0)
        return 0;
    if (match[1].rm_so < 0) { /* the group did not take part, as in 'Acc: (.*)|Loss' */
        metric_reject(t, "", 0);
        return 0;
    }
    size_t start = (size_t)match[1].rm_so, end = (size_t)match[1].rm_eo;
    while (start < end && metric_is_blank((unsigned char)t->scratch[start]))
        start++;
    while (end > start && metric_is_blank((unsigned char)t->scratch[end - 1]))
        end--;
    size_t number_end = 0;
    if (start < end && metric_parse_number(t->scratch, end, start, value, &number_end) &&
        number_end == end)
        return 1;
    metric_reject(t, t->scratch + start, end - start);
    return 0;
}

static void metric_tracker_keep(metric_tracker *t, const char *line, size_t len)
{
    if (t->n_slots == 0)
        return;
    metric_tail_slot *slot = &t->slots[t->next_slot];
    t->next_slot = (t->next_slot + 1) % t->n_slots;
    if (t->n_kept < t->n_slots)
        t->n_kept++;
    size_t n = len < t->max_line ? len : t->max_line;
    if (slot->text == NULL || slot->cap < n + 1) {
        /* Slots only grow, so a steady stream of lines allocates nothing. */
        char *grown = realloc(slot->text, n + 1);
        if (grown == NULL) {
            free(slot->text);
            slot->text = NULL;
            slot->len = 0;
            slot->cap = 0;
            return;
        }
        slot->text = grown;
        slot->cap = n + 1;
    }
    for (size_t i = 0; i < n; i++)
        slot->text[i] = line[i] == '\0' ? '?' : line[i];
    slot->text[n] = '\0';
    slot->len = n;
}

/* A step taken from the line: an integer in [0, 2^63). */
static int metric_step_value(double v, int64_t *out)
{
    if (!(v >= 0.0 && v < 9223372036854775808.0) || v != floor(v))
        return 0;
    *out = (int64_t)v;
    return 1;
}

static int metric_key_is(const metric_pair *p, const char *word)
{
    size_t n = strlen(word);
    return p->key_len == n && metric_has_word(p->key, p->key_len, 0, word);
}

int metric_tracker_line(metric_tracker *t, const char *line, size_t len, int64_t *step,
                        double *value)
{
    if (line == NULL)
        len = 0;
    if (len > 0)
        metric_tracker_keep(t, line, len);
    else
        metric_tracker_keep(t, "", 0);

    int found = 0, have_step = 0, have_epoch = 0;
    double found_value = 0.0;
    int64_t step_value = 0, epoch_value = 0;
    size_t pos = 0;
    metric_pair pair;
    if (t->regex != NULL)
        found = metric_regex_value(t, line, len, &found_value);
    while (len > 0 && metric_next_pair(line, len, &pos, &pair)) {
        int64_t s;
        if (t->regex == NULL && pair.key_len == t->name_len &&
            memcmp(pair.key, t->name, t->name_len) == 0) {
            found = 1;
            found_value = pair.value;
        }
        if (metric_key_is(&pair, "step") && metric_step_value(pair.value, &s)) {
            have_step = 1;
            step_value = s;
        } else if (metric_key_is(&pair, "epoch") && metric_step_value(pair.value, &s)) {
            have_epoch = 1;
            epoch_value = s;
        }
    }
    if (!found)
        return 0;

    int64_t this_step;
    if (have_step)
        this_step = step_value;
    else if (have_epoch)
        this_step = epoch_value;
    else
        this_step = t->first_step + (int64_t)t->count;
    t->count++;
    t->last_value = found_value;
    t->last_step = this_step;
    if (!isnan(found_value)) {
        if (!t->has_number || found_value < t->min_value)
            t->min_value = found_value;
        if (!t->has_number || found_value > t->max_value)
            t->max_value = found_value;
        t->has_number = 1;
    }
    if (step != NULL)
        *step = this_step;
    if (value != NULL)
        *value = found_value;
    return 1;
}

int metric_tracker_has_value(const metric_tracker *t)
{
    return t != NULL && t->count > 0;
}

double metric_tracker_last_value(const metric_tracker *t)
{
    return t != NULL ? t->last_value : NAN;
}

int64_t metric_tracker_last_step(const metric_tracker *t)
{
    return t != NULL ? t->last_step : -1;
}

size_t metric_tracker_count(const metric_tracker *t)
{
    return t != NULL ? t->count : 0;
}

double metric_tracker_summary(const metric_tracker *t, metric_summary how)
{
    if (t == NULL)
        return NAN;
    switch (how) {
    case METRIC_SUMMARY_MIN:
        return t->has_number ? t->min_value : NAN;
    case METRIC_SUMMARY_MAX:
        return t->has_number ? t->max_value : NAN;
    case METRIC_SUMMARY_LAST:
    default:
        return t->last_value;
    }
}

size_t metric_tracker_n_rejected(const metric_tracker *t)
{
    return t != NULL ? t->n_rejected : 0;
}

const char *metric_tracker_first_rejected(const metric_tracker *t)
{
    return t != NULL ? t->first_rejected : "";
}

char *metric_tracker_tail(const metric_tracker *t)
{
    size_t total = 1;
    size_t first = 0;
    if (t != NULL && t->n_kept > 0)
        first = (t->next_slot + t->n_slots - t->n_kept) % t->n_slots;
    size_t n_kept = t != NULL ? t->n_kept : 0;
    for (size_t k = 0; k < n_kept; k++) {
        const metric_tail_slot *slot = &t->slots[(first + k) % t->n_slots];
        size_t add = (slot->text != NULL ? slot->len : 0) + 1;
        if (total > SIZE_MAX - add)
            return NULL;
        total += add;
    }
    char *out = malloc(total);
    if (out == NULL)
        return NULL;
    size_t pos = 0;
    int any = 0;
    for (size_t k = 0; k < n_kept; k++) {
        const metric_tail_slot *slot = &t->slots[(first + k) % t->n_slots];
        if (slot->text == NULL)
            continue;
        if (any)
            out[pos++] = '\n';
        memcpy(out + pos, slot->text, slot->len);
        pos += slot->len;
        any = 1;
    }
    out[pos] = '\0';
    return out;
}

void metric_tracker_set_first_step(metric_tracker *t, int64_t step)
{
    t->first_step = step;
}
