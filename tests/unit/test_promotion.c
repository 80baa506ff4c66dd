/* test_promotion.c -- asynchronous successive halving with promotions (pruner "asha",
 * mode "promotion"): trials pause at their rungs, an ask resumes the best paused trial
 * of the highest rung before it starts a new one, each pause is resumed at most once
 * across worker processes, and a resumed trial goes on from the step after its
 * checkpoint's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hpsearch.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A learning curve on which a lower x is better at every step. */
static double curve(double x, int64_t step)
{
    return x + 1.0 / (double)(step + 1);
}

/* Sets `study`'s pruner to asha in mode promotion; the first error, else HPS_OK (no
 * assertion: forked workers call it too). */
static hps_status set_promotion_pruner(hps_study *study, const char *min_resource,
                                       const char *reduction_factor, const char *max_resource)
{
    hps_pruner *p = NULL;
    hps_status rc = hps_pruner_new("asha", &p, NULL, 0);
    if (rc == HPS_OK)
        rc = hps_pruner_set(p, "mode", "promotion");
    if (rc == HPS_OK)
        rc = hps_pruner_set(p, "min_resource", min_resource);
    if (rc == HPS_OK)
        rc = hps_pruner_set(p, "reduction_factor", reduction_factor);
    if (rc == HPS_OK)
        rc = hps_pruner_set(p, "max_resource", max_resource);
    if (rc == HPS_OK)
        return hps_study_set_pruner(study, p);
    hps_pruner_free(p);
    return rc;
}

/* An empty study to minimize, in memory. */
static hps_study *new_study(const char *name)
{
    hps_study *study = NULL;
    hps_direction dir = HPS_MINIMIZE;
    ASSERT_OK(hps_study_open(":memory:", name, HPS_OPEN_CREATE, &dir, 1, &study, NULL, 0));
    return study;
}

/* Queues a trial with x = xs[i] for each i, in order. */
static void enqueue_xs(hps_study *study, const char *const *xs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char params[64];
        snprintf(params, sizeof params, "{\"x\": %s}", xs[i]);
        ASSERT_OK(hps_study_enqueue(study, params, NULL));
    }
}

/* What one ask did: the trial, the step its checkpoint held (-1: a new trial) and the
 * step its slice ended at. */
typedef struct slice {
    int64_t number, resumed_from, ended_at;
    int completed;
} slice;

/* One ask of a worker that keeps the checkpoint contract: starts or resumes a trial,
 * checks that its stored steps are exactly 0..resume step, reports the steps after, up
 * to the end of its slice (max_resource when nothing ends it early), and pauses or
 * completes it. HPS_DONE when the study has nothing left; any broken rule is an error
 * status (so that forked workers can report it). With two objectives (n_objectives 2)
 * the trial's curves are those of x and y, and it sets the constraint value c. */
static hps_status run_slice_of(hps_study *study, size_t n_objectives, int64_t max_resource,
                               slice *out)
{
    hps_trial *t;
    hps_status rc = hps_study_ask(study, &t);
    if (rc != HPS_OK)
        return rc;
    double x, y = 0, c = 0;
    int64_t stop = -1;
    rc = hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x);
    if (rc == HPS_OK && n_objectives == 2)
        rc = hps_trial_suggest_float(t, "y", 0, 1, 0, 0, &y);
    if (rc == HPS_OK && n_objectives == 2)
        rc = hps_trial_suggest_float(t, "c", -1, 1, 0, 0, &c);
    if (rc == HPS_OK && n_objectives == 2)
        rc = hps_trial_set_constraints(t, &c, 1);
    if (rc == HPS_OK)
        rc = hps_trial_max_step(t, &stop);
    out->number = hps_trial_number(t);
    out->resumed_from = hps_trial_resume_step(t);
    const hps_frozen *f = hps_trial_frozen(t);
    size_t n_inter = hps_frozen_n_intermediate(f);
    for (size_t i = 0; rc == HPS_OK && i < n_inter; i++) {
        int64_t step;
        double v;
        hps_frozen_intermediate(f, i, &step, &v);
        if (step != (int64_t)i || step > out->resumed_from)
            rc = HPS_ERR_CORRUPT; /* a step skipped, or one past the checkpoint */
    }
    if (rc == HPS_OK && n_inter != (size_t)(out->resumed_from + 1))
        rc = HPS_ERR_CORRUPT;
    out->ended_at = stop >= 0 ? stop : max_resource;
    for (int64_t step = out->resumed_from + 1; rc == HPS_OK && step <= out->ended_at; step++) {
        double values[2] = {curve(x, step), curve(y, step)};
        rc = hps_trial_report_values(t, step, values, n_objectives);
    }
    out->completed = stop < 0;
    double final[2] = {curve(x, out->ended_at), curve(y, out->ended_at)};
    if (rc == HPS_OK)
        rc = stop >= 0 ? hps_trial_pause(t, stop)
                       : hps_trial_tell_values(t, HPS_COMPLETE, final, n_objectives);
    hps_trial_free(t);
    return rc;
}

static hps_status run_slice(hps_study *study, int64_t max_resource, slice *out)
{
    return run_slice_of(study, 1, max_resource, out);
}

/* Runs the asks of `expected` ((trial, the step it resumed from) each, worked out by
 * hand), then checks that the study has nothing left. */
static void expect_slices(hps_study *study, size_t n_objectives, int64_t max_resource,
                          const int64_t (*expected)[2], size_t n_expected)
{
    slice s;
    for (size_t i = 0; i < n_expected; i++) {
        ASSERT_OK(run_slice_of(study, n_objectives, max_resource, &s));
        if (s.number != expected[i][0] || s.resumed_from != expected[i][1])
            fail_msg("ask %zu ran trial %lld from step %lld; expected trial %lld from %lld", i,
                     (long long)s.number, (long long)s.resumed_from,
                     (long long)expected[i][0], (long long)expected[i][1]);
    }
    assert_int_equal(run_slice_of(study, n_objectives, max_resource, &s), HPS_DONE);
}

/* Where each trial ended: paused at the step of paused_at[k], or COMPLETE (-1) with
 * every step up to max_resource. */
static void expect_ends(hps_study *study, const int64_t *paused_at, size_t n,
                        int64_t max_resource)
{
    for (size_t k = 0; k < n; k++) {
        const hps_frozen *f;
        ASSERT_OK(hps_study_trial(study, (int64_t)k, &f));
        int64_t want = paused_at[k];
        assert_int_equal(hps_frozen_state(f), want < 0 ? HPS_COMPLETE : HPS_PAUSED);
        assert_int_equal(hps_frozen_n_intermediate(f),
                         (size_t)(want < 0 ? max_resource : want) + 1);
    }
}

/* One worker, nine trials of known quality: rungs at steps 1 and 3 (reduction factor 3),
 * the full budget 9. Every promotion happens at the first ask that can make it, before
 * anything new starts, and follows Li et al.'s rule exactly. */
static void test_promotions_in_order(void **state)
{
    (void)state;
    hps_study *study = new_study("asha");
    ASSERT_OK(set_promotion_pruner(study, "1", "3", "9"));
    ASSERT_OK(hps_study_set(study, "max_trials", "9"));
    static const char *const xs[] = {"0.5", "0.2", "0.9", "0.1", "0.7", "0.3", "0.05", "0.8",
                                     "0.6"};
    enqueue_xs(study, xs, 9);
    static const int64_t expected[][2] = {{0, -1}, {1, -1}, {2, -1}, {1, 1}, {3, -1},
                                          {3, 1},  {4, -1}, {5, -1}, {6, -1}, {6, 1},
                                          {6, 3},  {7, -1}, {8, -1}};
    expect_slices(study, 1, 9, expected, sizeof expected / sizeof expected[0]);
    /* trial 6 (the best) ran the whole budget -- in its last slice, the one from step 3,
     * as a COMPLETE trial runs no other; 1 and 3 wait at the second rung, the rest at the
     * first */
    static const int64_t paused_at[] = {1, 3, 1, 3, 1, 1, -1, 1, 1};
    expect_ends(study, paused_at, 9, 9);
    hps_study_close(study);
}

/* MOASHA's promotions: two objectives (both minimized) and a constraint, rungs at steps
 * 1 and 2 (reduction factor 2), the full budget 4, six trials (x, y, c) of known
 * quality. A rung is ordered by non-dominated rank, then crowding distance (the ends of
 * a front first), then age, with the infeasible trial 1 after every feasible one --
 * though its values dominate every other trial's, it is never resumed (unconstrained,
 * it would be at ask 2). Worked out by hand:
 *   ask 2:  rung 1 {0, 1}: 0 (feasible) is the top half -> 0 goes on to step 2.
 *   ask 5:  rung 1 {0..3}: 2 (0.2, 0.8) and 3 (0.8, 0.2) end the front, 0 (0.5, 0.5) is
 *           inside it -> 2 (0 no longer leads the rung it was promoted from).
 *   ask 6:  rung 2 {0, 2}: both ends of their front, 0 older -> 0 runs to the end.
 *   ask 7:  rung 1: 3 -> step 2; ask 8: rung 2 {0, 2, 3}: 2 and 3 the ends -> 2.
 *   ask 11: rung 1 {0..5}: 4 (0.4, 0.4) dominates 0; the top three are 2, 3, 4 -> 4.
 *   ask 12: rung 2 {0, 2, 3, 4}: top two 2, 3 -> 3 runs to the end. */
static void test_moasha_promotions_in_order(void **state)
{
    (void)state;
    hps_study *study = NULL;
    hps_direction dirs[2] = {HPS_MINIMIZE, HPS_MINIMIZE};
    ASSERT_OK(hps_study_open(":memory:", "moasha", HPS_OPEN_CREATE, dirs, 2, &study, NULL, 0));
    ASSERT_OK(set_promotion_pruner(study, "1", "2", "4"));
    ASSERT_OK(hps_study_set(study, "max_trials", "6"));
    static const char *const xyc[] = {"0.5, 0.5, -1", "0.1, 0.2, 1",  "0.2, 0.8, -1",
                                      "0.8, 0.2, -1", "0.4, 0.4, -1", "0.6, 0.6, -1"};
    for (size_t i = 0; i < 6; i++) {
        char params[96];
        double x, y, c;
        assert_int_equal(sscanf(xyc[i], "%lf, %lf, %lf", &x, &y, &c), 3);
        snprintf(params, sizeof params, "{\"x\": %g, \"y\": %g, \"c\": %g}", x, y, c);
        ASSERT_OK(hps_study_enqueue(study, params, NULL));
    }
    static const int64_t expected[][2] = {{0, -1}, {1, -1}, {0, 1}, {2, -1}, {3, -1},
                                          {2, 1},  {0, 2},  {3, 1}, {2, 2},  {4, -1},
                                          {5, -1}, {4, 1},  {3, 2}};
    expect_slices(study, 2, 4, expected, sizeof expected / sizeof expected[0]);
    static const int64_t paused_at[] = {-1, 1, -1, -1, 2, 1};
    expect_ends(study, paused_at, 6, 4);
    hps_study_close(study);
}

static void test_promotion_options_are_checked(void **state)
{
    (void)state;
    static const struct {
        const char *options[4][2];
        size_t n_directions;
        hps_status status;
        const char *message;
    } cases[] = {
        {{{"mode", "promotion"}, {"max_resource", "9"}}, 1, HPS_ERR_INVALID,
         "needs min_resource and max_resource"},
        {{{"mode", "promotion"}, {"min_resource", "1"}}, 1, HPS_ERR_INVALID,
         "needs min_resource and max_resource"},
        {{{"mode", "promotion"}, {"min_resource", "4"}, {"max_resource", "4"}}, 1,
         HPS_ERR_INVALID, "must be above the first rung"},
        {{{"max_resource", "9"}}, 1, HPS_ERR_INVALID, "applies to mode promotion only"},
        /* several objectives promote by MOASHA's order */
        {{{"mode", "promotion"}, {"min_resource", "1"}, {"max_resource", "9"}}, 2, HPS_OK, ""},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        hps_pruner *p;
        ASSERT_OK(hps_pruner_new("asha", &p, NULL, 0));
        for (size_t k = 0; k < 4 && cases[c].options[k][0] != NULL; k++)
            ASSERT_OK(hps_pruner_set(p, cases[c].options[k][0], cases[c].options[k][1]));
        hps_study *study;
        hps_direction dirs[2] = {HPS_MINIMIZE, HPS_MINIMIZE};
        ASSERT_OK(hps_study_open(":memory:", "checks", HPS_OPEN_CREATE, dirs,
                                 cases[c].n_directions, &study, NULL, 0));
        assert_int_equal(hps_study_set_pruner(study, p), cases[c].status);
        if (strstr(hps_study_errmsg(study), cases[c].message) == NULL)
            fail_msg("case %zu: '%s' does not say '%s'", c, hps_study_errmsg(study),
                     cases[c].message);
        hps_study_close(study);
    }
    hps_pruner *p;
    ASSERT_OK(hps_pruner_new("asha", &p, NULL, 0));
    assert_int_equal(hps_pruner_set(p, "mode", "pause"), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_pruner_errmsg(p), "stop"));
    hps_pruner_free(p);
}

/* Trials of the top 1/rf of `step`'s rung (ranked by their value there, ties by number)
 * that are still paused at it: what Li et al.'s rule would promote next. */
static int n_promotable(hps_study *study, size_t n, int64_t step, size_t rf)
{
    double values[64];
    int64_t numbers[64];
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        const hps_frozen *f;
        ASSERT_OK(hps_study_trial(study, (int64_t)k, &f));
        if (hps_frozen_n_intermediate(f) > (size_t)step) {
            int64_t s;
            double v;
            hps_frozen_intermediate(f, (size_t)step, &s, &v);
            values[m] = v;
            numbers[m++] = (int64_t)k;
        }
    }
    int promotable = 0;
    for (size_t i = 0; i < m; i++) {
        size_t ahead = 0;
        for (size_t j = 0; j < m; j++)
            ahead += values[j] < values[i] || (values[j] == values[i] && numbers[j] < numbers[i]);
        const hps_frozen *f;
        ASSERT_OK(hps_study_trial(study, numbers[i], &f));
        promotable += ahead < m / rf && hps_frozen_state(f) == HPS_PAUSED &&
                      hps_frozen_n_intermediate(f) == (size_t)step + 1;
    }
    return promotable;
}

/* Worker w's log of its asks, "trial resumed_from" a line. */
static FILE *open_worker_log(int w, const char *mode)
{
    char name[32];
    snprintf(name, sizeof name, "worker-%d.log", w);
    return fopen(testutil_path(name), mode);
}

/* Four processes share one SQLite study: rungs at steps 1, 2 and 4, the full budget 8.
 * Every pause is resumed by exactly one worker, from its checkpoint's step; at the end
 * no trial in the top half of a rung is left paused there, and ask says so. */
static void test_concurrent_workers_promote_once(void **state)
{
    (void)state;
    enum { WORKERS = 4, TRIALS = 24, MAX_RESOURCE = 8 };
    char url[512];
    snprintf(url, sizeof url, "sqlite:%s", testutil_path("promotion.db"));
    hps_study *study = NULL;
    hps_direction dir = HPS_MINIMIZE;
    ASSERT_OK(hps_study_open(url, "asha", HPS_OPEN_CREATE, &dir, 1, &study, NULL, 0));
    hps_study_close(study);
    for (int w = 0; w < WORKERS; w++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid != 0)
            continue;
        hps_study *mine = NULL;
        if (hps_study_open(url, "asha", HPS_OPEN_LOAD, &dir, 1, &mine, NULL, 0) != HPS_OK)
            _exit(2);
        hps_sampler *s = NULL;
        char seed[16];
        snprintf(seed, sizeof seed, "%d", 100 + w);
        if (set_promotion_pruner(mine, "1", "2", "8") != HPS_OK ||
            hps_sampler_new("random", &s, NULL, 0) != HPS_OK ||
            hps_sampler_set(s, "seed", seed) != HPS_OK || hps_study_set_sampler(mine, s) != HPS_OK ||
            hps_study_set(mine, "max_trials", "24") != HPS_OK)
            _exit(3);
        FILE *log = open_worker_log(w, "w");
        if (log == NULL)
            _exit(4);
        slice sl;
        hps_status rc;
        while ((rc = run_slice(mine, MAX_RESOURCE, &sl)) == HPS_OK)
            fprintf(log, "%lld %lld\n", (long long)sl.number, (long long)sl.resumed_from);
        fclose(log);
        hps_study_close(mine);
        _exit(rc == HPS_DONE ? 0 : 10 - rc);
    }
    for (int w = 0; w < WORKERS; w++) {
        int status;
        wait(&status);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) != 0)
            fail_msg("a worker exited with %d", WEXITSTATUS(status));
    }
    /* resumes[k][r]: how often trial k went on from rung step r (r = 0 for new) */
    int resumes[TRIALS][MAX_RESOURCE + 1] = {{0}};
    for (int w = 0; w < WORKERS; w++) {
        FILE *log = open_worker_log(w, "r");
        assert_non_null(log);
        long long number, from;
        while (fscanf(log, "%lld %lld", &number, &from) == 2) {
            assert_true(number >= 0 && number < TRIALS);
            assert_true(from == -1 || from == 1 || from == 2 || from == 4);
            resumes[number][from < 0 ? 0 : from]++;
        }
        fclose(log);
    }
    ASSERT_OK(hps_study_open(url, "asha", HPS_OPEN_LOAD, &dir, 1, &study, NULL, 0));
    size_t n;
    ASSERT_OK(hps_study_n_trials(study, &n));
    assert_int_equal(n, TRIALS);
    int n_promotions = 0;
    for (size_t k = 0; k < n; k++) {
        const hps_frozen *f;
        ASSERT_OK(hps_study_trial(study, (int64_t)k, &f));
        size_t steps = hps_frozen_n_intermediate(f);
        /* a trial that reached a rung's step went on from every rung below it, once */
        assert_int_equal(resumes[k][0], 1);
        static const int64_t rungs[] = {1, 2, 4};
        for (size_t r = 0; r < 3; r++) {
            assert_int_equal(resumes[k][rungs[r]], steps > (size_t)rungs[r] + 1 ? 1 : 0);
            n_promotions += resumes[k][rungs[r]];
        }
        if (hps_frozen_state(f) == HPS_COMPLETE) {
            assert_int_equal(steps, MAX_RESOURCE + 1);
        } else {
            assert_int_equal(hps_frozen_state(f), HPS_PAUSED);
            assert_true(steps == 2 || steps == 3 || steps == 5);
        }
    }
    assert_true(n_promotions > 0);
    assert_int_equal(n_promotable(study, n, 1, 2), 0);
    assert_int_equal(n_promotable(study, n, 2, 2), 0);
    assert_int_equal(n_promotable(study, n, 4, 2), 0);
    hps_study_close(study);
}

/* Resumes trial `number`, reports the steps after its checkpoint's up to `last` and ends
 * it with `end`: hps_trial_interrupt (Ctrl-C) or hps_trial_preempt (SIGTERM). */
static void cut_resumed_short(hps_study *study, int64_t number, int64_t last,
                              hps_status (*end)(hps_trial *, const char *))
{
    hps_trial *t = NULL;
    ASSERT_OK(hps_study_resume(study, number, &t));
    for (int64_t step = hps_trial_resume_step(t) + 1; step <= last; step++)
        ASSERT_OK(hps_trial_report(t, step, curve(0.5, step)));
    ASSERT_OK(end(t, NULL));
    hps_trial_free(t);
}

static void expect_paused_at(hps_study *study, int64_t number, int64_t step)
{
    const hps_frozen *f;
    ASSERT_OK(hps_study_trial(study, number, &f));
    assert_int_equal(hps_frozen_state(f), HPS_PAUSED);
    assert_int_equal(hps_frozen_interrupted(f), 0);
    assert_int_equal(hps_frozen_n_intermediate(f), (size_t)step + 1); /* 0..step, once each */
    hps_trial *t = NULL;
    ASSERT_OK(hps_study_resume(study, number, &t));
    assert_int_equal(hps_trial_resume_step(t), step);
    ASSERT_OK(hps_trial_pause(t, step + 1)); /* back as it was, for the next check */
    hps_trial_free(t);
}

/* A resumed trial that is interrupted or preempted goes back to PAUSED, as a dead
 * worker's does: its checkpoint and curve are intact, so failing it (and queueing a copy
 * from scratch) would lose every slice it ran. It pauses at its last reported step,
 * where a script that saves each step has its checkpoint, so that the next slice
 * neither repeats nor skips a step. A trial that was never paused fails as before. */
static void test_interrupted_resumed_trial_pauses_again(void **state)
{
    (void)state;
    hps_study *study = new_study("again");
    for (int k = 0; k < 3; k++) {
        hps_trial *t = NULL;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_report(t, 0, 1.0));
        ASSERT_OK(hps_trial_report(t, 1, 0.9));
        ASSERT_OK(hps_trial_pause(t, 1));
        hps_trial_free(t);
    }
    cut_resumed_short(study, 0, 3, hps_trial_interrupt);
    expect_paused_at(study, 0, 3);
    cut_resumed_short(study, 1, 2, hps_trial_preempt);
    expect_paused_at(study, 1, 2);
    cut_resumed_short(study, 2, 1, hps_trial_interrupt); /* nothing reported after 1 */
    expect_paused_at(study, 2, 1);
    size_t n;
    ASSERT_OK(hps_study_n_trials(study, &n));
    assert_int_equal(n, 3); /* nothing queued again */
    hps_trial *fresh = NULL;
    ASSERT_OK(hps_study_ask(study, &fresh));
    ASSERT_OK(hps_trial_report(fresh, 0, 1.0));
    ASSERT_OK(hps_trial_interrupt(fresh, NULL));
    assert_int_equal(hps_frozen_state(hps_trial_frozen(fresh)), HPS_FAIL);
    assert_int_equal(hps_frozen_interrupted(hps_trial_frozen(fresh)), 1);
    hps_trial_free(fresh);
    hps_study_close(study);
}

/* A resumed trial cut short again and again (a trainer that dies on every resume) is
 * not paused again forever: after the study's `retries` cut-shorts (at least one) the
 * next one fails it, saying why, and nothing is queued again. */
static void test_cut_short_too_often_fails(void **state)
{
    (void)state;
    static const char *const retries[] = {"0", "2"};
    for (size_t r = 0; r < 2; r++) {
        hps_study *study = NULL;
        hps_direction dir = HPS_MINIMIZE;
        ASSERT_OK(hps_study_open(":memory:", "cut", HPS_OPEN_CREATE, &dir, 1, &study, NULL, 0));
        ASSERT_OK(hps_study_set(study, "retries", retries[r]));
        hps_trial *t = NULL;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_report(t, 0, 1.0));
        ASSERT_OK(hps_trial_pause(t, 0));
        hps_trial_free(t);
        int64_t allowed = r == 0 ? 1 : 2;
        for (int64_t k = 1; k <= allowed + 1; k++) {
            cut_resumed_short(study, 0, k, k % 2 ? hps_trial_interrupt : hps_trial_preempt);
            const hps_frozen *f;
            ASSERT_OK(hps_study_trial(study, 0, &f));
            assert_int_equal(hps_frozen_state(f), k <= allowed ? HPS_PAUSED : HPS_FAIL);
        }
        const hps_frozen *f;
        ASSERT_OK(hps_study_trial(study, 0, &f));
        assert_int_equal(hps_frozen_interrupted(f), 0); /* its own fault: it counts */
        const char *why = hps_frozen_system_attrs(f); /* its fail_reason */
        assert_non_null(why);
        char want[96];
        snprintf(want, sizeof want, "cut short %lld times", (long long)allowed + 1);
        if (strstr(why, want) == NULL || strstr(why, "fails rather than pausing again") == NULL)
            fail_msg("fail reason: %s", why);
        size_t n;
        ASSERT_OK(hps_study_n_trials(study, &n));
        assert_int_equal(n, 1); /* no retry queued: it would end the same way */
        hps_study_close(study);
    }
}

/* Cut-shorts count when they come one after another: a slice that ends in a normal
 * pause clears the count. A trial cut short once, then run through many healthy
 * slices, is paused again (not failed) by the next Ctrl-C; two cut-shorts in a row
 * past the limit still fail it. */
static void test_cut_shorts_are_counted_consecutively(void **state)
{
    (void)state;
    hps_study *study = NULL;
    hps_direction dir = HPS_MINIMIZE;
    ASSERT_OK(hps_study_open(":memory:", "cut", HPS_OPEN_CREATE, &dir, 1, &study, NULL, 0));
    ASSERT_OK(hps_study_set(study, "retries", "0")); /* one cut-short in a row allowed */
    hps_trial *t = NULL;
    ASSERT_OK(hps_study_ask(study, &t));
    ASSERT_OK(hps_trial_report(t, 0, 1.0));
    ASSERT_OK(hps_trial_pause(t, 0));
    hps_trial_free(t);
    cut_resumed_short(study, 0, 1, hps_trial_interrupt);
    const hps_frozen *f;
    ASSERT_OK(hps_study_trial(study, 0, &f));
    assert_int_equal(hps_frozen_state(f), HPS_PAUSED);
    assert_non_null(strstr(hps_frozen_system_attrs(f), "\"cut_short\": 1"));
    for (int64_t step = 2; step < 10; step++) {
        ASSERT_OK(hps_study_resume(study, 0, &t));
        ASSERT_OK(hps_trial_report(t, step, 1.0 / (double)step));
        ASSERT_OK(hps_trial_pause(t, step));
        hps_trial_free(t);
    }
    ASSERT_OK(hps_study_trial(study, 0, &f));
    assert_non_null(strstr(hps_frozen_system_attrs(f), "\"cut_short\": 0"));
    cut_resumed_short(study, 0, 10, hps_trial_interrupt);
    ASSERT_OK(hps_study_trial(study, 0, &f));
    if (hps_frozen_state(f) != HPS_PAUSED)
        fail_msg("a cut-short after 8 healthy slices failed the trial: %s",
                 hps_frozen_system_attrs(f));
    cut_resumed_short(study, 0, 11, hps_trial_preempt); /* the second in a row */
    ASSERT_OK(hps_study_trial(study, 0, &f));
    assert_int_equal(hps_frozen_state(f), HPS_FAIL);
    assert_non_null(strstr(hps_frozen_system_attrs(f), "cut short 2 times in a row"));
    hps_study_close(study);
}

/* Starts or resumes a trial of curve(x), checks where it goes on from and where its
 * slice ends, reports the steps after its checkpoint's up to `pause_at` and pauses
 * there. */
static void slice_to(hps_study *study, int64_t number, int64_t resumed_from, int64_t max_step,
                     int64_t pause_at)
{
    hps_trial *t = NULL;
    double x;
    int64_t stop;
    ASSERT_OK(hps_study_ask(study, &t));
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_max_step(t, &stop));
    if (hps_trial_number(t) != number || hps_trial_resume_step(t) != resumed_from ||
        stop != max_step)
        fail_msg("asked trial %lld from step %lld up to %lld; expected trial %lld from %lld "
                 "up to %lld", (long long)hps_trial_number(t),
                 (long long)hps_trial_resume_step(t), (long long)stop, (long long)number,
                 (long long)resumed_from, (long long)max_step);
    for (int64_t step = resumed_from + 1; step <= pause_at; step++)
        ASSERT_OK(hps_trial_report(t, step, curve(x, step)));
    ASSERT_OK(hps_trial_pause(t, pause_at));
    hps_trial_free(t);
}

/* A trial paused off its rungs (a script that went past its slice's end, a pause at any
 * step) waits at the highest rung it passed and is promoted from there like the trials
 * paused at it; one that passed no rung yet is resumed before anything new starts. None
 * is left paused for good while it is in the top of its rung. */
static void test_off_rung_pauses_are_promoted(void **state)
{
    (void)state;
    hps_study *study = new_study("offrung");
    ASSERT_OK(set_promotion_pruner(study, "1", "3", "9"));
    static const char *const xs[] = {"0.5", "0.2", "0.9", "0.1"};
    enqueue_xs(study, xs, 4);
    /* rungs at steps 1 and 3; three trials go past the first and pause at step 2 */
    for (int64_t k = 0; k < 3; k++)
        slice_to(study, k, -1, 1, 2);
    /* the best of rung 1 (x = 0.2) goes on from its checkpoint to the next rung */
    slice_to(study, 1, 2, 3, 3);
    /* a trial paused before the first rung goes on before anything new starts */
    slice_to(study, 3, -1, 1, 0);
    slice_to(study, 3, 0, 1, 1);
    /* now at rung 1 with the best value of four: promoted at once, though off its rung */
    slice_to(study, 3, 1, 3, 2);
    slice_to(study, 3, 2, 3, 3);
    hps_study_close(study);
}

/* A trial that reached the full budget (max_resource) has finished: a pause there is
 * refused, naming the budget and what to do instead, and leaves the trial RUNNING to be
 * told. Before, the pause was taken and the trial waited PAUSED with nothing left to
 * run (never finished, or run again when promoted). */
static void test_a_pause_at_the_full_budget_is_refused(void **state)
{
    (void)state;
    hps_study *study = new_study("fullpause");
    ASSERT_OK(set_promotion_pruner(study, "1", "3", "9"));
    assert_int_equal(hps_pruner_full_step(hps_study_pruner(study)), 9);
    hps_trial *t = NULL;
    double x;
    ASSERT_OK(hps_study_ask(study, &t));
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    for (int64_t step = 0; step <= 10; step++)
        ASSERT_OK(hps_trial_report(t, step, curve(x, step)));
    assert_int_equal(hps_trial_pause(t, 10), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_trial_errmsg(t), "cannot pause at step 10: its full budget "
                                                "ends at step 9 (pruner 'asha')"));
    assert_non_null(strstr(hps_trial_errmsg(t), "tell it COMPLETE"));
    ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, curve(x, 10)));
    hps_trial_free(t);
    hps_study_close(study);
}

/* The full budget is the pausing scheduler's: none for a pruner that never pauses, the
 * wrapped scheduler's through patient. */
static void test_full_step_of_each_pruner(void **state)
{
    (void)state;
    hps_pruner *p = NULL, *inner = NULL;
    assert_int_equal(hps_pruner_full_step(NULL), -1);
    ASSERT_OK(hps_pruner_new("median", &p, NULL, 0));
    assert_int_equal(hps_pruner_full_step(p), -1);
    hps_pruner_free(p);
    ASSERT_OK(hps_pruner_new("asha", &p, NULL, 0)); /* mode stop pauses nothing */
    assert_int_equal(hps_pruner_full_step(p), -1);
    hps_pruner_free(p);
    ASSERT_OK(hps_pruner_new("forecast", &p, NULL, 0));
    ASSERT_OK(hps_pruner_set(p, "max_step", "20"));
    assert_int_equal(hps_pruner_full_step(p), -1);
    ASSERT_OK(hps_pruner_set(p, "mode", "freeze-thaw"));
    assert_int_equal(hps_pruner_full_step(p), 20);
    ASSERT_OK(hps_pruner_new("asha", &inner, NULL, 0));
    ASSERT_OK(hps_pruner_set(inner, "mode", "promotion"));
    ASSERT_OK(hps_pruner_set(inner, "max_resource", "27"));
    hps_pruner_free(p);
    ASSERT_OK(hps_pruner_new("patient", &p, NULL, 0));
    ASSERT_OK(hps_pruner_wrap(p, inner));
    assert_int_equal(hps_pruner_full_step(p), 27);
    hps_pruner_free(p);
    ASSERT_OK(hps_pruner_new("hyperband", &p, NULL, 0));
    ASSERT_OK(hps_pruner_set(p, "max_resource", "81"));
    assert_int_equal(hps_pruner_full_step(p), -1); /* mode stop pauses nothing */
    ASSERT_OK(hps_pruner_set(p, "mode", "promotion"));
    assert_int_equal(hps_pruner_full_step(p), 81);
    hps_pruner_free(p);
}

/* One ask of a script that reports every second step only: it starts or resumes a
 * trial of curve(x), reports the even steps after its checkpoint's, and pauses at the
 * first of them at or past its slice's end (or completes at max_resource). Returns
 * the step it paused at, -1 when it completed. */
static int64_t every_second_step(hps_study *study, int64_t max_resource, int64_t number,
                                 int64_t resumed_from)
{
    hps_trial *t = NULL;
    double x;
    int64_t stop;
    ASSERT_OK(hps_study_ask(study, &t));
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_max_step(t, &stop));
    if (hps_trial_number(t) != number || hps_trial_resume_step(t) != resumed_from)
        fail_msg("asked trial %lld from step %lld; expected trial %lld from %lld",
                 (long long)hps_trial_number(t), (long long)hps_trial_resume_step(t),
                 (long long)number, (long long)resumed_from);
    int64_t step = resumed_from + 1;
    for (;; step++) {
        if (step % 2 != 0)
            continue;
        ASSERT_OK(hps_trial_report(t, step, curve(x, step)));
        if ((stop >= 0 && step >= stop) || step >= max_resource)
            break;
    }
    if (stop >= 0)
        ASSERT_OK(hps_trial_pause(t, step));
    else
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, curve(x, step)));
    hps_trial_free(t);
    return stop >= 0 ? step : -1;
}

/* A script that reports every second step never has a value at rungs 1, 3 and 9: it
 * reaches each at its first report past it (2, 4, 10), as mode stop judges it, and is
 * ranked there by that value -- not resumed unranked as one below every rung. Worked
 * out by hand (minimize, x = 0.5, 0.2, 0.9, 0.1; rungs 1, 3, 9, rf 3, budget 27):
 *   asks 1-3: trials 0, 1, 2 run to step 2 (rung 1); one or two at a rung: none leads it.
 *   ask 4:  rung 1 {0, 1, 2}: the top third is 1 -> 1 goes on from 2 and pauses at 4.
 *   ask 5:  rung 3 {1} has no top third; rung 1's is 1, gone on -> new trial 3, at 2.
 *   ask 6:  rung 1 {0..3}: the top third is 3 -> 3 goes on from 2 to 4.
 *   then:   rung 3 {1, 3} has no top third, rung 1's (3) has gone on: the budget is used. */
static void test_rungs_between_reports(void **state)
{
    (void)state;
    hps_study *study = NULL;
    hps_direction dir = HPS_MINIMIZE;
    ASSERT_OK(hps_study_open(":memory:", "every2", HPS_OPEN_CREATE, &dir, 1, &study, NULL, 0));
    ASSERT_OK(set_promotion_pruner(study, "1", "3", "27"));
    ASSERT_OK(hps_study_set(study, "max_trials", "4"));
    static const char *const xs[] = {"0.5", "0.2", "0.9", "0.1"};
    enqueue_xs(study, xs, 4);
    static const int64_t expected[][3] = {{0, -1, 2}, {1, -1, 2}, {2, -1, 2},
                                          {1, 2, 4},  {3, -1, 2}, {3, 2, 4}};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        assert_int_equal(every_second_step(study, 27, expected[i][0], expected[i][1]),
                         expected[i][2]);
    hps_trial *t = NULL;
    assert_int_equal(hps_study_ask(study, &t), HPS_DONE);
    hps_study_close(study);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_promotions_in_order),
        cmocka_unit_test(test_moasha_promotions_in_order),
        cmocka_unit_test(test_promotion_options_are_checked),
        cmocka_unit_test(test_concurrent_workers_promote_once),
        cmocka_unit_test(test_interrupted_resumed_trial_pauses_again),
        cmocka_unit_test(test_off_rung_pauses_are_promoted),
        cmocka_unit_test(test_rungs_between_reports),
        cmocka_unit_test(test_a_pause_at_the_full_budget_is_refused),
        cmocka_unit_test(test_full_step_of_each_pruner),
        cmocka_unit_test(test_cut_short_too_often_fails),
        cmocka_unit_test(test_cut_shorts_are_counted_consecutively),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
