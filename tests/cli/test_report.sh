#!/usr/bin/env bash
# `hpsearch report`: one self-contained HTML file whose embedded data matches the
# storage (every trial, state, value and parameter; counts; importances that rank the
# dominant parameter first; strategies; pruned curves), which loads nothing from
# elsewhere and keeps study data inert; clear errors and exit codes otherwise. The page
# itself is checked in a browser by test_report_browser.sh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

make_study sqlite:m.db mixed mixed 60
out=$("$HPSEARCH" report mixed --storage sqlite:m.db -o mixed.html 2>&1)
expect_eq "report exits 0" 0 $?
expect_contains "says what it wrote" "wrote mixed.html: study 'mixed', 60 trials" "$out"
[ -s mixed.html ] && ok "report written" || fail "no report"

# The page is whole by itself: no external resource, a CSP that forbids loading any.
if grep -Eiq '(src|href)=["'"'"']?(https?:)?//' mixed.html; then
    fail "the report references an external resource"
else
    ok "no external resources"
fi
expect_contains "CSP forbids loading" "default-src 'none'" "$(head -c 2000 mixed.html)"
grep -q 'echarts' mixed.html && ok "charting library embedded" || fail "no charting library in the page"

# The embedded data against the storage.
"$PY" - mixed.html m.db <<'PYEOF' > check.out 2>&1
import json, math, re, sqlite3, sys
html = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<script id="hps-boot" type="application/json">(.*?)</script>', html, re.S)
boot = json.loads(m.group(1))
view, rows = boot["view"], boot["rows"]
con = sqlite3.connect(sys.argv[2])
states = {0: "WAITING", 1: "RUNNING", 2: "COMPLETE", 3: "PRUNED", 4: "FAIL"}
db = {}
for tid, number, state in con.execute(
        "SELECT trial_id, number, state FROM trials t JOIN studies s USING (study_id) "
        "WHERE s.name = 'mixed' ORDER BY number"):
    values = [v for (v,) in con.execute(
        "SELECT value FROM trial_values WHERE trial_id = ? ORDER BY objective", (tid,))]
    db[number] = (states[state], values)
problems = []
def check(cond, what):
    if not cond:
        problems.append(what)
check(boot["mode"] == "report", "mode")
check(view["name"] == "mixed" and view["metric"] == "loss", "name/metric")
check(view["n_trials"] == len(db) == len(rows), "trial count %d %d %d" % (view["n_trials"], len(db), len(rows)))
for s in states.values():
    check(view["counts"][s] == sum(1 for st, _ in db.values() if st == s), "count " + s)
for r in rows:
    st, values = db[r["number"]]
    check(r["state"] == st, "state of %d" % r["number"])
    if values:
        check(r["values"] is not None and all(abs(a - b) <= 1e-12 * max(1, abs(b)) for a, b in zip(r["values"], values)),
              "values of %d: %r vs %r" % (r["number"], r["values"], values))
    else:
        check(r["values"] is None, "no value for %d" % r["number"])
    if st != "FAIL" or r["params"]:
        check(set(r["params"]) == {"lr", "layers", "act", "dropout"}, "params of %d" % r["number"])
    check(isinstance(r["params"].get("layers", 1), int), "int params stay ints")
    check(r["sampler"] == ("random" if r["number"] < 20 else "tpe"), "strategy of %d" % r["number"])
imp = view["importances"]
check(list(imp)[0] == "lr", "lr first: %r" % imp)
check(abs(sum(imp.values()) - 1) < 1e-9, "importances sum to 1")
check(view["samplers"] == ["random", "tpe"], "samplers %r" % view["samplers"])
best = min((v[0], n) for n, (st, v) in db.items() if st == "COMPLETE")
check(view["best"]["number"] == best[1], "best trial")
check(view["history"]["total"] == view["counts"]["COMPLETE"], "history covers the completed trials")
bsf = [p[2] for p in view["history"]["points"]]
check(all(b2 <= b1 for b1, b2 in zip(bsf, bsf[1:])) and bsf[-1] == best[0], "best so far")
curves = view["curves"]["rows"]
check(sum(1 for c in curves if c["state"] == "PRUNED") == view["counts"]["PRUNED"], "pruned curves")
check(all(len(c["points"]) == (3 if c["state"] == "PRUNED" else 5) for c in curves), "curve lengths")
check(len(view["sample"]["rows"]) == view["counts"]["COMPLETE"], "sample of completed trials")
print("\n".join(problems) if problems else "consistent")
PYEOF
expect_eq "embedded data matches the storage" consistent "$(cat check.out)"

# Study data that tries to break out of the page stays text.
make_study sqlite:x.db '<img src=x onerror=window.__pwned=4>' xss 5
"$HPSEARCH" report '<img src=x onerror=window.__pwned=4>' --storage sqlite:x.db -o xss.html 2> /dev/null
expect_eq "report of a hostile study exits 0" 0 $?
if grep -q '</script><script>window.__pwned' xss.html || grep -q '<img src=x' xss.html ||
   grep -q '<b onmouseover' xss.html; then
    fail "study data reached the page as markup"
else
    ok "hostile names and choices are escaped"
fi
expect_contains "title escaped" "<title>&lt;img src=x onerror=window.__pwned=4&gt;</title>" "$(grep -o '<title>.*</title>' xss.html)"

# Config file as the target, output to stdout.
write_config mixed.yaml <<EOF2
study: mixed
storage: sqlite:m.db
metric: loss
command: true
parameters:
  lr: {type: float, low: 0.00001, high: 0.1, log: true}
EOF2
"$HPSEARCH" report mixed.yaml -o - > stdout.html
expect_eq "config target, -o -: exit 0" 0 $?
grep -q '"name":"mixed"' stdout.html && ok "report on stdout" || fail "no report on stdout"

# Empty and failed-only studies still give a page that says so.
make_study sqlite:m.db empty empty
out=$("$HPSEARCH" report empty --storage sqlite:m.db -o empty.html 2>&1)
expect_eq "empty study: exit 0" 0 $?
expect_contains "empty study noted" "has no trials yet" "$out"
make_study sqlite:m.db failed failed 3
"$HPSEARCH" report failed --storage sqlite:m.db -o failed.html 2> /dev/null
expect_eq "failed-only study: exit 0" 0 $?

# Errors.
out=$("$HPSEARCH" report nope --storage sqlite:m.db -o nope.html 2>&1)
expect_eq "unknown study: exit 2" 2 $?
expect_contains "unknown study message" "study 'nope' does not exist" "$out"
[ -e nope.html ] && fail "a report was written for a missing study" || ok "nothing written for a missing study"
out=$("$HPSEARCH" report mixed --storage sqlite:m.db -o /nonexistent-dir/r.html 2>&1)
expect_eq "unwritable output: exit 1" 1 $?
expect_contains "unwritable output message" "cannot write /nonexistent-dir/r.html" "$out"
printf 'not a database%.0s\n' $(seq 1 300) > garbage.db
out=$("$HPSEARCH" report mixed --storage sqlite:garbage.db -o g.html 2>&1)
expect_eq "a file that is not a database: exit 2" 2 $?
expect_contains "not a database: message" "garbage.db is not an SQLite database" "$out"
out=$("$HPSEARCH" report mixed --storage postgresql://u:p@127.0.0.1:1/db -o g.html 2>&1)
expect_eq "unreachable storage: exit 1" 1 $?
[ -e g.html ] && fail "a report was written without a storage" || ok "nothing written without a storage"
out=$("$HPSEARCH" report 2>&1)
expect_eq "no study: exit 2" 2 $?
out=$("$HPSEARCH" report mixed extra --storage sqlite:m.db 2>&1)
expect_eq "extra argument: exit 2" 2 $?
out=$("$HPSEARCH" report mixed -o 2>&1)
expect_eq "-o without a file: exit 2" 2 $?
finish
