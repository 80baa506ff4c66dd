#!/usr/bin/env bash
# A resumed trial cut short by Ctrl-C (asha's promotion mode) goes back to PAUSED at its
# last reported step, where the trainer's checkpoint stands, instead of failing and being
# queued again from scratch; the next run resumes it from there.
. "$(dirname "$0")/lib.sh"

# rungs at steps 1 and 4 (reduction factor 4), the full budget 16; --graceful finishes
# the step under way on SIGTERM, saves it and exits
write_config cut.yaml <<EOF2
study: cut
storage: sqlite:cut.db
direction: maximize
metric: score
sampler: random
seed: 5
n_trials: 4
pruner: {name: asha, mode: promotion, reduction_factor: 4, min_resource: 1}
fidelity: epochs
command: $TRAIN --x {x} --steps {epochs} --checkpoint --graceful --sleep 0.2 --slices slices.log
parameters:
  x: {type: float, low: 0, high: 6}
  epochs: {type: int, low: 1, high: 16}
EOF2
"$HPSEARCH" run cut.yaml --no-progress > run1.out 2>&1 &
pid=$!
# Ctrl-C once the promoted trial has reported step 2, past its checkpoint's step 1
for _ in $(seq 1 600); do
    [ "$(sql cut.db "SELECT count(*) FROM trials t JOIN trial_intermediate i USING (trial_id)
        WHERE t.state = 1 AND t.system_attrs LIKE '%paused_step%' AND i.step = 2" \
        2>/dev/null || echo 0)" -ge 1 ] && break
    sleep 0.05
done
kill -INT "$pid"
wait "$pid"
expect_eq "Ctrl-C exits 130" 130 $?
expect_eq "four trials, none failed, nothing queued again" "4|0|0" \
    "$(sql cut.db "SELECT count(*), sum(state = 4), sum(state = 0) FROM trials")"
cut=$(awk '$2 > 0 {print $1}' slices.log)
expect_eq "one trial was resumed" 1 "$(echo "$cut" | wc -w)"
# (step 2, or 3 when SIGTERM came after the trainer had printed 2 and began step 3)
expect_eq "it is PAUSED at its last reported step, past 1, where its checkpoint stands" \
    "5|1|1|0" "$(sql cut.db "SELECT t.state, json_extract(t.system_attrs, '$.paused_step') =
        max(i.step), max(i.step) >= 2, t.interrupted FROM trials t JOIN trial_intermediate i
        USING (trial_id) WHERE t.number = $cut")"
expect_eq "its checkpoint holds that step" \
    "$(sql cut.db "SELECT json_extract(system_attrs, '$.paused_step') FROM trials
        WHERE number = $cut")" "$(cat hpsearch-logs/cut/checkpoints/*/t$cut-*/step 2>/dev/null)"
finish
