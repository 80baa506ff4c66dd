#!/usr/bin/env bash
# valgrind-cli.sh [CTEST_REGEX] -- runs the CLI integration tests (tests/cli) with every
# `hpsearch` process under valgrind memcheck, and fails unless valgrind found zero
# errors and zero definitely lost blocks in all of them.
#
# The tests call `hpsearch` through $HPSEARCH; here that is a wrapper which execs the
# real binary under valgrind (same PID, so the tests' signals and process checks still
# reach it). Trial processes (Python) are not traced. A test may fail on its own under
# valgrind's 20-50x slowdown (a deadline it sets for a trial, a browser's patience);
# the verdict of this script is valgrind's, and it lists such tests separately.
#
# For the PostgreSQL and Slurm tests, run it inside scripts/with-test-servers.sh.
# Run from the source tree; uses the regular build (`make build`, -O2 -g), whose
# directory also holds the Python extension and the web tooling some tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
regex=${1:-cli/}
build=${BUILD:-build}
logs="$PWD/$build/valgrind-logs"

make build BUILD="$build" > /dev/null
scripts/install-deps.sh test

rm -rf "$logs"
mkdir -p "$logs"
wrapper="$PWD/$build/hpsearch-valgrind"
cat > "$wrapper" <<EOF
#!/bin/sh
exec valgrind --quiet --tool=memcheck --leak-check=full --show-leak-kinds=definite \\
    --errors-for-leak-kinds=definite --track-origins=no --child-silent-after-fork=yes \\
    --log-file="$logs/hpsearch.%p.log" "$PWD/$build/hpsearch" "\$@"
EOF
chmod +x "$wrapper"

# ctest passes HPSEARCH itself; a tests-only environment file would be more plumbing
# than this: run the scripts directly, as ctest would.
mkdir -p "$build/tmp"
status=0
failed_tests=""
start=$(date +%s)
for script in tests/cli/test_*.sh; do
    name="cli/$(basename "$script" .sh)"
    [[ "$name" =~ $regex ]] || continue
    printf '%-40s ' "$name"
    t0=$(date +%s)
    if HPSEARCH="$wrapper" HPS_SOURCE_DIR="$PWD" HPS_TEST_TMPDIR="$PWD/$build/tmp" \
        timeout 1800 bash "$PWD/$script" > "$logs/$(basename "$script" .sh).out" 2>&1; then
        echo "passed ($(( $(date +%s) - t0 )) s)"
    else
        echo "FAILED under valgrind ($(( $(date +%s) - t0 )) s, see $logs/$(basename "$script" .sh).out)"
        failed_tests="$failed_tests $name"
    fi
done

processes=$(find "$logs" -name 'hpsearch.*.log' | wc -l)
# --quiet leaves a log empty unless valgrind had something to say
reports=$(find "$logs" -name 'hpsearch.*.log' -size +0 | sort)
echo
echo "valgrind memcheck: $processes hpsearch processes in $(( $(date +%s) - start )) s"
if [ -n "$reports" ]; then
    echo "valgrind found errors or definite leaks in:"
    for f in $reports; do
        echo "== $f"
        head -n 60 "$f"
    done
    status=1
else
    echo "valgrind memcheck: 0 errors, 0 definitely lost blocks"
fi
if [ -n "$failed_tests" ]; then
    echo "tests that failed under valgrind's slowdown (not valgrind findings):$failed_tests"
fi
exit "$status"
