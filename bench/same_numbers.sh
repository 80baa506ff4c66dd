#!/usr/bin/env bash
# same_numbers.sh COMMIT [BUILD_DIR] -- do the samplers give the numbers they gave at
# COMMIT? For refactors that must not change behaviour: builds COMMIT's quality
# benchmarks in a temporary worktree, runs them and this tree's (BUILD_DIR, default
# build) on the same seeds, and compares the outputs byte for byte: every sampler on
# Branin, Hartmann-6 and the 5-D functions (tpe_quality), and the GP's own problems,
# noisy and mixed included, sequential and in batches of 4 (gp_quality). Timings are
# left out of the comparison: they are the only lines allowed to change.
set -euo pipefail
cd "$(dirname "$0")/.."
commit=${1:?usage: bench/same_numbers.sh COMMIT [BUILD_DIR]}
build=$(realpath "${2:-build}")
old=$(mktemp -d)
trap 'git worktree remove --force "$old/src" > /dev/null 2>&1 || true; rm -rf "$old"' EXIT
git worktree add --detach "$old/src" "$commit" > /dev/null 2>&1
cmake -S "$old/src" -B "$old/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHPS_BUILD_TESTS=OFF \
    -DHPS_BUILD_PYTHON=OFF -DHPS_WEB_CHARTS=OFF > /dev/null
cmake --build "$old/build" -j "$(nproc)" --target bench_tpe_quality bench_gp_quality > /dev/null

runs=(
    "bench_tpe_quality --sampler tpe --seeds 5 --all"
    "bench_tpe_quality --sampler random --seeds 5 --all"
    "bench_tpe_quality --sampler sobol --seeds 5 --all"
    "bench_tpe_quality --sampler cmaes --seeds 5 --problem sphere5 --all"
    "bench_tpe_quality --sampler cmaes --seeds 5 --problem rastrigin5 --all"
    "bench_tpe_quality --sampler nsga2 --set population_size=20 --trials 300 --seeds 5 --all"
    "bench_tpe_quality --sampler auto --seeds 3 --all"
    "bench_tpe_quality --sampler tpe --set multivariate=false --seeds 5 --all"
    "bench_gp_quality --seeds 3 --trials 40"
    "bench_gp_quality --seeds 2 --trials 40 --q 4"
)
differ=0
for run in "${runs[@]}"; do
    read -r exe args <<< "$run"
    # shellcheck disable=SC2086
    before=$("$old/build/$exe" $args | sed '/ s per study$/d')
    # shellcheck disable=SC2086
    after=$("$build/$exe" $args | sed '/ s per study$/d')
    if [ "$before" = "$after" ]; then
        echo "same: $run"
    else
        echo "DIFFERENT: $run"
        diff <(echo "$before") <(echo "$after") | head -20
        differ=1
    fi
done
exit $differ
