#!/usr/bin/env bash
# W&B sweep files run unchanged: program/command macros, W&B distributions, run_cap,
# metric.target (stop once reached), early_terminate (Hyperband), service keys.
source "$(dirname "$0")/lib.sh"

cp "$TRAINER" train.py
export MY_STEPS=2
write_config sweep.yaml <<EOF2
program: train.py
name: wandb-random
entity: my-team
project: tuning
description: a sweep file as W&B documents it
method: random
metric:
  name: score
  goal: maximize
run_cap: 5
early_terminate:
  type: hyperband
  min_iter: 3
parameters:
  x:
    distribution: q_uniform
    min: 0
    max: 6
    q: 1
  y:
    distribution: log_uniform_values
    min: 0.01
    max: 10
  opt:
    values: [adam, sgd]
  seed:
    value: 7
command:
  - \${env}
  - \${interpreter}
  - \${program}
  - --tag
  - $TAG
  - --steps=\${envvar:MY_STEPS}
  - \${args}
EOF2
out=$(HPSEARCH_PYTHON=$PY "$HPSEARCH" run sweep.yaml --no-progress --storage sqlite:w.db 2>&1)
expect_eq "sweep exit 0" 0 $?
expect_contains "early_terminate becomes the Hyperband pruner" "hyperband pruner" "$out"
expect_eq "run_cap respected" 5 "$(sql w.db 'SELECT COUNT(*) FROM trials')"
expect_eq "study named by 'name'" "wandb-random" "$(sql w.db 'SELECT name FROM studies')"
log=$(cat hpsearch-logs/wandb-random/trial-00000.log 2>/dev/null; true)
argv=$(sql w.db "SELECT COUNT(*) FROM trials WHERE state = 2")
expect_eq "all 5 complete" 5 "$argv"
# W&B's ${args}: --name=value, W&B's q_uniform with q=1: an int
vals=$(sql w.db "SELECT p.value FROM trial_params p WHERE p.name = 'x'")
for v in $vals; do
    "$PY" -c "import sys; v=float(sys.argv[1]); sys.exit(0 if v == int(v) and 0 <= v <= 6 else 1)" "$v" || fail "x=$v is not an int in [0, 6]"
done
ok "x values are integers in [0, 6]"
ys=$(sql w.db "SELECT p.value FROM trial_params p WHERE p.name = 'y'")
for v in $ys; do
    "$PY" -c "import sys; v=float(sys.argv[1]); sys.exit(0 if 0.01 <= v <= 10 else 1)" "$v" || fail "y=$v outside [0.01, 10]"
done
ok "y values inside [0.01, 10]"
steps=$(sql w.db "SELECT MAX(step) FROM trial_intermediate")
expect_eq "\${envvar:MY_STEPS} reached the command" 1 "$steps"

# metric.target: stop starting trials once a trial reaches it (x=3, y=1 gives the max)
write_config target.yaml <<EOF2
program: train.py
method: grid
metric: {name: score, goal: maximize, target: -0.5}
parameters:
  x: {values: [3, 1, 2, 4, 5]}
  y: {value: 1}
# (in a flow list the macros need quotes: YAML reads { } there)
command: ["\${env}", "\${interpreter}", "\${program}", --tag, $TAG, --steps=1, "\${args}"]
EOF2
out=$(HPSEARCH_PYTHON=$PY "$HPSEARCH" run target.yaml --no-progress --storage sqlite:t.db 2>&1)
expect_eq "target exit 0" 0 $?
expect_contains "target message" "reached the target -0.5" "$out"
expect_eq "stopped after the first trial" 1 "$(sql t.db 'SELECT COUNT(*) FROM trials')"

# nested parameters run unchanged: the script finds each group as a dict in wandb.config,
# and on the command line as W&B's agent passes it (--optimizer={'lr': ..., ...}, the
# dict's Python text), with its member values
cat > nested.py <<'PYEOF'
import ast, json, sys
import wandb
run = wandb.init()
given = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
optimizer = wandb.config.optimizer
same = ast.literal_eval(given["optimizer"]) == dict(optimizer)
print(json.dumps({"config": dict(wandb.config), "argv_matches": same}))
wandb.log({"score": optimizer["lr"] * (2 if optimizer["schedule"]["warmup"] else 1)})
wandb.finish()
PYEOF
write_config nested.yaml <<EOF2
program: nested.py
method: random
metric: {name: score, goal: minimize}
run_cap: 3
parameters:
  epochs: {value: 2}
  optimizer:
    parameters:
      name: {values: [adam, sgd]}
      lr: {distribution: log_uniform_values, min: 0.0001, max: 0.1}
      schedule:
        parameters:
          warmup: {values: [0, 100]}
EOF2
out=$(HPSEARCH_PYTHON=$PY "$HPSEARCH" run nested.yaml --no-progress --storage sqlite:n.db 2>&1)
expect_eq "nested sweep exit 0" 0 $?
expect_eq "nested: 3 complete trials" 3 "$(sql n.db 'SELECT COUNT(*) FROM trials WHERE state = 2')"
expect_eq "nested: the study stores the members" \
    "epochs,optimizer.lr,optimizer.name,optimizer.schedule.warmup" \
    "$(sql n.db "SELECT GROUP_CONCAT(name, ',') FROM (SELECT DISTINCT name FROM trial_params ORDER BY name)")"
seen=$(cat hpsearch-logs/nested/trial-*.log | "$PY" -c '
import json, sys
ok = 0
for line in sys.stdin:
    if line.startswith("{"):
        d = json.loads(line)
        c = d["config"]
        ok += (d["argv_matches"] and c["epochs"] == 2 and set(c["optimizer"]) == {"name", "lr", "schedule"}
               and set(c["optimizer"]["schedule"]) == {"warmup"})
print(ok)')
expect_eq "nested: each script saw the groups as dicts, in wandb.config and on its command line" 3 "$seen"

# the bayes method maps to the GP sampler when the engine has it, else a clear error
write_config bayes.yaml <<EOF2
program: train.py
method: bayes
metric: {name: score, goal: maximize}
parameters:
  x: {min: 0.0, max: 6.0}
EOF2
out=$(HPSEARCH_PYTHON=$PY "$HPSEARCH" run bayes.yaml --no-progress --storage sqlite:b.db -n 1 2>&1)
status=$?
case "$out" in
*"needs the Bayesian (GP) sampler"*) expect_eq "bayes without gp: exit 2" 2 "$status" ;;
*) expect_eq "bayes runs with gp" 0 "$status"; expect_contains "gp sampler used" "gp sampler" "$out" ;;
esac
finish
