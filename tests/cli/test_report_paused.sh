#!/usr/bin/env bash
# Paused trials (asha with mode promotion) wherever a state is shown: `hpsearch show`
# counts them, `hpsearch trials` shows a paused trial's last reported value as its
# value so far (table, CSV and JSON, the state column saying PAUSED), and the report
# counts them, carries that value in its rows, marks on each curve where a slice paused
# and where the next was resumed, and draws the forecast the "forecast" pruner left on
# a trial (checked in Chromium too).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

write_config promo.yaml <<EOF2
study: promo
storage: sqlite:promo.db
direction: maximize
metric: score
sampler: random
seed: 3
n_trials: 9
pruner: {name: asha, mode: promotion, reduction_factor: 3}
fidelity: epochs
command: $SLICED_TRAIN
parameters:
  x: {type: float, low: 0, high: 6}
  epochs: {type: int, low: 1, high: 9}
EOF2
"$HPSEARCH" run promo.yaml --no-progress > run.out 2>&1
expect_eq "the run succeeds" 0 $?
paused=$(sql promo.db "SELECT count(*) FROM trials WHERE state = 5")
complete=$(sql promo.db "SELECT count(*) FROM trials WHERE state = 2")
[ "$paused" -ge 2 ] && ok "the run leaves trials paused ($paused)" || fail "no paused trials: $(cat run.out)"

# show: every state counted, paused ones too
out=$("$HPSEARCH" show promo.yaml --ascii)
expect_contains "show counts paused trials" \
    "trials: 9  complete $complete  pruned 0  fail 0  running 0  waiting 0  paused $paused" "$out"

# studies: a column of paused trials (table and CSV)
out=$("$HPSEARCH" studies --storage sqlite:promo.db)
expect_eq "studies counts paused trials" "promo maximize 9 $complete 0 0 0 0 $paused" \
    "$(printf '%s\n' "$out" | awk '$1 == "promo" {print $1, $2, $3, $4, $5, $6, $7, $8, $9}')"
expect_contains "and in its CSV" "promo,maximize,9,$complete,0,0,0,0,$paused," \
    "$("$HPSEARCH" studies --storage sqlite:promo.db --format csv)"

# trials: a paused trial's value is its last reported value, said to be so far
first=$(sql promo.db "SELECT min(number) FROM trials WHERE state = 5")
last_step=$(sql promo.db "SELECT max(i.step) FROM trial_intermediate i JOIN trials t USING (trial_id)
    WHERE t.number = $first")
last_value=$(sql promo.db "SELECT printf('%.6g', i.value) FROM trial_intermediate i
    JOIN trials t USING (trial_id) WHERE t.number = $first AND i.step = $last_step")
table=$("$HPSEARCH" trials promo.yaml)
row=$(printf '%s\n' "$table" | awk -v n="$first" '$1 == n')
expect_eq "the table shows the paused trial's value so far" "PAUSED $last_value" \
    "$(printf '%s\n' "$row" | awk '{print $2, $3}')"
expect_contains "and says it is so far, and from which step" "value so far, at step $last_step" "$row"
expect_eq "--state PAUSED lists the paused trials" "$paused" \
    "$("$HPSEARCH" trials promo.yaml --state PAUSED | tail -n +2 | wc -l)"
out=$("$HPSEARCH" trials promo.yaml --state PAUSD 2>&1)
expect_eq "an unknown state is refused" 2 $?
expect_contains "naming every state, PAUSED too" "(WAITING, RUNNING, COMPLETE, PRUNED, FAIL, PAUSED)" "$out"

"$HPSEARCH" trials promo.yaml --format csv > trials.csv
"$HPSEARCH" trials promo.yaml --format json > trials.json
"$PY" - promo.db trials.csv trials.json <<'PYEOF' > check.out 2>&1
import csv, json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
problems = []
def check(cond, what):
    if not cond:
        problems.append(what)
last = {}
for number, state in con.execute("SELECT number, state FROM trials ORDER BY number"):
    step, value = con.execute(
        "SELECT i.step, i.value FROM trial_intermediate i JOIN trials t USING (trial_id) "
        "WHERE t.number = ? ORDER BY i.step DESC LIMIT 1", (number,)).fetchone()
    last[number] = (state, step, value)
rows = list(csv.DictReader(open(sys.argv[2])))
check(len(rows) == len(last), "csv rows")
for r in rows:
    state, step, value = last[int(r["number"])]
    if state == 5:
        check(r["state"] == "PAUSED", "csv state %s" % r["number"])
        check(float(r["value"]) == value, "csv value so far %s: %s != %s" % (r["number"], r["value"], value))
        check(r["so_far_step"] == str(step), "csv so_far_step %s" % r["number"])
    else:
        check(r["so_far_step"] == "", "csv so_far_step of a %s trial" % r["state"])
for t in json.load(open(sys.argv[3])):
    state, step, value = last[t["number"]]
    if state == 5:
        check(t["values"] == [], "json values stay [] for %d" % t["number"])
        check(t["values_so_far"] == {"step": step, "values": [value]},
              "json values_so_far %d: %s" % (t["number"], t.get("values_so_far")))
    else:
        check("values_so_far" not in t, "json values_so_far of a finished trial")
print("ok" if not problems else "; ".join(problems))
PYEOF
expect_eq "CSV and JSON carry the values so far" ok "$(cat check.out)"

# The report: every state counted
"$HPSEARCH" report promo.yaml -o promo.html > report.out 2>&1
expect_eq "report exits 0" 0 $?
"$PY" - promo.html <<'PYEOF' > view.json
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<script id="hps-boot" type="application/json">(.*?)</script>', html, re.S)
print(m.group(1))
PYEOF
expect_eq "the report counts paused trials" \
    "{'WAITING': 0, 'RUNNING': 0, 'COMPLETE': $complete, 'PRUNED': 0, 'FAIL': 0, 'PAUSED': $paused}" \
    "$(json_get "$(cat view.json)" 'd["view"]["counts"]')"

# Its curves: a mark at every pause, and where the next slice was resumed -- against the
# trials' pause_steps and curves in storage
"$PY" - promo.db view.json <<'PYEOF' > check.out 2>&1
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
boot = json.load(open(sys.argv[2]))
problems = []
def check(cond, what):
    if not cond:
        problems.append(what)
curves = {c["number"]: c for c in boot["view"]["curves"]["rows"]}
n_resumed = n_pauses = 0
for number, state, attrs in con.execute("SELECT number, state, system_attrs FROM trials"):
    steps = con.execute("SELECT i.step, i.value FROM trial_intermediate i JOIN trials t "
                        "USING (trial_id) WHERE t.number = ? ORDER BY i.step", (number,)).fetchall()
    expected = []
    for p in json.loads(attrs).get("pause_steps", []):
        before = [v for s, v in steps if s <= p]
        after = [(s, v) for s, v in steps if s > p]
        expected.append([p, before[-1] if before else None] +
                        (list(after[0]) if after else [None, None]))
    n_resumed += sum(1 for m in expected if m[2] is not None)
    n_pauses += len(expected)
    c = curves.get(number)
    check(c is not None, "trial %d has a curve" % number)
    if c is None:
        continue
    check(c.get("slices", []) == expected, "trial %d slices %s != %s" % (number, c.get("slices"), expected))
    if state == 5:
        row = [r for r in boot["rows"] if r["number"] == number][0]
        check(row["so_far"] == {"step": steps[-1][0], "value": steps[-1][1]}, "row so_far %d" % number)
        check(row["values"] is None, "a paused row has no values")
check(n_resumed > 0, "some slice was resumed")
print("ok" if not problems else "; ".join(problems))
open("marks.txt", "w").write("%d %d\n" % (n_pauses, n_resumed))
PYEOF
expect_eq "curves mark each pause and resume, rows carry the value so far" ok "$(cat check.out)"
read -r n_marks n_resumes < marks.txt

# A forecast left by the "forecast" pruner (mode stop): its step, max_step, mean and sd
# reach the curve of the trial it judged
hps_py fc.db <<'PYEOF' > forecast.out 2>&1
import math, sys, hpsearch
study = hpsearch.create_study(storage="sqlite:" + sys.argv[1], study_name="fc", direction="maximize",
                              pruner=hpsearch.pruners.ForecastPruner(max_step=30))
curves = [(0.90, 0.5, 0.3)] * 3 + [(0.70, 0.4, 0.5), (0.97, 0.8, 0.1)]
for top, gap, rate in curves:
    study.enqueue_trial({"top": top, "gap": gap, "rate": rate})
def objective(trial):
    top, gap = trial.suggest_float("top", 0, 1), trial.suggest_float("gap", 0, 1)
    rate = trial.suggest_float("rate", 0, 1)
    for step in range(1, 31):
        trial.report(top - gap * math.exp(-rate * step) + 0.002 * math.sin(1.3 * step), step)
        if trial.should_prune():
            raise hpsearch.TrialPruned()
    return top - gap * math.exp(-rate * 30)
study.optimize(objective, n_trials=len(curves))
PYEOF
expect_eq "the forecast study runs" 0 $?
"$HPSEARCH" report fc --storage sqlite:fc.db -o fc.html > report.out 2>&1
expect_eq "its report exits 0" 0 $?
"$PY" - fc.db fc.html <<'PYEOF' > check.out 2>&1
import json, re, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
html = open(sys.argv[2], encoding="utf-8").read()
boot = json.loads(re.search(r'<script id="hps-boot" type="application/json">(.*?)</script>', html, re.S).group(1))
curves = {c["number"]: c for c in boot["view"]["curves"]["rows"]}
problems = []
n = 0
for number, attrs in con.execute("SELECT number, system_attrs FROM trials ORDER BY number"):
    f = json.loads(attrs).get("forecast")
    drawn = curves[number].get("forecast")
    if f is None:
        if drawn is not None:
            problems.append("trial %d: a forecast it never had" % number)
        continue
    n += 1
    at = dict(curves[number]["points"]).get(f["step"])
    want = {"step": f["step"], "from": at, "max_step": 30, "mean": f["mean"], "sd": f["sd"],
            "incumbent": f["incumbent"], "p_beat": f["p_beat"]}
    if drawn != want:
        problems.append("trial %d: %s != %s" % (number, drawn, want))
if n == 0:
    problems.append("no trial has a forecast")
print("ok" if not problems else "; ".join(problems))
open("forecasts.txt", "w").write("%d\n" % n)
PYEOF
expect_eq "each trial's last forecast is on its curve" ok "$(cat check.out)"
n_forecasts=$(cat forecasts.txt)

# Drawn: the page counts paused trials, shows values so far, and says what it marked
need_browser
res=$(check_page "file://$WORK/promo.html" --screenshot "$ARTIFACTS/report-paused.png" \
    --charts intermediate,table --text "paused" --text "so far" \
    --text "$n_marks pauses, $n_resumes resumed")
expect_eq "the paused study's page draws without errors" 0 $?
expect_eq "no failures" "[]" "$(json_get "$res" 'd["failures"]')"
res=$(check_page "file://$WORK/fc.html" --screenshot "$ARTIFACTS/report-forecast.png" \
    --charts intermediate,table --text "Forecasts ($n_forecasts trials)")
expect_eq "the forecast study's page draws without errors" 0 $?
expect_eq "no failures" "[]" "$(json_get "$res" 'd["failures"]')"

finish
