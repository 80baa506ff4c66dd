#!/usr/bin/env bash
# check-unused.sh [BUILD_DIR] -- no function that nothing calls (cppcheck's
# unusedFunction over the library, the command, the Python binding, the tests, benches
# and examples: a public API function counts as used when a test calls it). CI runs it
# (make test). BUILD_DIR holds the generated sources (web assets, the wandb stand-in).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
command -v cppcheck > /dev/null || { echo "check-unused: cppcheck is not installed" >&2; exit 1; }
# PyInit__core is called by the Python interpreter, not by any C code here.
out=$(cppcheck --enable=unusedFunction --quiet -I include -I src -I python/src \
          -I "$build/generated" --suppress=missingIncludeSystem \
          --suppress=unusedFunction:python/src/module.c \
          src tests/unit tests/fuzz python/src bench examples 2>&1 | grep 'unusedFunction' || true)
if [ -n "$out" ]; then
    echo "check-unused: functions nothing calls (remove them, or test the API ones):" >&2
    echo "$out" >&2
    exit 1
fi
echo "check-unused: ok (no unused function)"
