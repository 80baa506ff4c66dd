#!/usr/bin/env bash
# A resumed trial cut short by Ctrl-C (asha's promotion mode) goes back to PAUSED at its
# last reported step, where the trainer's checkpoint stands, instead of failing and being
# queued again from scratch; the next run promotes it from there, though that step is
# no rung (it waits at the rung it passed).
. "$(dirname "$0")/lib.sh"

# rungs at steps 1 and 5 (reduction factor 5), the full budget 16; --graceful finishes
# the step under way on SIGTERM, saves it and exits
write_config cut.yaml <<EOF2
study: cut
storage: sqlite:cut.db
direction: maximize
metric: score
sampler: random
seed: 5
n_trials: 5
pruner: {name: asha, mode: promotion, reduction_factor: 5, min_resource: 1}
fidelity: epochs
command: $SLICED_TRAIN --graceful --sleep 0.25
parameters:
  x: {type: float, low: 0, high: 6}
  epochs: {type: int, low: 1, high: 16}
EOF2
"$HPSEARCH" run cut.yaml --no-progress > run1.out 2>&1 &
pid=$!
# Ctrl-C once the promoted trial has printed step 2, past its checkpoint's step 1 (its
# log goes on from one slice to the next)
for _ in $(seq 1 600); do
    grep -qs "^step=2 " $(grep -ls "resumed at step" hpsearch-logs/cut/trial-*.log) && break
    sleep 0.05
done
kill -INT "$pid"
wait "$pid"
expect_eq "Ctrl-C exits 130" 130 $?
expect_eq "five trials, none failed, nothing queued again" "5|0|0" \
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

nmax=$(sql cut.db "SELECT max(i.step) FROM trial_intermediate i JOIN trials t USING (trial_id)
    WHERE t.number = $cut")
# (its exit status says no trial has completed yet)
"$HPSEARCH" run cut.yaml --no-progress > run2.out 2>&1
expect_contains "the next run promotes it, though the budget is used" "trial $cut    PAUSED" \
    "$(cat run2.out)"
expect_eq "it resumed the cut trial from that step to the next rung" "$cut $((nmax + 1)) 5" \
    "$(tail -n 1 slices.log)"
# (a trainer whose checkpoint was not where HPSEARCH_RESUME_STEP said would exit 4: FAIL)
expect_eq "which is PAUSED there, each step once" "5|5|6|6" \
    "$(sql cut.db "SELECT t.state, json_extract(t.system_attrs, '$.paused_step'),
        count(i.step), count(DISTINCT i.step) FROM trials t JOIN trial_intermediate i
        USING (trial_id) WHERE t.number = $cut")"
finish
