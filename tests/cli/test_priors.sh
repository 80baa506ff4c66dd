#!/usr/bin/env bash
# A config's prior: reaches the sampler: random draws from it (at least 9 of 20 trials within
# one scale of the center, where the uniform would put a tenth), and the study's identity
# ignores it (a run with another prior, or none, resumes the same study); plan shows it.
. "$(dirname "$0")/lib.sh"

config() { # PRIOR
    write_config priors.yaml <<EOF2
study: priors
storage: sqlite:priors.db
metric: score
sampler: {name: random, seed: 4}
parallel: 2
n_trials: $2
command: $TRAIN --x {x} --y {act}
parameters:
  x: {low: 0.0, high: 1.0$1}
  act: {values: [1, 2, 3]}
EOF2
}

config ", prior: {center: 0.7, scale: 0.05}" 20
expect_contains "plan shows the prior" "x                    float in [0.0, 1.0], prior around 0.7 (scale 0.05)" \
    "$("$HPSEARCH" plan priors.yaml 2>&1)"
out=$("$HPSEARCH" run priors.yaml --no-progress 2>&1)
expect_eq "a run with a prior exits 0" 0 $?
inside=$(sql priors.db "SELECT COUNT(*) FROM trial_params WHERE name = 'x' AND ABS(value - 0.7) <= 0.05")
[ "$inside" -ge 9 ] && ok "random drew $inside of 20 x within one scale of the prior's center" \
    || fail "only $inside of 20 x within one scale of the center (output: $out)"

config "" 24
out=$("$HPSEARCH" run priors.yaml --no-progress 2>&1)
expect_eq "the same study without the prior resumes (a prior is not part of its identity)" 0 $?
expect_eq "it ran the 4 more trials" "24" "$(sql priors.db "SELECT COUNT(*) FROM trials")"
finish
