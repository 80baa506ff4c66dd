#!/usr/bin/env bash
# `hpsearch narrow`, the seed's "broad, then narrow, then Bayesian" as one path: the
# narrowed config always runs new trials (n_trials = warm-started + new), switches to a
# model-based sampler unless told otherwise, refines a grid around its best cells and
# says how many cells are new, and writes paths that resolve from where it is written.
source "$(dirname "$0")/lib.sh"

mkdir broad
cp "$TRAINER" broad/train.py
# (x, y) = (3, 1) is the best; the script is found relative to the config's directory
write_config broad/cont.yaml <<EOF2
study: cont
storage: sqlite:s.db
metric: score
direction: maximize
sampler: random
seed: 3
n_trials: 8
log_dir: logs
command: $PY train.py --tag $TAG --x {x} --y {y} --steps 1
parameters:
  x: {type: float, low: 0, high: 6}
  y: {type: float, low: 0.01, high: 100, log: true}
EOF2
"$HPSEARCH" run broad/cont.yaml --no-progress -q > /dev/null 2>&1
expect_eq "broad random study ran" 8 "$(sql broad/s.db "SELECT COUNT(*) FROM trials WHERE state = 2")"

# ---- warm start: the narrowed study runs n_trials new trials on top of the old ones
out=$("$HPSEARCH" narrow broad/cont.yaml --top 3 --warm-start 2>&1)
expect_eq "narrow exit 0" 0 $?
warm=$(sql broad/s.db "SELECT COUNT(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'cont-narrow' AND t.state = 2")
[ "$warm" -ge 3 ] && ok "$warm old trials warm-start the narrowed study" || fail "warm start added $warm: $out"
expect_contains "says the budget" "n_trials: $((warm + 8)) = $warm warm-started trials + 8 new trials" "$out"
expect_contains "says the sampler" "sampler: auto (was random)" "$out"
f=broad/cont-narrow.yaml
expect_eq "n_trials written: warm + the original budget" "n_trials: $((warm + 8))" "$(grep '^n_trials:' $f)"
expect_eq "then Bayesian: auto" 'sampler: "auto"' "$(grep '^sampler:' $f)"
grep -q "^# n_trials: $((warm + 8)) = $warm warm-started trials + 8 new trials" $f \
    && ok "the file says how n_trials is made" || fail "no n_trials comment in: $(cat $f)"
expect_eq "same directory: paths as short as they were" 'storage: "sqlite:s.db"' "$(grep '^storage:' $f)"
grep -q '^workdir:' $f && fail "workdir written though the file stays beside the old one" || ok "no workdir needed beside the old config"
out=$("$HPSEARCH" plan $f 2>&1)
expect_eq "plan accepts the narrowed config" 0 $?
expect_contains "plan: auto is model-based here" "strategy: auto -> gp" "$out"
expect_contains "plan: the warm-started trials count" "already in the study: $warm of these trials" "$out"
expect_contains "plan: the new trials to run" "expected cost: 8 trials" "$out"
out=$("$HPSEARCH" run $f --no-progress 2>&1)
expect_eq "the narrowed config runs" 0 $?
expect_contains "it runs exactly the new budget" "this run: 8 in" "$out"
expect_eq "old + new trials" $((warm + 8)) "$(sql broad/s.db "SELECT COUNT(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'cont-narrow'")"
gp=$(sql broad/s.db "SELECT COUNT(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'cont-narrow' AND t.system_attrs LIKE '%\"sampler\":\"gp\"%'")
[ "$gp" -ge 1 ] && ok "$gp new trials by the GP" || fail "no GP trial in the narrowed study"

# a narrowed study that already exists is not silently reused
out=$("$HPSEARCH" narrow broad/cont.yaml --top 3 --warm-start 2>&1)
expect_eq "existing narrowed study: exit 2" 2 $?
expect_contains "says so and what to do" "study 'cont-narrow' already exists" "$out"
expect_contains "... with the way out" "--study NAME" "$out"

# --trials: the number of new trials; --sampler: any sampler the library has
out=$("$HPSEARCH" narrow broad/cont.yaml --top 3 --warm-start --trials 3 --sampler tpe --study c2 2>&1)
expect_eq "--trials --sampler exit 0" 0 $?
w2=$(sql broad/s.db "SELECT COUNT(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'c2'")
expect_eq "--trials 3: warm + 3" "n_trials: $((w2 + 3))" "$(grep '^n_trials:' broad/c2.yaml)"
expect_eq "--sampler tpe" 'sampler: "tpe"' "$(grep '^sampler:' broad/c2.yaml)"
out=$("$HPSEARCH" run broad/c2.yaml --no-progress 2>&1)
expect_contains "c2 runs its 3 new trials" "this run: 3 in" "$out"
out=$("$HPSEARCH" narrow broad/cont.yaml --top 3 --sampler annealing --study c3 2>&1)
expect_eq "unknown sampler: exit 2" 2 $?
expect_contains "unknown sampler: the library's message" "unknown sampler 'annealing'" "$out"
[ ! -e broad/c3.yaml ] && ok "nothing written for a bad --sampler" || fail "c3.yaml written"
out=$("$HPSEARCH" narrow broad/cont.yaml --top 3 --trials 0 2>&1)
expect_eq "--trials 0: exit 2" 2 $?

# a model-based sampler is kept, with its options; replacing it drops them
sed 's/^sampler: random/sampler: {name: gp, n_startup_trials: 3}/; s/^study: cont/study: gpbroad/; /^n_trials:/d' broad/cont.yaml > broad/gp.yaml
"$HPSEARCH" run broad/gp.yaml --no-progress -q -n 5 > /dev/null 2>&1
out=$("$HPSEARCH" narrow broad/gp.yaml --top 2 2>&1)
expect_contains "gp kept" "sampler: gp (kept)" "$out"
grep -A2 '^sampler:' broad/gpbroad-narrow.yaml | grep -q 'n_startup_trials: "3"' \
    && ok "its options kept" || fail "gp options lost: $(cat broad/gpbroad-narrow.yaml)"
out=$("$HPSEARCH" narrow broad/gp.yaml --top 2 --sampler random --study gp-random 2>&1)
expect_eq "replacing gp: exit 0" 0 $?
grep -q 'n_startup_trials' broad/gp-random.yaml && fail "gp's options written for random" || ok "options of the replaced sampler dropped"
expect_eq "no n_trials in the file: none in the narrowed one" "" "$(grep '^n_trials:' broad/gp-random.yaml)"

# the rest of the config is kept: pruner (with what it wraps), fidelity, heartbeats
write_config broad/kept.yaml <<EOF2
study: kept
storage: sqlite:s.db
metric: score
direction: maximize
n_trials: 4
heartbeat_interval: 2
heartbeat_grace: 30
pruner: {name: patient, patience: 2, wraps: {name: median, n_warmup_steps: 1}}
fidelity: steps
interpreter: $PY
trial_timeout: 1h
timeout_state: pruned
retries: 1
max_failures: 7
log_limit_mb: 50
seed: 11
command: $PY train.py --tag $TAG --x {x} --steps {steps}
parameters:
  x: {type: float, low: 0, high: 6}
  steps: {type: int, low: 1, high: 3}
EOF2
"$HPSEARCH" run broad/kept.yaml --no-progress -q > /dev/null 2>&1
out=$("$HPSEARCH" narrow broad/kept.yaml --top 2 2>&1)
expect_eq "narrow with pruner and fidelity: exit 0" 0 $?
expect_eq "pruner kept" 'pruner: {name: "patient", patience: "2", wraps: {name: "median", n_warmup_steps: "1"}}' "$(grep '^pruner:' broad/kept-narrow.yaml)"
expect_eq "fidelity kept" 'fidelity: {name: "steps", min: 1, max: 3}' "$(grep '^fidelity:' broad/kept-narrow.yaml)"
expect_eq "heartbeats kept" "heartbeat_interval: 2 heartbeat_grace: 30" "$(grep '^heartbeat' broad/kept-narrow.yaml | tr '\n' ' ' | sed 's/ $//')"
for kept in "interpreter: \"$PY\"" "trial_timeout: 3600" "timeout_state: pruned" "retries: 1" \
            "max_failures: 7" "log_limit_mb: 50" "seed: 11" "direction: maximize"; do
    expect_eq "kept: $kept" "$kept" "$(grep "^${kept%%:*}:" broad/kept-narrow.yaml)"
done

# ---- -o elsewhere: the command, storage and log_dir still resolve from the new file
mkdir -p far/away other
out=$("$HPSEARCH" narrow broad/cont.yaml --top 3 --warm-start -o far/away/moved.yaml --study moved 2>&1)
expect_eq "narrow -o elsewhere: exit 0" 0 $?
f=far/away/moved.yaml
expect_eq "workdir: the old config's directory, relative" 'workdir: "../../broad"' "$(grep '^workdir:' $f)"
expect_eq "storage relative to the new file" 'storage: "sqlite:../../broad/s.db"' "$(grep '^storage:' $f)"
expect_eq "log_dir: the old one's, a folder per study" 'log_dir: "../../broad/logs/moved"' "$(grep '^log_dir:' $f)"
out=$(cd other && "$HPSEARCH" run ../$f --no-progress 2>&1)
expect_eq "the moved config runs from a third directory" 0 $?
expect_contains "its trials ran" "this run: 8 in" "$out"
expect_eq "its logs in a folder of the old log_dir" 8 "$(ls broad/logs/moved/trial-*.log 2>/dev/null | wc -l)"
expect_eq "no trial failed (train.py was found)" 0 "$(sql broad/s.db "SELECT COUNT(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'moved' AND t.state = 4")"
# far from everything: absolute paths
far=$(mktemp -d /tmp/hps-narrow-far.XXXXXX)
out=$("$HPSEARCH" narrow broad/cont.yaml --top 2 -o "$far/n.yaml" --study far 2>&1)
expect_eq "narrow -o /tmp: exit 0" 0 $?
case "$WORK" in
/tmp/*) ok "(same top directory as the test: relative paths are fine)" ;;
*) expect_eq "unrelated directories: absolute workdir" "workdir: \"$(cd broad && pwd -P)\"" "$(grep '^workdir:' "$far/n.yaml")" ;;
esac
"$HPSEARCH" plan "$far/n.yaml" > /dev/null 2>&1 && ok "the far config loads and passes run's checks" || fail "far config: $("$HPSEARCH" plan "$far/n.yaml" 2>&1)"
rm -rf "$far"

# ---- a grid study: the grid is refined around its best cells, and says what is new
write_config broad/grid.yaml <<EOF2
study: grid
storage: sqlite:s.db
metric: score
direction: maximize
sampler: grid
n_trials: 100
command: $PY train.py --tag $TAG --x {x} --y {y} --steps 1 --opt {opt} --z {z}
parameters:
  x: {values: [1.0, 2.0, 3.0, 4.0, 5.0]}
  y: {values: [0.01, 0.1, 1, 10, 100]}
  opt: [adam, sgd]
  z: {type: int, low: 1, high: 2}
EOF2
"$HPSEARCH" run broad/grid.yaml --no-progress -q > /dev/null 2>&1
expect_eq "the broad grid ran" 100 "$(sql broad/s.db "SELECT COUNT(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'grid' AND t.state = 2")"
out=$("$HPSEARCH" narrow broad/grid.yaml --top 1 --warm-start 2>&1)
expect_eq "narrow a grid: exit 0" 0 $?
f=broad/grid-narrow.yaml
expect_eq "x refined on its even spacing" "    values: [2.5, 3.0, 3.5]" "$(grep -A1 '^  x:' $f | tail -1)"
expect_eq "y refined on its log spacing" "    values: [0.316, 1, 3.16]" "$(grep -A1 '^  y:' $f | tail -1)"
expect_eq "the best categorical choice" '    values: ["adam"]' "$(grep -A1 '^  opt:' $f | tail -1)"
grep -A3 '^  z:' $f | grep -q 'high: 1' && ok "an int range with no room between its values narrows to the best" || fail "z: $(grep -A3 '^  z:' $f)"
expect_contains "says how many cells are new" "grid: 9 cells, 8 new (1 completed in study 'grid')" "$out"
expect_contains "warns about a best value at an end" "parameter 'z': the best value 1 is the smallest the grid tried" "$out"
expect_eq "warm start: the best cell" 1 "$(sql broad/s.db "SELECT COUNT(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'grid-narrow'")"
expect_eq "n_trials: warm + the original budget" "n_trials: 101" "$(grep '^n_trials:' $f)"
out=$("$HPSEARCH" run $f --no-progress 2>&1)
expect_eq "the refined grid runs" 0 $?
# Runs only the cells that did not run: needs the engine to skip cells a study already
# holds (a finite space is never run twice over).
expect_eq "every cell ran" 9 "$(sql broad/s.db "SELECT COUNT(*) FROM (SELECT DISTINCT px.value, py.value FROM trials t JOIN studies s USING (study_id) JOIN trial_params px ON px.trial_id = t.trial_id AND px.name = 'x' JOIN trial_params py ON py.trial_id = t.trial_id AND py.name = 'y' WHERE s.name = 'grid-narrow')")"
expect_eq "... once: 9 trials, the warm-started cell not again" 9 "$(sql broad/s.db "SELECT COUNT(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'grid-narrow'")"

# a grid without n_trials ran all its cells: the refined one gets its new cells
sed '/^n_trials:/d' broad/grid.yaml > broad/grid-all.yaml
out=$("$HPSEARCH" narrow broad/grid-all.yaml --top 1 --study g2 2>&1)
expect_eq "narrow a grid without n_trials: exit 0" 0 $?
expect_eq "its budget: the new cells" "n_trials: 8" "$(grep '^n_trials:' broad/g2.yaml)"

# a grid with no room left between its best values: an error, nothing written
write_config broad/ints.yaml <<EOF2
study: ints
storage: sqlite:s.db
metric: score
direction: maximize
sampler: grid
command: $PY train.py --tag $TAG --x {x} --y {y} --steps 1
parameters:
  x: {type: int, low: 1, high: 5}
  y: {type: int, low: 0, high: 2}
EOF2
"$HPSEARCH" run broad/ints.yaml --no-progress -q > /dev/null 2>&1
out=$("$HPSEARCH" narrow broad/ints.yaml --top 2 2>&1)
expect_eq "no new cell: exit 1" 1 $?
expect_contains "says why" "no new cell" "$out"
[ ! -e broad/ints-narrow.yaml ] && ok "nothing written" || fail "ints-narrow.yaml written"

# ---- W&B sweep files stay W&B files: method bayes, run_cap = warm + new
write_config broad/sweep.yaml <<EOF2
program: train.py
name: sweep
method: random
run_cap: 6
storage: sqlite:s.db
metric: {name: score, goal: maximize}
parameters:
  x: {min: 0.0, max: 6.0}
  y: {values: [0, 1, 2]}
command: ["\${env}", "\${interpreter}", "\${program}", --tag, $TAG, --steps=1, "\${args}"]
early_terminate: {type: hyperband, min_iter: 1, eta: 2}
entity: my-team
description: "sweep: x and y"
controller:
  type: local
EOF2
(cd broad && HPSEARCH_PYTHON=$PY "$HPSEARCH" run sweep.yaml --no-progress -q > /dev/null 2>&1)
out=$("$HPSEARCH" narrow broad/sweep.yaml --top 2 --warm-start 2>&1)
expect_eq "narrow a sweep: exit 0" 0 $?
f=broad/sweep-narrow.yaml
ws=$(sql broad/s.db "SELECT COUNT(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'sweep-narrow'")
expect_eq "method bayes" "method: bayes" "$(grep '^method:' $f)"
expect_contains "says so in W&B's words" "method: bayes (was random)" "$out"
expect_eq "run_cap: warm + new" "run_cap: $((ws + 6))" "$(grep '^run_cap:' $f)"
grep -q '^workdir:' $f && fail "a W&B sweep got a workdir it did not have" || ok "W&B: still runs where it is started"
expect_eq "W&B: early_terminate kept in W&B's form" "early_terminate: {type: hyperband, min_iter: 1, eta: 2}" "$(grep '^early_terminate:' $f)"
expect_eq "W&B: its metadata kept" 'entity: "my-team" description: "sweep: x and y" controller: {type: local}' \
    "$(grep -E '^(entity|description|controller):' $f | tr '\n' ' ' | sed 's/ $//')"
expect_eq "W&B: the command as it was" 7 "$(sed -n '/^command:/,/^[a-z]/p' $f | grep -c '^  - ')"
out=$(cd broad && HPSEARCH_PYTHON=$PY "$HPSEARCH" run sweep-narrow.yaml --no-progress 2>&1)
expect_contains "the narrowed sweep runs its 6 new trials" "this run: 6 in" "$out"
out=$("$HPSEARCH" narrow broad/sweep.yaml --top 2 --sampler tpe --study sweep3 2>&1)
expect_eq "a method W&B lacks: exit 2" 2 $?
expect_contains "says which methods exist" "method: 'tpe' is not supported (use random, grid or bayes)" "$out"
# ---- a conditional space: narrowing a parent keeps the file loadable. The two initial
# configurations are the best (adam with 3 layers), so sgd and layers 2 go: momentum
# (only for sgd) goes with sgd, nesterov (only for some momentum) with momentum, and
# width's condition keeps its 3; narrow says so, and the file loads and runs.
mkdir -p cond
cat > cond/score.sh <<'SHEOF'
score=0
for a in "$@"; do
  case $a in
  --optimizer=sgd) score=$((score + 10)) ;;
  --layers=1|--layers=2) score=$((score + 5)) ;;
  esac
done
echo score=$score
SHEOF
write_config cond/cn.yaml <<EOF2
study: cn
storage: sqlite:cn.db
metric: score
sampler: random
seed: 3
n_trials: 8
initial:
  - {optimizer: adam, layers: 3, width: 16}
  - {optimizer: adam, layers: 3, width: 32}
command: sh score.sh \${args}
parameters:
  optimizer: [adam, sgd]
  momentum:  {type: float, low: 0.5, high: 0.99, when: {optimizer: sgd}}
  nesterov:  {values: [true, false], when: {momentum: {min: 0.9}}}
  layers:    [1, 2, 3]
  width:     {values: [16, 32], when: {layers: [2, 3]}}
EOF2
(cd cond && "$HPSEARCH" run cn.yaml --no-progress >/dev/null 2>&1)
expect_eq "conditional: the broad study ran" 8 "$(sql cond/cn.db 'SELECT COUNT(*) FROM trials WHERE state = 2')"
out=$(cd cond && "$HPSEARCH" narrow cn.yaml --top 2 --warm-start --trials 2 2>&1)
expect_eq "conditional: narrow exit 0 (its file loads)" 0 $?
expect_contains "conditional: a child whose parent value went is dropped, and narrow says so" \
    "conditions: parameter 'momentum' dropped: its condition (optimizer is 'sgd') no longer holds for any value of the narrowed 'optimizer'" "$out"
expect_contains "conditional: so is its own child" \
    "conditions: parameter 'nesterov' dropped: its parent 'momentum' was dropped" "$out"
expect_contains "conditional: a condition loses the value its parent no longer takes" \
    "conditions: parameters.width.when.layers: 2 dropped, a value 'layers' no longer takes" "$out"
expect_contains "conditional: the old adam/3-layer trials warm-start it (inactive ones absent)" \
    "warm start: 3 of the 8 finished trials" "$out"
expect_eq "conditional: the file has no momentum or nesterov, and width when layers 3" \
    "0 0 1" "$(grep -c momentum cond/cn-narrow.yaml) $(grep -c nesterov cond/cn-narrow.yaml) $(grep -c 'when: {layers: \[3\]}' cond/cn-narrow.yaml)"
out=$(cd cond && "$HPSEARCH" run cn-narrow.yaml --no-progress 2>&1)
expect_eq "conditional: the narrowed config runs" 0 $?

# ---- a parameter added mid-study with a default: the narrowed config keeps the default
# while the narrowed range holds it, so the old trials that ran with it still warm-start
# the new study; a default the narrowed range leaves out goes, and so do those trials
mkdir -p dflt
cat > dflt/score.sh <<'SHEOF'
x=0 w=5
for a in "$@"; do
  case $a in
  --x=*) x=${a#--x=} ;;
  --w=*) w=${a#--w=} ;;
  esac
done
echo score=$((10 * x + w))
SHEOF
write_config dflt/v1.yaml <<EOF2
study: dv
storage: sqlite:dv.db
metric: score
direction: maximize
sampler: random
seed: 3
n_trials: 3
command: sh score.sh \${args}
parameters:
  x: {type: int, low: 1, high: 9}
EOF2
(cd dflt && "$HPSEARCH" run v1.yaml --no-progress >/dev/null 2>&1)
sed -e 's/n_trials: 3/n_trials: 5/' -e '$a\  w: {type: int, low: 1, high: 9, default: 5}' \
    dflt/v1.yaml > dflt/v2.yaml
(cd dflt && "$HPSEARCH" run v2.yaml --allow-changes --no-progress >/dev/null 2>&1)
expect_eq "default: the study ran before and after w was added" "3|2" \
    "$(sql dflt/dv.db "SELECT COUNT(*) - COUNT(w.value), COUNT(w.value) FROM trials t LEFT JOIN trial_params w ON w.trial_id = t.trial_id AND w.name = 'w' WHERE t.state = 2")"
# the best of the 5 (seed 3): (x, w) = (9, 4), then (3, -), (2, -), (2, 2), (1, -)
out=$(cd dflt && "$HPSEARCH" narrow v2.yaml --top 2 --warm-start --trials 1 --study kept 2>&1)
expect_eq "default: narrow exit 0" 0 $?
expect_eq "default: kept while the narrowed range holds it" "    default: 5" \
    "$(sed -n '/^  w:/,$p' dflt/kept.yaml | grep 'default:')"
expect_contains "default: the old trials without w warm-start it" "warm start: 4 of the 5" "$out"
expect_eq "default: ... with the value they ran with" 3 \
    "$(sql dflt/dv.db "SELECT COUNT(*) FROM trials t JOIN studies s USING (study_id) JOIN trial_params w ON w.trial_id = t.trial_id AND w.name = 'w' WHERE s.name = 'kept' AND w.value = 5")"
(cd dflt && "$HPSEARCH" plan kept.yaml > /dev/null 2>&1)
expect_eq "default: the narrowed config loads" 0 $?
# the top 4 hold two trials from before w (at its default 5): the range keeps 5
out=$(cd dflt && "$HPSEARCH" narrow v2.yaml --top 4 --margin 0 --warm-start --trials 1 --study top4 2>&1)
expect_eq "default: top trials without w: exit 0" 0 $?
expect_eq "default: they count at the default, which stays" "w 2 5 5" \
    "$(sed -n '/^  w:/,$p' dflt/top4.yaml | awk '/low:/{l=$2} /high:/{h=$2} /default:/{d=$2} END{print "w", l, h, d}')"
expect_contains "default: so they warm-start it" "warm start: 4 of the 5" "$out"
# only the best trial, (9, 4), in the top: the narrowed range leaves 5 out
out=$(cd dflt && "$HPSEARCH" narrow v2.yaml --top 1 --margin 0 --warm-start --trials 1 --study gone 2>&1)
expect_eq "default: narrow to a range without the default: exit 0" 0 $?
expect_eq "default: the default goes with it" "" "$(grep 'default:' dflt/gone.yaml)"
expect_contains "default: and so do the trials that ran with it" "warm start: 1 of the 5" "$out"
(cd dflt && "$HPSEARCH" plan gone.yaml > /dev/null 2>&1)
expect_eq "default: that config loads too" 0 $?


# ---- initial: configurations: narrow keeps those the narrowed space holds, in the file
# it writes, and drops the others naming each (file, line, why) -- before, one outside
# the space made narrow fail ("--sampler: sampler=auto: initial[1].x: 0.9 is not a value
# 'x' takes"). With --warm-start an entry an old trial ran is dropped (that trial is in
# the new study already), and those kept are enqueued by narrow, which creates the study.
mkdir -p ini
cat > ini/score.sh <<'SHEOF'
for a in "$@"; do case $a in --x=*) echo "score=${a#--x=}" ;; esac; done
SHEOF
write_config ini/ini.yaml <<'EOF2'
study: ini
storage: sqlite:ini.db
metric: score
sampler: random
seed: 3
n_trials: 8
command: sh score.sh ${args}
parameters:
  x: {type: float, low: 0, high: 1}
  y: [a, b]
initial:
  - {x: 0.9, y: a}
  - {x: 0.001, y: b}
EOF2
(cd ini && "$HPSEARCH" run ini.yaml --no-progress >/dev/null 2>&1)
expect_eq "initial: the broad study ran its two entries first" "0.9 0.001" \
    "$(sql ini/ini.db "SELECT p.value FROM trial_params p JOIN trials t USING (trial_id) WHERE p.name = 'x' AND t.number < 2 ORDER BY t.number" | tr '\n' ' ' | sed 's/ $//')"
out=$(cd ini && "$HPSEARCH" narrow ini.yaml --top 2 --margin 0 2>&1)
expect_eq "initial: narrow exit 0 with an entry outside the narrowed space" 0 $?
expect_contains "initial: says how many it kept" "initial: 1 of the 2 configurations kept, to run first in the new study" "$out"
expect_contains "initial: names the one it dropped, with file, line and why" \
    "initial: ini.yaml:12: dropped, outside the narrowed space: initial[1].x: 0.9 is not a value 'x' takes" "$out"
# the range it names is the narrowed one: no line of the old file, which has the old one
expect_contains "initial: the range named is the narrowed space's, not a line of the old file" \
    "initial[1].x: 0.9 is not a value 'x' takes (a number from" "$out"
case "$out" in
*"0.9 is not a value 'x' takes"*"; in the narrowed space)"*) ok "initial: says in the narrowed space" ;;
*) fail "initial: the drop note does not say the range is the narrowed space's: $out" ;;
esac
expect_eq "initial: the file keeps the entry that fits" 'initial:|  - {"x": 0.001, "y": "b"}' \
    "$(sed -n '/^initial:/,$p' ini/ini-narrow.yaml | tr '\n' '|' | sed 's/|$//')"
out=$(cd ini && "$HPSEARCH" run ini-narrow.yaml -n 2 --no-progress 2>&1)
expect_eq "initial: the narrowed config runs" 0 $?
expect_eq "initial: its first trial is the kept entry" "0.001" \
    "$(sql ini/ini.db "SELECT p.value FROM trial_params p JOIN trials t USING (trial_id) JOIN studies s ON s.study_id = t.study_id WHERE s.name = 'ini-narrow' AND t.number = 0 AND p.name = 'x'")"
# an entry added to the file after the study ran never ran: with --warm-start it is kept
sed '$a\  - {x: 0.002, y: b}' ini/ini.yaml > ini/ini2.yaml
out=$(cd ini && "$HPSEARCH" narrow ini2.yaml --top 2 --margin 0 --warm-start --study iw 2>&1)
expect_eq "initial --warm-start: exit 0" 0 $?
expect_contains "initial --warm-start: an entry an old trial ran is dropped" \
    "initial: ini2.yaml:13: dropped, trial 1 of study 'ini' ran it and warm-starts the new study" "$out"
expect_contains "initial --warm-start: the one that never ran is kept" "initial: 1 of the 3 configurations kept" "$out"
n_warm=$(sql ini/ini.db "SELECT COUNT(*) FROM trials t JOIN studies s ON s.study_id = t.study_id WHERE s.name = 'iw' AND t.state = 2")
expect_contains "initial --warm-start: (the old trials added)" "warm start: $n_warm of the 8" "$out"
expect_eq "initial --warm-start: narrow enqueued it after them, once (WAITING)" "$n_warm|0" \
    "$(sql ini/ini.db "SELECT t.number, t.state FROM trials t JOIN studies s ON s.study_id = t.study_id WHERE s.name = 'iw' AND t.state != 2")"
out=$(cd ini && "$HPSEARCH" run iw.yaml --no-progress 2>&1)
expect_eq "initial --warm-start: the narrowed config runs" 0 $?
case "$out" in
*"configurations enqueued"* | *"configuration enqueued"*) fail "run enqueued the kept entry again: $out" ;;
*) ok "initial --warm-start: run does not enqueue it again" ;;
esac
expect_eq "initial --warm-start: and ran it" "1|1" \
    "$(sql ini/ini.db "SELECT COUNT(*), SUM(t.state = 2) FROM trial_params p JOIN trials t USING (trial_id) JOIN studies s ON s.study_id = t.study_id WHERE s.name = 'iw' AND p.name = 'x' AND p.value = 0.002")"
# more kept entries than new trials: the ones beyond the budget go
out=$(cd ini && "$HPSEARCH" narrow ini2.yaml --top 2 --margin 0 --trials 1 --study one 2>&1)
expect_eq "initial --trials 1: exit 0" 0 $?
expect_contains "initial --trials 1: the entry beyond the budget is dropped" \
    "initial: ini2.yaml:14: dropped, beyond the budget of 1 new trial" "$out"
expect_eq "initial --trials 1: the file keeps the first" 'initial:|  - {"x": 0.001, "y": "b"}' \
    "$(sed -n '/^initial:/,$p' ini/one.yaml | tr '\n' '|' | sed 's/|$//')"

finish
