#!/usr/bin/env bash
# A study's identity is checked: re-running a config whose metric, direction or search
# space differs from the stored study is an error naming the difference and the ways
# forward; --allow-changes continues and records the change.
. "$(dirname "$0")/lib.sh"

write_config id.yaml <<EOF
study: id
storage: sqlite:id.db
direction: maximize
metric: score
sampler: random
seed: 1
n_trials: 2
command: $TRAIN --x {x} --steps 1 --dump-env
parameters:
  x: {type: float, low: 0, high: 5}
EOF
"$HPSEARCH" run id.yaml --no-progress -q > /dev/null 2>&1
expect_eq "the study ran" 2 "$(sql id.db "SELECT COUNT(*) FROM trials")"
out=$("$HPSEARCH" run id.yaml -n 3 --no-progress -q 2>&1)
expect_eq "the same config continues it" 0 $?

# a changed metric
out=$("$HPSEARCH" run id.yaml --set metric=loss -n 4 --no-progress 2>&1)
expect_eq "a changed metric exits 2" 2 $?
expect_contains "it names both metrics" "metric: the study's values are 'score', this config reads 'loss'" "$out"
expect_contains "and the ways forward" "--allow-changes" "$out"
expect_eq "nothing ran" 3 "$(sql id.db "SELECT COUNT(*) FROM trials")"

# the same metric read another way: its values mean something else
sed 's/^metric: score/metric: {name: score, summary: max}/' id.yaml > id-summary.yaml
out=$("$HPSEARCH" run id-summary.yaml -n 4 --no-progress 2>&1)
expect_eq "a changed metric summary exits 2" 2 $?
expect_contains "it names the summaries" 'metric.summary: the study'"'"'s values were read with "last", this config uses "max"' "$out"

# a changed direction: no way to continue the same study
out=$("$HPSEARCH" run id.yaml --set direction=minimize -n 4 --no-progress 2>&1)
expect_eq "a changed direction exits 2" 2 $?
expect_contains "it names both directions" "created to maximize, but this config says minimize" "$out"

# a changed space, then continued on purpose
sed -e 's/high: 5}/high: 9}/' -e 's/^  x: .*/&\n  y: {values: [1, 2]}/' id.yaml > id3.yaml
out=$("$HPSEARCH" run id3.yaml -n 4 --no-progress 2>&1)
expect_eq "a changed space exits 2" 2 $?
expect_contains "it names the changed parameter" "parameter 'x': the study had" "$out"
expect_contains "and the new one" "parameter 'y' is new" "$out"
cat > id2.yaml <<EOF
study: id
storage: sqlite:id.db
direction: maximize
metric: score
sampler: random
seed: 1
n_trials: 4
command: $TRAIN --x {x} --steps 1
parameters:
  x: {type: float, low: 0, high: 9}
EOF
out=$("$HPSEARCH" run id2.yaml --no-progress 2>&1)
expect_eq "without the flag, the changed file is refused" 2 $?
expect_contains "naming the file" "id2.yaml: this config does not match study 'id'" "$out"
out=$("$HPSEARCH" run id2.yaml --allow-changes --no-progress 2>&1)
expect_eq "--allow-changes continues" 0 $?
expect_contains "and says so" "continuing study 'id' with a changed space: space version 2" "$out"
expect_eq "4 trials now" 4 "$(sql id.db "SELECT COUNT(*) FROM trials")"
expect_contains "the change is recorded in the study" "parameter 'x': the study had" \
    "$(sql id.db "SELECT system_attrs FROM studies WHERE name = 'id'")"
out=$("$HPSEARCH" run id2.yaml -n 5 --no-progress 2>&1)
expect_eq "the changed config is the study's config from then on" 0 $?

# a study made by an older hpsearch recorded only its metric (a user attribute)
sql id.db "SELECT 1" > /dev/null
"$PY" - id.db <<'EOF'
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
attrs = json.loads(con.execute("SELECT system_attrs FROM studies WHERE name = 'id'").fetchone()[0])
del attrs["config_identity"]
con.execute("UPDATE studies SET system_attrs = ? WHERE name = 'id'", (json.dumps(attrs),))
con.commit()
EOF
out=$("$HPSEARCH" run id2.yaml --set metric=val_loss -n 6 --no-progress 2>&1)
expect_eq "an older study's metric is checked too" 2 $?
expect_contains "by its recorded name" "the study's values are 'score'" "$out"

finish
