/* fuzz_metric_line.c -- libFuzzer harness for what a trial prints: the line splitter
 * (src/runner/linebuf.c) and the metric scanner and tracker (src/runner/metrics.c).
 *
 * Input layout (so the fuzzer controls the knobs as well as the bytes):
 *   byte 0   max_line of the splitter (0..79: small, so truncation is common)
 *   byte 1   seed of the chunk sizes the stream is fed in (1..16 bytes each)
 *   byte 2   tail lines the tracker keeps (0..7)
 *   byte 3   max_line of the tracker's tail (0..63)
 *   then     the metric name up to the first '\n' (at most 32 bytes; empty: "score"),
 *   then     the output stream.
 * Besides "no crash", the splitter is checked against a plain reference split of the
 * same stream: the lines, their truncation flags and their count must agree. Every line
 * also goes to a second tracker that reads the metric with a regex (the form of
 * metric.regex), whose group sometimes holds a number and sometimes not; both trackers'
 * summaries must be consistent. */
#include "fuzz.h"
#include "runner/linebuf.h"
#include "runner/metrics.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PAIRS 8

typedef struct feed_state {
    const char *stream; /* the reference: the whole stream */
    size_t stream_len;
    size_t pos;         /* start of the next reference line in stream */
    size_t max_line;
    size_t n_lines;
    metric_tracker *tracker;
    metric_tracker *regex_tracker;
} feed_state;

/* A metric.regex as users write them, with a group loose enough to capture junk. */
#define FUZZ_METRIC_REGEX "[Vv]al[ _][Aa]cc[:=] *([^ ,|]*)"


/* Parses one line every way the runner does, checking what the scanner promises. */
static void scan_line(metric_tracker *tracker, metric_tracker *regex_tracker, const char *line,
                      size_t len)
{
    metric_pair pairs[MAX_PAIRS];
    size_t n = metric_parse_line(line, len, pairs, MAX_PAIRS);
    check(n <= MAX_PAIRS);
    for (size_t i = 0; i < n; i++) {
        check(pairs[i].key >= line && pairs[i].key_len > 0);
        check((size_t)(pairs[i].key - line) + pairs[i].key_len <= len);
        if (i > 0)
            check(pairs[i].key > pairs[i - 1].key);
    }
    check(metric_parse_line(line, len, NULL, 0) == 0);
    /* more pairs asked for never changes the first ones found */
    metric_pair one;
    if (metric_parse_line(line, len, &one, 1) == 1)
        check(n >= 1 && one.key == pairs[0].key && one.key_len == pairs[0].key_len);

    int64_t step = -2;
    double value = 0;
    if (metric_tracker_line(tracker, line, len, &step, &value) == 1)
        check(step >= 0);
    step = -2;
    if (metric_tracker_line(regex_tracker, line, len, &step, &value) == 1)
        check(step >= 0);
}

/* What a tracker's summaries promise, whatever it read. */
static void check_summaries(const metric_tracker *t)
{
    double last = metric_tracker_summary(t, METRIC_SUMMARY_LAST);
    double lo = metric_tracker_summary(t, METRIC_SUMMARY_MIN);
    double hi = metric_tracker_summary(t, METRIC_SUMMARY_MAX);
    check(metric_tracker_has_value(t) || (isnan(last) && isnan(lo) && isnan(hi)));
    check(isnan(lo) == isnan(hi));
    if (!isnan(lo))
        check(lo <= hi);
    if (!isnan(last) && !isnan(lo))
        check(lo <= last && last <= hi);
    check(strlen(metric_tracker_first_rejected(t)) <= 40);
}

static int on_line(void *user, const char *line, size_t len, int truncated)
{
    feed_state *st = user;
    check(line[len] == '\0' && len <= st->max_line);

    /* the reference line: up to the next '\n' (or the end), without one trailing '\r' */
    check(st->pos <= st->stream_len);
    const char *start = st->stream + st->pos;
    size_t rest = st->stream_len - st->pos;
    const char *nl = memchr(start, '\n', rest);
    size_t full = nl != NULL ? (size_t)(nl - start) : rest;
    st->pos += full + (nl != NULL);
    size_t want = full > 0 && start[full - 1] == '\r' ? full - 1 : full;
    if (want <= st->max_line)
        check(!truncated && len == want);
    else
        check(truncated && len == st->max_line);
    check(memcmp(line, start, len) == 0);

    st->n_lines++;
    scan_line(st->tracker, st->regex_tracker, line, len);
    return 0;
}

/* Stops the feed at the third line: the rest of the chunk must be dropped cleanly. */
static int stop_at_third(void *user, const char *line, size_t len, int truncated)
{
    (void)line, (void)len, (void)truncated;
    size_t *count = user;
    return ++*count == 3 ? 7 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 || size > 65536)
        return 0;
    size_t max_line = data[0] % 80;
    uint32_t seed = data[1];
    size_t tail_lines = data[2] % 8;
    size_t tail_max = data[3] % 64;
    const char *rest = (const char *)data + 4;
    size_t rest_len = size - 4;

    const char *nl = memchr(rest, '\n', rest_len);
    size_t name_len = nl != NULL ? (size_t)(nl - rest) : 0;
    char name[33] = "score";
    if (name_len > 0) {
        if (name_len > 32)
            name_len = 32;
        memcpy(name, rest, name_len);
        name[name_len] = '\0'; /* a NUL inside cuts it shorter: still a valid name */
        if (name[0] == '\0')
            strcpy(name, "score");
    }
    const char *stream = nl != NULL ? nl + 1 : rest;
    size_t stream_len = rest_len - (size_t)(stream - rest);

    feed_state st = {.stream = stream, .stream_len = stream_len, .max_line = max_line};
    st.tracker = metric_tracker_new(name, tail_lines, tail_max);
    st.regex_tracker = metric_tracker_new(name, tail_lines, tail_max);
    linebuf *lb = linebuf_new(max_line);
    if (st.tracker == NULL || st.regex_tracker == NULL || lb == NULL ||
        metric_tracker_set_regex(st.regex_tracker, FUZZ_METRIC_REGEX, NULL, 0) != 0)
        abort();

    size_t pos = 0;
    while (pos < stream_len) {
        seed = seed * 1103515245u + 12345u;
        size_t chunk = 1 + (seed >> 16) % 16;
        if (chunk > stream_len - pos)
            chunk = stream_len - pos;
        check(linebuf_feed(lb, stream + pos, chunk, on_line, &st) == 0);
        pos += chunk;
    }
    check(linebuf_feed(lb, NULL, 0, on_line, &st) == 0);
    check(linebuf_finish(lb, on_line, &st) == 0);
    check(st.pos == stream_len); /* every line delivered, none twice */

    check(metric_tracker_count(st.tracker) == 0 || metric_tracker_has_value(st.tracker));
    check_summaries(st.tracker);
    check_summaries(st.regex_tracker);
    check(metric_tracker_n_rejected(st.tracker) == 0);
    metric_tracker_free(st.regex_tracker);
    char *tail = metric_tracker_tail(st.tracker);
    check(tail != NULL);
    free(tail);
    metric_tracker_free(st.tracker);

    /* The same stream in one piece through a reused splitter that is stopped early. */
    size_t count = 0;
    int rc = linebuf_feed(lb, stream, stream_len, stop_at_third, &count);
    if (rc == 0)
        rc = linebuf_finish(lb, stop_at_third, &count);
    check(rc == 0 || rc == 7);
    linebuf_free(lb);

    /* The whole input as one line: the scanner must cope with newlines and NULs too. */
    metric_pair pairs[MAX_PAIRS];
    (void)metric_parse_line((const char *)data, size, pairs, MAX_PAIRS);
    return 0;
}
