/* test_fault_injection.c -- every allocation and every storage call on the main paths
 * may fail; each failure must come back as a clean status, leave the study usable, and
 * lose no finished trial (leaks are caught by the ASan run of this suite).
 *
 * The loops make allocation N fail (hps_mem_fail_after) for N = 1, 2, ... until a pass
 * makes fewer than N allocations, i.e. every allocation point of the path has failed
 * once; the same with the k-th storage call (hps_storage_fail_after). Paths: opening a
 * study, and one whole trial (ask, three suggests, reports, should_prune, a user
 * attribute, tell) for every sampler, on the memory, SQLite and (when the suite has a
 * server) PostgreSQL backends, and for two samplers on the journal; and the journal's
 * snapshot, loaded and written. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/mem.h"
#include "base/trial_rec.h"
#include "hpsearch.h"
#include "storage/storage.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const SAMPLERS[] = {"random", "sobol", "grid", "tpe",
                                       "gp",     "cmaes", "nsga2", "nsga3", "auto"};
enum { N_SAMPLERS = sizeof SAMPLERS / sizeof SAMPLERS[0] };
/* enough completed trials that every model-based sampler is past its startup phase */
enum { HISTORY = 12 };
/* a loop that has not run out of failure points by then has a bug of its own */
enum { MAX_POINTS = 200000 };

static const hps_value ACTIVATIONS[] = {
    {.type = HPS_VALUE_STRING, .u.s = "relu"},
    {.type = HPS_VALUE_STRING, .u.s = "tanh"},
    {.type = HPS_VALUE_STRING, .u.s = "gelu"},
};

/* What the loops tried, printed at the end for the closing note's table. */
static unsigned long alloc_points, storage_points, sequences_survived;

static hps_sampler *make_sampler(const char *name)
{
    hps_sampler *sampler = NULL;
    ASSERT_OK(hps_sampler_new(name, &sampler, NULL, 0));
    ASSERT_OK(hps_sampler_set(sampler, "seed", "7"));
    /* past their first generations within HISTORY trials */
    if (strcmp(name, "nsga2") == 0 || strcmp(name, "nsga3") == 0)
        ASSERT_OK(hps_sampler_set(sampler, "population_size", "4"));
    if (strcmp(name, "grid") == 0) {
        /* large enough that trials stranded by failures never exhaust it */
        hps_value xs[40], ns[20];
        for (int i = 0; i < 40; i++)
            xs[i] = (hps_value){.type = HPS_VALUE_FLOAT, .u.f = i / 39.0};
        for (int i = 0; i < 20; i++)
            ns[i] = (hps_value){.type = HPS_VALUE_INT, .u.i = i + 1};
        ASSERT_OK(hps_sampler_grid_add(sampler, "x", xs, 40));
        ASSERT_OK(hps_sampler_grid_add(sampler, "n", ns, 20));
        ASSERT_OK(hps_sampler_grid_add(sampler, "act", ACTIVATIONS, 3));
    }
    return sampler;
}

/* Runs one whole trial. Returns the first status that was not HPS_OK; on success
 * *number and *value are what was told. A trial whose sequence failed after ask is
 * left RUNNING, as a crashed objective would leave it. */
static hps_status one_trial(hps_study *study, int64_t *number, double *value)
{
    hps_trial *trial = NULL;
    hps_status rc = hps_study_ask(study, &trial);
    if (rc != HPS_OK)
        return rc;
    double x = 0;
    int64_t n = 0;
    size_t act = 0;
    int prune = 0;
    if ((rc = hps_trial_suggest_float(trial, "x", 0, 1, 0, 0, &x)) != HPS_OK ||
        (rc = hps_trial_suggest_int(trial, "n", 1, 20, 1, 0, &n)) != HPS_OK ||
        (rc = hps_trial_suggest_categorical(trial, "act", ACTIVATIONS, 3, &act)) != HPS_OK)
        goto out;
    double loss = (x - 0.3) * (x - 0.3) + 0.01 * (double)(n - 8) * (double)(n - 8) + 0.1 * (double)act;
    for (int64_t step = 0; step < 3; step++) {
        if ((rc = hps_trial_report(trial, step, loss + 1.0 / (double)(step + 1))) != HPS_OK ||
            (rc = hps_trial_should_prune(trial, &prune)) != HPS_OK)
            goto out;
    }
    if ((rc = hps_trial_set_user_attr(trial, "device", "\"cpu\"")) != HPS_OK ||
        (rc = hps_trial_tell(trial, HPS_COMPLETE, loss)) != HPS_OK)
        goto out;
    *number = hps_trial_number(trial);
    *value = loss;
out:
    hps_trial_free(trial);
    return rc;
}

/* The trials told COMPLETE so far; checked against storage at the end. */
typedef struct told_list {
    int64_t numbers[4096];
    double values[4096];
    size_t n;
} told_list;

static void remember(told_list *told, int64_t number, double value)
{
    assert_true(told->n < 4096);
    told->numbers[told->n] = number;
    told->values[told->n] = value;
    told->n++;
}

/* The study still works after a failure: a clean trial goes through. */
static void assert_usable(hps_study *study, told_list *told)
{
    int64_t number = -1;
    double value = NAN;
    hps_status rc = one_trial(study, &number, &value);
    if (rc != HPS_OK)
        fail_msg("study unusable after an injected failure: %s: %s", hps_status_name(rc),
                 hps_study_errmsg(study));
    remember(told, number, value);
}

/* Every trial told COMPLETE is COMPLETE with its value, seen through a fresh handle. */
static void assert_nothing_lost(const char *url, const char *name, const told_list *told,
                                hps_study *study)
{
    hps_study *fresh = study;
    char err[512];
    if (strcmp(url, ":memory:") != 0)
        ASSERT_OK(hps_study_open(url, name, HPS_OPEN_LOAD, NULL, 0, &fresh, err, sizeof err));
    ASSERT_OK(hps_study_sync(fresh));
    for (size_t i = 0; i < told->n; i++) {
        const hps_frozen *rec = NULL;
        ASSERT_OK(hps_study_trial(fresh, told->numbers[i], &rec));
        assert_int_equal(hps_frozen_state(rec), HPS_COMPLETE);
        assert_true(hps_frozen_value(rec, 0) == told->values[i]);
    }
    if (fresh != study)
        hps_study_close(fresh);
}

/* The backends: memory, SQLite, the journal, and PostgreSQL when the suite has a server
 * ($HPS_TEST_POSTGRES_URL, as scripts/with-test-servers.sh provides). */
enum { MEMORY, SQLITE, JOURNAL, POSTGRES, N_BACKENDS };

static const char *url_for(int backend, const char *tag)
{
    static char url[4][600];
    static int slot;
    slot = (slot + 1) % 4;
    if (backend == MEMORY)
        return ":memory:";
    if (backend == POSTGRES) {
        const char *pg = getenv("HPS_TEST_POSTGRES_URL");
        return pg != NULL && pg[0] != '\0' ? pg : NULL;
    }
    if (backend == JOURNAL)
        snprintf(url[slot], sizeof url[slot], "journal:%s.journal", testutil_path(tag));
    else
        snprintf(url[slot], sizeof url[slot], "sqlite:%s", testutil_path(tag));
    return url[slot];
}

/* Study names unique to this process: a PostgreSQL database outlives the test. */
static const char *study_name(const char *kind, const char *sampler)
{
    static char name[128];
    snprintf(name, sizeof name, "%s-%s-%ld", kind, sampler, (long)getpid());
    return name;
}

static void drop_study(const char *url, const char *name)
{
    if (strcmp(url, ":memory:") != 0)
        ASSERT_OK(hps_study_delete(url, name, NULL, 0));
}

static hps_study *open_with_history(const char *url, const char *name, const char *sampler,
                                    told_list *told)
{
    hps_study *study = NULL;
    char err[512];
    hps_direction dir = HPS_MINIMIZE;
    ASSERT_OK(hps_study_open(url, name, HPS_OPEN_CREATE | HPS_OPEN_LOAD, &dir, 1, &study, err,
                             sizeof err));
    ASSERT_OK(hps_study_set_sampler(study, make_sampler(sampler)));
    hps_pruner *pruner = NULL;
    ASSERT_OK(hps_pruner_new("median", &pruner, NULL, 0));
    ASSERT_OK(hps_study_set_pruner(study, pruner));
    for (int i = 0; i < HISTORY; i++)
        assert_usable(study, told);
    return study;
}

/* The two kinds of fault the loops inject. */
typedef struct fault_kind {
    const char *what;
    unsigned long (*fail_after)(unsigned long); /* arms the N-th; returns calls made */
    int wraps_storage;                          /* needs hps_storage_faults_enable */
    hps_status expected;
    const char *says;                           /* the message contains it; NULL: any */
    unsigned long *points;                      /* tally of failure points tried */
} fault_kind;

static const fault_kind ALLOCATION = {"allocation", hps_mem_fail_after, 0, HPS_ERR_NOMEM, NULL,
                                      &alloc_points};
static const fault_kind STORAGE_CALL = {"storage call", hps_storage_fail_after, 1,
                                        HPS_ERR_STORAGE, "injected", &storage_points};

/* ---- opening a study ------------------------------------------------------------- */

/* Opening (creating, then loading) a study with fault N = 1, 2, ... */
static void check_open_faults(const fault_kind *kind, const char *url)
{
    const char *name = study_name("opened", kind->wraps_storage ? "storage" : "alloc");
    hps_direction dir = HPS_MAXIMIZE;
    hps_storage_faults_enable(kind->wraps_storage);
    unsigned long n;
    for (n = 1; n < MAX_POINTS; n++) {
        hps_study *study = NULL;
        char err[512] = "";
        kind->fail_after(n);
        hps_status rc = hps_study_open(url, name, HPS_OPEN_CREATE | HPS_OPEN_LOAD, &dir, 1,
                                       &study, err, sizeof err);
        unsigned long made = kind->fail_after(0);
        if (rc == HPS_OK) {
            hps_study_close(study);
            if (made < n)
                break;
            continue;
        }
        (*kind->points)++;
        assert_null(study);
        if (rc != kind->expected || err[0] == '\0' ||
            (kind->says != NULL && strstr(err, kind->says) == NULL))
            fail_msg("open on %s, %s %lu failing: %s (%s), expected %s", url, kind->what, n,
                     hps_status_name(rc), err, hps_status_name(kind->expected));
    }
    assert_true(n < MAX_POINTS);
    hps_storage_faults_enable(0);
    drop_study(url, name);
}

static void test_open_study_survives_allocation_failures(void **state)
{
    (void)state;
    for (int backend = 0; backend < N_BACKENDS; backend++)
        if (url_for(backend, "open_faults.db") != NULL)
            check_open_faults(&ALLOCATION, url_for(backend, "open_faults.db"));
}

static void test_open_study_survives_storage_failures(void **state)
{
    (void)state;
    for (int backend = 0; backend < N_BACKENDS; backend++)
        if (url_for(backend, "open_faults.db") != NULL)
            check_open_faults(&STORAGE_CALL, url_for(backend, "open_faults.db"));
}

/* ---- one whole trial --------------------------------------------------------------- */

/* One whole trial with fault N = 1, 2, ... until a pass makes fewer than N calls. */
static void check_trial_faults(const fault_kind *kind, const char *url, const char *sampler)
{
    char name[128];
    snprintf(name, sizeof name, "%s", study_name(kind->wraps_storage ? "storage" : "alloc",
                                                 sampler));
    static told_list told;
    told.n = 0;
    hps_storage_faults_enable(kind->wraps_storage);
    hps_study *study = open_with_history(url, name, sampler, &told);
    unsigned long n;
    for (n = 1; n < MAX_POINTS; n++) {
        int64_t number = -1;
        double value = NAN;
        kind->fail_after(n);
        hps_status rc = one_trial(study, &number, &value);
        unsigned long made = kind->fail_after(0);
        if (rc == HPS_OK) {
            remember(&told, number, value);
            if (made < n)
                break;
            continue; /* the failure hit an optional step (a cache) and was absorbed */
        }
        (*kind->points)++;
        if (rc != kind->expected ||
            (kind->says != NULL && strstr(hps_study_errmsg(study), kind->says) == NULL))
            fail_msg("%s on %s, %s %lu failing: %s (%s), expected %s", sampler, url, kind->what,
                     n, hps_status_name(rc), hps_study_errmsg(study),
                     hps_status_name(kind->expected));
        assert_usable(study, &told);
        sequences_survived++;
    }
    assert_true(n < MAX_POINTS);
    hps_storage_faults_enable(0);
    assert_nothing_lost(url, name, &told, study);
    hps_study_close(study);
    drop_study(url, name);
}

static void check_every_sampler_and_backend(const fault_kind *kind)
{
    for (int backend = 0; backend < N_BACKENDS; backend++) {
        const char *url = url_for(backend, "trial_faults.db");
        /* The journal's failure paths (lock, replay, rebuild) are the same whatever the
         * sampler: two samplers, one model-free and one model-based, cover them. */
        size_t n_samplers = backend == JOURNAL ? 2 : N_SAMPLERS;
        for (size_t i = 0; url != NULL && i < n_samplers; i++)
            check_trial_faults(kind, url, backend == JOURNAL ? (i == 0 ? "random" : "tpe")
                                                             : SAMPLERS[i]);
    }
}

static void test_trial_survives_allocation_failures(void **state)
{
    (void)state;
    check_every_sampler_and_backend(&ALLOCATION);
}

static void test_trial_survives_storage_failures(void **state)
{
    (void)state;
    check_every_sampler_and_backend(&STORAGE_CALL);
}

/* ---- the journal's snapshot ---------------------------------------------------- */

typedef struct snap_digest {
    size_t n;
    int64_t seq_sum;   /* change_seq of every trial: any lost or extra change shows */
    double value_sum;
} snap_digest;

static int digest_one(void *user, hps_frozen *rec)
{
    snap_digest *d = user;
    d->n++;
    d->seq_sum += rec->change_seq;
    d->value_sum += rec->n_values > 0 ? rec->values[0] : 0;
    hps_rec_free(rec);
    return 0;
}

/* Opens the journal and reads study 1's trials; a status, and *d when HPS_OK. */
static hps_status digest_journal(const char *path, snap_digest *d, uint64_t *loaded)
{
    hps_storage *s = NULL;
    hps_errbuf err;
    *d = (snap_digest){0};
    hps_status rc = hps_journal_storage_open(path, HPS_STORAGE_EXISTING, &s, &err);
    if (rc != HPS_OK)
        return rc;
    hps_journal_snapshot_every(s, 0);
    int64_t seq = 0;
    rc = s->ops->sync(s, 1, 0, digest_one, d, &seq);
    *loaded = hps_journal_snapshot_loaded(s);
    hps_storage_close(s);
    return rc;
}

static void assert_same_digest(const snap_digest *a, const snap_digest *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->seq_sum, b->seq_sum);
    assert_true(a->value_sum == b->value_sum);
}

/* Loading a snapshot and writing one, with allocation N failing: loading either fails
 * cleanly or gives the whole state (a snapshot it cannot decode is replaced by a
 * replay), and a failed write leaves a usable snapshot behind. */
static void test_journal_snapshot_survives_allocation_failures(void **state)
{
    (void)state;
    char url[4300], path[4200];
    snprintf(path, sizeof path, "%s", testutil_path("snapshot_faults.journal"));
    snprintf(url, sizeof url, "journal:%s", path);
    told_list told = {0};
    hps_study_close(open_with_history(url, "snap", "tpe", &told));
    hps_storage *s = NULL;
    hps_errbuf err;
    ASSERT_OK(hps_journal_storage_open(path, HPS_STORAGE_EXISTING, &s, &err));
    hps_journal_snapshot_every(s, 0);
    ASSERT_OK(hps_journal_snapshot_now(s));
    snap_digest want, got;
    uint64_t loaded = 0;
    ASSERT_OK(digest_journal(path, &want, &loaded));
    assert_true(loaded > 0);
    assert_int_equal(want.n, HISTORY);

    unsigned long n = 1;
    for (; n < MAX_POINTS; n++) {
        hps_mem_fail_after(n);
        hps_status rc = digest_journal(path, &got, &loaded);
        unsigned long made = hps_mem_fail_after(0);
        if (rc == HPS_OK)
            assert_same_digest(&got, &want);
        else
            assert_int_equal(rc, HPS_ERR_NOMEM);
        alloc_points++;
        if (made < n)
            break;
    }
    assert_true(n < MAX_POINTS);
    for (n = 1; n < MAX_POINTS; n++) {
        hps_mem_fail_after(n);
        hps_status rc = hps_journal_snapshot_now(s);
        unsigned long made = hps_mem_fail_after(0);
        assert_true(rc == HPS_OK || rc == HPS_ERR_NOMEM);
        ASSERT_OK(digest_journal(path, &got, &loaded));
        assert_same_digest(&got, &want);
        assert_true(loaded > 0);
        alloc_points++;
        if (made < n)
            break;
    }
    assert_true(n < MAX_POINTS);
    hps_storage_close(s);
}

static int print_totals(void **state)
{
    (void)state;
    printf("fault injection: %lu allocation-failure points and %lu storage-failure points "
           "tried; %lu failed trials each followed by a clean one\n",
           alloc_points, storage_points, sequences_survived);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_study_survives_allocation_failures),
        cmocka_unit_test(test_trial_survives_allocation_failures),
        cmocka_unit_test(test_open_study_survives_storage_failures),
        cmocka_unit_test(test_trial_survives_storage_failures),
        cmocka_unit_test(test_journal_snapshot_survives_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, print_totals);
}
