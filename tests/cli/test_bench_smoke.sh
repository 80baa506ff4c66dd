#!/usr/bin/env bash
# The benchmark's smoke mode: one problem, one seed, a tiny budget, through run.py and
# report.py, checking that the results and the report exist and their numbers are sane;
# then the benchmark's own unit tests (problem optima, score definition).
source "$(dirname "$0")/lib.sh"

BENCH="$HPS_SOURCE_DIR/bench"
# The in-tree Python binding sits beside the hpsearch binary's build.
HPS_PYDIR="$(dirname "$HPSEARCH")/python"
export HPSEARCH_PYTHONPATH="$HPS_PYDIR"
export MPLBACKEND=Agg PYTHONDONTWRITEBYTECODE=1

# The binding must load when it was built, except in a sanitizer build (an ASan
# extension cannot load into an uninstrumented interpreter): then Optuna's half runs.
expect_hps=no
if [ -d "$HPS_PYDIR/hpsearch" ]; then
    if PYTHONPATH="$HPS_PYDIR" "$PY" -c 'import hpsearch' 2>/dev/null; then
        expect_hps=yes
    elif grep -q 'HPS_SANITIZE:BOOL=ON' "$(dirname "$HPSEARCH")/CMakeCache.txt" 2>/dev/null; then
        echo "note: sanitizer build, hpsearch binding not loadable here; Optuna side only"
    else
        fail "the hpsearch Python binding exists in $HPS_PYDIR but does not import"
    fi
fi
# Not even an attempt to load it in run.py when it cannot load (an ASan runtime aborts
# the interpreter rather than raising ImportError).
[ "$expect_hps" = yes ] || export HPSEARCH_PYTHONPATH="$WORK/no-binding"

start=$(date +%s)
"$PY" "$BENCH/run.py" --smoke --out "$WORK/results" --jobs 2 > run.out 2> run.err
expect_eq "run.py --smoke exit status" 0 $?
elapsed=$(( $(date +%s) - start ))
# about 10 s on an idle 2-core machine; the bound leaves room for a busy ctest -j
if [ "$elapsed" -lt 120 ]; then ok "smoke run took ${elapsed}s"; else fail "smoke run took ${elapsed}s (> 120 s)"; fi
[ -f "$WORK/results/smoke.json" ] && ok "results file written" || fail "no results file: $(cat run.err)"
[ ! -f "$WORK/results/smoke.partial.jsonl" ] && ok "partial file removed" || fail "partial file left"

"$PY" "$BENCH/report.py" "$WORK/results/smoke.json" > report.out 2> report.err
expect_eq "report.py exit status" 0 $?
report=$(cat "$WORK/results/smoke.md" 2>/dev/null)
expect_contains "report has the 12-trial table" "## 12 trials" "$report"
expect_contains "report has a branin row" "| branin |" "$report"
expect_contains "report has the mean row" "| **mean** |" "$report"
expect_contains "report has the wins row" "| wins |" "$report"
expect_contains "report has the overhead table" "ms/trial, 20 trials" "$report"
expect_contains "report printed to stdout" "## 12 trials" "$(cat report.out)"

# numbers: every run complete, values are real Branin values, scores within range
check=$("$PY" - "$WORK/results/smoke.json" "$WORK/results/smoke.md" "$WORK/results/smoke.png" "$expect_hps" <<'PYEOF'
import json, math, re, sys
res = json.load(open(sys.argv[1]))
md = open(sys.argv[2]).read()
problems = []
opt = 0.39788735772973816
errors = [r for r in res["runs"] + res["overhead"] if "error" in r]
if errors:
    problems.append("runs failed: " + errors[0]["error"])
names = {r["optimizer"] for r in res["runs"]}
for want in ["optuna-random", "optuna-tpe"] + (["hps-random", "hps-grid", "hps-sobol"] if sys.argv[4] == "yes" else []):
    if want not in names:
        problems.append(f"no run of {want}")
for r in res["runs"]:
    vals = r["values"]
    if r["optimizer"] != "hps-grid" and len(vals) != 12:
        problems.append(f"{r['optimizer']}: {len(vals)} trials")
    if not vals or any(v is None or not math.isfinite(v) or v < opt - 1e-9 or v > 400 for v in vals):
        problems.append(f"{r['optimizer']}: implausible Branin values {vals}")
    if r["best_value"] != min(vals):
        problems.append(f"{r['optimizer']}: best_value is not the minimum")
    if not (0 < r["ask_s"] < 10 and 0 <= r["tell_s"] < 10):
        problems.append(f"{r['optimizer']}: timings {r['ask_s']} {r['tell_s']}")
for r in res["overhead"]:
    if not (0 < r["ms_per_trial"] < 1000):
        problems.append(f"overhead of {r['optimizer']}: {r['ms_per_trial']} ms")
row = next(l for l in md.splitlines() if l.startswith("| branin |"))
scores = [float(x) for x in re.findall(r"-?\d+\.\d", row)]
if len(scores) != len(names) or any(not -100 <= s <= 100.05 for s in scores):
    problems.append(f"scores out of range: {row}")
png = open(sys.argv[3], "rb").read()
if not png.startswith(b"\x89PNG") or len(png) < 10000:
    problems.append("plot is not a real PNG")
print("OK" if not problems else "; ".join(problems))
PYEOF
)
expect_eq "results and report are sane" "OK" "$check"

# the benchmark's unit tests: problem optima, score definition, adapters (some import
# the benches, which import hpsearch: the build's package, with the ASan runtime
# preloaded in a sanitizer build)
LD_PRELOAD=${HPS_ASAN_PRELOAD:-} \
ASAN_OPTIONS=${HPS_ASAN_PRELOAD:+detect_leaks=0:verify_asan_link_order=0} \
PYTHONPATH="$HPS_PYDIR${PYTHONPATH:+:$PYTHONPATH}" \
    "$PY" -m pytest -q -p no:cacheprovider "$BENCH/tests" > pytest.out 2>&1
status=$?
expect_eq "bench unit tests pass" 0 $status
[ $status -eq 0 ] || tail -30 pytest.out
tail -1 pytest.out
finish
