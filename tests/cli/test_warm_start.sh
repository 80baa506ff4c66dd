#!/usr/bin/env bash
# `warm_start: {from: STUDY}`: the run that creates a study adds the earlier study's
# COMPLETE trials that fit its changed space (by name; outside a range or missing a
# parameter: left out, and counted), marked as such; they do not use up n_trials; a
# resumed study does not get them again; a missing study or other directions are
# refused before anything runs.
. "$(dirname "$0")/lib.sh"

# The trainer writes the parameters it was given, by study and trial number.
cat > args.py <<'PYEOF'
import json, sys
study, number, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
with open("args-%s-%s.json" % (study, number), "w") as f:
    json.dump(params, f)
print("score=%s" % (params["lr"] + params.get("width", 0)))
PYEOF

write_config v1.yaml <<EOF
study: v1
storage: sqlite:warm.db
metric: score
sampler: random
seed: 11
n_trials: 12
command: $PY args.py v1 {trial_number} \${args_json}
parameters:
  arch:  [mlp, linear]
  width: {type: int, low: 1, high: 8, when: {arch: mlp}}
  lr:    {low: 0.001, high: 1.0, log: true}
EOF
"$HPSEARCH" run v1.yaml --no-progress > v1.log 2>&1
expect_eq "the old study runs" 0 $?

# The new space: lr narrowed, width for every arch, a new constant.
write_config v2.yaml <<EOF
study: v2
storage: sqlite:warm.db
metric: score
sampler: tpe
seed: 5
n_trials: 3
warm_start: {from: v1}
command: $PY args.py v2 {trial_number} \${args_json}
parameters:
  lr:     {low: 0.01, high: 1.0, log: true}
  arch:   [mlp, linear]
  width:  {type: int, low: 1, high: 8}
  epochs: 3
EOF
# what should fit, from what the old trials were given (lr is checked first)
expected=$("$PY" - <<'PYEOF'
import glob, json
fit = outside = missing = 0
for path in glob.glob("args-v1-*.json"):
    p = json.load(open(path))
    if p["lr"] < 0.01:
        outside += 1
    elif "width" not in p:
        missing += 1
    else:
        fit += 1
left = ", ".join(x for x in ["%d outside lr's range" % outside if outside else "",
                             "%d without `width`" % missing if missing else ""] if x)
print("%d|warm start: %d of %d trials of v1 fit the space; %d left out: %s"
      % (fit, fit, fit + outside + missing, outside + missing, left))
PYEOF
)
fit=${expected%%|*}
message=${expected#*|}
[ "$fit" -gt 0 ] && [ "$fit" -lt 12 ] && ok "some old trials fit and some do not ($fit of 12)" ||
    fail "the seed gives no mix of fitting and refused trials ($fit of 12)"

out=$("$HPSEARCH" plan v2.yaml 2>&1)
expect_contains "plan counts what would fit" \
    "warm start: $fit of the 12 COMPLETE trials of study 'v1' fit the space" "$out"
out=$("$HPSEARCH" run v2.yaml --no-progress 2>&1)
expect_eq "the warm-started study runs" 0 $?
expect_contains "run counts what fit and what was left out" "$message" "$out"
# a new study is not resumed: its finished trials are the warm start's
expect_contains "a new warm-started study says where its finished trials came from" \
    "hpsearch: $fit trials from warm start fit the space and count as finished; none of this study's own has run yet" "$out"
case "$out" in
*"resuming:"*) fail "a new warm-started study says it is resuming: $out" ;;
*) ok "a new warm-started study does not say resuming" ;;
esac
v2_trials() { sql warm.db "SELECT COUNT(*) FROM trials t JOIN studies s ON s.study_id = t.study_id
                          WHERE s.name = 'v2' $1"; }
marked="AND t.user_attrs LIKE '%warm_start_from%'"
expect_eq "the added trials are marked warm_start_from" "$fit" "$(v2_trials "$marked")"
expect_eq "n_trials: 3 new trials ran besides them" 3 "$(ls args-v2-*.json | wc -l)"
expect_eq "the study holds both" $((fit + 3)) "$(v2_trials "")"
table=$("$HPSEARCH" trials v2 --storage sqlite:warm.db 2>&1)
expect_eq "the trials table notes each added trial" "$fit" "$(grep -c ' warm start: v1 #[0-9]' <<< "$table")"
listed=$("$HPSEARCH" trials v2 --storage sqlite:warm.db --format json 2>&1)
expect_contains "hpsearch trials shows where an added trial came from" '"warm_start_from"' "$listed"
curves=$("$PY" - warm.db <<'PYEOF'
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
def curve(study, number):
    return con.execute("SELECT i.step, i.value FROM trial_intermediate i JOIN trials t ON "
                       "t.trial_id = i.trial_id JOIN studies s ON s.study_id = t.study_id WHERE "
                       "s.name = ? AND t.number = ? ORDER BY i.step", (study, number)).fetchall()
same = steps = 0
for number, attrs in con.execute("SELECT t.number, t.user_attrs FROM trials t JOIN studies s ON "
                                 "s.study_id = t.study_id WHERE s.name = 'v2'").fetchall():
    origin = json.loads(attrs).get("warm_start_from")
    if origin is not None:
        old = curve("v1", origin["number"])
        same += old == curve("v2", number)
        steps += len(old)
print(same, steps)
PYEOF
)
expect_eq "the added trials have the old trials' intermediate values" "$fit" "${curves% *}"
[ "${curves#* }" -gt 0 ] && ok "the old trials had curves to copy" || fail "no old curves: $curves"
expect_eq "the new constant is given to the added trials" "$fit" \
    "$("$PY" -c 'import json, sys; print(sum(1 for t in json.loads(sys.argv[1]) if "warm_start_from" in json.dumps(t) and t["params"].get("epochs") == 3))' "$listed")"

out=$("$HPSEARCH" plan v2.yaml -n 5 2>&1)
expect_contains "plan on the resumed study leaves the added trials out of the budget" \
    "already in the study: 3 of these trials" "$out"
case "$out" in
*"warm start:"*) fail "plan says a resumed study would be warm-started: $out" ;;
*) ok "plan says no second warm start" ;;
esac
# resumed with a larger budget: 2 more new trials, no second warm start
out=$("$HPSEARCH" run v2.yaml -n 5 --no-progress 2>&1)
expect_eq "the study resumes" 0 $?
expect_contains "resuming counts its own trials apart from the warm start's" \
    "hpsearch: resuming: 3 trials already finished (besides $fit from warm start)" "$out"
case "$out" in
*"warm start:"*) fail "resume warm-started again: $out" ;;
*) ok "resume does not warm-start again" ;;
esac
expect_eq "the resumed run ran 2 new trials" 5 "$(ls args-v2-*.json | wc -l)"
expect_eq "the study holds the added trials once" $((fit + 5)) "$(v2_trials "")"

# three workers starting a warm-started study at once: one adds the trials
sed -e 's/^study: v2/study: v3/' -e 's/args.py v2/args.py v3/' v2.yaml > v3.yaml
for w in 1 2 3; do "$HPSEARCH" run v3.yaml --no-progress > "w$w.log" 2>&1 & done
wait
expect_eq "one of three workers warm-started the study" 1 "$(grep -l 'warm start:' w?.log | wc -l)"
expect_eq "the trials were added once" "$fit" "$(sql warm.db "SELECT COUNT(*) FROM trials t
    JOIN studies s ON s.study_id = t.study_id
    WHERE s.name = 'v3' AND t.user_attrs LIKE '%warm_start_from%'")"
expect_eq "the three workers ran n_trials new trials between them" 3 "$(ls args-v3-*.json | wc -l)"
# A worker must never take a trial the warm start is adding (it would run the old
# configuration as a new trial, and the warm start record another trial under the old
# values): every added trial has its origin's parameters, and no new trial ran an old
# configuration (lr is continuous: the sampler never draws an old value exactly).
race=$("$HPSEARCH" trials v3 --storage sqlite:warm.db --format json 2>&1 | "$PY" -c '
import glob, json, sys
old = {}
for path in glob.glob("args-v1-*.json"):
    old[int(path.split("-")[-1].split(".")[0])] = json.load(open(path))
def same(params, given):
    keys = ("lr", "arch", "width")
    return all(params.get(k) == given.get(k) for k in keys if k in given) and \
        params.get("epochs") == 3
checked = wrong = stolen = 0
for t in json.load(sys.stdin):
    origin = t.get("user_attrs", {}).get("warm_start_from")
    if origin is not None:
        checked += 1
        wrong += not same(t["params"], old[origin["number"]])
    else:
        stolen += any(t["params"].get("lr") == given["lr"] for given in old.values())
print(checked, wrong, stolen)')
read -r checked wrong stolen <<< "$race"
expect_eq "the added trials are checked against their origins" "$fit" "$checked"
expect_eq "every added trial has its origin trial's parameters" 0 "$wrong"
expect_eq "no new trial ran an old trial's configuration" 0 "$stolen"

# two objectives: the added trials keep every objective's curve, step by step
cat > mo.py <<'PYEOF'
import sys
x = float(sys.argv[1])
for epoch in range(3):
    print("epoch=%d acc=%r cost=%r" % (epoch, x * (epoch + 1), (1 - x) * (epoch + 2)), flush=True)
PYEOF
mo_config() { # STUDY N_TRIALS [WARM]
    cat <<EOF
study: $1
storage: sqlite:mo.db
metrics:
  - {name: acc, goal: maximize}
  - {name: cost, goal: minimize}
sampler: random
seed: 2
n_trials: $2
${3:+warm_start: {from: $3\}}
command: $PY mo.py {x}
parameters:
  x: {low: 0.0, high: 1.0}
EOF
}
mo_config mo1 4 > mo1.yaml
"$HPSEARCH" run mo1.yaml --no-progress > /dev/null 2>&1
expect_eq "the two-objective study ran" 0 $?
mo_config mo2 1 mo1 > mo2.yaml
"$HPSEARCH" run mo2.yaml --no-progress > mo2.log 2>&1
expect_eq "a two-objective study warm-starts" 0 $?
curves() { # STUDY KEY [WHERE]: each trial's step:acc:cost, keyed by KEY
    sql mo.db "SELECT $2, group_concat(i.step || ':' || i.value || ':' || m.value, ' ')
               FROM trials t JOIN studies s USING (study_id)
               JOIN trial_intermediate i USING (trial_id)
               JOIN trial_intermediate_more m USING (trial_id, step)
               WHERE s.name = '$1' AND m.objective = 1 ${3:-} GROUP BY t.trial_id ORDER BY 1"
}
old_curves=$(curves mo1 t.number)
expect_eq "the old trials had two-objective curves" 4 "$(wc -l <<< "$old_curves")"
expect_eq "the added trials have both objectives' curves of their origins" "$old_curves" \
    "$(curves mo2 "json_extract(t.user_attrs, '\$.warm_start_from.number')" \
           "AND t.user_attrs LIKE '%warm_start_from%'")"

# refused before anything runs: no such study, other directions, its own study
sed -e 's/^study: v2/study: v4/' -e 's/from: v1/from: v0/' v2.yaml > missing.yaml
out=$("$HPSEARCH" run missing.yaml --no-progress 2>&1)
expect_eq "a missing study: exit 2" 2 $?
expect_contains "a missing study: named with file and line" "missing.yaml:7: warm_start: no study 'v0' in" "$out"
out=$("$HPSEARCH" plan missing.yaml 2>&1)
expect_eq "plan refuses it too" 2 $?
sed -e 's/^study: v2/study: v5/' -e 's/^metric: score/metric: score\ndirection: maximize/' v2.yaml > other.yaml
out=$("$HPSEARCH" run other.yaml --no-progress 2>&1)
expect_eq "other directions: exit 2" 2 $?
expect_contains "other directions: said" "other directions than this config's" "$out"
sed -e 's/from: v1/from: v2/' v2.yaml > own.yaml
out=$("$HPSEARCH" run own.yaml --no-progress 2>&1)
expect_eq "its own study: exit 2" 2 $?
expect_contains "its own study: said" "own.yaml:7: warm_start.from: 'v2' is this config's own study" "$out"
sed -e 's/^study: v2/study: v6/' -e 's|from: v1}|from: v1, storage: sqlite:nothing.db}|' v2.yaml > nostore.yaml
out=$("$HPSEARCH" run nostore.yaml --no-progress 2>&1)
expect_eq "a storage without the study: exit 2" 2 $?
expect_contains "a storage without the study: said" "nostore.yaml:7: warm_start:" "$out"
expect_eq "no refused study was created" 0 "$(sql warm.db "SELECT COUNT(*) FROM studies WHERE name IN ('v4', 'v5', 'v6')")"

# sampler: cmaes -- the old trials seed CMA-ES's first run (option source_trials, as
# Optuna's CmaEsSampler(source_trials=)): its first generation lies nearer the old
# trials' best (the trainer's optimum is x=3, y=1) than a cold start's with the same seed
cma_config() { # STUDY SAMPLER N_TRIALS [WARM]
    cat <<EOF
study: $1
storage: sqlite:cma.db
direction: maximize
metric: score
sampler: $2
seed: 4
n_trials: $3
${4:+warm_start: {from: $4\}}
command: $TRAIN --x {x} --y {y} --steps 1
parameters:
  x: {low: -10.0, high: 10.0}
  y: {low: -10.0, high: 10.0}
EOF
}
cma_config c-old random 20 > c-old.yaml
"$HPSEARCH" run c-old.yaml --no-progress -q > /dev/null 2>&1
cma_config c-warm cmaes 6 c-old > c-warm.yaml
out=$("$HPSEARCH" run c-warm.yaml --no-progress -q 2>&1)
expect_eq "a cmaes study warm-starts" 0 $?
cma_config c-cold cmaes 6 > c-cold.yaml
"$HPSEARCH" run c-cold.yaml --no-progress -q > /dev/null 2>&1
distance() { # STUDY: its new trials, and their mean distance from the optimum
    "$PY" - cma.db "$1" <<'PYEOF'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
rows = con.execute("SELECT t.trial_id, p.name, p.value FROM trials t JOIN studies s ON "
                   "s.study_id = t.study_id JOIN trial_params p ON p.trial_id = t.trial_id "
                   "WHERE s.name = ? AND t.user_attrs NOT LIKE '%warm_start_from%'",
                   (sys.argv[2],)).fetchall()
points = {}
for tid, name, value in rows:
    points.setdefault(tid, {})[name] = value
d = [((p["x"] - 3) ** 2 + (p["y"] - 1) ** 2) ** 0.5 for p in points.values()]
print("%d %.6f" % (len(d), sum(d) / len(d)))
PYEOF
}
warm=$(distance c-warm)
cold=$(distance c-cold)
expect_eq "6 new CMA-ES trials" 6 "${warm% *}"
"$PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' \
    "${warm#* }" "${cold#* }" && ok "the seeded first generation is nearer the optimum ($warm vs $cold)" ||
    fail "the seeded first generation is not nearer the optimum: $warm vs cold $cold"
# too few old trials to fit a start: said, and CMA-ES starts as usual
cma_config c-few random 5 > c-few.yaml
"$HPSEARCH" run c-few.yaml --no-progress -q > /dev/null 2>&1
cma_config c-few2 cmaes 2 c-few > c-few2.yaml
out=$("$HPSEARCH" run c-few2.yaml --no-progress -q 2>&1)
expect_eq "a cmaes study with too few old trials runs" 0 $?
expect_contains "and says CMA-ES starts as usual" "CMA-ES starts as usual: fitting its first run to the old trials needs 10 that fit the space, and c-few has 5" "$out"


# A grid takes only its points: old trials anywhere else in the range are left out and
# counted as such, not refused by the study without a word; trials on the points go in.
grid_config() { # STUDY SAMPLER [WARM_FROM]: x on [0, 1], on a grid its 3 points 0, 0.5, 1
    cat <<EOF2
study: $1
storage: sqlite:grid.db
metric: score
sampler: $2
seed: 4
n_trials: 4
command: $TRAIN --x {x}
parameters:
  x: {type: float, low: 0, high: 1, grid_points: 3}
EOF2
    [ -z "${3:-}" ] || echo "warm_start: {from: $3}"
}
grid_config w1 random > w1.yaml
"$HPSEARCH" run w1.yaml --no-progress -q > /dev/null 2>&1
grid_config w2 grid w1 > w2.yaml
out=$("$HPSEARCH" run w2.yaml --no-progress 2>&1)
expect_eq "a grid study warm-started from off-grid trials runs" 0 $?
expect_contains "and names why they are left out" \
    "warm start: 0 of 4 trials of w1 fit the space; 4 left out: 4 off x's grid points" "$out"
grid_config w3 grid > w3.yaml
"$HPSEARCH" run w3.yaml --no-progress -q > /dev/null 2>&1
grid_config w4 grid w3 > w4.yaml
out=$("$HPSEARCH" run w4.yaml --no-progress 2>&1)
expect_eq "a grid study warm-started from trials on its points runs" 0 $?
expect_contains "and takes them all" "warm start: 3 of 3 trials of w3 fit the space" "$out"

exit $((failures > 0))
