#!/usr/bin/env bash
# A worker whose trial is recovered as stale while the trial still runs -- the worker is
# frozen with SIGSTOP (as in test_stale_worker.sh), and the other worker's grace is half
# a second -- stops that trial's process as soon as it wakes and storage tells it the
# trial is not its own any more, rather than letting it run to its end for an outcome
# nobody records: with SIGKILL at once, never SIGTERM -- SIGTERM means "save a checkpoint
# now", and the stale process's checkpoint directory is the one the trial's retry uses
# (the trial writes a file when it gets SIGTERM; that file must not exist).
# It records nothing, says the trial was taken over, and goes on (here the study is
# done, so it exits 0). Two ways storage tells it:
#   silent: the trial prints nothing (it hangs); the worker's heartbeat is refused;
#   chatty: the trial prints a metric line per step; its report is refused (this
#           worker's heartbeat interval is a minute: the report comes first).
# Before the change, the late worker waited for its trial to end: an hour for the silent
# one, ten seconds more for the chatty one, whose every step then reached the log; and
# before the SIGKILL, the stopped trial got SIGTERM and 5 s to save into the retry's
# checkpoint directory.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stale_worker_lib.sh"

config() { # NAME COMMAND HEARTBEAT_INTERVAL HEARTBEAT_GRACE
    cat <<EOF2
study: $1
storage: sqlite:$1.db
metric: score
n_trials: 2
parallel: 1
retries: 1
command: $2
heartbeat_interval: $3
heartbeat_grace: $4
parameters:
  x: {low: 0.0, high: 6.0}
EOF2
}

# case_of NAME LATE_COMMAND LATE_HEARTBEAT_INTERVAL PATTERN (of its trial's command line)
case_of() {
    local name=$1
    config "$name" "$2" "$3" 3600 > "$name-late.yaml"
    config "$name" "$TRAIN --x {x} --steps 4 --sleep 0.1" 0.1 0.5 > "$name-taker.yaml"
    start_late_worker "$name-late.yaml" "$name-late" "$name.db" 1 \
        "$name: the late worker runs a trial"
    sleep 0.5 # the trial prints its first lines
    kill -STOP "$late"
    sleep 1 # its last heartbeat is now older than the other worker's grace
    "$HPSEARCH" run "$name-taker.yaml" --no-progress -q > "$name-taker.out" 2> "$name-taker.err"
    expect_eq "$name: the other worker finishes the study" 0 $?
    kill -CONT "$late"
    # it stops its trial within a heartbeat interval and the kill grace; a worker that
    # waits for its trial instead is given 30 s, then stopped
    end_late_worker "$name: the late worker still waits for its taken-over trial after 30 s" \
        "$name: the late worker goes on and ends well"
    expect_contains "$name: it says the trial was taken over and stopped" \
        "hpsearch: warning: trial 0: taken over while it ran: trial 0 is FAIL, not RUNNING" \
        "$(cat "$name-late.err")"
    expect_contains "$name: and that nothing of its run was recorded" \
        "its process was stopped and nothing of this run was recorded" "$(cat "$name-late.err")"
    expect_eq "$name: its trial's process is gone" "" \
        "$(pgrep -f -- "$TAG --x .* $4" || true)"
    expect_eq "$name: its trial got no SIGTERM (it would have saved a checkpoint)" "no" \
        "$([ -e "$name-sigterm" ] && echo yes || echo no)"
    expect_eq "$name: trial 0 stays failed as interrupted, for its silence" "4|1" \
        "$(sql "$name.db" "SELECT state, interrupted FROM trials WHERE number = 0")"
    expect_eq "$name: the study ends with n_trials COMPLETE, nothing RUNNING or WAITING" "2|0" \
        "$(sql "$name.db" "SELECT sum(state = 2), sum(state IN (0, 1)) FROM trials")"
}

case_of silent "$TRAIN --x {x} --term-file $PWD/silent-sigterm --hang" 0.1 --hang
case_of chatty "$TRAIN --x {x} --term-file $PWD/chatty-sigterm --steps 100 --sleep 0.1" 60 \
    "--steps 100"
log=hpsearch-logs/chatty/trial-00000.log
expect_contains "chatty: its trial reported steps" "step=1 " "$(cat "$log")"
expect_eq "chatty: and was stopped before its last step" "" "$(grep 'step=99 ' "$log")"
finish
