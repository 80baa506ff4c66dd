#!/usr/bin/env bash
# kill -9 of `hpsearch run` mid-study, then resume: every trial that had finished is
# still there with the same value, the orphaned RUNNING trials are recovered, every grid
# cell ends COMPLETE exactly once, and no trial is left RUNNING. First on SQLite, then
# the same on a journal storage (read through `hpsearch trials --format json`).
source "$(dirname "$0")/lib.sh"

write_config grid.yaml <<EOF2
study: resume
storage: sqlite:resume.db
direction: maximize
metric: score
sampler: grid
parallel: 2
command: $TRAIN --x {x} --y {y} --steps 4 --sleep 0.1
parameters:
  x: {values: [0, 1, 2, 3, 4, 5]}
  y: {values: [0, 1]}
EOF2

"$HPSEARCH" run grid.yaml --no-progress -q > run1.out 2>&1 &
pid=$!
# wait until a few trials have finished, then kill hard while others run
for _ in $(seq 1 200); do
    done_count=$(sql resume.db "SELECT COUNT(*) FROM trials WHERE state = 2" 2>/dev/null || echo 0)
    [ "${done_count:-0}" -ge 4 ] && break
    sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
before=$(sql resume.db "SELECT number, value FROM trials JOIN trial_values USING (trial_id) WHERE state = 2 ORDER BY number")
running=$(sql resume.db "SELECT COUNT(*) FROM trials WHERE state = 1")
[ "$running" -ge 1 ] && ok "kill left $running trial(s) RUNNING" || fail "expected RUNNING trials after kill -9, got $running"
n_before=$(printf '%s\n' "$before" | grep -c .)
[ "$n_before" -ge 4 ] && ok "$n_before trials finished before the kill" || fail "only $n_before finished"
# the killed run's children die with it (PR_SET_PDEATHSIG): no trainer is left
sleep 0.3
if pgrep -f "$TAG" > /dev/null; then fail "trainer processes survived the kill"; else ok "no orphaned trainers"; fi

out=$("$HPSEARCH" run grid.yaml --no-progress 2>&1)
expect_eq "resume exit 0" 0 $?
expect_contains "resume announced" "resuming" "$out"
after=$(sql resume.db "SELECT number, value FROM trials JOIN trial_values USING (trial_id) WHERE state = 2 ORDER BY number")
while IFS= read -r line; do
    case "$after" in
    *"$line"*) ;;
    *) fail "finished trial lost or changed: $line" ;;
    esac
done <<< "$before"
ok "all $n_before finished trials kept"
expect_eq "nothing RUNNING" 0 "$(sql resume.db 'SELECT COUNT(*) FROM trials WHERE state = 1')"
expect_eq "12 COMPLETE" 12 "$(sql resume.db 'SELECT COUNT(*) FROM trials WHERE state = 2')"
dupes=$(sql resume.db "SELECT COUNT(*) FROM (SELECT a.value, b.value FROM trials t JOIN trial_params a ON a.trial_id = t.trial_id AND a.name = 'x' JOIN trial_params b ON b.trial_id = t.trial_id AND b.name = 'y' WHERE t.state = 2 GROUP BY a.value, b.value HAVING COUNT(*) > 1)")
expect_eq "no cell completed twice" 0 "$dupes"
interrupted=$(sql resume.db "SELECT COUNT(*) FROM trials WHERE state = 4 AND interrupted = 1")
expect_eq "orphans recorded as interrupted" "$running" "$interrupted"
reason=$(sql resume.db "SELECT system_attrs FROM trials WHERE state = 4 LIMIT 1")
expect_contains "reason names the dead worker" "is gone" "$reason"
expect_eq "integrity" "ok" "$(sql resume.db 'PRAGMA integrity_check')"

# ---- the same on a journal storage ---------------------------------------------------
sed -e 's/^storage:.*/storage: journal:resume.journal/' -e 's/^study:.*/study: resume_j/' \
    grid.yaml > journal.yaml
# TRIALS FILTER: a summary of the journal study's trials, by state
jtrials() {
    "$HPSEARCH" trials journal.yaml --format json 2>/dev/null | "$PY" -c '
import json, sys
trials = json.load(sys.stdin)
what = sys.argv[1]
if what == "complete":
    for t in trials:
        if t["state"] == "COMPLETE":
            print(t["number"], t["values"][0])
elif what == "cells":
    cells = [(t["params"]["x"], t["params"]["y"]) for t in trials if t["state"] == "COMPLETE"]
    print(len(cells) - len(set(cells)))
else:
    print(sum(1 for t in trials if t["state"] == what))
' "$1"
}
"$HPSEARCH" run journal.yaml --no-progress -q > run_j1.out 2>&1 &
pid=$!
for _ in $(seq 1 200); do
    [ "$(jtrials COMPLETE)" -ge 4 ] 2>/dev/null && break
    sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
before=$(jtrials complete)
running=$(jtrials RUNNING)
[ "$running" -ge 1 ] && ok "journal: kill left $running trial(s) RUNNING" || fail "journal: expected RUNNING trials after kill -9, got $running"
out=$("$HPSEARCH" run journal.yaml --no-progress 2>&1)
expect_eq "journal: resume exit 0" 0 $?
expect_contains "journal: resume announced" "resuming" "$out"
after=$(jtrials complete)
while IFS= read -r line; do
    case "$after" in
    *"$line"*) ;;
    *) fail "journal: finished trial lost or changed: $line" ;;
    esac
done <<< "$before"
ok "journal: all $(printf '%s\n' "$before" | grep -c .) finished trials kept"
expect_eq "journal: nothing RUNNING" 0 "$(jtrials RUNNING)"
expect_eq "journal: 12 COMPLETE" 12 "$(jtrials COMPLETE)"
expect_eq "journal: no cell completed twice" 0 "$(jtrials cells)"
expect_eq "journal: orphans failed" "$running" "$(jtrials FAIL)"
finish
