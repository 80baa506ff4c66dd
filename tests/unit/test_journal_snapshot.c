/* test_journal_snapshot.c -- the journal's snapshot (PATH.snapshot): opening with it
 * gives exactly the state replaying the whole log gives, on a log holding every kind
 * of record; only the tail past it is replayed; a snapshot that is missing, torn,
 * damaged, of a newer format, past the end of the log or of another log (deleted and
 * begun again) is ignored and the log replayed; concurrent snapshot writers leave one
 * whole snapshot; handles write one on their own once the tail is long enough, also
 * while worker processes share the study. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/dist.h"
#include "base/mem.h"
#include "base/trial_rec.h"
#include "hpsearch.h"
#include "storage/journal_file.h"
#include "storage/snapshot.h"
#include "storage/storage.h"
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOW 1.7e9

static int counter;

/* A fresh journal path, without the "journal:" prefix. */
static const char *new_path(void)
{
    static char path[4200];
    char name[64];
    snprintf(name, sizeof name, "snap-%d.journal", counter++);
    snprintf(path, sizeof path, "%s", testutil_path(name));
    return path;
}

static hps_storage *open_journal(const char *path)
{
    hps_storage *s = NULL;
    hps_errbuf err;
    if (hps_journal_storage_open(path, HPS_STORAGE_CREATE, &s, &err) != HPS_OK)
        fail_msg("open %s: %s", path, hps_errbuf_text(&err));
    return s;
}

static const char *snap_of(const char *path)
{
    static char snap[4300];
    snprintf(snap, sizeof snap, "%s.snapshot", path);
    return snap;
}

static int64_t new_study(hps_storage *s, const char *name, size_t n_dirs)
{
    hps_direction dirs[2] = {HPS_MINIMIZE, HPS_MAXIMIZE};
    hps_study_info info = {0};
    ASSERT_OK(s->ops->open_study(s, name, HPS_OPEN_CREATE, dirs, n_dirs, &info));
    int64_t id = info.study_id;
    hps_study_info_clear(&info);
    return id;
}

static int64_t create(hps_storage *s, int64_t study, uint64_t grid, const char *worker)
{
    hps_create_req req = {.max_trials = 100, .grid_cells = grid, .worker = worker, .now = NOW,
                          .with_heartbeat = 1};
    hps_frozen *rec = NULL;
    ASSERT_OK(s->ops->create_trial(s, study, &req, &rec));
    int64_t id = rec->id;
    hps_rec_free(rec);
    return id;
}

/* Parameters of every kind of distribution, categorical choices of every type. */
static void set_params(hps_storage *s, int64_t trial)
{
    hps_errbuf err;
    hps_param_rec p[5] = {{.name = "lr", .internal = 0.01},
                          {.name = "drop", .internal = 0.25},
                          {.name = "units", .internal = 64},
                          {.name = "batch", .internal = 32},
                          {.name = "act", .internal = 2}};
    hps_value choices[4] = {{.type = HPS_VALUE_STRING, .u.s = "relu"},
                            {.type = HPS_VALUE_INT, .u.i = -7},
                            {.type = HPS_VALUE_FLOAT, .u.f = 0.5},
                            {.type = HPS_VALUE_BOOL, .u.b = 1}};
    ASSERT_OK(hps_dist_init_float(&p[0].dist, "lr", 1e-5, 1, 0, HPS_LOG, &err));
    ASSERT_OK(hps_dist_init_float(&p[1].dist, "drop", 0, 0.5, 0.05, 0, &err));
    ASSERT_OK(hps_dist_init_int(&p[2].dist, "units", 8, 512, 8, 0, &err));
    ASSERT_OK(hps_dist_init_int(&p[3].dist, "batch", 16, 256, 1, HPS_LOG, &err));
    ASSERT_OK(hps_dist_init_categorical(&p[4].dist, "act", choices, 4, &err));
    ASSERT_OK(s->ops->set_params(s, trial, NULL, p, 5));
    for (int i = 0; i < 5; i++)
        hps_dist_clear(&p[i].dist);
}

static void finish(hps_storage *s, int64_t trial, hps_trial_state state, int interrupted,
                   const char *reason, const char *requeue)
{
    double values[2] = {0.125, INFINITY};
    hps_finish_req req = {.state = state, .values = values, .n_values = state == HPS_FAIL ? 0 : 2,
                          .interrupted = interrupted, .fail_reason = reason, .now = NOW + 10,
                          .requeue_system_attrs = requeue};
    ASSERT_OK(s->ops->finish_trial(s, trial, &req));
}

/* A study with every record the journal writes: studies created and deleted, study
 * attributes (set, set once), enqueued, created (from the queue and new, with grid
 * cells), started trials, parameters, reports (NaN too), trial attributes, every way
 * of finishing (complete, pruned, failed with a reason, interrupted, re-queued), claims,
 * heartbeats, a committed and a rolled-back batch, and trials left RUNNING. */
static void write_every_kind(hps_storage *s)
{
    new_study(s, "gone", 1);
    ASSERT_OK(s->ops->delete_study(s, "gone"));
    int64_t st = new_study(s, "s", 2);
    int64_t other = new_study(s, "other", 1);
    ASSERT_OK(s->ops->set_study_attr(s, st, 0, "user", "{\"b\":[1,2.5,\"x\"],\"a\":null}"));
    ASSERT_OK(s->ops->set_study_attr(s, st, 1, "sys", "0.1"));
    char *current = NULL;
    ASSERT_OK(s->ops->set_study_attr_once(s, st, "once", "\"first\"", &current));
    hps_mem_free(current);
    int64_t number;
    ASSERT_OK(s->ops->enqueue_trial(s, st, "{\"fixed_params\":{\"lr\":0.01}}", &number));
    int64_t t0 = create(s, st, 6, "w1"); /* pops the first enqueued trial */
    int64_t t2 = create(s, st, 6, "w2");
    int64_t t3 = create(s, st, 6, NULL);
    int64_t t4 = create(s, st, 6, "w1");
    int64_t t5 = create(s, st, 6, "w3");
    int64_t t6 = create(s, st, 0, "w4");
    set_params(s, t0);
    set_params(s, t2);
    ASSERT_OK(s->ops->report(s, t0, NULL, 1, (double[]){0.5}, 1));
    ASSERT_OK(s->ops->report(s, t0, NULL, 3, (double[]){NAN}, 1));
    ASSERT_OK(s->ops->report(s, t0, NULL, 2, (double[]){-INFINITY}, 1));
    ASSERT_OK(s->ops->report(s, t0, NULL, 4, (double[]){0.25, NAN, 7.5}, 3)); /* every objective's */
    ASSERT_OK(s->ops->set_trial_attr(s, t0, NULL, 0, "note", "{\"k\":\"v\\u00e9\"}"));
    ASSERT_OK(s->ops->set_trial_attr(s, t2, NULL, 1, "gpu", "3"));
    finish(s, t0, HPS_COMPLETE, 0, NULL, NULL);
    finish(s, t2, HPS_PRUNED, 0, NULL, NULL);
    finish(s, t3, HPS_FAIL, 0, "exit status 1", NULL);
    finish(s, t4, HPS_FAIL, 1, "preempted", NULL); /* frees its grid cell */
    finish(s, t5, HPS_FAIL, 1, NULL, "{\"retry_of\":5}");
    int64_t pos;
    ASSERT_OK(s->ops->claim_position(s, st, t6, 2, 10, &pos));
    int64_t beat[2] = {t6, t0};
    ASSERT_OK(s->ops->heartbeat(s, beat, (const char *const[]){NULL, NULL}, 2, NOW + 20, NULL));
    int64_t t1;
    ASSERT_OK(s->ops->enqueue_trial(s, st, NULL, &number));
    ASSERT_OK(s->ops->find_trial(s, st, number, &t1));
    ASSERT_OK(s->ops->batch_begin(s));
    ASSERT_OK(s->ops->start_trial(s, t1, NOW + 30));
    set_params(s, t1);
    finish(s, t1, HPS_COMPLETE, 0, NULL, NULL);
    ASSERT_OK(s->ops->batch_end(s, 1));
    ASSERT_OK(s->ops->batch_begin(s));
    create(s, st, 6, "rolled back");
    assert_int_equal(s->ops->batch_end(s, 0), HPS_OK);
    create(s, st, 6, "running");
    create(s, other, 0, "w5");
}

/* ---- comparing two handles' states ------------------------------------------------- */

static void same_double(double a, double b, const char *what)
{
    if (!((isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0))
        fail_msg("%s: %.17g != %.17g", what, a, b);
}

static void same_json(const json_t *a, const json_t *b, const char *what)
{
    char *ta = a != NULL ? json_dumps(a, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    char *tb = b != NULL ? json_dumps(b, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    if ((ta == NULL) != (tb == NULL) || (ta != NULL && strcmp(ta, tb) != 0))
        fail_msg("%s: %s != %s", what, ta != NULL ? ta : "NULL", tb != NULL ? tb : "NULL");
    free(ta);
    free(tb);
}

static void same_trial(const hps_frozen *a, const hps_frozen *b)
{
    assert_int_equal(a->id, b->id);
    assert_int_equal(a->number, b->number);
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->interrupted, b->interrupted);
    assert_int_equal(a->grid_pos, b->grid_pos);
    assert_int_equal(a->n_values, b->n_values);
    for (size_t i = 0; i < a->n_values; i++)
        same_double(a->values[i], b->values[i], "value");
    assert_int_equal(a->n_params, b->n_params);
    for (size_t i = 0; i < a->n_params; i++) {
        assert_string_equal(a->params[i].name, b->params[i].name);
        assert_true(hps_dist_equal(&a->params[i].dist, &b->params[i].dist));
        assert_int_equal(a->params[i].dist.flags, b->params[i].dist.flags);
        same_double(a->params[i].internal, b->params[i].internal, "param");
    }
    assert_int_equal(a->n_inter, b->n_inter);
    for (size_t i = 0; i < a->n_inter; i++) {
        assert_int_equal(a->inter[i].step, b->inter[i].step);
        same_double(a->inter[i].value, b->inter[i].value, "intermediate value");
        assert_int_equal(a->inter[i].n_more, b->inter[i].n_more);
        for (size_t k = 0; k < a->inter[i].n_more; k++)
            same_double(a->inter[i].more[k], b->inter[i].more[k], "intermediate value");
    }
    same_json(a->user_attrs, b->user_attrs, "user attrs");
    same_json(a->system_attrs, b->system_attrs, "system attrs");
    same_double(a->datetime_start, b->datetime_start, "start");
    same_double(a->datetime_complete, b->datetime_complete, "complete");
    same_double(a->heartbeat, b->heartbeat, "heartbeat");
    assert_true((a->worker == NULL) == (b->worker == NULL));
    if (a->worker != NULL)
        assert_string_equal(a->worker, b->worker);
    assert_int_equal(a->change_seq, b->change_seq);
}

typedef struct trials {
    hps_frozen *items[256];
    size_t n;
} trials;

static int collect(void *user, hps_frozen *rec)
{
    trials *t = user;
    if (t->n == 256) {
        hps_rec_free(rec);
        return 1;
    }
    t->items[t->n++] = rec;
    return 0;
}

static void same_study(hps_storage *a, hps_storage *b, int64_t id)
{
    for (int sys = 0; sys < 2; sys++) {
        char *ja = NULL, *jb = NULL;
        ASSERT_OK(a->ops->get_study_attrs(a, id, sys, &ja));
        ASSERT_OK(b->ops->get_study_attrs(b, id, sys, &jb));
        assert_string_equal(ja, jb);
        hps_mem_free(ja);
        hps_mem_free(jb);
    }
    trials ta = {0}, tb = {0};
    int64_t seq_a = 0, seq_b = 0;
    ASSERT_OK(a->ops->sync(a, id, 0, collect, &ta, &seq_a));
    ASSERT_OK(b->ops->sync(b, id, 0, collect, &tb, &seq_b));
    assert_int_equal(seq_a, seq_b);
    assert_int_equal(ta.n, tb.n);
    for (size_t i = 0; i < ta.n; i++) {
        same_trial(ta.items[i], tb.items[i]);
        hps_rec_free(ta.items[i]);
        hps_rec_free(tb.items[i]);
    }
    hps_running_info *ra = NULL, *rb = NULL;
    size_t na = 0, nb = 0;
    ASSERT_OK(a->ops->list_running(a, id, &ra, &na));
    ASSERT_OK(b->ops->list_running(b, id, &rb, &nb));
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(ra[i].trial_id, rb[i].trial_id);
        same_double(ra[i].heartbeat, rb[i].heartbeat, "running heartbeat");
        assert_string_equal(ra[i].system_attrs, rb[i].system_attrs);
    }
    hps_running_info_free(ra, na);
    hps_running_info_free(rb, nb);
}

/* Everything a caller can read of the two handles is the same. */
static void assert_same_state(hps_storage *a, hps_storage *b)
{
    hps_study_info *sa = NULL, *sb = NULL;
    size_t na = 0, nb = 0;
    ASSERT_OK(a->ops->list_studies(a, &sa, &na));
    ASSERT_OK(b->ops->list_studies(b, &sb, &nb));
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(sa[i].study_id, sb[i].study_id);
        assert_string_equal(sa[i].name, sb[i].name);
        assert_int_equal(sa[i].n_directions, sb[i].n_directions);
        assert_memory_equal(sa[i].directions, sb[i].directions,
                            sa[i].n_directions * sizeof *sa[i].directions);
        same_double(sa[i].created, sb[i].created, "created");
        same_study(a, b, sa[i].study_id);
    }
    for (size_t i = 0; i < na; i++) {
        hps_study_info_clear(&sa[i]);
        hps_study_info_clear(&sb[i]);
    }
    hps_mem_free(sa);
    hps_mem_free(sb);
}

/* The hidden counters (budget, queue, grid cells freed and claimed, change counter)
 * decide what comes next: the same operations on both give the same answers. */
static void assert_same_future(hps_storage *a, hps_storage *b)
{
    hps_storage *h[2] = {a, b};
    for (int step = 0; step < 8; step++) {
        hps_frozen *rec[2] = {NULL, NULL};
        hps_status rc[2];
        hps_create_req req = {.max_trials = 11, .grid_cells = 6, .worker = "next",
                              .now = NOW + 40 + step};
        for (int k = 0; k < 2; k++)
            rc[k] = h[k]->ops->create_trial(h[k], 2, &req, &rec[k]);
        assert_int_equal(rc[0], rc[1]);
        if (rc[0] == HPS_OK)
            same_trial(rec[0], rec[1]);
        hps_rec_free(rec[0]);
        hps_rec_free(rec[1]);
    }
    assert_same_state(a, b);
}

/* ---- files ------------------------------------------------------------------------- */

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* Reads the whole file into a malloc'd buffer. */
static unsigned char *slurp(const char *path, long *size)
{
    *size = file_size(path);
    assert_true(*size > 0);
    unsigned char *buf = malloc((size_t)*size);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(buf, 1, (size_t)*size, f), (size_t)*size);
    fclose(f);
    return buf;
}

static void spill(const char *path, const unsigned char *buf, long size)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, (size_t)size, f), (size_t)size);
    assert_int_equal(fclose(f), 0);
}

/* Puts a new checksum on a snapshot whose header was changed, so that only the check
 * under test can reject it (layout in snapshot.h). */
static void reseal(unsigned char *buf, long size)
{
    uint32_t crc = journal_crc32(buf, (size_t)size - 4);
    for (int i = 0; i < 4; i++)
        buf[size - 4 + i] = (unsigned char)(crc >> (8 * i));
}

static void put_le(unsigned char *at, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        at[i] = (unsigned char)(v >> (8 * i));
}

/* A journal of every kind of record with a snapshot of it: the path. */
static const char *journal_with_snapshot(void)
{
    const char *path = new_path();
    hps_storage *s = open_journal(path);
    hps_journal_snapshot_every(s, 0);
    write_every_kind(s);
    ASSERT_OK(hps_journal_snapshot_now(s));
    hps_storage_close(s);
    assert_true(file_size(snap_of(path)) > 0);
    return path;
}

/* Opens `path` twice: by replaying the whole log (its snapshot set aside) and as a
 * reader normally would; both must agree. Returns where the second started from. */
static uint64_t open_and_compare(const char *path)
{
    char aside[4400];
    snprintf(aside, sizeof aside, "%s.aside", snap_of(path));
    int had = rename(snap_of(path), aside) == 0;
    hps_storage *replayed = open_journal(path);
    hps_journal_snapshot_every(replayed, 0);
    hps_study_info *info = NULL;
    size_t n = 0;
    ASSERT_OK(replayed->ops->list_studies(replayed, &info, &n)); /* reads the log now */
    for (size_t i = 0; i < n; i++)
        hps_study_info_clear(&info[i]);
    hps_mem_free(info);
    assert_int_equal(hps_journal_snapshot_loaded(replayed), 0);
    if (had)
        assert_int_equal(rename(aside, snap_of(path)), 0);
    hps_storage *opened = open_journal(path);
    hps_journal_snapshot_every(opened, 0);
    assert_same_state(replayed, opened);
    uint64_t from = hps_journal_snapshot_loaded(opened);
    hps_storage_close(replayed);
    hps_storage_close(opened);
    return from;
}

/* ---- the tests --------------------------------------------------------------------- */

static void test_snapshot_state_equals_replay(void **state)
{
    (void)state;
    const char *path = journal_with_snapshot();
    long log_size = file_size(path);
    assert_int_equal(open_and_compare(path), (uint64_t)log_size);

    /* The counters behind the state too: the same next operations on a replayed copy of
     * the journal and a copy opened from the snapshot give the same answers. */
    char copy[4400], copy_snap[4500];
    snprintf(copy, sizeof copy, "%s.copy", path);
    snprintf(copy_snap, sizeof copy_snap, "%s.snapshot", copy);
    copy_file(path, copy);
    copy_file(snap_of(path), copy_snap);
    assert_int_equal(unlink(snap_of(path)), 0);
    hps_storage *replayed = open_journal(path), *loaded = open_journal(copy);
    hps_journal_snapshot_every(replayed, 0);
    hps_journal_snapshot_every(loaded, 0);
    assert_same_state(replayed, loaded);
    assert_int_equal(hps_journal_snapshot_loaded(replayed), 0);
    assert_int_equal(hps_journal_snapshot_loaded(loaded), (uint64_t)log_size);
    assert_same_future(replayed, loaded);
    hps_storage_close(replayed);
    hps_storage_close(loaded);
}

static void test_only_the_tail_is_replayed(void **state)
{
    (void)state;
    const char *path = journal_with_snapshot();
    long covered = file_size(path);
    hps_storage *s = open_journal(path);
    hps_journal_snapshot_every(s, 0);
    int64_t t = create(s, 2, 0, "tail");
    set_params(s, t);
    finish(s, t, HPS_COMPLETE, 0, NULL, NULL);
    hps_storage_close(s);
    assert_true(file_size(path) > covered);
    assert_int_equal(open_and_compare(path), (uint64_t)covered);
}

/* Each way a snapshot can be unusable: the log is replayed, with the same result. */
static void test_bad_snapshots_are_ignored(void **state)
{
    (void)state;
    for (int kind = 0; kind < 6; kind++) {
        const char *path = journal_with_snapshot();
        long size;
        unsigned char *buf = slurp(snap_of(path), &size);
        switch (kind) {
        case 0: /* missing */
            assert_int_equal(unlink(snap_of(path)), 0);
            break;
        case 1: /* torn: a writer died (the rename makes that unlikely; a copy may not) */
            spill(snap_of(path), buf, size / 2);
            break;
        case 2: /* a byte of the body changed */
            buf[size / 2] ^= 0x10;
            spill(snap_of(path), buf, size);
            break;
        case 3: /* a newer format version */
            put_le(buf + 8, SNAPSHOT_VERSION + 1, 4);
            reseal(buf, size);
            spill(snap_of(path), buf, size);
            break;
        case 4: /* covers more than the log holds */
            put_le(buf + 16, (uint64_t)file_size(path) + 100, 8);
            reseal(buf, size);
            spill(snap_of(path), buf, size);
            break;
        case 5: /* not a snapshot at all */
            spill(snap_of(path), (const unsigned char *)"hello\n", 6);
            break;
        }
        free(buf);
        if (open_and_compare(path) != 0)
            fail_msg("bad snapshot %d was loaded", kind);
    }
}

/* The log deleted and begun again, as long as before: the old snapshot's offset lies
 * inside the new log, but the record there is another. */
static void test_snapshot_of_a_deleted_log_is_ignored(void **state)
{
    (void)state;
    const char *path = journal_with_snapshot();
    long old_size = file_size(path);
    assert_int_equal(unlink(path), 0);
    hps_storage *s = open_journal(path);
    hps_journal_snapshot_every(s, 0);
    int64_t st = new_study(s, "new", 1);
    while (file_size(path) < old_size + 2000) {
        int64_t t = create(s, st, 0, "again");
        finish(s, t, HPS_COMPLETE, 0, NULL, NULL);
    }
    hps_storage_close(s);
    assert_int_equal(open_and_compare(path), 0);
}

/* Processes writing snapshots of one log at once replace each other's whole files;
 * no temporary file is left behind. */
static void test_concurrent_snapshot_writers(void **state)
{
    (void)state;
    const char *path = journal_with_snapshot();
    pid_t kids[4];
    for (int k = 0; k < 4; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            int bad = 0;
            for (int i = 0; i < 20; i++) {
                hps_storage *s = open_journal(path);
                hps_journal_snapshot_every(s, 0);
                bad |= hps_journal_snapshot_now(s) != HPS_OK;
                hps_storage_close(s);
            }
            _exit(bad);
        }
    }
    for (int i = 0; i < 20; i++) {
        hps_storage *s = open_journal(path);
        hps_journal_snapshot_every(s, 0);
        hps_study_info info = {0};
        ASSERT_OK(s->ops->open_study(s, "s", HPS_OPEN_LOAD, NULL, 0, &info));
        hps_study_info_clear(&info);
        hps_storage_close(s);
    }
    for (int k = 0; k < 4; k++) {
        int status;
        assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    assert_int_equal(open_and_compare(path), (uint64_t)file_size(path));
    DIR *dir = opendir(testutil_tmpdir());
    assert_non_null(dir);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL)
        if (strstr(e->d_name, ".snapshot.tmp") != NULL)
            fail_msg("temporary file %s left behind", e->d_name);
    closedir(dir);
}

/* A handle writes a snapshot on its own once the tail is long enough, not before. */
static void test_snapshots_are_written_now_and_then(void **state)
{
    (void)state;
    const char *path = new_path();
    hps_storage *s = open_journal(path);
    hps_journal_snapshot_every(s, 4000);
    int64_t st = new_study(s, "s", 1);
    assert_true(file_size(snap_of(path)) < 0);
    while (file_size(snap_of(path)) < 0) {
        int64_t t = create(s, st, 0, "w");
        finish(s, t, HPS_COMPLETE, 0, NULL, NULL);
        assert_true(file_size(path) < 4000 + 1000); /* written once past 4000 bytes */
    }
    assert_true(file_size(path) >= 4000);
    hps_storage_close(s);
    uint64_t from = open_and_compare(path);
    assert_true(from >= 4000 && from <= (uint64_t)file_size(path));
}

typedef struct tally {
    size_t n, complete;
    int seen[256]; /* by trial number */
} tally;

static int count_complete(void *user, hps_frozen *rec)
{
    tally *t = user;
    t->n++;
    t->complete += rec->state == HPS_COMPLETE;
    if (rec->number >= 0 && rec->number < 256)
        t->seen[rec->number]++;
    hps_rec_free(rec);
    return 0;
}

/* Worker processes share a study while snapshots are written and loaded under them:
 * each writes with a small snapshot interval and reopens its handle now and then (so
 * it starts from whatever snapshot is there). The budget holds exactly, and the end
 * state opened from the snapshot equals the replay. */
static void test_workers_with_snapshots(void **state)
{
    (void)state;
    const char *path = new_path();
    hps_storage *s = open_journal(path);
    int64_t st = new_study(s, "s", 1);
    hps_storage_close(s);
    enum { WORKERS = 4, BUDGET = 120 };
    pid_t kids[WORKERS];
    for (int k = 0; k < WORKERS; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] != 0)
            continue;
        int done = 0, bad = 0;
        while (!done && !bad) {
            hps_storage *w = open_journal(path);
            hps_journal_snapshot_every(w, 3000);
            for (int i = 0; i < 10 && !done && !bad; i++) {
                hps_create_req req = {.max_trials = BUDGET, .worker = "w", .now = NOW};
                hps_frozen *rec = NULL;
                hps_status rc = w->ops->create_trial(w, st, &req, &rec);
                if (rc == HPS_DONE) {
                    done = 1;
                    break;
                }
                double v = (double)k;
                hps_finish_req fin = {.state = HPS_COMPLETE, .values = &v, .n_values = 1,
                                      .now = NOW + 1};
                bad = rc != HPS_OK || w->ops->finish_trial(w, rec->id, &fin) != HPS_OK;
                hps_rec_free(rec);
            }
            hps_storage_close(w);
        }
        _exit(bad);
    }
    for (int k = 0; k < WORKERS; k++) {
        int status;
        assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    assert_true(file_size(snap_of(path)) > 0);
    assert_true(open_and_compare(path) > 0);
    s = open_journal(path);
    tally t = {0};
    int64_t seq;
    ASSERT_OK(s->ops->sync(s, st, 0, count_complete, &t, &seq));
    hps_storage_close(s);
    assert_int_equal(t.n, BUDGET);
    assert_int_equal(t.complete, BUDGET);
    for (int i = 0; i < BUDGET; i++)
        assert_int_equal(t.seen[i], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_state_equals_replay),
        cmocka_unit_test(test_only_the_tail_is_replayed),
        cmocka_unit_test(test_bad_snapshots_are_ignored),
        cmocka_unit_test(test_snapshot_of_a_deleted_log_is_ignored),
        cmocka_unit_test(test_concurrent_snapshot_writers),
        cmocka_unit_test(test_snapshots_are_written_now_and_then),
        cmocka_unit_test(test_workers_with_snapshots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
