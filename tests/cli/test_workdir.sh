#!/usr/bin/env bash
# `workdir:` is where trials run: relative to the config file, the file's directory by
# default; W&B sweep files run where the sweep is started (as `wandb agent` does).
source "$(dirname "$0")/lib.sh"

mkdir code conf elsewhere
cp "$TRAINER" code/train.py
real_code=$(cd code && pwd -P)

write_config conf/native.yaml <<EOF2
study: native
storage: sqlite:s.db
metric: score
n_trials: 2
workdir: ../code
command: $PY train.py --tag $TAG --x {x} --steps 1 --dump-env
parameters:
  x: {type: float, low: 0, high: 6}
EOF2
out=$(cd elsewhere && "$HPSEARCH" run ../conf/native.yaml --no-progress 2>&1)
expect_eq "workdir relative to the file: exit 0" 0 $?
expect_eq "both trials complete" 2 "$(sql conf/s.db "SELECT COUNT(*) FROM trials WHERE state = 2")"
grep -q "^cwd $real_code\$" conf/hpsearch-logs/native/trial-00000.log \
    && ok "the trial ran in workdir" || fail "trial cwd: $(grep '^cwd' conf/hpsearch-logs/native/trial-00000.log)"

# without workdir: the config's directory, wherever hpsearch is started
sed '/^workdir:/d; s/^study: native/study: default/' conf/native.yaml > conf/default.yaml
out=$(cd elsewhere && "$HPSEARCH" run ../conf/default.yaml --no-progress -n 1 2>&1)
grep -q "can't open file '$(cd conf && pwd -P)/train.py'" conf/hpsearch-logs/default/trial-00000.log \
    && ok "default workdir is the config's directory" || fail "default workdir: $out"

# --set workdir= is relative to the current directory
out=$("$HPSEARCH" run conf/default.yaml --no-progress --set workdir=code --set study=set 2>&1)
expect_eq "--set workdir: exit 0" 0 $?
grep -q "^cwd $real_code\$" conf/hpsearch-logs/set/trial-00000.log \
    && ok "--set workdir=code ran the trial in ./code" || fail "--set workdir: $out"
out=$("$HPSEARCH" run conf/default.yaml --no-progress --set workdir=nowhere 2>&1)
expect_eq "--set workdir=missing: exit 2" 2 $?
expect_contains "--set workdir=missing: message" "workdir: 'nowhere' does not exist" "$out"

# a missing or non-directory workdir in the file: exit 2 naming file:line, nothing runs
sed 's#^workdir: ../code#workdir: ../nowhere#; s/^study: native/study: missing/' conf/native.yaml > conf/missing.yaml
out=$("$HPSEARCH" run conf/missing.yaml --no-progress 2>&1)
expect_eq "missing workdir: exit 2" 2 $?
expect_contains "missing workdir: message" "conf/missing.yaml:5: workdir: '../nowhere' does not exist" "$out"
sed 's#^workdir: ../code#workdir: native.yaml#; s/^study: native/study: file/' conf/native.yaml > conf/file.yaml
out=$("$HPSEARCH" run conf/file.yaml --no-progress 2>&1)
expect_eq "file as workdir: exit 2" 2 $?
expect_contains "file as workdir: message" "conf/file.yaml:5: workdir: 'native.yaml' is not a directory" "$out"
expect_eq "no trial of the broken configs ran" 0 "$(sql conf/s.db "SELECT COUNT(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name IN ('missing', 'file')")"

# W&B sweep files: `program` is found where the sweep is started, as with `wandb agent`
write_config conf/sweep.yaml <<EOF2
program: train.py
name: wandb
method: random
run_cap: 2
storage: sqlite:s.db
metric: {name: score, goal: maximize}
parameters:
  x: {min: 0.0, max: 6.0}
command: ["\${env}", "\${interpreter}", "\${program}", --tag, $TAG, --steps=1, --dump-env, "\${args}"]
EOF2
out=$(cd code && HPSEARCH_PYTHON=$PY "$HPSEARCH" run ../conf/sweep.yaml --no-progress 2>&1)
expect_eq "W&B sweep started beside its program: exit 0" 0 $?
grep -q "^cwd $real_code\$" conf/hpsearch-logs/wandb/trial-00000.log \
    && ok "W&B trials run in the current directory" || fail "W&B cwd: $out"
out=$(cd elsewhere && HPSEARCH_PYTHON=$PY "$HPSEARCH" run ../conf/sweep.yaml --no-progress -n 3 2>&1)
grep -q "can't open file '$(cd elsewhere && pwd -P)/train.py'" conf/hpsearch-logs/wandb/trial-00002.log \
    && ok "W&B sweep started elsewhere looks for its program there" || fail "W&B elsewhere: $out"
expect_contains "... and run warns at start" "program 'train.py' is not in $(cd elsewhere && pwd -P), where trials run (like \`wandb agent\`" "$out"
out=$(cd elsewhere && "$HPSEARCH" plan ../conf/sweep.yaml 2>&1)
expect_contains "plan warns the same way" "program 'train.py' is not in" "$out"
expect_contains "plan says where trials run" "workdir: trials run in $(cd elsewhere && pwd -P)" "$out"
# ... unless the sweep file gives workdir (relative to the file)
sed 's/^name: wandb/name: wandb-workdir\nworkdir: ..\/code/' conf/sweep.yaml > conf/sweep2.yaml
out=$(cd elsewhere && HPSEARCH_PYTHON=$PY "$HPSEARCH" run ../conf/sweep2.yaml --no-progress 2>&1)
expect_eq "W&B sweep with workdir: exit 0" 0 $?
grep -q "^cwd $real_code\$" conf/hpsearch-logs/wandb-workdir/trial-00000.log \
    && ok "W&B workdir: relative to the file" || fail "W&B workdir: $out"
finish
