#!/usr/bin/env bash
# A space that changes mid-study: --allow-changes accepts a narrowed or widened range, a
# choice added or removed, a parameter removed, or one added with a `default:`, records
# each accepted change as a space version (the trials carry theirs; `show` lists them),
# and says how many earlier trials stay in the samplers' model. A changed type, metric,
# or a parameter added without a default is refused even so, naming it with file:line.
. "$(dirname "$0")/lib.sh"

expect_not_contains() { case "$3" in *"$2"*) fail "$1: found '$2' in: $3" ;; *) ok "$1" ;; esac; }

write_config v1.yaml <<EOF2
study: sv
storage: sqlite:sv.db
direction: maximize
metric: score
sampler: random
seed: 3
n_trials: 8
command: $TRAIN --x {x} --steps 1
parameters:
  x: {type: float, low: 0, high: 5}
  opt: [adam, sgd]
EOF2
"$HPSEARCH" run v1.yaml --no-progress -q > /dev/null 2>&1
expect_eq "version 1 ran" 8 "$(sql sv.db "SELECT COUNT(*) FROM trials")"
# what fits the narrowed space below: x <= 2.5 and opt adam (checked in x's order first)
fit=$("$PY" - sv.db <<'PYEOF'
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
rows = con.execute("SELECT trial_id, name, value, distribution FROM trial_params").fetchall()
trials = {}
for tid, name, value, dist in rows:
    d = json.loads(dist)
    trials.setdefault(tid, {})[name] = value if name == "x" else d["choices"][int(value)]
out_x = sum(1 for t in trials.values() if t["x"] > 2.5)
out_opt = sum(1 for t in trials.values() if t["x"] <= 2.5 and t["opt"] != "adam")
print(len(trials) - out_x - out_opt, out_x, out_opt)
PYEOF
)
read -r n_fit n_out_x n_out_opt <<< "$fit"

# x narrowed, choice sgd removed and rmsprop added, w added with a default
write_config v2.yaml <<EOF2
study: sv
storage: sqlite:sv.db
direction: maximize
metric: score
sampler: random
seed: 3
n_trials: 11
command: $TRAIN --x {x} --steps 1
parameters:
  x: {type: float, low: 0, high: 2.5}
  opt: [adam, rmsprop]
  w: {type: int, low: 1, high: 4, default: 2}
EOF2
out=$("$HPSEARCH" run v2.yaml --no-progress 2>&1)
expect_eq "a changed space without the flag exits 2" 2 $?
expect_contains "naming the range" "parameter 'x': the study had" "$out"
expect_contains "the new parameter with its default" "parameter 'w' is new (earlier trials: 2)" "$out"
expect_contains "and the way to continue" "--allow-changes (recorded in the study as a new space version)" "$out"

# refused even with --allow-changes
sed 's/  w: {type: int, low: 1, high: 4, default: 2}/  w: {type: int, low: 1, high: 4}/' v2.yaml > no-default.yaml
out=$("$HPSEARCH" run no-default.yaml --allow-changes --no-progress 2>&1)
expect_eq "an added parameter without a default exits 2" 2 $?
expect_contains "naming it with file and line" "no-default.yaml:12: parameter 'w' is new: give it \`default: VALUE\`, the value the study's earlier trials ran with" "$out"
out=$("$HPSEARCH" run no-default.yaml --no-progress 2>&1)
expect_contains "without the flag, it says the flag cannot help" "--allow-changes cannot continue it:" "$out"
sed 's/  x: {type: float, low: 0, high: 2.5}/  x: {type: int, low: 0, high: 2}/' v2.yaml > retyped.yaml
out=$("$HPSEARCH" run retyped.yaml --allow-changes --no-progress 2>&1)
expect_eq "a changed type exits 2" 2 $?
expect_contains "naming it with file and line" "retyped.yaml:10: parameter 'x' was float in the study and is int here: a parameter keeps its type within a study" "$out"
out=$("$HPSEARCH" run v2.yaml --set metric=loss --allow-changes --no-progress 2>&1)
expect_eq "a changed metric exits 2" 2 $?
expect_contains "naming it" "cannot continue with this config, even with --allow-changes" "$out"
expect_contains "and the metric" "v2.yaml: metric: the study's values are 'score', this config reads 'loss'" "$out"
sed 's/^metric: score/metric: loss/' v2.yaml > remetric.yaml
out=$("$HPSEARCH" run remetric.yaml --allow-changes --no-progress 2>&1)
expect_eq "a metric changed in the file exits 2" 2 $?
expect_contains "naming it with file and line" "remetric.yaml:4: metric: the study's values are 'score', this config reads 'loss'" "$out"
sed 's/^metric: score/metric: {name: score, summary: max}/' v2.yaml > resummary.yaml
out=$("$HPSEARCH" run resummary.yaml --allow-changes --no-progress 2>&1)
expect_eq "a metric read another way exits 2" 2 $?
expect_contains "naming it with file and line" "resummary.yaml:4: metric.summary: the study's values were read with \"last\", this config uses \"max\"" "$out"
expect_eq "nothing ran" 8 "$(sql sv.db "SELECT COUNT(*) FROM trials")"
expect_eq "and no version was recorded" "" \
    "$(sql sv.db "SELECT system_attrs FROM studies WHERE system_attrs LIKE '%space_versions%'")"

# accepted
out=$("$HPSEARCH" run v2.yaml --allow-changes --no-progress 2>&1)
expect_eq "--allow-changes continues" 0 $?
expect_contains "as space version 2" "continuing study 'sv' with a changed space: space version 2 (3 differences, recorded)" "$out"
left="$((8 - n_fit)) left out: "
[ "$n_out_x" -gt 0 ] && left+="$n_out_x outside x's range"
[ "$n_out_x" -gt 0 ] && [ "$n_out_opt" -gt 0 ] && left+=", "
[ "$n_out_opt" -gt 0 ] && left+="$n_out_opt outside opt's values"
expect_contains "counting the earlier trials the model keeps, once" \
    "space version 2: $n_fit of 8 COMPLETE trials fit it and stay in the samplers' model; $left" "$out"
expect_eq "3 new trials" 11 "$(sql sv.db "SELECT COUNT(*) FROM trials")"
expect_eq "each carries its version" 3 \
    "$(sql sv.db "SELECT COUNT(*) FROM trials WHERE system_attrs LIKE '%\"space_version\":2%'")"
expect_eq "in the new space" 3 \
    "$(sql sv.db "SELECT COUNT(*) FROM trial_params WHERE name = 'w'")"
out=$("$HPSEARCH" run v2.yaml -n 12 --no-progress 2>&1)
expect_eq "the changed config is the study's from then on" 0 $?
expect_not_contains "and the count is not printed again" "stay in the samplers' model" "$out"

# one record of the change: the space version, with the identity the study had before
expect_eq "the change recorded once, as a space version with what the study had before" \
    "1|1|0" "$(sql sv.db "SELECT json_array_length(system_attrs, '\$.space_versions'), json_extract(system_attrs, '\$.space_versions[0].before.parameters.opt.values') IS NOT NULL, json_type(system_attrs, '\$.config_changes') IS NOT NULL FROM studies WHERE name = 'sv'")"

# a study whose change an older hpsearch recorded only as config_changes ({at,
# differences, before}), and whose trials it did not tag with their space_version, reads
# it as its version 2: shown so, its trials counted by when they started, and the next
# is version 3
"$PY" - sv.db <<'PYEOF'
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
attrs = json.loads(con.execute("SELECT system_attrs FROM studies WHERE name = 'sv'").fetchone()[0])
# the change happened between the last version-1 trial's start and the first
# version-2 trial's (hpsearch records whole seconds, and these trials take less)
first_v2 = con.execute("SELECT MIN(datetime_start) FROM trials WHERE system_attrs LIKE '%\"space_version\":2%'").fetchone()[0]
attrs["config_changes"] = [{"at": first_v2, "differences": v["changes"], "before": v["before"]}
                           for v in attrs.pop("space_versions")]
con.execute("UPDATE studies SET system_attrs = ? WHERE name = 'sv'", (json.dumps(attrs),))
for trial_id, text in con.execute("SELECT trial_id, system_attrs FROM trials").fetchall():
    t = json.loads(text or "{}")
    t.pop("space_version", None)
    con.execute("UPDATE trials SET system_attrs = ? WHERE trial_id = ?", (json.dumps(t), trial_id))
con.commit()
PYEOF
expect_eq "(the study now as an older hpsearch left it)" "0|1|0" \
    "$(sql sv.db "SELECT json_type(system_attrs, '\$.space_versions') IS NOT NULL, json_array_length(system_attrs, '\$.config_changes'), (SELECT COUNT(*) FROM trials WHERE system_attrs LIKE '%space_version%') FROM studies WHERE name = 'sv'")"
out=$("$HPSEARCH" show sv --storage sqlite:sv.db --ascii 2>&1)
expect_contains "an older study's recorded change is its version 2" "space versions: 2 (trials sampled under each)" "$out"
expect_contains "with what changed" "parameter 'w' is new (earlier trials: 2)" "$out"
expect_contains "its untagged trials from before the change are version 1's" "  1  as created  8 trials" "$out"
expect_contains "those started after it, version 2's" "UTC  4 trials" "$out"

# An older hpsearch wrote "at" as time(NULL), whole seconds: the change's second floored.
# Trials started in that second count under the change (the run that accepted it samples
# at once); those started in the seconds before are version 1's. Version 1's trials are
# moved before that second (this test runs fast: they may have started in it), the last
# of them then into it, and everything is put back (from legacy.json).
legacy_at() { # MODE: floor-before | floor-same | restore
    "$PY" - sv.db "$1" <<'PYEOF'
import json, math, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
mode = sys.argv[2]
attrs = json.loads(con.execute("SELECT system_attrs FROM studies WHERE name = 'sv'").fetchone()[0])
study_id = con.execute("SELECT study_id FROM studies WHERE name = 'sv'").fetchone()[0]
v1 = con.execute("SELECT trial_id, datetime_start FROM trials WHERE study_id = ? AND number < 8 "
                 "ORDER BY number", (study_id,)).fetchall()
first_v2 = con.execute("SELECT MIN(datetime_start) FROM trials WHERE study_id = ? AND number >= 8",
                       (study_id,)).fetchone()[0]
change = attrs["config_changes"][0]
if mode == "restore":
    saved = json.load(open("legacy.json"))
    change["at"] = saved["at"]
    starts = [(start, tid) for tid, start in saved["starts"]]
else:
    try:
        open("legacy.json", "x").write(json.dumps({"at": change["at"], "starts": v1}))
    except FileExistsError:
        pass
    second = math.floor(first_v2)
    change["at"] = second
    starts = [(second - 1 - (len(v1) - k) * 0.01, tid) for k, (tid, _) in enumerate(v1)]
    if mode == "floor-same":
        starts[-1] = (second + (first_v2 - second) / 2, v1[-1][0])
con.executemany("UPDATE trials SET datetime_start = ? WHERE trial_id = ?", starts)
con.execute("UPDATE studies SET system_attrs = ? WHERE name = 'sv'", (json.dumps(attrs),))
con.commit()
PYEOF
}
legacy_at floor-before
out=$("$HPSEARCH" show sv --storage sqlite:sv.db --ascii 2>&1)
expect_contains "a floored 'at': version 1's trials before its second stay version 1's" \
    "  1  as created  8 trials" "$out"
expect_contains "and version 2's, started in that second, are version 2's" "UTC  4 trials" "$out"
legacy_at floor-same
out=$("$HPSEARCH" show sv --storage sqlite:sv.db --ascii 2>&1)
expect_contains "a version-1 trial started in the change's very second counts under the change" \
    "  1  as created  7 trials" "$out"
expect_contains "(whole seconds cannot tell it apart)" "UTC  5 trials" "$out"
legacy_at restore
out=$("$HPSEARCH" show sv --storage sqlite:sv.db --ascii 2>&1)
expect_contains "(put back)" "  1  as created  8 trials" "$out"

# widened, and a parameter removed: every earlier trial fits
sed -e 's/high: 2.5}/high: 10}/' -e '/^  opt:/d' -e 's/n_trials: 11/n_trials: 13/' v2.yaml > v3.yaml
out=$("$HPSEARCH" run v3.yaml --allow-changes --no-progress 2>&1)
expect_eq "a widened range and a removed parameter continue" 0 $?
expect_contains "as space version 3" "space version 3 (2 differences, recorded)" "$out"
expect_contains "every trial fits" "space version 3: 12 of 12 COMPLETE trials fit it" "$out"

out=$("$HPSEARCH" show sv --storage sqlite:sv.db --ascii 2>&1)
expect_contains "show lists the versions" "space versions: 3 (trials sampled under each)" "$out"
expect_contains "the first" "  1  as created  8 trials" "$out"
expect_contains "what changed" "parameter 'opt' was in the study's space and is not in this config" "$out"
expect_contains "the second's trials" "UTC  4 trials" "$out"

finish
