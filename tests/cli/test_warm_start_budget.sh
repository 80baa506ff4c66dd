#!/usr/bin/env bash
# Ten workers starting a warm-started study with `n_trials: 3` run exactly 3 new trials
# between them, whenever each starts: before the creating run records its warm start,
# while the old trials go in, or after (SQLite and the journal file here; PostgreSQL in
# test_postgres_warm_start_budget.sh). A worker that allowed for all the old trials
# while only some were in ran dozens of new trials in the room of the others.
. "$(dirname "$0")/lib.sh"
. "$HPS_SOURCE_DIR/tests/cli/warm_budget_lib.sh"

make_old_study
budget_rounds sqlite:new.db
budget_rounds journal:new.journal

exit $((failures > 0))
