# lib.sh -- shared by the CLI integration tests (sourced). Each test runs the real
# `hpsearch` binary ($HPSEARCH) against real subprocesses in a fresh directory.
set -u

HPSEARCH=$(realpath "${HPSEARCH:?set HPSEARCH to the hpsearch binary}")
HPS_SOURCE_DIR=$(realpath "${HPS_SOURCE_DIR:?set HPS_SOURCE_DIR to the source tree}")
PY=${HPS_PYTHON:-/usr/bin/python3}
TRAINER="$HPS_SOURCE_DIR/tests/cli/fake_trainer.py"
failures=0

WORK=$(mktemp -d "${HPS_TEST_TMPDIR:-/tmp}/hpscli.XXXXXX" 2>/dev/null || mktemp -d)
trap 'if [ "$failures" -eq 0 ] && [ -z "${HPS_KEEP_TMP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi' EXIT
cd "$WORK" || exit 1
# Trainer command lines carry this tag, so process checks see only this test's trainers
# even when tests run in parallel.
TAG="tag-$(basename "$WORK")"
TRAIN="$PY $TRAINER --tag $TAG"

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

ok() {
    echo "ok: $*"
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected [$2], got [$3]"; fi
}

# expect_contains WHAT NEEDLE HAYSTACK
expect_contains() {
    case "$3" in
    *"$2"*) ok "$1" ;;
    *) fail "$1: [$2] not found in: $3" ;;
    esac
}

# sql DB QUERY -- runs a read-only query through Python's sqlite3 module
sql() {
    "$PY" - "$1" "$2" <<'PYEOF'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for row in con.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
PYEOF
}

# write_config FILE -- writes stdin to FILE
write_config() {
    cat > "$1"
}

# two_objective_study CONFIG STUDY DB N -- writes CONFIG (study STUDY in sqlite:DB, two
# objectives acc (maximized) and cost, x and y in [0, 1], a constant command) and runs
# it with `sampler: random` for N trials: a stored study to plan or warm-start from.
# Tests then edit CONFIG (the sampler, n_trials) for their own runs.
two_objective_study() {
    cat > "$1" <<YAML
study: $2
storage: sqlite:$3
metrics:
  - {name: acc, goal: maximize}
  - {name: cost}
sampler: random
n_trials: $4
parallel: 4
command: echo acc=0.5 cost=0.25
parameters:
  x: {low: 0.0, high: 1.0}
  y: {low: 0.0, high: 1.0}
YAML
    "$HPSEARCH" run "$1" >/dev/null 2>"$1.err" || fail "run $1: $(cat "$1.err")"
}

# fake_gpus N -- the run sees N GPUs and no others: a stand-in for the NVIDIA driver's
# files (HPSEARCH_NVIDIA_PROC, runner/gpus.h) with GPUs 0..N-1, an nvidia-smi that knows
# none first on PATH, and no inherited CUDA_VISIBLE_DEVICES.
fake_gpus() {
    local k
    rm -rf "$WORK/fake-nvidia" "$WORK/fake-bin"
    mkdir -p "$WORK/fake-nvidia/gpus" "$WORK/fake-bin"
    for ((k = 0; k < $1; k++)); do
        mkdir -p "$WORK/fake-nvidia/gpus/0000:$(printf '%02x' $((k + 16))):00.0"
        printf 'Model: \t\t NVIDIA A100\nGPU UUID: \t GPU-%08d-0000-0000-0000-000000000000\n' "$k" \
            > "$WORK/fake-nvidia/gpus/0000:$(printf '%02x' $((k + 16))):00.0/information"
    done
    printf '#!/bin/sh\nexit 9\n' > "$WORK/fake-bin/nvidia-smi"
    chmod +x "$WORK/fake-bin/nvidia-smi"
    export HPSEARCH_NVIDIA_PROC="$WORK/fake-nvidia"
    case ":$PATH:" in *":$WORK/fake-bin:"*) ;; *) export PATH="$WORK/fake-bin:$PATH" ;; esac
    unset CUDA_VISIBLE_DEVICES
}

# The checkpointing trainer of the paused-trial tests (promotion, freeze-thaw): it counts
# steps 0..{epochs}-1, keeps the contract of paused trials (fake_trainer.py's
# --checkpoint) and appends "trial first last" to slices.log for each slice it runs.
# Options such as --graceful or --sleep go after it.
SLICED_TRAIN="$TRAIN --x {x} --steps {epochs} --checkpoint --slices slices.log"

# slices_out_of_order [LAST_STEP...] -- prints the trials of slices.log whose slices do
# not follow each other exactly (the first from step 0, each next one right after the
# previous one's end: no step twice, none skipped) or, when LAST_STEPs are given, end at
# another step; nothing when all do.
slices_out_of_order() {
    "$PY" - slices.log "$@" <<'PYEOF'
import collections, sys
ends = {int(s) for s in sys.argv[2:]}
slices = collections.defaultdict(list)
for line in open(sys.argv[1]):
    trial, first, last = map(int, line.split())
    slices[trial].append((first, last))
for trial, runs in slices.items():
    runs.sort()
    expected = 0
    for first, last in runs:
        if first != expected or (ends and last not in ends):
            print(f"trial {trial}: slices {runs}")
        expected = last + 1
PYEOF
}

# resumed_slices -- how many slices of slices.log resumed a trial (began past step 0)
resumed_slices() {
    awk '$2 > 0' slices.log | wc -l
}

# resumes_logged STUDY -- how many times the trials' logs of STUDY say they went on from
# a checkpoint
resumes_logged() {
    grep -c "resumed at step" hpsearch-logs/"$1"/trial-*.log | awk -F: '{s += $2} END {print s}'
}

finish() {
    if [ "$failures" -ne 0 ]; then
        echo "$failures check(s) failed" >&2
        exit 1
    fi
    echo "all checks passed"
    exit 0
}
