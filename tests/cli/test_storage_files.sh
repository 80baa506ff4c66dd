#!/usr/bin/env bash
# Query commands never create a database, and a file that is not an hpsearch database
# is refused by every command -- reading or running -- with exit 2 and a message naming
# the path and what it is, leaving the file byte for byte as it was (no switch to WAL,
# no tables, no -wal/-shm files). An Optuna storage is made by Optuna itself.
. "$(dirname "$0")/lib.sh"

db_state() { # the file's sha256, and which of its -wal and -shm files exist
    local f=$1
    [ -e "$f" ] && printf '%s' "$(sha256sum < "$f" | cut -c1-16)"
    [ -e "$f-wal" ] && printf ' -wal'
    [ -e "$f-shm" ] && printf ' -shm'
    return 0
}

# A config whose study lives in sqlite:$1 (for run and narrow).
config_for() {
    write_config "cfg-$1.yaml" <<EOF
study: s
storage: sqlite:$1
metric: score
n_trials: 2
command: $TRAIN --x {x}
parameters:
  x: {type: float, low: 0, high: 6}
EOF
    echo "cfg-$1.yaml"
}

# Each reading command on sqlite:FILE: exit 2, the file and `what` in the message.
check_queries() {
    local file=$1 what=$2 url="sqlite:$1" cfg out status
    cfg=$(config_for "$file")
    local -a commands=(
        "trials s --storage $url"
        "best s --storage $url"
        "show s --storage $url"
        "report s --storage $url -o report-$file.html"
        "studies --storage $url"
        "delete s --storage $url --yes"
        "narrow $cfg --top 2 -o narrowed-$file.yaml"
        "dashboard --storage $url --port 0"
    )
    local cmd
    for cmd in "${commands[@]}"; do
        # the timeout only guards against a dashboard that would serve instead of failing
        out=$(timeout 120 "$HPSEARCH" $cmd 2>&1 < /dev/null)
        status=$?
        expect_eq "$file: ${cmd%% *}: exit 2" 2 "$status"
        expect_contains "$file: ${cmd%% *}: names the file" "$file" "$out"
        expect_contains "$file: ${cmd%% *}: says what is there" "$what" "$out"
    done
    [ -e "report-$file.html" ] && fail "$file: a report was written" || ok "$file: no report written"
    [ -e "narrowed-$file.yaml" ] && fail "$file: a narrowed config was written" ||
        ok "$file: no narrowed config written"
}

# ---- nothing there: every query says so, and nothing appears ---------------------------
check_queries missing.db "the file does not exist"
out=$("$HPSEARCH" trials s --storage sqlite:missing.db 2>&1)
expect_contains "missing: the message" "no hpsearch database at missing.db: the file does not exist" "$out"
expect_contains "missing: says how a database is made" "\`hpsearch run CONFIG\` creates it" "$out"
expect_eq "missing: no file, -wal or -shm appeared" "" "$(db_state missing.db)"

mkdir plain && (cd plain && "$HPSEARCH" studies > out.txt 2>&1; echo $? > status)
expect_eq "studies with the default storage and no database: exit 2" 2 "$(cat plain/status)"
expect_contains "it names hpsearch.db" "no hpsearch database at hpsearch.db" "$(cat plain/out.txt)"
expect_eq "and does not create it" "out.txt status" "$(cd plain && echo *)"

# ---- a database not created yet: queries find nothing, run creates it ------------------
: > empty.db
check_queries empty.db "the file is empty"
expect_eq "empty: still 0 bytes" 0 "$(stat -c %s empty.db)"
expect_eq "empty: no -wal/-shm" "" "$(ls empty.db-* 2> /dev/null)"

"$PY" -c "import sqlite3; c = sqlite3.connect('tableless.db'); c.execute('PRAGMA user_version = 5'); c.execute('VACUUM'); c.close()"
before=$(db_state tableless.db)
check_queries tableless.db "it is an SQLite database without tables"
expect_eq "tableless: untouched" "$before" "$(db_state tableless.db)"

for file in empty.db tableless.db; do
    "$HPSEARCH" run "$(config_for $file)" --no-progress -q > /dev/null 2>&1
    expect_eq "run makes a database of $file" 0 $?
    expect_eq "$file: the run's trials are there" 2 "$("$HPSEARCH" trials s --storage sqlite:$file --format csv | tail -n +2 | wc -l)"
done

# ---- something else is there: every command refuses it untouched -----------------------
printf 'epoch,loss\n1,0.5\n' > text.db
"$PY" -c "import sqlite3; c = sqlite3.connect('foreign.db'); c.execute('CREATE TABLE people (name TEXT)'); c.execute(\"INSERT INTO people VALUES ('ada')\"); c.commit(); c.close()"
if "$PY" - <<'PYEOF'
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.create_study(study_name="s", storage="sqlite:///optuna.db")
study.optimize(lambda t: (t.suggest_float("x", 0, 6) - 3) ** 2, n_trials=3)
PYEOF
then ok "Optuna made optuna.db"; else fail "cannot make an Optuna storage with $PY (optuna missing?)"; fi
# a database a newer hpsearch wrote: hpsearch's own, in WAL mode, with version 2
"$HPSEARCH" run "$(config_for newer.db)" --no-progress -q > /dev/null 2>&1
expect_eq "newer.db: made by a run" 0 $?
"$PY" -c "import sqlite3; c = sqlite3.connect('newer.db'); c.execute('UPDATE schema_version SET version = 2'); c.commit(); c.close()"
expect_eq "newer.db is in WAL mode" "wal" "$(sql newer.db 'PRAGMA journal_mode')"

check_foreign() {
    local file=$1 what=$2 before out
    before=$(db_state "$file")
    [ -n "$before" ] || fail "$file was not made"
    check_queries "$file" "$what"
    out=$("$HPSEARCH" run "$(config_for "$file")" --no-progress 2>&1)
    expect_eq "$file: run: exit 2" 2 $?
    expect_contains "$file: run: says what is there" "$what" "$out"
    expect_contains "$file: run: says it was not changed" "hpsearch never changes it" "$out"
    expect_eq "$file: bytes unchanged, no -wal/-shm left" "$before" "$(db_state "$file")"
}
check_foreign text.db "is not an SQLite database"
check_foreign foreign.db "not an hpsearch one (it has 1 table: people)"
check_foreign optuna.db "it looks like an Optuna storage"
check_foreign newer.db "it was written by a newer hpsearch"
expect_eq "optuna.db keeps its journal mode" "delete" "$(sql optuna.db 'PRAGMA journal_mode')"
"$PY" - <<'PYEOF' && ok "Optuna still reads optuna.db" || fail "optuna.db no longer reads in Optuna"
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
assert len(optuna.load_study(study_name="s", storage="sqlite:///optuna.db").trials) == 3
PYEOF
finish
