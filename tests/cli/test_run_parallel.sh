#!/usr/bin/env bash
# A grid run with 3 parallel trials: every cell exactly once, values from the output,
# parameters through the template, the environment and the JSON file; GPUs per slot.
source "$(dirname "$0")/lib.sh"
fake_gpus 3

write_config grid.yaml <<EOF2
study: par
storage: sqlite:study.db
direction: maximize
metric: score
sampler: grid
parallel: 3
gpus: [0, 1, 2]
command: $TRAIN --x {x} --y {y} --sleep 0.05 --dump-env
parameters:
  x: {values: [1, 2, 3, 4]}
  y: {type: float, low: 0.0, high: 2.0, step: 1.0}
EOF2

out=$("$HPSEARCH" run grid.yaml --no-progress 2>&1)
expect_eq "exit status 0" 0 $?
expect_contains "best is x=3 y=1" "best trial" "$out"
expect_contains "best params" "x=3 y=1.0" "$out"

states=$(sql study.db "SELECT state, COUNT(*) FROM trials GROUP BY state")
expect_eq "12 COMPLETE trials" "2|12" "$states"
cells=$(sql study.db "SELECT COUNT(DISTINCT a.value || ',' || b.value) FROM trial_params a JOIN trial_params b ON a.trial_id = b.trial_id AND a.name = 'x' AND b.name = 'y'")
expect_eq "12 distinct cells" 12 "$cells"
numbers=$(sql study.db "SELECT MIN(number), MAX(number), COUNT(DISTINCT number) FROM trials")
expect_eq "numbers dense 0..11" "0|11|12" "$numbers"

# the best trial's stored value is the last printed score: -(3-3)^2 - (1-1)^2 + 2
best=$("$HPSEARCH" best par --storage sqlite:study.db)
expect_contains "best value" "score: 2.0" "$best"

# parameters reached the trial three ways, and each slot had its GPU
log=$(cat hpsearch-logs/par/trial-00000.log)
expect_contains "argv" " --x 1 --y 0.0" "$log"
expect_contains "HPSEARCH_PARAMS" 'HPSEARCH_PARAMS={"x": 1, "y": 0.0}' "$log"
expect_contains "params file" 'params_file {"x": 1, "y": 0.0}' "$log"
expect_contains "trial number" "HPSEARCH_TRIAL_NUMBER=0" "$log"
expect_contains "study name" "HPSEARCH_STUDY=par" "$log"
expect_contains "storage" "HPSEARCH_STORAGE=sqlite:$WORK/study.db" "$log"
gpus=$(cat hpsearch-logs/par/*.log | grep -o 'CUDA_VISIBLE_DEVICES=[0-9]' | sort -u | tr '\n' ' ')
expect_eq "three GPUs used" "CUDA_VISIBLE_DEVICES=0 CUDA_VISIBLE_DEVICES=1 CUDA_VISIBLE_DEVICES=2 " "$gpus"

# intermediate values: one per printed step
inter=$(sql study.db "SELECT COUNT(*) FROM trial_intermediate")
expect_eq "3 intermediate values per trial" 36 "$inter"

# listing formats
csv=$("$HPSEARCH" trials grid.yaml --format csv)
expect_eq "csv rows" 13 "$(printf '%s\n' "$csv" | wc -l)"
expect_contains "csv header" "number,state,value,datetime_start,datetime_complete,duration,params_x,params_y" "$csv"
json=$("$HPSEARCH" trials grid.yaml --format json)
count=$(printf '%s' "$json" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_eq "json parses with 12 trials" 12 "$count"
table=$("$HPSEARCH" trials grid.yaml --state COMPLETE)
expect_contains "table header" "number  state" "$table"
studies=$("$HPSEARCH" studies --storage sqlite:study.db)
expect_contains "studies lists it" "par" "$studies"

# running again resumes a finished grid: nothing new runs
out=$("$HPSEARCH" run grid.yaml --no-progress 2>&1)
expect_eq "rerun exit 0" 0 $?
expect_contains "rerun says resuming" "resuming: 12 trials already finished" "$out"
expect_eq "still 12 trials" 12 "$(sql study.db 'SELECT COUNT(*) FROM trials')"
finish
