#!/usr/bin/env bash
# Trials that fail in every way are FAIL with their reason kept, the run goes on, and
# the exit code says whether the study produced anything.
source "$(dirname "$0")/lib.sh"

run_one() { # NAME EXTRA_ARGS [more config lines]
    local name=$1 extra=$2
    write_config "$name.yaml" <<EOF2
study: $name
storage: sqlite:fail.db
metric: score
direction: maximize
n_trials: 1
trial_timeout: 1
command: $TRAIN --x 1 $extra
parameters:
  y: {type: float, low: 0, high: 1}
EOF2
    "$HPSEARCH" run "$name.yaml" --no-progress > "$name.out" 2>&1
    echo $?
}
reason() {
    sql fail.db "SELECT t.system_attrs FROM trials t JOIN studies s USING (study_id) WHERE s.name = '$1'"
}

expect_eq "exit code of a study whose only trial failed" 1 "$(run_one crash '--exit-code 3')"
expect_contains "exit status kept" "exit status 3" "$(reason crash)"
expect_contains "FAIL line printed" "FAIL      exit status 3" "$(cat crash.out)"

expect_eq "no metric: exit 1" 1 "$(run_one silent '--no-metric')"
expect_contains "no-metric reason" "exited without printing metric 'score'" "$(reason silent)"
expect_contains "last output kept" "loss=1.0" "$(reason silent)"

expect_eq "NaN: exit 1" 1 "$(run_one nan '--nan')"
expect_contains "NaN reason" "is NaN" "$(reason nan)"

start=$(date +%s.%N)
expect_eq "timeout: exit 1" 1 "$(run_one slow '--hang')"
took=$("$PY" -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$(date +%s.%N)")
# the trainer would hang for an hour: ending at all shows the timeout and the kill work
# (no tight bound: machines under load are slow)
"$PY" -c "import sys; sys.exit(0 if float(sys.argv[1]) < 120 else 1)" "$took" && ok "hung trial ended by the timeout ($took s)" || fail "timeout took $took s"
expect_contains "timeout reason" "timed out after 1s" "$(reason slow)"
if pgrep -f "$TAG.*--hang" > /dev/null; then fail "hung trainer survived"; else ok "hung trainer killed with its group"; fi

expect_eq "traceback: exit 1" 1 "$(run_one cursed '--fail-if-x 1')"
expect_contains "stderr tail kept" "ValueError: x is cursed" "$(reason cursed)"

# a failing trial does not stop the others; retries re-run the same parameters
write_config mixed.yaml <<EOF2
study: mixed
storage: sqlite:mixed.db
metric: score
direction: maximize
sampler: grid
retries: 1
command: $TRAIN --x {x} --fail-if-x 2
parameters:
  x: {values: [1, 2, 3]}
EOF2
"$HPSEARCH" run mixed.yaml --no-progress > mixed.out 2>&1
expect_eq "mixed study exit 0 (something completed)" 0 $?
expect_eq "x=2 failed twice (1 retry), others complete" "2|2
4|2" "$(sql mixed.db 'SELECT state, COUNT(*) FROM trials GROUP BY state')"
retry=$(sql mixed.db "SELECT system_attrs FROM trials WHERE number = 2")
expect_contains "the retry is marked" '"attempt":1' "$retry"
finish
