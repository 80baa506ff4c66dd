/* test_freeze_thaw.c -- the forecast pruner's mode freeze-thaw: trials run in slices and
 * pause, and an ask resumes the paused trial whose forecast promises the most expected
 * improvement per step left, or starts a new one. On hand-made curves: a paused trial
 * forecast to beat the incumbent is resumed before anything new, a hopeless one never
 * is, a trial's steps never repeat or skip across its resumes, a new trial priced by
 * the better half of the finals leaves a good paused curve first in line (the better
 * half in either direction, and at the small counts where "half" needs reading), and
 * bad options are refused by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hpsearch.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { MAX_STEP = 20 };

/* An empty study to minimize, in memory. */
static hps_study *new_study(void)
{
    hps_study *study = NULL;
    hps_direction dir = HPS_MINIMIZE;
    ASSERT_OK(hps_study_open(":memory:", "ft", HPS_OPEN_CREATE, &dir, 1, &study, NULL, 0));
    return study;
}

/* The scheduler of every test: the budget MAX_STEP, a new trial's first slice ending at
 * step 5, each resumed one 5 steps long. */
static void set_freeze_thaw(hps_study *study)
{
    hps_pruner *p = NULL;
    ASSERT_OK(hps_pruner_new("forecast", &p, NULL, 0));
    ASSERT_OK(hps_pruner_set(p, "mode", "freeze-thaw"));
    ASSERT_OK(hps_pruner_set(p, "max_step", "20"));
    ASSERT_OK(hps_pruner_set(p, "min_points", "5"));
    ASSERT_OK(hps_pruner_set(p, "slice_steps", "5"));
    ASSERT_OK(hps_study_set_pruner(study, p));
}

static void set_random_sampler(hps_study *study, const char *seed)
{
    hps_sampler *s = NULL;
    ASSERT_OK(hps_sampler_new("random", &s, NULL, 0));
    ASSERT_OK(hps_sampler_set(s, "seed", seed));
    ASSERT_OK(hps_study_set_sampler(study, s));
}

/* The index of the first of f's intermediate values not at step index + 1 (its steps
 * go 1, 2, ... without a repeat or a gap); -1 when there is none. */
static long first_step_out_of_place(const hps_frozen *f)
{
    size_t n = hps_frozen_n_intermediate(f);
    for (size_t i = 0; i < n; i++) {
        int64_t step;
        double v;
        hps_frozen_intermediate(f, i, &step, &v);
        if (step != (int64_t)i + 1)
            return (long)i;
    }
    return -1;
}

/* A learning curve to minimize, falling from about limit + scale towards limit. */
static double curve(double limit, double scale, int64_t step)
{
    return limit + scale / (double)step;
}

/* Runs a new trial on curve(limit, scale) from step 1 to `last`, then tells its final
 * value (complete) or pauses it there. */
static int64_t hand_made_trial(hps_study *study, double limit, double scale, int64_t last,
                               int complete)
{
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    assert_int_equal(hps_trial_resume_step(t), -1);
    double x;
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    for (int64_t step = 1; step <= last; step++)
        ASSERT_OK(hps_trial_report(t, step, curve(limit, scale, step)));
    if (complete)
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, curve(limit, scale, last)));
    else
        ASSERT_OK(hps_trial_pause(t, last));
    int64_t number = hps_trial_number(t);
    hps_trial_free(t);
    return number;
}

/* Three COMPLETE trials ending near 0.5, and one paused trial: the study before the
 * scheduler takes over. */
static hps_study *study_with_paused(double paused_limit, double paused_scale,
                                    int64_t *paused_number)
{
    hps_study *study = new_study();
    hand_made_trial(study, 0.50, 0.3, MAX_STEP, 1);
    hand_made_trial(study, 0.53, 0.2, MAX_STEP, 1);
    hand_made_trial(study, 0.56, 0.4, MAX_STEP, 1);
    *paused_number = hand_made_trial(study, paused_limit, paused_scale, 5, 0);
    set_freeze_thaw(study);
    return study;
}

/* A paused trial heading to 0.3 (the incumbent is 0.515) is resumed from its
 * checkpoint's step, for one more slice, before any new trial starts. */
static void test_promising_paused_trial_resumed_first(void **state)
{
    (void)state;
    int64_t paused;
    hps_study *study = study_with_paused(0.3, 1.0, &paused);
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    assert_int_equal(hps_trial_number(t), paused);
    assert_int_equal(hps_trial_resume_step(t), 5);
    int64_t end;
    ASSERT_OK(hps_trial_max_step(t, &end));
    assert_int_equal(end, 10);
    hps_trial_free(t);
    hps_study_close(study);
}

/* A paused trial flattening out at 0.9 has no chance against 0.515: the asks start new
 * trials, and once the budget of trials is used, the study ends with it still paused
 * at step 5 rather than resuming it. */
static void test_hopeless_paused_trial_never_resumed(void **state)
{
    (void)state;
    int64_t paused;
    hps_study *study = study_with_paused(0.9, 0.05, &paused);
    ASSERT_OK(hps_study_set(study, "max_trials", "6"));
    int64_t fresh[2];
    for (int i = 0; i < 2; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        fresh[i] = hps_trial_number(t);
        assert_int_not_equal(fresh[i], paused);
        assert_int_equal(hps_trial_resume_step(t), -1);
        int64_t end;
        ASSERT_OK(hps_trial_max_step(t, &end));
        assert_int_equal(end, 5);
        double x;
        ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
        for (int64_t step = 1; step <= 5; step++)
            ASSERT_OK(hps_trial_report(t, step, curve(0.95, 0.05, step))); /* hopeless too */
        ASSERT_OK(hps_trial_pause(t, 5));
        hps_trial_free(t);
    }
    assert_int_not_equal(fresh[0], fresh[1]);
    hps_trial *t = NULL;
    assert_int_equal(hps_study_ask(study, &t), HPS_DONE);
    const hps_frozen *f;
    ASSERT_OK(hps_study_trial(study, paused, &f));
    assert_int_equal(hps_frozen_state(f), HPS_PAUSED);
    assert_int_equal(hps_frozen_n_intermediate(f), 5);
    hps_study_close(study);
}

/* Before any trial completed, the bar is the best value reported so far: a leading
 * trial whose curve turns worse is forecast to miss it, yet it is resumed (here once the
 * budget of trials is used) -- otherwise nothing would ever finish. */
static void test_leader_resumed_before_any_completes(void **state)
{
    (void)state;
    hps_study *study = new_study();
    int64_t leader = hand_made_trial(study, 0.6, -0.1, 5, 0); /* rising towards 0.6 */
    set_freeze_thaw(study);
    ASSERT_OK(hps_study_set(study, "max_trials", "1"));
    hps_trial *t = NULL;
    ASSERT_OK(hps_study_ask(study, &t));
    assert_int_equal(hps_trial_number(t), leader);
    assert_int_equal(hps_trial_resume_step(t), 5);
    hps_trial_free(t);
    hps_study_close(study);
}

/* The curves the scheduler runs: limit 0.2 + 0.5 x, reached faster the smaller 1 - x
 * (they cross: the good ones start slowly), and, for an int x in [0, 2], one that levels
 * off at once at 0.1 + 0.4 x. */
static double crossing_curve(double x, int64_t step)
{
    return curve(0.2 + 0.5 * x, 1.0 - 0.8 * x, step);
}

static double flat_curve(double x, int64_t step)
{
    return 0.1 + 0.4 * x + 1e-3 / (double)step;
}

/* One ask of a worker keeping the checkpoint contract with steps from 1: checks that the
 * trial's stored steps are exactly 1..its resume step, reports the rest of its slice on
 * value(x, step) -- x a float in [0, 1], or with int_x an int in [0, 2] -- and pauses or
 * completes it. *resumed is set for a resumed trial. */
static hps_status run_slice(hps_study *study, int int_x, double (*value)(double, int64_t),
                            int *resumed)
{
    hps_trial *t;
    hps_status rc = hps_study_ask(study, &t);
    if (rc != HPS_OK)
        return rc;
    double x = 0;
    int64_t x_int = 0, end = -1;
    if (int_x) {
        rc = hps_trial_suggest_int(t, "x", 0, 2, 1, 0, &x_int);
        x = (double)x_int;
    } else {
        rc = hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x);
    }
    if (rc == HPS_OK)
        rc = hps_trial_max_step(t, &end);
    int64_t from = hps_trial_resume_step(t);
    *resumed = from >= 0;
    const hps_frozen *f = hps_trial_frozen(t);
    size_t n = hps_frozen_n_intermediate(f);
    int64_t have = from < 0 ? 0 : from;
    if (rc == HPS_OK && n != (size_t)have)
        fail_msg("trial %lld resumed from %lld has %zu values", (long long)hps_trial_number(t),
                 (long long)from, n);
    if (first_step_out_of_place(f) >= 0)
        fail_msg("trial %lld: value %ld is out of place", (long long)hps_trial_number(t),
                 first_step_out_of_place(f));
    int64_t last = end >= 0 ? end : MAX_STEP;
    for (int64_t step = have + 1; rc == HPS_OK && step <= last; step++)
        rc = hps_trial_report(t, step, value(x, step));
    if (rc == HPS_OK)
        rc = end >= 0 ? hps_trial_pause(t, end) : hps_trial_tell(t, HPS_COMPLETE, value(x, last));
    hps_trial_free(t);
    return rc;
}

/* Runs asks of run_slice until the study is done (each of its n_trials trials runs 4
 * slices at most); how many of them resumed a trial. */
static int run_to_end(hps_study *study, int n_trials, int int_x,
                      double (*value)(double, int64_t))
{
    int resumed, n_resumed = 0;
    hps_status rc;
    for (int asks = 0; (rc = run_slice(study, int_x, value, &resumed)) == HPS_OK; asks++) {
        assert_true(asks < n_trials * 4);
        n_resumed += resumed;
    }
    assert_int_equal(rc, HPS_DONE);
    return n_resumed;
}

/* A study run to its end by the scheduler: every trial's steps go 1, 2, ... without a
 * repeat or a gap across its resumes, ending at a slice's end (paused) or at max_step
 * (complete), and some trials were resumed. */
static void test_steps_never_repeat_or_skip(void **state)
{
    (void)state;
    hps_study *study = new_study();
    set_random_sampler(study, "3");
    set_freeze_thaw(study);
    ASSERT_OK(hps_study_set(study, "max_trials", "10"));
    assert_true(run_to_end(study, 10, 0, crossing_curve) > 0);
    size_t n, n_complete = 0;
    ASSERT_OK(hps_study_n_trials(study, &n));
    assert_int_equal(n, 10);
    for (size_t k = 0; k < n; k++) {
        const hps_frozen *f;
        ASSERT_OK(hps_study_trial(study, (int64_t)k, &f));
        size_t values = hps_frozen_n_intermediate(f);
        assert_int_equal(first_step_out_of_place(f), -1);
        if (hps_frozen_state(f) == HPS_COMPLETE) {
            n_complete++;
            assert_int_equal(values, MAX_STEP);
        } else {
            assert_int_equal(hps_frozen_state(f), HPS_PAUSED);
            assert_true(values == 5 || values == 10 || values == 15);
        }
    }
    assert_true(n_complete > 0);
    hps_study_close(study);
}

static size_t count_state(hps_study *study, hps_trial_state state)
{
    size_t n, count = 0;
    ASSERT_OK(hps_study_n_trials(study, &n));
    for (size_t k = 0; k < n; k++) {
        const hps_frozen *f;
        ASSERT_OK(hps_study_trial(study, (int64_t)k, &f));
        count += hps_frozen_state(f) == state;
    }
    return count;
}

/* A finite space that has run out starts nothing new, so the paused trials are all the
 * study has left: the asks go on resuming the best of them until it completes, rather
 * than end with every trial paused. */
static void test_exhausted_space_resumes_paused(void **state)
{
    (void)state;
    hps_study *study = new_study();
    ASSERT_OK(hps_study_declare_space(study, "[{\"name\": \"x\", \"distribution\": {\"type\": "
                                             "\"int\", \"low\": 0, \"high\": 2, \"step\": 1, "
                                             "\"log\": false}}]"));
    set_freeze_thaw(study);
    /* the best trial's slices from step 5 to 20 are resumed */
    assert_true(run_to_end(study, 3, 1, flat_curve) >= 3);
    const hps_frozen *best;
    ASSERT_OK(hps_study_best_trial(study, &best));
    assert_int_equal(hps_frozen_state(best), HPS_COMPLETE);
    assert_true(hps_frozen_value(best, 0) < 0.11); /* x = 0's */
    assert_int_equal(count_state(study, HPS_COMPLETE) + count_state(study, HPS_PAUSED), 3);
    hps_study_close(study);
}

/* Without a budget of trials (Python's optimize(n_trials=...) sets none) nothing but the
 * scheduler stops new trials: before any trial completed, once n_startup_trials (3)
 * have a forecast, the asks resume paused trials until one completes. On curves that
 * have levelled off the leader's forecast barely beats its own latest value, the bar,
 * while a new trial is priced with the wide spread of the forecasts: new trials would
 * otherwise start forever. */
static void test_trial_completes_without_budget(void **state)
{
    (void)state;
    hps_study *study = new_study();
    set_random_sampler(study, "5");
    set_freeze_thaw(study);
    int resumed, n_new = 0;
    for (int asks = 0; count_state(study, HPS_COMPLETE) == 0; asks++) {
        assert_true(asks < 3 + 3 * 3); /* three trials, three slices each after the first */
        ASSERT_OK(run_slice(study, 1, flat_curve, &resumed));
        n_new += !resumed;
    }
    assert_int_equal(n_new, 3);
    hps_study_close(study);
}

/* An interrupted trial does not count against max_trials (the engine's rule): with a
 * budget of 2, one paused trial and one interrupted, a new trial still starts rather than
 * the budget being taken for used. */
static void test_interrupted_trial_not_counted_in_budget(void **state)
{
    (void)state;
    hps_study *study = new_study();
    hand_made_trial(study, 0.5, 0.3, 5, 0);
    hps_trial *t = NULL;
    ASSERT_OK(hps_study_ask(study, &t));
    ASSERT_OK(hps_trial_interrupt(t, "the machine went down"));
    hps_trial_free(t);
    set_freeze_thaw(study);
    ASSERT_OK(hps_study_set(study, "max_trials", "2"));
    ASSERT_OK(hps_study_ask(study, &t));
    assert_int_equal(hps_trial_resume_step(t), -1);
    assert_int_equal(hps_trial_number(t), 2);
    hps_trial_free(t);
    hps_study_close(study);
}

/* A trial paused at a step near INT64_MAX is resumed into its last slice, without a
 * limit, rather than overflowing the next slice's end. hps_trial_pause refuses a step
 * past max_step (the trial has finished), but a resumed trial cut short pauses again at
 * its last report, whatever that is. */
static void test_huge_paused_step_runs_to_end(void **state)
{
    (void)state;
    hps_study *study = new_study();
    set_freeze_thaw(study);
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    for (int64_t step = 1; step <= 5; step++)
        ASSERT_OK(hps_trial_report(t, step, curve(0.3, 0.2, step)));
    int64_t number = hps_trial_number(t);
    assert_int_equal(hps_trial_pause(t, INT64_MAX - 1), HPS_ERR_INVALID);
    ASSERT_OK(hps_trial_pause(t, 5));
    hps_trial_free(t);
    ASSERT_OK(hps_study_resume(study, number, &t));
    ASSERT_OK(hps_trial_report(t, INT64_MAX - 1, curve(0.3, 0.2, 6)));
    ASSERT_OK(hps_trial_interrupt(t, "cut short"));
    assert_int_equal(hps_trial_resume_step(t), INT64_MAX - 1);
    hps_trial_free(t);
    ASSERT_OK(hps_study_resume(study, number, &t));
    int64_t end = 0;
    ASSERT_OK(hps_trial_max_step(t, &end));
    assert_int_equal(end, -1);
    hps_trial_free(t);
    hps_study_close(study);
}

/* Reports curve(limit, scale) on the steps after trial t's resume step up to `last` and
 * pauses it there. */
static void run_on_curve(hps_trial *t, double limit, double scale, int64_t last)
{
    for (int64_t step = hps_trial_resume_step(t) + 1; step <= last; step++)
        ASSERT_OK(hps_trial_report(t, step, curve(limit, scale, step)));
    ASSERT_OK(hps_trial_pause(t, last));
}

/* first_slice_steps 1: a new trial pauses after one step, and of three trials paused
 * there (0.9, 0.4, 0.8 to minimize) only the best third -- the 0.4 one -- gets a second
 * slice, which runs it to step 6 (1 + slice_steps) where the forecast can judge it; the
 * others stay paused, also once the budget of trials is used and a fourth, worse one
 * joins them. */
static void test_short_first_slice_keeps_best_third(void **state)
{
    (void)state;
    hps_study *study = new_study();
    hand_made_trial(study, 0.8, 0.1, 1, 0);
    int64_t good = hand_made_trial(study, 0.3, 0.1, 1, 0);
    hand_made_trial(study, 0.7, 0.1, 1, 0);
    hps_pruner *p = NULL;
    ASSERT_OK(hps_pruner_new("forecast", &p, NULL, 0));
    ASSERT_OK(hps_pruner_set(p, "mode", "freeze-thaw"));
    ASSERT_OK(hps_pruner_set(p, "max_step", "20"));
    ASSERT_OK(hps_pruner_set(p, "first_slice_steps", "1"));
    ASSERT_OK(hps_study_set_pruner(study, p));
    ASSERT_OK(hps_study_set(study, "max_trials", "4"));

    hps_trial *t;
    int64_t end;
    ASSERT_OK(hps_study_ask(study, &t));
    assert_int_equal(hps_trial_number(t), good);
    assert_int_equal(hps_trial_resume_step(t), 1);
    ASSERT_OK(hps_trial_max_step(t, &end));
    assert_int_equal(end, 6);
    run_on_curve(t, 0.3, 0.1, 6);
    hps_trial_free(t);

    /* one trial with a forecast, fewer than n_startup_trials: a new one, for one step */
    ASSERT_OK(hps_study_ask(study, &t));
    assert_int_equal(hps_trial_resume_step(t), -1);
    ASSERT_OK(hps_trial_max_step(t, &end));
    assert_int_equal(end, 1);
    double x;
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    run_on_curve(t, 0.85, 0.1, 1);
    int64_t worst = hps_trial_number(t);
    hps_trial_free(t);

    /* the budget is used: the good trial goes on; the three below the best third wait */
    ASSERT_OK(hps_study_ask(study, &t));
    assert_int_equal(hps_trial_number(t), good);
    assert_int_equal(hps_trial_resume_step(t), 6);
    hps_trial_free(t);
    const hps_frozen *f;
    ASSERT_OK(hps_study_trial(study, worst, &f));
    assert_int_equal(hps_frozen_state(f), HPS_PAUSED);
    hps_study_close(study);
}

/* A study for one ask: toward `dir`, COMPLETE trials ending at finals[] (each on a
 * curve of scale 1 towards its final, falling for minimize, rising for maximize), then
 * one trial paused at step 5 (or paused_step) on curve(paused_limit, paused_scale), its
 * values alternately paused_noise above and below it (a noisy curve, whose forecast is
 * uncertain); pruner options besides mode, max_step and new_trial_estimate in `options`
 * (name, value; a NULL name ends them). */
typedef struct ask_case {
    hps_direction dir;
    const double *finals;
    size_t n_finals;
    double paused_limit, paused_scale, paused_noise;
    int64_t paused_step;
    const char *options[3][2];
} ask_case;

static int64_t paused_step(const ask_case *c)
{
    return c->paused_step > 0 ? c->paused_step : 5;
}

/* Case c's paused trial, in study; its number. */
static int64_t paused_noisy_trial(hps_study *study, const ask_case *c)
{
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    double x;
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    for (int64_t step = 1; step <= paused_step(c); step++) {
        double noise = step % 2 == 1 ? c->paused_noise : -c->paused_noise;
        ASSERT_OK(hps_trial_report(t, step, curve(c->paused_limit, c->paused_scale, step) + noise));
    }
    ASSERT_OK(hps_trial_pause(t, paused_step(c)));
    int64_t number = hps_trial_number(t);
    hps_trial_free(t);
    return number;
}

/* The first ask of case c under the given new_trial_estimate: the paused trial's number
 * when it is resumed (from its checkpoint), -1 when a new trial starts. */
static int64_t first_ask(const ask_case *c, const char *estimate, int64_t *paused)
{
    hps_study *study = NULL;
    ASSERT_OK(hps_study_open(":memory:", "ft", HPS_OPEN_CREATE, &c->dir, 1, &study, NULL, 0));
    double scale = c->dir == HPS_MAXIMIZE ? -1.0 : 1.0;
    for (size_t i = 0; i < c->n_finals; i++)
        hand_made_trial(study, c->finals[i] - scale / MAX_STEP, scale, MAX_STEP, 1);
    *paused = paused_noisy_trial(study, c);
    hps_pruner *p = NULL;
    ASSERT_OK(hps_pruner_new("forecast", &p, NULL, 0));
    ASSERT_OK(hps_pruner_set(p, "mode", "freeze-thaw"));
    ASSERT_OK(hps_pruner_set(p, "max_step", "20"));
    ASSERT_OK(hps_pruner_set(p, "new_trial_estimate", estimate));
    for (size_t k = 0; k < 3 && c->options[k][0] != NULL; k++)
        ASSERT_OK(hps_pruner_set(p, c->options[k][0], c->options[k][1]));
    ASSERT_OK(hps_study_set_pruner(study, p));
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    int64_t resumed = hps_trial_resume_step(t) >= 0 ? hps_trial_number(t) : -1;
    if (resumed >= 0)
        assert_int_equal(hps_trial_resume_step(t), paused_step(c));
    hps_trial_free(t);
    hps_study_close(study);
    return resumed;
}

/* A good paused curve beside finals spread by bad configurations (to minimize: 0.50 and
 * 0.52 good, 0.9, 1.5 and 2.0 bad; the paused curve flattens out just below the
 * incumbent 0.50): priced with all the finals, a new trial's upper tail promises more
 * per step than the curve's last few thousandths and it starts (the curve waits);
 * priced with the better half (new_trial_estimate upper-half), the good curve is
 * resumed. */
static void test_upper_half_estimate_resumes_good_curve(void **state)
{
    (void)state;
    static const double finals[] = {0.50, 0.9, 0.52, 1.5, 2.0};
    const ask_case c = {.dir = HPS_MINIMIZE, .finals = finals, .n_finals = 5,
                        .paused_limit = 0.49, .paused_scale = 0.05};
    int64_t paused;
    assert_int_equal(first_ask(&c, "all", &paused), -1);
    assert_int_equal(first_ask(&c, "upper-half", &paused), paused);
}

/* The better half in either direction: a study maximizing a score such as R^2 (finals
 * 0.95 and 0.93 for the good configurations; 0.6, 0.1 and, far below zero, -2.0 for bad
 * ones) with a good paused curve rising to just above the incumbent 0.95, and the same
 * study negated, minimizing. Here the worse half's spread reaches the incumbent as all
 * the finals' does, so either would start a new trial: only the better half -- the
 * higher finals maximizing, the lower ones minimizing -- resumes the good curve. (The
 * case above cannot tell the halves apart: its worse half, 0.9 to 2.0, lies too far from
 * the incumbent 0.50 for its spread to reach it, and resumes the curve too.) */
static void test_upper_half_estimate_takes_better_half(void **state)
{
    (void)state;
    static const double scores[] = {0.95, 0.6, 0.93, 0.1, -2.0};
    enum { N = sizeof scores / sizeof *scores };
    double losses[N];
    for (size_t i = 0; i < N; i++)
        losses[i] = -scores[i];
    const ask_case cases[] = {
        {.dir = HPS_MAXIMIZE, .finals = scores, .n_finals = N, .paused_limit = 0.96,
         .paused_scale = -0.05},
        {.dir = HPS_MINIMIZE, .finals = losses, .n_finals = N, .paused_limit = -0.96,
         .paused_scale = 0.05},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const char *dir = cases[k].dir == HPS_MAXIMIZE ? "maximizing" : "minimizing";
        int64_t paused;
        if (first_ask(&cases[k], "all", &paused) != -1)
            fail_msg("%s, all the finals: the paused trial was resumed, not a new one", dir);
        if (first_ask(&cases[k], "upper-half", &paused) != paused)
            fail_msg("%s, the better half: a new trial started, not the paused one", dir);
    }
}

/* What a case's first ask must do under each new_trial_estimate. */
enum { NEW_TRIAL, RESUMED };

typedef struct estimate_case {
    const char *what;
    ask_case c;
    int with_all, with_upper_half;
} estimate_case;

static void check_estimate_cases(const estimate_case *cases, size_t n)
{
    static const char *const said[] = {"a new trial", "the paused trial resumed"};
    for (size_t k = 0; k < n; k++) {
        int64_t paused;
        int all = first_ask(&cases[k].c, "all", &paused) == paused ? RESUMED : NEW_TRIAL;
        int upper = first_ask(&cases[k].c, "upper-half", &paused) == paused ? RESUMED
                                                                            : NEW_TRIAL;
        if (all != cases[k].with_all || upper != cases[k].with_upper_half)
            fail_msg("%s: all gave %s and upper-half %s; expected %s and %s", cases[k].what,
                     said[all], said[upper], said[cases[k].with_all],
                     said[cases[k].with_upper_half]);
    }
}

/* upper-half at the sizes where "the better half, at least two" needs reading
 * (minimizing; new_trial_normal sorts the finals and keeps the first (n + 1) / 2, at
 * least 2):
 * - 2 finals, a COMPLETE 0.50 and the forecast of a noisy paused curve, 0.518 +- 0.011
 *   (kept a candidate by min_probability 0.001): both, as with all. Their spread gives a
 *   new trial more expected improvement per step than the curve's small chance of going
 *   below 0.50, and a new trial starts; the better final alone has no spread and
 *   promises nothing, which would resume the curve.
 * - 3 finals, COMPLETE 0.50 and 2.0 and a paused curve flattening out at 0.4925: the
 *   better two, so the good curve is resumed; all three, 2.0 widening the spread, start
 *   a new trial.
 * - 5 finals, COMPLETE 0.50, 0.9, 1.5 and 2.0 and that curve: the better three (an odd
 *   count rounds up: the middle one, 0.9, counts), whose spread starts a new trial; the
 *   better two alone would resume the curve, as with 3 finals. */
static void test_upper_half_estimate_small_counts(void **state)
{
    (void)state;
    static const double one[] = {0.50}, two[] = {0.50, 2.0}, four[] = {0.50, 0.9, 1.5, 2.0};
    const estimate_case cases[] = {
        {"2 finals",
         {.dir = HPS_MINIMIZE, .finals = one, .n_finals = 1, .paused_limit = 0.51,
          .paused_scale = 0.05, .paused_noise = 0.005,
          .options = {{"n_startup_trials", "2"}, {"min_probability", "0.001"}}},
         NEW_TRIAL, NEW_TRIAL},
        {"3 finals",
         {.dir = HPS_MINIMIZE, .finals = two, .n_finals = 2, .paused_limit = 0.49,
          .paused_scale = 0.05},
         NEW_TRIAL, RESUMED},
        {"5 finals",
         {.dir = HPS_MINIMIZE, .finals = four, .n_finals = 4, .paused_limit = 0.49,
          .paused_scale = 0.05},
         NEW_TRIAL, NEW_TRIAL},
    };
    check_estimate_cases(cases, sizeof cases / sizeof *cases);
}

/* With fewer than 2 finals no normal is fitted (it needs two), with upper-half as with
 * all: the rules before it decide.
 * - none: a trial its user paused at step 2, too short for a forecast, is resumed first;
 * - one, the paused curve's forecast, no trial complete: while fewer than
 *   n_startup_trials (3) trials have a final value or a forecast a new trial starts;
 *   with n_startup_trials 1, the paused trial is resumed (before a trial completes, the
 *   best paused one runs on);
 * - one, the forecast, beside a COMPLETE trial whose loss is +inf (only finite values are
 *   finals): the incumbent is +inf, which any finite forecast improves on without
 *   bound, so the curve is resumed. */
static void test_upper_half_estimate_fewer_than_two_finals(void **state)
{
    (void)state;
    static const double diverged[] = {INFINITY};
    const estimate_case cases[] = {
        {"no final, paused at step 2",
         {.dir = HPS_MINIMIZE, .paused_limit = 0.49, .paused_scale = 0.05, .paused_step = 2},
         RESUMED, RESUMED},
        {"1 final, none complete",
         {.dir = HPS_MINIMIZE, .paused_limit = 0.49, .paused_scale = 0.05},
         NEW_TRIAL, NEW_TRIAL},
        {"1 final, none complete, n_startup_trials 1",
         {.dir = HPS_MINIMIZE, .paused_limit = 0.49, .paused_scale = 0.05,
          .options = {{"n_startup_trials", "1"}}},
         RESUMED, RESUMED},
        {"1 final beside an infinite loss",
         {.dir = HPS_MINIMIZE, .finals = diverged, .n_finals = 1, .paused_limit = 0.49,
          .paused_scale = 0.05, .options = {{"n_startup_trials", "1"}}},
         RESUMED, RESUMED},
    };
    check_estimate_cases(cases, sizeof cases / sizeof *cases);
}

static void test_bad_options_refused(void **state)
{
    (void)state;
    static const struct {
        const char *options[4][2];
        const char *message;
    } cases[] = {
        {{{"mode", "freeze-thaw"}}, "mode freeze-thaw needs max_step"},
        {{{"mode", "freeze-thaw"}, {"max_step", "5"}}, "max_step (5) must be above min_points (5)"},
        {{{"slice_steps", "3"}}, "slice_steps applies to mode freeze-thaw only"},
        {{{"first_slice_steps", "1"}}, "first_slice_steps applies to mode freeze-thaw only"},
        {{{"new_trial_estimate", "all"}}, "new_trial_estimate applies to mode freeze-thaw only"},
        {{{"mode", "freeze-thaw"}, {"max_step", "20"}, {"first_slice_steps", "20"}},
         "max_step (20) must be above first_slice_steps (20)"},
        {{{"mode", "freeze-thaw"}, {"max_step", "20"}, {"interval_steps", "2"}},
         "interval_steps applies to mode stop only"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        hps_pruner *p;
        ASSERT_OK(hps_pruner_new("forecast", &p, NULL, 0));
        for (size_t k = 0; k < 4 && cases[c].options[k][0] != NULL; k++)
            ASSERT_OK(hps_pruner_set(p, cases[c].options[k][0], cases[c].options[k][1]));
        hps_study *study = new_study();
        assert_int_equal(hps_study_set_pruner(study, p), HPS_ERR_INVALID);
        if (strstr(hps_study_errmsg(study), cases[c].message) == NULL)
            fail_msg("case %zu: '%s' does not say '%s'", c, hps_study_errmsg(study),
                     cases[c].message);
        hps_study_close(study);
    }
    hps_pruner *p;
    ASSERT_OK(hps_pruner_new("forecast", &p, NULL, 0));
    assert_int_equal(hps_pruner_set(p, "mode", "freeze"), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_pruner_errmsg(p), "freeze-thaw"));
    assert_int_equal(hps_pruner_set(p, "slice_steps", "0"), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_pruner_errmsg(p), "slice_steps"));
    assert_int_equal(hps_pruner_set(p, "first_slice_steps", "0"), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_pruner_errmsg(p), "first_slice_steps"));
    assert_int_equal(hps_pruner_set(p, "new_trial_estimate", "top"), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_pruner_errmsg(p), "upper-half"));
    hps_pruner_free(p);
    /* with several objectives there is no one incumbent */
    ASSERT_OK(hps_pruner_new("forecast", &p, NULL, 0));
    ASSERT_OK(hps_pruner_set(p, "mode", "freeze-thaw"));
    ASSERT_OK(hps_pruner_set(p, "max_step", "20"));
    hps_study *study;
    hps_direction dirs[2] = {HPS_MINIMIZE, HPS_MINIMIZE};
    ASSERT_OK(hps_study_open(":memory:", "checks", HPS_OPEN_CREATE, dirs, 2, &study, NULL, 0));
    assert_int_equal(hps_study_set_pruner(study, p), HPS_ERR_UNSUPPORTED);
    hps_study_close(study);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_promising_paused_trial_resumed_first),
        cmocka_unit_test(test_hopeless_paused_trial_never_resumed),
        cmocka_unit_test(test_leader_resumed_before_any_completes),
        cmocka_unit_test(test_steps_never_repeat_or_skip),
        cmocka_unit_test(test_exhausted_space_resumes_paused),
        cmocka_unit_test(test_trial_completes_without_budget),
        cmocka_unit_test(test_interrupted_trial_not_counted_in_budget),
        cmocka_unit_test(test_huge_paused_step_runs_to_end),
        cmocka_unit_test(test_short_first_slice_keeps_best_third),
        cmocka_unit_test(test_upper_half_estimate_resumes_good_curve),
        cmocka_unit_test(test_upper_half_estimate_takes_better_half),
        cmocka_unit_test(test_upper_half_estimate_small_counts),
        cmocka_unit_test(test_upper_half_estimate_fewer_than_two_finals),
        cmocka_unit_test(test_bad_options_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
