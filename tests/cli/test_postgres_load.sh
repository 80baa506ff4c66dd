#!/usr/bin/env bash
# 16 `hpsearch run` processes join one study on PostgreSQL at once (creating the schema
# together): a random study stops at exactly its n_trials across all of them, a grid
# study runs every cell exactly once; numbers are unique and dense, nothing is left
# RUNNING or WAITING, and the work is spread over the processes.
source "$(dirname "$0")/lib.sh"
source "$HPS_SOURCE_DIR/tests/cli/pg_lib.sh"

WORKERS=16
write_config budget.yaml <<EOF2
study: budget
storage: $PG_URL
metric: score
sampler: random
n_trials: 400
parallel: 2
command: /bin/echo score={x}
parameters:
  x: {low: 0.0, high: 1.0}
EOF2
write_config grid.yaml <<EOF2
study: grid
storage: $PG_URL
metric: score
sampler: grid
shuffle: true
parallel: 2
command: /bin/echo score={x}
parameters:
  x: {type: int, low: 0, high: 23}
  y: {values: [a, b, c, d]}
EOF2

# Reading a database without hpsearch's tables creates none.
for cmd in "studies" "trials budget" "show budget"; do
    out=$("$HPSEARCH" $cmd --storage "$PG_URL" 2>&1)
    expect_eq "$cmd on a database without hpsearch's tables: exit 2" 2 $?
    expect_contains "$cmd: says so" "no hpsearch database at postgresql" "$out"
done
expect_eq "the queries created no table" 0 \
    "$(pg "SELECT count(*) FROM pg_tables WHERE schemaname = '$PG_SCHEMA'")"

for config in budget grid; do
    pids=()
    start=$(date +%s.%N)
    for w in $(seq 1 $WORKERS); do
        "$HPSEARCH" run $config.yaml --no-progress -q > "$config-$w.out" 2>&1 &
        pids+=($!)
    done
    bad=0
    for pid in "${pids[@]}"; do
        wait "$pid" || bad=$((bad + 1))
    done
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    expect_eq "$config: all $WORKERS workers exit 0" 0 "$bad"
    [ "$bad" -eq 0 ] || cat "$config-1.out" >&2
    echo "$config: $WORKERS workers took ${seconds}s"
done

q="FROM hps_trials t JOIN hps_studies s USING (study_id) WHERE s.name"
expect_eq "budget: exactly n_trials, numbers 0..399 unique" "400|400|0|399" \
    "$(pg "SELECT count(*), count(DISTINCT number), min(number), max(number) $q = 'budget'")"
expect_eq "budget: all COMPLETE" "400" "$(pg "SELECT count(*) $q = 'budget' AND state = 2")"
expect_eq "budget: nothing RUNNING or WAITING" "0" "$(pg "SELECT count(*) $q = 'budget' AND state IN (0, 1)")"
expect_eq "budget: counter matches" "400|400" "$(pg "SELECT n_counted, next_number FROM hps_studies WHERE name = 'budget'")"
workers=$(pg "SELECT count(DISTINCT worker) $q = 'budget'")
[ "$workers" -ge 8 ] && ok "budget: $workers processes shared the work" || fail "only $workers processes did the work"

expect_eq "grid: 96 trials, numbers 0..95 unique" "96|96|0|95" \
    "$(pg "SELECT count(*), count(DISTINCT number), min(number), max(number) $q = 'grid'")"
expect_eq "grid: all COMPLETE" "96" "$(pg "SELECT count(*) $q = 'grid' AND state = 2")"
cells=$(pg "SELECT count(DISTINCT (a.value, b.value)) FROM hps_trial_params a
            JOIN hps_trial_params b ON a.trial_id = b.trial_id AND a.name = 'x' AND b.name = 'y'
            JOIN hps_trials t ON t.trial_id = a.trial_id JOIN hps_studies s USING (study_id)
            WHERE s.name = 'grid'")
expect_eq "grid: every cell exactly once" "96" "$cells"
expect_eq "grid: grid positions 0..95 unique" "96|0|95" \
    "$(pg "SELECT count(DISTINCT grid_pos), min(grid_pos), max(grid_pos) $q = 'grid'")"
workers=$(pg "SELECT count(DISTINCT worker) $q = 'grid'")
[ "$workers" -ge 8 ] && ok "grid: $workers processes shared the work" || fail "only $workers processes did the grid"
expect_eq "one schema version row" "1" "$(pg "SELECT count(*) FROM hps_schema_version")"

# the query commands read the same study
"$HPSEARCH" studies --storage "$PG_URL" > studies.out 2>&1
out=$(cat studies.out)
expect_contains "studies lists budget" "budget " "$out"
"$HPSEARCH" trials budget --storage "$PG_URL" --format csv > trials.out 2>&1
out=$(cat trials.out)
"$HPSEARCH" best nonexistent --storage "$PG_URL" > best-missing.out 2>&1
expect_eq "best of a missing study: exit 2" 2 $?
expect_eq "trials: 400 rows" "401" "$(printf '%s\n' "$out" | grep -c .)"
# nothing hpsearch printed shows the server's password
password=$(printf '%s' "$HPS_TEST_POSTGRES_URL" | sed -n 's|^[a-z]*://[^:/@]*:\([^@]*\)@.*|\1|p')
if [ -n "$password" ]; then
    if grep -l -F -e "$password" ./*.out > /dev/null 2>&1; then
        fail "the password shows in: $(grep -l -F -e "$password" ./*.out | head -3 | tr '\n' ' ')"
    else
        ok "the password is never printed"
    fi
fi
pg_drop_schema
finish
