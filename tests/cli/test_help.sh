#!/usr/bin/env bash
# The help texts and the documentation are true to the code. The library is the
# authority on samplers and pruners: its catalog (`hpsearch samplers|pruners --format
# json`, hps_sampler_catalog and hps_pruner_catalog) gives the names, and the names in
# `hpsearch --help`, `hpsearch run --help`, the library's own messages, hpsearch.h,
# README.md and docs/config.md are exactly its; docs/config.md's option tables are what
# scripts/gen_catalog_docs.py writes from it; hpsearch.h's study options and defaults are
# hps_study_options'. The default each help names is the one a config gets; every listed
# command answers --help; each query command's usage line names exactly the options it
# takes; docs/config.md's list of --set keys is the config reader's.
source "$(dirname "$0")/lib.sh"
README="$HPS_SOURCE_DIR/README.md"
CONFIG_MD="$HPS_SOURCE_DIR/docs/config.md"
HEADER="$HPS_SOURCE_DIR/include/hpsearch.h"

write_config t.yaml <<EOF2
metric: score
n_trials: 1
command: $TRAIN --x {x} --steps 1
parameters:
  x: {low: 0.0, high: 1.0}
EOF2

# names NAME-LIST-TEXT -- the names of a list written as "a (note), b, c or d" or
# "a | b | c", sorted, one line
names() {
    "$PY" -c '
import re, sys
text = re.sub(r"\([^()]*\)", "", sys.argv[1])
print(" ".join(sorted(w for w in re.split(r"\s*(?:,|\||\bor\b)\s*", text.strip()) if w)))' "$1"
}
# known MESSAGE -- the names in a library error's "(known: a, b or c)"
known() {
    "$PY" -c '
import re, sys
m = re.search(r"\(known: ([^)]*)\)", sys.argv[1])
print(" ".join(sorted(re.split(r", | or ", m.group(1)))) if m else "no (known: ...) in: " + sys.argv[1])' "$1"
}
# catalog samplers|pruners -- the names in the library's catalog, sorted, one line
catalog() {
    "$HPSEARCH" "$1" --format json | "$PY" -c '
import json, sys
print(" ".join(sorted(s["name"] for s in json.load(sys.stdin))))'
}
# header_names SECTION -- the quoted names of hpsearch.h's list under "---- SECTION"
header_names() {
    "$PY" -c '
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
block = text[text.index("/* ---- " + sys.argv[2]):].split("*/")[0]
print(" ".join(sorted(re.findall(r"^ \*   \"([a-z0-9_]+)\"", block, re.M))))' "$HEADER" "$1"
}

samplers=$(catalog samplers)
pruners=$(catalog pruners)
echo "library samplers: $samplers; pruners: $pruners"
case "$samplers" in *auto*grid*) ok "the library lists its samplers" ;; *) fail "samplers: $samplers" ;; esac
expect_eq "unknown sampler: the library's message names its samplers" "$samplers" \
    "$(known "$("$HPSEARCH" run t.yaml --sampler no-such-sampler 2>&1)")"
expect_eq "unknown pruner: the library's message names its pruners" "$pruners" \
    "$(known "$("$HPSEARCH" run t.yaml --set pruner=no-such-pruner 2>&1)")"
expect_eq "hpsearch.h: the samplers" "$samplers" "$(header_names samplers)"
expect_eq "hpsearch.h: the pruners" "$pruners" "$(header_names pruners)"

# hpsearch.h's study options and the defaults it names are the library's
# (hps_study_options, called through the shared library)
# (a sanitized library needs its runtime preloaded into the interpreter)
out=$(LD_PRELOAD=${HPS_ASAN_PRELOAD:-} ASAN_OPTIONS=${HPS_ASAN_PRELOAD:+detect_leaks=0} \
      "$PY" - "$(dirname "$HPSEARCH")/libhpsearch.so" "$HEADER" <<'PYEOF'
import ctypes, json, re, sys
lib = ctypes.CDLL(sys.argv[1])
text = ctypes.c_char_p()
lib.hps_study_options.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
if lib.hps_study_options(ctypes.byref(text)) != 0:
    sys.exit("hps_study_options failed")
options = json.loads(text.value.decode())
header = open(sys.argv[2], encoding="utf-8").read()
block = header[header.index("/* Study options, by name"):].split("*/")[0]
listed = dict(re.findall(r"^ \*   ([a-z_]+) +\(([^)]*)\)", block, re.M))
problems = []
if sorted(listed) != sorted(o["name"] for o in options):
    problems.append("names: header %s, library %s" % (sorted(listed), [o["name"] for o in options]))
for o in options:
    said = re.search(r"default ([^:,)]+)", listed.get(o["name"], ""))
    if o["default"] is not None and (said is None or said.group(1) != o["default"]):
        problems.append("%s: header says %r, library's default is %r"
                        % (o["name"], said and said.group(1), o["default"]))
print("; ".join(problems) or "same")
PYEOF
)
expect_eq "hpsearch.h: the study options and their defaults" "same" "$out"

# `hpsearch samplers` and `hpsearch pruners` show the catalog: every strategy, every
# option with its default; one by name; an unknown name or format is a usage error.
for kind in samplers pruners; do
    text=$("$HPSEARCH" "$kind")
    expect_eq "hpsearch $kind exits 0" 0 $?
    missing=$("$HPSEARCH" "$kind" --format json | "$PY" -c '
import json, re, sys
text = sys.argv[1]
missing = []
for s in json.load(sys.stdin):
    if not re.search(r"^" + re.escape(s["name"]) + r"\b.* -- ", text, re.M):
        missing.append(s["name"])
    for o in s["options"]:
        line = "  %s = %s: " % (o["name"], o["default"]) if o["default"] is not None else "  %s: " % o["name"]
        if line not in text:
            missing.append(s["name"] + "." + o["name"])
print(" ".join(missing))' "$text")
    expect_eq "hpsearch $kind shows every strategy and option with its default" "" "$missing"
done
text=$("$HPSEARCH" samplers tpe)
expect_contains "hpsearch samplers tpe: tpe's options" "  n_ei_candidates = 24: an integer in [1, 100000]" "$text"
case "$text" in *"cmaes --"*) fail "hpsearch samplers tpe shows cmaes too" ;; *) ok "hpsearch samplers tpe shows tpe only" ;; esac
expect_eq "hpsearch pruners asha --format json: one object" "asha" \
    "$("$HPSEARCH" pruners asha --format json | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["name"])')"
out=$("$HPSEARCH" samplers annealing 2>&1)
expect_eq "hpsearch samplers annealing exits 2" 2 $?
expect_eq "and names the samplers" "$samplers" "$(known "$out")"
"$HPSEARCH" pruners --format yaml > /dev/null 2>&1
expect_eq "hpsearch pruners --format yaml exits 2" 2 $?

# docs/config.md's option tables are the catalog's
out=$("$PY" "$HPS_SOURCE_DIR/scripts/gen_catalog_docs.py" --hpsearch "$HPSEARCH" --check 2>&1)
expect_eq "docs/config.md's option tables are up to date ($out)" 0 $?

help=$("$HPSEARCH" --help)
expect_eq "hpsearch --help exits 0" 0 $?
expect_eq "hpsearch --help: the samplers" "$samplers" \
    "$(names "$(printf '%s\n' "$help" | sed -n 's/^ *samplers: //p')")"
expect_eq "hpsearch --help: the pruners" "$pruners" \
    "$(names "$(printf '%s\n' "$help" | sed -n 's/^ *pruners: //p')")"
run_help=$("$HPSEARCH" run --help)
sampler_line=$(printf '%s\n' "$run_help" | sed -n 's/^ *--sampler NAME *//p')
expect_eq "hpsearch run --help: the samplers" "$samplers" "$(names "$sampler_line")"
expect_eq "README: the samplers" "$samplers" \
    "$(names "$(sed -n 's/^sampler: .*# *//p' "$README")")"
expect_eq "docs/config.md: the samplers" "$samplers" "$("$PY" -c '
import re, sys
row = [l for l in open(sys.argv[1], encoding="utf-8") if l.startswith("| `sampler` |")][0]
cell = re.sub(r"\([^()]*\)", "", row.split("|")[4])
print(" ".join(sorted(set(re.findall(r"`([a-z0-9]+)`", cell)))))' "$CONFIG_MD")"
expect_eq "docs/config.md: the pruners" "$pruners" "$("$PY" -c '
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
table = text[text.index("| pruner | prunes when |"):].split("\n\n")[0]
print(" ".join(sorted(re.findall(r"^\| `([a-z_]+)`", table, re.M))))' "$CONFIG_MD")"
# README names the pruners that stop trials ("none" is the absence of one)
expect_eq "README: the pruners" "$(echo "$pruners" | tr ' ' '\n' | grep -vx none | tr '\n' ' ' | sed 's/ $//')" \
    "$("$PY" -c '
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"`pruner: \{name: ([a-z]+)\}` \(or ([a-z,\s]+?)\s+\u2014", text)
print(" ".join(sorted([m.group(1)] + re.split(r",\s*", m.group(2)))) if m else "not found")' "$README")"

# The defaults named: what a config without sampler or pruner gets.
out=$("$HPSEARCH" run t.yaml --no-progress 2>&1)
expect_eq "the run completes" 0 $?
default_sampler=$(printf '%s\n' "$out" | sed -n 's/.* · \([a-z]*\) sampler.*/\1/p' | head -1)
expect_contains "run --help names the default sampler ($default_sampler)" "$default_sampler (default)" "$sampler_line"
expect_contains "hpsearch --help names the default sampler" "samplers: $default_sampler (default)" "$help"
expect_contains "docs/config.md names the default sampler" "| \`sampler\` | name or mapping | \`$default_sampler\` |" "$(cat "$CONFIG_MD")"
case "$out" in *pruner*) fail "a config without pruner runs with one: $out" ;; *) ok "no pruner by default" ;; esac
expect_contains "hpsearch --help names the default pruner" "pruners:  none (default)" "$help"

# Every command the help lists answers --help.
for cmd in $(printf '%s\n' "$help" | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && /^  [a-z]/ {print $1}'); do
    "$HPSEARCH" "$cmd" --help > /dev/null 2>&1
    expect_eq "hpsearch $cmd --help exits 0" 0 $?
done

# Each query command's usage line names the options it takes, and only those.
for cmd in trials best studies delete; do
    usage=$("$HPSEARCH" "$cmd" --help)
    target=t.yaml
    [ "$cmd" = studies ] && target=""
    for opt in "--format json" "--format csv" "--state COMPLETE" "--yes"; do
        flag=${opt%% *}
        listed=no
        case "$usage" in *"[$flag"*) listed=yes ;; esac
        [ "$opt" = "--format csv" ] && case "$usage" in *csv*) ;; *) listed=no ;; esac
        out=$("$HPSEARCH" "$cmd" $target $opt 2>&1 < /dev/null)
        rc=$?
        refused=no
        case "$out" in *"is not an option of this command"* | *"--format must be"*) refused=yes ;; esac
        if [ "$listed" = yes ]; then
            expect_eq "$cmd $opt: listed in its usage and accepted" no "$refused"
        else
            expect_eq "$cmd $opt: not in its usage and refused (exit 2)" "yes 2" "$refused $rc"
        fi
    done
done

# docs/config.md's --set keys are the ones the config reader lets --set change.
settable=$("$HPSEARCH" run t.yaml --set no-such-key=1 2>&1 | sed -n 's/.*(these can: \(.*\))$/\1/p')
expect_eq "docs/config.md: the --set keys" "$(echo "$settable" | tr -d ' ' | tr ',' '\n' | sort | tr '\n' ' ')" \
    "$("$PY" -c '
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
para = text[text.index("`--set` keys:"):].split("\n\n")[0]
keys = re.findall(r"`([a-z_]+)`", para.split(".")[0])
print(" ".join(sorted(keys)) + " ")' "$CONFIG_MD")"

# An option that takes one of several names says in its help what each one does: every
# choice is named there (gp's branch_choice went without `weighted` when it was added).
for kind in samplers pruners; do
    unnamed=$("$HPSEARCH" "$kind" --format json | "$PY" -c '
import json, sys
for entry in json.load(sys.stdin):
    for opt in entry["options"]:
        for choice in opt.get("choices") or []:
            if choice not in opt["help"]:
                print(entry["name"] + "." + opt["name"] + ": " + choice)')
    expect_eq "$kind: each enum option's help names every choice" "" "$unnamed"
done
finish
