#!/usr/bin/env bash
# `hpsearch studies`: every study of a storage with its counts by state -- pruned ones
# included -- and its best value, as a table, CSV and JSON, each count checked against
# the SQLite file; options the command does not have are refused.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

# mixed: 40 trials, every 7th pruned, every 11th failed (report_lib.sh)
make_study sqlite:m.db mixed mixed 40
make_study sqlite:m.db acc acc
count() { sql m.db "SELECT COUNT(*) FROM trials JOIN studies USING (study_id) WHERE name = '$1' AND state = $2"; }
complete=$(count mixed 2)  # states as stored: RUNNING 1, COMPLETE 2, PRUNED 3, FAIL 4
pruned=$(count mixed 3)
failed=$(count mixed 4)
[ "$pruned" -gt 0 ] && [ "$failed" -gt 0 ] && ok "the study has $pruned pruned and $failed failed trials" ||
    fail "make_study mixed made no pruned or failed trials"

out=$("$HPSEARCH" studies --storage sqlite:m.db)
expect_eq "studies exits 0" 0 $?
header=$(printf '%s\n' "$out" | head -1)
expect_eq "the table's columns" "study direction trials complete pruned failed running waiting paused best" \
    "$(echo $header)"
row=$(printf '%s\n' "$out" | awk '$1 == "mixed"')
expect_eq "the mixed study's row: counts by state and best value" \
    "mixed minimize 40 $complete $pruned $failed 0 0 0 $(sql m.db "SELECT printf('%.6g', MIN(value)) FROM trial_values JOIN trials USING (trial_id) JOIN studies USING (study_id) WHERE name = 'mixed' AND state = 2")" \
    "$(echo $row)"
expect_eq "the acc study's row" "acc maximize 6 6 0 0 0 0 0 0.9711" \
    "$(echo $(printf '%s\n' "$out" | awk '$1 == "acc"'))"

csv=$("$HPSEARCH" studies --storage sqlite:m.db --format csv)
expect_eq "CSV header" "name,direction,n_trials,n_complete,n_pruned,n_fail,n_running,n_waiting,n_paused,best_value" \
    "$(printf '%s\n' "$csv" | head -1)"
expect_contains "CSV row with the pruned count" "mixed,minimize,40,$complete,$pruned,$failed,0,0,0," "$csv"

json=$("$HPSEARCH" studies --storage sqlite:m.db --format json)
expect_eq "JSON counts" "40 $complete $pruned $failed 0 0" "$(json_get "$json" \
    '" ".join(str(s[k]) for s in d if s["name"] == "mixed" for k in ("n_trials", "n_complete", "n_pruned", "n_fail", "n_running", "n_waiting"))')"

# --state filters trials, and `studies` lists no trials: refused, not ignored.
out=$("$HPSEARCH" studies --storage sqlite:m.db --state PRUNED 2>&1)
expect_eq "studies --state exits 2" 2 $?
expect_contains "studies --state says why" "studies: --state is not an option of this command" "$out"
finish
