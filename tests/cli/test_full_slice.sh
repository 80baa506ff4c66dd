#!/usr/bin/env bash
# A script that ignores the checkpoint contract (runs every step of its budget whatever
# HPSEARCH_MAX_STEP says) under a pruner that pauses trials: its first slice reaches the
# full budget, so the trial has finished -- COMPLETE with its value, run once. Before,
# it paused at the last step: some stayed PAUSED for good, the rest ran all their steps
# a second time when promoted.
. "$(dirname "$0")/lib.sh"

check_study() { # NAME DB: every trial COMPLETE at its last step's value, each run once
    local name=$1 db=$2
    expect_eq "$name: every trial COMPLETE, none PAUSED" "6|6" \
        "$(sql "$db" "SELECT count(*), sum(state = 2) FROM trials")"
    expect_eq "$name: each value is the one of step 9 (score + 9)" "" \
        "$(sql "$db" "SELECT t.number FROM trials t JOIN trial_values v USING (trial_id)
            JOIN trial_intermediate i USING (trial_id) WHERE i.step = 9 AND v.value != i.value")"
    local lines
    lines=$(cat hpsearch-logs/"$name"/trial-*.log | grep -c '^step=')
    expect_eq "$name: each trial ran its 10 steps once" 60 "$lines"
}

write_config promo.yaml <<EOF2
study: promo
storage: sqlite:promo.db
direction: maximize
metric: score
sampler: random
seed: 1
n_trials: 6
pruner: {name: asha, mode: promotion, reduction_factor: 3, min_resource: 1, max_resource: 9}
command: $TRAIN --x {x} --steps 10
parameters:
  x: {type: float, low: 0, high: 6}
EOF2
"$HPSEARCH" run promo.yaml --no-progress > promo.out 2>&1
expect_eq "the promotion run succeeds" 0 $?
check_study promo promo.db
expect_eq "no trial is reported paused" "" "$(grep PAUSED promo.out)"

write_config thaw.yaml <<EOF2
study: thaw
storage: sqlite:thaw.db
direction: maximize
metric: score
sampler: random
seed: 1
n_trials: 6
pruner: {name: forecast, mode: freeze-thaw, max_step: 9}
command: $TRAIN --x {x} --steps 10
parameters:
  x: {type: float, low: 0, high: 6}
EOF2
"$HPSEARCH" run thaw.yaml --no-progress > thaw.out 2>&1
expect_eq "the freeze-thaw run succeeds" 0 $?
check_study thaw thaw.db
finish
