#!/usr/bin/env bash
# test_warm_start_budget.sh's rounds on PostgreSQL: ten workers starting a warm-started
# study with `n_trials: 3` run exactly 3 new trials between them, whenever each starts.
. "$(dirname "$0")/lib.sh"
. "$HPS_SOURCE_DIR/tests/cli/pg_lib.sh"
. "$HPS_SOURCE_DIR/tests/cli/warm_budget_lib.sh"

make_old_study
budget_rounds "$PG_URL"
pg_drop_schema

exit $((failures > 0))
