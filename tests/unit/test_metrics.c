/* test_metrics.c -- metric_parse_line, metric_tracker and linebuf. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/linebuf.h"
#include "runner/metrics.h"
#include "testutil.h"

/* ---- helpers ----------------------------------------------------------------------- */

/* Parses a copy of line[0..len) held in a buffer of exactly len bytes (so ASan catches
 * any read past len) and renders the pairs as "k=v k=v" with %g. */
static void render_pairs(const char *line, size_t len, char *out, size_t outlen)
{
    char *copy = malloc(len > 0 ? len : 1);
    assert_non_null(copy);
    memcpy(copy, line, len);
    metric_pair pairs[16];
    size_t n = metric_parse_line(copy, len, pairs, 16);
    assert_true(n <= 16);
    size_t pos = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        assert_true(pairs[i].key >= copy);
        assert_true(pairs[i].key + pairs[i].key_len <= copy + len);
        int w = snprintf(out + pos, outlen - pos, "%s%.*s=%g", i > 0 ? " " : "",
                         (int)pairs[i].key_len, pairs[i].key, pairs[i].value);
        assert_true(w > 0 && (size_t)w < outlen - pos);
        pos += (size_t)w;
    }
    free(copy);
}

static void check_line(const char *line, const char *expected)
{
    char got[512];
    render_pairs(line, strlen(line), got, sizeof got);
    if (strcmp(got, expected) != 0)
        fail_msg("line '%s': got '%s', expected '%s'", line, got, expected);
}

/* ---- metric_parse_line --------------------------------------------------------------- */

static void test_parse_documented_forms(void **state)
{
    (void)state;
    check_line("epoch=3 val_acc=0.91", "epoch=3 val_acc=0.91");
    check_line("val_acc: 0.93", "val_acc=0.93");
    check_line("step 5 | loss=0.12, acc=0.5", "loss=0.12 acc=0.5");
    check_line("{\"epoch\": 3, \"val_acc\": 0.91}", "epoch=3 val_acc=0.91");
    check_line("{'val_acc': 0.91}", "val_acc=0.91");
    check_line("{'epoch': 3, 'val_acc': 0.91, 'lr': 1e-05}", "epoch=3 val_acc=0.91 lr=1e-05");
    check_line("INFO:root:val_acc=0.9", "val_acc=0.9");
    check_line("loss: 0.5 - acc: 0.8 - val_loss: 0.4 - val_acc: 0.85",
               "loss=0.5 acc=0.8 val_loss=0.4 val_acc=0.85");
    check_line("a=1;b=2|c=3,d=4 {e=5} [f: 6]", "a=1 b=2 c=3 d=4 e=5 f=6");
}

static void test_parse_keys(void **state)
{
    (void)state;
    check_line("train/loss=0.5 val.acc=0.7 top-1=0.3 _x=1 x_1.y/z-w=2",
               "train/loss=0.5 val.acc=0.7 top-1=0.3 _x=1 x_1.y/z-w=2");
    check_line("acc = 0.5", "acc=0.5");
    check_line("acc :0.5", "acc=0.5");
    check_line("acc\t=\t0.5", "acc=0.5");
    check_line("\"quoted\":1 'single'=2", "quoted=1 single=2");
    /* A key is never taken from the middle of a word. */
    check_line("val_acc_top5=0.99", "val_acc_top5=0.99");
    check_line("3val=1", "");
    check_line("xacc=1 acc=2", "xacc=1 acc=2");
    /* Mismatched or missing quotes. */
    check_line("\"acc': 1", "");
    check_line("'acc=1", "acc=1");
    check_line("\"a b\": 1", "");
    /* Keys must start with a letter or underscore. */
    check_line("1x=2 -a=3 .b=4", "");
    check_line("=1 :2 = 3", "");
}

static void test_parse_numbers(void **state)
{
    (void)state;
    check_line("a=-1.5 b=+2 c=1e-3 d=2.5E+4 e=.5 f=5. g=-.25e1",
               "a=-1.5 b=2 c=0.001 d=25000 e=0.5 f=5 g=-2.5");
    check_line("a=nan b=NaN c=inf d=-inf e=Infinity f=-INFINITY g=+inf",
               "a=nan b=nan c=inf d=-inf e=inf f=-inf g=inf");
    check_line("acc=0.95.", "acc=0.95");
    check_line("done, acc=50%", "acc=50");
    check_line("t=12:30", "t=12");
    check_line("epoch=3/10", "epoch=3");
    check_line("lr=1e-3", "lr=0.001");
    /* Not numbers: part of a longer word. */
    check_line("lr=1e-3x v=1.2.3 x=nano y=3em z=0x10 w=1_000 u=infinite", "");
    check_line("e=1e e2=1e+", "");
    check_line("a=- b=+ c=. d=-. e=e5", "");

    /* Exact values. */
    metric_pair p[4];
    const char *line = "x=0.1 y=-0.0 z=1.7976931348623157e308 w=4.9e-324";
    assert_int_equal(metric_parse_line(line, strlen(line), p, 4), 4);
    assert_true(p[0].value == 0.1);
    assert_true(p[1].value == 0.0 && signbit(p[1].value));
    assert_true(p[2].value == 1.7976931348623157e308);
    assert_true(p[3].value == 4.9e-324);
    line = "big=1e999 small=1e-999";
    assert_int_equal(metric_parse_line(line, strlen(line), p, 4), 2);
    assert_true(isinf(p[0].value) && p[0].value > 0);
    assert_true(p[1].value == 0.0);
}

static void test_parse_skips_non_numeric(void **state)
{
    (void)state;
    check_line("name=abc lr=0.1", "lr=0.1");
    check_line("{\"opt\": \"adam\", \"lr\": 0.1, \"ok\": true, \"x\": null}", "lr=0.1");
    check_line("flag=True acc=1", "acc=1");
    check_line("acc=\"0.5\"", "");
    check_line("acc==0.5", "");
    check_line("model: resnet50: acc: 0.7", "acc=0.7");
}

static void test_parse_garbage_and_empty(void **state)
{
    (void)state;
    metric_pair p[4];
    assert_int_equal(metric_parse_line("", 0, p, 4), 0);
    assert_int_equal(metric_parse_line(NULL, 0, p, 4), 0);
    check_line("=====", "");
    check_line("::::", "");
    check_line("\"\"''\"'", "");
    check_line("{}{}[]()", "");
    /* ANSI colour sequences separate like spaces. */
    check_line("\x1b[32mloss=0.5\x1b[0m \x1b[1;31macc\x1b[0m=1 \x1b", "loss=0.5");
    check_line("\x1b[0mx=1\x1b[", "x=1");
    check_line("\x1b[", "");
    check_line("\x1bx=1", "x=1");

    /* NUL and every other byte value: no crash, NUL separates like any other byte. */
    static const char with_nul[] = "acc=1\0b=2\0=3";
    char got[128];
    render_pairs(with_nul, sizeof with_nul - 1, got, sizeof got);
    assert_string_equal(got, "acc=1 b=2");

    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    render_pairs(all, sizeof all, got, sizeof got);
    assert_string_equal(got, "");

    /* Random byte strings drawn from a metric-ish alphabet. */
    static const char alphabet[] = "ab_=: .'\"-+e5nNiI\x80\xff\t{},0";
    unsigned seed = 12345;
    for (int round = 0; round < 20000; round++) {
        char line[40];
        size_t len = (size_t)(round % 40);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            line[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        render_pairs(line, len, got, sizeof got);
    }
}

static void test_parse_never_reads_past_len(void **state)
{
    (void)state;
    const char *line = "{\"epoch\": 3, 'acc': -1.5e-3, loss=nan} step=7";
    size_t full = strlen(line);
    char got[256];
    for (size_t len = 0; len <= full; len++)
        render_pairs(line, len, got, sizeof got);
    /* Cut inside a value: the value ends at len. */
    render_pairs("acc=0.55", 7, got, sizeof got);
    assert_string_equal(got, "acc=0.5");
    render_pairs("acc=0.55", 4, got, sizeof got);
    assert_string_equal(got, "");
    render_pairs("acc=infinity", 7, got, sizeof got);
    assert_string_equal(got, "acc=inf");
}

static void test_parse_max_pairs(void **state)
{
    (void)state;
    metric_pair p[3];
    const char *line = "a=1 b=2 c=3";
    assert_int_equal(metric_parse_line(line, strlen(line), p, 2), 2);
    assert_int_equal((int)p[1].key_len, 1);
    assert_int_equal(p[1].key[0], 'b');
    assert_int_equal(metric_parse_line(line, strlen(line), NULL, 0), 0);
    assert_int_equal(metric_parse_line(line, strlen(line), p, 3), 3);
    assert_true(p[2].value == 3.0);

    /* An absurdly long number is refused rather than half-read. */
    char longnum[300];
    memcpy(longnum, "a=0.", 4);
    memset(longnum + 4, '1', sizeof longnum - 5);
    longnum[sizeof longnum - 1] = '\0';
    check_line(longnum, "");
}

/* ---- tracker --------------------------------------------------------------------------- */

static int tracker_feed(metric_tracker *t, const char *line, int64_t *step, double *value)
{
    return metric_tracker_line(t, line, strlen(line), step, value);
}

static void test_tracker_steps(void **state)
{
    (void)state;
    assert_null(metric_tracker_new(NULL, 3, 100));
    assert_null(metric_tracker_new("", 3, 100));

    metric_tracker *t = metric_tracker_new("val_acc", 5, 200);
    assert_non_null(t);
    assert_false(metric_tracker_has_value(t));
    assert_true(isnan(metric_tracker_last_value(t)));
    assert_int_equal(metric_tracker_last_step(t), -1);
    assert_int_equal(metric_tracker_count(t), 0);

    int64_t step = -5;
    double value = -5;
    /* No metric: nothing changes, outputs untouched. */
    assert_int_equal(tracker_feed(t, "loading data", &step, &value), 0);
    assert_int_equal(tracker_feed(t, "val_acc_top5=0.99 xval_acc=1", &step, &value), 0);
    assert_int_equal(step, -5);
    assert_true(value == -5);

    /* Counter: 0, 1, 2 ... */
    assert_int_equal(tracker_feed(t, "val_acc=0.5", &step, &value), 1);
    assert_int_equal(step, 0);
    assert_true(value == 0.5);
    assert_int_equal(tracker_feed(t, "val_acc: 0.6", &step, &value), 1);
    assert_int_equal(step, 1);

    /* epoch, then step wins over epoch. */
    assert_int_equal(tracker_feed(t, "{\"epoch\": 7, \"val_acc\": 0.7}", &step, &value), 1);
    assert_int_equal(step, 7);
    assert_true(value == 0.7);
    assert_int_equal(tracker_feed(t, "epoch=7 step=700 val_acc=0.71", &step, &value), 1);
    assert_int_equal(step, 700);
    assert_int_equal(tracker_feed(t, "val_acc=0.72 Step=800 EPOCH=8", &step, &value), 1);
    assert_int_equal(step, 800);

    /* Unusable step values fall back: fraction, negative, NaN, too large. */
    assert_int_equal(tracker_feed(t, "step=1.5 epoch=9 val_acc=0.8", &step, &value), 1);
    assert_int_equal(step, 9);
    assert_int_equal(tracker_feed(t, "step=-1 val_acc=0.81", &step, &value), 1);
    assert_int_equal(step, 6); /* the counter: six earlier occurrences */
    assert_int_equal(tracker_feed(t, "step=nan epoch=inf val_acc=0.82", &step, &value), 1);
    assert_int_equal(step, 7);
    assert_int_equal(tracker_feed(t, "step=1e19 val_acc=0.83", &step, &value), 1);
    assert_int_equal(step, 8);
    assert_int_equal(tracker_feed(t, "step=9007199254740993 val_acc=0.84", &step, &value), 1);
    assert_int_equal(step, 9007199254740992LL);

    /* A repeated step is reported as it is. */
    assert_int_equal(tracker_feed(t, "step=3 val_acc=0.1", &step, &value), 1);
    assert_int_equal(step, 3);
    assert_int_equal(tracker_feed(t, "step=3 val_acc=0.2", &step, &value), 1);
    assert_int_equal(step, 3);
    assert_true(value == 0.2);

    /* The last occurrence on a line wins; NaN values are passed on. */
    assert_int_equal(tracker_feed(t, "val_acc=0.1 val_acc=0.3", &step, &value), 1);
    assert_true(value == 0.3);
    assert_int_equal(tracker_feed(t, "val_acc=nan", NULL, &value), 1);
    assert_true(isnan(value));
    assert_int_equal(tracker_feed(t, "val_acc=0.9", NULL, NULL), 1);

    assert_true(metric_tracker_has_value(t));
    assert_int_equal(metric_tracker_count(t), 15);
    assert_true(metric_tracker_last_value(t) == 0.9);
    assert_int_equal(metric_tracker_last_step(t), 14);
    metric_tracker_free(t);
    metric_tracker_free(NULL);
}

/* ---- a metric read by a regular expression, and the run's summary -------------------- */

static void test_regex_check(void **state)
{
    (void)state;
    char why[256];
    assert_int_equal(metric_regex_check("Val Acc: ([0-9.]+)", why, sizeof why), 0);
    assert_int_equal(metric_regex_check("^epoch [0-9]+: acc=([0-9.eE+-]+)%?$", why, sizeof why), 0);

    /* The value is the first group: a pattern without one cannot say where it is. */
    assert_int_equal(metric_regex_check("Val Acc: [0-9.]+", why, sizeof why), -1);
    assert_non_null(strstr(why, "no group"));
    /* regerror's own words for a syntax error. */
    assert_int_equal(metric_regex_check("Val Acc: ([0-9.]+", why, sizeof why), -1);
    assert_non_null(strstr(why, "not a valid regular expression"));
    assert_non_null(strstr(why, "Unmatched ( or \\("));
    assert_int_equal(metric_regex_check("a{2,1}(x)", why, sizeof why), -1);
    assert_non_null(strstr(why, "not a valid regular expression"));
    /* Python's \d is not POSIX: glibc would read it as a literal 'd' and never match. */
    assert_int_equal(metric_regex_check("Val Acc: (\\d+\\.\\d+)", why, sizeof why), -1);
    assert_non_null(strstr(why, "\\d is not part of POSIX regular expressions: write [0-9]"));
    assert_int_equal(metric_regex_check("x=(\\D)", why, sizeof why), -1);
    assert_non_null(strstr(why, "write [^0-9]"));
    assert_int_equal(metric_regex_check("dir\\\\d=([0-9]+)", why, sizeof why), 0); /* "\\d" */
    assert_int_equal(metric_regex_check("", why, sizeof why), -1);
    assert_non_null(strstr(why, "empty"));
    assert_int_equal(metric_regex_check(NULL, why, sizeof why), -1);

    /* Length cap: the pattern comes from an untrusted file. */
    char longest[METRIC_MAX_REGEX + 2];
    memset(longest, 'a', sizeof longest);
    memcpy(longest, "(x)", 3);
    longest[METRIC_MAX_REGEX] = '\0';
    assert_int_equal(metric_regex_check(longest, why, sizeof why), 0);
    longest[METRIC_MAX_REGEX] = 'a';
    longest[METRIC_MAX_REGEX + 1] = '\0';
    assert_int_equal(metric_regex_check(longest, why, sizeof why), -1);
    assert_non_null(strstr(why, "too long"));

    /* glibc's regcomp spells repetitions out: nested ones, and intervals over optional
     * pieces, would take gigabytes or minutes (a group and twenty-two '+' take 3 GB), so
     * they are refused before it runs; so is a repetition of a repetition (undefined in
     * POSIX; Python's lazy +?). */
    const char *const greedy[] = {
        "((((a{1,50}){1,50}){1,50}){1,50})", "(x)[0-9]{1,30000}", "(a?){1,1000}",
        "((((((((((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)",
        "((((((((((a?)+)+)+)+)+)+)+)+)+)+", "(a?){1,100}(b?){1,100}(c?){1,100}(d?){1,100}"
        "(e?){1,100}(f?){1,100}",
    };
    for (size_t k = 0; k < sizeof greedy / sizeof greedy[0]; k++) {
        assert_int_equal(metric_regex_check(greedy[k], why, sizeof why), -1);
        assert_non_null(strstr(why, "repeats too much"));
    }
    const char *const stacked[] = {"(a)++++++++++++++++++++++", "x: ([0-9.]+?)", "(a*+)",
                                   "(a){2}{3}", "(x)%?+"};
    for (size_t k = 0; k < sizeof stacked / sizeof stacked[0]; k++) {
        assert_int_equal(metric_regex_check(stacked[k], why, sizeof why), -1);
        assert_non_null(strstr(why, "repeats a repetition"));
    }
    assert_int_equal(metric_regex_check("x: ([0-9.]+?)", why, sizeof why), -1);
    assert_string_equal(why, "'+?' at byte 12 repeats a repetition, which POSIX leaves undefined "
                             "(Python's lazy +? and *? do not exist here): keep one");
    /* ordinary patterns, also with classes and intervals, are far below the cap */
    const char *const fine[] = {
        "Val Acc: ([0-9.]+)", "acc=([[:digit:].]{1,20})", "(x{2,100})[]a{]+",
        "^([0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?)$", "(a){3,}b{,5}",
    };
    for (size_t k = 0; k < sizeof fine / sizeof fine[0]; k++)
        if (metric_regex_check(fine[k], why, sizeof why) != 0)
            fail_msg("'%s' was refused: %s", fine[k], why);
    /* literal text costs nothing: the longest pattern of plain characters is fine */
    char plain[METRIC_MAX_REGEX + 1];
    memset(plain, 'a', METRIC_MAX_REGEX);
    memcpy(plain, "(x)", 3);
    plain[METRIC_MAX_REGEX] = '\0';
    assert_int_equal(metric_regex_check(plain, why, sizeof why), 0);
}

/* Feeds a copy of the line in a buffer of exactly its length (ASan sees overreads). */
static int tracker_feed_exact(metric_tracker *t, const char *line, size_t len, int64_t *step,
                              double *value)
{
    char *copy = malloc(len > 0 ? len : 1);
    assert_non_null(copy);
    memcpy(copy, line, len);
    int found = metric_tracker_line(t, copy, len, step, value);
    free(copy);
    return found;
}

static void test_tracker_regex(void **state)
{
    (void)state;
    char why[256];
    metric_tracker *t = metric_tracker_new("val_acc", 5, 200);
    assert_non_null(t);
    assert_int_equal(metric_tracker_set_regex(t, "Val Acc: ([0-9.]+)", why, sizeof why), 0);

    int64_t step = -5;
    double value = -5;
    assert_int_equal(tracker_feed(t, "Epoch 1 | Loss: 0.7 | Val Acc: 0.81", &step, &value), 1);
    assert_int_equal(step, 0); /* no step/epoch key: the counter */
    assert_true(value == 0.81);
    /* With a regex the name=value form no longer reads the metric... */
    assert_int_equal(tracker_feed(t, "val_acc=0.99", &step, &value), 0);
    assert_true(value == 0.81);
    /* ...but a step or epoch key on the line still gives the step. */
    assert_int_equal(tracker_feed(t, "epoch=5 Val Acc: 0.85", &step, &value), 1);
    assert_int_equal(step, 5);
    assert_true(value == 0.85);
    assert_int_equal(tracker_feed(t, "Test Acc: 0.91", &step, &value), 0);
    /* The first match on a line counts. */
    assert_int_equal(tracker_feed(t, "Val Acc: 0.5 (best Val Acc: 0.9)", &step, &value), 1);
    assert_true(value == 0.5);
    assert_int_equal(step, 2);

    /* Lines are not NUL-terminated and may hold NUL bytes. */
    static const char with_nul[] = "Val Acc: 0.7\0Val Acc: 0.1";
    assert_int_equal(tracker_feed_exact(t, with_nul, sizeof with_nul - 1, &step, &value), 1);
    assert_true(value == 0.7);
    assert_int_equal(tracker_feed_exact(t, "Val Acc: 0.64", 12, &step, &value), 1);
    assert_true(value == 0.6); /* the line ends where len says */
    assert_int_equal(tracker_feed_exact(t, "", 0, &step, &value), 0);

    assert_int_equal(metric_tracker_count(t), 5);
    assert_int_equal(metric_tracker_n_rejected(t), 0);
    assert_string_equal(metric_tracker_first_rejected(t), "");
    char *tail = metric_tracker_tail(t);
    assert_string_equal(tail, "Test Acc: 0.91\nVal Acc: 0.5 (best Val Acc: 0.9)\n"
                              "Val Acc: 0.7?Val Acc: 0.1\nVal Acc: 0.6\n");
    free(tail);
    metric_tracker_free(t);

    /* A capture that is not a number is not a value; the tracker says so. */
    t = metric_tracker_new("acc", 0, 100);
    assert_int_equal(metric_tracker_set_regex(t, "Acc: (.*)|Loss", why, sizeof why), 0);
    assert_int_equal(tracker_feed(t, "Acc:  0.9 ", &step, &value), 1); /* blanks trimmed */
    assert_true(value == 0.9);
    assert_int_equal(tracker_feed(t, "Acc: 93%", &step, &value), 0);
    assert_int_equal(tracker_feed(t, "Acc: 1.2.3", &step, &value), 0);
    assert_int_equal(tracker_feed(t, "Loss", &step, &value), 0); /* group 1 did not take part */
    assert_int_equal(tracker_feed(t, "Acc: nan", &step, &value), 1);
    assert_true(isnan(value));
    assert_int_equal(metric_tracker_n_rejected(t), 3);
    assert_string_equal(metric_tracker_first_rejected(t), "93%");
    assert_int_equal(metric_tracker_count(t), 2);
    metric_tracker_free(t);

    /* A first rejected capture is kept short. */
    t = metric_tracker_new("acc", 0, 100);
    assert_int_equal(metric_tracker_set_regex(t, "Acc: (.*)", why, sizeof why), 0);
    char line[300];
    memcpy(line, "Acc: ", 5);
    memset(line + 5, 'x', sizeof line - 6);
    line[sizeof line - 1] = '\0';
    assert_int_equal(tracker_feed(t, line, &step, &value), 0);
    assert_true(strlen(metric_tracker_first_rejected(t)) <= 40);
    metric_tracker_free(t);

    /* A refused pattern leaves the tracker reading name=value pairs. */
    t = metric_tracker_new("acc", 0, 100);
    assert_int_equal(metric_tracker_set_regex(t, "Acc: ([0-9]", why, sizeof why), -1);
    assert_non_null(strstr(why, "not a valid regular expression"));
    assert_int_equal(tracker_feed(t, "acc=0.25", &step, &value), 1);
    assert_true(value == 0.25);
    metric_tracker_free(t);
}

static void test_tracker_summary(void **state)
{
    (void)state;
    metric_tracker *t = metric_tracker_new("loss", 0, 100);
    assert_true(isnan(metric_tracker_summary(t, METRIC_SUMMARY_LAST)));
    assert_true(isnan(metric_tracker_summary(t, METRIC_SUMMARY_MIN)));
    assert_true(isnan(metric_tracker_summary(t, METRIC_SUMMARY_MAX)));
    assert_int_equal(tracker_feed(t, "loss=nan", NULL, NULL), 1);
    /* NaN only: no smallest or largest value */
    assert_true(isnan(metric_tracker_summary(t, METRIC_SUMMARY_MIN)));
    assert_true(isnan(metric_tracker_summary(t, METRIC_SUMMARY_MAX)));
    assert_int_equal(tracker_feed(t, "loss=0.5", NULL, NULL), 1);
    assert_int_equal(tracker_feed(t, "loss=0.3", NULL, NULL), 1);
    assert_int_equal(tracker_feed(t, "loss=nan", NULL, NULL), 1);
    assert_int_equal(tracker_feed(t, "loss=0.4", NULL, NULL), 1);
    assert_true(metric_tracker_summary(t, METRIC_SUMMARY_LAST) == 0.4);
    assert_true(metric_tracker_summary(t, METRIC_SUMMARY_MIN) == 0.3);
    assert_true(metric_tracker_summary(t, METRIC_SUMMARY_MAX) == 0.5);
    /* a NaN at the end is the last value, but not the smallest or largest */
    assert_int_equal(tracker_feed(t, "loss=nan", NULL, NULL), 1);
    assert_true(isnan(metric_tracker_summary(t, METRIC_SUMMARY_LAST)));
    assert_true(metric_tracker_summary(t, METRIC_SUMMARY_MIN) == 0.3);
    assert_int_equal(tracker_feed(t, "loss=-inf", NULL, NULL), 1);
    assert_true(metric_tracker_summary(t, METRIC_SUMMARY_MIN) == -INFINITY);
    assert_true(metric_tracker_summary(t, METRIC_SUMMARY_MAX) == 0.5);
    metric_tracker_free(t);
    assert_true(isnan(metric_tracker_summary(NULL, METRIC_SUMMARY_MAX)));
}

static void test_tracker_tail(void **state)
{
    (void)state;
    metric_tracker *t = metric_tracker_new("acc", 3, 8);
    assert_non_null(t);
    char *tail = metric_tracker_tail(t);
    assert_non_null(tail);
    assert_string_equal(tail, "");
    free(tail);

    assert_int_equal(tracker_feed(t, "one", NULL, NULL), 0);
    tail = metric_tracker_tail(t);
    assert_string_equal(tail, "one");
    free(tail);

    tracker_feed(t, "two", NULL, NULL);
    tracker_feed(t, "", NULL, NULL);
    tracker_feed(t, "acc=1 and a long line", NULL, NULL);
    tail = metric_tracker_tail(t);
    assert_string_equal(tail, "two\n\nacc=1 an");
    free(tail);

    static const char nul_line[] = "a\0b";
    assert_int_equal(metric_tracker_line(t, nul_line, 3, NULL, NULL), 0);
    for (int i = 0; i < 100; i++)
        tracker_feed(t, i % 2 ? "odd" : "even", NULL, NULL);
    tracker_feed(t, "last", NULL, NULL);
    tail = metric_tracker_tail(t);
    assert_string_equal(tail, "even\nodd\nlast");
    free(tail);
    metric_tracker_free(t);

    t = metric_tracker_new("acc", 2, 8);
    metric_tracker_line(t, nul_line, 3, NULL, NULL);
    tracker_feed(t, "x", NULL, NULL);
    tail = metric_tracker_tail(t);
    assert_string_equal(tail, "a?b\nx");
    free(tail);
    metric_tracker_free(t);

    /* No tail kept. */
    t = metric_tracker_new("acc", 0, 8);
    assert_int_equal(tracker_feed(t, "acc=2", NULL, NULL), 1);
    tail = metric_tracker_tail(t);
    assert_string_equal(tail, "");
    free(tail);
    metric_tracker_free(t);
}

/* ---- linebuf --------------------------------------------------------------------------- */

typedef struct collected {
    char text[4096]; /* lines joined with '|', truncated ones marked with a trailing '~' */
    size_t pos;
    size_t n_lines;
    size_t longest;
    int stop_after; /* return 7 after this many lines; 0: never */
    int count_only; /* keep no text */
} collected;

static int collect_line(void *user, const char *line, size_t len, int truncated)
{
    collected *c = user;
    assert_int_equal(line[len], '\0');
    c->n_lines++;
    if (len > c->longest)
        c->longest = len;
    if (c->count_only)
        return 0;
    size_t show = len < 64 ? len : 64;
    assert_true(c->pos + show + 3 < sizeof c->text);
    if (c->pos > 0 || c->n_lines > 1)
        c->text[c->pos++] = '|';
    for (size_t i = 0; i < show; i++)
        c->text[c->pos++] = line[i] == '\0' ? '0' : line[i];
    if (truncated)
        c->text[c->pos++] = '~';
    c->text[c->pos] = '\0';
    if (c->stop_after > 0 && c->n_lines == (size_t)c->stop_after)
        return 7;
    return 0;
}

static void lines_of(size_t max_line, const char *data, size_t len, char *out, size_t outlen)
{
    linebuf *lb = linebuf_new(max_line);
    assert_non_null(lb);
    collected c;
    memset(&c, 0, sizeof c);
    assert_int_equal(linebuf_feed(lb, data, len, collect_line, &c), 0);
    assert_int_equal(linebuf_finish(lb, collect_line, &c), 0);
    snprintf(out, outlen, "%s", c.text);
    linebuf_free(lb);
}

static void check_lines(size_t max_line, const char *data, const char *expected)
{
    char got[4096];
    lines_of(max_line, data, strlen(data), got, sizeof got);
    if (strcmp(got, expected) != 0)
        fail_msg("max_line %zu, data '%s': got '%s', expected '%s'", max_line, data, got,
                 expected);
}

static void test_linebuf_basic(void **state)
{
    (void)state;
    check_lines(100, "a\nbb\n", "a|bb");
    check_lines(100, "a\n\nb", "a||b");
    check_lines(100, "", "");
    check_lines(100, "\n", "");           /* one empty line */
    check_lines(100, "\n\n", "|");
    check_lines(100, "crlf\r\nx\r\n", "crlf|x");
    check_lines(100, "mid\rdle\n", "mid\rdle");
    check_lines(100, "two\r\r\n", "two\r");
    check_lines(100, "unterminated\r", "unterminated");
    /* Bounds: exactly max_line, one more, CRLF at the limit. */
    check_lines(4, "abcd\nabcde\nabcd\r\nabcde\r\n", "abcd|abcd~|abcd|abcd~");
    check_lines(4, "abcdefghij", "abcd~");
    check_lines(4, "abcd\r\rx\n", "abcd~");
    check_lines(0, "\nx\n\n", "|~|");

    /* Binary bytes and NULs keep their length. */
    static const char bin[] = "a\0b\n\xff\xfe\n";
    char got[64];
    lines_of(100, bin, sizeof bin - 1, got, sizeof got);
    assert_string_equal(got, "a0b|\xff\xfe");

    /* A line that is only a '\n' delivered by finish does nothing. */
    linebuf *lb = linebuf_new(10);
    collected c;
    memset(&c, 0, sizeof c);
    assert_int_equal(linebuf_finish(lb, collect_line, &c), 0);
    assert_int_equal(c.n_lines, 0);
    assert_int_equal(linebuf_feed(lb, NULL, 0, collect_line, &c), 0);
    assert_int_equal(c.n_lines, 0);
    /* finish resets: the buffer is reusable. */
    assert_int_equal(linebuf_feed(lb, "abc", 3, collect_line, &c), 0);
    assert_int_equal(linebuf_finish(lb, collect_line, &c), 0);
    assert_int_equal(linebuf_feed(lb, "de\n", 3, collect_line, &c), 0);
    assert_string_equal(c.text, "abc|de");
    linebuf_free(lb);
    linebuf_free(NULL);

    assert_null(linebuf_new(SIZE_MAX));
}

static void test_linebuf_callback_stops(void **state)
{
    (void)state;
    linebuf *lb = linebuf_new(10);
    collected c;
    memset(&c, 0, sizeof c);
    c.stop_after = 2;
    assert_int_equal(linebuf_feed(lb, "a\nb\nc\nd\n", 8, collect_line, &c), 7);
    assert_int_equal(c.n_lines, 2);
    assert_string_equal(c.text, "a|b");
    /* The buffer stays usable after a stop. */
    c.stop_after = 0;
    assert_int_equal(linebuf_feed(lb, "e\n", 2, collect_line, &c), 0);
    assert_string_equal(c.text, "a|b|e");
    c.stop_after = 4;
    assert_int_equal(linebuf_feed(lb, "f", 1, collect_line, &c), 0);
    assert_int_equal(linebuf_finish(lb, collect_line, &c), 7);
    assert_string_equal(c.text, "a|b|e|f");
    linebuf_free(lb);
}

static void test_linebuf_split_everywhere(void **state)
{
    (void)state;
    const char *data = "epoch=1 acc=0.5\r\n\nlong line here\nx\r\nend";
    size_t len = strlen(data);
    char whole[512];
    lines_of(6, data, len, whole, sizeof whole);
    assert_string_equal(whole, "epoch=~||long l~|x|end");

    for (size_t cut1 = 0; cut1 <= len; cut1++) {
        for (size_t cut2 = cut1; cut2 <= len; cut2++) {
            linebuf *lb = linebuf_new(6);
            collected c;
            memset(&c, 0, sizeof c);
            assert_int_equal(linebuf_feed(lb, data, cut1, collect_line, &c), 0);
            assert_int_equal(linebuf_feed(lb, data + cut1, cut2 - cut1, collect_line, &c), 0);
            assert_int_equal(linebuf_feed(lb, data + cut2, len - cut2, collect_line, &c), 0);
            assert_int_equal(linebuf_finish(lb, collect_line, &c), 0);
            if (strcmp(c.text, whole) != 0)
                fail_msg("cuts %zu,%zu: '%s' vs '%s'", cut1, cut2, c.text, whole);
            linebuf_free(lb);
        }
    }
    /* Byte by byte. */
    linebuf *lb = linebuf_new(6);
    collected c;
    memset(&c, 0, sizeof c);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(linebuf_feed(lb, data + i, 1, collect_line, &c), 0);
    assert_int_equal(linebuf_finish(lb, collect_line, &c), 0);
    assert_string_equal(c.text, whole);
    linebuf_free(lb);
}

/* Lines through linebuf into a tracker, split at every byte boundary. */
typedef struct tracked {
    metric_tracker *t;
    int64_t steps[8];
    double values[8];
    size_t n;
} tracked;

static int track_line(void *user, const char *line, size_t len, int truncated)
{
    tracked *tr = user;
    (void)truncated;
    int64_t step;
    double value;
    if (metric_tracker_line(tr->t, line, len, &step, &value) == 1) {
        assert_true(tr->n < 8);
        tr->steps[tr->n] = step;
        tr->values[tr->n] = value;
        tr->n++;
    }
    return 0;
}

static void test_linebuf_into_tracker(void **state)
{
    (void)state;
    const char *data = "start\nepoch=1 val_acc=0.5\r\n{'epoch': 2, 'val_acc': 0.75}\n"
                       "val_acc: 0.8\nval_acc_top5=1\nval_acc=0.9";
    size_t len = strlen(data);
    for (size_t cut = 0; cut <= len; cut++) {
        tracked tr;
        memset(&tr, 0, sizeof tr);
        tr.t = metric_tracker_new("val_acc", 4, 100);
        linebuf *lb = linebuf_new(100);
        assert_int_equal(linebuf_feed(lb, data, cut, track_line, &tr), 0);
        assert_int_equal(linebuf_feed(lb, data + cut, len - cut, track_line, &tr), 0);
        assert_int_equal(linebuf_finish(lb, track_line, &tr), 0);
        assert_int_equal(tr.n, 4);
        assert_int_equal(tr.steps[0], 1);
        assert_int_equal(tr.steps[1], 2);
        assert_int_equal(tr.steps[2], 2); /* counter: two earlier occurrences */
        assert_int_equal(tr.steps[3], 3);
        assert_true(tr.values[0] == 0.5 && tr.values[1] == 0.75 && tr.values[2] == 0.8 &&
                    tr.values[3] == 0.9);
        char *tail = metric_tracker_tail(tr.t);
        assert_string_equal(tail, "{'epoch': 2, 'val_acc': 0.75}\nval_acc: 0.8\n"
                                  "val_acc_top5=1\nval_acc=0.9");
        free(tail);
        linebuf_free(lb);
        metric_tracker_free(tr.t);
    }
}

static void test_linebuf_huge_line_bounded(void **state)
{
    (void)state;
    enum { MAX_LINE = 1024, CHUNK = 65536, TOTAL = 1 << 20 };
    char *chunk = malloc(CHUNK);
    assert_non_null(chunk);
    memset(chunk, 'x', CHUNK);
    linebuf *lb = linebuf_new(MAX_LINE);
    assert_non_null(lb);
    collected c;
    memset(&c, 0, sizeof c);
    /* 1 MB without a newline, then its end, then a normal line. */
    for (size_t fed = 0; fed < TOTAL; fed += CHUNK)
        assert_int_equal(linebuf_feed(lb, chunk, CHUNK, collect_line, &c), 0);
    assert_int_equal(c.n_lines, 0);
    assert_int_equal(linebuf_feed(lb, "yy\nacc=1\n", 9, collect_line, &c), 0);
    assert_int_equal(c.n_lines, 2);
    assert_int_equal(c.longest, MAX_LINE);
    assert_string_equal(c.text + 64, "~|acc=1");

    /* A never-ending line: 1 MB more, then finish. */
    for (size_t fed = 0; fed < TOTAL; fed += CHUNK)
        assert_int_equal(linebuf_feed(lb, chunk, CHUNK, collect_line, &c), 0);
    assert_int_equal(linebuf_finish(lb, collect_line, &c), 0);
    assert_int_equal(c.n_lines, 3);
    assert_int_equal(c.text[c.pos - 1], '~');

    /* 1 MB of lines a little over the limit, split unevenly across chunks. */
    size_t lines = 0;
    memset(&c, 0, sizeof c);
    c.count_only = 1;
    for (size_t i = 0; i < CHUNK; i++)
        chunk[i] = (i % (MAX_LINE + 3) == MAX_LINE + 2) ? '\n' : 'z';
    for (size_t fed = 0; fed < TOTAL; fed += CHUNK)
        assert_int_equal(linebuf_feed(lb, chunk, CHUNK, collect_line, &c), 0);
    for (size_t i = 0; i < CHUNK; i++)
        lines += chunk[i] == '\n';
    assert_int_equal(c.n_lines, lines * (TOTAL / CHUNK));
    assert_int_equal(c.longest, MAX_LINE);
    linebuf_free(lb);
    free(chunk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_documented_forms),
        cmocka_unit_test(test_parse_keys),
        cmocka_unit_test(test_parse_numbers),
        cmocka_unit_test(test_parse_skips_non_numeric),
        cmocka_unit_test(test_parse_garbage_and_empty),
        cmocka_unit_test(test_parse_never_reads_past_len),
        cmocka_unit_test(test_parse_max_pairs),
        cmocka_unit_test(test_tracker_steps),
        cmocka_unit_test(test_tracker_tail),
        cmocka_unit_test(test_regex_check),
        cmocka_unit_test(test_tracker_regex),
        cmocka_unit_test(test_tracker_summary),
        cmocka_unit_test(test_linebuf_basic),
        cmocka_unit_test(test_linebuf_callback_stops),
        cmocka_unit_test(test_linebuf_split_everywhere),
        cmocka_unit_test(test_linebuf_into_tracker),
        cmocka_unit_test(test_linebuf_huge_line_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
