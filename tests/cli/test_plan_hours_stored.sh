#!/usr/bin/env bash
# `hpsearch plan --hours H --trial-minutes M` on a stored study: the time budget is new
# trials, on top of those the study holds (n_trials counts those, --hours does not), so
# the auto sampler's max_trials is the trials held plus the new ones. Two objectives: the
# GP runs the first 100 finished trials and TPE the rest, and the reason promises TPE's
# takeover only when the budget reaches past 100.
source "$(dirname "$0")/lib.sh"

two_objective_study mo.yaml mo h.db 60
sed -i 's/^sampler: random/sampler: auto/' mo.yaml

# 60 held + 50 new (an hour of 1.2-minute trials, 1 at a time) = 110: past the GP's 100
out=$("$HPSEARCH" plan mo.yaml -j 1 --hours 1 --trial-minutes 1.2)
expect_contains "plan --hours: the budget is 50 new trials" "budget: 50 trials (--hours / --trial-minutes)" "$out"
expect_contains "plan --hours: the study's 60 trials and 50 new reach past 100, TPE's takeover" \
    "(TPE takes over after 100)" "$out"

# n_trials: 110 is the same study's end, and plan says the same of it
sed -i 's/^n_trials: 60/n_trials: 110/' mo.yaml
by_trials=$("$HPSEARCH" plan mo.yaml -j 1 | sed -n '/^strategy:/p')
by_hours=$(printf '%s\n' "$out" | sed -n '/^strategy:/p')
expect_eq "plan --hours names what n_trials to the same end does" "$by_trials" "$by_hours"

finish
