#!/usr/bin/env bash
# Checkpoints belong to their study: HPSEARCH_CHECKPOINT_DIR is empty for a new run of a
# configuration, holds what an interrupted run of it saved for the trial that takes it
# over, is never shared with another study (not even one created again under the same
# name) or another repeat, and goes with the study when it is deleted.
. "$(dirname "$0")/lib.sh"

write_config ck.yaml <<EOF
study: ck
storage: sqlite:ck.db
direction: maximize
metric: score
sampler: grid
command: $TRAIN --x {x} --steps 4 --checkpoint
parameters:
  x: {values: [1, 2, 3]}
EOF

resumed_logs() { grep -l "resumed at step" hpsearch-logs/"$1"/trial-*.log 2>/dev/null | wc -l; }

"$HPSEARCH" run ck.yaml --no-progress -q > /dev/null 2>&1
expect_eq "a new study's trials start empty" 0 "$(resumed_logs ck)"
uid_dirs=$(ls hpsearch-logs/ck/checkpoints | wc -l)
expect_eq "one checkpoint root, named by the study's uid" 1 "$uid_dirs"
root=$(ls -d hpsearch-logs/ck/checkpoints/*)
expect_eq "a directory per run of a configuration" 3 "$(ls "$root" | wc -l)"
expect_eq "each holds what its trial saved" "3 3 3" "$(for f in "$root"/*/step; do cat "$f"; echo; done | xargs)"

# The same study name, created again after `hpsearch delete`: nothing from before.
out=$("$HPSEARCH" delete ck.yaml --yes 2>&1)
expect_contains "delete says it removed the checkpoints" "removed its checkpoints in" "$out"
[ -e "$root" ] && fail "the deleted study's checkpoints are still there: $root" ||
    ok "the deleted study's checkpoints are gone"
"$HPSEARCH" run ck.yaml --no-progress -q > /dev/null 2>&1
expect_eq "the new study of the same name starts empty" 0 "$(resumed_logs ck)"
new_root=$(ls -d hpsearch-logs/ck/checkpoints/*)
[ "$new_root" != "$root" ] && ok "the new study has its own root" || fail "root reused: $root"

# A study whose database was removed by hand (no `delete`): its leftovers are ignored.
rm -f ck.db*
"$HPSEARCH" run ck.yaml --no-progress -q > /dev/null 2>&1
expect_eq "a study created over leftover checkpoints starts empty" 0 "$(resumed_logs ck)"

# Another study with the same configurations in the same database never shares them.
"$HPSEARCH" run ck.yaml --set study=ck-other --set log_dir=hpsearch-logs/ck --no-progress -q \
    > /dev/null 2>&1
expect_eq "another study in the same log directory starts empty" 0 "$(resumed_logs ck)"

# Repeats of one configuration each get their own directory.
write_config rep.yaml <<EOF
study: rep
storage: sqlite:ck.db
direction: maximize
metric: score
sampler: random
repeats: 3
command: $TRAIN --x {x} --steps 4 --checkpoint
parameters:
  x: {values: [5]}
EOF
"$HPSEARCH" run rep.yaml --no-progress -q > /dev/null 2>&1
expect_eq "three repeats ran" 3 "$(sql ck.db "SELECT COUNT(*) FROM trials t JOIN studies s
    ON s.study_id = t.study_id WHERE s.name = 'rep' AND t.state = 2")"
expect_eq "no repeat resumed another's checkpoint" 0 "$(resumed_logs rep)"
expect_eq "three directories" 3 "$(ls hpsearch-logs/rep/checkpoints/*/ | wc -l)"

# A retried trial continues its failed attempt's checkpoint: the first attempt saves
# half its work and crashes, the retry finds it.
cat > crash_once.sh <<'EOF'
#!/bin/sh
if [ -e "$HPSEARCH_CHECKPOINT_DIR/half" ]; then
    echo "resumed after the crash"
    echo "score=1.5"
else
    echo "score=0.5"
    touch "$HPSEARCH_CHECKPOINT_DIR/half"
    exit 1
fi
EOF
chmod +x crash_once.sh
write_config retry.yaml <<EOF
study: retry
storage: sqlite:ck.db
direction: maximize
metric: score
sampler: random
retries: 1
n_trials: 1
command: ./crash_once.sh {x}
parameters:
  x: {type: float, low: 0, high: 1}
EOF
"$HPSEARCH" run retry.yaml --no-progress -q > /dev/null 2>&1
expect_eq "the first attempt failed, its retry completed" "4 2" "$(sql ck.db "SELECT t.state
    FROM trials t JOIN studies s ON s.study_id = t.study_id WHERE s.name = 'retry'
    ORDER BY t.number" | xargs)"
expect_contains "the retry started from the failed attempt's checkpoint" "resumed after the crash" \
    "$(cat hpsearch-logs/retry/trial-00001.log)"

finish
