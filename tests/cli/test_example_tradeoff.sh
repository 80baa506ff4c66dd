#!/usr/bin/env bash
# The README's several-objective example (examples/pytorch_mlp/tune_tradeoff.yaml) loads,
# and a real 3-trial run of it trains the MLP and stores, per trial, its two objectives
# (val_acc, params) and its one constraint (train_seconds - max). The study, logs and
# checkpoints go to this test's directory, not the example's. train_seconds is measured,
# so which trials are feasible depends on the machine's load: the checks hold either way.
source "$(dirname "$0")/lib.sh"
CONFIG="$HPS_SOURCE_DIR/examples/pytorch_mlp/tune_tradeoff.yaml"
export HPSEARCH_PYTHON="$PY"
HERE=(--set "storage=sqlite:$WORK/tradeoff.db" --set "log_dir=$WORK/logs")

out=$("$HPSEARCH" plan "$CONFIG" "${HERE[@]}" 2>&1)
expect_eq "plan accepts the example" 0 $?
expect_contains "plan: MOTPE, as configured" "strategy: tpe (set in the config" "$out"
expect_contains "plan: the space" "hidden_size          int in [2, 512] (log)" "$out"

out=$("$HPSEARCH" run "$CONFIG" "${HERE[@]}" --set n_trials=3 --set parallel=3 --no-progress 2>&1)
expect_contains "run: 3 trials, all complete" "3 trials (3 complete, 0 pruned, 0 failed" "$out"
expect_eq "3 trials, all COMPLETE (state 2)" "2|3" "$(sql tradeoff.db "SELECT state, count(*) FROM trials GROUP BY state")"

# Per trial: the number of values, val_acc a real accuracy, params the size of a
# Linear(64, h) -> Linear(h, 10) model (75 h + 10), and one constraint value,
# train_seconds - 2, above -2 (train_seconds > 0).
q="SELECT t.number, count(v.objective),
          (SELECT value FROM trial_values WHERE trial_id = t.trial_id AND objective = 0),
          (SELECT value FROM trial_values WHERE trial_id = t.trial_id AND objective = 1),
          (SELECT value FROM trial_params WHERE trial_id = t.trial_id AND name = 'hidden_size'),
          json_extract(t.system_attrs, '\$.constraints')
   FROM trials t JOIN trial_values v ON v.trial_id = t.trial_id
   GROUP BY t.trial_id ORDER BY t.number"
rows=$(sql tradeoff.db "$q")
checked=$("$PY" - "$rows" <<'PYEOF'
import json, sys
for row in sys.argv[1].splitlines():
    number, n_values, acc, params, hidden, constraints = row.split("|")
    constraints = json.loads(constraints)
    assert n_values == "2", row
    assert 0.05 < float(acc) <= 1.0, row
    assert float(params) == 75 * float(hidden) + 10, row
    assert len(constraints) == 1 and constraints[0] > -2.0, row
    print(number, end=" ")
PYEOF
)
expect_eq "each trial: two values (accuracy, parameter count) and one constraint" "0 1 2 " "$checked"

# trials: a column per objective and for the constraint (as printed), and feasibility
# that agrees with the bound
out=$("$HPSEARCH" trials mlp-tradeoff --storage sqlite:tradeoff.db --format csv 2>&1)
expect_eq "csv header: both objectives, the constraint, feasible" \
    "number,state,values_val_acc,values_params,constraints_train_seconds,feasible" \
    "$(printf '%s\n' "$out" | head -1 | cut -d, -f1-6)"
feasible=$(printf '%s\n' "$out" | tail -n +2 | "$PY" -c '
import csv, sys
rows = list(csv.reader(sys.stdin))
for r in rows:
    assert r[5] == ("yes" if float(r[4]) <= 2.0 else "no"), r
print(sum(r[5] == "yes" for r in rows))')
expect_eq "feasible is train_seconds <= 2 for every trial" 0 $?

# best: the Pareto set of the feasible trials, or, with none feasible, says so
out=$("$HPSEARCH" best mlp-tradeoff --storage sqlite:tradeoff.db 2>&1)
if [ "${feasible:-0}" -gt 0 ]; then
    expect_contains "best prints the Pareto set" "Pareto set: " "$out"
    expect_contains "best shows the constraint with its bound" "(<= 2)" "$out"
else
    expect_contains "best: no feasible trial" "no COMPLETE trial meets the constraints yet" "$out"
fi
finish
