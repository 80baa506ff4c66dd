#!/usr/bin/env bash
# Trials see a Python script's output as it is printed: hpsearch gives trials
# PYTHONUNBUFFERED=1 (unless the user's environment sets PYTHONUNBUFFERED), so the
# pruner acts on metric lines printed without flush=True while the script still runs.
# Checked on what was recorded (the intermediate values, the state), not on time.
source "$(dirname "$0")/lib.sh"
unset PYTHONUNBUFFERED

# Prints two losses without flushing, then would sleep for minutes before its last.
write_config slow.py <<'EOF2'
import os, sys, time
print("PYTHONUNBUFFERED is", repr(os.environ.get("PYTHONUNBUFFERED")))
for step, loss in enumerate([5.0, 6.0]):
    print(f"step={step} loss={loss}")
time.sleep(float(sys.argv[1]))
print("step=2 loss=0.5")
EOF2
# The threshold pruner stops a trial whose loss is above 4 from step 1 on; a script
# whose lines stayed in its buffer would instead run into the timeout with no values.
write_config slow.yaml <<EOF2
study: slow
storage: sqlite:s.db
metric: loss
trial_timeout: 60
pruner: {name: threshold, upper: 4.0, n_warmup_steps: 1}
command: $PY slow.py 300
parameters: {x: 1}
EOF2
out=$("$HPSEARCH" run slow.yaml -n 1 --no-progress 2>&1)
result=$("$PY" -c "
import json, sys
t = json.load(sys.stdin)[0]
print(t['state'], t['intermediate_values'])" <<< "$("$HPSEARCH" trials slow.yaml --format json)")
expect_eq "pruned on the two lines printed before the sleep" \
    "PRUNED {'0': 5.0, '1': 6.0}" "$result"
expect_contains "the trial had PYTHONUNBUFFERED=1" "PYTHONUNBUFFERED is '1'" \
    "$(cat hpsearch-logs/slow/trial-00000.log)"

# A PYTHONUNBUFFERED of the user's own, even an empty one, is left as it is.
sed -i "s|^command: .*|command: $PY slow.py 0|; s|^study: slow|study: own|; /^pruner:/d" slow.yaml
out=$(PYTHONUNBUFFERED= "$HPSEARCH" run slow.yaml -n 1 --no-progress 2>&1)
expect_eq "own setting: exit 0" 0 $?
expect_contains "the user's empty PYTHONUNBUFFERED reached the trial" "PYTHONUNBUFFERED is ''" \
    "$(cat hpsearch-logs/own/trial-00000.log)"
finish
