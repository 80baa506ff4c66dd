#!/usr/bin/env bash
# Sobol over a conditional space: each parameter every trial has keeps one dimension of
# the sequence, so it is stratified over all trials whatever the branches; a branch's
# own parameters come from the same points, so the branches split the sequence evenly
# and each branch's parameters are stratified within it.
. "$(dirname "$0")/lib.sh"

cat > args.sh <<'SHEOF'
n=$1
shift
printf '%s\n' "$@" > "args-$n.txt"
echo score=1
SHEOF
# nesterov exists in some sgd trials only: before, x took another dimension there
write_config sobol.yaml <<EOF2
study: sobol
storage: sqlite:sobol.db
metric: score
sampler: sobol
seed: 5
n_trials: 16
command: sh args.sh {trial_number} \${args}
parameters:
  optimizer: [adam, sgd]
  momentum:  {type: float, low: 0, high: 1, when: {optimizer: sgd}}
  nesterov:  {values: [true, false], when: {momentum: {min: 0.5}}}
  beta2:     {type: float, low: 0, high: 1, when: {optimizer: adam}}
  x:         {type: float, low: 0, high: 1}
EOF2
out=$("$HPSEARCH" run sobol.yaml --no-progress 2>&1)
expect_eq "the Sobol study runs" 0 $?
checked=$("$PY" - <<'PYEOF'
import glob
trials = [dict(a[2:].split("=", 1) for a in open(f).read().split())
          for f in glob.glob("args-*.txt")]
def strata(values, k):
    """How many of k equal strata of [0, 1) hold exactly len(values) / k values."""
    counts = [0] * k
    for v in values:
        counts[min(k - 1, int(float(v) * k))] += 1
    return sum(1 for c in counts if c == len(values) // k)
sgd = [t for t in trials if t["optimizer"] == "sgd"]
adam = [t for t in trials if t["optimizer"] == "adam"]
print(len(trials), len(sgd), len(adam),
      strata([t["x"] for t in trials], 16),
      strata([t["momentum"] for t in sgd], 4),
      strata([t["beta2"] for t in adam], 4),
      sum("nesterov" in t for t in sgd))
PYEOF
)
# 16 trials, 8 per branch; x: one trial in each sixteenth; momentum and beta2: two of
# their branch's 8 trials in each quarter; nesterov in the half of sgd with momentum >= 0.5
expect_eq "branch counts and per-dimension stratification" "16 8 8 16 4 4 4" "$checked"
finish
