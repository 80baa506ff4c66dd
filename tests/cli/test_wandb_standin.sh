#!/usr/bin/env bash
# Scripts instrumented with W&B run as trials without W&B: hpsearch's stand-in for the
# wandb module (src/runner/wandb_standin.py) gives wandb.config the trial's parameters
# and turns wandb.log / run.summary into metric lines. A real training script (a linear
# classifier trained by SGD on scikit-learn's digits, tests/cli/wandb_trainer.py) runs
# as a W&B sweep file and as an hpsearch config; then the API calls that do nothing, a
# run that never calls finish, misuse, and metric names hpsearch cannot read.
source "$(dirname "$0")/lib.sh"

if "$PY" -c "import wandb" 2>/dev/null; then
    # The stand-in then steps aside for the real package (tests/python covers that).
    echo "skipped: wandb is installed for $PY, so trials use it instead of the stand-in"
    finish
fi

cp "$HPS_SOURCE_DIR/tests/cli/wandb_trainer.py" .

# check_trials TRIALS_JSON LOG_DIR STEPS SUMMARY EPOCHS -- every trial COMPLETE, its
# wandb.config the script's defaults with the trial's parameters over them, its
# intermediate values exactly the val_acc of the logged lines at W&B's steps (implicit:
# 0, 1, ...; explicit: step=epoch, 1, 2, ...), its value the summary's (none: the last
# logged value; best: the best logged one; test: the summary line's, set once at the end;
# for these two, at least one trial's value must differ from its last logged one).
check_trials() {
    "$PY" - "$@" <<'PYEOF'
import json, re, sys
trials_json, log_dir, steps, summary, epochs = sys.argv[1:6]
epochs = int(epochs)
defaults = {"alpha": 1e-4, "eta0": 0.01, "epochs": 4, "loss": "hinge"}
problems = []
overridden = 0  # trials whose value is not their last logged one
trials = json.load(open(trials_json))
for t in trials:
    n = t["number"]
    base = "%s/trial-%05d" % (log_dir, n)
    if t["state"] != "COMPLETE":
        problems.append("trial %d is %s: %s" % (n, t["state"], t["system_attrs"]))
        continue
    seen = json.load(open(base + ".wandb-files/config.json"))
    if seen != dict(defaults, **t["params"], scaler="standard"):
        problems.append("trial %d: wandb.config %s, parameters %s" % (n, seen, t["params"]))
    logged, summaries = {}, []
    for line in open(base + ".log"):
        m = re.match(r"\[wandb\]( summary)? .*val_acc=(\S+) .*step=(\d+)$", line.strip())
        if m and m.group(1):
            summaries.append(float(m.group(2)))
        elif m:
            logged[m.group(3)] = float(m.group(2))
    first = 0 if steps == "implicit" else 1
    want_steps = [str(s) for s in range(first, first + epochs)]
    if list(logged) != want_steps:
        problems.append("trial %d: logged at steps %s, want %s" % (n, list(logged), want_steps))
    if t["intermediate_values"] != logged:
        problems.append("trial %d: intermediate values %s, logged %s"
                        % (n, t["intermediate_values"], logged))
    want = {"none": list(logged.values())[-1:], "best": [max(logged.values())],
            "test": summaries[-1:]}[summary]
    if summary != "none" and len(summaries) != 1:
        problems.append("trial %d: %d summary lines" % (n, len(summaries)))
    if t["values"] != want:
        problems.append("trial %d: value %s, want %s" % (n, t["values"], want))
    overridden += t["values"] != list(logged.values())[-1:]
if summary != "none" and overridden == 0:
    problems.append("no trial's summary differs from its last logged value: nothing tested")
print("\n".join(problems) if problems else "%d trials checked" % len(trials))
sys.exit(1 if problems else 0)
PYEOF
}

# ---- a W&B sweep file: grid over alpha, the summary set to the best val_acc -------------
write_config sweep.yaml <<EOF2
program: wandb_trainer.py
name: digits-sweep
method: grid
metric: {name: val_acc, goal: maximize}
parameters:
  alpha: {values: [0.0001, 0.01]}
  eta0: {value: 0.01}
  epochs: {value: 4}
command: ["\${env}", "\${interpreter}", "\${program}", --summary, best, "\${args}"]
EOF2
out=$(HPSEARCH_PYTHON=$PY "$HPSEARCH" run sweep.yaml --storage sqlite:w.db --no-progress 2>&1)
expect_eq "sweep: exit 0" 0 $?
"$HPSEARCH" trials sweep.yaml --storage sqlite:w.db --format json > sweep.json
result=$(check_trials sweep.json hpsearch-logs/digits-sweep implicit best 4)
expect_eq "sweep: parameters in wandb.config, logs at steps 0-3, the summary is the value" \
    "2 trials checked" "$result"
listing=$("$HPSEARCH" trials sweep.yaml --storage sqlite:w.db 2>/dev/null)
expect_eq "sweep: hpsearch trials lists both COMPLETE" 2 "$(grep -c ' COMPLETE ' <<< "$listing")"
expect_contains "the log names the stand-in" "hpsearch's stand-in for wandb" \
    "$(cat hpsearch-logs/digits-sweep/trial-00000.log)"

# ---- an hpsearch config: step=epoch, the summary a test-set accuracy, no finish ---------
write_config digits.yaml <<EOF2
study: digits
storage: sqlite:h.db
metric: val_acc
direction: maximize
sampler: grid
command: $PY wandb_trainer.py --step explicit --summary test --finish skip
parameters:
  alpha: {value: 0.001}
  eta0: {values: [0.02, 0.2]}
  loss: [hinge, log_loss]
  epochs: 3
EOF2
out=$("$HPSEARCH" run digits.yaml -n 2 --no-progress 2>&1)
expect_eq "config: exit 0" 0 $?
"$HPSEARCH" trials digits.yaml --format json > digits.json
result=$(check_trials digits.json hpsearch-logs/digits explicit test 3)
expect_eq "config: logs at steps 1-3, the test accuracy is the value, without finish" \
    "2 trials checked" "$result"

# ---- the API calls that do not matter to a search, and `with wandb.init() as run` -------
write_config noop.yaml <<EOF2
study: noop
storage: sqlite:n.db
metric: val_acc
direction: maximize
command: $PY wandb_trainer.py --no-op-apis --finish context
parameters:
  eta0: 0.05
  epochs: 2
EOF2
out=$("$HPSEARCH" run noop.yaml -n 1 --no-progress 2>&1)
expect_eq "no-op APIs: exit 0" 0 $?
"$HPSEARCH" trials noop.yaml --format json > noop.json
result=$(check_trials noop.json hpsearch-logs/noop implicit none 2)
expect_eq "no-op APIs: the run reports as without them" "1 trials checked" "$result"
log=$(cat hpsearch-logs/noop/trial-00000.log)
case "$log" in
*confusion=* | *weights=* | *sample=* | *note=*) fail "a table, histogram, image or text became a metric: $log" ;;
*) ok "tables, histograms, images and text are left out of the metric lines" ;;
esac

# ---- misuse: the trial fails with W&B's message ----------------------------------------
write_config bad.py <<'EOF2'
import sys
import wandb
case = sys.argv[1]
if case == "log_before_init":
    wandb.log({"val_acc": 0.5})
wandb.init()
if case == "log_not_a_dict":
    wandb.log(0.93)
if case == "nan_at_the_end":
    wandb.log({"val_acc": 0.5})
    wandb.log({"val_acc": float("nan")})
EOF2
write_config bad.yaml <<EOF2
study: bad
storage: sqlite:b.db
metric: val_acc
sampler: grid
command: $PY bad.py {case}
parameters:
  case: [log_before_init, log_not_a_dict, nan_at_the_end]
EOF2
out=$("$HPSEARCH" run bad.yaml --no-progress 2>&1)
"$HPSEARCH" trials bad.yaml --format json > bad.json
reasons=$("$PY" -c "
import json
for t in json.load(open('bad.json')):
    print(t['state'], t['system_attrs'].get('fail_reason', '').splitlines()[0])" 2>&1)
expect_contains "log before init" \
    "FAIL exit status 1: wandb.Error: You must call wandb.init() before wandb.log()" "$reasons"
expect_contains "log of a non-dict" \
    "FAIL exit status 1: ValueError: wandb.log must be passed a dictionary" "$reasons"
expect_contains "NaN as the last value" "FAIL metric 'val_acc' is NaN" "$reasons"
steps=$("$PY" -c "
import json
t = json.load(open('bad.json'))[2]
print(sorted(t['intermediate_values']), t['intermediate_values']['0'])")
expect_eq "the values before the NaN are kept" "['0', '1'] 0.5" "$steps"

# ---- names hpsearch's reader cannot find -----------------------------------------------
# W&B accepts any key; "val acc=0.9" printed as is would read as a metric named "acc".
write_config names.py <<'EOF2'
import wandb
wandb.init()
wandb.log({"val acc": 0.9, "loss": 0.1})
EOF2
write_config names.yaml <<EOF2
study: names
storage: sqlite:m.db
metric: acc
command: $PY names.py
parameters: {x: 1}
EOF2
out=$("$HPSEARCH" run names.yaml -n 1 --no-progress 2>&1)
listing=$("$HPSEARCH" trials names.yaml --format json)
expect_contains "'val acc' is not read as 'acc': the trial never printed it" \
    "exited without printing metric 'acc'" "$listing"
expect_contains "the output kept with the trial says why" \
    "wandb: WARNING metric 'val acc' is not reported to hpsearch" "$listing"
# a sweep whose metric has a space is refused before anything runs
sed -i 's/^metric: acc$/metric: "val acc"/' names.yaml
out=$("$HPSEARCH" run names.yaml -n 1 --no-progress 2>&1)
expect_eq "metric 'val acc': exit 2" 2 $?
expect_contains "metric 'val acc': the config error says why" \
    "names.yaml:3: metric: 'val acc' cannot be read from output lines" "$out"
# ---- a wandb installed for the trial is used, with W&B's sweep contract ----------------
# The real package is not installable here; this one stands for it through what the
# contract involves: wandb.init reads WANDB_SWEEP_PARAM_PATH (W&B's {name: {value: v}}
# YAML) and binds wandb.log to the run's log. It sits on the user's own PYTHONPATH,
# which trials keep after the stand-in's directory.
mkdir -p site/wandb
write_config site/wandb/__init__.py <<'EOF2'
import os
import yaml
print("installed wandb, mode", os.environ.get("WANDB_MODE"), flush=True)
run = None
class Run:
    def __init__(self):
        with open(os.environ["WANDB_SWEEP_PARAM_PATH"]) as f:
            loaded = yaml.safe_load(f)
        assert loaded.pop("wandb_version") == 1
        self.config = {k: v["value"] for k, v in loaded.items()}
        self.summary = {}
    def log(self, data, step=None, commit=None):
        self.summary.update(data)
    def finish(self):
        pass
def init(**kwargs):
    global run, log
    run = Run()
    log = run.log
    return run
EOF2
write_config real.py <<'EOF2'
import wandb
run = wandb.init()
for epoch in range(3):
    wandb.log({"score": run.config["x"] * (epoch + 1)})
run.summary["score"] = run.config["x"] * 10
EOF2
write_config real.yaml <<EOF2
study: real
storage: sqlite:r.db
metric: score
direction: maximize
command: $PY real.py
parameters:
  x: {values: [1.5, 2.5]}
EOF2
out=$(PYTHONPATH="$PWD/site" "$HPSEARCH" run real.yaml -n 2 --no-progress 2>&1)
expect_eq "installed wandb: exit 0" 0 $?
result=$("$PY" -c "
import json
for t in json.load(open('/dev/stdin')):
    print(t['params']['x'], t['values'], t['intermediate_values'])" <<< "$("$HPSEARCH" trials real.yaml --format json)")
expect_eq "installed wandb: parameters through the sweep file, metrics and summary echoed" \
    "2.5 [25.0] {'0': 2.5, '1': 5.0, '2': 7.5}" "$(sort <<< "$result" | tail -1)"
expect_contains "installed wandb: offline unless WANDB_MODE says otherwise" \
    "installed wandb, mode offline" "$(cat hpsearch-logs/real/trial-00000.log)"
finish
