/* test_sqlite_open.c -- what opening "sqlite:PATH" does with what it finds at PATH.
 *
 * Reading (HPS_OPEN_LOAD, listing, deleting) never creates a database; creating a study
 * makes one of a missing or empty file. A file that is not an hpsearch database (not
 * SQLite, another program's tables, Optuna's storage, a newer hpsearch schema) is
 * refused by every open, with a message naming the path and what is there, and is left
 * exactly as it was: same bytes, same journal mode, no -wal or -shm file left behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hpsearch.h"
#include "testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ASSERT_STATUS(expected, expr)                                                       \
    do {                                                                                    \
        hps_status rc_ = (expr);                                                            \
        if (rc_ != (expected))                                                              \
            fail_msg("%s returned %s, expected %s", #expr, hps_status_name(rc_),            \
                     hps_status_name(expected));                                            \
    } while (0)

#define ASSERT_CONTAINS(haystack, needle)                                                   \
    do {                                                                                    \
        if (strstr((haystack), (needle)) == NULL)                                           \
            fail_msg("[%s] not found in: %s", (needle), (haystack));                        \
    } while (0)

static int counter;

/* A fresh path in the test directory (nothing there yet). */
static const char *fresh_path(const char *what)
{
    char name[96];
    snprintf(name, sizeof name, "%s-%d.db", what, counter++);
    return testutil_path(name);
}

static void url_of(const char *path, char *url, size_t size)
{
    snprintf(url, size, "sqlite:%s", path);
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static int sibling_exists(const char *path, const char *suffix)
{
    char name[4200];
    snprintf(name, sizeof name, "%s%s", path, suffix);
    return exists(name);
}

/* The whole file, malloc'd; *len its size. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)size + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *len = (size_t)size;
    return data;
}

static void sql(const char *path, const char *text)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        fail_msg("open %s: %s", path, sqlite3_errmsg(db));
    char *why = NULL;
    if (sqlite3_exec(db, text, NULL, NULL, &why) != SQLITE_OK)
        fail_msg("%s: %s", text, why);
    sqlite3_close(db);
}

static void write_bytes(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static hps_status load(const char *url, char *err, size_t size)
{
    hps_study *study = NULL;
    hps_status rc = hps_study_open(url, "s", HPS_OPEN_LOAD, NULL, 0, &study, err, size);
    assert_true((rc == HPS_OK) == (study != NULL));
    hps_study_close(study);
    return rc;
}

static hps_status create(const char *url, char *err, size_t size)
{
    hps_study *study = NULL;
    hps_direction dir = HPS_MINIMIZE;
    hps_status rc =
        hps_study_open(url, "s", HPS_OPEN_CREATE | HPS_OPEN_LOAD, &dir, 1, &study, err, size);
    assert_true((rc == HPS_OK) == (study != NULL));
    hps_study_close(study);
    return rc;
}

/* Every way in, reading or creating, is refused with `status` and a message holding the
 * path and `what`; the file keeps its bytes and gets no -wal or -shm file. */
static void assert_refused(const char *path, hps_status status, const char *what)
{
    char url[4200], err[1024];
    url_of(path, url, sizeof url);
    size_t len_before;
    char *before = slurp(path, &len_before);
    int had_wal = sibling_exists(path, "-wal"), had_shm = sibling_exists(path, "-shm");

    ASSERT_STATUS(status, load(url, err, sizeof err));
    ASSERT_CONTAINS(err, path);
    ASSERT_CONTAINS(err, what);
    ASSERT_STATUS(status, create(url, err, sizeof err));
    ASSERT_CONTAINS(err, what);
    char *json = NULL;
    ASSERT_STATUS(status, hps_storage_list_studies(url, &json, err, sizeof err));
    assert_null(json);
    ASSERT_CONTAINS(err, what);
    ASSERT_STATUS(status, hps_study_delete(url, "s", err, sizeof err));
    ASSERT_CONTAINS(err, what);

    size_t len_after;
    char *after = slurp(path, &len_after);
    assert_int_equal(len_after, len_before);
    assert_memory_equal(after, before, len_before);
    assert_int_equal(sibling_exists(path, "-wal"), had_wal);
    assert_int_equal(sibling_exists(path, "-shm"), had_shm);
    free(before);
    free(after);
}

/* ---- nothing there yet ------------------------------------------------------------ */

static void test_missing_file_is_not_created_by_reading(void **state)
{
    (void)state;
    const char *path = fresh_path("missing");
    char url[4200], err[1024];
    url_of(path, url, sizeof url);
    ASSERT_STATUS(HPS_ERR_NOTFOUND, load(url, err, sizeof err));
    ASSERT_CONTAINS(err, path);
    ASSERT_CONTAINS(err, "does not exist");
    char *json = NULL;
    ASSERT_STATUS(HPS_ERR_NOTFOUND, hps_storage_list_studies(url, &json, err, sizeof err));
    ASSERT_CONTAINS(err, path);
    ASSERT_STATUS(HPS_ERR_NOTFOUND, hps_study_delete(url, "s", err, sizeof err));
    assert_false(exists(path));
    assert_false(sibling_exists(path, "-wal"));
    assert_false(sibling_exists(path, "-shm"));

    /* creating a study is what makes the database, owner and group only */
    ASSERT_STATUS(HPS_OK, create(url, err, sizeof err));
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777 & ~0640, 0);
    ASSERT_STATUS(HPS_OK, load(url, err, sizeof err));
}

static void test_missing_directory_is_named(void **state)
{
    (void)state;
    char path[4200], url[4200], err[1024];
    snprintf(path, sizeof path, "%s", fresh_path("no-such-dir"));
    strcat(path, "/x.db");
    url_of(path, url, sizeof url);
    ASSERT_STATUS(HPS_ERR_NOTFOUND, load(url, err, sizeof err));
    ASSERT_CONTAINS(err, path);
    ASSERT_STATUS(HPS_ERR_IO, create(url, err, sizeof err));
    ASSERT_CONTAINS(err, "cannot open sqlite database");
    ASSERT_CONTAINS(err, path);
}

/* An empty file is a database nobody has created yet (`touch`, mktemp, an opener
 * killed before its first write): reading finds nothing, creating makes it. */
static void test_empty_file_is_created_only_by_creating(void **state)
{
    (void)state;
    const char *path = fresh_path("empty");
    write_bytes(path, "", 0);
    char url[4200], err[1024];
    url_of(path, url, sizeof url);
    ASSERT_STATUS(HPS_ERR_NOTFOUND, load(url, err, sizeof err));
    ASSERT_CONTAINS(err, path);
    ASSERT_CONTAINS(err, "empty");
    char *json = NULL;
    ASSERT_STATUS(HPS_ERR_NOTFOUND, hps_storage_list_studies(url, &json, err, sizeof err));
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    assert_false(sibling_exists(path, "-wal"));
    assert_false(sibling_exists(path, "-shm"));
    ASSERT_STATUS(HPS_OK, create(url, err, sizeof err));
    ASSERT_STATUS(HPS_OK, load(url, err, sizeof err));
}

/* So is an SQLite database without a single table. */
static void test_sqlite_file_without_tables_is_created_only_by_creating(void **state)
{
    (void)state;
    const char *path = fresh_path("no-tables");
    sql(path, "PRAGMA user_version = 7; VACUUM;");
    char url[4200], err[1024];
    url_of(path, url, sizeof url);
    size_t len;
    char *before = slurp(path, &len);
    assert_true(len > 0);
    ASSERT_STATUS(HPS_ERR_NOTFOUND, load(url, err, sizeof err));
    ASSERT_CONTAINS(err, path);
    ASSERT_CONTAINS(err, "without tables");
    size_t len_after;
    char *after = slurp(path, &len_after);
    assert_int_equal(len_after, len);
    assert_memory_equal(after, before, len);
    free(before);
    free(after);
    ASSERT_STATUS(HPS_OK, create(url, err, sizeof err));
    ASSERT_STATUS(HPS_OK, load(url, err, sizeof err));
}

/* SQLite's in-memory name is a private database, not a file named ":memory:". */
static void test_sqlite_memory_url_makes_no_file(void **state)
{
    (void)state;
    char cwd[4200];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(testutil_tmpdir()), 0);
    char err[1024];
    ASSERT_STATUS(HPS_OK, create("sqlite::memory:", err, sizeof err));
    ASSERT_STATUS(HPS_OK, create("sqlite:///:memory:", err, sizeof err));
    ASSERT_STATUS(HPS_ERR_NOTFOUND, load("sqlite::memory:", err, sizeof err));
    assert_false(exists(":memory:"));
    assert_int_equal(chdir(cwd), 0);
}

/* ---- something else is there ---------------------------------------------------------- */

static void test_text_file_is_refused_untouched(void **state)
{
    (void)state;
    const char *path = fresh_path("text");
    static const char text[] = "study,value\nlr,0.1\n";
    write_bytes(path, text, sizeof text - 1);
    assert_refused(path, HPS_ERR_INVALID, "is not an SQLite database");
}

static void test_short_binary_file_is_refused_untouched(void **state)
{
    (void)state;
    const char *path = fresh_path("short");
    write_bytes(path, "SQLite", 6); /* the start of the header, no more */
    assert_refused(path, HPS_ERR_INVALID, "is not an SQLite database");
}

static void test_directory_is_refused(void **state)
{
    (void)state;
    const char *path = fresh_path("dir");
    assert_int_equal(mkdir(path, 0700), 0);
    char url[4200], err[1024];
    url_of(path, url, sizeof url);
    ASSERT_STATUS(HPS_ERR_INVALID, load(url, err, sizeof err));
    ASSERT_CONTAINS(err, "not a regular file");
    ASSERT_STATUS(HPS_ERR_INVALID, create(url, err, sizeof err));
    assert_false(sibling_exists(path, "-wal"));
    rmdir(path);
}

static void test_unrelated_tables_are_refused_untouched(void **state)
{
    (void)state;
    const char *path = fresh_path("unrelated");
    sql(path, "CREATE TABLE people (name TEXT); CREATE TABLE studies (id INTEGER);"
              "INSERT INTO people VALUES ('ada');");
    assert_refused(path, HPS_ERR_INVALID, "not an hpsearch one (it has 2 tables: people, studies)");
}

/* Optuna's own "studies" and "trials" must not pass for hpsearch's. (The CLI test
 * makes a real one with Optuna; this has its table names.) */
static void test_optuna_tables_are_refused_untouched(void **state)
{
    (void)state;
    const char *path = fresh_path("optuna");
    sql(path, "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);"
              "CREATE TABLE version_info (version_info_id INTEGER PRIMARY KEY,"
              " schema_version INTEGER, library_version VARCHAR(256));"
              "CREATE TABLE studies (study_id INTEGER PRIMARY KEY, study_name VARCHAR(512));"
              "CREATE TABLE trials (trial_id INTEGER PRIMARY KEY, number INTEGER);"
              "INSERT INTO version_info VALUES (1, 12, '3.1.0');");
    assert_refused(path, HPS_ERR_INVALID, "looks like an Optuna storage");
}

/* Table names are another program's text: quoted with control characters replaced,
 * and a long list is cut. */
static void test_hostile_table_names_are_quoted_safely(void **state)
{
    (void)state;
    const char *path = fresh_path("hostile");
    char ddl[8192] = "CREATE TABLE \"bad\nname\" (x);";
    for (int i = 0; i < 60; i++) {
        char one[96];
        snprintf(one, sizeof one, "CREATE TABLE t%02d_a_rather_long_table_name (x);", i);
        strcat(ddl, one);
    }
    sql(path, ddl);
    assert_refused(path, HPS_ERR_INVALID, "it has 61 tables: bad?name, t00_");
    char url[4200], err[1024];
    url_of(path, url, sizeof url);
    load(url, err, sizeof err);
    ASSERT_CONTAINS(err, "...");
    assert_null(strchr(err, '\n'));
}

/* A database a newer hpsearch wrote (in WAL mode, as hpsearch leaves its databases). */
static void test_newer_schema_is_refused_untouched(void **state)
{
    (void)state;
    const char *path = fresh_path("newer");
    char url[4200], err[1024];
    url_of(path, url, sizeof url);
    ASSERT_STATUS(HPS_OK, create(url, err, sizeof err));
    sql(path, "UPDATE schema_version SET version = 99");
    assert_false(sibling_exists(path, "-wal")); /* the last connection removed it */
    assert_refused(path, HPS_ERR_UNSUPPORTED, "schema version 99");
    load(url, err, sizeof err);
    ASSERT_CONTAINS(err, "written by a newer hpsearch");
}

/* A WAL-mode database another program has open, with changes not yet checkpointed: the
 * refusal neither folds its -wal into the file nor removes it. */
static void test_foreign_wal_database_in_use_is_refused_untouched(void **state)
{
    (void)state;
    const char *path = fresh_path("in-use");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;"
                                  "CREATE TABLE notes (x); INSERT INTO notes VALUES (1);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_true(sibling_exists(path, "-wal"));
    size_t wal_len;
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", path);
    char *wal_before = slurp(wal, &wal_len);
    assert_refused(path, HPS_ERR_INVALID, "it has 1 table: notes");
    size_t wal_len_after;
    char *wal_after = slurp(wal, &wal_len_after);
    assert_int_equal(wal_len_after, wal_len);
    assert_memory_equal(wal_after, wal_before, wal_len);
    free(wal_before);
    free(wal_after);
    sqlite3_close(db);
}

/* The file names a rollback-journal database that is not hpsearch's: still not WAL. */
static void test_refused_database_keeps_its_journal_mode(void **state)
{
    (void)state;
    const char *path = fresh_path("journal");
    sql(path, "CREATE TABLE notes (x);");
    char url[4200], err[1024];
    url_of(path, url, sizeof url);
    ASSERT_STATUS(HPS_ERR_INVALID, create(url, err, sizeof err));
    size_t len;
    char *bytes = slurp(path, &len);
    assert_true(len >= 20);
    assert_int_equal(bytes[18], 1); /* file format write version: 1 legacy, 2 WAL */
    assert_int_equal(bytes[19], 1);
    free(bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_file_is_not_created_by_reading),
        cmocka_unit_test(test_missing_directory_is_named),
        cmocka_unit_test(test_empty_file_is_created_only_by_creating),
        cmocka_unit_test(test_sqlite_file_without_tables_is_created_only_by_creating),
        cmocka_unit_test(test_sqlite_memory_url_makes_no_file),
        cmocka_unit_test(test_text_file_is_refused_untouched),
        cmocka_unit_test(test_short_binary_file_is_refused_untouched),
        cmocka_unit_test(test_directory_is_refused),
        cmocka_unit_test(test_unrelated_tables_are_refused_untouched),
        cmocka_unit_test(test_optuna_tables_are_refused_untouched),
        cmocka_unit_test(test_hostile_table_names_are_quoted_safely),
        cmocka_unit_test(test_newer_schema_is_refused_untouched),
        cmocka_unit_test(test_foreign_wal_database_in_use_is_refused_untouched),
        cmocka_unit_test(test_refused_database_keeps_its_journal_mode),
    };
    return cmocka_run_group_tests_name("opening sqlite:PATH", tests, NULL, NULL);
}
