#!/usr/bin/env bash
# The forecast's freeze-thaw scheduler through the command line (pruner forecast, mode
# freeze-thaw, with a fidelity giving max_step): trials learn their slice from
# HPSEARCH_MAX_STEP, save and exit 0 there and are PAUSED; the asks resume them with
# HPSEARCH_RESUME_STEP and the same checkpoint directory, from the next step, two slots
# side by side; a config without the budget, or giving new_trial_estimate to mode
# stop, is refused before anything runs.
. "$(dirname "$0")/lib.sh"

write_config ft.yaml <<EOF2
study: ft
storage: sqlite:ft.db
direction: maximize
metric: score
sampler: random
seed: 5
n_trials: 4
parallel: 2
pruner: {name: forecast, mode: freeze-thaw, min_points: 4, slice_steps: 3}
fidelity: epochs
command: $SLICED_TRAIN
parameters:
  x: {type: float, low: 0, high: 6}
  epochs: {type: int, low: 1, high: 10}
EOF2
# the trainer counts steps 0..epochs-1: slices end at steps 4 and 7, the budget is 10
out=$("$HPSEARCH" run ft.yaml --no-progress 2>&1)
expect_eq "the run succeeds" 0 $?
expect_contains "trials pause after their slice" "PAUSED" "$out"
expect_eq "four trials, none failed" "4|0" \
    "$(sql ft.db "SELECT count(*), sum(state = 4) FROM trials")"
complete=$(sql ft.db "SELECT count(*) FROM trials WHERE state = 2")
[ "$complete" -ge 1 ] && ok "resumed trials reach the full budget ($complete)" ||
    fail "no trial was resumed to the end: $out"
bad=$(slices_out_of_order 4 7 9)
expect_eq "slices follow each other exactly, ending where the scheduler says" "" "$bad"
repeats=$(sql ft.db "SELECT count(*) FROM (SELECT trial_id, step FROM trial_intermediate
    GROUP BY trial_id, step HAVING count(*) > 1)")
expect_eq "no step is stored twice" "0" "$repeats"
resumed=$(resumes_logged ft)
resumes=$(resumed_slices)
[ "$resumes" -ge 1 ] && ok "some trials were resumed ($resumes)" || fail "no resume: $out"
expect_eq "each resume found its checkpoint (the log goes on)" "$resumes" "$resumed"
# trials the forecast finds not worth resuming stay PAUSED: the run says why in
# freeze-thaw's own terms (no rungs to promote from) and promises no resume it won't do
paused=$(sql ft.db "SELECT count(*) FROM trials WHERE state = 5")
if [ "$paused" -gt 0 ]; then
    expect_contains "it says why the paused trials stay paused, as freeze-thaw decides" \
        "left PAUSED (the forecast gives none of them min_probability chance of beating" "$out"
    case "$out" in
    *rung*) fail "freeze-thaw has no rungs, but the message speaks of them: $out" ;;
    *) ok "no word of rungs" ;;
    esac
else
    case "$out" in
    *"left PAUSED"*) fail "no trial is paused, yet the run says some are: $out" ;;
    *) ok "no trial left paused, and none claimed" ;;
    esac
fi

# Without a fidelity or max_step the slices have no end: refused, naming the line.
write_config nobudget.yaml <<EOF2
study: nobudget
storage: sqlite:nobudget.db
metric: score
n_trials: 2
pruner: {name: forecast, mode: freeze-thaw}
command: $TRAIN --x {x}
parameters:
  x: {type: float, low: 0, high: 6}
EOF2
out=$("$HPSEARCH" run nobudget.yaml --no-progress 2>&1)
expect_eq "run without max_step exits 2" 2 $?
expect_contains "and says what is missing, where" \
    "nobudget.yaml:5: pruner: pruner 'forecast': mode freeze-thaw needs max_step" "$out"

# new_trial_estimate belongs to freeze-thaw: in mode stop (the default) it is refused
# when the study is set up, naming the line and the mode it needs; a bad value is
# refused at load (tests/unit/configs/bad/pruner_forecast_new_trial_estimate.yaml).
write_config stopestimate.yaml <<EOF2
study: stopestimate
storage: sqlite:stopestimate.db
metric: score
n_trials: 2
pruner: {name: forecast, max_step: 20, new_trial_estimate: upper-half}
command: $TRAIN --x {x}
parameters:
  x: {type: float, low: 0, high: 6}
EOF2
out=$("$HPSEARCH" run stopestimate.yaml --no-progress 2>&1)
expect_eq "new_trial_estimate in mode stop: exit 2" 2 $?
expect_contains "and says it applies to freeze-thaw, where" \
    "stopestimate.yaml:5: pruner: pruner 'forecast': new_trial_estimate applies to mode freeze-thaw only" "$out"
[ ! -e stopestimate.db ] && ok "and creates no study" || fail "the refused config created stopestimate.db"
[ "$failures" -eq 0 ]
