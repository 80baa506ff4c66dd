/* journal.c -- the journal storage backend ("journal:PATH"): the storage as an
 * append-only log of its write operations, in a file that several processes on several
 * machines share through the filesystem (NFS, Lustre), with no server.
 *
 * Each handle keeps a replica: a memory storage (memory.c) to which it applies the
 * log's records in order. Every write takes the lock file, first applies the records
 * other writers appended since (so the replica is the whole log), then applies its own
 * operation to the replica -- which decides trial numbers, budget and grid claims
 * exactly as the memory backend does -- and appends the operation only if it succeeded.
 * Replaying runs the same code on the same records in the same order, so every replica
 * reaches the same decisions, ids and change counters: `sync` is the replica's.
 * Readers need no lock: they apply whatever complete records have appeared since the
 * byte offset they reached.
 *
 * A record is one JSON object {"op": ..., ...} framed by journal_file.c; a batch is
 * one record holding its operations, so it is all or nothing after a crash. Should the
 * replica ever differ from the log (out of memory half-way through an operation, an
 * append that failed, a batch rolled back), it is dropped and rebuilt from the log.
 *
 * Snapshots (snapshot.h) spare a long log's readers most of the replay: a handle whose
 * replica starts empty first loads PATH.snapshot, if it checks out, and replays only
 * the records after the offset it covers; a handle whose replica is ahead of the newest
 * snapshot it knows by a large enough tail writes a new one, outside the lock. */
#include "base/dist.h"
#include "base/mem.h"
#include "storage/journal_file.h"
#include "storage/snapshot.h"
#include "storage/storage.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define JOURNAL_FORMAT "hpsearch-journal"
#define JOURNAL_VERSION 1
#define JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(17))
/* A snapshot is written once the replica is this many bytes of log past the newest
 * snapshot known, or an eighth of what that one covers if that is more: replaying
 * 4 MiB takes about a tenth of a second, and growing the interval with the log keeps
 * the bytes written in snapshots over a study's life a small multiple of the last one
 * (each snapshot holds the whole state, so a fixed interval would cost time quadratic
 * in the log). */
#define SNAPSHOT_MIN_TAIL ((uint64_t)4 << 20)
#define SNAPSHOT_TAIL_SHARE 8

typedef struct journal_store {
    hps_storage base;
    char *path, *lock_path, *snap_path;
    hps_storage *replica; /* the state of the log up to `offset` */
    uint64_t offset;      /* bytes of the log applied to the replica */
    snapshot_tie last;    /* the record ending at `offset`, which a snapshot names */
    uint64_t snap_offset; /* the newest snapshot this handle knows (loaded, seen, written) */
    uint64_t loaded_from; /* the snapshot the replica started from; 0: the whole log */
    uint64_t snap_min_tail; /* see SNAPSHOT_MIN_TAIL; 0: never write one */
    double snap_jitter;   /* this handle's extra share of the tail, in [0, 0.5) */
    uint64_t good_end;    /* where the next record goes (set while locked) */
    int dirty;            /* the replica is not the log's: rebuild before use */
    int locked;
    int in_batch;
    hps_status batch_status; /* first failure inside the batch */
    json_t *pending;         /* the batch's operations, applied but not yet written */
} journal_store;

/* What an operation hands back to its caller (NULL members: nothing wanted). */
typedef struct op_out {
    hps_study_info *info;
    hps_frozen **trial;
    int64_t *number;
    int64_t *pos;
    char **current;
    unsigned char *refused; /* heartbeat: which trials it left alone */
} op_out;

static journal_store *journal_of(hps_storage *s)
{
    return (journal_store *)s;
}

static hps_status nomem(journal_store *j)
{
    return hps_errbuf_set(&j->base.err, HPS_ERR_NOMEM, "out of memory");
}

/* The replica's failure, as this handle's. */
static hps_status replica_error(journal_store *j, hps_status rc)
{
    return hps_errbuf_set(&j->base.err, rc, "%s", hps_errbuf_text(&j->replica->err));
}

/* ---- JSON fields -------------------------------------------------------------------- */

/* JSON has no NaN or infinities; they are kept as strings. */
static json_t *num(double x)
{
    if (isfinite(x))
        return json_real(x);
    return json_string(isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
}

static double get_num(const json_t *rec, const char *key)
{
    const json_t *v = json_object_get(rec, key);
    if (json_is_string(v))
        return strtod(json_string_value(v), NULL);
    return json_number_value(v);
}

static int64_t get_int(const json_t *rec, const char *key)
{
    return (int64_t)json_integer_value(json_object_get(rec, key));
}

/* Budgets and grid sizes are unsigned 64-bit; those past JSON's integers as text. */
static json_t *u64(uint64_t x)
{
    if (x <= INT64_MAX)
        return json_integer((json_int_t)x);
    char text[24];
    snprintf(text, sizeof text, "%" PRIu64, x);
    return json_string(text);
}

static uint64_t get_u64(const json_t *rec, const char *key)
{
    const json_t *v = json_object_get(rec, key);
    if (json_is_string(v))
        return strtoull(json_string_value(v), NULL, 10);
    return (uint64_t)json_integer_value(v);
}

/* NULL when absent or null. */
static const char *get_str(const json_t *rec, const char *key)
{
    return json_string_value(json_object_get(rec, key));
}

static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* ---- applying a record to the replica ---------------------------------------------- */

static hps_status apply(journal_store *j, const json_t *rec, const op_out *out);

static hps_status apply_study(journal_store *j, const json_t *rec, const op_out *out)
{
    const json_t *dirs_node = json_object_get(rec, "dirs");
    size_t n = json_array_size(dirs_node);
    hps_direction dirs[64];
    if (n == 0 || n > sizeof dirs / sizeof dirs[0])
        return HPS_ERR_CORRUPT;
    for (size_t i = 0; i < n; i++)
        dirs[i] = json_integer_value(json_array_get(dirs_node, i)) == 1 ? HPS_MAXIMIZE
                                                                          : HPS_MINIMIZE;
    hps_study_info info = {0};
    hps_status rc = j->replica->ops->open_study(j->replica, get_str(rec, "name"), HPS_OPEN_CREATE,
                                                dirs, n, &info);
    if (rc == HPS_OK)
        rc = hps_memory_set_created(j->replica, info.study_id, get_num(rec, "created"));
    if (rc == HPS_OK && out != NULL && out->info != NULL) {
        info.created = get_num(rec, "created");
        *out->info = info;
        return HPS_OK;
    }
    hps_study_info_clear(&info);
    return rc;
}

static hps_status apply_create(journal_store *j, const json_t *rec, const op_out *out)
{
    hps_create_req req = {
        .max_trials = get_u64(rec, "max"),
        .grid_cells = get_u64(rec, "grid"),
        .worker = get_str(rec, "worker"),
        .now = get_num(rec, "now"),
        .with_heartbeat = json_is_true(json_object_get(rec, "hb")),
    };
    hps_frozen *trial = NULL;
    hps_status rc = j->replica->ops->create_trial(j->replica, get_int(rec, "study"), &req, &trial);
    if (rc == HPS_OK && out != NULL && out->trial != NULL)
        *out->trial = trial;
    else
        hps_rec_free(trial);
    return rc;
}

static hps_status apply_resume(journal_store *j, const json_t *rec, const op_out *out)
{
    hps_create_req req = {
        .worker = get_str(rec, "worker"),
        .now = get_num(rec, "now"),
        .with_heartbeat = json_is_true(json_object_get(rec, "hb")),
    };
    hps_frozen *trial = NULL;
    hps_status rc = j->replica->ops->resume_trial(j->replica, get_int(rec, "trial"), &req, &trial);
    if (rc == HPS_OK && out != NULL && out->trial != NULL)
        *out->trial = trial;
    else
        hps_rec_free(trial);
    return rc;
}

static hps_status apply_params(journal_store *j, const json_t *rec)
{
    const json_t *list = json_object_get(rec, "params");
    size_t n = json_array_size(list);
    hps_param_rec *params = hps_mem_calloc(n + 1, sizeof *params);
    if (params == NULL)
        return HPS_ERR_NOMEM;
    hps_status rc = HPS_OK;
    size_t k = 0;
    for (; k < n && rc == HPS_OK; k++) {
        const json_t *p = json_array_get(list, k);
        params[k].name = (char *)get_str(p, "name");
        params[k].internal = get_num(p, "v");
        rc = hps_dist_from_json_node(&params[k].dist, params[k].name != NULL ? params[k].name : "?",
                                     json_object_get(p, "dist"), &j->replica->err);
        if (params[k].name == NULL && rc == HPS_OK)
            rc = HPS_ERR_CORRUPT;
    }
    if (rc == HPS_OK)
        rc = j->replica->ops->set_params(j->replica, get_int(rec, "trial"), get_str(rec, "owner"),
                                         params, n);
    for (size_t i = 0; i < k; i++)
        hps_dist_clear(&params[i].dist);
    hps_mem_free(params);
    return rc;
}

static hps_status apply_finish(journal_store *j, const json_t *rec)
{
    const json_t *list = json_object_get(rec, "values");
    size_t n = json_array_size(list);
    double *values = hps_mem_calloc(n + 1, sizeof *values);
    if (values == NULL)
        return HPS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(list, i);
        values[i] = json_is_string(v) ? strtod(json_string_value(v), NULL) : json_number_value(v);
    }
    hps_finish_req req = {
        .state = (hps_trial_state)get_int(rec, "state"),
        .values = values,
        .n_values = n,
        .interrupted = json_is_true(json_object_get(rec, "interrupted")),
        .fail_reason = get_str(rec, "reason"),
        .now = get_num(rec, "now"),
        .stale_before = get_num(rec, "stale_before"),
        .requeue_system_attrs = get_str(rec, "requeue"),
        .owner = get_str(rec, "owner"),
    };
    hps_status rc = j->replica->ops->finish_trial(j->replica, get_int(rec, "trial"), &req);
    hps_mem_free(values);
    return rc;
}

/* "value" is the first objective's; "more", when there, the other objectives' (an
 * older journal has none, and an older hpsearch reads the first value alone). */
static hps_status apply_report(journal_store *j, const json_t *rec)
{
    double values[HPS_REC_MAX_INTER_VALUES];
    const json_t *more = json_object_get(rec, "more");
    size_t n = 1 + json_array_size(more);
    if (n > HPS_REC_MAX_INTER_VALUES)
        return HPS_ERR_CORRUPT;
    values[0] = get_num(rec, "value");
    for (size_t i = 1; i < n; i++) {
        const json_t *v = json_array_get(more, i - 1);
        values[i] = json_is_string(v) ? strtod(json_string_value(v), NULL) : json_number_value(v);
    }
    return j->replica->ops->report(j->replica, get_int(rec, "trial"), get_str(rec, "owner"),
                                   get_int(rec, "step"), values, n);
}

/* "owners", when there, names the worker each beat is for (null: any); an older
 * journal has none, and an older hpsearch beats unchecked. */
static hps_status apply_heartbeat(journal_store *j, const json_t *rec, const op_out *out)
{
    const json_t *list = json_object_get(rec, "trials");
    const json_t *owner_list = json_object_get(rec, "owners");
    size_t n = json_array_size(list);
    int64_t *ids = hps_mem_calloc(n + 1, sizeof *ids);
    const char **owners = hps_mem_calloc(n + 1, sizeof *owners);
    if (ids == NULL || owners == NULL) {
        hps_mem_free(ids);
        hps_mem_free(owners);
        return HPS_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        ids[i] = (int64_t)json_integer_value(json_array_get(list, i));
        owners[i] = json_string_value(json_array_get(owner_list, i)); /* NULL when absent */
    }
    hps_status rc = j->replica->ops->heartbeat(j->replica, ids, owners, n, get_num(rec, "now"),
                                               out != NULL ? out->refused : NULL);
    hps_mem_free(ids);
    hps_mem_free(owners);
    return rc;
}

static hps_status apply_batch(journal_store *j, const json_t *rec)
{
    const json_t *ops = json_object_get(rec, "ops");
    for (size_t i = 0; i < json_array_size(ops); i++) {
        hps_status rc = apply(j, json_array_get(ops, i), NULL);
        if (rc == HPS_ERR_NOMEM)
            return rc;
    }
    return HPS_OK;
}

/* Applies one operation to the replica, with the memory backend's checks: a writer
 * appends it only when this returned HPS_OK, so a replayed record fails only where it
 * failed for every replica alike. */
static hps_status apply(journal_store *j, const json_t *rec, const op_out *out)
{
    hps_storage *r = j->replica;
    const char *op = get_str(rec, "op");
    if (op == NULL)
        return HPS_ERR_CORRUPT;
    int sys = json_is_true(json_object_get(rec, "sys"));
    if (strcmp(op, "study") == 0)
        return apply_study(j, rec, out);
    if (strcmp(op, "delete") == 0)
        return r->ops->delete_study(r, get_str(rec, "name"));
    if (strcmp(op, "study_attr") == 0)
        return r->ops->set_study_attr(r, get_int(rec, "study"), sys, get_str(rec, "key"),
                                      get_str(rec, "json"));
    if (strcmp(op, "study_attr_once") == 0) {
        char *current = NULL;
        hps_status rc = r->ops->set_study_attr_once(r, get_int(rec, "study"), get_str(rec, "key"),
                                                    get_str(rec, "json"), &current);
        if (rc == HPS_OK && out != NULL && out->current != NULL)
            *out->current = current;
        else
            hps_mem_free(current);
        return rc;
    }
    if (strcmp(op, "create") == 0)
        return apply_create(j, rec, out);
    if (strcmp(op, "enqueue") == 0)
        return r->ops->enqueue_trial(r, get_int(rec, "study"), get_str(rec, "attrs"),
                                     out != NULL ? out->number : NULL);
    if (strcmp(op, "start") == 0)
        return r->ops->start_trial(r, get_int(rec, "trial"), get_num(rec, "now"));
    if (strcmp(op, "resume") == 0)
        return apply_resume(j, rec, out);
    if (strcmp(op, "params") == 0)
        return apply_params(j, rec);
    if (strcmp(op, "report") == 0)
        return apply_report(j, rec);
    if (strcmp(op, "trial_attr") == 0)
        return r->ops->set_trial_attr(r, get_int(rec, "trial"), get_str(rec, "owner"), sys,
                                      get_str(rec, "key"), get_str(rec, "json"));
    if (strcmp(op, "finish") == 0)
        return apply_finish(j, rec);
    if (strcmp(op, "heartbeat") == 0)
        return apply_heartbeat(j, rec, out);
    if (strcmp(op, "claim") == 0) {
        int64_t pos = 0;
        hps_status rc = r->ops->claim_position(r, get_int(rec, "study"), get_int(rec, "trial"),
                                               get_int(rec, "first"), get_u64(rec, "count"), &pos);
        if (rc == HPS_OK && out != NULL && out->pos != NULL)
            *out->pos = pos;
        return rc;
    }
    if (strcmp(op, "batch") == 0)
        return apply_batch(j, rec);
    if (strcmp(op, JOURNAL_FORMAT) == 0)
        return HPS_OK; /* the header, checked when the file was opened */
    return HPS_ERR_CORRUPT;
}

/* ---- keeping the replica level with the log ------------------------------------------ */

static hps_status rebuild(journal_store *j)
{
    hps_storage *fresh = NULL;
    hps_errbuf ignored;
    if (hps_memory_storage_open(&fresh, &ignored) != HPS_OK)
        return nomem(j);
    hps_storage_close(j->replica);
    j->replica = fresh;
    j->offset = 0;
    j->last = (snapshot_tie){0};
    j->loaded_from = 0;
    j->dirty = 0;
    return HPS_OK;
}

static hps_status on_record(void *user, const char *payload, size_t len, uint32_t crc,
                            uint64_t end)
{
    journal_store *j = user;
    json_t *rec = json_loadb(payload, len, 0, NULL);
    hps_status rc = rec != NULL ? apply(j, rec, NULL) : HPS_OK;
    json_decref(rec);
    if (rc == HPS_ERR_NOMEM) {
        j->dirty = 1; /* maybe applied in part */
        return nomem(j);
    }
    /* Any other failure failed for every replica alike: the record changed nothing. */
    j->offset = end;
    j->last = (snapshot_tie){.offset = end, .line_len = (uint32_t)(8 + 1 + len + 1), .crc = crc};
    return HPS_OK;
}

/* Replaces the empty replica by the snapshot's state when PATH.snapshot checks out;
 * anything wrong with it leaves the replica empty, to be replayed from the start. */
static void load_snapshot(journal_store *j)
{
    unsigned char *data = NULL;
    snap_in body;
    snapshot_tie tie;
    if (!snapshot_read(j->snap_path, j->path, &data, &body, &tie))
        return;
    hps_storage *loaded = NULL;
    if (hps_memory_decode(&body, &loaded) == HPS_OK) {
        hps_storage_close(j->replica);
        j->replica = loaded;
        j->offset = tie.offset;
        j->last = tie;
        j->loaded_from = tie.offset;
        if (j->snap_offset < tie.offset)
            j->snap_offset = tie.offset;
    }
    hps_mem_free(data);
}

static hps_status write_snapshot(journal_store *j)
{
    snap_out body = {0};
    hps_memory_encode(j->replica, &body);
    hps_status rc = snapshot_write(j->snap_path, &j->last, &body, &j->base.err);
    hps_mem_free(body.data);
    return rc;
}

/* Writes a snapshot when the replica, level with the log up to `offset`, is far enough
 * past the newest one known. Only outside the lock (writing one takes as long as
 * encoding the whole state) and outside a batch (the replica then holds operations
 * the log does not). Each handle waits for a slightly different tail (snap_jitter), so
 * that of several workers level with the log one writes first and the others, peeking
 * at the file's header, see its snapshot and skip theirs. A failure (a read-only
 * directory, a full disk) is not the caller's: the snapshot only saves time, and this
 * handle does not try again until the next interval. */
static void maybe_snapshot(journal_store *j)
{
    if (j->snap_min_tail == 0 || j->locked || j->dirty || j->offset == 0 ||
        j->last.offset != j->offset)
        return;
    uint64_t tail = j->snap_offset / SNAPSHOT_TAIL_SHARE;
    if (tail < j->snap_min_tail)
        tail = j->snap_min_tail;
    tail += (uint64_t)((double)tail * j->snap_jitter);
    if (j->offset <= j->snap_offset || j->offset - j->snap_offset < tail)
        return;
    uint64_t seen = snapshot_peek_offset(j->snap_path);
    if (seen > j->snap_offset) {
        j->snap_offset = seen;
        if (j->offset <= seen || j->offset - seen < tail)
            return;
    }
    hps_errbuf saved = j->base.err;
    write_snapshot(j);
    j->base.err = saved;
    j->snap_offset = j->offset;
}

/* Applies the records appended since the replica's offset. */
static hps_status catch_up(journal_store *j)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (j->dirty) {
            hps_status rc = rebuild(j);
            if (rc != HPS_OK)
                return rc;
        }
        if (j->offset == 0)
            load_snapshot(j);
        uint64_t size = 0, from = j->offset;
        hps_status rc = journal_read(j->path, from, j->locked, on_record, j, &j->good_end,
                                     &size, &j->base.err);
        if (rc != HPS_OK)
            return rc;
        if (size >= from)
            return HPS_OK;
        j->dirty = 1; /* shorter than what was read: the file was replaced; read it anew */
    }
    return hps_errbuf_set(&j->base.err, HPS_ERR_CORRUPT, "journal %s keeps shrinking", j->path);
}

/* ---- writing ------------------------------------------------------------------------ */

static hps_status lock(journal_store *j)
{
    if (j->locked)
        return HPS_OK;
    hps_status rc = journal_lock_acquire(j->lock_path, &j->base.err);
    if (rc != HPS_OK)
        return rc;
    j->locked = 1;
    rc = catch_up(j);
    if (rc != HPS_OK) {
        journal_lock_release(j->lock_path);
        j->locked = 0;
    }
    return rc;
}

static void unlock(journal_store *j)
{
    if (j->locked && !j->in_batch) {
        journal_lock_release(j->lock_path);
        j->locked = 0;
    }
}

static hps_status append_payload(journal_store *j, const json_t *rec)
{
    char *payload = json_dumps(rec, JSON_FLAGS);
    if (payload == NULL)
        return nomem(j);
    size_t len = strlen(payload);
    hps_status rc = journal_append(j->path, j->good_end, payload, len, &j->base.err);
    if (rc == HPS_OK) {
        j->good_end += 8 + 1 + len + 1; /* see journal_file.h for the frame */
        j->last = (snapshot_tie){.offset = j->good_end,
                                 .line_len = (uint32_t)(8 + 1 + len + 1),
                                 .crc = journal_crc32(payload, len)};
    }
    free(payload);
    return rc;
}

/* Writes a record the replica has applied; a new file starts with the header. */
static hps_status append_record(journal_store *j, const json_t *rec)
{
    hps_status rc = HPS_OK;
    if (j->good_end == 0) {
        json_t *header = json_pack("{s:s, s:i}", "op", JOURNAL_FORMAT, "version", JOURNAL_VERSION);
        rc = header != NULL ? append_payload(j, header) : nomem(j);
        json_decref(header);
    }
    if (rc == HPS_OK)
        rc = append_payload(j, rec);
    if (rc != HPS_OK)
        j->dirty = 1; /* the replica has what the log does not */
    else
        j->offset = j->good_end;
    return rc;
}

/* Runs one write operation: under the lock, on a replica level with the log, applied
 * and then appended (inside a batch: kept for batch_end). Takes `rec`. */
static hps_status write_op(journal_store *j, json_t *rec, const op_out *out)
{
    if (rec == NULL)
        return nomem(j);
    hps_status rc = lock(j);
    if (rc == HPS_OK) {
        rc = apply(j, rec, out);
        if (rc == HPS_ERR_NOMEM)
            j->dirty = 1;
        if (rc == HPS_ERR_CORRUPT)
            rc = hps_errbuf_set(&j->base.err, rc, "journal %s: malformed operation", j->path);
        else if (rc < 0)
            rc = replica_error(j, rc);
    }
    if (rc == HPS_OK)
        rc = j->in_batch ? (json_array_append(j->pending, rec) == 0 ? HPS_OK : nomem(j))
                         : append_record(j, rec);
    if (j->in_batch && rc < 0 && j->batch_status == HPS_OK)
        j->batch_status = rc;
    unlock(j);
    json_decref(rec);
    maybe_snapshot(j);
    return rc;
}

/* Brings the replica level with the log for a read (inside a batch it is already). */
static hps_status read_begin(journal_store *j)
{
    if (j->locked)
        return HPS_OK;
    hps_status rc = catch_up(j);
    if (rc == HPS_OK)
        maybe_snapshot(j);
    return rc;
}

/* ---- the operations --------------------------------------------------------------- */

static void journal_close(hps_storage *s)
{
    journal_store *j = journal_of(s);
    if (j->locked)
        journal_lock_release(j->lock_path);
    hps_storage_close(j->replica);
    json_decref(j->pending);
    hps_mem_free(j->path);
    hps_mem_free(j->lock_path);
    hps_mem_free(j->snap_path);
    hps_mem_free(j);
}

static hps_status journal_open_study(hps_storage *s, const char *name, unsigned flags,
                                     const hps_direction *dirs, size_t n_dirs,
                                     hps_study_info *info)
{
    journal_store *j = journal_of(s);
    hps_status rc = read_begin(j);
    if (rc != HPS_OK)
        return rc;
    rc = j->replica->ops->open_study(j->replica, name, HPS_OPEN_LOAD, NULL, 0, info);
    if (rc == HPS_OK && !(flags & HPS_OPEN_LOAD)) {
        hps_study_info_clear(info);
        return hps_errbuf_set(&s->err, HPS_ERR_EXISTS, "study '%s' already exists", name);
    }
    if (rc != HPS_ERR_NOTFOUND || !(flags & HPS_OPEN_CREATE))
        return rc == HPS_OK ? rc : replica_error(j, rc);
    json_t *d = json_array();
    for (size_t i = 0; d != NULL && i < n_dirs; i++)
        if (json_array_append_new(d, json_integer(dirs[i])) != 0) {
            json_decref(d);
            d = NULL;
        }
    if (d == NULL)
        return nomem(j);
    json_t *rec = json_pack("{s:s, s:s, s:o, s:o}", "op", "study", "name", name, "dirs", d,
                            "created", num(hps_now()));
    /* Another process may have created it since: under the lock, load it then. */
    rc = lock(j);
    if (rc == HPS_OK &&
        j->replica->ops->open_study(j->replica, name, HPS_OPEN_LOAD, NULL, 0, info) == HPS_OK) {
        unlock(j);
        json_decref(rec);
        if (flags & HPS_OPEN_LOAD)
            return HPS_OK;
        hps_study_info_clear(info);
        return hps_errbuf_set(&s->err, HPS_ERR_EXISTS, "study '%s' already exists", name);
    }
    if (rc != HPS_OK) {
        json_decref(rec);
        return rc;
    }
    return write_op(j, rec, &(op_out){.info = info});
}

static hps_status journal_delete_study(hps_storage *s, const char *name)
{
    return write_op(journal_of(s), json_pack("{s:s, s:s}", "op", "delete", "name", name), NULL);
}

static hps_status journal_list_studies(hps_storage *s, hps_study_info **out, size_t *n_out)
{
    journal_store *j = journal_of(s);
    hps_status rc = read_begin(j);
    if (rc == HPS_OK && (rc = j->replica->ops->list_studies(j->replica, out, n_out)) != HPS_OK)
        rc = replica_error(j, rc);
    return rc;
}

static hps_status journal_set_study_attr(hps_storage *s, int64_t study_id, int system,
                                         const char *key, const char *json)
{
    return write_op(journal_of(s),
                    json_pack("{s:s, s:I, s:b, s:s, s:s}", "op", "study_attr", "study",
                              (json_int_t)study_id, "sys", system, "key", key, "json", json),
                    NULL);
}

static hps_status journal_set_study_attr_once(hps_storage *s, int64_t study_id, const char *key,
                                              const char *json, char **current_out)
{
    return write_op(journal_of(s),
                    json_pack("{s:s, s:I, s:s, s:s}", "op", "study_attr_once", "study",
                              (json_int_t)study_id, "key", key, "json", json),
                    &(op_out){.current = current_out});
}

static hps_status journal_get_study_attrs(hps_storage *s, int64_t study_id, int system,
                                          char **json_out)
{
    journal_store *j = journal_of(s);
    hps_status rc = read_begin(j);
    if (rc == HPS_OK &&
        (rc = j->replica->ops->get_study_attrs(j->replica, study_id, system, json_out)) != HPS_OK)
        rc = replica_error(j, rc);
    return rc;
}

static hps_status journal_create_trial(hps_storage *s, int64_t study_id,
                                       const hps_create_req *req, hps_frozen **out)
{
    *out = NULL;
    return write_op(journal_of(s),
                    json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:b}", "op", "create", "study",
                              (json_int_t)study_id, "max", u64(req->max_trials), "grid",
                              u64(req->grid_cells), "worker", str_or_null(req->worker), "now",
                              num(req->now), "hb", req->with_heartbeat),
                    &(op_out){.trial = out});
}

static hps_status journal_enqueue_trial(hps_storage *s, int64_t study_id,
                                        const char *system_attrs, int64_t *number_out)
{
    return write_op(journal_of(s),
                    json_pack("{s:s, s:I, s:o}", "op", "enqueue", "study", (json_int_t)study_id,
                              "attrs", str_or_null(system_attrs)),
                    &(op_out){.number = number_out});
}

static hps_status journal_start_trial(hps_storage *s, int64_t trial_id, double now)
{
    return write_op(journal_of(s),
                    json_pack("{s:s, s:I, s:o}", "op", "start", "trial", (json_int_t)trial_id,
                              "now", num(now)),
                    NULL);
}

static hps_status journal_resume_trial(hps_storage *s, int64_t trial_id,
                                       const hps_create_req *req, hps_frozen **out)
{
    *out = NULL;
    return write_op(journal_of(s),
                    json_pack("{s:s, s:I, s:o, s:o, s:b}", "op", "resume", "trial",
                              (json_int_t)trial_id, "worker", str_or_null(req->worker), "now",
                              num(req->now), "hb", req->with_heartbeat),
                    &(op_out){.trial = out});
}

/* Adds "owner" to a logged op when there is one (a reader of an older journal, or an
 * older reader, applies the op unchecked, as before owners were logged). */
static json_t *with_owner(json_t *op, const char *owner)
{
    if (op != NULL && owner != NULL && json_object_set_new(op, "owner", json_string(owner)) != 0) {
        json_decref(op);
        return NULL;
    }
    return op;
}

static hps_status journal_set_params(hps_storage *s, int64_t trial_id, const char *owner,
                                     const hps_param_rec *params, size_t n_params)
{
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < n_params; i++) {
        json_t *p = json_pack("{s:s, s:o, s:o}", "name", params[i].name, "dist",
                              hps_dist_to_json_node(&params[i].dist), "v",
                              num(params[i].internal));
        if (json_array_append_new(list, p) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    if (list == NULL)
        return nomem(journal_of(s));
    return write_op(journal_of(s),
                    with_owner(json_pack("{s:s, s:I, s:o}", "op", "params", "trial",
                                         (json_int_t)trial_id, "params", list),
                               owner),
                    NULL);
}

static hps_status journal_report(hps_storage *s, int64_t trial_id, const char *owner,
                                 int64_t step, const double *values, size_t n)
{
    json_t *op = json_pack("{s:s, s:I, s:I, s:o}", "op", "report", "trial", (json_int_t)trial_id,
                           "step", (json_int_t)step, "value", num(values[0]));
    op = with_owner(op, owner); /* only when there is one: reports make most of a journal */
    if (op != NULL && n > 1) {
        json_t *more = json_array();
        for (size_t i = 1; more != NULL && i < n; i++)
            if (json_array_append_new(more, num(values[i])) != 0) {
                json_decref(more);
                more = NULL;
            }
        if (more == NULL || json_object_set_new(op, "more", more) != 0) {
            json_decref(op);
            op = NULL;
        }
    }
    return write_op(journal_of(s), op, NULL);
}

static hps_status journal_set_trial_attr(hps_storage *s, int64_t trial_id, const char *owner,
                                         int system, const char *key, const char *json)
{
    return write_op(journal_of(s),
                    with_owner(json_pack("{s:s, s:I, s:b, s:s, s:s}", "op", "trial_attr",
                                         "trial", (json_int_t)trial_id, "sys", system, "key",
                                         key, "json", json),
                               owner),
                    NULL);
}

static hps_status journal_finish_trial(hps_storage *s, int64_t trial_id,
                                       const hps_finish_req *req)
{
    json_t *values = json_array();
    for (size_t i = 0; values != NULL && i < req->n_values; i++)
        if (json_array_append_new(values, num(req->values[i])) != 0) {
            json_decref(values);
            values = NULL;
        }
    if (values == NULL)
        return nomem(journal_of(s));
    return write_op(journal_of(s),
                    json_pack("{s:s, s:I, s:i, s:o, s:b, s:o, s:o, s:o, s:o, s:o}", "op",
                              "finish", "trial", (json_int_t)trial_id, "state", (int)req->state,
                              "values", values, "interrupted", req->interrupted, "reason",
                              str_or_null(req->fail_reason), "now", num(req->now),
                              "stale_before", num(req->stale_before), "requeue",
                              str_or_null(req->requeue_system_attrs), "owner",
                              str_or_null(req->owner)),
                    NULL);
}

static hps_status journal_heartbeat(hps_storage *s, const int64_t *trial_ids,
                                    const char *const *owners, size_t n, double now,
                                    unsigned char *refused)
{
    if (n == 0)
        return HPS_OK;
    json_t *ids = json_array();
    json_t *names = json_array();
    int failed = ids == NULL || names == NULL;
    for (size_t i = 0; !failed && i < n; i++)
        failed = json_array_append_new(ids, json_integer(trial_ids[i])) != 0 ||
                 json_array_append_new(names, str_or_null(owners[i])) != 0;
    if (failed) {
        json_decref(ids);
        json_decref(names);
        return nomem(journal_of(s));
    }
    /* replayed in log order, the owner check gives every reader the writer's answer */
    return write_op(journal_of(s),
                    json_pack("{s:s, s:o, s:o, s:o}", "op", "heartbeat", "trials", ids, "owners",
                              names, "now", num(now)),
                    &(op_out){.refused = refused});
}

static hps_status journal_list_running(hps_storage *s, int64_t study_id, hps_running_info **out,
                                       size_t *n_out)
{
    journal_store *j = journal_of(s);
    *out = NULL;
    *n_out = 0;
    hps_status rc = read_begin(j);
    if (rc == HPS_OK &&
        (rc = j->replica->ops->list_running(j->replica, study_id, out, n_out)) != HPS_OK)
        rc = replica_error(j, rc);
    return rc;
}

static hps_status journal_sync(hps_storage *s, int64_t study_id, int64_t since, hps_sync_fn fn,
                               void *user, int64_t *seq_out)
{
    journal_store *j = journal_of(s);
    hps_status rc = read_begin(j);
    if (rc == HPS_OK &&
        (rc = j->replica->ops->sync(j->replica, study_id, since, fn, user, seq_out)) != HPS_OK)
        rc = replica_error(j, rc);
    return rc;
}

/* A batch holds the lock from begin to end, so its operations see no other writer's
 * and land as one record. */
static hps_status journal_batch_begin(hps_storage *s)
{
    journal_store *j = journal_of(s);
    if (j->in_batch)
        return hps_errbuf_set(&s->err, HPS_ERR_STATE, "a batch is already open");
    j->pending = json_array();
    if (j->pending == NULL)
        return nomem(j);
    hps_status rc = lock(j);
    if (rc != HPS_OK) {
        json_decref(j->pending);
        j->pending = NULL;
        return rc;
    }
    j->in_batch = 1;
    j->batch_status = HPS_OK;
    return HPS_OK;
}

static hps_status journal_batch_end(hps_storage *s, int commit)
{
    journal_store *j = journal_of(s);
    if (!j->in_batch)
        return hps_errbuf_set(&s->err, HPS_ERR_STATE, "no batch is open");
    hps_status rc = j->batch_status;
    j->in_batch = 0;
    if (rc == HPS_OK && commit && json_array_size(j->pending) > 0) {
        json_t *rec = json_pack("{s:s, s:O}", "op", "batch", "ops", j->pending);
        rc = rec != NULL ? append_record(j, rec) : nomem(j);
        json_decref(rec);
    } else if (json_array_size(j->pending) > 0) {
        j->dirty = 1; /* applied to the replica, never written: forget them */
    }
    json_decref(j->pending);
    j->pending = NULL;
    unlock(j);
    maybe_snapshot(j);
    return rc;
}

static hps_status journal_find_trial(hps_storage *s, int64_t study_id, int64_t number,
                                     int64_t *trial_id)
{
    journal_store *j = journal_of(s);
    hps_status rc = read_begin(j);
    if (rc == HPS_OK &&
        (rc = j->replica->ops->find_trial(j->replica, study_id, number, trial_id)) != HPS_OK)
        rc = replica_error(j, rc);
    return rc;
}

static hps_status journal_claim_position(hps_storage *s, int64_t study_id, int64_t trial_id,
                                         int64_t first, uint64_t count, int64_t *pos_out)
{
    return write_op(journal_of(s),
                    json_pack("{s:s, s:I, s:I, s:I, s:o}", "op", "claim", "study",
                              (json_int_t)study_id, "trial", (json_int_t)trial_id, "first",
                              (json_int_t)first, "count", u64(count)),
                    &(op_out){.pos = pos_out});
}

static const hps_storage_ops journal_ops = {
    .name = "journal",
    .close = journal_close,
    .open_study = journal_open_study,
    .delete_study = journal_delete_study,
    .list_studies = journal_list_studies,
    .set_study_attr = journal_set_study_attr,
    .set_study_attr_once = journal_set_study_attr_once,
    .get_study_attrs = journal_get_study_attrs,
    .create_trial = journal_create_trial,
    .enqueue_trial = journal_enqueue_trial,
    .start_trial = journal_start_trial,
    .resume_trial = journal_resume_trial,
    .set_params = journal_set_params,
    .batch_begin = journal_batch_begin,
    .batch_end = journal_batch_end,
    .report = journal_report,
    .set_trial_attr = journal_set_trial_attr,
    .finish_trial = journal_finish_trial,
    .heartbeat = journal_heartbeat,
    .list_running = journal_list_running,
    .sync = journal_sync,
    .find_trial = journal_find_trial,
    .claim_position = journal_claim_position,
};

/* ---- opening ------------------------------------------------------------------------ */

/* The header line a new journal starts with, framed. */
static int header_line(char *buf, size_t size)
{
    char payload[96];
    int n = snprintf(payload, sizeof payload, "{\"op\":\"%s\",\"version\":%d}", JOURNAL_FORMAT,
                     JOURNAL_VERSION);
    return snprintf(buf, size, "%08x %s\n", (unsigned)journal_crc32(payload, (size_t)n), payload);
}

/* Reads the start of an existing file: it must be empty, hold the header (or the start
 * of it, torn by a writer that died), or this is not a journal of ours. */
static hps_status check_file(const char *path, hps_storage_mode mode, hps_errbuf *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno != ENOENT)
            return hps_errbuf_set(err, HPS_ERR_IO, "cannot open journal %s: %s", path,
                                  strerror(errno));
        if (mode == HPS_STORAGE_CREATE)
            return HPS_OK; /* the first write creates it */
        return hps_errbuf_set(err, HPS_ERR_NOTFOUND,
                              "no hpsearch database at %s: the file does not exist", path);
    }
    if (!S_ISREG(sb.st_mode))
        return hps_errbuf_set(err, HPS_ERR_INVALID, "%s is not a regular file, so not a journal",
                              path);
    char expected[128], found[128] = "";
    int n = header_line(expected, sizeof expected);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return hps_errbuf_set(err, HPS_ERR_IO, "cannot open journal %s: %s", path, strerror(errno));
    size_t got = fread(found, 1, (size_t)n, f);
    fclose(f);
    if (got == 0 && mode != HPS_STORAGE_CREATE)
        return hps_errbuf_set(err, HPS_ERR_NOTFOUND, "no hpsearch database at %s: the file is empty",
                              path);
    if (memcmp(found, expected, got) == 0)
        return HPS_OK;
    if (strstr(found, JOURNAL_FORMAT) != NULL)
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "%s is an hpsearch journal of another format version than this "
                              "hpsearch's (%d); hpsearch never changes it",
                              path, JOURNAL_VERSION);
    return hps_errbuf_set(err, HPS_ERR_INVALID,
                          "%s is not an hpsearch journal; hpsearch never changes it", path);
}

hps_status hps_journal_storage_open(const char *path, hps_storage_mode mode, hps_storage **out,
                                    hps_errbuf *err)
{
    *out = NULL;
    hps_status rc = check_file(path, mode, err);
    if (rc != HPS_OK)
        return rc;
    journal_store *j = hps_mem_calloc(1, sizeof *j);
    size_t len = strlen(path);
    if (j != NULL) {
        j->base.ops = &journal_ops;
        j->base.persistent = 1;
        j->base.rolls_back = 1; /* a failed batch is never appended; the replica is rebuilt */
        j->path = hps_mem_strdup(path);
        j->lock_path = hps_mem_alloc(len + sizeof ".lock");
        if (j->lock_path != NULL)
            snprintf(j->lock_path, len + sizeof ".lock", "%s.lock", path);
        j->snap_path = hps_mem_alloc(len + sizeof ".snapshot");
        if (j->snap_path != NULL)
            snprintf(j->snap_path, len + sizeof ".snapshot", "%s.snapshot", path);
        j->snap_min_tail = SNAPSHOT_MIN_TAIL;
        unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL) ^ (unsigned)(uintptr_t)j;
        j->snap_jitter = (double)(rand_r(&seed) % 1000) / 2000.0;
    }
    if (j == NULL || j->path == NULL || j->lock_path == NULL || j->snap_path == NULL ||
        hps_memory_storage_open(&j->replica, err) != HPS_OK) {
        if (j != NULL)
            journal_close(&j->base);
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    }
    *out = &j->base;
    return HPS_OK;
}

/* ---- snapshots, for tests and benchmarks -------------------------------------------- */

static journal_store *as_journal(hps_storage *s)
{
    return s != NULL && s->ops == &journal_ops ? journal_of(s) : NULL;
}

hps_status hps_journal_snapshot_now(hps_storage *s)
{
    journal_store *j = as_journal(s);
    if (j == NULL)
        return HPS_ERR_INVALID;
    if (j->in_batch)
        return hps_errbuf_set(&s->err, HPS_ERR_STATE, "no snapshot inside a batch");
    hps_status rc = catch_up(j);
    if (rc != HPS_OK)
        return rc;
    if (j->offset == 0 || j->last.offset != j->offset)
        return hps_errbuf_set(&s->err, HPS_ERR_STATE, "journal %s has no record to snapshot",
                              j->path);
    rc = write_snapshot(j);
    if (rc == HPS_OK)
        j->snap_offset = j->offset;
    return rc;
}

uint64_t hps_journal_snapshot_loaded(hps_storage *s)
{
    journal_store *j = as_journal(s);
    return j != NULL ? j->loaded_from : 0;
}

void hps_journal_snapshot_every(hps_storage *s, uint64_t min_tail)
{
    journal_store *j = as_journal(s);
    if (j != NULL) {
        j->snap_min_tail = min_tail;
        j->snap_jitter = 0;
    }
}
