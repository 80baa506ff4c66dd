#!/usr/bin/env bash
# Pruning in the CLI with real trial processes: the trials' metric lines are reported
# as they come, the pruner stops bad trials early (their process group ended, the trial
# recorded PRUNED with its last value, its log kept), good ones run to completion. And
# a W&B early_terminate maps to the Hyperband pruner.
source "$(dirname "$0")/lib.sh"

write_config prune.yaml <<EOF2
study: prune
storage: sqlite:p.db
direction: maximize
metric: score
sampler: grid
pruner: {name: median, n_startup_trials: 2}
command: $TRAIN --x {x} --y 1 --steps 20 --sleep 0.1
parameters:
  x: {values: [3, 2.5, 3.5, 0, 6, 1, 5]}
EOF2
start=$(date +%s.%N)
out=$("$HPSEARCH" run prune.yaml --no-progress 2>&1)
expect_eq "exit 0" 0 $?
took=$("$PY" -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$start" "$(date +%s.%N)")
expect_contains "announces the pruner" "median pruner" "$out"
expect_contains "PRUNED lines" "PRUNED    score=" "$out"
# the grid runs in order: trial k has x = the k-th value
states=$(sql p.db "SELECT group_concat(state, ' ') FROM (SELECT state FROM trials ORDER BY number)")
expect_eq "x=3 and x=2.5 complete, the rest are pruned" "2 2 3 3 3 3 3" "$states"
# pruned at their first report: one intermediate value each, which is their value
expect_eq "pruned trials stopped at the first step" "5" "$(sql p.db "SELECT COUNT(*) FROM trials t WHERE t.state = 3 AND (SELECT COUNT(*) FROM trial_intermediate i WHERE i.trial_id = t.trial_id) = 1")"
expect_eq "pruned value = last intermediate value" "0" "$(sql p.db "SELECT COUNT(*) FROM trials t JOIN trial_values v USING (trial_id) JOIN trial_intermediate i USING (trial_id) WHERE t.state = 3 AND v.value != i.value")"
echo "run took $took s (7 full trials would take 14 s)"  # printed, not asserted: timing is the benchmark's job
[ -s hpsearch-logs/prune/trial-00004.log ] && ok "a pruned trial's log is kept" || fail "pruned trial log missing"
if pgrep -f "$TAG" > /dev/null; then fail "pruned trainers survived"; else ok "pruned trainers ended"; fi

# W&B early_terminate -> Hyperband
cp "$TRAINER" train.py
write_config sweep.yaml <<EOF2
program: train.py
method: grid
metric: {name: score, goal: maximize}
early_terminate: {type: hyperband, min_iter: 1, eta: 2}
parameters:
  x: {values: [3, 2, 4, 0, 6]}
command: ["\${env}", "\${interpreter}", "\${program}", --tag, $TAG, --steps=8, "\${args}"]
EOF2
out=$(HPSEARCH_PYTHON=$PY "$HPSEARCH" run sweep.yaml --storage sqlite:w.db --no-progress 2>&1)
expect_eq "W&B sweep exit 0" 0 $?
expect_contains "hyperband pruner in use" "hyperband pruner" "$out"
pruned=$(sql w.db "SELECT COUNT(*) FROM trials WHERE state = 3")
[ "$pruned" -ge 1 ] && ok "hyperband pruned $pruned trial(s)" || fail "hyperband pruned nothing"
finish
