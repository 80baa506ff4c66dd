#!/usr/bin/env bash
# Pruning with two objectives and a constraint in the CLI: the trial prints each epoch's
# accuracy and cost on lines of their own (with an epoch key), and its memory once; every
# epoch is stored with both values, asha ranks the trials at its rungs by non-dominated
# sorting with the infeasible ones last (the order of tests/unit/test_moasha.c, worked by
# hand there) -- also in mode promotion -- and a pruner that needs one objective is
# refused at its config line.
source "$(dirname "$0")/lib.sh"

# trial k: accuracy a (maximized) and cost c (minimized) grow towards their final values
# over 4 epochs; mem must stay <= 8. At epoch 1 (asha's first rung) acc = 0.75 a and
# cost = 2 c, which keeps the dominance and crowding of (a, c):
#   k: 0 A (0.9, 10)  1 B (0.8, 5)  2 C (0.7, 20)  3 D (0.95, 1) mem 10
#      4 E (0.85, 7)  5 F (0.1, 100) mem 9  6 G (0.99, 2)
cat > train.py <<'PYEOF'
import sys
runs = [(0.9, 10, 7), (0.8, 5, 6), (0.7, 20, 7), (0.95, 1, 10), (0.85, 7, 8), (0.1, 100, 9),
        (0.99, 2, 7)]
a, c, mem = runs[int(sys.argv[1])]
print(f"mem={mem}", flush=True)
for epoch in range(4):
    print(f"epoch={epoch} acc={a * (1 - 0.5 ** (epoch + 1))}", flush=True)
    print(f"epoch={epoch} cost={c * (epoch + 1)}", flush=True)
PYEOF
write_config mo.yaml <<EOF2
study: moasha
storage: sqlite:mo.db
metrics:
  - {name: acc, goal: maximize}
  - {name: cost, goal: minimize}
constraints:
  - {name: mem, max: 8}
sampler: grid
pruner: {name: asha, min_resource: 1, reduction_factor: 2}
command: $PY train.py {k}
parameters:
  k: [0, 1, 2, 3, 4, 5, 6]
EOF2
out=$("$HPSEARCH" run mo.yaml --no-progress 2>&1)
expect_eq "the study runs" 0 $?
# one trial at a time, in grid order: trial k is run k
expect_eq "A, B and G go on; C (dominated), D and F (infeasible), E (crowded) stop" \
    "2 2 3 3 3 3 2" \
    "$(sql mo.db "SELECT group_concat(state, ' ') FROM (SELECT state FROM trials ORDER BY number)")"
expect_eq "the pruned trials stopped at the first rung (epoch 1)" "1|1|1|1" \
    "$(sql mo.db "SELECT group_concat(s, '|') FROM (SELECT MAX(i.step) AS s FROM trials t
                  JOIN trial_intermediate i USING (trial_id) WHERE t.state = 3
                  GROUP BY t.trial_id)")"
expect_eq "every stored epoch has both values" "0" \
    "$(sql mo.db "SELECT COUNT(*) FROM trial_intermediate i WHERE NOT EXISTS
                  (SELECT 1 FROM trial_intermediate_more m WHERE m.trial_id = i.trial_id
                   AND m.step = i.step AND m.objective = 1)")"
expect_eq "trial A's epochs: (acc, cost)" "0|0.45|10.0
1|0.675|20.0
2|0.7875|30.0
3|0.84375|40.0" \
    "$(sql mo.db "SELECT i.step, i.value, m.value FROM trial_intermediate i
                  JOIN trial_intermediate_more m USING (trial_id, step)
                  JOIN trials t USING (trial_id) WHERE t.number = 0 ORDER BY i.step")"
expect_eq "D's rung entry: its values and its constraint (mem - 8)" "0.7125|2|2" \
    "$(sql mo.db "SELECT round(json_extract(system_attrs, '\$.completed_rung_0.values[0]'), 12),
                         json_extract(system_attrs, '\$.completed_rung_0.values[1]'),
                         json_extract(system_attrs, '\$.completed_rung_0.constraints[0]')
                  FROM trials WHERE number = 3")"

# `hpsearch trials` shows every objective's reports: JSON keeps the first objective's
# under intermediate_values and gives each objective's under
# intermediate_values_by_objective; a PRUNED trial's cells are each objective's last
# report (D stopped at epoch 1: acc 0.7125, cost 2), in the table and the CSV alike.
json=$("$HPSEARCH" trials mo.yaml --format json 2>&1)
expect_eq "trials --format json: D's reports, per objective" \
    "{'0': 0.475, '1': 0.7124999999999999} {'acc': {'0': 0.475, '1': 0.7124999999999999}, 'cost': {'0': 1.0, '1': 2.0}} [0.7124999999999999]" \
    "$("$PY" -c 'import json, sys
d = {t["number"]: t for t in json.loads(sys.argv[1])}[3]
print(d["intermediate_values"], d["intermediate_values_by_objective"], d["values"])' "$json")"
expect_eq "trials --format json: A's cost at each epoch" "[10.0, 20.0, 30.0, 40.0]" \
    "$("$PY" -c 'import json, sys
d = {t["number"]: t for t in json.loads(sys.argv[1])}[0]["intermediate_values_by_objective"]
print([d["cost"][str(s)] for s in range(4)])' "$json")"
expect_eq "trials table: D's last reports" "3 PRUNED 0.7125 2 10 no" \
    "$("$HPSEARCH" trials mo.yaml 2>&1 | awk '$1 == 3 {print $1, $2, $3, $4, $5, $6}')"
expect_eq "trials csv: D's last reports" "3,PRUNED,0.7124999999999999,2.0,10.0,no" \
    "$("$HPSEARCH" trials mo.yaml --format csv 2>&1 | grep '^3,' | cut -d, -f1-6)"

# MOASHA's promotions (mode promotion): the same trials keep the paused-trial contract
# (HPSEARCH_MAX_STEP, HPSEARCH_RESUME_STEP), rungs at epochs 1 and 2 (reduction factor
# 2), the full budget epoch 3. Worked out as tests/unit/test_promotion.c's MOASHA case:
# A and B go on from epoch 1 (D, which dominates both, is infeasible), then A to the
# end; E (inside the front A-B) waits until F joins its rung; G, which dominates every
# feasible trial, goes straight through. Trial k's epochs end at A 3, B 2, C 1, D 1, E 2,
# F 1, G 3 (COMPLETE = 2, PAUSED = 5).
cat > slices.py <<'PYEOF'
import os, sys
runs = [(0.9, 10, 7), (0.8, 5, 6), (0.7, 20, 7), (0.95, 1, 10), (0.85, 7, 8), (0.1, 100, 9),
        (0.99, 2, 7)]
a, c, mem = runs[int(sys.argv[1])]
first = int(os.environ.get("HPSEARCH_RESUME_STEP") or -1) + 1
last = int(os.environ.get("HPSEARCH_MAX_STEP") or 3)
print(f"mem={mem}", flush=True)
for epoch in range(first, last + 1):
    print(f"epoch={epoch} acc={a * (1 - 0.5 ** (epoch + 1))}", flush=True)
    print(f"epoch={epoch} cost={c * (epoch + 1)}", flush=True)
PYEOF
sed -e 's/^study: .*/study: promo/' -e 's/^storage: .*/storage: sqlite:promo.db/' \
    -e 's/^pruner: .*/pruner: {name: asha, mode: promotion, min_resource: 1, reduction_factor: 2, max_resource: 3}/' \
    -e 's/train\.py/slices.py/' mo.yaml > promo.yaml
out=$("$HPSEARCH" run promo.yaml --no-progress 2>&1)
expect_eq "promotions with two objectives: the study runs" 0 $?
expect_eq "each trial's last epoch and state, by MOASHA's promotions" \
    "3:2 2:5 1:5 1:5 2:5 1:5 3:2" \
    "$(sql promo.db "SELECT group_concat(s, ' ') FROM (SELECT MAX(i.step) || ':' || t.state AS s
                     FROM trials t JOIN trial_intermediate i USING (trial_id)
                     GROUP BY t.trial_id ORDER BY t.number)")"
expect_eq "every stored epoch has both values; no epoch missing (4+3+2+2+3+2+4)" "0|20" \
    "$(sql promo.db "SELECT (SELECT COUNT(*) FROM trial_intermediate i WHERE NOT EXISTS
                        (SELECT 1 FROM trial_intermediate_more m WHERE m.trial_id = i.trial_id
                         AND m.step = i.step AND m.objective = 1)),
                     (SELECT COUNT(*) FROM trial_intermediate)")"

# a pruner that compares one objective is refused where the config names it
sed 's/^pruner: .*/pruner: median/' mo.yaml > median.yaml
line=$(grep -n '^pruner:' median.yaml | cut -d: -f1)
out=$("$HPSEARCH" run median.yaml --no-progress 2>&1)
expect_eq "median with two objectives: exit 2" 2 $?
expect_contains "median with two objectives: why, at its line" \
    "median.yaml:$line: pruner: pruner 'median' needs a single-objective study, and this one has 2 objectives; 'asha' and 'hyperband' prune several" \
    "$out"

finish
