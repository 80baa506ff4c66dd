#!/usr/bin/env bash
# Every broken config in tests/unit/configs/bad/ makes `hpsearch run` exit with status 2
# and print the message its first line promises (file, line, key, what is wrong),
# without creating a study or running anything; `hpsearch plan` rejects each of them
# with the same message. Plus broken command lines, and what run only finds out when it
# sets up the study (the command template, the library's checks of the pruner, the
# storage), which plan checks the same way.
source "$(dirname "$0")/lib.sh"

n=0
for file in "$HPS_SOURCE_DIR"/tests/unit/configs/bad/*.yaml; do
    expected=$(sed -n '1s/^# expect: //p' "$file")
    [ -n "$expected" ] || { fail "$(basename "$file") has no '# expect:' line"; continue; }
    cp "$file" .
    out=$("$HPSEARCH" run "$(basename "$file")" --no-progress 2>&1)
    status=$?
    planned=$("$HPSEARCH" plan "$(basename "$file")" 2>&1)
    plan_status=$?
    if [ "$status" -ne 2 ]; then
        fail "$(basename "$file"): exit status $status, expected 2 (output: $out)"
    elif [ "$plan_status" -ne 2 ] || [ "$planned" != "$out" ]; then
        fail "$(basename "$file"): plan exit $plan_status with [$planned], run said [$out]"
    else
        case "$out" in
        *"$expected"*) n=$((n + 1)) ;;
        *) fail "$(basename "$file"): message [$expected] not in: $out" ;;
        esac
    fi
done
ok "$n broken configs rejected by run and plan with exit 2 and their message"
[ ! -e hpsearch.db ] && ok "no database created for broken configs" || fail "a broken config created hpsearch.db"

write_config good.yaml <<EOF2
study: good
storage: sqlite:good.db
metric: score
n_trials: 1
command: $TRAIN --x {x}
parameters:
  x: {type: float, low: 0, high: 1}
EOF2

check_usage() { # WHAT EXPECTED_MESSAGE ARGS...
    local what=$1 expected=$2
    shift 2
    local out status
    out=$("$HPSEARCH" "$@" 2>&1)
    status=$?
    expect_eq "$what: exit 2" 2 "$status"
    expect_contains "$what: message" "$expected" "$out"
}
check_usage "missing file" "cannot open" run missing.yaml
check_usage "no config" "which config" run
check_usage "unknown flag" "unknown or incomplete option '--frobnicate'" run good.yaml --frobnicate
check_usage "bad --trials" "--trials" run good.yaml --trials -3
check_usage "bad -j" "--parallel" run good.yaml -j zero
check_usage "bad --set" "--set nonsense=1" run good.yaml --set nonsense=1
check_usage "unknown sampler flag" "sampler" run good.yaml --sampler bayes-magic
check_usage "unknown placeholder" "{z}" run good.yaml --set "command=$TRAIN --x {z}"
# --set text has no line numbers: its messages give columns, never "line 0" or ":0:"
out=$("$HPSEARCH" run good.yaml --set 'pruner={name: asha, name: asha}' 2>&1)
expect_eq "duplicate key in a --set override: exit 2" 2 $?
expect_contains "duplicate key in a --set override: both places as columns" \
    "duplicate key 'name' (column 14; first given at column 2)" "$out"
case "$out" in
*"line 0"* | *":0:"*) fail "a --set message points to line 0: $out" ;;
*) ok "no line 0 in a --set message" ;;
esac
check_usage "unknown placeholder in artifacts" "artifacts: unknown placeholder '{epoch}'" run good.yaml --set "artifacts=model-{epoch}.pt"
check_usage "unknown command" "unknown command 'frobnicate'" frobnicate
check_usage "trials without study" "which study" trials
check_usage "missing study" "does not exist" trials nope --storage sqlite:good.db
check_usage "bad format" "--format must be" trials good.yaml --format xml
check_usage "bad state" "unknown state 'DONE'" trials good.yaml --state DONE
check_usage "delete without --yes" "without --yes" delete good --storage sqlite:good.db < /dev/null

# direction mismatch with an existing study is a config error too
"$HPSEARCH" run good.yaml --no-progress -q > /dev/null 2>&1
expect_eq "good config runs" 0 $?
check_usage "direction mismatch" "was created to minimize, but this config says maximize" run good.yaml --set direction=maximize

# a command that cannot start: exit 2, and the trial is not counted as run
check_usage "command not found" "cannot run 'no-such-trainer-xyz'" run good.yaml --set study=g2 --set "command=no-such-trainer-xyz {x}"
expect_eq "unstartable trial recorded interrupted" "4|1" "$(sql good.db "SELECT t.state, t.interrupted FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'g2'")"

# a missing storage directory is a clear error
check_usage "bad storage path" "cannot open sqlite database" run good.yaml --storage sqlite:/nonexistent/dir/x.db

# What run rejects before its first trial, plan rejects with the same words and status,
# and neither leaves a database behind. Each case: a --set list applied to good.yaml
# (or to $CONFIG).
same_rejection() { # WHAT EXPECTED_MESSAGE ARGS...
    local what=$1 expected=$2 config=${CONFIG:-good.yaml}
    shift 2
    local out status planned plan_status
    out=$("$HPSEARCH" run "$config" --no-progress "$@" 2>&1)
    status=$?
    planned=$("$HPSEARCH" plan "$config" "$@" 2>&1)
    plan_status=$?
    expect_eq "$what: run exits 2" 2 "$status"
    expect_contains "$what: run says" "$expected" "$out"
    expect_eq "$what: plan exits 2" 2 "$plan_status"
    expect_eq "$what: plan says what run says" "$out" "$planned"
}
same_rejection "unknown placeholder" "good.yaml: command: unknown placeholder '{z}'" \
    --set study=fresh1 --set storage=sqlite:fresh1.db --set "command=$TRAIN --x {z}"
same_rejection "pruner options that only fail together" "max_resource (5) is below min_resource (10)" \
    --set study=fresh2 --set storage=sqlite:fresh2.db \
    --set 'pruner={name: hyperband, min_resource: 10, max_resource: 5}'
same_rejection "a required pruner option missing" "good.yaml: pruner: pruner 'patient' needs patience" \
    --set study=fresh3 --set storage=sqlite:fresh3.db --set 'pruner={name: patient, min_delta: 0.1}'
same_rejection "promotion rungs that do not fit the budget" \
    "good.yaml: pruner: pruner 'asha': max_resource (2) must be above the first rung" \
    --set study=fresh4 --set storage=sqlite:fresh4.db \
    --set 'pruner={name: asha, mode: promotion, min_resource: 3, max_resource: 2}'
same_rejection "bad --set" "--set nonsense=1" --set nonsense=1
same_rejection "bad flag value" "--parallel" -j zero
same_rejection "sampler flag" "sampler" --sampler bayes-magic
same_rejection "grid flag on a continuous space" "the grid sampler needs a finite set of values" --sampler grid
same_rejection "missing storage directory" "cannot open sqlite database" --storage sqlite:/nonexistent/dir/x.db
same_rejection "direction of an existing study" "was created to minimize, but this config says maximize" --set direction=maximize
same_rejection "metric of an existing study" "this config does not match study 'good'" --set metric=loss
same_rejection "bad workdir" "workdir: 'nowhere' does not exist" --set workdir=nowhere
# {name} of a conditional parameter: refused unless it has a default; a default on a
# parameter every trial has is refused too (it looks like a Python format spec)
write_config cond.yaml <<EOF2
study: fresh4
storage: sqlite:fresh4.db
metric: score
command: $TRAIN --m {mom}
parameters:
  opt: [adam, sgd]
  mom: {low: 0.5, high: 0.9, when: {opt: sgd}}
EOF2
CONFIG=cond.yaml same_rejection "conditional field without default" \
    "cond.yaml:4: command: {mom} has no value in trials where mom is inactive, which it is unless opt is 'sgd' (line 7)"
CONFIG=cond.yaml same_rejection "conditional field in artifacts" "artifacts: {mom} has no value in trials where mom is inactive" \
    --set "command=$TRAIN --m {mom:0}" --set "artifacts=m-{mom}.pt"
CONFIG=cond.yaml same_rejection "default on an unconditional field" \
    "command: {opt:...} gives a default, but every trial has 'opt'" --set "command=$TRAIN --o {opt:.3f}"
for db in fresh1.db fresh2.db fresh3.db fresh4.db; do
    [ ! -e "$db" ] && ok "no $db for a rejected config" || fail "a rejected config created $db"
done

# --allow-changes: run would continue the study with a changed space, and plan plans it
# (recording nothing); a changed metric it cannot continue
sed 's/high: 1}/high: 2}/' good.yaml > good-wide.yaml
out=$("$HPSEARCH" plan good-wide.yaml --allow-changes 2>&1)
expect_eq "plan --allow-changes: exit 0" 0 $?
expect_contains "plan says run would continue" "would continue with a changed space (1 difference, recorded by run as space version 2)" "$out"
out=$("$HPSEARCH" plan good-wide.yaml 2>&1)
expect_eq "... and plan recorded nothing: still refused" 2 $?
out=$("$HPSEARCH" plan good.yaml --set metric=loss --allow-changes 2>&1)
expect_eq "plan --allow-changes with a changed metric: exit 2" 2 $?
expect_contains "plan says why" "cannot continue with this config, even with --allow-changes" "$out"

# an override is not in the file: messages about it name the file without a line, also
# when what it replaces is on the file's line 1 (the override's own text is line 1 too)
{ echo "metric: score"; grep -v '^metric:' good.yaml; } > first-metric.yaml
out=$("$HPSEARCH" run first-metric.yaml --set metric=loss --no-progress 2>&1)
expect_eq "override of a line-1 metric: exit 2" 2 $?
expect_contains "it names the file without a line" \
    "  - first-metric.yaml: metric: the study's values are 'score', this config reads 'loss'" "$out"
case "$out" in
*"first-metric.yaml:1:"*) fail "the override's metric got the file's line 1: $out" ;;
*) ok "no line of the file claimed for the override's metric" ;;
esac
{ echo "command: $TRAIN --x {x}"; grep -v '^command:' good.yaml; } > first-command.yaml
out=$("$HPSEARCH" run first-command.yaml --set study=fresh5 --set storage=sqlite:fresh5.db \
    --set "command=$TRAIN --x {z}" --no-progress 2>&1)
expect_eq "override of a line-1 command: exit 2" 2 $?
expect_contains "its error names the file without a line" \
    "first-command.yaml: command: unknown placeholder '{z}'" "$out"
sed 's/{x}/{z}/' first-command.yaml > first-bad-command.yaml
out=$("$HPSEARCH" run first-bad-command.yaml --set study=fresh5 --set storage=sqlite:fresh5.db \
    --no-progress 2>&1)
expect_contains "the file's own line-1 command keeps its line" \
    "first-bad-command.yaml:1: command: unknown placeholder '{z}'" "$out"

# plan takes run's flags and --set, and plans what run would then do
out=$("$HPSEARCH" plan good.yaml --set n_trials=7 -j 3 --sampler random 2>&1)
expect_eq "plan with overrides: exit 0" 0 $?
expect_contains "plan: --set n_trials" "budget: 7 trials" "$out"
expect_contains "plan: -j" "7 trials (n_trials), 3 at a time" "$out"
expect_contains "plan: --sampler" "strategy: random" "$out"
expect_contains "plan: the study exists" "study 'good' exists" "$out"
finish
