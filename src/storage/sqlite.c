/* sqlite.c -- the SQLite storage backend ("sqlite:PATH"), the embedded default.
 *
 * Many processes share one file: WAL mode lets readers run beside the single writer,
 * a busy timeout makes writers queue instead of failing, and every write is one
 * BEGIN IMMEDIATE transaction (taking the write lock up front, so two writers never
 * deadlock upgrading a read lock). A process killed at any instant therefore leaves
 * either the whole change or none of it.
 *
 * Schema (version 1): one row per study and per trial; parameters, objective values
 * and intermediate values in their own tables with REAL columns, so doubles round-trip
 * exactly (WITHOUT ROWID: a write touches one b-tree, not a table and its key index). Each study row holds the counters that must be claimed atomically: the next
 * trial number, the change sequence for incremental sync, the number of trials
 * counted against a budget, and the next grid position (released positions wait in
 * grid_free). A step's values for the objectives after the first (studies with
 * several objectives) are in trial_intermediate_more: a table added without a new
 * schema version, since every open creates what is missing and an older hpsearch,
 * which ignores the table, still reads the first objective's values.
 *
 * Opening reads what the file holds before writing anything to it: only an hpsearch
 * database is configured (WAL) and schema-checked, and only an open that may create
 * makes a database of a missing or empty file. Anything else is refused untouched. */
#include "base/mem.h"
#include "storage/sql_shared.h"
#include "storage/storage.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SQLITE_SCHEMA_VERSION 1
#define SQLITE_BUSY_TIMEOUT_MS 60000

static const char *const schema_sql =
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS studies ("
    "  study_id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  directions TEXT NOT NULL,"
    "  user_attrs TEXT NOT NULL DEFAULT '{}',"
    "  system_attrs TEXT NOT NULL DEFAULT '{}',"
    "  created REAL NOT NULL,"
    "  next_number INTEGER NOT NULL DEFAULT 0,"
    "  change_seq INTEGER NOT NULL DEFAULT 0,"
    "  n_counted INTEGER NOT NULL DEFAULT 0,"
    "  grid_next INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS trials ("
    "  trial_id INTEGER PRIMARY KEY,"
    "  study_id INTEGER NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,"
    "  number INTEGER NOT NULL,"
    "  state INTEGER NOT NULL,"
    "  interrupted INTEGER NOT NULL DEFAULT 0,"
    "  grid_pos INTEGER,"
    "  user_attrs TEXT NOT NULL DEFAULT '{}',"
    "  system_attrs TEXT NOT NULL DEFAULT '{}',"
    "  datetime_start REAL,"
    "  datetime_complete REAL,"
    "  heartbeat REAL,"
    "  worker TEXT,"
    "  change_seq INTEGER NOT NULL,"
    "  UNIQUE (study_id, number));"
    "CREATE INDEX IF NOT EXISTS trials_by_change ON trials(study_id, change_seq);"
    "CREATE INDEX IF NOT EXISTS trials_by_state ON trials(study_id, state, number);"
    "CREATE TABLE IF NOT EXISTS trial_params ("
    "  trial_id INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,"
    "  ord INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  distribution TEXT NOT NULL,"
    "  value REAL NOT NULL,"
    "  PRIMARY KEY (trial_id, name)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS trial_values ("
    "  trial_id INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,"
    "  objective INTEGER NOT NULL,"
    "  value REAL,"
    "  PRIMARY KEY (trial_id, objective)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS trial_intermediate ("
    "  trial_id INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,"
    "  step INTEGER NOT NULL,"
    "  value REAL,"
    "  PRIMARY KEY (trial_id, step)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS trial_intermediate_more ("
    "  trial_id INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,"
    "  step INTEGER NOT NULL,"
    "  objective INTEGER NOT NULL,"
    "  value REAL,"
    "  PRIMARY KEY (trial_id, step, objective)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS grid_free ("
    "  study_id INTEGER NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,"
    "  pos INTEGER NOT NULL,"
    "  PRIMARY KEY (study_id, pos)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS trials_by_pos ON trials(study_id, grid_pos)"
    "  WHERE grid_pos IS NOT NULL;";

/* Prepared once per connection, reset after each use. */
enum {
    Q_BEGIN_WRITE,
    Q_BEGIN_READ,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_STUDY_BY_NAME,
    Q_STUDY_INSERT,
    Q_STUDY_COUNTERS,
    Q_STUDY_BUMP_SEQ,
    Q_STUDY_ATTRS,
    Q_STUDY_SET_ATTRS,
    Q_STUDY_CLAIM,
    Q_STUDY_UNCOUNT,
    Q_WAITING_OLDEST,
    Q_TRIAL_START,
    Q_TRIAL_RESUME,
    Q_TRIAL_INSERT,
    Q_TRIAL_HEAD,
    Q_TRIAL_WORKER,
    Q_TRIAL_STATE,
    Q_TRIAL_SET_SYSTEM,
    Q_TRIAL_TOUCH,
    Q_TRIAL_FINISH,
    Q_TRIAL_SET_ATTRS,
    Q_TRIAL_BY_NUMBER,
    Q_GRID_FREE_MIN,
    Q_GRID_FREE_DELETE,
    Q_GRID_FREE_INSERT,
    Q_POS_HELD,
    Q_TRIAL_SET_POS,
    Q_PARAM_COUNT,
    Q_PARAM_INSERT,
    Q_VALUE_INSERT,
    Q_INTER_INSERT,
    Q_INTER_MORE_INSERT,
    Q_HEARTBEAT,
    Q_RUNNING,
    Q_SYNC_TRIALS,
    Q_SYNC_PARAMS,
    Q_SYNC_VALUES,
    Q_SYNC_INTER,
    Q_STUDY_SEQ,
    Q_COUNT
};

static const char *const query_sql[Q_COUNT] = {
    [Q_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [Q_BEGIN_READ] = "BEGIN",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_STUDY_BY_NAME] = "SELECT study_id, directions, created FROM studies WHERE name = ?1",
    [Q_STUDY_INSERT] = "INSERT INTO studies (name, directions, created) VALUES (?1, ?2, ?3)",
    [Q_STUDY_COUNTERS] = "SELECT next_number, n_counted, grid_next FROM studies WHERE study_id = ?1",
    [Q_STUDY_BUMP_SEQ] =
        "UPDATE studies SET change_seq = change_seq + 1 WHERE study_id = ?1 RETURNING change_seq",
    [Q_STUDY_ATTRS] = "SELECT user_attrs, system_attrs FROM studies WHERE study_id = ?1",
    [Q_STUDY_SET_ATTRS] = "UPDATE studies SET user_attrs = ?2, system_attrs = ?3 WHERE study_id = ?1",
    [Q_STUDY_CLAIM] = "UPDATE studies SET next_number = next_number + 1, n_counted = n_counted + 1,"
                      " grid_next = ?2 WHERE study_id = ?1",
    [Q_STUDY_UNCOUNT] = "UPDATE studies SET n_counted = n_counted - 1 WHERE study_id = ?1",
    [Q_WAITING_OLDEST] = "SELECT trial_id FROM trials WHERE study_id = ?1 AND state = 0"
                         " ORDER BY number LIMIT 1",
    [Q_TRIAL_START] = "UPDATE trials SET state = 1, datetime_start = ?2, heartbeat = ?3, worker = ?4,"
                      " change_seq = ?5 WHERE trial_id = ?1 AND state = 0",
    [Q_TRIAL_RESUME] = "UPDATE trials SET state = 1, heartbeat = ?2, worker = ?3, change_seq = ?4"
                       " WHERE trial_id = ?1 AND state = 5",
    [Q_TRIAL_INSERT] = "INSERT INTO trials (study_id, number, state, grid_pos, system_attrs,"
                       " datetime_start, heartbeat, worker, change_seq)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_TRIAL_HEAD] = "SELECT study_id, number, state, heartbeat, grid_pos, user_attrs, system_attrs"
                     " FROM trials WHERE trial_id = ?1",
    [Q_TRIAL_WORKER] = "SELECT worker FROM trials WHERE trial_id = ?1",
    [Q_TRIAL_STATE] = "SELECT study_id, number, state, heartbeat, grid_pos FROM trials"
                      " WHERE trial_id = ?1",
    [Q_TRIAL_SET_SYSTEM] = "UPDATE trials SET system_attrs = ?2 WHERE trial_id = ?1",
    [Q_TRIAL_TOUCH] = "UPDATE trials SET change_seq = ?2 WHERE trial_id = ?1",
    [Q_TRIAL_FINISH] = "UPDATE trials SET state = ?2, interrupted = ?3, datetime_complete = ?4,"
                       " change_seq = ?5 WHERE trial_id = ?1 AND state = 1",
    [Q_TRIAL_SET_ATTRS] = "UPDATE trials SET user_attrs = ?2, system_attrs = ?3, change_seq = ?4"
                          " WHERE trial_id = ?1",
    [Q_TRIAL_BY_NUMBER] = "SELECT trial_id FROM trials WHERE study_id = ?1 AND number = ?2",
    [Q_GRID_FREE_MIN] = "SELECT pos FROM grid_free WHERE study_id = ?1 ORDER BY pos LIMIT 1",
    [Q_GRID_FREE_DELETE] = "DELETE FROM grid_free WHERE study_id = ?1 AND pos = ?2",
    [Q_GRID_FREE_INSERT] = "INSERT OR IGNORE INTO grid_free (study_id, pos) VALUES (?1, ?2)",
    [Q_POS_HELD] = "SELECT 1 FROM trials WHERE study_id = ?1 AND grid_pos = ?2 AND interrupted = 0"
                   " AND trial_id <> ?3 LIMIT 1",
    [Q_TRIAL_SET_POS] = "UPDATE trials SET grid_pos = ?2, change_seq = ?3 WHERE trial_id = ?1",
    [Q_PARAM_COUNT] = "SELECT COUNT(*) FROM trial_params WHERE trial_id = ?1",
    [Q_PARAM_INSERT] = "INSERT INTO trial_params (trial_id, ord, name, distribution, value)"
                       " VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_VALUE_INSERT] = "INSERT OR REPLACE INTO trial_values (trial_id, objective, value)"
                       " VALUES (?1, ?2, ?3)",
    [Q_INTER_INSERT] = "INSERT OR IGNORE INTO trial_intermediate (trial_id, step, value)"
                       " VALUES (?1, ?2, ?3)",
    [Q_INTER_MORE_INSERT] = "INSERT OR IGNORE INTO trial_intermediate_more"
                            " (trial_id, step, objective, value) VALUES (?1, ?2, ?3, ?4)",
    [Q_HEARTBEAT] = "UPDATE trials SET heartbeat = ?2 WHERE trial_id = ?1 AND state = 1"
                    " AND (?3 IS NULL OR worker = ?3)",
    [Q_RUNNING] = "SELECT trial_id, number, heartbeat, worker, system_attrs FROM trials"
                  " WHERE study_id = ?1 AND state = 1 ORDER BY number",
    [Q_SYNC_TRIALS] = "SELECT trial_id, number, state, interrupted, grid_pos, user_attrs,"
                      " system_attrs, datetime_start, datetime_complete, heartbeat, worker,"
                      " change_seq FROM trials WHERE study_id = ?1 AND change_seq > ?2"
                      " ORDER BY trial_id",
    [Q_SYNC_PARAMS] = "SELECT p.trial_id, p.name, p.distribution, p.value FROM trial_params p"
                      " JOIN trials t ON t.trial_id = p.trial_id"
                      " WHERE t.study_id = ?1 AND t.change_seq > ?2 ORDER BY p.trial_id, p.ord",
    [Q_SYNC_VALUES] = "SELECT v.trial_id, v.value FROM trial_values v"
                      " JOIN trials t ON t.trial_id = v.trial_id"
                      " WHERE t.study_id = ?1 AND t.change_seq > ?2 ORDER BY v.trial_id, v.objective",
    [Q_SYNC_INTER] = "SELECT i.trial_id, i.step, i.value, m.objective, m.value"
                     " FROM trial_intermediate i JOIN trials t ON t.trial_id = i.trial_id"
                     " LEFT JOIN trial_intermediate_more m"
                     "  ON m.trial_id = i.trial_id AND m.step = i.step"
                     " WHERE t.study_id = ?1 AND t.change_seq > ?2"
                     " ORDER BY i.trial_id, i.step, m.objective",
    [Q_STUDY_SEQ] = "SELECT change_seq FROM studies WHERE study_id = ?1",
};

typedef struct sqlite_store {
    hps_storage base;
    sqlite3 *db;
    char *path;
    sqlite3_stmt *stmts[Q_COUNT];
    int batch;            /* inside batch_begin/batch_end: one transaction for all */
    hps_status batch_rc;  /* first failure inside the batch */
} sqlite_store;

static sqlite_store *store_of(hps_storage *s)
{
    return (sqlite_store *)s;
}

static hps_status db_error(sqlite_store *st, const char *doing)
{
    int code = sqlite3_extended_errcode(st->db);
    hps_status rc = (code & 0xff) == SQLITE_NOMEM ? HPS_ERR_NOMEM
                    : (code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB
                        ? HPS_ERR_CORRUPT
                        : HPS_ERR_STORAGE;
    return hps_errbuf_set(&st->base.err, rc, "sqlite %s: %s while %s", st->path,
                          sqlite3_errmsg(st->db), doing);
}

/* The prepared statement for query q, reset and unbound, or NULL (error set). */
static sqlite3_stmt *query(sqlite_store *st, int q)
{
    sqlite3_stmt *stmt = st->stmts[q];
    if (stmt == NULL) {
        if (sqlite3_prepare_v3(st->db, query_sql[q], -1, SQLITE_PREPARE_PERSISTENT, &stmt,
                               NULL) != SQLITE_OK) {
            db_error(st, "preparing a query");
            return NULL;
        }
        st->stmts[q] = stmt;
    } else {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
    return stmt;
}

/* Runs a statement that returns no rows (or whose rows are ignored). */
static hps_status run(sqlite_store *st, sqlite3_stmt *stmt, const char *doing)
{
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return db_error(st, doing);
    return HPS_OK;
}

static hps_status run_simple(sqlite_store *st, int q, const char *doing)
{
    sqlite3_stmt *stmt = query(st, q);
    return stmt == NULL ? HPS_ERR_STORAGE : run(st, stmt, doing);
}

static hps_status begin_write(sqlite_store *st)
{
    if (st->batch) /* the batch's transaction is open; after a failure, stop early */
        return st->batch_rc;
    return run_simple(st, Q_BEGIN_WRITE, "starting a write transaction");
}

static hps_status begin_read(sqlite_store *st)
{
    if (st->batch)
        return st->batch_rc;
    return run_simple(st, Q_BEGIN_READ, "starting a read transaction");
}

static hps_status commit(sqlite_store *st)
{
    return run_simple(st, Q_COMMIT, "committing");
}

/* Ends a transaction: commits on success, else rolls back keeping the first error. */
static hps_status finish_txn(sqlite_store *st, hps_status rc)
{
    if (st->batch) { /* batch_end decides */
        if (rc != HPS_OK && rc != HPS_DONE && st->batch_rc == HPS_OK)
            st->batch_rc = rc;
        return rc;
    }
    if (rc == HPS_OK || rc == HPS_DONE) {
        hps_status c = commit(st);
        if (c == HPS_OK)
            return rc;
        rc = c;
    }
    if (!sqlite3_get_autocommit(st->db)) {
        hps_errbuf saved = st->base.err;
        run_simple(st, Q_ROLLBACK, "rolling back");
        st->base.err = saved;
    }
    return rc;
}

static void bind_text_or_null(sqlite3_stmt *stmt, int index, const char *text)
{
    if (text != NULL)
        sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt, index);
}

static char *column_strdup(sqlite3_stmt *stmt, int col)
{
    const unsigned char *text = sqlite3_column_text(stmt, col);
    return text != NULL ? hps_mem_strdup((const char *)text) : NULL;
}

static hps_status nomem(sqlite_store *st)
{
    return hps_errbuf_set(&st->base.err, HPS_ERR_NOMEM, "out of memory");
}

/* ---- opening ----------------------------------------------------------------------- */

static void sqlite_close(hps_storage *s)
{
    sqlite_store *st = store_of(s);
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(st->stmts[i]);
    sqlite3_close_v2(st->db);
    hps_mem_free(st->path);
    hps_mem_free(st);
}

static hps_status exec_sql(sqlite_store *st, const char *sql, const char *doing)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        hps_status rc = db_error(st, doing);
        sqlite3_free(msg);
        return rc;
    }
    return HPS_OK;
}

/* Pause between attempts to configure a connection another process holds locked. */
#define SQLITE_CONFIGURE_RETRY_MS 10

/* WAL: readers never block the writer. NORMAL sync: a committed transaction survives
 * any process crash; only an OS crash may lose the last few, never consistency.
 * Switching a new database to WAL needs an exclusive lock, and when several processes
 * open the same new database at once (workers started together) SQLite answers
 * SQLITE_BUSY at once instead of through the busy handler: so retry, for as long as the
 * busy timeout would have waited. */
static hps_status configure_connection(sqlite_store *st)
{
    static const char sql[] =
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
    for (int waited_ms = 0;; waited_ms += SQLITE_CONFIGURE_RETRY_MS) {
        int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return HPS_OK;
        if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= SQLITE_BUSY_TIMEOUT_MS)
            return db_error(st, "configuring the connection");
        struct timespec pause = {0, SQLITE_CONFIGURE_RETRY_MS * 1000000L};
        nanosleep(&pause, NULL);
    }
}

static hps_status schema_version_error(sqlite_store *st, int version)
{
    return hps_errbuf_set(&st->base.err, HPS_ERR_UNSUPPORTED,
                          "sqlite %s: schema version %d is not the one this hpsearch uses (%d)%s; "
                          "hpsearch never changes it",
                          st->path, version, SQLITE_SCHEMA_VERSION,
                          version > SQLITE_SCHEMA_VERSION ? "; it was written by a newer hpsearch"
                                                          : "");
}

/* ---- what a file holds, read before anything is written to it ---- */

/* The tables that make a database hpsearch's (later schema versions may add others). */
static const char *const hpsearch_tables[] = {"schema_version", "studies", "trials"};
/* Tables that only Optuna's storage has (with its own "studies" and "trials"). */
static const char *const optuna_tables[] = {"alembic_version", "version_info"};

#define SQLITE_TABLE_LIST_MAX 160 /* of the table names quoted in a message */

typedef struct sqlite_contents {
    int n_tables;           /* besides SQLite's own */
    unsigned hpsearch_seen; /* bit i: hpsearch_tables[i] is there */
    unsigned optuna_seen;   /* bit i: optuna_tables[i] is there */
    int n_versions;         /* rows of schema_version (hpsearch's only) */
    int version;            /* the largest of them */
    char names[SQLITE_TABLE_LIST_MAX]; /* "a, b, c, ..." for messages */
} sqlite_contents;

#define N_HPSEARCH_TABLES (sizeof hpsearch_tables / sizeof *hpsearch_tables)
#define N_OPTUNA_TABLES (sizeof optuna_tables / sizeof *optuna_tables)

static unsigned all_bits(size_t n)
{
    return (1u << n) - 1;
}

static unsigned table_bit(const char *const *tables, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(tables[i], name) == 0)
            return 1u << i;
    return 0;
}

/* Appends a table name to the list a message quotes: capped, control characters
 * replaced, "..." once the room is gone. */
static void list_table_name(sqlite_contents *c, const char *name)
{
    size_t len = strlen(c->names);
    const size_t room = sizeof c->names - 6; /* keeps space for ", ..." */
    if (len >= 3 && strcmp(c->names + len - 3, "...") == 0)
        return;
    if (len + 2 + strlen(name) > room) {
        snprintf(c->names + len, sizeof c->names - len, "%s...", len > 0 ? ", " : "");
        return;
    }
    if (len > 0) {
        memcpy(c->names + len, ", ", 2);
        len += 2;
    }
    for (const char *p = name; *p != '\0'; p++)
        c->names[len++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
    c->names[len] = '\0';
}

static void note_table(sqlite_contents *c, const char *name)
{
    if (name == NULL)
        name = "";
    c->n_tables++;
    c->hpsearch_seen |= table_bit(hpsearch_tables, N_HPSEARCH_TABLES, name);
    c->optuna_seen |= table_bit(optuna_tables, N_OPTUNA_TABLES, name);
    list_table_name(c, name);
}

/* Reads the table names (and hpsearch's schema version when it is there) without
 * writing anything: returns an SQLite result code. */
static int read_contents(sqlite_store *st, sqlite_contents *c)
{
    memset(c, 0, sizeof *c);
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(st->db,
                                "SELECT name FROM sqlite_master WHERE type = 'table'"
                                " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                                -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return rc;
    for (rc = sqlite3_step(stmt); rc == SQLITE_ROW; rc = sqlite3_step(stmt))
        note_table(c, (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE || c->hpsearch_seen != all_bits(N_HPSEARCH_TABLES))
        return rc == SQLITE_DONE ? SQLITE_OK : rc;
    rc = sqlite3_prepare_v2(st->db, "SELECT MAX(version), COUNT(*) FROM schema_version", -1,
                            &stmt, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        c->version = sqlite3_column_int(stmt, 0);
        c->n_versions = sqlite3_column_int(stmt, 1);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* Decides from what the file holds whether this open may go on to configure it and
 * create or check the schema: an hpsearch database of this version, or (only when
 * creating) one without tables. Anything else is an error naming what the file is. */
static hps_status accept_contents(sqlite_store *st, hps_storage_mode mode)
{
    sqlite_contents c;
    int rc = read_contents(st, &c);
    if ((rc & 0xff) == SQLITE_NOTADB)
        return hps_errbuf_set(&st->base.err, HPS_ERR_INVALID,
                              "%s is not an SQLite database; hpsearch never changes it",
                              st->path);
    if (rc != SQLITE_OK)
        return db_error(st, "reading which tables the file holds");
    if (c.n_tables == 0) {
        /* Nothing to lose: a database another opener is creating right now (workers
         * started together), or one made empty on purpose. */
        if (mode == HPS_STORAGE_CREATE)
            return HPS_OK;
        return hps_errbuf_set(&st->base.err, HPS_ERR_NOTFOUND,
                              "no hpsearch database at %s: it is an SQLite database without tables",
                              st->path);
    }
    if (c.hpsearch_seen != all_bits(N_HPSEARCH_TABLES)) {
        int optuna = c.optuna_seen == all_bits(N_OPTUNA_TABLES);
        return hps_errbuf_set(&st->base.err, HPS_ERR_INVALID,
                              "%s is an SQLite database but not an hpsearch one (it has %d "
                              "table%s: %s)%s; hpsearch never changes it",
                              st->path, c.n_tables, c.n_tables == 1 ? "" : "s", c.names,
                              optuna ? "; it looks like an Optuna storage, which hpsearch does "
                                       "not read"
                                     : "");
    }
    if (c.n_versions > 0 && c.version != SQLITE_SCHEMA_VERSION)
        return schema_version_error(st, c.version);
    return HPS_OK;
}

static hps_status check_schema(sqlite_store *st)
{
    hps_status rc = begin_write(st);
    if (rc != HPS_OK)
        return rc;
    rc = exec_sql(st, schema_sql, "creating the schema");
    sqlite3_stmt *stmt = NULL;
    if (rc == HPS_OK &&
        sqlite3_prepare_v2(st->db, "SELECT MAX(version), COUNT(*) FROM schema_version", -1, &stmt,
                           NULL) != SQLITE_OK)
        rc = db_error(st, "reading the schema version");
    if (rc == HPS_OK && sqlite3_step(stmt) != SQLITE_ROW)
        rc = db_error(st, "reading the schema version");
    if (rc == HPS_OK) {
        int count = sqlite3_column_int(stmt, 1);
        int version = sqlite3_column_int(stmt, 0);
        if (count == 0) {
            char sql[96];
            snprintf(sql, sizeof sql, "INSERT INTO schema_version VALUES (%d)",
                     SQLITE_SCHEMA_VERSION);
            sqlite3_finalize(stmt);
            stmt = NULL;
            rc = exec_sql(st, sql, "recording the schema version");
        } else if (version != SQLITE_SCHEMA_VERSION) {
            rc = schema_version_error(st, version);
        }
    }
    sqlite3_finalize(stmt);
    return finish_txn(st, rc);
}

static const hps_storage_ops sqlite_ops;

/* Creates the file of a new database, before SQLite does (which would make it 0644):
 * studies may hold what users put in attributes, so only the owner and group read it,
 * as the trial logs. SQLite gives the -wal and -shm files the database file's mode. */
static hps_status create_file(const char *path, hps_errbuf *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd >= 0)
        close(fd);
    else if (errno != EEXIST)
        return hps_errbuf_set(err, HPS_ERR_IO,
                              "cannot open sqlite database %s: cannot create it: %s", path,
                              strerror(errno));
    return HPS_OK;
}

/* Looks at the file by its name only: opening and closing a descriptor of it would drop
 * the locks other connections of this process hold on it (POSIX locks are per process).
 * HPS_OK when SQLite may open it; an empty file is a database not yet created. */
static hps_status check_file(const char *path, hps_storage_mode mode, hps_errbuf *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT)
            return hps_errbuf_set(err, HPS_ERR_NOTFOUND,
                                  "no hpsearch database at %s: the file does not exist", path);
        return hps_errbuf_set(err, HPS_ERR_IO, "cannot open sqlite database %s: %s", path,
                              strerror(errno));
    }
    if (!S_ISREG(sb.st_mode))
        return hps_errbuf_set(err, HPS_ERR_INVALID,
                              "%s is not a regular file, so not an SQLite database", path);
    if (sb.st_size == 0 && mode != HPS_STORAGE_CREATE)
        return hps_errbuf_set(err, HPS_ERR_NOTFOUND,
                              "no hpsearch database at %s: the file is empty", path);
    return HPS_OK;
}

static int wal_file_exists(const char *path)
{
    char wal[PATH_MAX + 8];
    if (snprintf(wal, sizeof wal, "%s-wal", path) >= (int)sizeof wal)
        return 1; /* cannot tell: assume it is there, so it is left alone */
    return access(wal, F_OK) == 0;
}

/* Order matters: the file is read before anything is written to it, so a file that is
 * not (or not yet) an hpsearch database is left exactly as it was: no new file, no
 * switch to WAL, no tables, no -wal or -shm file left behind. */
hps_status hps_sqlite_storage_open(const char *path, hps_storage_mode mode, hps_storage **out,
                                   hps_errbuf *err)
{
    *out = NULL;
    sqlite_store *st = hps_mem_calloc(1, sizeof *st);
    if (st == NULL)
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    st->base.ops = &sqlite_ops;
    st->base.persistent = 1;
    st->base.rolls_back = 1;
    st->path = hps_mem_strdup(path);
    if (st->path == NULL) {
        hps_mem_free(st);
        return hps_errbuf_set(err, HPS_ERR_NOMEM, "out of memory");
    }
    hps_status rc = mode == HPS_STORAGE_CREATE ? create_file(path, err) : HPS_OK;
    if (rc == HPS_OK)
        rc = check_file(path, mode, err);
    if (rc != HPS_OK)
        goto out;
    /* A -wal file that was there before belongs to another connection (or a crash):
     * if the file is refused, closing must not fold it into the database. One this
     * open creates is removed again when it closes. */
    int had_wal = wal_file_exists(path);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
                (mode == HPS_STORAGE_CREATE ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
        rc = hps_errbuf_set(err, HPS_ERR_IO, "cannot open sqlite database %s: %s", path,
                            st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
        goto out;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, SQLITE_BUSY_TIMEOUT_MS);
    rc = accept_contents(st, mode);
    if (rc != HPS_OK && had_wal)
        sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
    if (rc == HPS_OK)
        rc = configure_connection(st);
    if (rc == HPS_OK)
        rc = check_schema(st);
    if (rc != HPS_OK)
        hps_errbuf_set(err, rc, "%s", hps_errbuf_text(&st->base.err));
out:
    if (rc != HPS_OK) {
        sqlite_close(&st->base);
        return rc;
    }
    *out = &st->base;
    return HPS_OK;
}

/* ---- studies ------------------------------------------------------------------------ */

/* Reads the study row for `name` into info; HPS_ERR_NOTFOUND if absent. */
static hps_status read_study(sqlite_store *st, const char *name, hps_study_info *info)
{
    sqlite3_stmt *stmt = query(st, Q_STUDY_BY_NAME);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(stmt);
    hps_status rc = HPS_OK;
    if (step == SQLITE_DONE) {
        rc = hps_errbuf_set(&st->base.err, HPS_ERR_NOTFOUND, "study '%s' does not exist", name);
    } else if (step != SQLITE_ROW) {
        rc = db_error(st, "reading a study");
    } else {
        memset(info, 0, sizeof *info);
        info->study_id = sqlite3_column_int64(stmt, 0);
        info->created = sqlite3_column_double(stmt, 2);
        info->name = hps_mem_strdup(name);
        if (info->name == NULL)
            rc = nomem(st);
        else
            rc = hps_sql_read_directions((const char *)sqlite3_column_text(stmt, 1), info,
                                         "sqlite", st->path, &st->base.err);
    }
    sqlite3_reset(stmt);
    if (rc != HPS_OK)
        hps_study_info_clear(info);
    return rc;
}

static hps_status sqlite_open_study(hps_storage *s, const char *name, unsigned flags,
                                    const hps_direction *dirs, size_t n_dirs, hps_study_info *info)
{
    sqlite_store *st = store_of(s);
    hps_status rc = begin_write(st);
    if (rc != HPS_OK)
        return rc;
    rc = read_study(st, name, info);
    if (rc == HPS_OK && !(flags & HPS_OPEN_LOAD)) {
        hps_study_info_clear(info);
        rc = hps_errbuf_set(&s->err, HPS_ERR_EXISTS, "study '%s' already exists", name);
    } else if (rc == HPS_ERR_NOTFOUND && (flags & HPS_OPEN_CREATE)) {
        char *dir_text = hps_sql_directions_text(dirs, n_dirs);
        sqlite3_stmt *stmt = dir_text != NULL ? query(st, Q_STUDY_INSERT) : NULL;
        if (dir_text == NULL) {
            rc = nomem(st);
        } else if (stmt == NULL) {
            rc = HPS_ERR_STORAGE;
        } else {
            sqlite3_bind_text(stmt, 1, name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(stmt, 2, dir_text, -1, SQLITE_TRANSIENT);
            sqlite3_bind_double(stmt, 3, hps_now());
            rc = run(st, stmt, "creating a study");
            if (rc == HPS_OK)
                rc = read_study(st, name, info);
        }
        free(dir_text);
    }
    return finish_txn(st, rc);
}

static hps_status sqlite_delete_study(hps_storage *s, const char *name)
{
    sqlite_store *st = store_of(s);
    hps_study_info info = {0};
    hps_status rc = begin_write(st);
    if (rc != HPS_OK)
        return rc;
    rc = read_study(st, name, &info);
    static const char *const deletes[] = {
        ("DELETE FROM trial_params WHERE trial_id IN"
         " (SELECT trial_id FROM trials WHERE study_id = ?1)"),
        ("DELETE FROM trial_values WHERE trial_id IN"
         " (SELECT trial_id FROM trials WHERE study_id = ?1)"),
        ("DELETE FROM trial_intermediate WHERE trial_id IN"
         " (SELECT trial_id FROM trials WHERE study_id = ?1)"),
        ("DELETE FROM trial_intermediate_more WHERE trial_id IN"
         " (SELECT trial_id FROM trials WHERE study_id = ?1)"),
        "DELETE FROM trials WHERE study_id = ?1",
        "DELETE FROM grid_free WHERE study_id = ?1",
        "DELETE FROM studies WHERE study_id = ?1",
    };
    for (size_t i = 0; rc == HPS_OK && i < sizeof deletes / sizeof deletes[0]; i++) {
        sqlite3_stmt *stmt;
        if (sqlite3_prepare_v2(st->db, deletes[i], -1, &stmt, NULL) != SQLITE_OK) {
            rc = db_error(st, "deleting a study");
            break;
        }
        sqlite3_bind_int64(stmt, 1, info.study_id);
        rc = run(st, stmt, "deleting a study");
        sqlite3_finalize(stmt);
    }
    hps_study_info_clear(&info);
    return finish_txn(st, rc);
}

static hps_status sqlite_list_studies(hps_storage *s, hps_study_info **out, size_t *n_out)
{
    sqlite_store *st = store_of(s);
    *out = NULL;
    *n_out = 0;
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT study_id, name, directions, created FROM studies ORDER BY study_id",
                           -1, &stmt, NULL) != SQLITE_OK)
        return db_error(st, "listing studies");
    hps_study_info *items = NULL;
    size_t n = 0, cap = 0;
    hps_status rc = HPS_OK;
    int step;
    while (rc == HPS_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
        void *grown = items;
        if (hps_mem_grow(&grown, &cap, n + 1, sizeof *items) != 0) {
            rc = nomem(st);
            break;
        }
        items = grown;
        hps_study_info *info = &items[n];
        memset(info, 0, sizeof *info);
        info->study_id = sqlite3_column_int64(stmt, 0);
        info->name = column_strdup(stmt, 1);
        info->created = sqlite3_column_double(stmt, 3);
        n++;
        if (info->name == NULL)
            rc = nomem(st);
        else
            rc = hps_sql_read_directions((const char *)sqlite3_column_text(stmt, 2), info,
                                         "sqlite", st->path, &st->base.err);
    }
    if (rc == HPS_OK && step != SQLITE_DONE)
        rc = db_error(st, "listing studies");
    sqlite3_finalize(stmt);
    if (rc != HPS_OK) {
        for (size_t i = 0; i < n; i++)
            hps_study_info_clear(&items[i]);
        hps_mem_free(items);
        return rc;
    }
    *out = items;
    *n_out = n;
    return HPS_OK;
}

/* Reads both attribute objects of a study (caller decrefs). */
static hps_status read_study_attrs(sqlite_store *st, int64_t study_id, json_t **user,
                                   json_t **system)
{
    *user = *system = NULL;
    sqlite3_stmt *stmt = query(st, Q_STUDY_ATTRS);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, study_id);
    int step = sqlite3_step(stmt);
    hps_status rc = HPS_OK;
    if (step == SQLITE_ROW) {
        *user = json_loads((const char *)sqlite3_column_text(stmt, 0), 0, NULL);
        *system = json_loads((const char *)sqlite3_column_text(stmt, 1), 0, NULL);
        if (!json_is_object(*user) || !json_is_object(*system))
            rc = hps_errbuf_set(&st->base.err, HPS_ERR_CORRUPT,
                                "study %lld has malformed stored attributes", (long long)study_id);
    } else if (step == SQLITE_DONE) {
        rc = hps_errbuf_set(&st->base.err, HPS_ERR_NOTFOUND, "study %lld does not exist",
                            (long long)study_id);
    } else {
        rc = db_error(st, "reading study attributes");
    }
    sqlite3_reset(stmt);
    if (rc != HPS_OK) {
        json_decref(*user);
        json_decref(*system);
        *user = *system = NULL;
    }
    return rc;
}

static hps_status write_study_attrs(sqlite_store *st, int64_t study_id, const json_t *user,
                                    const json_t *system)
{
    char *user_text = json_dumps(user, JSON_COMPACT | JSON_REAL_PRECISION(17));
    char *system_text = json_dumps(system, JSON_COMPACT | JSON_REAL_PRECISION(17));
    sqlite3_stmt *stmt = user_text != NULL && system_text != NULL ? query(st, Q_STUDY_SET_ATTRS)
                                                                  : NULL;
    hps_status rc;
    if (user_text == NULL || system_text == NULL) {
        rc = nomem(st);
    } else if (stmt == NULL) {
        rc = HPS_ERR_STORAGE;
    } else {
        sqlite3_bind_int64(stmt, 1, study_id);
        sqlite3_bind_text(stmt, 2, user_text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(stmt, 3, system_text, -1, SQLITE_TRANSIENT);
        rc = run(st, stmt, "writing study attributes");
    }
    free(user_text);
    free(system_text);
    return rc;
}

static hps_status sqlite_set_study_attr(hps_storage *s, int64_t study_id, int system,
                                        const char *key, const char *json)
{
    sqlite_store *st = store_of(s);
    json_t *value = json_loads(json, JSON_DECODE_ANY, NULL);
    if (value == NULL)
        return hps_errbuf_set(&s->err, HPS_ERR_INVALID, "attribute '%s' is not valid JSON", key);
    json_t *user, *sys;
    hps_status rc = begin_write(st);
    if (rc != HPS_OK) {
        json_decref(value);
        return rc;
    }
    rc = read_study_attrs(st, study_id, &user, &sys);
    if (rc == HPS_OK) {
        if (json_object_set_new(system ? sys : user, key, value) != 0)
            rc = nomem(st);
        value = NULL;
        if (rc == HPS_OK)
            rc = write_study_attrs(st, study_id, user, sys);
        json_decref(user);
        json_decref(sys);
    }
    json_decref(value);
    return finish_txn(st, rc);
}

static hps_status sqlite_set_study_attr_once(hps_storage *s, int64_t study_id, const char *key,
                                             const char *json, char **current_out)
{
    sqlite_store *st = store_of(s);
    *current_out = NULL;
    json_t *value = json_loads(json, JSON_DECODE_ANY, NULL);
    if (value == NULL)
        return hps_errbuf_set(&s->err, HPS_ERR_INVALID, "attribute '%s' is not valid JSON", key);
    json_t *user = NULL, *sys = NULL;
    hps_status rc = begin_write(st);
    if (rc == HPS_OK)
        rc = read_study_attrs(st, study_id, &user, &sys);
    if (rc == HPS_OK && json_object_get(sys, key) == NULL) {
        if (json_object_set(sys, key, value) != 0)
            rc = nomem(st);
        else
            rc = write_study_attrs(st, study_id, user, sys);
    }
    if (rc == HPS_OK) {
        *current_out = json_dumps(json_object_get(sys, key),
                                  JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
        if (*current_out == NULL)
            rc = nomem(st);
    }
    json_decref(user);
    json_decref(sys);
    json_decref(value);
    rc = finish_txn(st, rc);
    if (rc != HPS_OK) {
        free(*current_out);
        *current_out = NULL;
    }
    return rc;
}

static hps_status sqlite_get_study_attrs(hps_storage *s, int64_t study_id, int system,
                                         char **json_out)
{
    sqlite_store *st = store_of(s);
    json_t *user, *sys;
    hps_status rc = read_study_attrs(st, study_id, &user, &sys);
    if (rc != HPS_OK)
        return rc;
    *json_out = hps_rec_attrs_text(system ? sys : user);
    json_decref(user);
    json_decref(sys);
    return *json_out != NULL ? HPS_OK : nomem(st);
}

/* ---- trials: reading ------------------------------------------------------------------ */

/* Fills a record from a row of Q_SYNC_TRIALS. */
static hps_status rec_from_row(sqlite_store *st, sqlite3_stmt *stmt, hps_frozen **out)
{
    hps_frozen *rec = hps_rec_new();
    if (rec == NULL)
        return nomem(st);
    rec->id = sqlite3_column_int64(stmt, 0);
    rec->number = sqlite3_column_int64(stmt, 1);
    int state = sqlite3_column_int(stmt, 2);
    rec->state = (hps_trial_state)state;
    rec->interrupted = sqlite3_column_int(stmt, 3);
    rec->grid_pos = sqlite3_column_type(stmt, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(stmt, 4);
    rec->datetime_start = sqlite3_column_double(stmt, 7);
    rec->datetime_complete = sqlite3_column_double(stmt, 8);
    rec->heartbeat = sqlite3_column_double(stmt, 9);
    rec->change_seq = sqlite3_column_int64(stmt, 11);
    hps_status rc = HPS_OK;
    if (state < HPS_WAITING || state > HPS_PAUSED)
        rc = hps_errbuf_set(&st->base.err, HPS_ERR_CORRUPT, "sqlite %s: trial %lld has state %d",
                            st->path, (long long)rec->number, state);
    else if (hps_rec_load_attrs(rec, 0, (const char *)sqlite3_column_text(stmt, 5)) != 0 ||
             hps_rec_load_attrs(rec, 1, (const char *)sqlite3_column_text(stmt, 6)) != 0)
        rc = hps_errbuf_set(&st->base.err, HPS_ERR_CORRUPT,
                            "sqlite %s: trial %lld has malformed attributes", st->path,
                            (long long)rec->number);
    else if (sqlite3_column_type(stmt, 10) != SQLITE_NULL &&
             (rec->worker = column_strdup(stmt, 10)) == NULL)
        rc = nomem(st);
    if (rc != HPS_OK) {
        hps_rec_free(rec);
        return rc;
    }
    *out = rec;
    return HPS_OK;
}

/* Reads the trials of a study changed after `since` (all of them for since = -1, or
 * one trial when only_trial >= 0) with their parameters and values, sorted by id. */
/* A REAL column's value; SQLite stores NaN as NULL. */
static double column_value(sqlite3_stmt *stmt, int col)
{
    return sqlite3_column_type(stmt, col) == SQLITE_NULL ? NAN : sqlite3_column_double(stmt, col);
}

static hps_status read_changed(sqlite_store *st, int64_t study_id, int64_t since,
                               hps_rec_list *list)
{
    sqlite3_stmt *stmt = query(st, Q_SYNC_TRIALS);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, study_id);
    sqlite3_bind_int64(stmt, 2, since);
    hps_status rc = HPS_OK;
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        void *grown = list->items;
        if (hps_mem_grow(&grown, &list->cap, list->n + 1, sizeof *list->items) != 0) {
            rc = nomem(st);
            break;
        }
        list->items = grown;
        rc = rec_from_row(st, stmt, &list->items[list->n]);
        if (rc != HPS_OK)
            break;
        list->n++;
    }
    if (rc == HPS_OK && step != SQLITE_DONE)
        rc = db_error(st, "reading trials");
    sqlite3_reset(stmt);
    if (rc != HPS_OK || list->n == 0)
        return rc;

    hps_dist_memo memo = {0};
    size_t cursor = 0;
    stmt = query(st, Q_SYNC_PARAMS);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, study_id);
    sqlite3_bind_int64(stmt, 2, since);
    while (rc == HPS_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
        hps_frozen *rec = hps_rec_list_advance_to(list, &cursor, sqlite3_column_int64(stmt, 0));
        if (rec == NULL)
            continue; /* changed between our two reads: impossible inside one txn */
        const char *name = (const char *)sqlite3_column_text(stmt, 1);
        const char *dist_text = (const char *)sqlite3_column_text(stmt, 2);
        if (name == NULL || dist_text == NULL) {
            rc = hps_errbuf_set(&st->base.err, HPS_ERR_CORRUPT, "sqlite %s: a parameter row is empty",
                                st->path);
            break;
        }
        rc = hps_dist_memo_parse(&memo, name, dist_text, "sqlite", st->path,
                                     &st->base.err);
        if (rc == HPS_OK &&
            hps_rec_add_param(rec, name, &memo.dist, sqlite3_column_double(stmt, 3)) != 0)
            rc = nomem(st);
    }
    if (rc == HPS_OK && step != SQLITE_DONE)
        rc = db_error(st, "reading parameters");
    sqlite3_reset(stmt);
    hps_dist_memo_clear(&memo);

    cursor = 0;
    stmt = rc == HPS_OK ? query(st, Q_SYNC_VALUES) : NULL;
    if (stmt != NULL) {
        sqlite3_bind_int64(stmt, 1, study_id);
        sqlite3_bind_int64(stmt, 2, since);
        while (rc == HPS_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
            hps_frozen *rec = hps_rec_list_advance_to(list, &cursor, sqlite3_column_int64(stmt, 0));
            if (rec == NULL)
                continue;
            double v = sqlite3_column_type(stmt, 1) == SQLITE_NULL ? NAN
                                                                   : sqlite3_column_double(stmt, 1);
            double *grown = hps_mem_realloc_array(rec->values, rec->n_values + 1, sizeof *grown);
            if (grown == NULL) {
                rc = nomem(st);
                break;
            }
            rec->values = grown;
            rec->values[rec->n_values++] = v;
        }
        if (rc == HPS_OK && step != SQLITE_DONE)
            rc = db_error(st, "reading values");
        sqlite3_reset(stmt);
    }

    cursor = 0;
    stmt = rc == HPS_OK ? query(st, Q_SYNC_INTER) : NULL;
    if (stmt != NULL) {
        sqlite3_bind_int64(stmt, 1, study_id);
        sqlite3_bind_int64(stmt, 2, since);
        hps_inter_acc acc = {0};
        while (rc == HPS_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
            hps_frozen *rec = hps_rec_list_advance_to(list, &cursor, sqlite3_column_int64(stmt, 0));
            if (rec == NULL)
                continue;
            int64_t objective = sqlite3_column_type(stmt, 3) == SQLITE_NULL
                                    ? 0
                                    : sqlite3_column_int64(stmt, 3);
            rc = hps_inter_acc_row(&acc, rec, sqlite3_column_int64(stmt, 1), column_value(stmt, 2),
                                   objective, column_value(stmt, 4));
        }
        if (rc == HPS_OK)
            rc = hps_inter_acc_flush(&acc);
        if (rc == HPS_ERR_NOMEM)
            rc = nomem(st);
        else if (rc == HPS_ERR_CORRUPT)
            rc = hps_errbuf_set(&st->base.err, rc,
                                "sqlite %s: an intermediate value of objective past %d",
                                st->path, HPS_REC_MAX_INTER_VALUES - 1);
        else if (rc == HPS_OK && step != SQLITE_DONE)
            rc = db_error(st, "reading intermediate values");
        sqlite3_reset(stmt);
    }
    return rc;
}

static hps_status study_seq(sqlite_store *st, int64_t study_id, int64_t *seq)
{
    sqlite3_stmt *stmt = query(st, Q_STUDY_SEQ);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, study_id);
    int step = sqlite3_step(stmt);
    hps_status rc = HPS_OK;
    if (step == SQLITE_ROW)
        *seq = sqlite3_column_int64(stmt, 0);
    else if (step == SQLITE_DONE)
        rc = hps_errbuf_set(&st->base.err, HPS_ERR_NOTFOUND, "study %lld does not exist",
                            (long long)study_id);
    else
        rc = db_error(st, "reading the change counter");
    sqlite3_reset(stmt);
    return rc;
}

static hps_status sqlite_sync(hps_storage *s, int64_t study_id, int64_t since, hps_sync_fn fn,
                              void *user, int64_t *seq_out)
{
    sqlite_store *st = store_of(s);
    hps_rec_list list = {0};
    int64_t seq = since;
    hps_status rc = begin_read(st);
    if (rc != HPS_OK)
        return rc;
    rc = study_seq(st, study_id, &seq);
    /* Nothing changed: skip the four queries. This is the common case of a sync at
     * every ask in a single-worker study. */
    if (rc == HPS_OK && seq > since)
        rc = read_changed(st, study_id, since, &list);
    rc = finish_txn(st, rc);
    size_t delivered = 0;
    for (; rc == HPS_OK && delivered < list.n; delivered++) {
        hps_frozen *rec = list.items[delivered];
        list.items[delivered] = NULL;
        if (fn(user, rec) != 0)
            rc = nomem(st);
    }
    hps_rec_list_free(&list);
    if (rc == HPS_OK)
        *seq_out = seq;
    return rc;
}

/* Reads one trial in full (inside the caller's transaction). */
static hps_status read_trial(sqlite_store *st, int64_t study_id, int64_t trial_id,
                             hps_frozen **out)
{
    /* The trial was just touched, so its change_seq is the study's newest: reading
     * "changed since seq - 1" returns exactly it. */
    int64_t seq;
    hps_status rc = study_seq(st, study_id, &seq);
    if (rc != HPS_OK)
        return rc;
    hps_rec_list list = {0};
    rc = read_changed(st, study_id, seq - 1, &list);
    *out = NULL;
    for (size_t i = 0; rc == HPS_OK && i < list.n; i++) {
        if (list.items[i]->id == trial_id) {
            *out = list.items[i];
            list.items[i] = NULL;
        }
    }
    hps_rec_list_free(&list);
    if (rc == HPS_OK && *out == NULL)
        rc = hps_errbuf_set(&st->base.err, HPS_ERR_STORAGE, "sqlite %s: trial vanished while read",
                            st->path);
    return rc;
}

/* ---- trials: writing ------------------------------------------------------------------ */

/* Takes the next change number of the study owning trial `trial_id` (or study_id). */
static hps_status bump_seq(sqlite_store *st, int64_t study_id, int64_t *seq)
{
    sqlite3_stmt *stmt = query(st, Q_STUDY_BUMP_SEQ);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, study_id);
    int step = sqlite3_step(stmt);
    hps_status rc = HPS_OK;
    if (step == SQLITE_ROW)
        *seq = sqlite3_column_int64(stmt, 0);
    else if (step == SQLITE_DONE)
        rc = hps_errbuf_set(&st->base.err, HPS_ERR_NOTFOUND, "study %lld does not exist",
                            (long long)study_id);
    else
        rc = db_error(st, "advancing the change counter");
    sqlite3_reset(stmt);
    return rc;
}

typedef struct trial_head {
    int64_t study_id, number;
    int state;
    double heartbeat;
    int64_t grid_pos;
    json_t *user_attrs, *system_attrs;
} trial_head;

static void trial_head_clear(trial_head *h)
{
    json_decref(h->user_attrs);
    json_decref(h->system_attrs);
    h->user_attrs = h->system_attrs = NULL;
}

static hps_status read_head(sqlite_store *st, int64_t trial_id, trial_head *h)
{
    memset(h, 0, sizeof *h);
    sqlite3_stmt *stmt = query(st, Q_TRIAL_HEAD);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, trial_id);
    int step = sqlite3_step(stmt);
    hps_status rc = HPS_OK;
    if (step == SQLITE_ROW) {
        h->study_id = sqlite3_column_int64(stmt, 0);
        h->number = sqlite3_column_int64(stmt, 1);
        h->state = sqlite3_column_int(stmt, 2);
        h->heartbeat = sqlite3_column_double(stmt, 3);
        h->grid_pos = sqlite3_column_type(stmt, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(stmt, 4);
        h->user_attrs = json_loads((const char *)sqlite3_column_text(stmt, 5), 0, NULL);
        h->system_attrs = json_loads((const char *)sqlite3_column_text(stmt, 6), 0, NULL);
        if (!json_is_object(h->user_attrs) || !json_is_object(h->system_attrs))
            rc = hps_errbuf_set(&st->base.err, HPS_ERR_CORRUPT,
                                "sqlite %s: trial %lld has malformed attributes", st->path,
                                (long long)h->number);
    } else if (step == SQLITE_DONE) {
        rc = hps_errbuf_set(&st->base.err, HPS_ERR_NOTFOUND, "trial id %lld does not exist",
                            (long long)trial_id);
    } else {
        rc = db_error(st, "reading a trial");
    }
    sqlite3_reset(stmt);
    if (rc != HPS_OK)
        trial_head_clear(h);
    return rc;
}

/* The columns of a trial most writes need, without parsing its attributes. */
static hps_status read_state(sqlite_store *st, int64_t trial_id, trial_head *h)
{
    memset(h, 0, sizeof *h);
    sqlite3_stmt *stmt = query(st, Q_TRIAL_STATE);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, trial_id);
    int step = sqlite3_step(stmt);
    hps_status rc = HPS_OK;
    if (step == SQLITE_ROW) {
        h->study_id = sqlite3_column_int64(stmt, 0);
        h->number = sqlite3_column_int64(stmt, 1);
        h->state = sqlite3_column_int(stmt, 2);
        h->heartbeat = sqlite3_column_double(stmt, 3);
        h->grid_pos = sqlite3_column_type(stmt, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(stmt, 4);
    } else if (step == SQLITE_DONE) {
        rc = hps_errbuf_set(&st->base.err, HPS_ERR_NOTFOUND, "trial id %lld does not exist",
                            (long long)trial_id);
    } else {
        rc = db_error(st, "reading a trial");
    }
    sqlite3_reset(stmt);
    return rc;
}

static hps_status require_running(sqlite_store *st, const trial_head *h)
{
    if (h->state != HPS_RUNNING)
        return hps_errbuf_set(&st->base.err, HPS_ERR_STATE, "trial %lld is %s, not RUNNING",
                              (long long)h->number, hps_trial_state_name((hps_trial_state)h->state));
    return HPS_OK;
}

/* Inside the write transaction that checked the state, so no other worker can take
 * the trial over between the check and the write. */
static hps_status require_owner(sqlite_store *st, int64_t trial_id, int64_t number,
                                const char *owner)
{
    if (owner == NULL)
        return HPS_OK;
    sqlite3_stmt *stmt = query(st, Q_TRIAL_WORKER);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, trial_id);
    hps_status rc;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        rc = hps_storage_check_owner(&st->base.err, number, owner,
                                     (const char *)sqlite3_column_text(stmt, 0));
    else
        rc = db_error(st, "reading a trial's worker");
    sqlite3_reset(stmt);
    return rc;
}

static hps_status touch(sqlite_store *st, int64_t study_id, int64_t trial_id)
{
    int64_t seq;
    hps_status rc = bump_seq(st, study_id, &seq);
    sqlite3_stmt *stmt = rc == HPS_OK ? query(st, Q_TRIAL_TOUCH) : NULL;
    if (stmt == NULL)
        return rc != HPS_OK ? rc : HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, trial_id);
    sqlite3_bind_int64(stmt, 2, seq);
    return run(st, stmt, "updating a trial");
}

/* Inserts a trial row with the next number of the study; counts it and claims the
 * given grid position (already checked against the counters read by the caller). */
static hps_status insert_trial(sqlite_store *st, int64_t study_id, int state, int64_t grid_pos,
                               int64_t grid_next, const char *system_attrs, const char *worker,
                               double start, double heartbeat, int64_t *trial_id, int64_t *number,
                               int64_t *seq)
{
    sqlite3_stmt *stmt = query(st, Q_STUDY_COUNTERS);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, study_id);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        hps_status rc = db_error(st, "reading study counters");
        sqlite3_reset(stmt);
        return rc;
    }
    *number = sqlite3_column_int64(stmt, 0);
    if (grid_next < 0)
        grid_next = sqlite3_column_int64(stmt, 2);
    sqlite3_reset(stmt);
    hps_status rc = bump_seq(st, study_id, seq);
    if (rc != HPS_OK)
        return rc;
    stmt = query(st, Q_STUDY_CLAIM);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, study_id);
    sqlite3_bind_int64(stmt, 2, grid_next);
    rc = run(st, stmt, "claiming a trial number");
    if (rc != HPS_OK)
        return rc;
    stmt = query(st, Q_TRIAL_INSERT);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, study_id);
    sqlite3_bind_int64(stmt, 2, *number);
    sqlite3_bind_int(stmt, 3, state);
    if (grid_pos >= 0)
        sqlite3_bind_int64(stmt, 4, grid_pos);
    else
        sqlite3_bind_null(stmt, 4);
    sqlite3_bind_text(stmt, 5, system_attrs != NULL ? system_attrs : "{}", -1, SQLITE_TRANSIENT);
    if (state == HPS_RUNNING)
        sqlite3_bind_double(stmt, 6, start);
    if (heartbeat > 0)
        sqlite3_bind_double(stmt, 7, heartbeat);
    bind_text_or_null(stmt, 8, worker);
    sqlite3_bind_int64(stmt, 9, *seq);
    rc = run(st, stmt, "inserting a trial");
    *trial_id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

/* Whether a trial of the study other than `except_id` holds position `pos`: 1, 0, or -1
 * on a database error (reported). */
static int position_held(sqlite_store *st, int64_t study_id, int64_t pos, int64_t except_id)
{
    sqlite3_stmt *stmt = query(st, Q_POS_HELD);
    if (stmt == NULL)
        return -1;
    sqlite3_bind_int64(stmt, 1, study_id);
    sqlite3_bind_int64(stmt, 2, pos);
    sqlite3_bind_int64(stmt, 3, except_id);
    int step = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        db_error(st, "looking for the holder of a position");
        return -1;
    }
    return step == SQLITE_ROW;
}

static hps_status drop_free_position(sqlite_store *st, int64_t study_id, int64_t pos)
{
    sqlite3_stmt *stmt = query(st, Q_GRID_FREE_DELETE);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, study_id);
    sqlite3_bind_int64(stmt, 2, pos);
    return run(st, stmt, "claiming a released grid cell");
}

/* Claims a grid position: the smallest released one, else the next fresh one that no
 * trial holds (claim_position may have given it away already). HPS_DONE when the grid
 * is exhausted. */
static hps_status claim_grid(sqlite_store *st, int64_t study_id, uint64_t cells, int64_t *pos,
                             int64_t *grid_next)
{
    sqlite3_stmt *stmt = query(st, Q_GRID_FREE_MIN);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, study_id);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        *pos = sqlite3_column_int64(stmt, 0);
        sqlite3_reset(stmt);
        *grid_next = -1; /* unchanged */
        return drop_free_position(st, study_id, *pos);
    }
    sqlite3_reset(stmt);
    if (step != SQLITE_DONE)
        return db_error(st, "looking for released grid cells");
    stmt = query(st, Q_STUDY_COUNTERS);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, study_id);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        hps_status rc = db_error(st, "reading study counters");
        sqlite3_reset(stmt);
        return rc;
    }
    int64_t next = sqlite3_column_int64(stmt, 2);
    sqlite3_reset(stmt);
    for (;;) {
        if (next < 0 || (uint64_t)next >= cells)
            return HPS_DONE;
        int held = position_held(st, study_id, next, -1);
        if (held < 0)
            return HPS_ERR_STORAGE;
        if (!held)
            break;
        next++;
    }
    *pos = next;
    *grid_next = next + 1;
    return HPS_OK;
}

static hps_status sqlite_claim_position(hps_storage *s, int64_t study_id, int64_t trial_id,
                                        int64_t first, uint64_t count, int64_t *pos_out)
{
    sqlite_store *st = store_of(s);
    trial_head h;
    hps_status rc = begin_write(st);
    if (rc != HPS_OK)
        return rc;
    rc = read_state(st, trial_id, &h);
    if (rc == HPS_OK)
        rc = require_running(st, &h);
    if (rc == HPS_OK && h.study_id != study_id)
        rc = hps_errbuf_set(&s->err, HPS_ERR_INVALID, "trial %lld is not in study %lld",
                            (long long)h.number, (long long)study_id);
    if (rc == HPS_OK && h.grid_pos >= first && (uint64_t)(h.grid_pos - first) < count) {
        *pos_out = h.grid_pos; /* a retry of a claim that was made */
        return finish_txn(st, rc);
    }
    if (rc == HPS_OK && h.grid_pos >= 0)
        rc = hps_errbuf_set(&s->err, HPS_ERR_STATE, "trial %lld already holds position %lld",
                            (long long)h.number, (long long)h.grid_pos);
    int64_t pos = -1;
    for (uint64_t k = 0; rc == HPS_OK && pos < 0 && k < count; k++) {
        int held = position_held(st, study_id, first + (int64_t)k, trial_id);
        if (held < 0)
            rc = HPS_ERR_STORAGE;
        else if (!held)
            pos = first + (int64_t)k;
    }
    if (rc == HPS_OK && pos < 0)
        rc = hps_errbuf_set(&s->err, HPS_ERR_EXISTS, "positions %lld to %lld are all held",
                            (long long)first, (long long)(first + (int64_t)count - 1));
    int64_t seq = 0;
    if (rc == HPS_OK)
        rc = drop_free_position(st, study_id, pos);
    if (rc == HPS_OK)
        rc = bump_seq(st, study_id, &seq);
    if (rc == HPS_OK) {
        sqlite3_stmt *stmt = query(st, Q_TRIAL_SET_POS);
        if (stmt == NULL) {
            rc = HPS_ERR_STORAGE;
        } else {
            sqlite3_bind_int64(stmt, 1, trial_id);
            sqlite3_bind_int64(stmt, 2, pos);
            sqlite3_bind_int64(stmt, 3, seq);
            rc = run(st, stmt, "claiming a position");
        }
    }
    if (rc == HPS_OK)
        *pos_out = pos;
    return finish_txn(st, rc);
}

static hps_status study_counted(sqlite_store *st, int64_t study_id, uint64_t *counted)
{
    sqlite3_stmt *stmt = query(st, Q_STUDY_COUNTERS);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, study_id);
    int step = sqlite3_step(stmt);
    hps_status rc = HPS_OK;
    if (step == SQLITE_ROW) {
        sqlite3_int64 n = sqlite3_column_int64(stmt, 1);
        *counted = n < 0 ? 0 : (uint64_t)n;
    } else if (step == SQLITE_DONE) {
        rc = hps_errbuf_set(&st->base.err, HPS_ERR_NOTFOUND, "study %lld does not exist",
                            (long long)study_id);
    } else {
        rc = db_error(st, "reading study counters");
    }
    sqlite3_reset(stmt);
    return rc;
}

static hps_status sqlite_create_trial(hps_storage *s, int64_t study_id, const hps_create_req *req,
                                      hps_frozen **out)
{
    sqlite_store *st = store_of(s);
    *out = NULL;
    hps_status rc = begin_write(st);
    if (rc != HPS_OK)
        return rc;
    int64_t trial_id = -1;
    sqlite3_stmt *stmt = query(st, Q_WAITING_OLDEST);
    if (stmt == NULL) {
        rc = HPS_ERR_STORAGE;
        goto out;
    }
    sqlite3_bind_int64(stmt, 1, study_id);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW)
        trial_id = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        rc = db_error(st, "looking for waiting trials");
        goto out;
    }
    if (trial_id >= 0) {
        int64_t seq;
        rc = bump_seq(st, study_id, &seq);
        if (rc != HPS_OK)
            goto out;
        stmt = query(st, Q_TRIAL_START);
        if (stmt == NULL) {
            rc = HPS_ERR_STORAGE;
            goto out;
        }
        sqlite3_bind_int64(stmt, 1, trial_id);
        sqlite3_bind_double(stmt, 2, req->now);
        if (req->with_heartbeat)
            sqlite3_bind_double(stmt, 3, req->now);
        bind_text_or_null(stmt, 4, req->worker);
        sqlite3_bind_int64(stmt, 5, seq);
        rc = run(st, stmt, "starting a waiting trial");
    } else {
        if (req->max_trials != 0) {
            uint64_t counted = 0;
            rc = study_counted(st, study_id, &counted);
            if (rc != HPS_OK)
                goto out;
            if (counted >= req->max_trials) {
                rc = HPS_DONE;
                goto out;
            }
        }
        int64_t pos = -1, grid_next = -1;
        if (req->grid_cells != 0) {
            rc = claim_grid(st, study_id, req->grid_cells, &pos, &grid_next);
            if (rc != HPS_OK)
                goto out;
        }
        int64_t number, seq;
        double heartbeat = req->with_heartbeat ? req->now : 0;
        rc = insert_trial(st, study_id, HPS_RUNNING, pos, grid_next, NULL, req->worker, req->now,
                          heartbeat, &trial_id, &number, &seq);
        /* A new trial is exactly what we just wrote: no need to read it back. */
        hps_frozen *rec = rc == HPS_OK ? hps_rec_new() : NULL;
        if (rc == HPS_OK && rec == NULL)
            rc = nomem(st);
        if (rec != NULL) {
            rec->id = trial_id;
            rec->number = number;
            rec->state = HPS_RUNNING;
            rec->grid_pos = pos;
            rec->datetime_start = req->now;
            rec->heartbeat = heartbeat;
            rec->change_seq = seq;
            if (req->worker != NULL && (rec->worker = hps_mem_strdup(req->worker)) == NULL)
                rc = nomem(st);
            *out = rec;
        }
        goto out;
    }
    if (rc == HPS_OK)
        rc = read_trial(st, study_id, trial_id, out);
out:
    rc = finish_txn(st, rc);
    if (rc != HPS_OK) {
        hps_rec_free(*out);
        *out = NULL;
    }
    return rc;
}

static hps_status sqlite_enqueue_trial(hps_storage *s, int64_t study_id, const char *system_attrs,
                                       int64_t *number_out)
{
    sqlite_store *st = store_of(s);
    json_t *attrs = json_loads(system_attrs != NULL ? system_attrs : "{}", 0, NULL);
    int ok = json_is_object(attrs);
    json_decref(attrs);
    if (!ok)
        return hps_errbuf_set(&s->err, HPS_ERR_INVALID, "enqueued attributes are not a JSON object");
    hps_status rc = begin_write(st);
    if (rc != HPS_OK)
        return rc;
    int64_t trial_id, number, seq;
    rc = insert_trial(st, study_id, HPS_WAITING, -1, -1, system_attrs, NULL, 0, 0, &trial_id,
                      &number, &seq);
    rc = finish_txn(st, rc);
    if (rc == HPS_OK && number_out != NULL)
        *number_out = number;
    return rc;
}

static hps_status sqlite_start_trial(hps_storage *s, int64_t trial_id, double now)
{
    sqlite_store *st = store_of(s);
    trial_head h;
    hps_status rc = begin_write(st);
    if (rc != HPS_OK)
        return rc;
    rc = read_state(st, trial_id, &h);
    if (rc == HPS_OK && h.state != HPS_WAITING)
        rc = hps_errbuf_set(&s->err, HPS_ERR_STATE, "trial %lld is %s, not WAITING",
                            (long long)h.number, hps_trial_state_name((hps_trial_state)h.state));
    int64_t seq = 0;
    if (rc == HPS_OK)
        rc = bump_seq(st, h.study_id, &seq);
    sqlite3_stmt *stmt = rc == HPS_OK ? query(st, Q_TRIAL_START) : NULL;
    if (rc == HPS_OK && stmt == NULL)
        rc = HPS_ERR_STORAGE;
    if (rc == HPS_OK) {
        sqlite3_bind_int64(stmt, 1, trial_id);
        sqlite3_bind_double(stmt, 2, now);
        sqlite3_bind_null(stmt, 3); /* no heartbeat */
        sqlite3_bind_null(stmt, 4); /* no worker */
        sqlite3_bind_int64(stmt, 5, seq);
        rc = run(st, stmt, "starting a trial");
    }
    return finish_txn(st, rc);
}

static char *dist_text(const hps_dist *dist)
{
    json_t *node = hps_dist_to_json_node(dist);
    char *text = node != NULL ? json_dumps(node, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(node);
    return text;
}

static hps_status insert_param(sqlite_store *st, int64_t trial_id, int64_t number, int64_t ord,
                               const hps_param_rec *param)
{
    char *text = dist_text(&param->dist);
    if (text == NULL)
        return nomem(st);
    sqlite3_stmt *stmt = query(st, Q_PARAM_INSERT);
    hps_status rc = HPS_OK;
    if (stmt == NULL) {
        rc = HPS_ERR_STORAGE;
    } else {
        sqlite3_bind_int64(stmt, 1, trial_id);
        sqlite3_bind_int64(stmt, 2, ord);
        sqlite3_bind_text(stmt, 3, param->name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(stmt, 4, text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(stmt, 5, param->internal);
        int step = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        if (step != SQLITE_DONE && (sqlite3_extended_errcode(st->db) & 0xff) == SQLITE_CONSTRAINT)
            rc = hps_errbuf_set(&st->base.err, HPS_ERR_EXISTS,
                                "trial %lld already has parameter '%s'", (long long)number,
                                param->name);
        else if (step != SQLITE_DONE)
            rc = db_error(st, "storing a parameter");
    }
    free(text);
    return rc;
}

static hps_status sqlite_resume_trial(hps_storage *s, int64_t trial_id, const hps_create_req *req,
                                      hps_frozen **out)
{
    sqlite_store *st = store_of(s);
    trial_head h;
    *out = NULL;
    hps_status rc = begin_write(st);
    if (rc != HPS_OK)
        return rc;
    rc = read_state(st, trial_id, &h);
    if (rc == HPS_OK && h.state != HPS_PAUSED)
        rc = hps_errbuf_set(&s->err, HPS_ERR_STATE, "trial %lld is %s, not PAUSED",
                            (long long)h.number, hps_trial_state_name((hps_trial_state)h.state));
    int64_t seq = 0;
    if (rc == HPS_OK)
        rc = bump_seq(st, h.study_id, &seq);
    sqlite3_stmt *stmt = rc == HPS_OK ? query(st, Q_TRIAL_RESUME) : NULL;
    if (rc == HPS_OK && stmt == NULL)
        rc = HPS_ERR_STORAGE;
    if (rc == HPS_OK) {
        sqlite3_bind_int64(stmt, 1, trial_id);
        if (req->with_heartbeat)
            sqlite3_bind_double(stmt, 2, req->now);
        else
            sqlite3_bind_null(stmt, 2);
        bind_text_or_null(stmt, 3, req->worker);
        sqlite3_bind_int64(stmt, 4, seq);
        rc = run(st, stmt, "resuming a paused trial");
    }
    if (rc == HPS_OK)
        rc = read_trial(st, h.study_id, trial_id, out);
    rc = finish_txn(st, rc);
    if (rc != HPS_OK) {
        hps_rec_free(*out);
        *out = NULL;
    }
    return rc;
}

static hps_status sqlite_set_params(hps_storage *s, int64_t trial_id, const char *owner,
                                    const hps_param_rec *params, size_t n_params)
{
    sqlite_store *st = store_of(s);
    trial_head h;
    hps_status rc = begin_write(st);
    if (rc != HPS_OK)
        return rc;
    rc = read_state(st, trial_id, &h);
    if (rc == HPS_OK)
        rc = require_running(st, &h);
    if (rc == HPS_OK)
        rc = require_owner(st, trial_id, h.number, owner);
    int64_t ord = 0;
    if (rc == HPS_OK) {
        sqlite3_stmt *stmt = query(st, Q_PARAM_COUNT);
        if (stmt == NULL) {
            rc = HPS_ERR_STORAGE;
        } else {
            sqlite3_bind_int64(stmt, 1, trial_id);
            if (sqlite3_step(stmt) == SQLITE_ROW)
                ord = sqlite3_column_int64(stmt, 0);
            else
                rc = db_error(st, "counting parameters");
            sqlite3_reset(stmt);
        }
    }
    for (size_t i = 0; rc == HPS_OK && i < n_params; i++)
        rc = insert_param(st, trial_id, h.number, ord + (int64_t)i, &params[i]);
    if (rc == HPS_OK)
        rc = touch(st, h.study_id, trial_id);
    return finish_txn(st, rc);
}

/* The other objectives' values of a step whose first value was just stored. */
static hps_status insert_more_values(sqlite_store *st, int64_t trial_id, int64_t step,
                                     const double *values, size_t n)
{
    hps_status rc = HPS_OK;
    for (size_t i = 1; rc == HPS_OK && i < n; i++) {
        sqlite3_stmt *stmt = query(st, Q_INTER_MORE_INSERT);
        if (stmt == NULL)
            return HPS_ERR_STORAGE;
        sqlite3_bind_int64(stmt, 1, trial_id);
        sqlite3_bind_int64(stmt, 2, step);
        sqlite3_bind_int64(stmt, 3, (sqlite3_int64)i);
        sqlite3_bind_double(stmt, 4, values[i]);
        rc = run(st, stmt, "storing an intermediate value");
    }
    return rc;
}

static hps_status sqlite_report(hps_storage *s, int64_t trial_id, const char *owner,
                                int64_t step, const double *values, size_t n)
{
    sqlite_store *st = store_of(s);
    trial_head h;
    hps_status rc = begin_write(st);
    if (rc != HPS_OK)
        return rc;
    rc = read_state(st, trial_id, &h);
    if (rc == HPS_OK)
        rc = require_running(st, &h);
    if (rc == HPS_OK)
        rc = require_owner(st, trial_id, h.number, owner);
    if (rc == HPS_OK) {
        sqlite3_stmt *stmt = query(st, Q_INTER_INSERT);
        if (stmt == NULL) {
            rc = HPS_ERR_STORAGE;
        } else {
            sqlite3_bind_int64(stmt, 1, trial_id);
            sqlite3_bind_int64(stmt, 2, step);
            sqlite3_bind_double(stmt, 3, values[0]);
            rc = run(st, stmt, "storing an intermediate value");
            if (rc == HPS_OK && sqlite3_changes(st->db) > 0) {
                rc = insert_more_values(st, trial_id, step, values, n);
                if (rc == HPS_OK)
                    rc = touch(st, h.study_id, trial_id);
            }
        }
    }
    return finish_txn(st, rc);
}

static hps_status write_trial_attrs(sqlite_store *st, int64_t trial_id, const json_t *user,
                                    const json_t *system, int64_t seq)
{
    char *user_text = json_dumps(user, JSON_COMPACT | JSON_REAL_PRECISION(17));
    char *system_text = json_dumps(system, JSON_COMPACT | JSON_REAL_PRECISION(17));
    hps_status rc;
    sqlite3_stmt *stmt = NULL;
    if (user_text == NULL || system_text == NULL)
        rc = nomem(st);
    else if ((stmt = query(st, Q_TRIAL_SET_ATTRS)) == NULL)
        rc = HPS_ERR_STORAGE;
    else {
        sqlite3_bind_int64(stmt, 1, trial_id);
        sqlite3_bind_text(stmt, 2, user_text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(stmt, 3, system_text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(stmt, 4, seq);
        rc = run(st, stmt, "storing trial attributes");
    }
    free(user_text);
    free(system_text);
    return rc;
}

static hps_status sqlite_set_trial_attr(hps_storage *s, int64_t trial_id, const char *owner,
                                        int system, const char *key, const char *json)
{
    sqlite_store *st = store_of(s);
    json_t *value = json_loads(json, JSON_DECODE_ANY, NULL);
    if (value == NULL)
        return hps_errbuf_set(&s->err, HPS_ERR_INVALID, "attribute '%s' is not valid JSON", key);
    trial_head h;
    hps_status rc = begin_write(st);
    if (rc != HPS_OK) {
        json_decref(value);
        return rc;
    }
    rc = read_head(st, trial_id, &h);
    if (rc == HPS_OK) {
        if (owner != NULL)
            rc = require_running(st, &h);
        if (rc == HPS_OK)
            rc = require_owner(st, trial_id, h.number, owner);
        if (rc == HPS_OK && json_object_set(system ? h.system_attrs : h.user_attrs, key, value) != 0)
            rc = nomem(st);
        int64_t seq = 0;
        if (rc == HPS_OK)
            rc = bump_seq(st, h.study_id, &seq);
        if (rc == HPS_OK)
            rc = write_trial_attrs(st, trial_id, h.user_attrs, h.system_attrs, seq);
        trial_head_clear(&h);
    }
    json_decref(value);
    return finish_txn(st, rc);
}

/* Adds fail_reason to a trial's system attributes. */
static hps_status store_fail_reason(sqlite_store *st, int64_t trial_id, const char *reason)
{
    trial_head full;
    hps_status rc = read_head(st, trial_id, &full);
    if (rc != HPS_OK)
        return rc;
    char *text = NULL;
    if (json_object_set_new(full.system_attrs, "fail_reason", json_string(reason)) != 0 ||
        (text = json_dumps(full.system_attrs, JSON_COMPACT | JSON_REAL_PRECISION(17))) == NULL) {
        rc = nomem(st);
    } else {
        sqlite3_stmt *stmt = query(st, Q_TRIAL_SET_SYSTEM);
        if (stmt == NULL) {
            rc = HPS_ERR_STORAGE;
        } else {
            sqlite3_bind_int64(stmt, 1, trial_id);
            sqlite3_bind_text(stmt, 2, text, -1, SQLITE_TRANSIENT);
            rc = run(st, stmt, "storing a failure reason");
        }
    }
    free(text);
    trial_head_clear(&full);
    return rc;
}

static hps_status sqlite_finish_trial(hps_storage *s, int64_t trial_id, const hps_finish_req *req)
{
    sqlite_store *st = store_of(s);
    trial_head h;
    hps_status rc = begin_write(st);
    if (rc != HPS_OK)
        return rc;
    rc = read_state(st, trial_id, &h);
    if (rc == HPS_OK)
        rc = require_running(st, &h);
    if (rc == HPS_OK)
        rc = require_owner(st, trial_id, h.number, req->owner);
    if (rc == HPS_OK && req->stale_before > 0 &&
        !(h.heartbeat > 0 && h.heartbeat < req->stale_before))
        rc = hps_errbuf_set(&s->err, HPS_ERR_STATE, "trial %lld is alive again", (long long)h.number);
    if (rc == HPS_OK && req->fail_reason != NULL)
        rc = store_fail_reason(st, trial_id, req->fail_reason);
    int64_t seq = 0;
    if (rc == HPS_OK)
        rc = bump_seq(st, h.study_id, &seq);
    int interrupted = req->state == HPS_FAIL && req->interrupted;
    if (rc == HPS_OK) {
        sqlite3_stmt *stmt = query(st, Q_TRIAL_FINISH);
        if (stmt == NULL) {
            rc = HPS_ERR_STORAGE;
        } else {
            sqlite3_bind_int64(stmt, 1, trial_id);
            sqlite3_bind_int(stmt, 2, (int)req->state);
            sqlite3_bind_int(stmt, 3, interrupted);
            if (req->state == HPS_PAUSED)
                sqlite3_bind_null(stmt, 4); /* not finished: it will go on */
            else
                sqlite3_bind_double(stmt, 4, req->now);
            sqlite3_bind_int64(stmt, 5, seq);
            rc = run(st, stmt, "finishing a trial");
        }
    }
    for (size_t i = 0; rc == HPS_OK && i < req->n_values; i++) {
        sqlite3_stmt *stmt = query(st, Q_VALUE_INSERT);
        if (stmt == NULL) {
            rc = HPS_ERR_STORAGE;
            break;
        }
        sqlite3_bind_int64(stmt, 1, trial_id);
        sqlite3_bind_int64(stmt, 2, (int64_t)i);
        sqlite3_bind_double(stmt, 3, req->values[i]);
        rc = run(st, stmt, "storing a value");
    }
    if (rc == HPS_OK && interrupted) {
        sqlite3_stmt *stmt = query(st, Q_STUDY_UNCOUNT);
        if (stmt == NULL) {
            rc = HPS_ERR_STORAGE;
        } else {
            sqlite3_bind_int64(stmt, 1, h.study_id);
            rc = run(st, stmt, "uncounting an interrupted trial");
        }
        if (rc == HPS_OK && h.grid_pos >= 0 && req->requeue_system_attrs == NULL) {
            stmt = query(st, Q_GRID_FREE_INSERT);
            if (stmt == NULL) {
                rc = HPS_ERR_STORAGE;
            } else {
                sqlite3_bind_int64(stmt, 1, h.study_id);
                sqlite3_bind_int64(stmt, 2, h.grid_pos);
                rc = run(st, stmt, "releasing a grid cell");
            }
        }
    }
    if (rc == HPS_OK && req->requeue_system_attrs != NULL) {
        int64_t copy_id, copy_number, copy_seq;
        /* The copy inherits the grid cell; grid_next stays as it is (-1 = keep). */
        rc = insert_trial(st, h.study_id, HPS_WAITING, h.grid_pos, -1, req->requeue_system_attrs,
                          NULL, 0, 0, &copy_id, &copy_number, &copy_seq);
    }
    return finish_txn(st, rc);
}

static hps_status sqlite_heartbeat(hps_storage *s, const int64_t *trial_ids,
                                   const char *const *owners, size_t n, double now,
                                   unsigned char *refused)
{
    sqlite_store *st = store_of(s);
    hps_status rc = begin_write(st);
    for (size_t i = 0; rc == HPS_OK && i < n; i++) {
        sqlite3_stmt *stmt = query(st, Q_HEARTBEAT);
        if (stmt == NULL) {
            rc = HPS_ERR_STORAGE;
            break;
        }
        sqlite3_bind_int64(stmt, 1, trial_ids[i]);
        sqlite3_bind_double(stmt, 2, now);
        if (owners[i] != NULL)
            sqlite3_bind_text(stmt, 3, owners[i], -1, SQLITE_TRANSIENT);
        rc = run(st, stmt, "writing a heartbeat");
        /* the row is written only when state and worker match: no row, no beat */
        if (rc == HPS_OK && refused != NULL)
            refused[i] = sqlite3_changes(st->db) == 0;
    }
    return finish_txn(st, rc);
}

static hps_status sqlite_list_running(hps_storage *s, int64_t study_id, hps_running_info **out,
                                      size_t *n_out)
{
    sqlite_store *st = store_of(s);
    *out = NULL;
    *n_out = 0;
    sqlite3_stmt *stmt = query(st, Q_RUNNING);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, study_id);
    hps_running_info *items = NULL;
    size_t n = 0, cap = 0;
    hps_status rc = HPS_OK;
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        void *grown = items;
        if (hps_mem_grow(&grown, &cap, n + 1, sizeof *items) != 0) {
            rc = nomem(st);
            break;
        }
        items = grown;
        hps_running_info *r = &items[n++];
        memset(r, 0, sizeof *r);
        r->trial_id = sqlite3_column_int64(stmt, 0);
        r->number = sqlite3_column_int64(stmt, 1);
        r->heartbeat = sqlite3_column_double(stmt, 2);
        r->worker = column_strdup(stmt, 3);
        r->system_attrs = column_strdup(stmt, 4);
        if (r->system_attrs == NULL) {
            rc = nomem(st);
            break;
        }
    }
    if (rc == HPS_OK && step != SQLITE_DONE)
        rc = db_error(st, "listing running trials");
    sqlite3_reset(stmt);
    if (rc != HPS_OK) {
        hps_running_info_free(items, n);
        return rc;
    }
    *out = items;
    *n_out = n;
    return HPS_OK;
}

static hps_status sqlite_find_trial(hps_storage *s, int64_t study_id, int64_t number,
                                    int64_t *trial_id)
{
    sqlite_store *st = store_of(s);
    sqlite3_stmt *stmt = query(st, Q_TRIAL_BY_NUMBER);
    if (stmt == NULL)
        return HPS_ERR_STORAGE;
    sqlite3_bind_int64(stmt, 1, study_id);
    sqlite3_bind_int64(stmt, 2, number);
    int step = sqlite3_step(stmt);
    hps_status rc = HPS_OK;
    if (step == SQLITE_ROW)
        *trial_id = sqlite3_column_int64(stmt, 0);
    else if (step == SQLITE_DONE)
        rc = hps_errbuf_set(&s->err, HPS_ERR_NOTFOUND, "trial %lld does not exist",
                            (long long)number);
    else
        rc = db_error(st, "finding a trial");
    sqlite3_reset(stmt);
    return rc;
}

static hps_status sqlite_batch_begin(hps_storage *s)
{
    sqlite_store *st = store_of(s);
    if (st->batch)
        return hps_errbuf_set(&s->err, HPS_ERR_STATE, "sqlite %s: batches do not nest", st->path);
    hps_status rc = begin_write(st);
    if (rc == HPS_OK) {
        st->batch = 1;
        st->batch_rc = HPS_OK;
    }
    return rc;
}

static hps_status sqlite_batch_end(hps_storage *s, int commit)
{
    sqlite_store *st = store_of(s);
    if (!st->batch)
        return hps_errbuf_set(&s->err, HPS_ERR_STATE, "sqlite %s: no batch is open", st->path);
    st->batch = 0;
    hps_status rc = st->batch_rc;
    if (rc == HPS_OK && !commit)
        rc = hps_errbuf_set(&s->err, HPS_ABORTED, "sqlite %s: batch abandoned", st->path);
    return finish_txn(st, rc);
}

static const hps_storage_ops sqlite_ops = {
    .name = "sqlite",
    .close = sqlite_close,
    .open_study = sqlite_open_study,
    .delete_study = sqlite_delete_study,
    .list_studies = sqlite_list_studies,
    .set_study_attr = sqlite_set_study_attr,
    .set_study_attr_once = sqlite_set_study_attr_once,
    .get_study_attrs = sqlite_get_study_attrs,
    .create_trial = sqlite_create_trial,
    .enqueue_trial = sqlite_enqueue_trial,
    .start_trial = sqlite_start_trial,
    .resume_trial = sqlite_resume_trial,
    .set_params = sqlite_set_params,
    .batch_begin = sqlite_batch_begin,
    .batch_end = sqlite_batch_end,
    .report = sqlite_report,
    .set_trial_attr = sqlite_set_trial_attr,
    .finish_trial = sqlite_finish_trial,
    .heartbeat = sqlite_heartbeat,
    .list_running = sqlite_list_running,
    .sync = sqlite_sync,
    .find_trial = sqlite_find_trial,
    .claim_position = sqlite_claim_position,
};
