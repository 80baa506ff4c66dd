#!/usr/bin/env bash
# asha's promotion form with a script that reports every second epoch only: it never has
# a value at rungs 1 and 3, so each slice ends at its first report past the rung (2, 4)
# and the trial is ranked there by that value, as mode stop ranks it -- not resumed
# unranked as if it had passed no rung (which ran every trial to the end).
. "$(dirname "$0")/lib.sh"

write_config every.yaml <<EOF2
study: every
storage: sqlite:every.db
direction: maximize
metric: score
sampler: random
seed: 7
n_trials: 9
pruner: {name: asha, mode: promotion, reduction_factor: 3, min_resource: 1, max_resource: 9}
command: $TRAIN --x {x} --steps 9 --every 2 --checkpoint --slices slices.log
parameters:
  x: {type: float, low: 0, high: 6}
EOF2
"$HPSEARCH" run every.yaml --no-progress > run.out 2>&1
expect_eq "the run succeeds" 0 $?
expect_eq "slices end at the first report past a rung: 2, then 4, then the end (8)" "" \
    "$(awk '$3 != 2 && $3 != 4 && $3 != 8' slices.log)"
expect_eq "every pause is at a reported step past a rung" "" \
    "$(sql every.db "SELECT number FROM trials WHERE state = 5 AND
        json_extract(system_attrs, '$.paused_step') NOT IN (2, 4)")"
paused_at_2=$(sql every.db "SELECT count(*) FROM trials WHERE state = 5 AND
    json_extract(system_attrs, '$.paused_step') = 2")
[ "$paused_at_2" -ge 4 ] && ok "most trials wait at rung 1, unpromoted ($paused_at_2)" ||
    fail "only $paused_at_2 trials wait at rung 1: ranked at all? $(cat slices.log)"
# ranked by the value at step 2: the trials that went on are the best there
expect_eq "the best trial at step 2 went on" "1" \
    "$(sql every.db "SELECT json_extract(t.system_attrs, '$.paused_step') IS NOT 2
        FROM trials t JOIN trial_intermediate i USING (trial_id) WHERE i.step = 2
        ORDER BY i.value DESC LIMIT 1")"
expect_eq "the worst at step 2 did not" "2" \
    "$(sql every.db "SELECT json_extract(t.system_attrs, '$.paused_step')
        FROM trials t JOIN trial_intermediate i USING (trial_id) WHERE i.step = 2
        ORDER BY i.value ASC LIMIT 1")"
finish
