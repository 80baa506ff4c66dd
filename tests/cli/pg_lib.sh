# pg_lib.sh -- sourced after lib.sh by the PostgreSQL integration tests: skip cleanly
# without a server, and give each test a fresh schema of the test server's database.
#   PG_URL         the storage URL of the schema (search_path in the URL's options)
#   pg QUERY       runs a query in that schema; prints rows as a|b|c
pg_skip() {
    echo "SKIP: $*"
    exit 0
}

[ -n "${HPS_TEST_POSTGRES_URL:-}" ] ||
    pg_skip "HPS_TEST_POSTGRES_URL not set (make test starts a throwaway PostgreSQL server)"
command -v psql > /dev/null || pg_skip "psql not found (apt-get install postgresql-client)"
PG_SCHEMA="hps_cli_$(basename "$WORK" | tr -c 'a-zA-Z0-9\n' _)_$$"
PG_SCHEMA=$(printf '%s' "$PG_SCHEMA" | tr 'A-Z' 'a-z')
case "$HPS_TEST_POSTGRES_URL" in *\?*) sep='&' ;; *) sep='?' ;; esac
PG_URL="${HPS_TEST_POSTGRES_URL}${sep}options=-c%20search_path%3D${PG_SCHEMA}"
psql "$HPS_TEST_POSTGRES_URL" -XAtq -v ON_ERROR_STOP=1 -c "CREATE SCHEMA $PG_SCHEMA" ||
    { echo "FAIL: cannot create schema $PG_SCHEMA on the test server" >&2; exit 1; }

pg() {
    psql "$PG_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"
}

pg_drop_schema() {
    psql "$HPS_TEST_POSTGRES_URL" -XAtq -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE" > /dev/null 2>&1
}
