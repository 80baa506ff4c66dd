#!/usr/bin/env bash
# Successive halving with promotions through the command line (pruner asha, mode
# promotion, with a fidelity): trials learn their slice from HPSEARCH_MAX_STEP, save and
# exit 0 there and are PAUSED; the best paused ones are resumed with
# HPSEARCH_RESUME_STEP and the same checkpoint directory, go on from the next step, and
# every pause is resumed at most once, by two slots running side by side.
. "$(dirname "$0")/lib.sh"

write_config promo.yaml <<EOF2
study: promo
storage: sqlite:promo.db
direction: maximize
metric: score
sampler: random
seed: 3
n_trials: 9
parallel: 2
pruner: {name: asha, mode: promotion, reduction_factor: 3}
fidelity: epochs
command: $SLICED_TRAIN
parameters:
  x: {type: float, low: 0, high: 6}
  epochs: {type: int, low: 1, high: 9}
EOF2
# steps 0..epochs-1 with the trainer's count: rungs at steps 1 and 3, the full budget 9
out=$("$HPSEARCH" run promo.yaml --no-progress 2>&1)
expect_eq "the run succeeds" 0 $?
expect_contains "trials pause at their rung" "PAUSED" "$out"
expect_contains "the summary counts them" "paused); this run:" "$out"
expect_eq "nine trials, none failed" "9|0" \
    "$(sql promo.db "SELECT count(*), sum(state = 4) FROM trials")"
complete=$(sql promo.db "SELECT count(*) FROM trials WHERE state = 2")
[ "$complete" -ge 1 ] && ok "the best trials run the whole budget ($complete)" ||
    fail "no trial was promoted to the end: $out"
# Each slice of a trial starts right after the previous one's end: no step twice, none
# skipped, and a pause resumed once.
bad=$(slices_out_of_order)
expect_eq "slices follow each other exactly" "" "$bad"
steps=$(sql promo.db "SELECT group_concat(step) FROM (SELECT i.step FROM trial_intermediate i
    JOIN trials t ON t.trial_id = i.trial_id WHERE t.state = 2 ORDER BY t.number, i.step
    LIMIT 9)")
expect_eq "a completed trial's curve has each step once" "0,1,2,3,4,5,6,7,8" "$steps"
expect_eq "each resume found its checkpoint (the log goes on)" "$(resumed_slices)" \
    "$(resumes_logged promo)"

# A promotion config without its budget is refused before anything runs.
write_config nobudget.yaml <<EOF2
study: nobudget
storage: sqlite:nobudget.db
metric: score
n_trials: 2
pruner: {name: asha, mode: promotion, min_resource: 1}
command: $TRAIN --x {x}
parameters:
  x: {type: float, low: 0, high: 6}
EOF2
out=$("$HPSEARCH" run nobudget.yaml --no-progress 2>&1)
expect_eq "run without max_resource exits 2" 2 $?
expect_contains "and says what is missing, where" \
    "nobudget.yaml:5: pruner: pruner 'asha': mode promotion needs min_resource and max_resource" "$out"
[ "$failures" -eq 0 ]
