#!/usr/bin/env bash
# warm_start_transactions.sh [HPSEARCH...] -- what a warm start costs PostgreSQL: for each
# hpsearch binary given (default build/hpsearch), `hpsearch run` of a new study on
# PostgreSQL with `warm_start:` from an earlier SQLite study of N_OLD trials (default
# 1000) and `n_trials: 1`, REPS times (default 2), and the transactions the server
# committed meanwhile (pg_stat_database.xact_commit: a sync, an added trial, an ask are
# each one). Run it under scripts/with-test-servers.sh (it needs HPS_TEST_POSTGRES_URL)
# with psql on PATH; compare two commits by giving both builds' binaries.
set -euo pipefail
url=${HPS_TEST_POSTGRES_URL:?run under scripts/with-test-servers.sh}
n_old=${N_OLD:-1000}
reps=${REPS:-2}
bins=()
for b in "$@"; do bins+=("$(realpath "$b")"); done
[ ${#bins[@]} -gt 0 ] || bins=("$(realpath "$(dirname "$0")/../build/hpsearch")")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

cat > old.yaml <<YAML
study: old
storage: sqlite:$work/old.db
metric: score
sampler: random
seed: 3
n_trials: $n_old
command: echo score={x}
parameters:
  x: {low: 0.0, high: 1.0}
YAML
"${bins[0]}" run old.yaml --no-progress -q -j 2 > old.log 2>&1

# the database's committed transactions; its statistics are flushed within a second
commits() {
    sleep 1.5
    psql "$url" -Atc "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
}

for rep in $(seq 1 "$reps"); do
    for k in "${!bins[@]}"; do
        name="warm-$$-$k-$rep"
        cat > "$name.yaml" <<YAML
study: $name
storage: $url
metric: score
n_trials: 1
command: echo score={x}
warm_start: {from: old, storage: 'sqlite:$work/old.db'}
parameters:
  x: {low: 0.0, high: 1.0}
YAML
        before=$(commits)
        "${bins[$k]}" run "$name.yaml" --no-progress -q > "$name.out" 2> "$name.err"
        after=$(commits)
        echo "${bins[$k]}: run $rep: $((after - before)) transactions;" \
            "$(grep -o 'warm start: [0-9]* of [0-9]* trials' "$name.err")"
    done
done
