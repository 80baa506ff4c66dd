#!/usr/bin/env bash
# The report and the dashboard of a study of several objectives: a small two-objective
# constrained study made through the Python API (fixed trials, one failed); the view's
# Pareto front is the feasible non-dominated set, infeasible trials are marked, the
# hypervolume history matches one computed here independently (brute force, Optuna's
# reference point), the table sorts by the second objective and by constraint, and the
# dashboard serves the same view. In Chromium the page draws the Pareto front (a
# scatter for 2 objectives, pairwise scatters for 3, parallel coordinates for 4) and the
# hypervolume history without an error, and its table sorts by the second objective and
# by the constraint.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"
need_browser

# make_mo STORAGE NAME KIND -- pareto2: the fixed trials below (loss minimized, acc
# maximized, constraint mem - 8 <= 0), and trial 3 fails; obj3, obj4: 12 random points
# of the unit cube as 3 and 4 minimized objectives; allbad: 4 trials, all infeasible, one
# with an infinite loss; single: one objective, losses 5, 1, 3, the 1 infeasible.
make_mo() {
    hps_py "$@" <<'PYEOF'
import sys
import hpsearch
url, name, kind = sys.argv[1], sys.argv[2], sys.argv[3]
hpsearch.logging.set_verbosity(hpsearch.logging.CRITICAL)
# (loss, acc, mem): trial 2 would dominate trial 4 but is infeasible; trial 4 sits on
# the boundary (mem - 8 == 0: feasible); trial 7 is dominated by trial 4.
TRIALS = [(3.0, 0.70, 6), (1.0, 0.80, 7), (2.0, 0.95, 8.5), None, (2.0, 0.90, 8),
          (4.0, 0.97, 4), (0.5, 0.60, 2), (2.5, 0.90, 5), (5.0, 0.99, 12)]
if kind.startswith("pareto2"):
    study = hpsearch.create_study(
        storage=url, study_name=name, directions=["minimize", "maximize"],
        sampler=hpsearch.samplers.TPESampler(
            seed=3, constraints_func=lambda t: [t.user_attrs["mem"] - 8]))
    for i in range(len(TRIALS)):
        study.enqueue_trial({"i": i})
    def objective(trial):
        row = TRIALS[trial.suggest_int("i", 0, len(TRIALS) - 1)]
        if row is None:
            raise RuntimeError("out of memory")
        trial.set_user_attr("mem", row[2])
        return row[0], row[1]
    study.optimize(objective, n_trials=len(TRIALS), catch=(RuntimeError,))
    # the reference point a config's `reference:` keys record (loss 3, acc 0.75), and
    # one that is not a point of two objectives
    if kind == "pareto2ref":
        study.set_user_attr("reference_point", [3, 0.75])
    elif kind == "pareto2badref":
        study.set_user_attr("reference_point", [3, "high"])
elif kind == "allbad":
    # every trial infeasible, one with an infinite loss: no front, no hypervolume
    study = hpsearch.create_study(
        storage=url, study_name=name, directions=["minimize", "maximize"],
        sampler=hpsearch.samplers.TPESampler(seed=3, constraints_func=lambda t: [1.0]))
    study.optimize(lambda t: (float("inf") if t.number == 1 else t.suggest_float("x", 0, 1), 0.5),
                   n_trials=4)
elif kind == "single":
    # one objective, and the lowest loss infeasible
    study = hpsearch.create_study(
        storage=url, study_name=name, direction="minimize",
        sampler=hpsearch.samplers.TPESampler(seed=3, constraints_func=lambda t: [t.user_attrs["c"]]))
    for loss, c in [(5.0, -1.0), (1.0, 2.0), (3.0, 0.0)]:
        study.enqueue_trial({"loss": loss})
    def objective(trial):
        loss = trial.suggest_float("loss", 0, 10)
        trial.set_user_attr("c", {5.0: -1.0, 1.0: 2.0, 3.0: 0.0}[loss])
        return loss
    study.optimize(objective, n_trials=3)
else:
    m = 3 if kind == "obj3" else 4
    study = hpsearch.create_study(storage=url, study_name=name, directions=["minimize"] * m,
                                  sampler=hpsearch.samplers.RandomSampler(seed=5))
    if m == 3:  # named as `hpsearch run` names a config's metrics
        study.set_user_attr("metrics", ["loss", "seconds", "mem_gb"])
    def objective(trial):
        return tuple(trial.suggest_float("x%d" % k, 0.0, 1.0) for k in range(m))
    study.optimize(objective, n_trials=12)
PYEOF
}

make_mo sqlite:mo.db pareto2 pareto2
"$HPSEARCH" report pareto2 --storage sqlite:mo.db -o pareto2.html 2> /dev/null
expect_eq "report of a two-objective study exits 0" 0 $?

# The view against what the trials say, computed here.
"$PY" - pareto2.html <<'PYEOF' > check.out 2>&1
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<script id="hps-boot" type="application/json">(.*?)</script>', html, re.S)
boot = json.loads(m.group(1))
view, rows = boot["view"], boot["rows"]
problems = []
def check(what, expected, actual):
    if expected != actual:
        problems.append("%s: expected %r, got %r" % (what, expected, actual))

check("directions", ["minimize", "maximize"], view["directions"])
check("objectives without names", [None, None], view["objective_names"])
check("constraints", 1, view["n_constraints"])
done = [r for r in rows if r["state"] == "COMPLETE"]
check("complete trials", 8, len(done))
check("failed trial has no constraints", None, rows[3].get("constraints"))
for r in done:
    mem = {0: 6, 1: 7, 2: 8.5, 4: 8, 5: 4, 6: 2, 7: 5, 8: 12}[r["number"]]
    check("constraint of %d" % r["number"], [mem - 8], r["constraints"])
    check("feasible %d" % r["number"], mem <= 8, r["feasible"])

# Minimize loss, maximize acc: the feasible trials no other feasible trial dominates.
def key(r):
    return (r["values"][0], -r["values"][1])
def dominates(a, b):
    return all(x <= y for x, y in zip(a, b)) and a != b
feasible = [r for r in done if r["feasible"]]
front = sorted(r["number"] for r in feasible
               if not any(dominates(key(o), key(r)) for o in feasible))
check("front worked by hand", [1, 4, 5, 6], front)
check("view's front", front, view["pareto"]["front"])
check("rows marked front", front, [r["number"] for r in rows if r.get("front")])
points = {p[0]: p for p in view["pareto"]["points"]}
check("points drawn", sorted(r["number"] for r in done), sorted(points))
check("infeasible points", [2, 8], sorted(n for n, p in points.items() if p[2] == 0))
check("front points", front, sorted(n for n, p in points.items() if p[3] == 1))

# Optuna's reference point: the worst of each objective (minimized) over the feasible
# trials, moved out by 10% of its size.
worst = [max(key(r)[k] for r in feasible) for k in range(2)]
ref = [max(1.1 * w, 0.9 * w) for w in worst]
got = view["pareto"]["reference"]
check("reference point", True, abs(got[0] - ref[0]) < 1e-12 and abs(got[1] + ref[1]) < 1e-12)

# The hypervolume of the feasible front after each COMPLETE trial, by brute force: the
# area of the union of the boxes [p, ref], cell by cell over the grid of coordinates.
def area(pts):
    xs = sorted(set([p[0] for p in pts] + [ref[0]]))
    ys = sorted(set([p[1] for p in pts] + [ref[1]]))
    total = 0.0
    for i in range(len(xs) - 1):
        for j in range(len(ys) - 1):
            if any(p[0] <= xs[i] and p[1] <= ys[j] for p in pts):
                total += (xs[i + 1] - xs[i]) * (ys[j + 1] - ys[j])
    return total
expected, seen = [], []
for r in done:
    if r["feasible"]:
        seen.append(key(r))
    expected.append((r["number"], area(seen)))
history = view["pareto"]["hypervolume"]
check("history trials", [n for n, _ in expected], [n for n, _ in history])
for (n, hv), (gn, ghv) in zip(expected, history):
    if abs(hv - ghv) > 1e-9 * max(1.0, hv):
        problems.append("hypervolume after trial %d: expected %r, got %r" % (n, hv, ghv))
check("hypervolume grows", True, all(a[1] <= b[1] for a, b in zip(history, history[1:])))
print("ok" if not problems else "\n".join(problems))
PYEOF
expect_eq "front, infeasible trials and hypervolume history ($(cat check.out))" ok "$(tail -1 check.out)"

# The page: the front, the hypervolume history and the table, sortable by the second
# objective and the constraint (the trial without values last), with no error.
BY_ACC="[6, 0, 1, 4, 7, 2, 5, 8, 3]"
BY_CONSTRAINT="[6, 5, 7, 0, 1, 4, 2, 8, 3]"
res=$(check_page "file://$WORK/pareto2.html" --interact --screenshot "$ARTIFACTS/report-pareto2.png" \
      --charts pareto,hypervolume,history,table --text "4 on the Pareto front" \
      --text "infeasible trials (a constraint above 0) are grey crosses" \
      --text "minimize objective 0, maximize objective 1 · 9 trials" \
      --sort-by "value 1" --sort-by "constraint 0")
expect_eq "two objectives: the page draws the front and the hypervolume ($res)" 0 $?
expect_eq "page table sorted by the second objective" "$BY_ACC" "$(json_get "$res" 'd["sorted"]["value 1"]')"
expect_eq "page table sorted by the constraint" "$BY_CONSTRAINT" "$(json_get "$res" 'd["sorted"]["constraint 0"]')"

# A reference point the study names (user attribute reference_point, as `hpsearch run`
# records a config's `reference:` keys): (loss 3, acc 0.75). Only trials 1 (1, 0.8) and
# 4 (2, 0.9) are better in both: boxes of 2 x 0.05 and 1 x 0.15 overlapping in 1 x 0.05,
# so 0.1 after trial 1 and 0.2 from trial 4 on; trial 0 (loss 3, not below 3) and trial 7
# (dominated by 4) add nothing.
make_mo sqlite:mo.db pareto2ref pareto2ref
"$HPSEARCH" report pareto2ref --storage sqlite:mo.db -o pareto2ref.html 2> /dev/null
expect_eq "named reference point: the report's point and history" \
    "[3, 0.75] True [[0, 0], [1, 0.1], [2, 0.1], [4, 0.2], [5, 0.2], [6, 0.2], [7, 0.2], [8, 0.2]]" \
    "$("$PY" -c 'import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
p = json.loads(re.search(r"<script id=\"hps-boot\" type=\"application/json\">(.*?)</script>", html, re.S).group(1))["view"]["pareto"]
print(p["reference"], p["reference_named"], [[n, round(hv, 12)] for n, hv in p["hypervolume"]])' pareto2ref.html)"
res=$(check_page "file://$WORK/pareto2ref.html" --charts pareto,hypervolume,table \
      --text "against the reference point (3, 0.75) the study names (the config's reference: keys)")
expect_eq "named reference point: the page says whose it is ($res)" 0 $?
make_mo sqlite:mo.db pareto2badref pareto2badref
"$HPSEARCH" report pareto2badref --storage sqlite:mo.db -o pareto2badref.html 2> /dev/null
expect_eq "a reference_point that is no point: the report still exits 0" 0 $?
res=$(check_page "file://$WORK/pareto2badref.html" --charts pareto,table \
      --text 'the study'"'"'s reference_point must be a list of 2 finite numbers, one per objective, not [3,"high"]')
expect_eq "a reference_point that is no point: the page says so, no hypervolume ($res)" 0 $?
expect_contains "a reference_point that is no point: show says so" \
    'hypervolume: the study'"'"'s reference_point must be a list of 2 finite numbers' \
    "$("$HPSEARCH" show pareto2badref --storage sqlite:mo.db --ascii 2>&1)"

make_mo sqlite:mo.db obj3 obj3
make_mo sqlite:mo.db obj4 obj4
"$HPSEARCH" report obj3 --storage sqlite:mo.db -o obj3.html 2> /dev/null
# The header pairs each direction with its objective's name.
res=$(check_page "file://$WORK/obj3.html" --charts pareto,hypervolume,table --text "Each pair of objectives" \
      --text "minimize loss, minimize seconds, minimize mem_gb · 12 trials" \
      --chart-texts chart-pareto-2 --screenshot "$ARTIFACTS/report-pareto3.png")
expect_eq "three objectives: pairwise scatters ($res)" 0 $?
# The axes carry the metric names `hpsearch run` records ("metrics").
axes=$("$PY" -c 'import json, sys
texts = json.loads(sys.argv[1]).get("chart_texts", {}).get("chart-pareto-2", [])
print(" ".join(n for n in ("loss (minimize)", "seconds (minimize)", "mem_gb (minimize)")
               if any(n == t["text"] for t in texts)))' "$res")
expect_eq "three objectives: axes named by the metrics" "seconds (minimize) mem_gb (minimize)" "$axes"
"$HPSEARCH" report obj4 --storage sqlite:mo.db -o obj4.html 2> /dev/null
res=$(check_page "file://$WORK/obj4.html" --charts pareto,hypervolume,table \
      --text "Parallel coordinates over the objectives" --screenshot "$ARTIFACTS/report-pareto4.png")
expect_eq "four objectives: parallel coordinates ($res)" 0 $?

# No feasible trial: no front, no hypervolume, and a page that says so; the trial with an
# infinite loss is in the table but not on the charts.
make_mo sqlite:mo.db allbad allbad
"$HPSEARCH" report allbad --storage sqlite:mo.db -o allbad.html 2> /dev/null
expect_eq "report of an all-infeasible study exits 0" 0 $?
pareto=$("$PY" -c '
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
boot = json.loads(re.search(r"<script id=\"hps-boot\" type=\"application/json\">(.*?)</script>", html, re.S).group(1))
p = boot["view"]["pareto"]
print(p["front"], p["reference"], p["hypervolume"], sorted(q[0] for q in p["points"]), p["total"],
      [r["feasible"] for r in boot["rows"]])' allbad.html)
expect_eq "all infeasible: nothing on the front, no hypervolume" \
    "[] None [] [0, 2, 3] 3 [False, False, False, False]" "$pareto"
res=$(check_page "file://$WORK/allbad.html" --charts pareto,table --text "0 trials on the front" \
      --text "No feasible completed trial with finite values yet")
expect_eq "all infeasible: the page says so ($res)" 0 $?

# One objective with constraints: no Pareto view; the best trial and the best-so-far line
# are the feasible ones', the trial `hpsearch best` names.
make_mo sqlite:mo.db single single
"$HPSEARCH" report single --storage sqlite:mo.db -o single.html 2> /dev/null
got=$("$PY" -c '
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
v = json.loads(re.search(r"<script id=\"hps-boot\" type=\"application/json\">(.*?)</script>", html, re.S).group(1))["view"]
print("pareto" in v, v["n_constraints"], v["best"]["number"], [p[2] for p in v["history"]["points"]])' single.html)
expect_eq "one objective: the feasible best, no Pareto view" "False 1 2 [5, 5, 3]" "$got"
expect_contains "hpsearch best names the same trial" "trial 2" \
    "$("$HPSEARCH" best single --storage sqlite:mo.db 2>&1)"

# The dashboard serves the same view, and sorts the table by the second objective and
# by the constraint; a key past the last objective is refused.
start_dashboard --storage sqlite:mo.db
if [ -n "$DASH_URL" ]; then
    view=$(http_body /api/studies/pareto2)
    expect_eq "dashboard: the same front" "[1, 4, 5, 6]" "$(json_get "$view" 'd["pareto"]["front"]')"
    expect_eq "dashboard: hypervolume history of every completed trial" 8 \
        "$(json_get "$view" 'len(d["pareto"]["hypervolume"])')"
    page=$(http_body '/api/studies/pareto2/trials?sort=value:1&order=desc&limit=3')
    expect_eq "sorted by the second objective" "[8, 5, 2]" "$(json_get "$page" '[r["number"] for r in d["rows"]]')"
    page=$(http_body '/api/studies/pareto2/trials?sort=constraint:0&limit=2')
    expect_eq "sorted by the constraint" "[6, 5]" "$(json_get "$page" '[r["number"] for r in d["rows"]]')"
    page=$(http_body '/api/studies/pareto2/trials?sort=feasible&order=desc&limit=2')
    expect_eq "sorted by feasibility, infeasible first" "[8, 2]" "$(json_get "$page" '[r["number"] for r in d["rows"]]')"
    expect_contains "a sort key past the objectives is refused" "400 " "$(http '/api/studies/pareto2/trials?sort=value:2' | head -c 4)"
    view=$(http_body /api/studies/pareto2ref)
    expect_eq "dashboard: the study's reference point" "[3, 0.75] True 0.2" \
        "$(json_get "$view" '"%s %s %s" % (d["pareto"]["reference"], d["pareto"]["reference_named"], round(d["pareto"]["hypervolume"][-1][1], 12))')"
    res=$(check_page "${DASH_URL}#study=pareto2" --charts pareto,hypervolume,table \
          --text "4 on the Pareto front" --sort-by "value 1" --screenshot "$ARTIFACTS/dashboard-pareto2.png")
    expect_eq "dashboard page draws the front ($res)" 0 $?
    expect_eq "dashboard table sorted by the second objective" "$BY_ACC" "$(json_get "$res" 'd["sorted"]["value 1"]')"
    stop_dashboard
fi
finish
