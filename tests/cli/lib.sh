# lib.sh -- shared by the CLI integration tests (sourced). Each test runs the real
# `hpsearch` binary ($HPSEARCH) against real subprocesses in a fresh directory.
set -u

HPSEARCH=$(realpath "${HPSEARCH:?set HPSEARCH to the hpsearch binary}")
HPS_SOURCE_DIR=$(realpath "${HPS_SOURCE_DIR:?set HPS_SOURCE_DIR to the source tree}")
PY=${HPS_PYTHON:-/usr/bin/python3}
TRAINER="$HPS_SOURCE_DIR/tests/cli/fake_trainer.py"
failures=0

WORK=$(mktemp -d "${HPS_TEST_TMPDIR:-/tmp}/hpscli.XXXXXX" 2>/dev/null || mktemp -d)
trap 'if [ "$failures" -eq 0 ] && [ -z "${HPS_KEEP_TMP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi' EXIT
cd "$WORK" || exit 1
# Trainer command lines carry this tag, so process checks see only this test's trainers
# even when tests run in parallel.
TAG="tag-$(basename "$WORK")"
TRAIN="$PY $TRAINER --tag $TAG"

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

ok() {
    echo "ok: $*"
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected [$2], got [$3]"; fi
}

# expect_contains WHAT NEEDLE HAYSTACK
expect_contains() {
    case "$3" in
    *"$2"*) ok "$1" ;;
    *) fail "$1: [$2] not found in: $3" ;;
    esac
}

# sql DB QUERY -- runs a read-only query through Python's sqlite3 module
sql() {
    "$PY" - "$1" "$2" <<'PYEOF'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for row in con.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
PYEOF
}

# write_config FILE -- writes stdin to FILE
write_config() {
    cat > "$1"
}

finish() {
    if [ "$failures" -ne 0 ]; then
        echo "$failures check(s) failed" >&2
        exit 1
    fi
    echo "all checks passed"
    exit 0
}
