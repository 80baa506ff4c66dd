#!/usr/bin/env bash
# A worker whose trial is recovered as stale while the trial still runs -- its heartbeats
# do not get through in time (here: it is frozen with SIGSTOP, and the other worker's
# grace is half a second) -- finds, when it wakes, that storage refuses its outcome: the
# trial was failed as interrupted and re-queued, and the other worker ran it. The late
# worker says so and goes on with the study, exiting 0: nothing is wrong with the study,
# only its run of that trial came too late. The study keeps the other worker's results.
# Freezing the late worker makes the order certain however slow the machine is (an
# ASan build, a loaded CI box): it cannot record its trial before the other takes it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/stale_worker_lib.sh"

common() {
    cat <<EOF2
study: stale
storage: sqlite:stale.db
metric: score
n_trials: 2
parallel: 1
retries: 1
command: $TRAIN --x {x} --steps 4 --sleep 0.5
parameters:
  x: {low: 0.0, high: 6.0}
EOF2
}
{ common; echo "heartbeat_interval: 60"; echo "heartbeat_grace: 3600"; } > late.yaml
{ common; echo "heartbeat_interval: 0.1"; echo "heartbeat_grace: 0.5"; } > taker.yaml

start_late_worker late.yaml late stale.db 1 "the late worker runs a trial"
kill -STOP "$late" # frozen: no heartbeat, no outcome, until the other worker is done
sleep 1 # its one heartbeat is now older than the other worker's grace

"$HPSEARCH" run taker.yaml --no-progress -q > taker.out 2> taker.err
expect_eq "the other worker finishes the study" 0 $?
expect_eq "and its results stand: n_trials COMPLETE" "2" \
    "$(sql stale.db "SELECT count(*) FROM trials WHERE state = 2")"
kill -CONT "$late"
end_late_worker "the late worker still runs after 30 s" "the late worker goes on and ends well"
expect_contains "it says its outcome was not recorded" \
    "hpsearch: warning: trial 0: outcome not recorded: trial 0 is FAIL, not RUNNING" \
    "$(cat late.err)"
expect_eq "trial 0 failed as interrupted, for its silence" "4|1" \
    "$(sql stale.db "SELECT state, interrupted FROM trials WHERE number = 0")"
expect_contains "failed for its silence" "no heartbeat from worker" \
    "$(sql stale.db "SELECT system_attrs FROM trials WHERE number = 0")"
expect_eq "the study ends with n_trials COMPLETE, nothing RUNNING or WAITING" "2|0" \
    "$(sql stale.db "SELECT sum(state = 2), sum(state IN (0, 1)) FROM trials")"
finish
