#!/usr/bin/env bash
# A finite space is never run twice over: whatever the sampler, each configuration of a
# space whose parameters all take finitely many values runs once (or `repeats` times),
# and then the run stops and says so.
. "$(dirname "$0")/lib.sh"

# distinct_configs DB STUDY -- "total distinct" over the study's non-interrupted trials
distinct_configs() {
    sql "$1" "SELECT COUNT(*), COUNT(DISTINCT cfg) FROM (
                SELECT t.trial_id, GROUP_CONCAT(p.name || '=' || p.value, ',') AS cfg
                FROM trials t JOIN studies s ON s.study_id = t.study_id
                JOIN trial_params p ON p.trial_id = t.trial_id
                WHERE s.name = '$2' AND t.interrupted = 0 GROUP BY t.trial_id)"
}

# ---- the seed article's 18-cell grid with `auto` and no n_trials ------------------------
write_config grid18.yaml <<EOF
study: grid18
storage: sqlite:grid18.db
direction: maximize
metric: score
sampler: auto
parallel: 2
command: $TRAIN --x {lr} --y {hidden_size} --steps {epochs}
parameters:
  lr: {values: [0.001, 0.01, 0.1]}
  hidden_size: {values: [32, 64, 128]}
  epochs: {values: [5, 10]}
EOF
out=$("$HPSEARCH" run grid18.yaml --no-progress 2>&1)
expect_eq "auto on the 18-cell grid without n_trials exits 0" 0 $?
expect_contains "auto chose the grid without a budget" "auto chose grid" "$out"
expect_eq "18 trials, 18 distinct configurations" "18|18" "$(distinct_configs grid18.db grid18)"
expect_contains "the run says why it stopped" "all 18 cells of the grid have run" "$out"
expect_contains "no warning about running forever" "study 'grid18': 18 trials" "$out"
case "$out" in *"run until you stop them"*) fail "warned that a finite grid runs forever" ;; esac
out=$("$HPSEARCH" run grid18.yaml --no-progress 2>&1)
expect_eq "a second run has nothing to do" "18|18" "$(distinct_configs grid18.db grid18)"
expect_contains "and says so" "nothing left to run" "$out"

# ---- every other sampler on a 12-configuration space ------------------------------------
for sampler in random tpe gp cmaes sobol; do
    write_config "f-$sampler.yaml" <<EOF
study: f-$sampler
storage: sqlite:finite.db
direction: maximize
metric: score
sampler: $sampler
seed: 3
n_trials: 40
parallel: 2
command: $TRAIN --x {x} --optimizer {y} --steps 1
parameters:
  x: {type: int, low: 1, high: 4}
  y: {values: [a, b, c]}
EOF
    out=$("$HPSEARCH" run "f-$sampler.yaml" --no-progress 2>&1)
    expect_eq "$sampler: exits 0" 0 $?
    expect_eq "$sampler: 12 trials, each configuration once, within a budget of 40" "12|12" \
        "$(distinct_configs finite.db "f-$sampler")"
    expect_contains "$sampler: says every configuration has run" \
        "all 12 configurations of the search space have run" "$out"
done

# ---- a budget smaller than the space: no duplicate while unseen ones remain ------------
write_config small.yaml <<EOF
study: small
storage: sqlite:small.db
direction: maximize
metric: score
sampler: tpe
seed: 5
n_trials: 6
command: $TRAIN --x {x} --y {y} --steps 1
parameters:
  x: {type: int, low: 1, high: 3}
  y: {type: float, low: 0, high: 1, step: 0.5}
EOF
"$HPSEARCH" run small.yaml --no-progress -q > /dev/null 2>&1
expect_eq "6 of 9 configurations, all distinct" "6|6" "$(distinct_configs small.db small)"

# ---- repeats: N runs of each configuration for a noisy objective ------------------------
write_config rep.yaml <<EOF
study: rep
storage: sqlite:rep.db
direction: maximize
metric: score
sampler: random
repeats: 3
command: $TRAIN --x {x} --steps 1
parameters:
  x: {values: [1, 2]}
EOF
out=$("$HPSEARCH" run rep.yaml --no-progress 2>&1)
expect_eq "repeats: 3 runs each of 2 configurations" "6|2" "$(distinct_configs rep.db rep)"
expect_eq "each configuration 3 times" "3
3" "$(sql rep.db "SELECT COUNT(*) FROM trial_params WHERE name = 'x' GROUP BY value")"
expect_contains "repeats: the stop names them" "have run 3 times" "$out"

# a grid with repeats runs each cell that often too
out=$("$HPSEARCH" run rep.yaml --set study=rep-grid --set sampler=grid --no-progress 2>&1)
expect_eq "grid repeats: 3 runs each of 2 cells" "6|2" "$(distinct_configs rep.db rep-grid)"

# repeats on a continuous space is a config error naming the line
write_config rep-bad.yaml <<EOF
study: rep-bad
storage: sqlite:rep.db
direction: maximize
metric: score
sampler: random
repeats: 2
command: $TRAIN --x {x}
parameters:
  x: {type: float, low: 0, high: 1}
EOF
out=$("$HPSEARCH" run rep-bad.yaml 2>&1)
expect_eq "repeats on a continuous space exits 2" 2 $?
expect_contains "and names the file and line" "rep-bad.yaml:6: repeats" "$out"

# ---- an interrupted trial gives its configuration back -----------------------------------
write_config intr.yaml <<EOF
study: intr
storage: sqlite:intr.db
direction: maximize
metric: score
sampler: random
seed: 1
command: $TRAIN --x {x} --steps 1
parameters:
  x: {values: [1, 2, 3]}
EOF
"$HPSEARCH" run intr.yaml --set "command=$TRAIN --x {x} --steps 1 --hang" --no-progress \
    > intr.out 2>&1 &
pid=$!
for _ in $(seq 100); do
    grep -q "starting a very long step" hpsearch-logs/intr/trial-00000.log 2>/dev/null && break
    sleep 0.1
done
kill -INT $pid
wait $pid
expect_eq "the hanging trial was interrupted" "FAIL|1" \
    "$(sql intr.db "SELECT CASE state WHEN 4 THEN 'FAIL' END, interrupted FROM trials WHERE number = 0")"
"$HPSEARCH" run intr.yaml --no-progress -q > /dev/null 2>&1
expect_eq "after the interruption, all 3 configurations ran once" "3|3" \
    "$(distinct_configs intr.db intr)"

finish
