#!/usr/bin/env bash
# fuzz.sh -- builds the libFuzzer harnesses of tests/fuzz with clang and runs them.
#
#   scripts/fuzz.sh [-n RUNS | -t SECONDS] [-m] [-j JOBS] [HARNESS...]
#
#   -n RUNS     executions per harness (default 10000000)
#   -t SECONDS  run each harness for this long instead
#   -m          afterwards merge what was found into tests/fuzz/corpus/<harness>
#               (libFuzzer -set_cover_merge=1, -merge=1's smaller cousin: only inputs
#               that reach new code are kept -- edges, not hit counts, so that the
#               saved corpus stays at a few hundred files at most)
#   -j JOBS     build jobs (default 2)
#   HARNESS     config, metric_line, storage_url, stored_json, cli_args, auto_explain
#               (default: all)
#   FUZZ_FLAGS  (environment) more libFuzzer flags, e.g. FUZZ_FLAGS=-max_len=256
#
# Harnesses run one after the other, each over its saved corpus plus what earlier runs
# found (build-fuzz/corpus/<harness>). A crash, leak, timeout or sanitizer report stops
# that harness and leaves the input in build-fuzz/crashes/<harness>/; replay it with
# build-fuzz/tests/fuzz/fuzz_<harness> FILE. Exits 1 if any harness found one.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
runs=10000000
seconds=
merge=0
jobs=2
all=(config metric_line storage_url stored_json cli_args auto_explain)

while getopts "n:t:mj:h" opt; do
    case $opt in
    n) runs=$OPTARG ;;
    t) seconds=$OPTARG ;;
    m) merge=1 ;;
    j) jobs=$OPTARG ;;
    *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all[@]}")
for h in "${harnesses[@]}"; do
    [ -d "$root/tests/fuzz/corpus/$h" ] || { echo "fuzz.sh: no harness '$h'" >&2; exit 2; }
done

# Every object instrumented for coverage (HPS_FUZZ) and checked by ASan and UBSan.
CC=clang cmake -S "$root" -B "$build" -DHPS_FUZZ=ON -DHPS_SANITIZE=ON -DHPS_BUILD_PYTHON=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$jobs" --target "${harnesses[@]/#/fuzz_}" >/dev/null

if [ -n "$seconds" ]; then
    limit=(-max_total_time="$seconds")
else
    limit=(-runs="$runs")
fi

status=0
summary=()
for h in "${harnesses[@]}"; do
    work=$build/corpus/$h
    crashes=$build/crashes/$h
    log=$build/logs/$h.log
    mkdir -p "$work" "$crashes" "$build/logs"
    before=$(ls "$crashes" | wc -l)
    start=$(date +%s.%N)
    # absolute paths: fuzz_cli_args works in a directory of its own
    # shellcheck disable=SC2086
    "$build/tests/fuzz/fuzz_$h" "${limit[@]}" ${FUZZ_FLAGS:-} -print_final_stats=1 -timeout=10 \
        -artifact_prefix="$crashes/" "$work" "$root/tests/fuzz/corpus/$h" >"$log" 2>&1 || true
    end=$(date +%s.%N)
    found=$(( $(ls "$crashes" | wc -l) - before ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
    wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
    line=$(printf "%-12s executions %10s  time %5ss  exec/s %7s  cov %5s  crashes %s" \
           "$h" "${execs:-?}" "$wall" "${rate:-?}" "${cov:-?}" "$found")
    echo "$line"
    summary+=("$line")
    if [ "$found" -gt 0 ]; then
        status=1
        grep -E "^(==[0-9]+==ERROR|SUMMARY)|runtime error" "$log" | head -5 | sed 's/^/    /' || true
        echo "    inputs in $crashes; the whole report in $log"
    fi
    if [ "$merge" = 1 ]; then
        "$build/tests/fuzz/fuzz_$h" -set_cover_merge=1 -use_counters=0 "$root/tests/fuzz/corpus/$h" "$work" \
            >"$build/logs/$h.merge.log" 2>&1
        echo "    corpus: $(ls "$root/tests/fuzz/corpus/$h" | wc -l) files," \
             "$(du -sk "$root/tests/fuzz/corpus/$h" | cut -f1) KB"
    fi
done
echo
printf '%s\n' "${summary[@]}"
exit $status
