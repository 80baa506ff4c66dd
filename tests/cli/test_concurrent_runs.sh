#!/usr/bin/env bash
# Four `hpsearch run` processes started together on one SQLite file share one grid:
# every cell runs exactly once, numbers are unique and dense, nothing stays RUNNING.
source "$(dirname "$0")/lib.sh"

write_config grid.yaml <<EOF2
study: shared
storage: sqlite:shared.db
direction: maximize
metric: score
sampler: grid
shuffle: true
parallel: 2
command: $TRAIN --x {x} --y {y} --steps 1 --sleep 0.02
parameters:
  x: {type: int, low: 0, high: 9}
  y: {values: [0, 1, 2, 3]}
EOF2

pids=()
for w in 1 2 3 4; do
    "$HPSEARCH" run grid.yaml --no-progress -q > "worker$w.out" 2>&1 &
    pids+=($!)
done
for pid in "${pids[@]}"; do
    wait "$pid"
    expect_eq "worker $pid exit status" 0 $?
done

expect_eq "40 trials" 40 "$(sql shared.db 'SELECT COUNT(*) FROM trials')"
expect_eq "all COMPLETE" 40 "$(sql shared.db 'SELECT COUNT(*) FROM trials WHERE state = 2')"
expect_eq "unique dense numbers" "0|39|40" "$(sql shared.db 'SELECT MIN(number), MAX(number), COUNT(DISTINCT number) FROM trials')"
cells=$(sql shared.db "SELECT COUNT(DISTINCT a.value || ',' || b.value) FROM trial_params a JOIN trial_params b ON a.trial_id = b.trial_id AND a.name = 'x' AND b.name = 'y'")
expect_eq "40 distinct cells" 40 "$cells"
workers=$(sql shared.db "SELECT COUNT(DISTINCT worker) FROM trials")
[ "$workers" -ge 2 ] && ok "work was shared by $workers processes" || fail "only $workers process did the work"
finish
