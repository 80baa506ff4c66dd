#!/usr/bin/env bash
# A resumed trial whose worker dies on every resume (a trainer that brings its worker
# down each time) goes back to PAUSED after the first death -- stopping a run must not
# lose a trial's slices -- but not forever: with retries 0 the second death fails it,
# saying why, and the next run neither resumes it nor queues it again.
. "$(dirname "$0")/lib.sh"

# A trainer that keeps the checkpoint contract on its first slice and, once resumed,
# notes it and hangs until the test kills its worker (and it).
cat > dies.py <<'PYEOF'
import os, sys, time
x = float(sys.argv[1])
if os.environ.get("HPSEARCH_RESUME_STEP") is not None:
    with open("resumes.log", "a") as f:
        f.write(f"{os.environ['HPSEARCH_TRIAL_NUMBER']} {os.getpid()}\n")
    time.sleep(300)
for step in range(int(os.environ["HPSEARCH_MAX_STEP"]) + 1):
    print(f"step={step} score={-(x - 3) ** 2 + step}", flush=True)
PYEOF
write_config dies.yaml <<EOF2
study: dies
storage: sqlite:dies.db
direction: maximize
metric: score
sampler: random
seed: 4
n_trials: 2
pruner: {name: asha, mode: promotion, reduction_factor: 2, min_resource: 1, max_resource: 4}
command: $PY dies.py {x} --tag $TAG
parameters:
  x: {type: float, low: 0, high: 6}
EOF2

# run_until_resumed N: runs hpsearch until the N-th resume is noted, then kills the
# worker and the trainer with SIGKILL, as a trainer that takes its worker down would
run_until_resumed() {
    "$HPSEARCH" run dies.yaml --no-progress > "run$1.out" 2>&1 &
    local pid=$!
    for _ in $(seq 1 600); do
        [ -f resumes.log ] && [ "$(wc -l < resumes.log)" -ge "$1" ] && break
        sleep 0.05
    done
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    kill -9 "$(tail -n 1 resumes.log | cut -d' ' -f2)" 2>/dev/null
}

run_until_resumed 1
best=$(head -n 1 resumes.log | cut -d' ' -f1)
expect_eq "the better of the two trials at rung 1 was resumed" "$best" \
    "$(sql dies.db "SELECT t.number FROM trials t JOIN trial_intermediate i USING (trial_id)
        WHERE i.step = 1 ORDER BY i.value DESC LIMIT 1")"
run_until_resumed 2
expect_eq "after its first worker died it was paused and promoted again" "$best" \
    "$(tail -n 1 resumes.log | cut -d' ' -f1)"
expect_eq "it has been cut short once" "1" \
    "$(sql dies.db "SELECT json_extract(system_attrs, '$.cut_short') FROM trials
        WHERE number = $best")"

timeout 30 "$HPSEARCH" run dies.yaml --no-progress > run3.out 2>&1
expect_eq "the next run resumed it no more" 2 "$(wc -l < resumes.log)"
expect_eq "its second death failed it, as not interrupted" "4|0" \
    "$(sql dies.db "SELECT state, interrupted FROM trials WHERE number = $best")"
expect_contains "saying why" "cut short 2 times in a row" \
    "$(sql dies.db "SELECT json_extract(system_attrs, '$.fail_reason') FROM trials
        WHERE number = $best")"
expect_contains "with the death's own reason" "is gone" \
    "$(sql dies.db "SELECT json_extract(system_attrs, '$.fail_reason') FROM trials
        WHERE number = $best")"
expect_eq "nothing queued again" 2 "$(sql dies.db "SELECT count(*) FROM trials")"
finish
