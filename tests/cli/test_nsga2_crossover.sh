#!/usr/bin/env bash
# The nsga2 sampler's crossovers from a config file, end to end: a run with each of
# spx, undx and vsbx (and its options) completes its generations with every value inside
# its range; a three-parent crossover with a population of two is refused naming both
# (exit 2); a bad crossover name or option value is refused with FILE:LINE by `plan`
# and `run` alike, before any trial runs.
source "$(dirname "$0")/lib.sh"

cat > zdt.py <<'PYEOF'
import math, sys
x = [float(v) for v in sys.argv[1:]]
assert all(0 <= v <= 1 for v in x), x
g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
print(f"f1={x[0]} f2={g * (1 - math.sqrt(x[0] / g))}")
PYEOF

# config NAME SAMPLER: a two-objective study of 3 parameters in [0, 1] with SAMPLER
config() {
    write_config "$1.yaml" <<EOF2
study: $1
storage: sqlite:$1.db
metrics:
  - {name: f1}
  - {name: f2}
sampler: $2
n_trials: 24
command: $PY zdt.py {a} {b} {c}
parameters:
  a: {low: 0.0, high: 1.0}
  b: {low: 0.0, high: 1.0}
  c: {low: 0.0, high: 1.0}
EOF2
}

for sampler in "{name: nsga2, crossover: spx, population_size: 4, spx_epsilon: 1.5, seed: 1}" \
               "{name: nsga2, crossover: undx, population_size: 4, undx_sigma_xi: 0.6, seed: 1}" \
               "{name: nsga2, crossover: vsbx, population_size: 4, vsbx_eta: 5, seed: 1}"; do
    name=$(echo "$sampler" | sed 's/.*crossover: \([a-z]*\).*/\1/')
    config "$name" "$sampler"
    out=$("$HPSEARCH" run "$name.yaml" --no-progress 2>&1)
    expect_eq "$name: the run succeeds" 0 $?
    complete=$(sql "$name.db" "SELECT count(*) FROM trials WHERE state = 2")
    expect_eq "$name: every trial completes (values inside [0, 1])" 24 "$complete"
    generation=$(sql "$name.db" "SELECT max(CAST(json_extract(system_attrs, '\$.\"nsga2:generation\"') AS INTEGER)) FROM trials")
    expect_eq "$name: six generations of four" 5 "$generation"
done

config small "{name: nsga2, crossover: undx, population_size: 2}"
out=$("$HPSEARCH" run small.yaml --no-progress 2>&1)
expect_eq "undx with a population of 2: usage error" 2 $?
expect_contains "undx with a population of 2: the message" \
    "the nsga2 sampler's crossover undx takes 3 parents: population_size must be at least 3 (it is 2)" "$out"

config badname "{name: nsga2, crossover: pcx}"
for command in plan run; do
    out=$("$HPSEARCH" $command badname.yaml 2>&1)
    expect_eq "$command: an unknown crossover is a usage error" 2 $?
    expect_contains "$command: an unknown crossover names file, line and the choices" \
        "badname.yaml:6: sampler: sampler 'nsga2': crossover must be uniform, sbx, blxalpha, spx, undx or vsbx (got 'pcx')" "$out"
done
config badvalue "{name: nsga2, crossover: spx, spx_epsilon: -1}"
out=$("$HPSEARCH" run badvalue.yaml 2>&1)
expect_eq "a negative spx_epsilon is a usage error" 2 $?
expect_contains "a negative spx_epsilon names file and line" \
    "badvalue.yaml:6: sampler: sampler 'nsga2': spx_epsilon must be auto or a number >= 0 (got '-1')" "$out"
expect_eq "no trial ran" "" "$(ls badvalue.db badname.db 2>/dev/null)"
finish
