#!/usr/bin/env bash
# The C API example tunes a real ridge regression and resumes its study when run again.
source "$(dirname "$0")/lib.sh"
EXAMPLE=$(dirname "$HPSEARCH")/example_tune_ridge
[ -x "$EXAMPLE" ] || { fail "example binary $EXAMPLE missing"; finish; }

out=$("$EXAMPLE" sqlite:ridge.db sobol 10)
expect_eq "exit 0" 0 $?
expect_contains "ran 10" "ridge-sobol: ran 10 trials; best validation MSE" "$out"
out=$("$EXAMPLE" sqlite:ridge.db sobol 15)
expect_contains "resumed for 5 more" "ran 5 trials" "$out"
out=$("$EXAMPLE" sqlite:ridge.db grid 100)
expect_contains "grid stops when exhausted (6 x 4 cells)" "ridge-grid: ran 24 trials" "$out"
mse=$(printf '%s' "$out" | sed -n 's/.*best validation MSE \([0-9.]*\).*/\1/p')
"$PY" -c "import sys; sys.exit(0 if 0 < float(sys.argv[1]) < 0.05 else 1)" "$mse" && ok "validation MSE $mse is a real fit" || fail "MSE $mse"
out=$("$EXAMPLE" sqlite:ridge.db annealing 5 2>&1)
expect_eq "unknown sampler: exit 2" 2 $?
expect_contains "message" "unknown sampler 'annealing'" "$out"
finish
