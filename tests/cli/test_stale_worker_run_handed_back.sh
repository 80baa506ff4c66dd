#!/usr/bin/env bash
# A worker that wakes up (it was frozen with SIGSTOP) to find its trials recovered as
# stale must not start the trial that re-runs one of their runs -- in a grid, the run of
# a grid cell an interrupted trial freed, in the same checkpoint directory -- in a free
# slot while the old trial's process still runs there. The old trial here saves for two seconds when it gets SIGTERM (as a
# trainer that checkpoints on preemption); each trial, as it starts, notes whether the
# process that last started in its checkpoint directory is still alive.
# The worker's heartbeat interval is a minute: it has not yet heard from storage that
# its trials are not its own when a free slot is given the re-run of trial 0's cell,
# so only the new trial's run (its hps_trial_run_key, which keys the checkpoint
# directory) tells it. Before the change the re-run started beside the old process
# every time (with a short interval, whenever the heartbeat thread was not first), and
# the old process, when stopped, saved into the re-run's directory.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"
source "$(dirname "$0")/stale_worker_lib.sh"

cat > trial.sh <<'EOF2'
d=$HPSEARCH_CHECKPOINT_DIR
if [ -e "$d/pid" ]; then
    st=$(ps -o stat= -p "$(cat "$d/pid")" 2>/dev/null)
    case "$st" in
    "" | Z*) ;;
    *) echo "trial $HPSEARCH_TRIAL_NUMBER started beside pid $(cat "$d/pid")" >> "$1/overlap" ;;
    esac
fi
echo $$ > "$d/pid"
if [ "$HPSEARCH_TRIAL_NUMBER" -lt 2 ]; then
    trap 'sleep 2; echo saved > "$d/saved"; exit 0' TERM
    sleep 3600 &
    wait
    exit 0
fi
sleep 0.5
echo "score=1"
EOF2

cat > late.yaml <<EOF2
study: handed
storage: sqlite:handed.db
metric: score
sampler: grid
parallel: 3
shell: true
command: sh $PWD/trial.sh $PWD
heartbeat_interval: 60
heartbeat_grace: 3600
parameters:
  x: {values: [1, 2, 3, 4, 5]}
EOF2

start_late_worker late.yaml late handed.db 3 "the worker runs three trials"
kill -STOP "$late"
sleep 1 # its heartbeat is older than the recovering process's grace; trial 2 has ended
hps_py "$PWD/handed.db" <<'EOF2'
import sys
import hpsearch
storage = hpsearch.storages.RDBStorage("sqlite:///" + sys.argv[1], grace_period=0.5)
study = hpsearch.load_study(study_name="handed", storage=storage)
hpsearch.storages.fail_stale_trials(study)
EOF2
expect_eq "its trials were recovered: failed as interrupted" "3" \
    "$(sql handed.db "SELECT count(*) FROM trials WHERE state = 4 AND interrupted = 1")"
kill -CONT "$late"
end_late_worker "the worker still runs after 30 s" "the worker ends well"
expect_eq "no trial started beside a live process in its checkpoint directory" "" \
    "$(cat overlap 2>/dev/null)"
expect_eq "the old trial saved nothing into the retry's directory" "" \
    "$(cat hpsearch-logs/handed/checkpoints/*/*/saved 2>/dev/null)"
expect_contains "the worker says trial 0 was taken over" "trial 0: taken over while it ran" \
    "$(cat late.err)"
expect_eq "every cell of the grid was run to the end" 5 \
    "$(sql handed.db "SELECT count(*) FROM trials WHERE state = 2")"
finish
