#!/usr/bin/env bash
# A warm start cut short (its run kill -9'd while the old trials go in) is finished by
# exactly one of three workers started at once, and the budget stays n_trials new trials.
# Every worker used to see the dead "by" and resume, each adding all the missing old
# trials again: 1434 duplicates of 3000, and the duplicates ate every new trial.
. "$(dirname "$0")/lib.sh"

N_OLD=3000
BUILD_DIR=$(dirname "$HPSEARCH")
# the old study, made through the Python module: running 3000 trials would take minutes
# (a sanitizer build's extension needs the ASan runtime preloaded, as in report_lib.sh)
PY_ENV=()
if ldd "$HPSEARCH" 2>/dev/null | grep -q libasan; then
    PY_ENV=(LD_PRELOAD="$(gcc -print-file-name=libasan.so)"
            ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0)
fi
env "${PY_ENV[@]}" PYTHONPATH="$BUILD_DIR/python${PYTHONPATH:+:$PYTHONPATH}" "$PY" - "$N_OLD" <<'PYEOF'
import sys
import hpsearch
hpsearch.logging.set_verbosity(hpsearch.logging.WARNING)
n = int(sys.argv[1])
s = hpsearch.create_study(study_name="old", storage="sqlite:///old.db")
d = {"x": hpsearch.distributions.FloatDistribution(0, 1)}
for i in range(n):
    s.add_trial(hpsearch.trial.create_trial(params={"x": i / n}, distributions=d, value=i / n))
PYEOF
expect_eq "the old study is made" 0 $?

write_config new.yaml <<EOF
study: new
storage: sqlite:new.db
metric: score
sampler: random
seed: 1
n_trials: 3
command: echo score={x}
warm_start: {from: old, storage: 'sqlite:old.db'}
parameters:
  x: {low: 0.0, high: 1.0}
EOF

# ADDED|DISTINCT|NEW: the old trials in the study, how many distinct old numbers, new ones
counts() {
    "$HPSEARCH" trials new --storage sqlite:new.db --format json 2>/dev/null | "$PY" -c '
import json, sys
try:
    trials = json.load(sys.stdin)
except ValueError:
    trials = []
old = [t["user_attrs"]["warm_start_from"]["number"] for t in trials
       if "warm_start_from" in t.get("user_attrs", {})]
print("%d|%d|%d" % (len(old), len(set(old)), len(trials) - len(old)))'
}

"$HPSEARCH" run new.yaml --no-progress -q > creator.log 2>&1 &
creator=$!
# kill it once some old trials, but not all, are in
for _ in $(seq 600); do
    [ "$(counts | cut -d'|' -f1)" -ge 200 ] && break
    sleep 0.1
done
kill -9 "$creator"
wait "$creator" 2>/dev/null
before=$(counts)
echo "cut short at $before"
expect_eq "the creator was cut short mid warm start" 1 \
    "$(echo "$before" | "$PY" -c "import sys; a = sys.stdin.read().split('|'); print(int(0 < int(a[0]) < $N_OLD))")"

for w in 1 2 3; do
    "$HPSEARCH" run new.yaml --no-progress -q > "w$w.log" 2>&1 &
done
wait
expect_eq "one worker finished the warm start" 1 "$(grep -l 'warm start:' w*.log | wc -l)"
expect_eq "each old trial is in once, and exactly 3 new trials ran" "$N_OLD|$N_OLD|3" "$(counts)"
expect_eq "no marker of the claim is left" "" \
    "$("$HPSEARCH" studies --storage sqlite:new.db 2>&1 | grep warm-resume)"

finish
