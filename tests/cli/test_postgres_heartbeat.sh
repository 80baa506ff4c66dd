#!/usr/bin/env bash
# Stale-trial recovery as it happens across machines: a worker that stops answering
# (frozen with SIGSTOP: its process still exists, so only its silent heartbeat can tell)
# has its RUNNING trials failed as interrupted by the other worker once heartbeat_grace
# passes; they are re-queued with their parameters and re-run there; the study still
# ends with exactly n_trials COMPLETE.
source "$(dirname "$0")/lib.sh"
source "$HPS_SOURCE_DIR/tests/cli/pg_lib.sh"

write_config beat.yaml <<EOF2
study: beat
storage: $PG_URL
metric: score
n_trials: 10
parallel: 2
retries: 1
heartbeat_interval: 0.3
heartbeat_grace: 2
command: $TRAIN --x {x} --steps 3 --sleep 0.3
parameters:
  x: {low: 0.0, high: 6.0}
EOF2

running_of() { # running_of PID: RUNNING trials of that worker process
    pg "SELECT count(*) FROM hps_trials WHERE state = 1 AND worker LIKE '%:$1:%'"
}

"$HPSEARCH" run beat.yaml --no-progress -q > frozen.out 2>&1 &
frozen=$!
for _ in $(seq 1 100); do
    [ "$(running_of $frozen)" -ge 1 ] && break
    sleep 0.05
done
kill -STOP "$frozen"
held=$(running_of $frozen)
[ "$held" -ge 1 ] && ok "the frozen worker holds $held RUNNING trial(s)" || fail "nothing RUNNING to freeze"

"$HPSEARCH" run beat.yaml --no-progress -q > live.out 2>&1
expect_eq "the live worker finishes the study" 0 $?
kill -KILL "$frozen"
wait "$frozen" 2> /dev/null

expect_eq "exactly n_trials COMPLETE" 10 "$(pg "SELECT count(*) FROM hps_trials WHERE state = 2")"
expect_eq "nothing left RUNNING or WAITING" 0 "$(pg "SELECT count(*) FROM hps_trials WHERE state IN (0, 1)")"
expect_eq "the frozen worker's trials failed as interrupted" "$held" \
    "$(pg "SELECT count(*) FROM hps_trials WHERE state = 4 AND interrupted AND worker LIKE '%:$frozen:%'")"
reason=$(pg "SELECT system_attrs FROM hps_trials WHERE state = 4 AND worker LIKE '%:$frozen:%' LIMIT 1")
expect_contains "failed for its silence, not its death" "no heartbeat from worker" "$reason"
retry_join="FROM hps_trials r JOIN hps_trials o ON o.number = (r.system_attrs::json ->> 'retry_of')::bigint
            WHERE o.worker LIKE '%:$frozen:%'"
expect_eq "each re-run, and COMPLETE" "$held" "$(pg "SELECT count(*) $retry_join AND r.state = 2")"
# (a trial frozen before its parameters were stored is re-run with fresh ones)
expect_eq "re-runs keep the parameters the frozen trials had" 0 \
    "$(pg "SELECT count(*) $retry_join AND EXISTS (SELECT 1 FROM hps_trial_params rp
             JOIN hps_trial_params op ON op.name = rp.name AND op.value <> rp.value
             WHERE rp.trial_id = r.trial_id AND op.trial_id = o.trial_id)")"
pg_drop_schema
finish
