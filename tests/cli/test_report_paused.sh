#!/usr/bin/env bash
# Paused trials (asha with mode promotion) wherever a state is shown: `hpsearch show`
# counts them, `hpsearch trials` shows a paused trial's last reported value as its
# value so far (table, CSV and JSON, the state column saying PAUSED), and the report
# counts them and carries that value in its rows.
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

finish
