#!/usr/bin/env bash
# check-minimal-build.sh [BUILD_DIR] -- builds hpsearch with every optional part left out
# (HPS_WITH_LAPACK, HPS_WITH_POSTGRES, HPS_WITH_DASHBOARD, the report's charts, the
# Python extension, the tests), with warnings as errors, and checks that what is left
# works and that what is missing says so when asked for. CI runs it (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=${1:-build-minimal}
fail() { echo "check-minimal-build: $*" >&2; exit 1; }

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHPS_WERROR=ON \
    -DHPS_WITH_LAPACK=OFF -DHPS_WITH_POSTGRES=OFF -DHPS_WITH_DASHBOARD=OFF \
    -DHPS_WEB_CHARTS=OFF -DHPS_BUILD_PYTHON=OFF -DHPS_BUILD_TESTS=OFF > /dev/null
cmake --build "$build" -j "$(nproc)" > /dev/null
hps=$(realpath "$build")/hpsearch
! ldd "$hps" | grep -E 'libpq|microhttpd|lapack|openblas|nlopt' || fail "still linked to a left-out part"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cat > tune.yaml <<EOT
study: minimal
direction: maximize
metric: score
sampler: tpe
n_trials: 6
command: ${PYTHON:-python3} $src/tests/cli/fake_trainer.py --x {x} --steps 2
parameters:
  x: {type: float, low: 0, high: 6}
EOT
"$hps" run tune.yaml --no-progress -q > run.out 2>&1 || { cat run.out; fail "a TPE run failed"; }
grep -q "6 complete" run.out || { cat run.out; fail "not 6 complete trials"; }

expect_refusal() { # WHAT NEEDLE COMMAND...
    local what=$1 needle=$2 rc=0
    shift 2
    "$@" > out.txt 2>&1 || rc=$?
    [ "$rc" -eq 2 ] || { cat out.txt; fail "$what: exit $rc, not 2"; }
    grep -q -- "$needle" out.txt || { cat out.txt; fail "$what: no '$needle' in the message"; }
}
expect_refusal "gp" "sampler 'gp' is not in this build" "$hps" run tune.yaml --set sampler=gp
expect_refusal "cmaes" "HPS_WITH_LAPACK=OFF" "$hps" run tune.yaml --set sampler=cmaes
expect_refusal "postgresql" "no PostgreSQL storage" \
    "$hps" run tune.yaml --storage postgresql://u:p@127.0.0.1:1/db
expect_refusal "dashboard" "has no dashboard" "$hps" dashboard --storage sqlite:hpsearch.db
"$hps" run tune.yaml --set study=auto --set sampler=auto --no-progress > auto.out 2>&1 ||
    { cat auto.out; fail "auto failed without the GP"; }
grep -q "auto chose tpe" auto.out || { cat auto.out; fail "auto did not fall back to TPE"; }
echo "check-minimal-build: ok (TPE and auto run; gp, cmaes, PostgreSQL and the dashboard say they are left out)"
