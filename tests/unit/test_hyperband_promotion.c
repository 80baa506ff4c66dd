/* test_hyperband_promotion.c -- Hyperband with promotions (pruner "hyperband", mode
 * "promotion"): each bracket is ASHA's promotion form, a trial is in the bracket mode
 * stop gives it, an ask resumes the best promotable paused trial across the brackets
 * (the highest rung step first, at the same step the lower bracket) before anything
 * new, each pause is resumed once across worker processes, a resumed trial goes on
 * from its rung's step, and every bracket's best trial reaches the full budget.
 *
 * A trial's bracket is read from outside the pruner: the step its first slice ends at
 * (hps_trial_max_step of a new trial) is its bracket's first rung, min_resource *
 * rf^bracket, or -1 for a bracket with no rung below max_resource. */
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

enum { MAX_TRIALS = 64 };

/* A learning curve on which a lower x is better at every step. */
static double curve(double x, int64_t step)
{
    return x + 1.0 / (double)(step + 1);
}

/* Sets `study`'s pruner to hyperband with `mode`, min_resource 1 and the given reduction
 * factor and max_resource; the first error, else HPS_OK (no assertion: forked workers
 * call it too). */
static hps_status set_hyperband(hps_study *study, const char *mode, const char *reduction_factor,
                                const char *max_resource)
{
    hps_pruner *p = NULL;
    hps_status rc = hps_pruner_new("hyperband", &p, NULL, 0);
    if (rc == HPS_OK)
        rc = hps_pruner_set(p, "mode", mode);
    if (rc == HPS_OK)
        rc = hps_pruner_set(p, "min_resource", "1");
    if (rc == HPS_OK)
        rc = hps_pruner_set(p, "reduction_factor", reduction_factor);
    if (rc == HPS_OK)
        rc = hps_pruner_set(p, "max_resource", max_resource);
    if (rc == HPS_OK)
        return hps_study_set_pruner(study, p);
    hps_pruner_free(p);
    return rc;
}

/* A study to minimize in memory with a seeded random sampler. */
static hps_study *new_study(const char *name, const char *seed)
{
    hps_study *study = NULL;
    hps_direction dir = HPS_MINIMIZE;
    ASSERT_OK(hps_study_open(":memory:", name, HPS_OPEN_CREATE, &dir, 1, &study, NULL, 0));
    hps_sampler *s = NULL;
    ASSERT_OK(hps_sampler_new("random", &s, NULL, 0));
    ASSERT_OK(hps_sampler_set(s, "seed", seed));
    ASSERT_OK(hps_study_set_sampler(study, s));
    return study;
}

/* What one ask did: the trial, the step its checkpoint held (-1: a new trial) and the
 * step its slice ended at (-1: it ran to max_resource and completes). */
typedef struct slice {
    int64_t number, resumed_from, ended_at;
    hps_trial *trial; /* between begin_slice and end_slice */
    double x;
} slice;

/* One ask of a worker that keeps the checkpoint contract: starts or resumes a trial,
 * checks that its stored steps are exactly 0..resume step and reports the steps after
 * up to the end of its slice (max_resource when nothing ends it). HPS_DONE when the
 * study has nothing left; a broken rule is an error status (forked workers report it). */
static hps_status begin_slice(hps_study *study, int64_t max_resource, slice *out)
{
    hps_trial *t;
    hps_status rc = hps_study_ask(study, &t);
    if (rc != HPS_OK)
        return rc;
    int64_t stop = -1;
    rc = hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &out->x);
    if (rc == HPS_OK)
        rc = hps_trial_max_step(t, &stop);
    out->trial = t;
    out->number = hps_trial_number(t);
    out->resumed_from = hps_trial_resume_step(t);
    out->ended_at = stop;
    const hps_frozen *f = hps_trial_frozen(t);
    size_t n_inter = hps_frozen_n_intermediate(f);
    for (size_t i = 0; rc == HPS_OK && i < n_inter; i++) {
        int64_t step;
        double v;
        hps_frozen_intermediate(f, i, &step, &v);
        if (step != (int64_t)i)
            rc = HPS_ERR_CORRUPT; /* a step skipped */
    }
    if (rc == HPS_OK && n_inter != (size_t)(out->resumed_from + 1))
        rc = HPS_ERR_CORRUPT; /* a step past the checkpoint, or one missing */
    int64_t last = stop >= 0 ? stop : max_resource;
    for (int64_t step = out->resumed_from + 1; rc == HPS_OK && step <= last; step++)
        rc = hps_trial_report(t, step, curve(out->x, step));
    return rc;
}

/* Pauses the trial at the end of its slice, or completes it at the top. */
static hps_status end_slice(slice *s, int64_t max_resource)
{
    hps_status rc = s->ended_at >= 0
                        ? hps_trial_pause(s->trial, s->ended_at)
                        : hps_trial_tell(s->trial, HPS_COMPLETE, curve(s->x, max_resource));
    hps_trial_free(s->trial);
    s->trial = NULL;
    return rc;
}

static hps_status run_slice(hps_study *study, int64_t max_resource, slice *out)
{
    hps_status rc = begin_slice(study, max_resource, out);
    if (rc != HPS_OK) {
        if (rc != HPS_DONE)
            hps_trial_free(out->trial);
        return rc;
    }
    return end_slice(out, max_resource);
}

/* ---- brackets ---------------------------------------------------------------------- */

/* The step of each trial's first stop-mode rung: the step after whose report its
 * completed_rung_0 appears (hyperband records it at its bracket's first rung). */
static void stop_mode_first_rungs(int64_t *first, size_t n, int64_t max_resource)
{
    hps_study *study = new_study("hb", "7");
    char max_text[24];
    snprintf(max_text, sizeof max_text, "%lld", (long long)max_resource);
    ASSERT_OK(set_hyperband(study, "stop", "3", max_text));
    for (size_t k = 0; k < n; k++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        assert_int_equal(hps_trial_number(t), (int64_t)k);
        double x;
        ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
        first[k] = -1;
        int prune = 0;
        for (int64_t step = 0; step <= max_resource && !prune; step++) {
            ASSERT_OK(hps_trial_report(t, step, curve(x, step)));
            ASSERT_OK(hps_trial_should_prune(t, &prune));
            if (first[k] < 0 &&
                strstr(hps_frozen_system_attrs(hps_trial_frozen(t)), "completed_rung_0") != NULL)
                first[k] = step;
        }
        ASSERT_OK(hps_trial_tell(t, prune ? HPS_PRUNED : HPS_COMPLETE, curve(x, max_resource)));
        hps_trial_free(t);
        assert_true(first[k] >= 0);
    }
    hps_study_close(study);
}

/* Mode promotion puts every trial in the bracket mode stop puts it in (same study
 * name, same max_resource): its first slice ends at the first rung mode stop judges it
 * at, and a trial of the bracket whose first rung is max_resource runs whole. Four
 * brackets (rf 3, max_resource 27: first rungs 1, 3, 9, 27), each seen. */
static void test_brackets_agree_with_stop_mode(void **state)
{
    (void)state;
    enum { N = 60, MAX_RESOURCE = 27 };
    int64_t first[N];
    stop_mode_first_rungs(first, N, MAX_RESOURCE);
    hps_study *study = new_study("hb", "7");
    ASSERT_OK(set_hyperband(study, "promotion", "3", "27"));
    int seen[4] = {0};
    for (size_t k = 0; k < N; k++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t)); /* nothing paused: always a new trial */
        assert_int_equal(hps_trial_number(t), (int64_t)k);
        int64_t stop;
        ASSERT_OK(hps_trial_max_step(t, &stop));
        int64_t want = first[k] >= MAX_RESOURCE ? -1 : first[k];
        if (stop != want)
            fail_msg("trial %zu: mode promotion ends its first slice at %lld, mode stop's "
                     "first rung is at %lld", k, (long long)stop, (long long)first[k]);
        seen[first[k] == 1 ? 0 : first[k] == 3 ? 1 : first[k] == 9 ? 2 : 3]++;
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, 1.0));
        hps_trial_free(t);
    }
    for (int b = 0; b < 4; b++)
        assert_true(seen[b] > 0);
    hps_study_close(study);
}

/* ---- the rule, checked at every ask --------------------------------------------------- */

/* What the test knows of each trial: its bracket's first rung (-1: none below the top)
 * from its first slice. */
typedef struct brackets {
    int64_t first[MAX_TRIALS];
    size_t n;
} brackets;

static void learn_bracket(brackets *b, const slice *s)
{
    if (s->resumed_from >= 0)
        return;
    assert_int_equal(s->number, (int64_t)b->n);
    b->first[b->n++] = s->ended_at;
}

/* A candidate of Li et al.'s rule at one rung: the best trial of that bracket's top
 * 1/rf there (by value at the step, ties to the older) that is paused exactly there. */
static int64_t oracle_at(hps_study *study, const brackets *b, int64_t first, int64_t step,
                         int64_t rf)
{
    double values[MAX_TRIALS];
    int64_t numbers[MAX_TRIALS];
    size_t m = 0;
    for (size_t k = 0; k < b->n; k++) {
        const hps_frozen *f;
        ASSERT_OK(hps_study_trial(study, (int64_t)k, &f));
        if (b->first[k] != first || hps_frozen_n_intermediate(f) <= (size_t)step)
            continue;
        int64_t s;
        hps_frozen_intermediate(f, (size_t)step, &s, &values[m]);
        numbers[m++] = (int64_t)k;
    }
    int64_t best = -1;
    double best_value = 0;
    for (size_t i = 0; i < m; i++) {
        size_t ahead = 0;
        for (size_t j = 0; j < m; j++)
            ahead += values[j] < values[i] || (values[j] == values[i] && numbers[j] < numbers[i]);
        const hps_frozen *f;
        ASSERT_OK(hps_study_trial(study, numbers[i], &f));
        int waits = hps_frozen_state(f) == HPS_PAUSED &&
                    hps_frozen_n_intermediate(f) == (size_t)step + 1;
        if (ahead < m / (size_t)rf && waits && (best < 0 || values[i] < best_value)) {
            best = numbers[i];
            best_value = values[i];
        }
    }
    return best;
}

/* The trial the next ask must resume (-1: none) by the documented order: rungs by step,
 * highest first; at one step, the bracket with the lower first rung. *step_out: the
 * rung's step, where it must go on from; *n_brackets_out: how many brackets have a
 * candidate at that step (a tie the order broke). */
static int64_t oracle(hps_study *study, const brackets *b, int64_t rf, int64_t max_resource,
                      int64_t *step_out, int *n_brackets_out)
{
    *n_brackets_out = 0;
    *step_out = -1;
    for (int64_t step = max_resource - 1; step >= 1; step--) {
        int64_t chosen = -1;
        for (int64_t first = 1; first <= step; first *= rf) {
            int on_ladder = 0; /* is `step` a rung of the bracket starting at `first` */
            for (int64_t r = first; r < max_resource; r *= rf)
                on_ladder |= r == step;
            int64_t c = on_ladder ? oracle_at(study, b, first, step, rf) : -1;
            if (c >= 0) {
                (*n_brackets_out)++;
                if (chosen < 0)
                    chosen = c;
            }
        }
        if (chosen >= 0) {
            *step_out = step;
            return chosen;
        }
    }
    return -1;
}

/* 60 trials, rf 2, max_resource 8: brackets with first rungs 1, 2, 4 and one without
 * rungs (8). One process asks in rounds of three, as three workers would, holding each
 * trial until the round's slices are done -- so that several brackets have a trial to
 * promote at once. Before each ask the rule above says which paused trial it must
 * resume, from the trials as stored; the ask must resume exactly that one from its
 * rung's step, or start a new trial when there is none. At the end no trial of a
 * bracket's top 1/rf is left paused at a rung, and each bracket's best trial (with at
 * least rf^rungs trials in it, so that it passes every rung) ran the full budget. */
static void test_asks_follow_the_order_across_brackets(void **state)
{
    (void)state;
    enum { N = 60, RF = 2, MAX_RESOURCE = 8, ROUND = 3 };
    hps_study *study = new_study("order", "3");
    ASSERT_OK(set_hyperband(study, "promotion", "2", "8"));
    ASSERT_OK(hps_study_set(study, "max_trials", "60"));
    brackets b = {.n = 0};
    int n_promotions = 0, n_ties = 0, done = 0;
    while (!done) {
        slice round[ROUND];
        size_t n_round = 0;
        while (n_round < ROUND) {
            int in_tie;
            int64_t from;
            int64_t want = oracle(study, &b, RF, MAX_RESOURCE, &from, &in_tie);
            slice *s = &round[n_round];
            hps_status rc = begin_slice(study, MAX_RESOURCE, s);
            if (rc == HPS_DONE) {
                assert_int_equal(want, -1);
                done = n_round == 0; /* else the round's pauses may promote more */
                break;
            }
            ASSERT_OK(rc);
            n_round++;
            if (want < 0 && s->resumed_from >= 0)
                fail_msg("ask resumed trial %lld; no trial was promotable", (long long)s->number);
            if (want >= 0 && (s->number != want || s->resumed_from != from))
                fail_msg("ask ran trial %lld from step %lld; the rule promotes %lld from its "
                         "rung at %lld", (long long)s->number, (long long)s->resumed_from,
                         (long long)want, (long long)from);
            n_promotions += want >= 0;
            n_ties += want >= 0 && in_tie > 1;
            learn_bracket(&b, s);
        }
        for (size_t i = 0; i < n_round; i++)
            ASSERT_OK(end_slice(&round[i], MAX_RESOURCE));
    }
    assert_int_equal(b.n, N);
    assert_true(n_promotions > 0);
    assert_true(n_ties > 0); /* the tie rule was exercised */
    /* each bracket's best trial: at least rf^rungs members, and it completed */
    static const int64_t firsts[] = {1, 2, 4, -1};
    static const size_t needed[] = {8, 4, 2, 1};
    for (size_t i = 0; i < 4; i++) {
        size_t members = 0;
        int64_t best = -1;
        double best_x = 2;
        for (size_t k = 0; k < b.n; k++) {
            if (b.first[k] != firsts[i])
                continue;
            members++;
            const hps_frozen *f;
            ASSERT_OK(hps_study_trial(study, (int64_t)k, &f));
            double x = hps_frozen_param_internal(f, 0);
            if (x < best_x) {
                best_x = x;
                best = (int64_t)k;
            }
        }
        if (members < needed[i])
            fail_msg("bracket %zu has %zu trials, too few to test", i, members);
        const hps_frozen *f;
        ASSERT_OK(hps_study_trial(study, best, &f));
        assert_int_equal(hps_frozen_state(f), HPS_COMPLETE);
        assert_int_equal(hps_frozen_n_intermediate(f), MAX_RESOURCE + 1);
    }
    hps_study_close(study);
}

/* ---- options ---------------------------------------------------------------------- */

static void test_promotion_options_are_checked(void **state)
{
    (void)state;
    static const struct {
        const char *options[4][2];
        size_t n_directions;
        hps_status status;
        const char *message;
    } cases[] = {
        {{{"mode", "promotion"}}, 1, HPS_ERR_INVALID,
         "pruner 'hyperband': mode promotion needs max_resource"},
        {{{"mode", "promotion"}, {"max_resource", "auto"}}, 1, HPS_ERR_INVALID,
         "pruner 'hyperband': mode promotion needs max_resource"},
        {{{"mode", "promotion"}, {"min_resource", "9"}, {"max_resource", "9"}}, 1,
         HPS_ERR_INVALID, "max_resource (9) must be above min_resource (9) in mode promotion"},
        {{{"mode", "promotion"}, {"max_resource", "9"}, {"bootstrap_count", "2"}}, 1,
         HPS_ERR_INVALID, "pruner 'hyperband': bootstrap_count applies to mode stop only"},
        /* several objectives promote by MOASHA's order, as asha's promotion form */
        {{{"mode", "promotion"}, {"max_resource", "9"}}, 2, HPS_OK, ""},
        {{{"mode", "stop"}, {"max_resource", "9"}, {"bootstrap_count", "2"}}, 1, HPS_OK, ""},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        hps_pruner *p;
        ASSERT_OK(hps_pruner_new("hyperband", &p, NULL, 0));
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
    ASSERT_OK(hps_pruner_new("hyperband", &p, NULL, 0));
    assert_int_equal(hps_pruner_set(p, "mode", "pause"), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_pruner_errmsg(p), "promotion"));
    hps_pruner_free(p);
}

/* ---- several workers -------------------------------------------------------------- */

static FILE *open_worker_log(int w, const char *mode)
{
    char name[32];
    snprintf(name, sizeof name, "hb-worker-%d.log", w);
    return fopen(testutil_path(name), mode);
}

/* Two processes share one SQLite study (rf 2, max_resource 8, 40 trials). Every pause
 * is resumed by exactly one worker, from the step of a rung of the trial's own bracket;
 * a trial went on from every rung of its bracket below where it ended, once; and at the
 * end no trial of a bracket's top 1/rf is left paused at its rung. */
static void test_concurrent_workers_promote_once(void **state)
{
    (void)state;
    enum { WORKERS = 2, TRIALS = 40, RF = 2, MAX_RESOURCE = 8 };
    char url[512];
    snprintf(url, sizeof url, "sqlite:%s", testutil_path("hb-promotion.db"));
    hps_study *study = NULL;
    hps_direction dir = HPS_MINIMIZE;
    ASSERT_OK(hps_study_open(url, "hb", HPS_OPEN_CREATE, &dir, 1, &study, NULL, 0));
    hps_study_close(study);
    for (int w = 0; w < WORKERS; w++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid != 0)
            continue;
        hps_study *mine = NULL;
        if (hps_study_open(url, "hb", HPS_OPEN_LOAD, &dir, 1, &mine, NULL, 0) != HPS_OK)
            _exit(2);
        hps_sampler *s = NULL;
        char seed[16];
        snprintf(seed, sizeof seed, "%d", 200 + w);
        if (set_hyperband(mine, "promotion", "2", "8") != HPS_OK ||
            hps_sampler_new("random", &s, NULL, 0) != HPS_OK ||
            hps_sampler_set(s, "seed", seed) != HPS_OK ||
            hps_study_set_sampler(mine, s) != HPS_OK ||
            hps_study_set(mine, "max_trials", "40") != HPS_OK)
            _exit(3);
        FILE *log = open_worker_log(w, "w");
        if (log == NULL)
            _exit(4);
        slice sl;
        hps_status rc;
        while ((rc = run_slice(mine, MAX_RESOURCE, &sl)) == HPS_OK)
            fprintf(log, "%lld %lld %lld\n", (long long)sl.number, (long long)sl.resumed_from,
                    (long long)sl.ended_at);
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
    /* resumes[k][r]: how often trial k went on from step r (r = 0 for new) */
    int resumes[TRIALS][MAX_RESOURCE + 1] = {{0}};
    brackets b = {.n = TRIALS};
    for (int w = 0; w < WORKERS; w++) {
        FILE *log = open_worker_log(w, "r");
        assert_non_null(log);
        long long number, from, ended;
        while (fscanf(log, "%lld %lld %lld", &number, &from, &ended) == 3) {
            assert_true(number >= 0 && number < TRIALS);
            assert_true(from >= -1 && from < MAX_RESOURCE);
            resumes[number][from < 0 ? 0 : from]++;
            if (from < 0)
                b.first[number] = ended;
        }
        fclose(log);
    }
    ASSERT_OK(hps_study_open(url, "hb", HPS_OPEN_LOAD, &dir, 1, &study, NULL, 0));
    size_t n;
    ASSERT_OK(hps_study_n_trials(study, &n));
    assert_int_equal(n, TRIALS);
    int n_promotions = 0, brackets_promoting[MAX_RESOURCE + 1] = {0};
    for (size_t k = 0; k < n; k++) {
        const hps_frozen *f;
        ASSERT_OK(hps_study_trial(study, (int64_t)k, &f));
        size_t steps = hps_frozen_n_intermediate(f);
        assert_int_equal(resumes[k][0], 1);
        int64_t first = b.first[k];
        int is_rung[MAX_RESOURCE + 1] = {0};
        for (int64_t r = first; r > 0 && r < MAX_RESOURCE; r *= RF)
            is_rung[r] = 1;
        for (int64_t r = 1; r < MAX_RESOURCE; r++) {
            /* from each rung of its bracket below where it ended, once; from no other step */
            int want = is_rung[r] && steps > (size_t)r + 1;
            if (resumes[k][r] != want)
                fail_msg("trial %zu (first rung %lld) went on from step %lld %d times, not %d",
                         k, (long long)first, (long long)r, resumes[k][r], want);
            n_promotions += resumes[k][r];
            if (resumes[k][r] > 0)
                brackets_promoting[first]++;
        }
        if (hps_frozen_state(f) == HPS_COMPLETE) {
            assert_int_equal(steps, MAX_RESOURCE + 1);
        } else {
            assert_int_equal(hps_frozen_state(f), HPS_PAUSED);
            assert_true(steps >= 2 && is_rung[steps - 1]);
        }
    }
    assert_true(n_promotions > 0);
    assert_true(brackets_promoting[1] > 0 && brackets_promoting[2] > 0); /* two brackets promoted */
    for (int64_t first = 1; first < MAX_RESOURCE; first *= RF)
        for (int64_t r = first; r < MAX_RESOURCE; r *= RF)
            assert_int_equal(oracle_at(study, &b, first, r, RF), -1);
    hps_study_close(study);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_brackets_agree_with_stop_mode),
        cmocka_unit_test(test_asks_follow_the_order_across_brackets),
        cmocka_unit_test(test_promotion_options_are_checked),
        cmocka_unit_test(test_concurrent_workers_promote_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
