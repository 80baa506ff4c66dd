# report_lib.sh -- shared by the report, dashboard and show tests (sourced after lib.sh).
#
# The tests make studies through the in-tree Python extension (<build>/python), drive
# Debian's chromium through playwright-core (<build>/web/node_modules, installed by the
# build's `npm ci`) with web/check_page.js, and keep screenshots in <build>/tests/artifacts.
BUILD_DIR=$(dirname "$HPSEARCH")
ARTIFACTS=$(realpath -m "${HPS_TEST_TMPDIR:-$BUILD_DIR/tests/tmp}/../artifacts")
mkdir -p "$ARTIFACTS"
CHECK_PAGE="$HPS_SOURCE_DIR/web/check_page.js"
export HPS_NODE_MODULES="${HPS_NODE_MODULES:-$BUILD_DIR/web/node_modules}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

# hps_py SCRIPT-ARGS... -- runs Python (stdin) with the in-tree hpsearch package. In a
# sanitizer build the extension carries ASan and the interpreter does not: preload the
# runtime, and leave leak checks to the C programs (the interpreter itself never frees
# everything at exit).
HPS_PY_ENV=()
if ldd "$HPSEARCH" 2>/dev/null | grep -q libasan; then
    HPS_PY_ENV=(LD_PRELOAD="$(gcc -print-file-name=libasan.so)"
                ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0)
fi
hps_py() {
    env "${HPS_PY_ENV[@]}" PYTHONPATH="$BUILD_DIR/python${PYTHONPATH:+:$PYTHONPATH}" "$PY" - "$@"
}

# need_browser -- fails the test (not skips: scripts/install-deps.sh test installs them)
# when chromium, node or playwright-core is missing.
need_browser() {
    local missing=""
    [ -x "$CHROMIUM" ] || missing="$missing chromium ($CHROMIUM)"
    command -v node > /dev/null || missing="$missing node"
    [ -d "$HPS_NODE_MODULES/playwright-core" ] || missing="$missing playwright-core ($HPS_NODE_MODULES)"
    if [ -n "$missing" ]; then
        fail "browser test needs:$missing -- run scripts/install-deps.sh test and rebuild"
        finish
    fi
}

# check_page URL ARGS... -- prints check_page.js's JSON result to stdout; returns its status
check_page() {
    node "$CHECK_PAGE" "$@"
}

# json_get JSON EXPR -- evaluates a Python expression on the parsed JSON `d`
json_get() {
    "$PY" -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

# legend_check JSON CHART BEST WORST -- reads check_page.js's chart_texts[CHART] (run
# with --chart-texts CHART): the colour scale's ends say "better" and "worse" once each,
# its handles show BEST and WORST as given (all their digits), and "better" is drawn
# next to BEST, "worse" next to WORST. Prints "ok", or what is wrong and the texts.
legend_check() {
    "$PY" - "$@" <<'PYEOF'
import json, sys
result, chart, best, worst = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
texts = result.get("chart_texts", {}).get(chart, [])
def drawn(label):
    return [t for t in texts if t["text"] == label]
problems = []
for label in ("better", "worse", best, worst):
    if len(drawn(label)) != 1:
        problems.append("%r drawn %d times" % (label, len(drawn(label))))
if not problems:
    def dist(a, b):
        p, q = drawn(a)[0], drawn(b)[0]
        return abs(p["x"] - q["x"]) + abs(p["y"] - q["y"])
    if not dist("better", best) < dist("better", worst):
        problems.append("'better' is drawn next to %s, not %s" % (worst, best))
    if not dist("worse", worst) < dist("worse", best):
        problems.append("'worse' is drawn next to %s, not %s" % (best, worst))
print("ok" if not problems else "; ".join(problems) + " -- texts: " +
      json.dumps([(t["text"], t["x"], t["y"]) for t in texts]))
PYEOF
}

# start_dashboard ARGS... -- starts `hpsearch dashboard --port 0 ARGS` in the background;
# sets DASH_PID and DASH_URL (waits up to 120 s for the line that names the address).
start_dashboard() {
    # Emptied here, not by the redirection: that runs in the background child, and the
    # loop below could read a previous dashboard's address before it does (a CI run
    # under ASan then loaded a page from the stopped server: connection refused).
    : > dash.out
    : > dash.err
    "$HPSEARCH" dashboard --port 0 "$@" > dash.out 2> dash.err &
    DASH_PID=$!
    DASH_URL=""
    for _ in $(seq 1 1200); do
        DASH_URL=$(grep -o 'http://[^ ]*/' dash.out 2> /dev/null | head -1)
        [ -n "$DASH_URL" ] && return 0
        kill -0 "$DASH_PID" 2> /dev/null || break
        sleep 0.1
    done
    fail "dashboard did not start: $(cat dash.err)"
    return 1
}

stop_dashboard() {
    [ -n "${DASH_PID:-}" ] || return 0
    kill -INT "$DASH_PID" 2> /dev/null
    wait "$DASH_PID" 2> /dev/null
    DASH_STATUS=$?
    DASH_PID=""
}

# http PATH [METHOD [HOST]] -- a request to the dashboard through Python's urllib (no
# curl needed); prints the HTTP status, a space, then the body.
http() {
    "$PY" - "${DASH_URL%/}$1" "${2:-GET}" "${3:-}" <<'PYEOF'
import sys, urllib.request, urllib.error
url, method, host = sys.argv[1], sys.argv[2], sys.argv[3]
req = urllib.request.Request(url, method=method)
if host:
    req.add_header("Host", host)
try:
    with urllib.request.urlopen(req, timeout=120) as resp:
        status, body = resp.status, resp.read()
except urllib.error.HTTPError as e:
    status, body = e.code, e.read()
sys.stdout.write("%d %s\n" % (status, body.decode("utf-8", "replace")))
PYEOF
}

# http_body PATH -- the body of a GET (status dropped)
http_body() {
    http "$1" | sed '1s/^[0-9]* //'
}

# make_study STORAGE NAME KIND [N] -- a study made (or, if it exists, extended) through
# the Python API:
#   mixed   N trials (default 60): lr (log float) dominates the loss, layers (int)
#           matters a little, act (categorical) and dropout not at all; every 7th trial
#           is pruned after reporting, every 11th fails; trials carry a "sampler"
#           system attribute (random below 20, tpe after) as the auto strategy writes
#           it -- set here in the SQLite file, since Python cannot write system
#           attributes
#   empty   no trials at all
#   failed  N trials that all failed
#   xss     a study and parameters named to break out of HTML, with such a choice
#   big     N trials fast: like mixed, but only every 10th reports (3 steps), every
#           17th is pruned and every 53rd fails; no strategies
#   acc     six fixed trials of a maximize study (metric val_acc, lr log 1e-4..1e-2,
#           hidden int): FIXED_TRIALS below, values such as 0.9711 and lr 0.0003, whose
#           digits the pages must keep
#   tiny    the same six trials in a minimize study of small losses (metric loss)
make_study() {
    hps_py "$@" <<'PYEOF'
import math, sys
import hpsearch
url, name, kind = sys.argv[1], sys.argv[2], sys.argv[3]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 60
hpsearch.logging.set_verbosity(hpsearch.logging.CRITICAL)
study = hpsearch.create_study(storage=url, study_name=name, load_if_exists=True,
                              direction="maximize" if kind == "acc" else "minimize",
                              sampler=hpsearch.samplers.RandomSampler(seed=7))
if kind in ("mixed", "xss", "tiny"):
    study.set_user_attr("metric", "loss")
if kind == "acc":
    study.set_user_attr("metric", "val_acc")
# (lr, hidden, val_acc of the acc study, loss of the tiny study)
FIXED_TRIALS = [(0.0003, 32, 0.9711, 0.0452), (0.0031, 64, 0.9532, 0.0007),
                (0.00012, 128, 0.9105, 0.0123), (0.0087, 64, 0.9377, 0.0003),
                (0.00045, 32, 0.965, 0.0315), (0.0011, 128, 0.9444, 0.0049)]
def fixed(trial):
    lr = trial.suggest_float("lr", 1e-4, 1e-2, log=True)
    trial.suggest_int("hidden", 32, 128, log=True)
    row = [r for r in FIXED_TRIALS if r[0] == lr][0]
    return row[2] if kind == "acc" else row[3]
def mixed(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 8)
    act = trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
    trial.suggest_float("dropout", 0.0, 0.5)
    loss = 10 * (math.log10(lr) + 3) ** 2 + 0.5 * layers
    if trial.number % 11 == 5:
        raise RuntimeError("diverged at step 0")
    for step in range(5):
        trial.report(loss + 5 - step, step)
        if trial.number % 7 == 3 and step == 2:
            raise hpsearch.TrialPruned()
    return loss
def xss(trial):
    a = trial.suggest_float("</script><script>window.__pwned=1</script>", 0.0, 1.0)
    b = trial.suggest_categorical("<img src=x onerror=window.__pwned=2>",
                                  ["<b onmouseover=window.__pwned=3>x</b>", "&amp;\u2028"])
    trial.report(a, 0)
    return a + (1.0 if b.startswith("<b") else 0.0)
def big(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 8)
    act = trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
    trial.suggest_float("dropout", 0.0, 0.5)
    loss = 10 * (math.log10(lr) + 3) ** 2 + 0.5 * layers + (1.0 if act == "tanh" else 0.0)
    if trial.number % 10 == 0:
        for step in range(3):
            trial.report(loss + 3 - step, step)
    if trial.number % 17 == 1:
        raise hpsearch.TrialPruned()
    if trial.number % 53 == 2:
        raise RuntimeError("diverged")
    return loss
def failed(trial):
    trial.suggest_float("x", 0.0, 1.0)
    raise RuntimeError("always fails")
if kind == "mixed":
    study.optimize(mixed, n_trials=n, catch=(RuntimeError,))
    import sqlite3
    con = sqlite3.connect(url[len("sqlite:"):])
    con.execute("UPDATE trials SET system_attrs = json_set(system_attrs, '$.sampler', "
                "CASE WHEN number < 20 THEN 'random' ELSE 'tpe' END) WHERE study_id = "
                "(SELECT study_id FROM studies WHERE name = ?)", (name,))
    con.commit()
    con.close()
elif kind == "xss":
    study.optimize(xss, n_trials=n)
elif kind == "big":
    study.optimize(big, n_trials=n, catch=(RuntimeError,))
elif kind == "failed":
    study.optimize(failed, n_trials=n, catch=(RuntimeError,))
elif kind in ("acc", "tiny"):
    for lr, hidden, _, _ in FIXED_TRIALS:
        study.enqueue_trial({"lr": lr, "hidden": hidden})
    study.optimize(fixed, n_trials=len(FIXED_TRIALS))
elif kind != "empty":
    sys.exit("make_study: unknown kind " + kind)
PYEOF
}
