#!/usr/bin/env bash
# check-demo-run.sh -- CI's first step: the README's first command, as a new user meets
# it on a fresh machine (before anything test-only is installed), and what it must show.
#
#   - `make demo` installs only the demo's packages, builds and tunes for real;
#   - every trial trains from scratch: the demo's study is new, so no trial may resume
#     from a checkpoint (run artifacts of earlier runs are never in the repository);
#   - the study ends with all 18 grid combinations COMPLETE, each exactly once;
#   - the run leaves the work tree clean: its database, logs and checkpoints are ignored.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "check-demo-run: $*" >&2; exit 1; }

tracked=$(git ls-files | grep -E '(^|/)hpsearch-logs/|\.pt$|\.db$|\.db-(wal|shm)$' || true)
[ -z "$tracked" ] || fail "run artifacts are tracked in git: $(echo "$tracked" | head -3)"

# A fresh study: a database or logs left in this checkout would make it a resumed run.
rm -rf examples/pytorch_mlp/hpsearch.db* examples/pytorch_mlp/hpsearch-logs/mlp-tune

out=$(mktemp)
trap 'rm -f "$out"' EXIT
make demo 2>&1 | tee "$out"

grep -q "^study 'mlp-tune': 18 trials (18 complete, 0 pruned, 0 failed" "$out" ||
    fail "the demo did not end with 18 complete trials"
grep -q "^best trial [0-9]*: val_acc=0\.[0-9]*" "$out" || fail "no best trial with val_acc"
distinct=$(grep -E '^trial [0-9]+ +COMPLETE' "$out" | sed -E 's/.*val_acc=[^ ]+ +//; s/ +\(.*//' |
           sort -u | wc -l)
[ "$distinct" -eq 18 ] || fail "$distinct distinct configurations ran, not 18"
logs=examples/pytorch_mlp/hpsearch-logs/mlp-tune
[ "$(ls "$logs"/trial-*.log | wc -l)" -eq 18 ] || fail "expected 18 trial logs in $logs"
if grep -l "resumed from a checkpoint" "$logs"/trial-*.log; then
    fail "trials of a new study resumed from checkpoints (listed above)"
fi
grep -L "^epoch=1 " "$logs"/trial-*.log | grep . && fail "trials above did not train from epoch 1"
[ -z "$(git status --porcelain --untracked-files=all)" ] ||
    fail "the demo left files git does not ignore: $(git status --porcelain | head -3)"
echo "check-demo-run: ok (18 distinct configurations, each trained from epoch 1)"
