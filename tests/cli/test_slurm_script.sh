#!/usr/bin/env bash
# `hpsearch slurm` without a cluster: the sbatch script it writes (a job array of
# `hpsearch run` workers, GPUs asked of Slurm per task, logs per task, run options passed
# through, safe quoting), that it takes a journal storage, and what it refuses: SQLite
# and in-memory storages, a config that picks GPUs itself, bad flags.
source "$(dirname "$0")/lib.sh"

write_config "my dir.yaml" <<EOF2
study: it's-shared
storage: postgresql://worker@db.example:5432/tune
metric: score
n_trials: 40
parallel: 2
command: $TRAIN --x {x}
parameters:
  x: {low: 0.0, high: 1.0}
EOF2

out=$("$HPSEARCH" slurm "my dir.yaml" --workers 8 --gpus-per-worker 1 --cpus-per-worker 4 \
    --partition gpu --time 4:00:00 --sbatch=--account=ml -o - -- -j 2 --set 'seed=7' 2> err.txt)
expect_eq "exit 0" 0 $?
expect_eq "nothing on stderr" "" "$(cat err.txt)"
expect_contains "a job array of 8 tasks" "#SBATCH --array=0-7" "$out"
expect_contains "one task each" "#SBATCH --ntasks=1" "$out"
expect_contains "GPUs per task" "#SBATCH --gpus-per-task=1" "$out"
expect_contains "CPUs per task" "#SBATCH --cpus-per-task=4" "$out"
expect_contains "partition" "#SBATCH --partition=gpu" "$out"
expect_contains "time limit" "#SBATCH --time=4:00:00" "$out"
expect_contains "extra option" "#SBATCH --account=ml" "$out"
expect_contains "job name" "#SBATCH --job-name=hpsearch-it_s-shared" "$out"
expect_contains "a log per task" "#SBATCH --output=$WORK/hpsearch-logs/it's-shared/slurm-%A_%a.out" "$out"
expect_contains "runs the config with this hpsearch" "'$HPSEARCH' run '$WORK/my dir.yaml' --no-progress" "$out"
expect_contains "slots share the task's GPUs" "--no-progress --gpus all" "$out"
expect_contains "run options passed on, quoted" "'-j' '2' '--set' 'seed=7'" "$out"
expect_contains "in the config's directory" "cd '$WORK'" "$out"
case "$out" in *worker@db.example*) fail "the storage URL leaked into the script" ;; *) ok "storage stays in the config" ;; esac
[ -d "$WORK/hpsearch-logs/it's-shared" ] && ok "log directory created" || fail "no log directory"
# the script is valid shell and its directives come before any command
printf '%s\n' "$out" > check.sh
bash -n check.sh && ok "script parses" || fail "script does not parse"
first_cmd=$(grep -n -v '^#' check.sh | head -1 | cut -d: -f1)
last_directive=$(grep -n '^#SBATCH' check.sh | tail -1 | cut -d: -f1)
[ "$last_directive" -lt "$first_cmd" ] && ok "directives first" || fail "an #SBATCH line follows a command"

# default file next to the config; one trial slot at a time sees all of the task's GPUs
out=$("$HPSEARCH" slurm "my dir.yaml" --workers 2 --gpus-per-worker 2 -- -j 1 2>&1)
expect_eq "default output exit 0" 0 $?
expect_contains "says where" "wrote $WORK/it's-shared.sbatch" "$out"
expect_contains "says how to submit" "sbatch $WORK/it's-shared.sbatch" "$out"
[ -x "$WORK/it's-shared.sbatch" ] && ok "script written, executable" || fail "no script file"
expect_contains "two GPUs" "#SBATCH --gpus-per-task=2" "$(cat "$WORK/it's-shared.sbatch")"
# the tasks start where the config runs its trials (`workdir`)
mkdir code
sed 's/^parallel: 2/workdir: code/' "my dir.yaml" > wd.yaml
out=$("$HPSEARCH" slurm wd.yaml --workers 2 -o - 2>&1)
expect_contains "in the config's workdir" "cd '$WORK/code'" "$out"
# no --gpus-per-worker: no GPU request and no --gpus
out=$("$HPSEARCH" slurm "my dir.yaml" --workers 3 -o - 2>&1)
case "$out" in *--gpus*) fail "GPU lines without --gpus-per-worker: $out" ;; *) ok "no GPU lines" ;; esac

# refusals
write_config sq.yaml <<EOF2
storage: sqlite:shared.db
metric: score
command: $TRAIN --x {x}
parameters:
  x: {low: 0.0, high: 1.0}
EOF2
out=$("$HPSEARCH" slurm sq.yaml --workers 2 -o - 2>&1)
expect_eq "sqlite refused" 2 $?
expect_contains "says why" "cannot share one safely" "$out"
expect_contains "says what to do" "--allow-sqlite" "$out"
expect_contains "names the journal" "journal:PATH" "$out"
out=$("$HPSEARCH" slurm sq.yaml --workers 2 --allow-sqlite -o - 2>&1)
expect_eq "sqlite allowed on request" 0 $?
# a journal on the shared filesystem is made for this: accepted without a flag
sed 's/^storage:.*/storage: journal:shared.journal/' sq.yaml > jr.yaml
out=$("$HPSEARCH" slurm jr.yaml --workers 4 -o - 2>&1)
expect_eq "journal accepted across nodes" 0 $?
expect_contains "journal: a job array" "#SBATCH --array=0-3" "$out"
# one run drives a population: an array of several PBT workers is refused, one is not
cat jr.yaml - > pbt.yaml <<EOF2
pbt: {population: 4, interval: 2}
fidelity: steps
EOF2
sed -i 's/^command:.*/command: $TRAIN --x {x} --steps {steps}/; s/^  x:.*/&\n  steps: {type: int, low: 1, high: 6}/' pbt.yaml
out=$("$HPSEARCH" slurm pbt.yaml --workers 2 -o - 2>&1)
expect_eq "pbt with several workers refused" 2 $?
expect_contains "says why" "pbt.yaml: pbt: one hpsearch run drives a population" "$out"
out=$("$HPSEARCH" slurm pbt.yaml --workers 1 -o - 2>&1)
expect_eq "pbt with one worker accepted" 0 $?
sed 's/^storage:.*/storage: ":memory:"/' sq.yaml > mem.yaml
out=$("$HPSEARCH" slurm mem.yaml --workers 2 --allow-sqlite -o - 2>&1)
expect_eq "memory refused" 2 $?
expect_contains "private study" "private study" "$out"
cp "my dir.yaml" all.yaml
printf 'gpus: all\n' >> all.yaml
out=$("$HPSEARCH" slurm all.yaml --workers 2 --gpus-per-worker 2 -o - 2>&1)
expect_eq "config gpus: all with --gpus-per-worker: Slurm's GPUs" "0 no" \
    "$? $(case "$out" in *"--gpus all"*) echo yes ;; *) echo no ;; esac)"
printf 'gpus: [0, 1]\n' >> "my dir.yaml"
out=$("$HPSEARCH" slurm "my dir.yaml" --workers 2 --gpus-per-worker 1 -o - 2>&1)
expect_eq "config gpus with --gpus-per-worker refused" 2 $?
expect_contains "explains" "Slurm chooses each task's GPUs" "$out"
for bad in "--workers 0" "--workers x" "--gpus-per-worker -1" "--partition a;b" "--time 1h" "--sbatch=oops" "--bogus"; do
    # shellcheck disable=SC2086
    out=$("$HPSEARCH" slurm sq.yaml --allow-sqlite $bad -o - 2>&1)
    expect_eq "refuses $bad" 2 $?
done
out=$("$HPSEARCH" slurm sq.yaml --allow-sqlite 2>&1)
expect_eq "needs --workers" 2 $?
out=$("$HPSEARCH" slurm --workers 2 2>&1)
expect_eq "needs a config" 2 $?
out=$("$HPSEARCH" slurm sq.yaml --workers 2 --allow-sqlite --submit -o - 2>&1)
expect_eq "--submit needs a file" 2 $?
out=$("$HPSEARCH" slurm --help 2>&1)
expect_eq "help exit 0" 0 $?
expect_contains "help text" "--gpus-per-worker" "$out"

# --requeue: Slurm's requeue, a time-limit warning (USR1, to the batch shell alone) in
# time for preempt_grace, the task log kept across restarts. The script is run here as
# Slurm would run it, with a stand-in scontrol: USR1 stops hpsearch as a preemption
# (trial queued again) and requeues the task; the task's next start continues the trial
# from its checkpoint. A SIGTERM alone (scancel) stops it without requeueing.
write_config rq.yaml <<EOF2
study: rq
storage: sqlite:rq.db
metric: score
direction: maximize
n_trials: 1
preempt_grace: 40
command: $TRAIN --x {x} --steps 12 --sleep 0.1 --checkpoint --graceful
parameters:
  x: {low: 0.0, high: 1.0}
EOF2
out=$("$HPSEARCH" slurm rq.yaml --workers 1 --requeue --allow-sqlite -o - 2>&1)
expect_eq "--requeue exit 0" 0 $?
expect_contains "asks Slurm to requeue" "#SBATCH --requeue" "$out"
expect_contains "warning preempt_grace + 30 s before the time limit, to the shell" \
    "#SBATCH --signal=B:USR1@70" "$out"
expect_contains "a requeued task's log goes on" "#SBATCH --open-mode=append" "$out"
expect_contains "requeues itself after the warning" 'scontrol requeue "$SLURM_JOB_ID"' "$out"
sed 's/^preempt_grace: 40/preempt_grace: 1d/' rq.yaml > long.yaml
out2=$("$HPSEARCH" slurm long.yaml --workers 1 --requeue --allow-sqlite -o - 2>&1)
expect_eq "--requeue with a grace longer than Slurm's warning: refused" 2 $?
expect_contains "names the key and the limit" "long.yaml: preempt_grace (86400s) is too long for --requeue" "$out2"
printf '%s\n' "$out" > rq.sh
bash -n rq.sh && ok "--requeue script parses" || fail "--requeue script does not parse"
case "$(printf '%s\n' "$out" | grep -v '^#')" in
*"exec "*) fail "--requeue: hpsearch must not replace the shell that requeues" ;;
*) ok "--requeue: the shell stays to requeue" ;;
esac
mkdir bin
printf '#!/bin/sh\necho "$@" >> %s/scontrol.calls\n' "$WORK" > bin/scontrol
chmod +x bin/scontrol
# start_task SCRIPT STUDY -- runs SCRIPT as Slurm's batch shell; waits for 3 steps of
# the study's trial
start_task() {
    SLURM_JOB_ID=4242 PATH="$WORK/bin:$PATH" bash "$1" > "$1.out" 2>&1 &
    task=$!
    for _ in $(seq 1 300); do
        [ "$(sql rq.db "SELECT COUNT(*) FROM trial_intermediate JOIN trials USING (trial_id)
            JOIN studies s USING (study_id) WHERE s.name = '$2'" 2>/dev/null || echo 0)" -ge 3 ] &&
            break
        sleep 0.05
    done
}
start_task rq.sh rq
kill -USR1 "$task"
wait "$task"
expect_eq "time-limit warning: the task ends as preempted (143)" 143 $?
expect_eq "and requeues itself" "requeue 4242" "$(cat scontrol.calls 2>/dev/null)"
expect_eq "its trial is interrupted and queued again" "0|4|1 1|0|0" \
    "$(sql rq.db 'SELECT number, state, interrupted FROM trials ORDER BY number' | xargs)"
SLURM_JOB_ID=4242 PATH="$WORK/bin:$PATH" bash rq.sh > rq2.out 2>&1
expect_eq "the requeued task finishes the study" 0 $?
expect_eq "by continuing the trial" "0|4 1|2" \
    "$(sql rq.db 'SELECT number, state FROM trials ORDER BY number' | xargs)"
expect_contains "from its checkpoint" "resumed at step" "$(cat hpsearch-logs/rq/trial-00001.log)"
expect_eq "requeued once only" 1 "$(wc -l < scontrol.calls)"
"$HPSEARCH" slurm rq.yaml --workers 1 --requeue --allow-sqlite -o term.sh -- --set study=rq-term \
    2> /dev/null
start_task term.sh rq-term
kill -TERM "$task"
wait "$task"
expect_eq "SIGTERM to the shell: hpsearch preempted (143)" 143 $?
expect_eq "SIGTERM (scancel): no requeue" 1 "$(wc -l < scontrol.calls)"
expect_eq "SIGTERM: the trial is queued again all the same" "0|4|1 1|0|0" \
    "$(sql rq.db "SELECT t.number, t.state, t.interrupted FROM trials t JOIN studies s
        USING (study_id) WHERE s.name = 'rq-term' ORDER BY t.number" | xargs)"
finish
