#!/usr/bin/env bash
# Hyperband with promotions through the command line (pruner hyperband, mode promotion,
# with a fidelity): each trial's first slice ends at its bracket's first rung (steps 1
# and 3 with reduction factor 3 and the budget 9, or the whole budget in the bracket
# without a rung below it), it saves and exits 0 there and is PAUSED; the best paused
# ones of each bracket are resumed with HPSEARCH_RESUME_STEP and go on from the next
# step, every pause resumed at most once by two slots running side by side.
. "$(dirname "$0")/lib.sh"

write_config hb.yaml <<EOF2
study: hb
storage: sqlite:hb.db
direction: maximize
metric: score
sampler: random
seed: 4
n_trials: 18
parallel: 2
pruner: {name: hyperband, mode: promotion, reduction_factor: 3}
fidelity: epochs
command: $SLICED_TRAIN
parameters:
  x: {type: float, low: 0, high: 6}
  epochs: {type: int, low: 1, high: 9}
EOF2
# max_resource 9 from the fidelity: brackets whose first rungs are 1 and 3, and one (9,
# the top) whose trials run steps 0..8 at once
out=$("$HPSEARCH" run hb.yaml --no-progress 2>&1)
expect_eq "the run succeeds" 0 $?
expect_contains "trials pause at their rung" "PAUSED" "$out"
expect_contains "those left paused are explained by hyperband's rule" \
    "which hyperband promotes: more trials must reach those rungs" "$out"
expect_eq "eighteen trials, none failed" "18|0" \
    "$(sql hb.db "SELECT count(*), sum(state = 4) FROM trials")"
expect_eq "slices follow each other exactly, ending at a rung or the budget's last step" "" \
    "$(slices_out_of_order 1 3 8)"
# a trial's first slice says its bracket: every bracket has trials
expect_eq "first slices end at each bracket's first rung" "1 3 8" \
    "$(awk '$2 == 0 {print $3}' slices.log | sort -n | uniq | tr '\n' ' ' | sed 's/ $//')"
promoted=$(resumed_slices)
[ "$promoted" -ge 1 ] && ok "paused trials are promoted ($promoted slices resumed)" ||
    fail "nothing was promoted: $out"
# a trial resumes from a rung of its own bracket only: from 1 or 3 when its first rung is
# 1, from 3 when it is 3, never when it ran whole
expect_eq "promotions from the rungs of the trial's own bracket" "" \
    "$(awk '$2 == 0 {first[$1] = $3} $2 > 0 {resumed[$1] = resumed[$1] " " $2}
            END {for (t in resumed) {n = split(resumed[t], s, " ")
                 for (i = 1; i <= n; i++)
                     if (!(first[t] == 1 && (s[i] == 2 || s[i] == 4)) && !(first[t] == 3 && s[i] == 4))
                         print "trial " t " (first rung " first[t] ") resumed at " s[i]}}' slices.log)"
expect_eq "each resume found its checkpoint (the log goes on)" "$promoted" \
    "$(resumes_logged hb)"
expect_eq "each pause resumed at most once" "" \
    "$(awk '$2 > 0 {print $1, $2}' slices.log | sort | uniq -d)"

# Without its budget (no fidelity, no max_resource) the run is refused before anything
# runs, and so is bootstrap_count, which only mode stop uses.
write_config nobudget.yaml <<EOF2
study: nobudget
storage: sqlite:nobudget.db
metric: score
n_trials: 2
pruner: {name: hyperband, mode: promotion}
command: $TRAIN --x {x}
parameters:
  x: {type: float, low: 0, high: 6}
EOF2
out=$("$HPSEARCH" run nobudget.yaml --no-progress 2>&1)
expect_eq "run without max_resource exits 2" 2 $?
expect_contains "and says what is missing, where" \
    "nobudget.yaml:5: pruner: pruner 'hyperband': mode promotion needs max_resource" "$out"
out=$("$HPSEARCH" run nobudget.yaml --no-progress \
    --set 'pruner={name: hyperband, mode: promotion, max_resource: 9, bootstrap_count: 2}' 2>&1)
expect_eq "bootstrap_count with mode promotion exits 2" 2 $?
expect_contains "naming the option" \
    "pruner 'hyperband': bootstrap_count applies to mode stop only" "$out"
finish
