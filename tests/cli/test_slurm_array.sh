#!/usr/bin/env bash
# A real single-node Slurm cluster (scripts/slurm-test-cluster.sh) runs the job array
# `hpsearch slurm --submit` writes: two tasks, one GPU each, on a shared PostgreSQL
# study. Both tasks run trials of it, together exactly n_trials; each trial sees the
# GPU Slurm gave its task (CUDA_VISIBLE_DEVICES set by Slurm, not by hpsearch); each
# task has its own log.
source "$(dirname "$0")/lib.sh"
[ -n "${HPS_TEST_SLURM_CONF:-}" ] ||
    { echo "SKIP: HPS_TEST_SLURM_CONF not set (make test starts a single-node Slurm cluster)"; exit 0; }
source "$HPS_SOURCE_DIR/tests/cli/pg_lib.sh"
export SLURM_CONF="$HPS_TEST_SLURM_CONF"
export PATH="$PATH:/usr/sbin"

write_config array.yaml <<EOF2
study: array
storage: $PG_URL
metric: score
n_trials: 8
parallel: 1
command: $TRAIN --x {x} --steps 2 --sleep 0.4 --dump-env
parameters:
  x: {low: 0.0, high: 6.0}
EOF2

out=$("$HPSEARCH" slurm array.yaml --workers 2 --gpus-per-worker 1 --time 10 --submit 2>&1)
expect_eq "submitted" 0 $?
job=$(printf '%s\n' "$out" | sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p')
[ -n "$job" ] && ok "job $job" || { fail "no job id in: $out"; finish; }

for _ in $(seq 1 600); do
    [ -z "$(squeue -h -j "$job" 2> /dev/null)" ] && break
    sleep 0.2
done
expect_eq "the array finished" "" "$(squeue -h -j "$job" 2> /dev/null)"

logs="$WORK/hpsearch-logs/array"
for task in 0 1; do
    log="$logs/slurm-${job}_$task.out"
    if [ -f "$log" ]; then
        ok "task $task has its log"
        expect_contains "task $task ran the study to its end" "study 'array': 8 trials" "$(cat "$log")"
    else
        fail "no log $log (have: $(ls "$logs" 2> /dev/null | tr '\n' ' '))"
    fi
done

expect_eq "exactly n_trials, all COMPLETE" "8|8|0" \
    "$(pg "SELECT count(*), count(*) FILTER (WHERE state = 2), count(*) FILTER (WHERE state IN (0, 1)) FROM hps_trials")"
expect_eq "numbers unique" "8|0|7" "$(pg "SELECT count(DISTINCT number), min(number), max(number) FROM hps_trials")"
expect_eq "both tasks ran trials" 2 "$(pg "SELECT count(DISTINCT worker) FROM hps_trials")"
# each task's trials saw one GPU, the one Slurm gave that task
gpus=$(cat "$logs"/trial-*.log | sed -n 's/^env CUDA_VISIBLE_DEVICES=//p' | sort -u | tr '\n' ' ')
expect_eq "trials saw the GPUs Slurm assigned" "0 1 " "$gpus"
pg_drop_schema
finish
