#!/usr/bin/env bash
# Faults on PostgreSQL: workers killed with SIGKILL and the server itself crashed and
# restarted mid-run. The surviving workers ride it out (their storage calls reconnect
# and retry), the killed workers' trials are failed as interrupted and their budget
# handed back, and at the end every trial that had finished is still there with its
# value, the study holds exactly n_trials COMPLETE trials and nothing is left RUNNING.
#
# It crashes the server, so it starts one of its own (scripts/pg-test-server.sh) rather
# than share the suite's: tests running beside it keep theirs.
source "$(dirname "$0")/lib.sh"
[ -n "${HPS_TEST_POSTGRES_URL:-}" ] ||
    { echo "SKIP: HPS_TEST_POSTGRES_URL not set (make test provides PostgreSQL)"; exit 0; }
PG_DIR=$(mktemp -d /tmp/hps-fault-pg.XXXXXX)
stop_server() {
    "$HPS_SOURCE_DIR/scripts/pg-test-server.sh" stop "$PG_DIR" > /dev/null 2>&1
}
# lib.sh's own cleanup, with the server stopped first
trap 'stop_server; if [ "$failures" -eq 0 ] && [ -z "${HPS_KEEP_TMP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
PG_URL=$("$HPS_SOURCE_DIR/scripts/pg-test-server.sh" start "$PG_DIR" 2> pg-start.err) ||
    { cat pg-start.err >&2; fail "cannot start a PostgreSQL server of its own"; finish; }
pg() {
    psql "$PG_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"
}

N=90
write_config fault.yaml <<EOF2
study: fault
storage: $PG_URL
metric: score
n_trials: $N
parallel: 2
heartbeat_interval: 1
heartbeat_grace: 30
command: $TRAIN --x {x} --steps 2 --sleep 0.25
parameters:
  x: {low: 0.0, high: 6.0}
EOF2

complete() {
    pg "SELECT count(*) FROM hps_trials WHERE state = 2" 2> /dev/null || echo 0
}

wait_complete() { # wait_complete COUNT SECONDS
    for _ in $(seq 1 $(($2 * 10))); do
        [ "$(complete)" -ge "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

declare -A pid_of
for w in 1 2 3 4 5 6; do
    "$HPSEARCH" run fault.yaml --no-progress -q > "worker$w.out" 2>&1 &
    pid_of[$w]=$!
done
wait_complete 12 60 && ok "12 trials finished" || fail "trials do not finish"

# two workers die hard, in the middle of their trials
kill -9 "${pid_of[1]}" "${pid_of[2]}"
wait "${pid_of[1]}" 2> /dev/null
expect_eq "worker 1 killed" 137 $?
wait "${pid_of[2]}" 2> /dev/null
expect_eq "worker 2 killed" 137 $?
sleep 0.5
before=$(pg "SELECT number || ' ' || v.value FROM hps_trials t JOIN hps_trial_values v USING (trial_id) WHERE state = 2 ORDER BY number")
n_before=$(printf '%s\n' "$before" | grep -c .)

# the server crashes (no shutdown checkpoint: recovery from the WAL) and comes back
"$HPS_SOURCE_DIR/scripts/pg-test-server.sh" restart "$PG_DIR" immediate
expect_eq "server restarted" 0 $?
after_restart=$(pg "SELECT number || ' ' || v.value FROM hps_trials t JOIN hps_trial_values v USING (trial_id) WHERE state = 2 ORDER BY number")
lost=0
while IFS= read -r line; do
    [ -n "$line" ] || continue
    case "$after_restart" in *"$line"*) ;; *) lost=$((lost + 1)); echo "lost in the crash: $line" >&2 ;; esac
done <<< "$before"
expect_eq "the crash lost none of the $n_before finished trials" 0 "$lost"

wait_complete $((n_before + 6)) 60 && ok "work goes on after the restart" || fail "no progress after the restart"
# replacements for the dead workers (they fail the orphans at once: same host)
for w in 7 8; do
    "$HPSEARCH" run fault.yaml --no-progress -q > "worker$w.out" 2>&1 &
    pid_of[$w]=$!
done
for w in 3 4 5 6 7 8; do
    wait "${pid_of[$w]}"
    status=$?
    expect_eq "worker $w exit 0" 0 "$status"
    [ "$status" -eq 0 ] || tail -5 "worker$w.out" >&2
done

final=$(pg "SELECT number || ' ' || v.value FROM hps_trials t JOIN hps_trial_values v USING (trial_id) WHERE state = 2 ORDER BY number")
lost=0
while IFS= read -r line; do
    [ -n "$line" ] || continue
    case "$final" in *"$line"*) ;; *) lost=$((lost + 1)); echo "lost: $line" >&2 ;; esac
done <<< "$before"
expect_eq "every trial finished before the faults is kept, same value" 0 "$lost"
expect_eq "exactly n_trials COMPLETE" "$N" "$(complete)"
expect_eq "nothing RUNNING or WAITING" 0 "$(pg "SELECT count(*) FROM hps_trials WHERE state IN (0, 1)")"
total=$(pg "SELECT count(*) FROM hps_trials")
expect_eq "numbers unique and dense" "$total|$total|0|$((total - 1))" \
    "$(pg "SELECT count(*), count(DISTINCT number), min(number), max(number) FROM hps_trials")"
orphans=$(pg "SELECT count(*) FROM hps_trials WHERE state = 4 AND interrupted")
[ "$orphans" -ge 2 ] && ok "$orphans orphaned trials failed as interrupted" || fail "only $orphans orphans recovered"
expect_eq "no other failure" 0 "$(pg "SELECT count(*) FROM hps_trials WHERE state IN (3, 4) AND NOT interrupted")"
expect_eq "budget: interrupted ones handed back" "$N" "$(pg "SELECT n_counted FROM hps_studies")"
reason=$(pg "SELECT system_attrs FROM hps_trials WHERE state = 4 LIMIT 1")
expect_contains "the reason names the dead worker" "is gone" "$reason"
sleep 0.3
if pgrep -f "$TAG" > /dev/null; then fail "trainer processes survived"; else ok "no orphaned trainers"; fi
finish
