#!/usr/bin/env bash
# Every broken config in tests/unit/configs/bad/ makes `hpsearch run` exit with status 2
# and print the message its first line promises (file, line, key, what is wrong),
# without creating a study or running anything. Plus broken command lines.
source "$(dirname "$0")/lib.sh"

n=0
for file in "$HPS_SOURCE_DIR"/tests/unit/configs/bad/*.yaml; do
    expected=$(sed -n '1s/^# expect: //p' "$file")
    [ -n "$expected" ] || { fail "$(basename "$file") has no '# expect:' line"; continue; }
    cp "$file" .
    out=$("$HPSEARCH" run "$(basename "$file")" --no-progress 2>&1)
    status=$?
    if [ "$status" -ne 2 ]; then
        fail "$(basename "$file"): exit status $status, expected 2 (output: $out)"
    else
        case "$out" in
        *"$expected"*) n=$((n + 1)) ;;
        *) fail "$(basename "$file"): message [$expected] not in: $out" ;;
        esac
    fi
done
ok "$n broken configs rejected with exit 2 and their message"
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
finish
