#!/usr/bin/env bash
# `terminate:` ends a run before its budget when improvement has become unlikely, says
# which rule and why, and a resumed study that meets a rule has nothing to run. The
# grid visits x in file order, so the best is trial 0 (x=3) and every later trial is
# worse: the stagnation rules stop at a trial number we know.
source "$(dirname "$0")/lib.sh"

grid_config() { # FILE TERMINATE
    write_config "$1" <<EOF2
storage: sqlite:t.db
direction: maximize
metric: score
sampler: grid
n_trials: 7
terminate: $2
command: $TRAIN --x {x} --steps 1
parameters:
  x: {values: [3, 0, 1, 2, 4, 5, 6]}
EOF2
}
trials() { sql t.db "SELECT COUNT(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name = '$1'"; }

grid_config plain.yaml "{no_improvement: 3}"
expect_contains "plan states the rule" "terminate: the run ends before its budget once 3 complete trials in a row bring no improvement" "$("$HPSEARCH" plan plain.yaml)"
out=$("$HPSEARCH" run plain.yaml --no-progress 2>&1)
expect_eq "no_improvement: exit 0" 0 $?
expect_eq "no_improvement 3: the best and 3 worse trials" 4 "$(trials plain)"
expect_contains "no_improvement: says why" "hpsearch: terminate: no improvement in the last 3 complete trials (best: trial 0, score=-1); not starting more trials" "$out"
out=$("$HPSEARCH" run plain.yaml --no-progress --set n_trials=9 2>&1)
expect_eq "resumed: exit 0" 0 $?
expect_contains "resumed: nothing to run" "terminate: no improvement in the last 3 complete trials (best: trial 0, score=-1); nothing to run" "$out"
expect_eq "resumed: no trial added" 4 "$(trials plain)"

# Optuna's rule: more than N trials since the best, once min_trials are COMPLETE
grid_config optuna.yaml "{best_value_stagnation: 1, min_trials: 5}"
out=$("$HPSEARCH" run optuna.yaml --no-progress 2>&1)
expect_eq "best_value_stagnation waits for min_trials" 5 "$(trials optuna)"
expect_contains "best_value_stagnation: says why" "best value stagnant for 4 complete trials, more than best_value_stagnation 1" "$out"

# With a constraint the best is the best feasible trial: x=3 scores best but breaks
# mem <= 2, so the best is trial 3 (x=2), and the infeasible trials after it count as
# trials without improvement (the rule once stopped at trial 2, after the infeasible x=3)
write_config feasible.yaml <<EOF2
storage: sqlite:t.db
direction: maximize
metric: score
constraints:
  - {name: mem, max: 2}
sampler: grid
terminate: {no_improvement: 2}
command: $PY -c "import sys; x = float(sys.argv[1]); print('score=%g' % (-abs(x - 3) - 1)); print('mem=%g' % x)" {x}
parameters:
  x: {values: [3, 0, 1, 2, 4, 5, 6]}
EOF2
out=$("$HPSEARCH" run feasible.yaml --no-progress 2>&1)
expect_eq "constrained: the best feasible trial and 2 more" 6 "$(trials feasible)"
expect_contains "constrained: names the best feasible trial" "no improvement in the last 2 complete trials (best: trial 3, score=-2)" "$out"

# The regret bound on a smooth 1-d objective (maximum -1 at x=3): the gp sampler
# closes in, the bound falls below the tolerance long before the budget, and the best
# trial is within it.
write_config regret.yaml <<EOF2
storage: sqlite:t.db
direction: maximize
metric: score
sampler: {name: gp, seed: 1}
n_trials: 40
terminate: {regret_bound: 0.2, min_trials: 6}
command: $TRAIN --x {x} --steps 1
parameters:
  x: {low: 0.0, high: 6.0}
EOF2
out=$("$HPSEARCH" run regret.yaml --no-progress 2>&1)
n=$(trials regret)
[ "$n" -ge 6 ] && [ "$n" -lt 40 ] && ok "regret_bound stopped after $n of 40 trials" || fail "regret_bound ran $n trials: $out"
expect_contains "regret_bound: says why" "hpsearch: terminate: regret bound" "$out"
best=$(sql t.db "SELECT MAX(v.value) FROM trial_values v JOIN trials t USING (trial_id) JOIN studies s USING (study_id) WHERE s.name = 'regret'")
"$PY" -c "import sys; sys.exit(0 if float('$best') >= -1.2 else 1)" && ok "the best ($best) is within the tolerance" || fail "best $best"

# --set takes the rules too
grid_config set.yaml "{no_improvement: 6}"
"$HPSEARCH" run set.yaml --no-progress --set 'terminate={no_improvement: 2}' >/dev/null 2>&1
expect_eq "--set terminate" 3 "$(trials set)"
# When the regret bound can be had (docs/config.md): a space of constants gets one (near
# zero: nothing is left to search), a conditional space too (its trials all have the
# parameter the branches hang on); trials that share no parameter -- a space changed
# with --allow-changes so that nothing of the earlier trials' is left -- get a warning
# that says so, and the rule is dropped.
write_config consts.yaml <<EOF2
storage: sqlite:t.db
direction: maximize
metric: score
repeats: 4
terminate: {regret_bound: 0.2, min_trials: 2}
command: $TRAIN --x {x} --steps 1
parameters:
  x: {value: 2.0}
EOF2
out=$("$HPSEARCH" run consts.yaml --no-progress 2>&1)
expect_contains "a space of constants has a regret bound" "hpsearch: terminate: regret bound" "$out"
expect_eq "and stops at min_trials" 2 "$(trials consts)"
write_config branches.yaml <<EOF2
storage: sqlite:t.db
direction: maximize
metric: score
n_trials: 5
seed: 3
terminate: {regret_bound: 0.000001, min_trials: 2}
command: $TRAIN --x {x:0} --y {y:0} --steps 1
parameters:
  branch: {values: [a, b]}
  x: {low: 0.0, high: 6.0, when: {branch: a}}
  y: {low: 0.0, high: 6.0, when: {branch: b}}
EOF2
out=$("$HPSEARCH" run branches.yaml --no-progress 2>&1)
case "$out" in *"cannot compute the regret bound"*) fail "a conditional space got no bound: $out" ;;
*) ok "a conditional space has a regret bound (its trials share the branch)" ;; esac
write_config renamed.yaml <<EOF2
study: renamed
storage: sqlite:t.db
direction: maximize
metric: score
n_trials: 3
seed: 1
terminate: {regret_bound: 0.000001, min_trials: 2}
command: $TRAIN --x {x} --steps 1
parameters:
  x: {low: 0.0, high: 6.0}
EOF2
"$HPSEARCH" run renamed.yaml --no-progress > /dev/null 2>&1
sed 's/{x}/{z}/; s/^  x: {low: 0.0, high: 6.0}$/  z: {low: 0.0, high: 6.0, default: 1.0}/; s/n_trials: 3/n_trials: 5/' \
    renamed.yaml > renamed2.yaml
out=$("$HPSEARCH" run renamed2.yaml --allow-changes --no-progress 2>&1)
expect_contains "trials that share no parameter: the warning says so" \
    "cannot compute the regret bound (no parameter is common to the" "$out"
expect_contains "naming the study" "COMPLETE trials of study 'renamed' (with compatible distributions)" "$out"
expect_eq "and the run goes on to its budget" 5 "$(trials renamed)"
finish
