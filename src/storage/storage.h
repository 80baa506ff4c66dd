/* storage.h -- the storage interface every backend implements (memory, sqlite, ...).
 *
 * A backend is a struct of function pointers (hps_storage_ops) plus its own state,
 * which embeds `hps_storage` as its first member. All backends pass the same
 * conformance suite (tests/unit/test_storage_conformance.c).
 *
 * Invariants every backend keeps, whatever process dies when:
 *   - trial numbers of a study are 0, 1, 2, ... with no gap and no duplicate;
 *   - each write is one transaction: a trial is created with its number, budget count
 *     and grid cell at once, and finished with its state, values and any re-queued
 *     copy at once;
 *   - every change to a trial gives it a new, larger change_seq from the study's
 *     counter, so `sync` can return exactly the trials changed since a point.
 * Errors return a status and leave a message in `storage->err`. */
#ifndef HPS_STORAGE_H
#define HPS_STORAGE_H

#include "base/errbuf.h"
#include "base/trial_rec.h"
#include "hpsearch.h"

typedef struct hps_storage hps_storage;

typedef struct hps_study_info {
    int64_t study_id;
    char *name;
    hps_direction *directions;
    size_t n_directions;
    double created;
} hps_study_info;

void hps_study_info_clear(hps_study_info *info);

/* What `create_trial` should do. */
typedef struct hps_create_req {
    uint64_t max_trials;  /* 0 = no budget; else HPS_DONE once the counted trials reach it */
    uint64_t grid_cells;  /* 0 = not a grid study; else claim a grid position < grid_cells:
                             the smallest released one, else the next never handed out
                             that no trial holds (see claim_position) */
    const char *worker;   /* who runs it */
    double now;           /* start time */
    int with_heartbeat;   /* set the heartbeat to `now` (enables stale detection) */
} hps_create_req;

/* How `finish_trial` ends a trial. The trial must be RUNNING (else HPS_ERR_STATE). */
typedef struct hps_finish_req {
    hps_trial_state state;      /* COMPLETE, PRUNED or FAIL; or PAUSED, which takes no
                                   value and leaves datetime_complete unset (0) */
    const double *values;       /* COMPLETE / PRUNED: n_values values */
    size_t n_values;
    int interrupted;            /* FAIL only: not the trial's fault; frees its grid cell
                                   and uncounts it from the budget */
    const char *fail_reason;    /* FAIL only, may be NULL: kept as system attr fail_reason */
    double now;
    double stale_before;        /* > 0: only if the heartbeat is older than this (else
                                   HPS_ERR_STATE); guards stale recovery against races */
    /* Non-NULL: only if the trial's worker is still this one (else HPS_ERR_STATE, see
     * hps_storage_check_owner), checked in the same transaction as the state. A worker
     * whose trial was recovered as stale -- and perhaps resumed by another worker, which
     * makes it RUNNING again under the same id -- must not finish or pause the run the
     * other worker now owns. NULL: no check (trials nobody runs, e.g. added ones). */
    const char *owner;
    /* Non-NULL: in the same transaction, enqueue a WAITING copy with the same params,
     * grid position and fixed params, whose system attributes are this JSON object. */
    const char *requeue_system_attrs;
} hps_finish_req;

typedef struct hps_running_info {
    int64_t trial_id;
    int64_t number;
    double heartbeat;  /* 0 when the trial has none */
    char *worker;
    char *system_attrs; /* JSON text */
} hps_running_info;

void hps_running_info_free(hps_running_info *items, size_t n);

/* Receives one changed trial during sync; takes ownership of `rec`. Non-zero aborts. */
typedef int (*hps_sync_fn)(void *user, hps_frozen *rec);

typedef struct hps_storage_ops {
    const char *name;
    void (*close)(hps_storage *s);
    /* Finds (HPS_OPEN_LOAD) or creates (HPS_OPEN_CREATE) a study; fills `info`. */
    hps_status (*open_study)(hps_storage *s, const char *name, unsigned flags,
                             const hps_direction *dirs, size_t n_dirs, hps_study_info *info);
    hps_status (*delete_study)(hps_storage *s, const char *name);
    hps_status (*list_studies)(hps_storage *s, hps_study_info **out, size_t *n_out);
    /* Study attribute `key` (system or user) set to JSON text. */
    hps_status (*set_study_attr)(hps_storage *s, int64_t study_id, int system, const char *key,
                                 const char *json);
    /* Sets a study system attribute only if absent; *current_out (caller frees) receives
     * the value in storage afterwards, whoever wrote it. Atomic across processes. */
    hps_status (*set_study_attr_once)(hps_storage *s, int64_t study_id, const char *key,
                                      const char *json, char **current_out);
    hps_status (*get_study_attrs)(hps_storage *s, int64_t study_id, int system, char **json_out);
    /* Pops the oldest WAITING trial (making it RUNNING) or creates a new RUNNING one,
     * honouring the budget and grid; *out is the full record. HPS_DONE when nothing is
     * left. */
    hps_status (*create_trial)(hps_storage *s, int64_t study_id, const hps_create_req *req,
                               hps_frozen **out);
    /* Adds a WAITING trial with the given system attributes (JSON object text) and
     * counts it against the budget. */
    hps_status (*enqueue_trial)(hps_storage *s, int64_t study_id, const char *system_attrs,
                                int64_t *number_out);
    /* Makes WAITING trial `trial_id` RUNNING as of `now`, with no worker and no
     * heartbeat (it is nobody's to run: hps_study_add_trial fills it and finishes it, in
     * the same batch). HPS_ERR_STATE when it is not WAITING. */
    hps_status (*start_trial)(hps_storage *s, int64_t trial_id, double now);
    /* Makes PAUSED trial `trial_id` RUNNING again for req->worker as of req->now (with a
     * heartbeat when req->with_heartbeat; budget and grid do not apply, it counts
     * already), keeping its number, start time, parameters and intermediate values;
     * *out is the full record. HPS_ERR_STATE when it is not PAUSED -- another worker
     * resumed it first: one resume per pause, across all workers. */
    hps_status (*resume_trial)(hps_storage *s, int64_t trial_id, const hps_create_req *req,
                               hps_frozen **out);
    /* Stores parameters of a RUNNING trial, appended after those already stored.
     * `owner` as in hps_finish_req: a stale worker's leftover parameters must not land
     * in a trial another worker took over. */
    hps_status (*set_params)(hps_storage *s, int64_t trial_id, const char *owner,
                             const hps_param_rec *params, size_t n_params);
    /* Stores the intermediate values of a step: values[0..n), one per objective
     * (1 <= n <= HPS_REC_MAX_INTER_VALUES); an existing step keeps its first values.
     * `owner` as in hps_finish_req: a stale worker must not claim steps of the curve
     * the worker that took the trial over is drawing. */
    hps_status (*report)(hps_storage *s, int64_t trial_id, const char *owner, int64_t step,
                         const double *values, size_t n);
    /* Sets one attribute of a trial in any state, when `owner` is NULL. Non-NULL (a
     * worker writing while it runs the trial), the trial must be RUNNING and that
     * worker's, as for report: a stale worker must not write into a run another worker
     * took over, nor into the trial stale recovery failed or paused. */
    hps_status (*set_trial_attr)(hps_storage *s, int64_t trial_id, const char *owner, int system,
                                 const char *key, const char *json);
    hps_status (*finish_trial)(hps_storage *s, int64_t trial_id, const hps_finish_req *req);
    /* Refreshes the heartbeat of trial_ids[i] to `now` when it is RUNNING as owners[i]'s
     * (any RUNNING trial when owners[i] is NULL), in one write. A stale worker's beat
     * must not keep a run another worker took over looking alive (nor hide that worker's
     * death), so the check is in the same update as the write. refused[i] (refused may
     * be NULL) says whether trial_ids[i] was left alone: not RUNNING (finished, failed
     * or paused by stale recovery), or another worker's; it is meaningful only when the
     * call returns HPS_OK. A refusal is no error. */
    hps_status (*heartbeat)(hps_storage *s, const int64_t *trial_ids, const char *const *owners,
                            size_t n, double now, unsigned char *refused);
    hps_status (*list_running)(hps_storage *s, int64_t study_id, hps_running_info **out,
                               size_t *n_out);
    /* Calls fn for every trial whose change_seq > since; *seq_out is the study's
     * counter at the time of the read (the next `since`). */
    hps_status (*sync)(hps_storage *s, int64_t study_id, int64_t since, hps_sync_fn fn,
                       void *user, int64_t *seq_out);
    /* Groups the writes between them into one transaction (not nested). batch_end
     * commits, or rolls everything back when `commit` is 0 or any write inside failed
     * (then it returns that failure). A write inside a batch may report its own failure
     * only at batch_end (PostgreSQL sends the batch's writes together), so callers must
     * take batch_end's status. Backends without transactions may do nothing. */
    hps_status (*batch_begin)(hps_storage *s);
    hps_status (*batch_end)(hps_storage *s, int commit);
    /* Study id and trial id of trial `number` of a study. */
    hps_status (*find_trial)(hps_storage *s, int64_t study_id, int64_t number, int64_t *trial_id);
    /* Gives RUNNING trial `trial_id` the first position in [first, first + count) that no
     * trial of the study holds -- a trial holds its position unless it was interrupted --
     * and sets *pos_out to it. A trial that already holds a position in the range keeps
     * it (so a retried call is harmless). HPS_ERR_EXISTS when every position of the range
     * is held. A released position claimed here leaves the free list, and grid claims in
     * create_trial skip positions held this way: one position, one live trial. */
    hps_status (*claim_position)(hps_storage *s, int64_t study_id, int64_t trial_id,
                                 int64_t first, uint64_t count, int64_t *pos_out);
} hps_storage_ops;

struct hps_storage {
    const hps_storage_ops *ops;
    hps_errbuf err;
    int persistent; /* data outlives the process: heartbeats and stale recovery matter */
    int rolls_back; /* a batch that fails leaves nothing of itself (memory's keeps what
                       it wrote before the failure) */
};

/* Whether opening may create the storage's database: an SQLite file, hpsearch's tables.
 * Only what creates a study does; everything else finds no database (HPS_ERR_NOTFOUND)
 * and writes nothing. Neither mode changes a database that is not hpsearch's. */
typedef enum hps_storage_mode {
    HPS_STORAGE_EXISTING, /* the database must be there already */
    HPS_STORAGE_CREATE    /* create the database if there is none */
} hps_storage_mode;

/* Opens a storage from its URL: ":memory:" (also "sqlite::memory:"), "sqlite:PATH",
 * "sqlite:///PATH" (Optuna's form), "journal:PATH", "postgresql://..." / "postgres://...". Unknown schemes are HPS_ERR_INVALID
 * naming the accepted forms. */
hps_status hps_storage_open(const char *url, hps_storage_mode mode, hps_storage **out,
                            hps_errbuf *err);
void hps_storage_close(hps_storage *s);

/* Backend constructors. */
hps_status hps_memory_storage_open(hps_storage **out, hps_errbuf *err);
/* The memory storage's whole state, for the journal's snapshots (snapshot.h): encode
 * appends it to `out` (out->failed on out of memory); decode makes a new memory
 * storage of what encode wrote, HPS_ERR_CORRUPT when the bytes are not that (the
 * journal then replays its log instead), HPS_ERR_NOMEM. */
struct snap_out;
struct snap_in;
void hps_memory_encode(hps_storage *s, struct snap_out *out);
hps_status hps_memory_decode(struct snap_in *in, hps_storage **out);
/* Sets a memory study's creation time: the journal replays the recorded one. */
hps_status hps_memory_set_created(hps_storage *s, int64_t study_id, double created);
/* Before anything is written, the file is read: it must be absent or empty (then only
 * HPS_STORAGE_CREATE makes a database of it), or an hpsearch database of this schema
 * version. Anything else (not SQLite, another program's tables, a newer schema) is an
 * error naming what it is, and the file, its journal mode and its -wal/-shm files are
 * left as they were. */
hps_status hps_sqlite_storage_open(const char *path, hps_storage_mode mode, hps_storage **out,
                                   hps_errbuf *err);

/* The journal storage (journal.c): the file must be absent or empty (then only
 * HPS_STORAGE_CREATE lets the first write create it) or an hpsearch journal of this
 * format version; anything else is an error naming what it is, and is left alone. The
 * lock file PATH.lock is made beside it while a process writes. */
hps_status hps_journal_storage_open(const char *path, hps_storage_mode mode, hps_storage **out,
                                    hps_errbuf *err);

/* The journal's snapshots (PATH.snapshot, see snapshot.h), for tests and benchmarks;
 * `s` must be a journal storage (else HPS_ERR_INVALID / 0 / nothing).
 * snapshot_now: catches up with the log and writes a snapshot of that state.
 * snapshot_loaded: the log offset of the snapshot the handle's state started from, 0
 * when it replayed the whole log. snapshot_every: write one automatically once the
 * state is `min_tail` bytes of log past the newest snapshot (or an eighth of the log,
 * if more); 0 never. */
hps_status hps_journal_snapshot_now(hps_storage *s);
uint64_t hps_journal_snapshot_loaded(hps_storage *s);
void hps_journal_snapshot_every(hps_storage *s, uint64_t min_tail);

/* Fault injection, for tests (faulty.c). While enabled, every storage this thread
 * opens is wrapped so that hps_storage_fail_after(k) makes its k-th call (1-based,
 * counted from then, over all wrapped storages of the thread) and every later one fail
 * with HPS_ERR_STORAGE; k = 0 disarms. hps_storage_fail_after returns how many calls
 * were made since the last call to it. Enabling resets the count and disarms. */
void hps_storage_faults_enable(int on);
int hps_storage_faults_enabled(void);
unsigned long hps_storage_fail_after(unsigned long k);
/* Wraps `inner` (taking ownership, closing it on failure). */
hps_status hps_storage_wrap_faulty(hps_storage *inner, hps_storage **out, hps_errbuf *err);

/* The ownership check of finish_trial and report (req->owner): HPS_OK when `owner` is
 * NULL or names `current`, the worker recorded in trial `number`; else HPS_ERR_STATE
 * with a message on `err` saying that another worker (or none) took the trial over. */
hps_status hps_storage_check_owner(hps_errbuf *err, int64_t number, const char *owner,
                                   const char *current);

/* Current time in seconds since the Unix epoch. */
double hps_now(void);

#endif
