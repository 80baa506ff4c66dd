/* test_moasha.c -- the asha pruner on a study of several objectives (MOASHA): the order
 * of a hand-worked rung, with constraints, and the same rung reached trial by trial
 * through the public API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hpsearch.h"
#include "pruners/asha.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* (accuracy to maximize, seconds to minimize; constraint: memory - 8 <= 0). Worked by
 * hand:
 *   A (0.90, 10), B (0.80, 5), E (0.85, 7): feasible and non-dominated (rank 0); A and B
 *     are the front's extremes (infinite crowding distance), E lies between them;
 *   C (0.70, 20): feasible, dominated by A, B and E (rank 1);
 *   F (0.10, 100): infeasible, violation 1;
 *   D (0.95, 1): would dominate every other, but infeasible with violation 2, so last.
 * Order: A = B, E, C, F, D. */
static const hps_direction DIRS[2] = {HPS_MAXIMIZE, HPS_MINIMIZE};

typedef struct run {
    double acc, seconds, memory_over;
} run;

static const run RUNG[] = {
    {0.90, 10, -1}, /* A */
    {0.80, 5, -2},  /* B */
    {0.70, 20, -1}, /* C */
    {0.95, 1, 2},   /* D */
    {0.85, 7, 0},   /* E: on the bound is feasible */
    {0.10, 100, 1}, /* F */
};
#define N_RUNG (sizeof RUNG / sizeof RUNG[0])

static void test_rung_order_by_hand(void **state)
{
    (void)state;
    double values[N_RUNG * 2], memory_over[N_RUNG];
    for (size_t i = 0; i < N_RUNG; i++) {
        values[2 * i] = RUNG[i].acc;
        values[2 * i + 1] = RUNG[i].seconds;
        memory_over[i] = RUNG[i].memory_over;
    }
    size_t ahead[N_RUNG];
    ASSERT_OK(asha_rung_order(values, memory_over, N_RUNG, DIRS, 2, 1, ahead));
    static const size_t want[N_RUNG] = {0, 0, 3, 5, 2, 4};
    for (size_t i = 0; i < N_RUNG; i++)
        if (ahead[i] != want[i])
            fail_msg("entry %c: %zu ahead of it, want %zu", (char)('A' + i), ahead[i], want[i]);

    /* without constraints D dominates everything: first, alone */
    ASSERT_OK(asha_rung_order(values, NULL, N_RUNG, DIRS, 2, 0, ahead));
    assert_int_equal(ahead[3], 0);
    assert_int_equal(ahead[0], 1); /* A, B, E are now dominated by D: rank 1 */
    assert_int_equal(ahead[2], 4); /* C: rank 2, after D and A, B, E */

    /* a trial that set no constraint while others did counts as violating them */
    memory_over[0] = NAN; /* A */
    ASSERT_OK(asha_rung_order(values, memory_over, N_RUNG, DIRS, 2, 1, ahead));
    assert_int_equal(ahead[0], 5);
}

static hps_study *moasha_study(const char *name)
{
    hps_study *study = NULL;
    hps_pruner *p = NULL;
    char err[256];
    ASSERT_OK(hps_study_open(":memory:", name, HPS_OPEN_CREATE, DIRS, 2, &study, err, sizeof err));
    ASSERT_OK(hps_pruner_new("asha", &p, err, sizeof err));
    ASSERT_OK(hps_pruner_set(p, "min_resource", "1"));
    ASSERT_OK(hps_pruner_set(p, "reduction_factor", "2"));
    ASSERT_OK(hps_study_set_pruner(study, p));
    return study;
}

/* One trial: step 0 (before the first rung), then step 1 (rung 0) with its values and
 * constraint; returns whether the pruner stops it there. */
static int run_to_rung(hps_study *study, const run *r, char *rung_attrs, size_t size)
{
    hps_trial *t;
    int prune = -1;
    ASSERT_OK(hps_study_ask(study, &t));
    double start[2] = {0, 1000};
    ASSERT_OK(hps_trial_report_values(t, 0, start, 2));
    ASSERT_OK(hps_trial_should_prune(t, &prune));
    assert_int_equal(prune, 0);
    ASSERT_OK(hps_trial_set_constraints(t, &r->memory_over, 1));
    double at_rung[2] = {r->acc, r->seconds};
    ASSERT_OK(hps_trial_report_values(t, 1, at_rung, 2));
    ASSERT_OK(hps_trial_should_prune(t, &prune));
    snprintf(rung_attrs, size, "%s", hps_frozen_system_attrs(hps_trial_frozen(t)));
    if (prune)
        ASSERT_OK(hps_trial_tell(t, HPS_PRUNED, 0));
    else
        ASSERT_OK(hps_trial_tell_values(t, HPS_COMPLETE, at_rung, 2));
    hps_trial_free(t);
    return prune;
}

/* The trials reach rung 0 one after another, each judged against those before it
 * (n entries, the top max(1, n / 2) go on):
 *   A alone: on; B beside A (both extremes of the front): on; C dominated: 2 ahead of 1
 *   allowed, stopped; D infeasible: last of 4, stopped; E between A and B: 2 ahead of
 *   2 allowed, stopped; F infeasible before D: 4 ahead of 3, stopped; G (0.99, 2)
 *   dominates every feasible one: on. */
static void test_rung_through_the_study(void **state)
{
    (void)state;
    hps_study *study = moasha_study("moasha");
    static const int want_pruned[N_RUNG] = {0, 0, 1, 1, 1, 1};
    char attrs[512];
    for (size_t i = 0; i < N_RUNG; i++) {
        int pruned = run_to_rung(study, &RUNG[i], attrs, sizeof attrs);
        if (pruned != want_pruned[i])
            fail_msg("trial %c: pruned %d, want %d (%s)", (char)('A' + i), pruned, want_pruned[i],
                     attrs);
        if (i == 3 && strstr(attrs, "\"completed_rung_0\": {\"values\": [0.95, 1], "
                                    "\"constraints\": [2]}") == NULL)
            fail_msg("trial D's rung entry: %s", attrs);
    }
    const run g = {0.99, 2, -1};
    assert_int_equal(run_to_rung(study, &g, attrs, sizeof attrs), 0);
    hps_study_close(study);
}

/* A step with the first objective's value only cannot be ranked: the pruner says what
 * to report instead. A NaN in any objective stops the trial at its rung. */
static void test_every_objective_is_needed(void **state)
{
    (void)state;
    hps_study *study = moasha_study("moasha-one-value");
    hps_trial *t;
    int prune = -1;
    ASSERT_OK(hps_study_ask(study, &t));
    ASSERT_OK(hps_trial_report(t, 1, 0.5));
    assert_int_equal(hps_trial_should_prune(t, &prune), HPS_ERR_INVALID);
    assert_non_null(strstr(hps_trial_errmsg(t),
                           "pruner 'asha': the study has 2 objectives but trial 0 reported 1 "
                           "value at step 1; report every objective's"));
    hps_trial_free(t);

    ASSERT_OK(hps_study_ask(study, &t));
    double diverged[2] = {0.5, NAN};
    ASSERT_OK(hps_trial_report_values(t, 1, diverged, 2));
    ASSERT_OK(hps_trial_should_prune(t, &prune));
    assert_int_equal(prune, 1);
    hps_trial_free(t);
    hps_study_close(study);
}

/* A small deterministic generator (xorshift64*), so that a failure names a case that
 * reproduces. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* A value from a few levels (ties, so equal points, shared ranks and equal crowding
 * distances are common), with now and then NaN or an infinity. */
static double random_level(uint64_t *s, int levels)
{
    uint64_t r = next_random(s) % 100;
    if (r == 0)
        return NAN;
    if (r == 1)
        return INFINITY;
    if (r == 2)
        return -INFINITY;
    return (double)(next_random(s) % (uint64_t)levels);
}

static void *zeroed(size_t n, size_t size)
{
    void *p = calloc(n + 1, size);
    assert_non_null(p);
    return p;
}

/* MOASHA's order by its definition, pair by pair: j is ahead of i when its rank is
 * better, or the same and its crowding distance (within its front, the members in index
 * order) is larger. */
static void ahead_by_definition(const double *values, const double *cons, size_t n,
                                const hps_direction *dirs, size_t m, size_t k, size_t *ahead)
{
    double *points = zeroed(n * m, sizeof *points);
    size_t *rank = zeroed(n, sizeof *rank);
    size_t *members = zeroed(n, sizeof *members);
    double *dist = zeroed(n, sizeof *dist);
    double *crowd = zeroed(n, sizeof *crowd);
    for (size_t i = 0; i < n * m; i++)
        points[i] = dirs[i % m] == HPS_MAXIMIZE ? -values[i] : values[i];
    size_t n_fronts;
    ASSERT_OK(hps_pareto_rank(points, n, m, cons, k, rank, &n_fronts));
    for (size_t f = 0; f < n_fronts; f++) {
        size_t count = 0;
        for (size_t i = 0; i < n; i++)
            if (rank[i] == f)
                members[count++] = i;
        ASSERT_OK(hps_pareto_crowding(points, n, m, members, count, dist));
        for (size_t c = 0; c < count; c++)
            crowd[members[c]] = dist[c];
    }
    for (size_t i = 0; i < n; i++) {
        ahead[i] = 0;
        for (size_t j = 0; j < n; j++)
            ahead[i] += rank[j] < rank[i] || (rank[j] == rank[i] && crowd[j] > crowd[i]);
    }
    free(points);
    free(rank);
    free(members);
    free(dist);
    free(crowd);
}

/* asha_rung_order sorts once instead of counting pair by pair: on random rungs -- two to
 * four objectives in mixed directions, few distinct values (ties), NaN and infinities,
 * with and without constraints -- it gives every entry the count of the definition, so
 * the same trials are promoted. */
static void test_rung_order_matches_its_definition(void **state)
{
    (void)state;
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    static const hps_direction MIXED[4] = {HPS_MINIMIZE, HPS_MAXIMIZE, HPS_MINIMIZE,
                                           HPS_MAXIMIZE};
    for (int round = 0; round < 400; round++) {
        size_t n = 1 + (size_t)(next_random(&seed) % 120);
        size_t m = 2 + (size_t)(next_random(&seed) % 3);
        size_t k = round % 3 == 0 ? 1 + (size_t)(next_random(&seed) % 2) : 0;
        int levels = 2 + (int)(next_random(&seed) % 12);
        double *values = zeroed(n * m, sizeof *values);
        double *cons = zeroed(n * k + 1, sizeof *cons);
        size_t *got = zeroed(n, sizeof *got);
        size_t *want = zeroed(n, sizeof *want);
        for (size_t i = 0; i < n * m; i++)
            values[i] = random_level(&seed, levels);
        for (size_t i = 0; i < n * k; i++) /* about half feasible; some violations tie */
            cons[i] = (double)(next_random(&seed) % 5) - 2.0;
        ASSERT_OK(asha_rung_order(values, k > 0 ? cons : NULL, n, MIXED, m, k, got));
        ahead_by_definition(values, k > 0 ? cons : NULL, n, MIXED, m, k, want);
        for (size_t i = 0; i < n; i++)
            if (got[i] != want[i])
                fail_msg("round %d (n %zu, m %zu, k %zu): entry %zu has %zu ahead, the "
                         "definition %zu", round, n, m, k, i, got[i], want[i]);
        free(values);
        free(cons);
        free(got);
        free(want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rung_order_by_hand),
        cmocka_unit_test(test_rung_order_matches_its_definition),
        cmocka_unit_test(test_rung_through_the_study),
        cmocka_unit_test(test_every_objective_is_needed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
