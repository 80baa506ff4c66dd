#!/usr/bin/env bash
# SIGTERM (a scheduler preempting the worker) gives running trials preempt_grace to save
# a checkpoint; they are recorded as interrupted and queued again with the same
# parameters, so the next workers of the study (here two other processes) continue each
# from its checkpoint instead of from step 0, within the study's budget. Counted in
# steps, never timed: with the grace no step runs twice; without it (preempt_grace: 0,
# SIGKILL at once) at most the one in progress does. Ctrl-C queues nothing.
source "$(dirname "$0")/lib.sh"

# Steps per trainer in the first part: enough that both trainers are still mid-run when
# the SIGTERM lands, however late a loaded machine (the sanitizer run) records the third
# step (with 12, one CI run preempted trainers that had already finished, and their
# resumed copies had no step left to run).
STEPS=30

write_config pre.yaml <<EOF2
study: pre
storage: sqlite:pre.db
direction: maximize
metric: score
sampler: random
n_trials: 2
parallel: 2
command: $TRAIN --x {x} --steps $STEPS --sleep 0.1 --checkpoint --graceful
parameters:
  x: {low: 0.0, high: 1.0}
EOF2

# wait_steps DB N K -- until N trials have each reported at least K steps
wait_steps() {
    for _ in $(seq 1 300); do
        [ "$(sql "$1" "SELECT COUNT(*) FROM (SELECT trial_id FROM trial_intermediate
            GROUP BY trial_id HAVING COUNT(*) >= $3)" 2>/dev/null || echo 0)" -ge "$2" ] && return
        sleep 0.05
    done
}
# steps_of LOG -- the steps a trial's log printed, one line
steps_of() { sed -n 's/^step=\([0-9]*\) .*/\1/p' "$1" | xargs; }
# x_of DB NUMBER -- trial NUMBER's parameter x
x_of() { sql "$1" "SELECT p.value FROM trial_params p JOIN trials t USING (trial_id)
    WHERE t.number = $2"; }

"$HPSEARCH" run pre.yaml --no-progress > run1.out 2>&1 &
pid=$!
wait_steps pre.db 2 3
kill -TERM "$pid"
wait "$pid"
expect_eq "exit status 143 (SIGTERM)" 143 $?
expect_contains "says the trials get the grace" "get 25s to save a checkpoint (preempt_grace)" \
    "$(cat run1.out)"
expect_eq "nothing RUNNING" 0 "$(sql pre.db 'SELECT COUNT(*) FROM trials WHERE state = 1')"
expect_eq "both recorded interrupted" "0|4|1 1|4|1" \
    "$(sql pre.db 'SELECT number, state, interrupted FROM trials WHERE number < 2 ORDER BY number' | xargs)"
expect_contains "the reason names the signal" "got SIGTERM (preempted)" \
    "$(sql pre.db 'SELECT system_attrs FROM trials WHERE number = 0')"
expect_eq "both queued again, without retries" "2|0 3|0" \
    "$(sql pre.db 'SELECT number, state FROM trials WHERE number >= 2 ORDER BY number' | xargs)"
for n in 0 1; do
    log=hpsearch-logs/pre/trial-0000$n.log
    expect_contains "trial $n saved at the step it was in (the grace)" "SIGTERM" "$(tail -1 "$log")"
done
if pgrep -f "$TAG" > /dev/null; then fail "trainers survived"; else ok "trainers ended"; fi

# Two other workers take the queued runs over, one each, and continue them.
"$HPSEARCH" run pre.yaml --no-progress -q -j 1 > run2a.out 2>&1 &
a=$!
"$HPSEARCH" run pre.yaml --no-progress -q -j 1 > run2b.out 2>&1
expect_eq "worker b exit 0" 0 $?
wait "$a"
expect_eq "worker a exit 0" 0 $?
case "$(cat run2a.out run2b.out)" in
*"failed trial"*) fail "preempted trials are taken for failures: $(cat run2a.out run2b.out)" ;;
*) ok "preempted trials are not taken for failures" ;;
esac
expect_eq "the budget of 2 holds: two COMPLETE, nothing sampled anew" "2|2 3|2" \
    "$(sql pre.db 'SELECT number, state FROM trials WHERE number >= 2 ORDER BY number' | xargs)"
for copy in 2 3; do
    # the copies are numbered in the order the preempted trials were recorded
    n=$(sql pre.db "SELECT json_extract(system_attrs, '$.retry_of') FROM trials WHERE number = $copy")
    expect_eq "trial $copy has trial $n's parameters" "$(x_of pre.db $n)" "$(x_of pre.db $copy)"
    before=$(steps_of hpsearch-logs/pre/trial-0000$n.log)
    after=$(steps_of hpsearch-logs/pre/trial-0000$copy.log)
    last=${before##* }
    expect_contains "trial $copy resumed after the saved step $last" "resumed at step $((last + 1))" \
        "$(cat hpsearch-logs/pre/trial-0000$copy.log)"
    expect_eq "trial $n + $copy: each of the $STEPS steps ran once" "$(seq 0 $((STEPS - 1)) | xargs)" "$before $after"
done

# preempt_grace 0: SIGKILL at once; the trial loses at most the step it was in.
write_config now.yaml <<EOF2
study: now
storage: sqlite:now.db
metric: score
direction: maximize
n_trials: 1
command: $TRAIN --x {x} --steps 12 --sleep 0.1 --checkpoint --graceful
parameters:
  x: {low: 0.0, high: 1.0}
EOF2
"$HPSEARCH" run now.yaml --no-progress --preempt-grace 0 > now1.out 2>&1 &
pid=$!
wait_steps now.db 1 3
kill -TERM "$pid"
wait "$pid"
expect_eq "grace 0: exit 143" 143 $?
log0=hpsearch-logs/now/trial-00000.log
case "$(cat "$log0")" in
*stopping*) fail "grace 0: the trial was not killed at once: $(tail -1 "$log0")" ;;
*) ok "grace 0: killed at once" ;;
esac
"$HPSEARCH" run now.yaml --no-progress > now2.out 2>&1
expect_contains "grace 0: the interrupted run is not counted as finished" \
    "hpsearch: resuming: 0 trials already finished (and 1 interrupted run, not counted)" \
    "$(cat now2.out)"
expect_eq "grace 0: the resumed run completes" "0|4 1|2" \
    "$(sql now.db 'SELECT number, state FROM trials ORDER BY number' | xargs)"
redone=$(printf '%s\n' $(steps_of "$log0") $(steps_of hpsearch-logs/now/trial-00001.log) |
    sort -n | uniq -d | wc -l)
[ "$redone" -le 1 ] && ok "grace 0: $redone step(s) ran twice (at most 1)" ||
    fail "grace 0: $redone steps ran twice"
expect_eq "grace 0: every step ran" "$(seq 0 11 | xargs)" \
    "$(printf '%s\n' $(steps_of "$log0") $(steps_of hpsearch-logs/now/trial-00001.log) | sort -nu | xargs)"

# Ctrl-C is not a preemption: the trial is interrupted, nothing is queued.
"$HPSEARCH" run now.yaml --no-progress --set study=ctrlc > c1.out 2>&1 &
pid=$!
for _ in $(seq 1 300); do
    [ -s hpsearch-logs/ctrlc/trial-00000.log ] && grep -q "step=1" hpsearch-logs/ctrlc/trial-00000.log && break
    sleep 0.05
done
kill -INT "$pid"
wait "$pid"
expect_eq "Ctrl-C: exit 130" 130 $?
expect_eq "Ctrl-C: interrupted, nothing queued" "0|4|1" \
    "$(sql now.db "SELECT t.number, t.state, t.interrupted FROM trials t JOIN studies s
        USING (study_id) WHERE s.name = 'ctrlc'" | xargs)"
finish
