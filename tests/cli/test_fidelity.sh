#!/usr/bin/env bash
# Fidelity-aware runs: `fidelity: steps` takes the budget parameter out of the search
# (every trial gets its maximum, the pruner's rungs count in it), and each set of
# parameters has its own HPSEARCH_CHECKPOINT_DIR, so a trial re-run after Ctrl-C
# continues where its predecessor stopped instead of starting over.
source "$(dirname "$0")/lib.sh"

write_config fid.yaml <<EOF2
study: fid
storage: sqlite:f.db
direction: maximize
metric: score
sampler: grid
pruner: {name: asha, reduction_factor: 2}
fidelity: steps
command: $TRAIN --x {x} --steps {steps} --sleep 0.02 --checkpoint
parameters:
  x: {values: [3, 2, 0, 6, 1]}
  steps: {type: int, low: 1, high: 8}
EOF2
out=$("$HPSEARCH" run fid.yaml --no-progress 2>&1)
expect_eq "exit 0" 0 $?
expect_eq "5 grid cells: the budget is not a dimension" 5 "$(sql f.db 'SELECT COUNT(*) FROM trials')"
expect_eq "every trial got the full budget (steps=8)" "5" "$(sql f.db "SELECT COUNT(*) FROM trial_params WHERE name = 'steps' AND value = 0")"
pruned=$(sql f.db "SELECT COUNT(*) FROM trials WHERE state = 3")
[ "$pruned" -ge 2 ] && ok "asha stopped $pruned trials at a rung" || fail "asha pruned $pruned"
rungs=$(sql f.db "SELECT COUNT(*) FROM trials WHERE system_attrs LIKE '%completed_rung_0%'")
[ "$rungs" -ge 3 ] && ok "trials recorded their rung values ($rungs)" || fail "rungs: $rungs"
bad=$(sql f.db "SELECT MAX(i.step) FROM trials t JOIN trial_intermediate i USING (trial_id) JOIN trial_params p USING (trial_id) WHERE t.state = 3")
[ "$bad" -lt 7 ] && ok "pruned trials stopped before the last step (at most step $bad)" || fail "pruned trials ran to step $bad"

# pruner: auto (hyperband or the forecast) runs with a fidelity and stops trials
sed -e 's/^study: fid/study: fidauto/' -e 's/^storage: sqlite:f.db/storage: sqlite:fa.db/' \
    -e 's/^pruner: .*/pruner: auto/' fid.yaml > fidauto.yaml
out=$("$HPSEARCH" run fidauto.yaml --no-progress 2>&1)
expect_eq "pruner auto: exit 0" 0 $?
pruned=$(sql fa.db "SELECT COUNT(*) FROM trials WHERE state = 3")
[ "$pruned" -ge 1 ] && ok "auto stopped $pruned trials" || fail "auto pruned $pruned"
rungs=$(sql fa.db "SELECT COUNT(*) FROM trials WHERE system_attrs LIKE '%completed_rung_0%'")
[ "$rungs" -ge 3 ] && ok "its hyperband recorded rung values ($rungs)" || fail "rungs: $rungs"

# stopping: asha (the default until hyperband) is taken from the config and runs with
# the fidelity; which trials each lets through: tests/unit/test_pruners.c
sed -e 's/^study: fid/study: fidsha/' -e 's/^storage: sqlite:f.db/storage: sqlite:fs.db/' \
    -e 's/^pruner: .*/pruner: {name: auto, stopping: asha}/' fid.yaml > fidsha.yaml
out=$("$HPSEARCH" run fidsha.yaml --no-progress 2>&1)
expect_eq "pruner auto, stopping asha: exit 0" 0 $?
pruned=$(sql fs.db "SELECT COUNT(*) FROM trials WHERE state = 3")
[ "$pruned" -ge 1 ] && ok "auto with asha stopped $pruned trials" || fail "pruned $pruned ($out)"
expect_eq "the study records asha as its stopping strategy" asha \
    "$(sql fs.db "SELECT json_extract(system_attrs, '$.pruner_auto_stopping') FROM studies")"
expect_eq "the default's study records hyperband" hyperband \
    "$(sql fa.db "SELECT json_extract(system_attrs, '$.pruner_auto_stopping') FROM studies")"
# a study keeps its strategy: naming the other one in a later run is refused, by line
sed -e 's/stopping: asha/stopping: hyperband/' fidsha.yaml > fidsha2.yaml
out=$("$HPSEARCH" run fidsha2.yaml --no-progress 2>&1)
expect_eq "stopping changed mid-study: exit 2" 2 $?
expect_contains "the refusal names the file" \
    "fidsha2.yaml:" "$out"
expect_contains "the refusal names both strategies" \
    "stops trials with asha (its rung records are asha's), not hyperband" "$out"

# checkpoints: stop the run during a long trial, run again: the cell resumes
write_config ck.yaml <<EOF2
study: ck
storage: sqlite:c.db
direction: maximize
metric: score
sampler: grid
command: $TRAIN --x {x} --steps 30 --sleep 0.1 --checkpoint
parameters:
  x: {values: [3]}
EOF2
"$HPSEARCH" run ck.yaml --no-progress > ck1.out 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    [ "$(sql c.db 'SELECT COUNT(*) FROM trial_intermediate' 2>/dev/null || echo 0)" -ge 5 ] && break
    sleep 0.05
done
kill -INT "$pid"
wait "$pid"
steps_before=$(sql c.db "SELECT COUNT(*) FROM trial_intermediate")
out=$("$HPSEARCH" run ck.yaml --no-progress 2>&1)
expect_eq "second run exit 0" 0 $?
log=$(cat hpsearch-logs/ck/trial-00001.log)
expect_contains "the re-run trial resumed from its checkpoint" "resumed at step" "$log"
first=$(printf '%s\n' "$log" | sed -n 's/resumed at step //p')
[ "${first:-0}" -ge 3 ] && ok "it skipped the $first steps already done ($steps_before reported before)" || fail "resumed at ${first:-?}"
expect_eq "the cell completed" 1 "$(sql c.db 'SELECT COUNT(*) FROM trials WHERE state = 2')"

# a fidelity that is not a parameter is a config error
write_config badfid.yaml <<EOF2
metric: score
command: $TRAIN --x {x}
fidelity: epochs
parameters:
  x: {values: [1, 2]}
EOF2
out=$("$HPSEARCH" run badfid.yaml 2>&1)
expect_eq "unknown fidelity: exit 2" 2 $?
expect_contains "message" "fidelity: 'epochs' is not a parameter" "$out"
finish
