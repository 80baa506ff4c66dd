#!/usr/bin/env bash
# Ctrl-C (SIGINT) stops cleanly: running trials are killed with their process group and
# recorded FAIL as interrupted (none left RUNNING), exit status 130; the next run
# re-runs the interrupted grid cells.
source "$(dirname "$0")/lib.sh"

write_config grid.yaml <<EOF2
study: ctrlc
storage: sqlite:ctrlc.db
direction: maximize
metric: score
sampler: grid
parallel: 2
command: $TRAIN --x {x} --steps 10 --sleep 0.1
parameters:
  x: {values: [1, 2, 3, 4]}
EOF2

"$HPSEARCH" run grid.yaml --no-progress > run1.out 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    [ "$(sql ctrlc.db 'SELECT COUNT(*) FROM trial_intermediate' 2>/dev/null || echo 0)" -ge 2 ] && break
    sleep 0.05
done
kill -INT "$pid"
wait "$pid"
expect_eq "exit status 130" 130 $?
expect_contains "says it is stopping" "stopping" "$(cat run1.out)"
expect_eq "nothing RUNNING" 0 "$(sql ctrlc.db 'SELECT COUNT(*) FROM trials WHERE state = 1')"
expect_eq "two interrupted" 2 "$(sql ctrlc.db 'SELECT COUNT(*) FROM trials WHERE state = 4 AND interrupted = 1')"
if pgrep -f "$TAG" > /dev/null; then fail "trainers survived Ctrl-C"; else ok "trainers ended"; fi

"$HPSEARCH" run grid.yaml --no-progress -q > run2.out 2>&1
expect_eq "second run exit 0" 0 $?
expect_eq "4 cells complete" 4 "$(sql ctrlc.db 'SELECT COUNT(*) FROM trials WHERE state = 2')"
expect_eq "each x once" 4 "$(sql ctrlc.db "SELECT COUNT(DISTINCT p.value) FROM trial_params p JOIN trials t USING (trial_id) WHERE t.state = 2")"
finish
