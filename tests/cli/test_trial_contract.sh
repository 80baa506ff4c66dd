#!/usr/bin/env bash
# The trial-process contract for scripts as people write them: a metric read with a
# regex and summarised over the run (metric.regex, metric.summary), a run that stops
# when its first trials all fail (max_failures) and says how to go on, and timed-out
# trials that keep their last value (timeout_state: pruned).
source "$(dirname "$0")/lib.sh"

value_of() { # DB STUDY -> the objective value of the study's trials, in number order
    sql "$1" "SELECT v.value FROM trials t JOIN studies s USING (study_id)
              LEFT JOIN trial_values v USING (trial_id) WHERE s.name = '$2' ORDER BY t.number"
}
states_of() { # DB STUDY -> one state per trial, in number order
    sql "$1" "SELECT t.state FROM trials t JOIN studies s USING (study_id)
              WHERE s.name = '$2' ORDER BY t.number"
}

# ---- metric.regex and metric.summary ------------------------------------------------------
# A script in the common tutorial shape: no name=value pairs, and a test-set line last.
cat > val_acc.py <<'EOF'
import sys
curve = [float(v) for v in sys.argv[1].split(",")]
for epoch, acc in enumerate(curve):
    print(f"Epoch {epoch + 1}/{len(curve)} | Train Loss: {1 - acc:.3f} | Val Acc: {acc}", flush=True)
print("Test Acc: 0.91", flush=True)
EOF
summary_run() { # STUDY DIRECTION SUMMARY [CURVE]
    write_config "$1.yaml" <<EOF2
study: $1
storage: sqlite:metric.db
direction: $2
metric: {name: val_acc, regex: 'Val Acc: ([0-9.]+|nan)', summary: $3}
n_trials: 1
command: $PY val_acc.py ${4:-0.80,0.93,0.88} {x}
parameters:
  x: {values: [1]}
EOF2
    "$HPSEARCH" run "$1.yaml" --no-progress > "$1.out" 2>&1
    echo $?
}
expect_eq "summary last: exit 0" 0 "$(summary_run s_last maximize last)"
expect_eq "summary last: the last Val Acc, not the Test Acc line" 0.88 "$(value_of metric.db s_last)"
expect_contains "the result line shows it" "COMPLETE  val_acc=0.88" "$(cat s_last.out)"
expect_eq "summary best (maximize) is the largest" 0 "$(summary_run s_best_max maximize best)"
expect_eq "best of a maximized curve" 0.93 "$(value_of metric.db s_best_max)"
expect_eq "summary best (minimize): exit 0" 0 "$(summary_run s_best_min minimize best)"
expect_eq "best of a minimized curve" 0.8 "$(value_of metric.db s_best_min)"
expect_eq "summary min: exit 0" 0 "$(summary_run s_min maximize min)"
expect_eq "summary min" 0.8 "$(value_of metric.db s_min)"
expect_eq "summary max: exit 0" 0 "$(summary_run s_max minimize max)"
expect_eq "summary max" 0.93 "$(value_of metric.db s_max)"
expect_eq "intermediate values stay as printed, steps counted" "0|0.8
1|0.93
2|0.88" "$(sql metric.db "SELECT i.step, i.value FROM trial_intermediate i JOIN trials t
                          USING (trial_id) JOIN studies s USING (study_id)
                          WHERE s.name = 's_best_max' ORDER BY i.step")"
# best skips a NaN at the end; last does not
expect_eq "summary best with a NaN last: exit 0" 0 "$(summary_run s_nan_best maximize best 0.5,0.7,nan)"
expect_eq "best skips NaN" 0.7 "$(value_of metric.db s_nan_best)"
expect_eq "summary last with a NaN last: exit 1" 1 "$(summary_run s_nan_last maximize last 0.5,0.7,nan)"
expect_contains "a NaN last value fails the trial" "metric 'val_acc' is NaN" "$(cat s_nan_last.out)"

# A real script in that shape: scikit-learn's digits, trained epoch by epoch, printing
# what tutorials print. The result is its best validation accuracy, and it is one of
# the values it printed.
cat > digits.py <<'EOF'
import sys
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split

alpha = float(sys.argv[1])
X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(X_train, y_train, test_size=0.2, random_state=0)
model = SGDClassifier(alpha=alpha, random_state=0)
for epoch in range(1, 6):
    model.partial_fit(X_train, y_train, classes=np.arange(10))
    print(f"Epoch {epoch}/5 - Train Acc: {model.score(X_train, y_train):.4f} - "
          f"Val Acc: {model.score(X_val, y_val):.4f}", flush=True)
print(f"Test Acc: {model.score(X_test, y_test):.4f}", flush=True)
EOF
write_config digits.yaml <<EOF2
study: digits
storage: sqlite:digits.db
direction: maximize
metric: {name: val_acc, regex: 'Val Acc: ([0-9.]+)', summary: best}
sampler: grid
command: $PY digits.py {alpha}
parameters:
  alpha: {values: [0.0001, 0.1]}
EOF2
"$HPSEARCH" run digits.yaml --no-progress > digits.out 2>&1
expect_eq "a real scikit-learn script runs unchanged: exit 0" 0 $?
expect_eq "both trials COMPLETE" "2|2" "$(states_of digits.db digits | paste -sd'|')"
expect_eq "each result is the best of its five Val Acc values" "1|5
1|5" "$(sql digits.db "SELECT MAX(i.value) = v.value, COUNT(*) FROM trials t
                       JOIN trial_values v USING (trial_id) JOIN trial_intermediate i
                       USING (trial_id) GROUP BY t.trial_id ORDER BY t.number")"
"$PY" -c "import sys; v = float(sys.argv[1]); sys.exit(0 if 0.5 < v <= 1 else 1)" \
    "$(value_of digits.db digits | head -n 1)" && ok "a real accuracy" || fail "accuracy $(value_of digits.db digits)"

# `hpsearch narrow` writes the metric's regex and summary (and the run settings below)
# back, in both formats, so a narrowed study reads its trials the same way
write_config nar.yaml <<EOF2
study: nar
storage: sqlite:metric.db
direction: maximize
metric: {name: val_acc, regex: 'Val Acc: ([0-9.]+|nan)', summary: best}
max_failures: 7
trial_timeout: 600
timeout_state: pruned
n_trials: 4
command: $PY val_acc.py 0.80,0.93,0.88 {x}
parameters:
  x: {low: 0.0, high: 1.0}
EOF2
write_config nar_wandb.yaml <<EOF2
name: nar_wandb
storage: sqlite:metric.db
method: random
metric: {name: val_acc, goal: maximize, regex: 'Val Acc: ([0-9.]+|nan)', summary: max}
max_failures: 0
run_cap: 4
command: [$PY, val_acc.py, "0.80,0.93,0.88", "\${args}"]
parameters:
  x: {min: 0.0, max: 1.0}
EOF2
for f in nar nar_wandb; do
    "$HPSEARCH" run $f.yaml --no-progress -q > /dev/null 2>&1
    expect_eq "$f: runs" 0 $?
    "$HPSEARCH" narrow $f.yaml --top 2 > /dev/null 2>&1
    expect_eq "$f: narrow" 0 $?
    written=$(cat $f-narrow.yaml)
    expect_contains "$f: narrow keeps the regex" 'regex: "Val Acc: ([0-9.]+|nan)"' "$written"
    "$HPSEARCH" run $f-narrow.yaml --no-progress -q -n 1 > /dev/null 2>&1
    expect_eq "$f: the narrowed config runs" 0 $?
    expect_eq "$f: and reads the value the same way" 0.93 \
        "$(value_of metric.db $f-narrow | tail -n 1)"
done
written=$(cat nar-narrow.yaml)
expect_contains "narrow keeps summary" "summary: best" "$written"
expect_contains "narrow keeps max_failures" "max_failures: 7" "$written"
expect_contains "narrow keeps timeout_state" "timeout_state: pruned" "$written"
expect_contains "narrow keeps a W&B summary" "summary: max" "$(cat nar_wandb-narrow.yaml)"
expect_contains "narrow keeps max_failures: 0" "max_failures: 0" "$(cat nar_wandb-narrow.yaml)"

# a regex whose group does not hold a number says so
echo "print('Val Acc: 93%', flush=True)" > pct.py
write_config pct.yaml <<EOF2
study: pct
storage: sqlite:metric.db
direction: maximize
metric: {name: val_acc, regex: 'Val Acc: (.*)'}
n_trials: 1
max_failures: 0
command: $PY pct.py {x}
parameters:
  x: {values: [1]}
EOF2
"$HPSEARCH" run pct.yaml --no-progress > pct.out 2>&1
expect_eq "a percentage is not a value: exit 1" 1 $?
expect_contains "the reason names the regex and what it captured" \
    "exited without printing metric 'val_acc': its regex matched 1 line, but the group held '93%', not a number" \
    "$(cat pct.out)"

# ---- max_failures -------------------------------------------------------------------------
cat > broken.py <<'EOF'
import sys
print("Traceback (most recent call last):", file=sys.stderr, flush=True)
print("ModuleNotFoundError: No module named 'torchh'", file=sys.stderr, flush=True)
sys.exit(1)
EOF
write_config broken.yaml <<EOF2
study: broken
storage: sqlite:fail.db
metric: loss
n_trials: 20
command: $PY broken.py --lr {lr}
parameters:
  lr: {low: 0.001, high: 0.1, log: true}
EOF2
"$HPSEARCH" run broken.yaml --no-progress > broken.out 2>&1
expect_eq "a broken script stops the run: exit 1" 1 $?
expect_eq "after the default 5 failures, not 20" "5" "$(sql fail.db 'SELECT COUNT(*) FROM trials')"
out=$(cat broken.out)
expect_contains "the stop names the count and the common reason" \
    "stopping: the first 5 trials of this run all failed the same way: exit status 1" "$out"
expect_contains "the last trial's output" "ModuleNotFoundError: No module named 'torchh'" "$out"
expect_contains "the last trial's log" "hpsearch-logs/broken/trial-00004.log" "$out"
expect_contains "how to go on" "go on: fix the cause, then run the same command again" "$out"
expect_contains "how to turn the check off" "max_failures: 0 (or --max-failures 0) turns this check off" "$out"
expect_contains "how to start over" "hpsearch delete broken --storage sqlite:$(pwd -P)/fail.db --yes" "$out"

# re-running says what happened before, and stops again while the script is broken
"$HPSEARCH" run broken.yaml --no-progress --max-failures 2 > broken2.out 2>&1
expect_eq "re-run of a broken study: exit 1" 1 $?
out=$(cat broken2.out)
expect_contains "the re-run names the earlier failures" \
    "study 'broken' has 5 failed trials and none completed; the last (trial 4) failed with: exit status 1: ModuleNotFoundError" "$out"
expect_contains "the re-run says how to start over" "hpsearch delete broken --storage" "$out"
expect_contains "--max-failures applies" "the first 2 trials of this run all failed" "$out"
expect_eq "two more trials" "7" "$(sql fail.db 'SELECT COUNT(*) FROM trials')"

"$HPSEARCH" run broken.yaml --no-progress --study "it's mine" --max-failures 1 > quoted.out 2>&1
expect_contains "a study name is quoted for the shell" "hpsearch delete 'it'\\''s mine' --storage" \
    "$(cat quoted.out)"

# a budget used up by failures: nothing runs, and the run says why and what to do
write_config small.yaml <<EOF2
study: small
storage: sqlite:fail.db
metric: loss
n_trials: 3
command: $PY broken.py --lr {lr}
parameters:
  lr: {low: 0.001, high: 0.1, log: true}
EOF2
"$HPSEARCH" run small.yaml --no-progress > small.out 2>&1
expect_eq "three failures within the budget: exit 1" 1 $?
"$HPSEARCH" run small.yaml --no-progress > small2.out 2>&1
expect_eq "nothing left to run: exit 1" 1 $?
out=$(cat small2.out)
expect_contains "nothing ran, and why" \
    "nothing was run: the study already holds its n_trials (3) trials and none completed" "$out"
expect_contains "how to add trials" "raise n_trials (-n N)" "$out"
expect_eq "still three trials" "3" "$(sql fail.db "SELECT COUNT(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'small'")"

# max_failures: 0 never stops; a completed trial disarms the check; mixed ways are named
"$HPSEARCH" run broken.yaml --no-progress --study unlimited -n 7 --set max_failures=0 > unlimited.out 2>&1
expect_eq "max_failures 0: exit 1 (nothing completed)" 1 $?
expect_eq "max_failures 0 runs the whole budget" "7" "$(sql fail.db "SELECT COUNT(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'unlimited'")"
write_config mixed.yaml <<EOF2
study: mixed
storage: sqlite:mixed.db
metric: score
direction: maximize
sampler: grid
max_failures: 2
shell: true
command: 'case {x} in 2) echo score=1 ;; *) exit {x} ;; esac'
parameters:
  x: {values: [1, 2, 3, 4]}
EOF2
"$HPSEARCH" run mixed.yaml --no-progress > mixed.out 2>&1
expect_eq "a success disarms max_failures: exit 0" 0 $?
expect_eq "all four cells ran" "4|2|4|4" "$(states_of mixed.db mixed | paste -sd'|')"
write_config ways.yaml <<EOF2
study: ways
storage: sqlite:mixed.db
metric: score
sampler: grid
max_failures: 2
shell: true
command: 'exit {x}'
parameters:
  x: {values: [1, 2, 3]}
EOF2
"$HPSEARCH" run ways.yaml --no-progress > ways.out 2>&1
expect_eq "failures in different ways stop too: exit 1" 1 $?
expect_contains "and say so" "the first 2 trials of this run all failed, in different ways; the last: exit status 2" "$(cat ways.out)"

# ---- timeout_state: pruned ----------------------------------------------------------------
cat > slow.py <<'EOF'
import sys, time
for step in range(int(sys.argv[1])):
    print(f"step={step} score={step}", flush=True)
time.sleep(3600)
EOF
timeout_run() { # STUDY TIMEOUT_STATE STEPS_BEFORE_HANGING
    write_config "$1.yaml" <<EOF2
study: $1
storage: sqlite:timeout.db
metric: score
direction: maximize
n_trials: 1
trial_timeout: 1
timeout_state: $2
command: $PY slow.py $3 $TAG-hang {x}
parameters:
  x: {values: [3]}
EOF2
    "$HPSEARCH" run "$1.yaml" --no-progress > "$1.out" 2>&1
    echo $?
}
# steps 0 and 1 print score=0 and score=1, then the script sleeps for an hour
expect_eq "pruned on timeout: exit 1 (nothing completed)" 1 "$(timeout_run t_pruned pruned 2)"
expect_eq "a timed-out trial that reported is PRUNED" "3" "$(states_of timeout.db t_pruned)"
expect_eq "with its last reported value" "1.0" "$(value_of timeout.db t_pruned)"
expect_contains "the line says it timed out" "PRUNED    score=1" "$(cat t_pruned.out)"
expect_contains "and why" "timed out after 1s" "$(cat t_pruned.out)"
expect_eq "silent until the timeout: exit 1" 1 "$(timeout_run t_silent pruned 0)"
expect_eq "without a reported value it is FAIL" "4" "$(states_of timeout.db t_silent)"
expect_eq "the default stays FAIL: exit 1" 1 "$(timeout_run t_fail fail 2)"
expect_eq "timeout_state fail" "4" "$(states_of timeout.db t_fail)"
if pgrep -f "$TAG-hang" > /dev/null; then fail "a hung script survived"; else ok "hung scripts killed"; fi

# ---- the flags are documented -------------------------------------------------------------
help=$("$HPSEARCH" run --help)
expect_contains "--help lists --max-failures" "--max-failures N" "$help"
expect_contains "--help names timeout_state" "timeout_state" "$help"
finish
