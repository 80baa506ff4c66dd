#!/usr/bin/env bash
# `hpsearch dashboard`'s JSON against the storage: the study list, a study's view, the
# trial table page by page (sorted, filtered), one trial in full; new trials show up as
# they finish; only GET and HEAD, only loopback Host names, errors as JSON with the
# right status; bad options and storages fail at start with the usual exit codes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

make_study sqlite:m.db mixed mixed 60
make_study sqlite:m.db 'a b/c' mixed 12
make_study sqlite:m.db '<img src=x onerror=window.__pwned=4>' xss 4
start_dashboard --storage sqlite:m.db || finish
expect_contains "listens on loopback" "http://127.0.0.1:" "$DASH_URL"

# Everything the API says, against the SQLite file.
"$PY" - "$DASH_URL" m.db <<'PYEOF' > api.out 2>&1
import json, sqlite3, sys, urllib.error, urllib.parse, urllib.request
base, dbfile = sys.argv[1].rstrip("/"), sys.argv[2]
def get(path, method="GET", host=None):
    req = urllib.request.Request(base + path, method=method)
    if host:
        req.add_header("Host", host)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
problems = []
def check(cond, what):
    if not cond:
        problems.append(what)
con = sqlite3.connect(dbfile)
states = {0: "WAITING", 1: "RUNNING", 2: "COMPLETE", 3: "PRUNED", 4: "FAIL"}
db = {}
for tid, number, state in con.execute(
        "SELECT trial_id, number, state FROM trials t JOIN studies s USING (study_id) "
        "WHERE s.name = 'mixed' ORDER BY number"):
    values = [v for (v,) in con.execute(
        "SELECT value FROM trial_values WHERE trial_id = ? ORDER BY objective", (tid,))]
    db[number] = (states[state], values)

status, headers, body = get("/api/studies")
studies = {s["name"]: s for s in json.loads(body)}
check(status == 200 and headers["Content-Type"].startswith("application/json"), "list content type")
check(headers.get("X-Content-Type-Options") == "nosniff", "nosniff")
check(set(studies) == {"mixed", "a b/c", "<img src=x onerror=window.__pwned=4>"}, "study names %r" % set(studies))
check(studies["mixed"]["n_trials"] == len(db), "listed trial count")
check(b"<" not in body, "'<' escaped in the list")

status, _, body = get("/api/studies/mixed")
view = json.loads(body)
check(status == 200, "view status")
check(view["n_trials"] == len(db), "view trial count")
for s in states.values():
    check(view["counts"][s] == sum(1 for st, _ in db.values() if st == s), "count " + s)
check(list(view["importances"])[0] == "lr", "importances: lr first")
check(view["samplers"] == ["random", "tpe"], "strategies")
check("rows" not in view, "the view carries no table")

# The whole table through pages of 7, against the storage.
rows, offset = [], 0
while True:
    status, _, body = get("/api/studies/mixed/trials?offset=%d&limit=7" % offset)
    page = json.loads(body)
    check(status == 200 and page["total"] == len(db) and page["limit"] == 7, "page header")
    rows += page["rows"]
    offset += 7
    if offset >= page["total"]:
        break
check([r["number"] for r in rows] == sorted(db), "pages cover every trial once, in order")
for r in rows:
    st, values = db[r["number"]]
    check(r["state"] == st, "state of %d" % r["number"])
    check((r["values"] or []) == values, "values of %d" % r["number"])
    check(r["sampler"] == ("random" if r["number"] < 20 else "tpe"), "strategy of %d" % r["number"])

def page(query):
    status, _, body = get("/api/studies/mixed/trials?" + query)
    return status, json.loads(body)
_, p = page("sort=value&order=asc&limit=1000")
vals = [r["values"][0] for r in p["rows"] if r["values"]]
check(vals == sorted(vals), "sorted by value")
check(p["rows"][-1]["values"] is None, "trials without a value last")
_, p = page("sort=value&order=desc&limit=1000")
vals = [r["values"][0] for r in p["rows"] if r["values"]]
check(vals == sorted(vals, reverse=True), "sorted by value, descending")
_, p = page("sort=param:layers&limit=1000")
lay = [r["params"]["layers"] for r in p["rows"] if "layers" in r["params"]]
check(lay == sorted(lay), "sorted by a parameter")
_, p = page("state=PRUNED,FAIL&limit=1000")
check(p["total"] == sum(1 for st, _ in db.values() if st in ("PRUNED", "FAIL")), "state filter")
check(all(r["state"] in ("PRUNED", "FAIL") for r in p["rows"]), "state filter rows")
_, p = page("q=GELU&limit=1000")
check(p["total"] > 0 and all("gelu" in json.dumps(r).lower() for r in p["rows"]), "text filter")
_, p = page("q=diverged&limit=1000")
check(p["total"] == sum(1 for st, _ in db.values() if st == "FAIL"), "filter on the failure reason")

status, _, body = get("/api/studies/mixed/trials/3")
t = json.loads(body)
check(status == 200 and t["number"] == 3 and t["state"] == "PRUNED", "one trial")
check(len(t["intermediate_values"]) == 3, "its intermediate values")

status, _, body = get("/api/studies/" + urllib.parse.quote("a b/c", safe=""))
check(status == 200 and json.loads(body)["name"] == "a b/c", "a name with a space and a slash")
status, _, body = get("/api/studies/" + urllib.parse.quote("a b/c", safe="") + "/trials?limit=3")
check(status == 200 and json.loads(body)["total"] == 12, "its table")
status, _, body = get("/api/studies/" + urllib.parse.quote("<img src=x onerror=window.__pwned=4>", safe=""))
check(status == 200 and b"<" not in body and b">" not in body, "hostile names escaped in JSON")

for path, code in [("/api/studies/nope", 404), ("/api/studies/mixed/trials?limit=0", 400),
                   ("/api/studies/mixed/trials?limit=5000", 400),
                   ("/api/studies/mixed/trials?offset=-1", 400),
                   ("/api/studies/mixed/trials?sort=bogus", 400),
                   ("/api/studies/mixed/trials?state=DONE", 400),
                   ("/api/studies/mixed/trials?order=up", 400),
                   ("/api/studies/mixed/trials?q=" + "x" * 300, 400),
                   ("/api/studies/mixed/trials/999", 404), ("/nothing", 404), ("/api/studies/", 200)]:
    status, headers, body = get(path)
    check(status == code, "%s: %d, expected %d" % (path, status, code))
    if code != 200:
        check("error" in json.loads(body), "%s: JSON error" % path)
status, headers, _ = get("/api/studies", method="POST")
check(status == 405 and headers.get("Allow") == "GET, HEAD", "POST refused")
status, _, _ = get("/api/studies/mixed", method="DELETE")
check(status == 405, "DELETE refused")
status, _, body = get("/api/studies", method="HEAD")
check(status == 200 and body == b"", "HEAD")
status, _, _ = get("/api/studies", host="evil.example")
check(status == 403, "a foreign Host is refused (DNS rebinding)")
status, _, _ = get("/api/studies", host="localhost:1234")
check(status == 200, "localhost Host accepted")
status, headers, body = get("/")
check(status == 200 and headers["Content-Type"].startswith("text/html"), "the page")
check(b'"mode":"dashboard"' in body and b"echarts" in body, "the page carries the app and the charts")
check("default-src 'none'" in headers.get("Content-Security-Policy", ""), "CSP header")
print("\n".join(problems) if problems else "consistent")
PYEOF
expect_eq "the API matches the storage" consistent "$(cat api.out)"

# Trials that finish while the dashboard runs show up.
make_study sqlite:m.db mixed mixed 10
sleep 1.2
n=$(json_get "$(http_body /api/studies/mixed)" 'd["n_trials"]')
if [ "$n" != 70 ]; then
    sleep 3
    n=$(json_get "$(http_body /api/studies/mixed)" 'd["n_trials"]')
fi
expect_eq "new trials appear" 70 "$n"
expect_eq "and in the table" 70 "$(json_get "$(http_body '/api/studies/mixed/trials?limit=1')" 'd["total"]')"

stop_dashboard
expect_eq "Ctrl-C stops it with exit 0" 0 "$DASH_STATUS"

# Bad starts.
out=$("$HPSEARCH" dashboard --host nonsense 2>&1)
expect_eq "bad --host: exit 2" 2 $?
out=$("$HPSEARCH" dashboard --port 70000 2>&1)
expect_eq "bad --port: exit 2" 2 $?
out=$("$HPSEARCH" dashboard --refresh 0 2>&1)
expect_eq "bad --refresh: exit 2" 2 $?
out=$("$HPSEARCH" dashboard extra 2>&1)
expect_eq "stray argument: exit 2" 2 $?
printf 'not a database%.0s\n' $(seq 1 300) > garbage.db
out=$(timeout 20 "$HPSEARCH" dashboard --storage sqlite:garbage.db --port 0 2>&1)
expect_eq "a file that is not a database: exit 2" 2 $?
expect_contains "not a database: message" "garbage.db is not an SQLite database" "$out"
out=$(timeout 20 "$HPSEARCH" dashboard --storage postgresql://u:p@127.0.0.1:1/db --port 0 2>&1)
expect_eq "unreachable storage: exit 1" 1 $?
start_dashboard --storage sqlite:m.db || finish
port=${DASH_URL##*:}
port=${port%/}
out=$(timeout 20 "$HPSEARCH" dashboard --storage sqlite:m.db --port "$port" 2>&1)
expect_eq "port in use: exit 1" 1 $?
expect_contains "port in use message" "cannot listen on 127.0.0.1 port $port" "$out"
stop_dashboard
finish
