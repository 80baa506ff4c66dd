#!/usr/bin/env bash
# `hpsearch show`: the terminal summary of a study run by `hpsearch run` (counts by
# state, best trial, top five, importances as bars, best-so-far sparkline), in Unicode
# and in ASCII, and clear messages with the usual exit codes for missing, empty,
# failed-only and unreadable studies; on ties show, best and the report name the same
# trial.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

# A real run: x decides the score, y a little, act (unused by the trainer) nothing.
write_config sweep.yaml <<EOF2
study: sweep
storage: sqlite:s.db
metric: score
direction: maximize
n_trials: 24
sampler: {name: random, seed: 3}
command: $TRAIN --x {x} --y {y} --steps 2
parameters:
  x: {type: float, low: 0, high: 6}
  y: {type: int, low: 0, high: 2}
  act: {values: [relu, tanh]}
EOF2
"$HPSEARCH" run sweep.yaml --no-progress > run.out 2>&1
expect_eq "the run completes" 0 $?

out=$(LANG=C.UTF-8 LC_ALL= "$HPSEARCH" show sweep.yaml)
expect_eq "show exits 0" 0 $?
expect_contains "names the study, direction and metric" "study sweep (maximize score) in sqlite:" "$out"
expect_contains "counts by state" "trials: 24  complete 24  pruned 0  fail 0  running 0  waiting 0  paused 0" "$out"
best_number=$(sql s.db "SELECT t.number FROM trials t JOIN trial_values v USING (trial_id) ORDER BY v.value DESC, t.number LIMIT 1")
expect_contains "best trial is the stored best" "best: trial $best_number  score = " "$out"
expect_contains "top-5 table header" "top 5:" "$out"
top_rows=$(printf '%s\n' "$out" | sed -n '/^top 5:/,/^$/p' | grep -cE '^ +[0-9]+  ')
expect_eq "top-5 table has five rows" 5 "$top_rows"
expect_contains "importances section" "importances (fANOVA):" "$out"
first_imp=$(printf '%s\n' "$out" | sed -n '/^importances/{n;p}' | awk '{print $1}')
expect_eq "x, which decides the score, ranks first" x "$first_imp"
act_imp=$(printf '%s\n' "$out" | sed -n '/^importances/,/^$/p' | awk '$1 == "act" {print $NF}')
"$PY" -c "import sys; sys.exit(0 if float(sys.argv[1]) < 0.1 else 1)" "$act_imp" &&
    ok "act, unused by the trainer, is near 0 ($act_imp)" || fail "act importance $act_imp"
expect_contains "Unicode bars" "█" "$out"
expect_contains "Unicode sparkline" "best so far (24 completed trials): " "$out"
printf '%s\n' "$out" | grep -q 'best so far.*[▁▂▃▄▅▆▇█]' && ok "sparkline drawn with blocks" || fail "no sparkline blocks: $out"

ascii=$(LANG=C LC_ALL=C "$HPSEARCH" show sweep --storage sqlite:s.db)
expect_eq "show by name exits 0" 0 $?
if printf '%s' "$ascii" | LC_ALL=C grep -q '[^ -~]'; then
    fail "non-ASCII output in the C locale: $ascii"
else
    ok "plain ASCII when the locale is not UTF-8"
fi
expect_contains "ASCII bars" "##" "$ascii"
forced=$(LANG=C.UTF-8 "$HPSEARCH" show sweep --storage sqlite:s.db --ascii)
if printf '%s' "$forced" | LC_ALL=C grep -q '[^ -~]'; then fail "--ascii still printed Unicode"; else ok "--ascii forces ASCII"; fi

# Pruned and failed trials and strategies (Python-made study).
make_study sqlite:m.db mixed mixed 40
out=$(LANG=C.UTF-8 "$HPSEARCH" show mixed --storage sqlite:m.db)
expect_eq "show of the mixed study exits 0" 0 $?
expect_contains "pruned and failed counted" "complete 31  pruned 5  fail 4" "$out"
expect_contains "strategies listed" "strategies: random 20, tpe 20" "$out"
expect_contains "metric from the study" "(minimize loss)" "$out"
first_imp=$(printf '%s\n' "$out" | sed -n '/^importances/{n;p}' | awk '{print $1}')
expect_eq "lr ranks first" lr "$first_imp"

# Ties: show, best, the report and the studies list name the same trial, the one the
# library names (hps_study_best_trial: the lowest number among equal best values),
# whether the tie is finite or infinite (a metric line may print inf).
# report_best STUDY DB -- the best trial number in the report's embedded view
report_best() {
    "$HPSEARCH" report "$1" --storage "sqlite:$2" -o - 2> /dev/null | "$PY" -c '
import json, re, sys
boot = json.loads(re.search(r"<script id=\"hps-boot\" type=\"application/json\">(.*?)</script>",
                            sys.stdin.read(), re.S).group(1))
print(boot["view"]["best"]["number"] if boot["view"]["best"] else "none")'
}
# check_ties CONFIG STUDY DB ORDER -- ORDER is the SQL order of the best value first
check_ties() {
    "$HPSEARCH" run "$1" --no-progress > "$2.run" 2>&1
    expect_eq "$2: the run completes" 0 $?
    local expected ties out best top
    expected=$(sql "$3" "SELECT t.number FROM trials t JOIN trial_values v USING (trial_id) ORDER BY v.value $4, t.number LIMIT 1")
    ties=$(sql "$3" "SELECT COUNT(*) FROM trial_values WHERE value = (SELECT value FROM trial_values ORDER BY value $4 LIMIT 1)")
    [ "$ties" -ge 2 ] && ok "$2: $ties trials share the best value" || fail "$2: no tie to test ($ties)"
    best=$("$HPSEARCH" best "$1" | head -1)
    expect_eq "$2: best names the lowest-numbered of the tied trials" "trial $expected" "$best"
    out=$("$HPSEARCH" show "$1")
    expect_contains "$2: show's best is the same trial" "best: trial $expected " "$out"
    top=$(printf '%s\n' "$out" | sed -n '/^top 5:/{n;n;p}' | awk '{print $1}')
    expect_eq "$2: show's top 5 starts with it" "$expected" "$top"
    expect_eq "$2: the report's best is the same trial" "$expected" "$(report_best "$2" "$3")"
}
write_config ties.yaml <<EOF2
study: ties
storage: sqlite:ties.db
metric: score
direction: maximize
sampler: grid
command: $TRAIN --x {x} --y 1 --steps 1
parameters:
  x: {values: [5, 1, 3.5, 2.5]}
EOF2
check_ties ties.yaml ties ties.db DESC
# minimize, where two trials print score=-inf (x = inf) after two finite ones
write_config infties.yaml <<EOF2
study: infties
storage: sqlite:infties.db
metric: score
direction: minimize
sampler: grid
command: $TRAIN --x {x} --y {y} --steps 1
parameters:
  x: {values: [2, inf]}
  y: {values: [0, 1]}
EOF2
check_ties infties.yaml infties infties.db ASC
out=$("$HPSEARCH" show infties.yaml)
expect_contains "infties: show prints the infinite best value" "score = -inf" "$out"
expect_contains "infties: the sparkline says what it leaves out" \
    "best so far (2 completed trials, 2 with an infinite value left out)" "$out"

# Missing, empty, failed-only, unreadable.
out=$("$HPSEARCH" show nope --storage sqlite:s.db 2>&1)
expect_eq "unknown study: exit 2" 2 $?
expect_contains "unknown study message" "study 'nope' does not exist" "$out"
make_study sqlite:m.db empty empty
out=$("$HPSEARCH" show empty --storage sqlite:m.db 2>&1)
expect_eq "empty study: exit 0" 0 $?
expect_contains "empty study says so" "no trials yet" "$out"
make_study sqlite:m.db failed failed 3
out=$("$HPSEARCH" show failed --storage sqlite:m.db 2>&1)
expect_eq "failed-only study: exit 0" 0 $?
expect_contains "failed-only counts" "complete 0  pruned 0  fail 3" "$out"
expect_contains "no best yet" "best: no trial has completed yet" "$out"
expect_contains "importances need completed trials" "importances: need at least two completed trials" "$out"
printf 'this is not a database\n%.0s' $(seq 1 200) > garbage.db
out=$("$HPSEARCH" show sweep --storage sqlite:garbage.db 2>&1)
rc=$?
[ "$rc" -eq 2 ] && ok "a file that is not a database: exit 2" || fail "not a database: exit $rc ($out)"
expect_contains "not a database: message" "hpsearch: show: garbage.db is not an SQLite database" "$out"
out=$("$HPSEARCH" show sweep --storage postgresql://u:p@127.0.0.1:1/db 2>&1)
rc=$?
[ "$rc" -eq 1 ] && ok "unreachable storage: exit 1" || fail "unreachable storage: exit $rc ($out)"
expect_contains "unreachable storage message" "hpsearch: show:" "$out"
out=$("$HPSEARCH" show 2>&1)
expect_eq "no study: exit 2" 2 $?
out=$("$HPSEARCH" show sweep --bogus 2>&1)
expect_eq "unknown option: exit 2" 2 $?
finish
