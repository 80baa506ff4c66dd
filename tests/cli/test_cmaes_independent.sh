#!/usr/bin/env bash
# `sampler: cmaes` on a space with conditional (`when:`) or categorical parameters: CMA-ES
# models only the numeric parameters every trial has and draws the others at random, so
# plan and run each warn once, naming them and what to use instead; a space CMA-ES
# models whole, and another sampler, get no warning.
. "$(dirname "$0")/lib.sh"

write_config cond.yaml <<EOF
study: cond
storage: sqlite:cond.db
metric: loss
sampler: cmaes
seed: 3
n_trials: 4
command: $PY -c "import sys; print('loss=1')" \${args}
parameters:
  optimizer: {type: categorical, values: [adam, sgd]}
  momentum:  {type: float, low: 0.5, high: 0.99, when: {optimizer: sgd}}
  layers:    {type: int, low: 1, high: 3}
  lr:        {low: 1.0e-4, high: 1.0e-1, log: true}
  fixed:     {values: [only]}
EOF
warning="hpsearch: warning: sampler cmaes models only the numeric parameters every trial has; it draws momentum (conditional: only some trials have them) and optimizer (categorical) at random in every trial (from the prior, if one is given), as random search would, so they are not optimized. For this space use \`sampler: auto\` (a Gaussian process modelling each branch) or \`sampler: tpe\`"

out=$("$HPSEARCH" plan cond.yaml 2>&1)
expect_eq "plan exit 0" 0 $?
expect_contains "plan names what CMA-ES draws at random" "$warning" "$out"
expect_eq "plan warns once" 1 "$(grep -c 'sampler cmaes models only' <<< "$out")"

out=$("$HPSEARCH" run cond.yaml --no-progress 2>&1)
expect_eq "run exit 0" 0 $?
expect_contains "run names what CMA-ES draws at random" "$warning" "$out"
expect_eq "run warns once, not per trial" 1 "$(grep -c 'sampler cmaes models only' <<< "$out")"

# one categorical alone: named as such, in the singular
sed -e '/momentum:/d' -e 's/^study: cond/study: cat/' cond.yaml > cat.yaml
out=$("$HPSEARCH" plan cat.yaml 2>&1)
expect_contains "a categorical alone" "it draws optimizer (categorical) at random in every trial (from the prior, if one is given), as random search would, so it is not optimized" "$out"

# numeric parameters every trial has (and a one-value categorical): nothing to say
sed -e '/momentum:/d' -e '/optimizer:/d' -e 's/^study: cond/study: num/' cond.yaml > num.yaml
out=$("$HPSEARCH" plan num.yaml 2>&1)
case "$out" in
*"sampler cmaes models only"*) fail "plan warns on a space CMA-ES models whole: $out" ;;
*) ok "no warning when CMA-ES models every parameter" ;;
esac

# another sampler on the conditional space: no warning
sed -e 's/^sampler: cmaes/sampler: tpe/' -e 's/^study: cond/study: tpe/' cond.yaml > tpe.yaml
out=$("$HPSEARCH" run tpe.yaml --no-progress 2>&1)
case "$out" in
*"sampler cmaes models only"*) fail "tpe warned about CMA-ES: $out" ;;
*) ok "no warning for tpe" ;;
esac

finish
