#!/usr/bin/env bash
# Several objectives and a constraint, end to end: a tiny real study whose trial prints
# two metrics and a memory figure. Checks what is stored (both values, the constraint
# as value - max), that a trial without the constraint's value fails naming it, what
# `run`, `best`, `trials` and `show` print (the Pareto set of the feasible trials), that
# median pruning is refused, that `narrow` writes metrics and constraints back, and that
# nsga3 runs its generations with given reference points and refuses mismatched ones.
source "$(dirname "$0")/lib.sh"

# x trades accuracy (acc = x, maximized) against cost (x*x + y, minimized); y = 1 only
# adds cost, so it is dominated; mem = 10 x must stay <= 8, so x = 1 is infeasible; the
# trial (x = 0, y = 1) forgets to print mem.
cat > train.py <<'PYEOF'
import sys
x, y = float(sys.argv[1]), int(sys.argv[2])
print(f"acc={x}")
print(f"took {x * x + y:.6f}s")  # fixed-point: the regex reads no exponent
if not (x == 0 and y == 1):
    print(f"mem={10 * x}")
PYEOF
write_config mo.yaml <<EOF2
storage: sqlite:mo.db
metrics:
  - {name: acc, goal: maximize}
  - {name: cost, regex: 'took ([0-9.]+)s'}
constraints:
  - {name: mem, max: 8}
sampler: grid
command: $PY train.py {x} {y}
parameters:
  x: [0.0, 0.5, 1.0]
  y: [0, 1]
EOF2
out=$("$HPSEARCH" run mo.yaml --no-progress 2>&1)
expect_eq "the study runs" 0 $?
expect_contains "the missing constraint fails its trial" "FAIL      exited without printing constraint 'mem'" "$out"
expect_contains "an infeasible trial says so" "infeasible: mem=10 > 8" "$out"
expect_contains "run ends with the Pareto set" "Pareto set: 2 trials (feasible, COMPLETE, no other better in every objective)" "$out"

# stored: the values per objective, the constraint as mem - 8, the failure's reason
# (x and y are stored as their indexes among the choices)
q="SELECT px.value, py.value, t.state,
          (SELECT group_concat(v.value, ';') FROM (SELECT value FROM trial_values v
              WHERE v.trial_id = t.trial_id ORDER BY v.objective) v),
          json_extract(t.system_attrs, '\$.constraints')
   FROM trials t JOIN trial_params px ON px.trial_id = t.trial_id AND px.name = 'x'
                 JOIN trial_params py ON py.trial_id = t.trial_id AND py.name = 'y'
   ORDER BY px.value, py.value"
expect_eq "stored values and constraints (state 2 COMPLETE, 4 FAIL)" "0.0|0.0|2|0.0;0.0|[-8]
0.0|1.0|4||
1.0|0.0|2|0.5;0.25|[-3]
1.0|1.0|2|0.5;1.25|[-3]
2.0|0.0|2|1.0;1.0|[2]
2.0|1.0|2|1.0;2.0|[2]" "$(sql mo.db "$q")"
expect_contains "the failure's stored reason names the constraint" \
    "exited without printing constraint 'mem'; last output:" \
    "$(sql mo.db "SELECT json_extract(system_attrs, '\$.fail_reason') FROM trials WHERE state = 4")"

# best: the feasible non-dominated trials, (x, y) = (0, 0) and (0.5, 0)
out=$("$HPSEARCH" best mo.yaml 2>&1)
expect_eq "best exit 0" 0 $?
expect_contains "best names the Pareto set" "Pareto set: 2 trials (feasible, COMPLETE, no other better in every objective)" "$out"
expect_eq "best: each trial's values, constraint, feasibility and parameters" \
    "acc: 0.0|cost: 0.0|mem: 0.0 (<= 8)|feasible: yes|x: 0.0|y: 0|acc: 0.5|cost: 0.25|mem: 5.0 (<= 8)|feasible: yes|x: 0.5|y: 0" \
    "$(printf '%s\n' "$out" | grep -v '^trial\|^Pareto\|^$' | paste -sd'|')"
n=$("$HPSEARCH" best mo.yaml --format json | "$PY" -c 'import json,sys; t=json.load(sys.stdin); print(len(t), [x["params"] for x in t], [x["feasible"] for x in t], [x["constraint_values"] for x in t])')
expect_eq "best --format json: the Pareto set" "2 [{'x': 0.0, 'y': 0}, {'x': 0.5, 'y': 0}] [True, True] [{'mem': 0.0}, {'mem': 5.0}]" "$n"

# trials: a column per objective and constraint, and feasibility
out=$("$HPSEARCH" trials mo.yaml --format csv 2>&1)
expect_eq "csv header" "number,state,values_acc,values_cost,constraints_mem,feasible,datetime_start,datetime_complete,duration,params_x,params_y,fail_reason" "$(printf '%s\n' "$out" | head -1)"
expect_eq "csv rows: values, constraint as printed, feasible" "0.0,0.0,0.0,yes|,,,|0.5,0.25,5.0,yes|0.5,1.25,5.0,yes|1.0,1.0,10.0,no|1.0,2.0,10.0,no" \
    "$(printf '%s\n' "$out" | tail -n +2 | sort -t, -k10,10 -k11,11 | cut -d, -f3-6 | paste -sd'|')"
out=$("$HPSEARCH" trials mo.yaml 2>&1)
expect_contains "text table header" "number  state     acc           cost          mem           feasible" "$out"
out=$("$HPSEARCH" show mo.yaml --ascii 2>&1)
expect_contains "show: each objective with its goal" "study mo (maximize acc, minimize cost)" "$out"
expect_contains "show: the Pareto set" "Pareto set: 2 trials (feasible, COMPLETE, no other better in every objective)" "$out"
expect_contains "show: values and constraint" "acc = 0.5  cost = 0.25  mem = 5 (<= 8)" "$out"
expect_contains "show: how many are feasible" "feasible: 3 of 5 COMPLETE trials" "$out"
# the feasible completed trials (acc, cost) are (0, 0), (0.5, 0.25), (0.5, 1.25); with
# Optuna's reference point (acc: -1e-12, as its worst value is 0; cost: 1.1 * 1.25) the
# front's (0.5, 0.25) spans 0.5 x 1.125 = 0.5625 (and (0, 0) a sliver of 1.375e-12)
expect_contains "show: the hypervolume history instead of one objective's best so far" \
    "hypervolume of the feasible front (5 completed trials; reference point (-1e-12, 1.375) by Optuna's rule): " "$out"
expect_contains "show: the final hypervolume" " -> 0.5625" "$out"

# The config names the reference point (reference: on each metric): run records it on
# the study (no change to what the study is: the same trials go on), and show, report
# and dashboard measure against it. Against (acc 0.25, cost 1) only (0.5, 0.25) is
# better in both objectives: (0.5 - 0.25) x (1 - 0.25) = 0.1875; (0, 0) and (0.5, 1.25)
# are on the wrong side of it and add nothing, as in Optuna's plot_hypervolume_history.
sed -e 's/{name: acc, goal: maximize}/{name: acc, goal: maximize, reference: 0.25}/' \
    -e "s/{name: cost, regex: 'took (\[0-9.\]+)s'}/{name: cost, regex: 'took ([0-9.]+)s', reference: 1}/" \
    -e '1i study: mo' mo.yaml > mo_ref.yaml
out=$("$HPSEARCH" run mo_ref.yaml --no-progress 2>&1)
expect_eq "a named reference point: run accepts the study" 0 $?
expect_contains "... and has nothing left to run" "this run: 0 in" "$out"
expect_eq "run records it" "[0.25,1.0]" \
    "$(sql mo.db "SELECT json_extract(user_attrs, '\$.reference_point') FROM studies WHERE name = 'mo'")"
out=$("$HPSEARCH" show mo_ref.yaml --ascii 2>&1)
expect_contains "show: against the named point" \
    "hypervolume of the feasible front (5 completed trials; reference point (0.25, 1), the study's): " "$out"
expect_contains "show: the hypervolume against it" " -> 0.1875" "$out"
"$HPSEARCH" report mo_ref.yaml -o mo_ref.html > /dev/null 2>&1
expect_eq "report: the named point and the hypervolume against it" "[0.25, 1] True 0.1875" \
    "$("$PY" -c 'import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
p = json.loads(re.search(r"<script id=\"hps-boot\" type=\"application/json\">(.*?)</script>", html, re.S).group(1))["view"]["pareto"]
print(p["reference"], p["reference_named"], p["hypervolume"][-1][1])' mo_ref.html)"
# taking the keys out of the config goes back to Optuna's rule
"$HPSEARCH" run mo.yaml --no-progress > /dev/null 2>&1
expect_eq "without reference: recorded as none" "null" \
    "$(sql mo.db "SELECT json_type(user_attrs, '\$.reference_point') FROM studies WHERE name = 'mo'")"
expect_contains "without reference: Optuna's rule again" \
    "reference point (-1e-12, 1.375) by Optuna's rule): " "$("$HPSEARCH" show mo.yaml --ascii 2>&1)"

# one objective with a lower bound: the best trial is the best feasible one (x = 0, the
# smallest acc, has mem 0 < 4)
write_config one.yaml <<EOF2
storage: sqlite:mo.db
metric: acc
constraints: [{name: mem, min: 4}]
sampler: grid
command: $PY train.py {x} 0
parameters: {x: [0.0, 0.5, 1.0]}
EOF2
"$HPSEARCH" run one.yaml --no-progress -q > /dev/null 2>&1
expect_eq "one objective, min constraint: stored as 4 - mem" "[4]|[-1]|[-6]" \
    "$(sql mo.db "SELECT json_extract(t.system_attrs, '\$.constraints') FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'one' ORDER BY t.number" | paste -sd'|')"
expect_eq "best: the best feasible trial" "acc: 0.5|mem: 5.0 (>= 4)|feasible: yes|x: 0.5" \
    "$("$HPSEARCH" best one.yaml 2>&1 | tail -n +2 | paste -sd'|')"

# no trial meets the constraints: the run and best say so and exit 1
sed 's/min: 4/min: 40/; s/^metric: acc/study: none-feasible\nmetric: acc/' one.yaml > none.yaml
out=$("$HPSEARCH" run none.yaml --no-progress 2>&1)
expect_eq "no feasible trial: run exits 1" 1 $?
expect_contains "no feasible trial: run says so" "no COMPLETE trial meets the constraints yet" "$out"
out=$("$HPSEARCH" best none.yaml 2>&1)
expect_eq "no feasible trial: best exits 1" 1 $?
expect_contains "no feasible trial: best says so" "has no COMPLETE trial yet that meets its constraints" "$out"

# the objectives and constraints are the study's identity
sed 's/max: 8/max: 9/' mo.yaml > changed.yaml
out=$("$HPSEARCH" run changed.yaml --study mo --no-progress 2>&1)
expect_eq "a changed constraint: exit 2" 2 $?
expect_contains "a changed constraint is named" "constraints: the study's were" "$out"
sed 's/goal: maximize/goal: minimize/' mo.yaml > flipped.yaml
out=$("$HPSEARCH" run flipped.yaml --study mo --no-progress 2>&1)
expect_eq "a changed goal: exit 2" 2 $?
expect_contains "a changed goal is named" "was created to maximize, minimize (several objectives), but this config says minimize acc, minimize cost" "$out"

# a pruner that needs one direction is refused before any trial runs
out=$("$HPSEARCH" run mo.yaml --set study=mo-pruned --set pruner=median --no-progress 2>&1)
expect_eq "median pruner refused: exit 2" 2 $?
expect_contains "median pruner refused: why" "pruner 'median' needs a single-objective study" "$out"
out=$("$HPSEARCH" plan mo.yaml --set study=mo-pruned --set pruner=median 2>&1)
expect_eq "plan refuses it too" "2 mo.yaml: pruner: pruner 'median' needs a single-objective study, and this one has 2 objectives; 'asha' and 'hyperband' prune several (by non-dominated sorting), 'threshold' judges the first" "$? ${out#hpsearch: }"

# narrow writes the objectives and the constraint back, and the result loads
out=$("$HPSEARCH" narrow mo.yaml --top 2 -o narrow.yaml 2>&1)
expect_eq "narrow exit 0" 0 $?
expect_eq "narrow writes metrics and constraints" 'metrics:
  - {name: "acc", goal: maximize}
  - {name: "cost", goal: minimize, regex: "took ([0-9.]+)s"}
constraints:
  - {name: "mem", max: 8}' "$(sed -n '/^metrics:/,/^  - {name: "mem"/p' narrow.yaml)"
"$HPSEARCH" plan narrow.yaml > /dev/null 2>&1
expect_eq "the narrowed config plans" 0 $?

# auto with several metrics or a constraint plans the GP (a model per metric and per
# constraint) for its first 100 trials; a float makes the space continuous, so the grid
# is out
sed -e 's/^sampler: grid/sampler: auto/' -e 's/^  x: .*/  x: {low: 0.0, high: 1.0}/' \
    mo.yaml > mo_auto.yaml
out=$("$HPSEARCH" plan mo_auto.yaml --set study=mo-auto 2>&1)
expect_contains "auto plans the GP for metrics and constraints" \
    "strategy: auto -> gp. Several objectives and constraints: Bayesian optimization" "$out"

# nsga3 with its own reference points (one coordinate per metric) runs generations of
# population_size trials; points with a coordinate too many are refused by name
sed -e 's/^sampler: grid/sampler: {name: nsga3, population_size: 4, reference_points: "[[1, 0], [0, 1]]"}/' \
    -e 's/^  x: .*/  x: {low: 0.0, high: 1.0}/' -e 's/^storage: .*/storage: sqlite:nsga3.db\nn_trials: 10/' \
    mo.yaml > mo_nsga3.yaml
"$HPSEARCH" run mo_nsga3.yaml --no-progress > /dev/null 2>&1
expect_eq "nsga3 runs" 0 $?
expect_eq "nsga3 records its generations (4 trials each)" "0|4
1|4
2|2" "$(sql nsga3.db "SELECT json_extract(system_attrs, '\$.\"nsga3:generation\"') g, count(*)
                     FROM trials GROUP BY g ORDER BY g")"
sed -e 's/\[\[1, 0\], \[0, 1\]\]/[[1, 0, 0]]/' -e 's/nsga3.db/nsga3_bad.db/' mo_nsga3.yaml > mo_nsga3_bad.yaml
out=$("$HPSEARCH" run mo_nsga3_bad.yaml --no-progress 2>&1)
expect_eq "mismatched reference points: exit 2" 2 $?
expect_contains "mismatched reference points named" \
    "the nsga3 sampler's reference_points have 3 coordinates, but study" "$out"
finish
