/* test_storage_postgres.c -- what the PostgreSQL backend adds to the conformance suite:
 * passwords never shown, doubles bit-exact, the schema versioned and created once by
 * many workers at the same time, batches, and lost connections retried without a
 * duplicated or lost trial -- including a commit whose reply never arrived, made by a
 * proxy between the library and the server that drops one reply and hangs up.
 *
 * The tests that need a server read $HPS_TEST_POSTGRES_URL (scripts/pg-test-server.sh
 * starts one) and are skipped without it; each works in a fresh schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hpsearch.h"
#include "storage/postgres.h"
#include "storage/storage.h"
#include "testutil.h"

#include <float.h>
#include <libpq-fe.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- redaction (no server needed) ---------------------------------------------------- */

static void expect_redacted(const char *url, const char *expected)
{
    char out[256];
    hps_storage_url_redact(url, out, sizeof out);
    if (strcmp(out, expected) != 0)
        fail_msg("redact(%s) = [%s], expected [%s]", url, out, expected);
}

static void test_redact_url(void **state)
{
    (void)state;
    expect_redacted("postgresql://u:secret@db.example:5432/tune",
                    "postgresql://u:***@db.example:5432/tune");
    expect_redacted("postgres://u@h/db?password=s3cr3t&sslmode=require",
                    "postgres://u@h/db?password=***&sslmode=require");
    expect_redacted("postgresql://u:p%40ss@h/db?application_name=x&password=y",
                    "postgresql://u:***@h/db?application_name=x&password=***");
    expect_redacted("postgresql://u:pa/ss@h/db", "postgresql://u:***@h/db");
    expect_redacted("postgresql://u:a@b@h/db", "postgresql://u:***@h/db");
    expect_redacted("postgresql://h:5432/db?user=a@b", "postgresql://h:5432/db?user=a@b");
    expect_redacted("postgresql://user@h/db", "postgresql://user@h/db");
    expect_redacted("postgresql://h/db", "postgresql://h/db");
    expect_redacted("sqlite:/tmp/x.db", "sqlite:/tmp/x.db");
    char tiny[8];
    hps_storage_url_redact("postgresql://u:secret@h/db", tiny, sizeof tiny);
    assert_string_equal(tiny, "postgre");
    hps_storage_url_redact(NULL, tiny, sizeof tiny);
    assert_string_equal(tiny, "");
    char one[1] = {'x'};
    hps_storage_url_redact("postgresql://u:s@h/db", one, sizeof one);
    assert_int_equal(one[0], '\0');
}

/* Opening must fail with a message that names the place but never the password. */
static void expect_open_fails_quietly(const char *url, hps_status expected, const char *secret,
                                      const char *decoded, const char *needle)
{
    hps_study *study = NULL;
    char err[512];
    hps_direction dir = HPS_MINIMIZE;
    hps_status rc = hps_study_open(url, "s", HPS_OPEN_CREATE | HPS_OPEN_LOAD, &dir, 1, &study, err,
                                   sizeof err);
    assert_null(study);
    if (rc != expected)
        fail_msg("open %s: %s (%s), expected %s", needle, hps_status_name(rc), err,
                 hps_status_name(expected));
    if (strstr(err, secret) != NULL || (decoded != NULL && strstr(err, decoded) != NULL))
        fail_msg("the password shows in: %s", err);
    if (strstr(err, needle) == NULL)
        fail_msg("[%s] not in: %s", needle, err);
}

static void test_errors_never_show_the_password(void **state)
{
    (void)state;
    /* port 1 on loopback: nobody listens */
    expect_open_fails_quietly("postgresql://alice:Sup%65rSecret@127.0.0.1:1/db", HPS_ERR_IO,
                              "Sup%65rSecret", "SuperSecret", "alice:***@127.0.0.1:1/db");
    expect_open_fails_quietly("postgres://alice@127.0.0.1:1/db?password=QueryS3cret",
                              HPS_ERR_IO, "QueryS3cret", NULL, "password=***");
    /* libpq would quote a malformed percent escape of the password in its message */
    expect_open_fails_quietly("postgresql://alice:Bad%zzSecret@127.0.0.1:1/db", HPS_ERR_IO,
                              "Bad%zzSecret", NULL, "alice:***@");
    /* an unencoded '/' or '@' would make libpq read part of the password as the port */
    expect_open_fails_quietly("postgresql://alice:Sla/shSecret@127.0.0.1:1/db", HPS_ERR_INVALID,
                              "Sla/shSecret", "Sla", "percent-encoded");
    expect_open_fails_quietly("postgresql://alice:At@Secret@127.0.0.1:1/db", HPS_ERR_INVALID,
                              "At@Secret", "Secret", "percent-encoded");
    expect_open_fails_quietly("postgresql:nohost", HPS_ERR_INVALID, "nothing-secret", NULL,
                              "postgresql://USER:PASSWORD@HOST:PORT/DATABASE");
}

/* ---- helpers for the tests with a server ---------------------------------------------- */

#define MAX_SCHEMAS 32
static char schemas[MAX_SCHEMAS][64];
static int n_schemas;
static int counter;

static const char *server_url(void)
{
    const char *url = getenv("HPS_TEST_POSTGRES_URL");
    return url != NULL && url[0] != '\0' ? url : NULL;
}

static PGconn *maintenance(void)
{
    PGconn *conn = PQconnectdb(server_url());
    if (PQstatus(conn) != CONNECTION_OK)
        fail_msg("cannot reach HPS_TEST_POSTGRES_URL: %s", PQerrorMessage(conn));
    PQclear(PQexec(conn, "SET client_min_messages = warning"));
    return conn;
}

static void sql_ok(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(conn));
    PQclear(res);
}

/* The first value of a query, as text (static buffer). */
static const char *sql_value(PGconn *conn, const char *sql)
{
    static char value[256];
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1)
        fail_msg("%s: %s", sql, PQerrorMessage(conn));
    snprintf(value, sizeof value, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return value;
}

/* A fresh schema; *url_out is the server URL that works in it. */
static const char *fresh_schema(char *url_out, size_t size)
{
    if (n_schemas >= MAX_SCHEMAS)
        fail_msg("too many schemas");
    char *schema = schemas[n_schemas++];
    snprintf(schema, sizeof schemas[0], "hps_unit_%ld_%d", (long)getpid(), counter++);
    PGconn *conn = maintenance();
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE SCHEMA %s", schema);
    sql_ok(conn, sql);
    PQfinish(conn);
    const char *base = server_url();
    snprintf(url_out, size, "%s%coptions=-c%%20search_path%%3D%s&application_name=%s", base,
             strchr(base, '?') != NULL ? '&' : '?', schema, schema);
    return schema;
}

static int need_server(void **state)
{
    (void)state;
    if (server_url() == NULL) {
        printf("skipped: HPS_TEST_POSTGRES_URL not set\n");
        skip();
    }
    return 0;
}

static int drop_schemas(void **state)
{
    (void)state;
    if (server_url() == NULL || n_schemas == 0)
        return 0;
    PGconn *conn = maintenance();
    for (int i = 0; i < n_schemas; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schemas[i]);
        PQclear(PQexec(conn, sql));
    }
    PQfinish(conn);
    return 0;
}

static hps_study *open_study(const char *url, const char *name)
{
    hps_study *study = NULL;
    char err[512];
    hps_direction dir = HPS_MINIMIZE;
    if (hps_study_open(url, name, HPS_OPEN_CREATE | HPS_OPEN_LOAD, &dir, 1, &study, err,
                       sizeof err) != HPS_OK)
        fail_msg("open %s: %s", name, err);
    return study;
}

/* ---- tests with a server ------------------------------------------------------------------ */

static void test_wrong_password_is_not_shown(void **state)
{
    (void)state;
    PQconninfoOption *opts = PQconninfoParse(server_url(), NULL);
    assert_non_null(opts);
    const char *host = NULL, *port = NULL, *db = NULL;
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
        else if (strcmp(o->keyword, "dbname") == 0)
            db = o->val;
    }
    char url[512];
    snprintf(url, sizeof url, "postgresql://hpsearch:Wr0ngPassw0rd@%s:%s/%s", host, port, db);
    expect_open_fails_quietly(url, HPS_ERR_IO, "Wr0ngPassw0rd", NULL, "authentication failed");
    PQconninfoFree(opts);
}

static void test_doubles_round_trip_exactly(void **state)
{
    (void)state;
    char url[1024];
    fresh_schema(url, sizeof url);
    static const double values[] = {0.1, 1.0 / 3.0, 5e-324, DBL_MAX, -0.0, 2.2250738585072014e-308,
                                    -123456789.123456789, INFINITY, -INFINITY};
    size_t n = sizeof values / sizeof values[0];
    hps_study *study = open_study(url, "doubles");
    double params[16];
    for (size_t i = 0; i < n; i++) {
        hps_trial *t;
        ASSERT_OK(hps_study_ask(study, &t));
        ASSERT_OK(hps_trial_suggest_float(t, "x", -1.0, 1.0, 0, 0, &params[i]));
        ASSERT_OK(hps_trial_report(t, 0, NAN));
        ASSERT_OK(hps_trial_report(t, 1, values[i]));
        ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, values[i]));
        hps_trial_free(t);
    }
    hps_study *reader = open_study(url, "doubles");
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *f;
        ASSERT_OK(hps_study_trial(reader, (int64_t)i, &f));
        double v = hps_frozen_value(f, 0);
        double p = hps_frozen_param_internal(f, 0);
        if (memcmp(&v, &values[i], sizeof v) != 0)
            fail_msg("value %.17g came back as %.17g", values[i], v);
        assert_memory_equal(&p, &params[i], sizeof p);
        assert_int_equal(hps_frozen_n_intermediate(f), 2);
        int64_t step;
        double inter;
        hps_frozen_intermediate(f, 0, &step, &inter);
        assert_true(isnan(inter));
        hps_frozen_intermediate(f, 1, &step, &inter);
        assert_memory_equal(&inter, &values[i], sizeof inter);
    }
    hps_study_close(reader);
    hps_study_close(study);
}

static void test_schema_version_is_checked(void **state)
{
    (void)state;
    char url[1024];
    const char *schema = fresh_schema(url, sizeof url);
    hps_study_close(open_study(url, "versioned"));
    PGconn *conn = maintenance();
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) || ':' || max(version) FROM %s.hps_schema_version",
             schema);
    assert_string_equal(sql_value(conn, sql), "1:6");
    /* A database of version 1 (before claim_position) is upgraded in place on open. */
    char old_schema[512];
    snprintf(old_schema, sizeof old_schema,
             "UPDATE %s.hps_schema_version SET version = 1;"
             " DROP FUNCTION %s.hps_claim_position; DROP INDEX %s.hps_trials_by_pos",
             schema, schema, schema);
    sql_ok(conn, old_schema);
    hps_study_close(open_study(url, "versioned"));
    assert_string_equal(sql_value(conn, sql), "1:6");
    /* So is one of version 2 (before a step kept every objective's value). */
    snprintf(old_schema, sizeof old_schema,
             "UPDATE %s.hps_schema_version SET version = 2;"
             " ALTER TABLE %s.hps_trial_intermediate DROP COLUMN more;"
             " DROP FUNCTION %s.hps_report(bigint, bigint, float8, float8[], boolean, text)",
             schema, schema, schema);
    sql_ok(conn, old_schema);
    hps_study_close(open_study(url, "versioned"));
    assert_string_equal(sql_value(conn, sql), "1:6");
    snprintf(old_schema, sizeof old_schema,
             "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
             " WHERE n.nspname = '%s' AND p.proname = 'hps_claim_position'", schema);
    assert_string_equal(sql_value(conn, old_schema), "1");
    /* And one of version 3 (before paused trials): a trial it holds pauses and resumes. */
    snprintf(old_schema, sizeof old_schema,
             "UPDATE %s.hps_schema_version SET version = 3;"
             " DROP FUNCTION %s.hps_resume_trial", schema, schema);
    sql_ok(conn, old_schema);
    hps_study *upgraded = open_study(url, "versioned");
    assert_string_equal(sql_value(conn, sql), "1:6");
    hps_trial *t;
    ASSERT_OK(hps_study_ask(upgraded, &t));
    ASSERT_OK(hps_trial_report(t, 0, 1.0));
    ASSERT_OK(hps_trial_pause(t, 0));
    hps_trial_free(t);
    ASSERT_OK(hps_study_resume(upgraded, 0, &t));
    assert_int_equal(hps_trial_resume_step(t), 0);
    hps_trial_free(t);
    hps_study_close(upgraded);
    /* And one of version 4 (before finishes and reports named the trial's owner). */
    snprintf(old_schema, sizeof old_schema,
             "UPDATE %s.hps_schema_version SET version = 4;"
             " DROP FUNCTION %s.hps_finish_trial; DROP FUNCTION %s.hps_check_owner;"
             " CREATE FUNCTION %s.hps_finish_trial(bigint, integer, float8[], boolean, text,"
             " float8, float8, text, text, boolean) RETURNS void LANGUAGE sql AS ''",
             schema, schema, schema, schema);
    sql_ok(conn, old_schema);
    upgraded = open_study(url, "versioned");
    assert_string_equal(sql_value(conn, sql), "1:6");
    snprintf(old_schema, sizeof old_schema,
             "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
             " WHERE n.nspname = '%s' AND p.proname = 'hps_finish_trial'", schema);
    assert_string_equal(sql_value(conn, old_schema), "1"); /* version 4's is gone */
    ASSERT_OK(hps_study_ask(upgraded, &t)); /* reports and tells through the new functions */
    ASSERT_OK(hps_trial_report(t, 0, 0.5));
    ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, 0.5));
    hps_trial_free(t);
    hps_study_close(upgraded);
    snprintf(sql, sizeof sql, "UPDATE %s.hps_schema_version SET version = 99", schema);
    sql_ok(conn, sql);
    hps_study *study = NULL;
    char err[512];
    hps_direction dir = HPS_MINIMIZE;
    assert_int_equal(hps_study_open(url, "versioned", HPS_OPEN_LOAD, &dir, 1, &study, err, sizeof err),
                     HPS_ERR_UNSUPPORTED);
    assert_null(study);
    assert_non_null(strstr(err, "schema version 99"));
    assert_non_null(strstr(err, "newer hpsearch"));
    PQfinish(conn);
}

/* An older worker already running when a new process upgrades the database goes on
 * calling the functions with its old argument lists (no owner): hps_report and
 * hps_finish_trial as schema 4 had them, hps_set_param and hps_set_trial_attr as schema 5
 * did. They must still resolve, or it loses the result it was about to store. */
static void test_older_worker_survives_the_upgrade(void **state)
{
    (void)state;
    char url[1024];
    const char *schema = fresh_schema(url, sizeof url);
    hps_study *study = open_study(url, "older");
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    PGconn *conn = maintenance();
    char sql[1024];
    snprintf(sql, sizeof sql, "SET search_path = %s", schema);
    sql_ok(conn, sql);
    char id[64];
    snprintf(id, sizeof id, "%s",
             sql_value(conn, "SELECT trial_id FROM hps_trials WHERE state = 1"));
    /* exactly the calls a schema-4 (and 5) client sends */
    snprintf(sql, sizeof sql,
             "SELECT hps_set_param(%s::bigint, 'x'::text, '{\"name\": \"float\", \"low\": 0,"
             " \"high\": 1}'::text, 0.5::float8, true::boolean, false::boolean)", id);
    sql_ok(conn, sql);
    snprintf(sql, sizeof sql,
             "SELECT hps_set_trial_attr(%s::bigint, false::boolean, 'note'::text, '1'::text)", id);
    sql_ok(conn, sql);
    snprintf(sql, sizeof sql,
             "SELECT hps_report(%s::bigint, 3::bigint, 0.25::float8, NULL::float8[], false::boolean)",
             id);
    sql_ok(conn, sql);
    snprintf(sql, sizeof sql,
             "SELECT hps_finish_trial(%s::bigint, 2::integer, ARRAY[0.25]::float8[], false::boolean,"
             " NULL::text, 1.0::float8, 0::float8, NULL::text, 'old-rid'::text, false::boolean)",
             id);
    sql_ok(conn, sql);
    assert_string_equal(sql_value(conn, "SELECT state || ':' || (SELECT count(*) FROM"
                                        " hps_trial_intermediate) FROM hps_trials"),
                        "2:1");
    assert_string_equal(sql_value(conn, "SELECT (SELECT count(*) FROM hps_trial_params) || ':' ||"
                                        " (user_attrs::json ->> 'note') FROM hps_trials"),
                        "1:1");
    PQfinish(conn);
    hps_trial_free(t);
    hps_study_close(study);
}

/* Many workers opening a brand-new database at once create the schema exactly once. */
static void test_concurrent_first_use(void **state)
{
    (void)state;
    char url[1024];
    const char *schema = fresh_schema(url, sizeof url);
    enum { WORKERS = 8 };
    int gate[2];
    assert_int_equal(pipe(gate), 0);
    pid_t pids[WORKERS];
    for (int w = 0; w < WORKERS; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0) {
            close(gate[1]);
            char byte;
            /* all start when the parent closes the pipe */
            while (read(gate[0], &byte, 1) > 0) {
            }
            hps_study *study = NULL;
            hps_direction dir = HPS_MINIMIZE;
            char err[512];
            if (hps_study_open(url, "first", HPS_OPEN_CREATE | HPS_OPEN_LOAD, &dir, 1, &study,
                               err, sizeof err) != HPS_OK) {
                fprintf(stderr, "worker %d: %s\n", w, err);
                _exit(2);
            }
            hps_trial *t;
            if (hps_study_ask(study, &t) != HPS_OK || hps_trial_tell(t, HPS_COMPLETE, 1.0) != HPS_OK)
                _exit(3);
            hps_trial_free(t);
            hps_study_close(study);
            _exit(0);
        }
    }
    close(gate[0]);
    usleep(100000);
    close(gate[1]);
    for (int w = 0; w < WORKERS; w++) {
        int status;
        assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    PGconn *conn = maintenance();
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.hps_schema_version", schema);
    assert_string_equal(sql_value(conn, sql), "1");
    snprintf(sql, sizeof sql,
             "SELECT count(*) || ' ' || count(DISTINCT number) || ' ' || max(number) FROM %s.hps_trials",
             schema);
    assert_string_equal(sql_value(conn, sql), "8 8 7");
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.hps_studies", schema);
    assert_string_equal(sql_value(conn, sql), "1");
    PQfinish(conn);
}

/* The server ends our session (an administrator, a failover): the next call reconnects. */
static void test_reconnects_after_the_session_is_killed(void **state)
{
    (void)state;
    char url[1024];
    const char *schema = fresh_schema(url, sizeof url);
    hps_study *study = open_study(url, "killed");
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    PGconn *conn = maintenance();
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
             " WHERE application_name = '%s'",
             schema);
    assert_string_equal(sql_value(conn, sql), "1");
    double x;
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, x)); /* on a new connection */
    hps_trial_free(t);
    assert_string_equal(sql_value(conn, sql), "1");
    ASSERT_OK(hps_study_ask(study, &t));
    assert_int_equal(hps_trial_number(t), 1);
    ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, 2.0));
    hps_trial_free(t);
    size_t counts[5];
    ASSERT_OK(hps_study_count_states(study, counts));
    assert_int_equal(counts[HPS_COMPLETE], 2);
    assert_int_equal(counts[HPS_RUNNING], 0);
    hps_study_close(study);
    PQfinish(conn);
}

/* A TCP proxy between the library and the server that, when armed, hangs up at the next
 * chunk in one direction: "reply" drops the server's answer (the commit happened, its
 * acknowledgement is lost), "request" drops the client's request (nothing happened). */
typedef struct proxy {
    int listen_fd;
    int port;
    struct sockaddr_storage target;
    socklen_t target_len;
    pthread_t thread;
    atomic_int stop;
    atomic_int drop_reply;
    atomic_int drop_request;
    atomic_int hangups;
} proxy;

enum { PROXY_PAIRS = 8 };

static void *proxy_main(void *arg)
{
    proxy *p = arg;
    int client[PROXY_PAIRS], server[PROXY_PAIRS];
    for (int i = 0; i < PROXY_PAIRS; i++)
        client[i] = server[i] = -1;
    while (!atomic_load(&p->stop)) {
        struct pollfd fds[1 + 2 * PROXY_PAIRS];
        int n = 0;
        fds[n++] = (struct pollfd){.fd = p->listen_fd, .events = POLLIN};
        for (int i = 0; i < PROXY_PAIRS; i++) {
            fds[n++] = (struct pollfd){.fd = client[i], .events = POLLIN};
            fds[n++] = (struct pollfd){.fd = server[i], .events = POLLIN};
        }
        if (poll(fds, (nfds_t)n, 50) <= 0)
            continue;
        if (fds[0].revents & POLLIN) {
            int c = accept(p->listen_fd, NULL, NULL);
            int s = c >= 0 ? socket(p->target.ss_family, SOCK_STREAM, 0) : -1;
            int slot = -1;
            for (int i = 0; i < PROXY_PAIRS && slot < 0; i++)
                if (client[i] < 0)
                    slot = i;
            if (c >= 0 && (s < 0 || slot < 0 ||
                           connect(s, (struct sockaddr *)&p->target, p->target_len) != 0)) {
                close(c);
                if (s >= 0)
                    close(s);
            } else if (c >= 0) {
                client[slot] = c;
                server[slot] = s;
            }
        }
        for (int i = 0; i < PROXY_PAIRS; i++) {
            for (int dir = 0; dir < 2 && client[i] >= 0; dir++) {
                struct pollfd *f = &fds[1 + 2 * i + dir];
                if (f->fd < 0 || !(f->revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                int from = dir == 0 ? client[i] : server[i];
                int to = dir == 0 ? server[i] : client[i];
                char buf[65536];
                ssize_t got = read(from, buf, sizeof buf);
                atomic_int *drop = dir == 0 ? &p->drop_request : &p->drop_reply;
                int hang = got <= 0;
                if (!hang && atomic_load(drop) > 0) {
                    atomic_fetch_sub(drop, 1);
                    atomic_fetch_add(&p->hangups, 1);
                    hang = 1;
                }
                for (ssize_t off = 0; !hang && off < got;) {
                    ssize_t put = write(to, buf + off, (size_t)(got - off));
                    if (put <= 0)
                        hang = 1;
                    else
                        off += put;
                }
                if (hang) {
                    close(client[i]);
                    close(server[i]);
                    client[i] = server[i] = -1;
                }
            }
        }
    }
    for (int i = 0; i < PROXY_PAIRS; i++) {
        if (client[i] >= 0) {
            close(client[i]);
            close(server[i]);
        }
    }
    return NULL;
}

/* Starts a proxy to the test server; *url_out reaches the server through it. */
static void proxy_start(proxy *p, const char *schema, char *url_out, size_t size)
{
    memset(p, 0, sizeof *p);
    PQconninfoOption *opts = PQconninfoParse(server_url(), NULL);
    assert_non_null(opts);
    const char *host = "127.0.0.1", *port = "5432", *user = "", *password = "", *db = "";
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (o->val == NULL)
            continue;
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
        else if (strcmp(o->keyword, "user") == 0)
            user = o->val;
        else if (strcmp(o->keyword, "password") == 0)
            password = o->val;
        else if (strcmp(o->keyword, "dbname") == 0)
            db = o->val;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    assert_int_equal(getaddrinfo(host, port, &hints, &ai), 0);
    memcpy(&p->target, ai->ai_addr, ai->ai_addrlen);
    p->target_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    p->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(p->listen_fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(p->listen_fd, 8), 0);
    socklen_t len = sizeof addr;
    getsockname(p->listen_fd, (struct sockaddr *)&addr, &len);
    p->port = ntohs(addr.sin_port);
    char encoded[256];
    size_t k = 0;
    for (const char *c = password; *c != '\0' && k + 4 < sizeof encoded; c++)
        k += (size_t)snprintf(encoded + k, sizeof encoded - k, "%%%02X", (unsigned char)*c);
    encoded[k] = '\0';
    snprintf(url_out, size,
             "postgresql://%s:%s@127.0.0.1:%d/%s?options=-c%%20search_path%%3D%s&application_name=%s",
             user, encoded, p->port, db, schema, schema);
    PQconninfoFree(opts);
    assert_int_equal(pthread_create(&p->thread, NULL, proxy_main, p), 0);
}

static void proxy_stop(proxy *p)
{
    atomic_store(&p->stop, 1);
    pthread_join(p->thread, NULL);
    close(p->listen_fd);
}

static void test_lost_replies_neither_duplicate_nor_lose(void **state)
{
    (void)state;
    char direct[1024], url[1024];
    const char *schema = fresh_schema(direct, sizeof direct);
    proxy p;
    proxy_start(&p, schema, url, sizeof url);
    hps_study *study = open_study(url, "lost");
    ASSERT_OK(hps_study_set(study, "max_trials", "4"));

    /* the claim commits, its reply is lost: the retry finds the trial it claimed */
    atomic_store(&p.drop_reply, 1);
    hps_trial *t;
    ASSERT_OK(hps_study_ask(study, &t));
    assert_int_equal(atomic_load(&p.hangups), 1);
    assert_int_equal(hps_trial_number(t), 0);
    double x;
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    /* the finish (with its parameter, one batch) commits, its reply is lost */
    atomic_store(&p.drop_reply, 1);
    ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, 0.5));
    assert_int_equal(atomic_load(&p.hangups), 2);
    hps_trial_free(t);

    /* a request lost before the server saw it: plainly redone */
    atomic_store(&p.drop_request, 1);
    ASSERT_OK(hps_study_ask(study, &t));
    assert_int_equal(atomic_load(&p.hangups), 3);
    assert_int_equal(hps_trial_number(t), 1);
    atomic_store(&p.drop_request, 1);
    ASSERT_OK(hps_trial_report(t, 0, 0.25));
    atomic_store(&p.drop_reply, 1);
    ASSERT_OK(hps_trial_report(t, 1, 0.125));
    atomic_store(&p.drop_reply, 1);
    ASSERT_OK(hps_trial_fail(t, "boom"));
    assert_int_equal(atomic_load(&p.hangups), 6);
    hps_trial_free(t);

    /* an enqueue whose reply is lost is not enqueued twice */
    int64_t number = -1;
    atomic_store(&p.drop_reply, 1);
    ASSERT_OK(hps_study_enqueue(study, "{\"x\": 0.75}", &number));
    assert_int_equal(number, 2);
    assert_int_equal(atomic_load(&p.hangups), 7);
    ASSERT_OK(hps_study_ask(study, &t));
    assert_int_equal(hps_trial_number(t), 2);
    ASSERT_OK(hps_trial_suggest_float(t, "x", 0, 1, 0, 0, &x));
    assert_true(x == 0.75);
    ASSERT_OK(hps_trial_tell(t, HPS_COMPLETE, x));
    hps_trial_free(t);
    hps_study_close(study);
    proxy_stop(&p);

    PGconn *conn = maintenance();
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT string_agg(number || ':' || state || ':' || COALESCE(v.value::text, '-'), ' '"
             " ORDER BY number) FROM %s.hps_trials t LEFT JOIN %s.hps_trial_values v USING (trial_id)",
             schema, schema);
    assert_string_equal(sql_value(conn, sql), "0:2:0.5 1:4:- 2:2:0.75");
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM %s.hps_trial_params p JOIN %s.hps_trials t USING (trial_id)"
             " WHERE t.number = 0",
             schema, schema);
    assert_string_equal(sql_value(conn, sql), "1");
    snprintf(sql, sizeof sql,
             "SELECT string_agg(step || '=' || value, ' ' ORDER BY step) FROM %s.hps_trial_intermediate i"
             " JOIN %s.hps_trials t USING (trial_id) WHERE t.number = 1",
             schema, schema);
    assert_string_equal(sql_value(conn, sql), "0=0.25 1=0.125");
    snprintf(sql, sizeof sql, "SELECT n_counted || ' ' || next_number FROM %s.hps_studies", schema);
    assert_string_equal(sql_value(conn, sql), "3 3");
    PQfinish(conn);
}

/* Batches: kept writes go at batch_end as one transaction; an operation that must run
 * at once opens the transaction early; batch_end(0) leaves nothing behind. */
static int count_changed(void *user, hps_frozen *rec)
{
    (*(int *)user)++;
    hps_rec_free(rec);
    return 0;
}

static void test_batches(void **state)
{
    (void)state;
    char url[1024];
    fresh_schema(url, sizeof url);
    hps_storage *s = NULL;
    hps_errbuf err;
    ASSERT_OK(hps_storage_open(url, HPS_STORAGE_CREATE, &s, &err));
    hps_study_info info;
    hps_direction dir = HPS_MINIMIZE;
    ASSERT_OK(s->ops->open_study(s, "batch", HPS_OPEN_CREATE, &dir, 1, &info));
    hps_create_req req = {.worker = "w:1:1", .now = 10.0};
    hps_frozen *rec = NULL;
    ASSERT_OK(s->ops->create_trial(s, info.study_id, &req, &rec));
    int64_t id = rec->id;
    hps_rec_free(rec);

    assert_int_equal(s->ops->batch_end(s, 1), HPS_ERR_STATE);
    ASSERT_OK(s->ops->batch_begin(s));
    assert_int_equal(s->ops->batch_begin(s), HPS_ERR_STATE);
    ASSERT_OK(s->ops->report(s, id, NULL, 0, (double[]){1.5}, 1));
    assert_int_equal(s->ops->batch_end(s, 0), HPS_ABORTED);

    ASSERT_OK(s->ops->batch_begin(s));
    ASSERT_OK(s->ops->report(s, id, NULL, 1, (double[]){2.5}, 1));
    int changed = 0;
    int64_t seq = 0;
    /* sync must run now: it opens the batch's transaction, which holds the report */
    ASSERT_OK(s->ops->sync(s, info.study_id, 0, count_changed, &changed, &seq));
    assert_int_equal(changed, 1);
    double value = 7.0;
    hps_finish_req fin = {.state = HPS_COMPLETE, .values = &value, .n_values = 1, .now = 11.0};
    ASSERT_OK(s->ops->finish_trial(s, id, &fin));
    ASSERT_OK(s->ops->batch_end(s, 1));

    /* a failing write inside the open transaction fails the batch */
    ASSERT_OK(s->ops->batch_begin(s));
    ASSERT_OK(s->ops->sync(s, info.study_id, 0, count_changed, &changed, &seq));
    assert_int_equal(s->ops->report(s, id, NULL, 2, (double[]){3.5}, 1), HPS_ERR_STATE);
    assert_non_null(strstr(hps_errbuf_text(&s->err), "is COMPLETE, not RUNNING"));
    assert_int_equal(s->ops->batch_end(s, 1), HPS_ERR_STATE);

    /* and a failing kept write is reported by batch_end, with nothing written */
    ASSERT_OK(s->ops->create_trial(s, info.study_id, &req, &rec));
    int64_t id2 = rec->id;
    hps_rec_free(rec);
    ASSERT_OK(s->ops->batch_begin(s));
    ASSERT_OK(s->ops->report(s, id2, NULL, 0, (double[]){4.5}, 1));
    ASSERT_OK(s->ops->report(s, id, NULL, 5, (double[]){5.5}, 1)); /* trial 0 is COMPLETE */
    assert_int_equal(s->ops->batch_end(s, 1), HPS_ERR_STATE);
    hps_storage_close(s);

    hps_study *study = open_study(url, "batch");
    const hps_frozen *f;
    ASSERT_OK(hps_study_trial(study, 0, &f));
    assert_int_equal(hps_frozen_state(f), HPS_COMPLETE);
    assert_true(hps_frozen_value(f, 0) == 7.0);
    assert_int_equal(hps_frozen_n_intermediate(f), 1); /* step 1 only: step 0 was abandoned */
    ASSERT_OK(hps_study_trial(study, 1, &f));
    assert_int_equal(hps_frozen_n_intermediate(f), 0);
    hps_study_close(study);
    hps_study_info_clear(&info);
}

int main(void)
{
    const struct CMUnitTest offline[] = {
        cmocka_unit_test(test_redact_url),
        cmocka_unit_test(test_errors_never_show_the_password),
    };
    const struct CMUnitTest online[] = {
        cmocka_unit_test_setup(test_wrong_password_is_not_shown, need_server),
        cmocka_unit_test_setup(test_doubles_round_trip_exactly, need_server),
        cmocka_unit_test_setup(test_schema_version_is_checked, need_server),
        cmocka_unit_test_setup(test_older_worker_survives_the_upgrade, need_server),
        cmocka_unit_test_setup(test_concurrent_first_use, need_server),
        cmocka_unit_test_setup(test_reconnects_after_the_session_is_killed, need_server),
        cmocka_unit_test_setup(test_lost_replies_neither_duplicate_nor_lose, need_server),
        cmocka_unit_test_setup(test_batches, need_server),
    };
    int failed = cmocka_run_group_tests_name("postgresql storage: offline", offline, NULL, NULL);
    if (server_url() == NULL)
        printf("[  SKIPPED ] postgresql storage: server tests -- skipped: HPS_TEST_POSTGRES_URL "
               "not set\n");
    else
        failed += cmocka_run_group_tests_name("postgresql storage: server", online, NULL,
                                              drop_schemas);
    return failed;
}
