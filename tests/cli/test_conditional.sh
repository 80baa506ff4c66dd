#!/usr/bin/env bash
# Conditional parameters (`when:`): a trial gets exactly its active parameters -- in
# ${args}, ${args_json} and the study -- and {name:default} stands in for an inactive
# one; `plan` counts a conditional grid as the sum over its branches, and `sampler: grid`
# runs exactly those combinations, each `repeats` times.
. "$(dirname "$0")/lib.sh"

# The trainer writes what it was given; the checks below compare it with the conditions.
cat > argv.py <<'PYEOF'
import json, sys
number, rest = sys.argv[1], sys.argv[2:]
with open("argv-%s.json" % number, "w") as f:
    json.dump(rest, f)
print("score=1")
PYEOF

write_config cond.yaml <<EOF
study: cond
storage: sqlite:cond.db
metric: score
sampler: random
seed: 7
n_trials: 14
parallel: 2
command: $PY argv.py {trial_number} \${args} --mom={momentum:none} \${args_json}
parameters:
  optimizer: {type: categorical, values: [adam, sgd]}
  momentum:  {type: float, low: 0.5, high: 0.99, when: {optimizer: sgd}}
  nesterov:  {values: [true, false], when: {momentum: {min: 0.8}}}
  beta2:     {type: float, low: 0.9, high: 0.9999, when: {optimizer: adam}}
  layers:    {type: int, low: 1, high: 3}
  width_3:   {type: int, low: 16, high: 512, log: true, when: {layers: [3]}}
EOF
out=$("$HPSEARCH" run cond.yaml --no-progress 2>&1)
expect_eq "the conditional study runs" 0 $?

# every trial's command line and stored parameters against the conditions
checked=$(sql cond.db "SELECT t.number, GROUP_CONCAT(p.name, ',') FROM trials t
                       JOIN trial_params p ON p.trial_id = t.trial_id GROUP BY t.trial_id" |
"$PY" -c '
import json, sys
seen, bad = set(), []
for row in sys.stdin:
    number, stored = row.strip().split("|")
    argv = json.load(open("argv-%s.json" % number))
    flags = dict(a[2:].split("=", 1) for a in argv
                 if a.startswith("--") and not a.startswith("--mom="))
    mom = [a[len("--mom="):] for a in argv if a.startswith("--mom=")][0]
    as_json = json.loads(argv[-1])
    active = {"optimizer", "layers"}
    if flags["optimizer"] == "sgd":
        active.add("momentum")
        if float(flags["momentum"]) >= 0.8:
            active.add("nesterov")
    else:
        active.add("beta2")
    if flags["layers"] == "3":
        active.add("width_3")
    seen.add((flags["optimizer"], "nesterov" in active, "width_3" in active))
    if set(flags) != active:
        bad.append("trial %s: ${args} has %s, active: %s" % (number, sorted(flags), sorted(active)))
    if set(as_json) != active:
        bad.append("trial %s: ${args_json} has %s" % (number, sorted(as_json)))
    if set(stored.split(",")) != active:
        bad.append("trial %s: the study stored %s" % (number, stored))
    if mom != flags.get("momentum", "none"):
        bad.append("trial %s: {momentum:none} gave %s" % (number, mom))
print("\n".join(bad) if bad else "ok, %d branches" % len(seen))
')
expect_eq "each trial got and stored exactly its active parameters" "ok, 5 branches" "$checked"
expect_eq "14 trials" 14 "$(ls argv-*.json | wc -l)"

out=$("$HPSEARCH" trials cond.yaml 2>&1)
# every sgd row shows beta2 (adam's) as -, every adam row momentum
shown=$(printf '%s\n' "$out" | awk '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["optimizer"] == "sgd" { n++; dash += $col["beta2"] == "-" }
    $col["optimizer"] == "adam" { n++; dash += $col["momentum"] == "-" }
    END { print (n > 0 && n == dash) ? "ok" : dash " of " n }')
expect_eq "trials shows an inactive parameter as -" ok "$shown"

# the grid of a discrete conditional space: adam's 3 beta2 values x 2 layers, plus sgd's
# 2 momentum values (one of which opens nesterov's 2) x 2 layers: 6 + (1 + 2) * 2 = 12,
# not the 2 * 2 * 2 * 3 * 2 = 48 of the product
write_config grid.yaml <<EOF
study: grid
storage: sqlite:grid.db
metric: score
sampler: random
command: $PY argv.py {trial_number} \${args}
parameters:
  optimizer: [adam, sgd]
  momentum:  {values: [0.5, 0.9], when: {optimizer: sgd}}
  nesterov:  {values: [true, false], when: {momentum: {min: 0.8}}}
  beta2:     {values: [0.9, 0.99, 0.999], when: {optimizer: adam}}
  layers:    [1, 2]
EOF
out=$("$HPSEARCH" plan grid.yaml 2>&1)
expect_eq "plan of a conditional space exits 0" 0 $?
expect_contains "plan counts the branches" "grid: 12 combinations" "$out"
expect_contains "plan says when a parameter is active" \
    "nesterov             one of 2: True False -- only when momentum >= 0.8" "$out"

# sampler: grid runs exactly those 12, each `repeats` times across two workers, and the
# run ends by itself when every cell is done; every trial gets only its active flags
write_config gridrun.yaml <<EOF
study: gridrun
storage: sqlite:gridrun.db
metric: score
sampler: grid
repeats: 2
parallel: 2
command: sh grid_argv.sh {trial_number} \${args}
parameters:
  optimizer: [adam, sgd]
  momentum:  {values: [0.5, 0.9], when: {optimizer: sgd}}
  nesterov:  {values: [true, false], when: {momentum: {min: 0.8}}}
  beta2:     {values: [0.9, 0.99, 0.999], when: {optimizer: adam}}
  layers:    [1, 2]
EOF
# a shell trainer: two dozen Python start-ups cost more than the test needs
cat > grid_argv.sh <<'SHEOF'
n=$1
shift
printf '%s\n' "$@" > "grid-argv-$n.txt"
echo score=1
SHEOF
out=$("$HPSEARCH" plan gridrun.yaml 2>&1)
expect_contains "plan: the grid stops by itself after its 12 cells" \
    "the grid sampler stops after its 12 combinations" "$out"
out=$("$HPSEARCH" run gridrun.yaml --no-progress 2>&1)
expect_eq "the conditional grid runs to its end without n_trials" 0 $?
checked=$("$PY" -c '
import collections, glob
configs = collections.Counter()
bad = []
for name in glob.glob("grid-argv-*.txt"):
    flags = dict(a[2:].split("=", 1) for a in open(name).read().split())
    active = {"optimizer", "layers"}
    if flags["optimizer"] == "sgd":
        active.add("momentum")
        if float(flags["momentum"]) >= 0.8:
            active.add("nesterov")
    else:
        active.add("beta2")
    if set(flags) != active:
        bad.append("%s: %s, active: %s" % (name, sorted(flags), sorted(active)))
    configs[tuple(sorted(flags.items()))] += 1
twice = sum(1 for n in configs.values() if n == 2)
print("\n".join(bad) if bad else "%d configs, %d of them run twice" % (len(configs), twice))
')
expect_eq "each of the 12 active combinations ran exactly twice, with its active flags only" \
    "12 configs, 12 of them run twice" "$checked"
expect_eq "24 trials, no more" 24 "$(sql gridrun.db "SELECT COUNT(*) FROM trials")"
out=$("$HPSEARCH" run gridrun.yaml --no-progress 2>&1)
expect_eq "a second run of the finished grid starts nothing" 24 \
    "$(sql gridrun.db "SELECT COUNT(*) FROM trials")"

# `auto` enumerates a conditional grid that fits the budget
out=$("$HPSEARCH" plan grid.yaml --set sampler=auto --set n_trials=20 2>&1)
expect_contains "auto picks the grid of a conditional space that fits the budget" \
    "strategy: auto -> grid" "$out"

# Importances within each branch: momentum decides sgd's score and exists only there,
# lr decides adam's; `show` and the report give each branch's ranking beside the global one
cat > branch_score.sh <<'SHEOF'
awk -v args="$*" 'BEGIN {
    n = split(args, a, " ")
    for (i = 1; i <= n; i++) { split(a[i], kv, "="); f[substr(kv[1], 3)] = kv[2] }
    if (f["optimizer"] == "sgd") s = 10 * f["momentum"] + 0.1 * f["lr"]; else s = 10 * f["lr"]
    print "score=" s
}'
SHEOF
write_config branches.yaml <<EOF
study: branches
storage: sqlite:branches.db
metric: score
sampler: random
seed: 4
n_trials: 30
parallel: 2
command: sh branch_score.sh \${args}
parameters:
  optimizer: [adam, sgd]
  lr:        {type: float, low: 0, high: 1}
  momentum:  {type: float, low: 0, high: 1, when: {optimizer: sgd}}
EOF
"$HPSEARCH" run branches.yaml --no-progress > /dev/null 2>&1
out=$("$HPSEARCH" show branches.yaml 2>&1)
expect_contains "show: importances within each branch" "importances within each branch:" "$out"
case "$out" in
*"when optimizer = sgd ("*" trials): momentum "*) ok "show: momentum leads the sgd branch" ;;
*) fail "no sgd branch led by momentum in: $out" ;;
esac
case "$out" in
*"when optimizer = adam ("*" trials): lr 1.00"*) ok "show: lr alone in the adam branch" ;;
*) fail "no adam branch led by lr in: $out" ;;
esac
"$HPSEARCH" report branches --storage sqlite:branches.db -o branches.html > /dev/null 2>&1
checked=$("$PY" - branches.html <<'PYEOF2'
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
view = json.loads(re.search(r'<script id="hps-boot" type="application/json">(.*?)</script>',
                            html, re.S).group(1))["view"]
got = [(b["parent"], b["value"], list(b["importances"])[0]) for b in view["branch_importances"]]
trials = sum(b["trials"] for b in view["branch_importances"])
print(sorted(got), trials, "momentum" in view["importances"])
PYEOF2
)
expect_eq "report: each branch's ranking, over all 30 trials; momentum not global" \
    "[('optimizer', 'adam', 'lr'), ('optimizer', 'sgd', 'momentum')] 30 False" "$checked"

# The PyTorch example's conditional space trains for real (1 epoch here): momentum
# reaches the SGD trials only -- train.py refuses --momentum without sgd. Its study and
# logs go to this test's directory.
CONFIG="$HPS_SOURCE_DIR/examples/pytorch_mlp/conditional.yaml"
HERE=(--set "storage=sqlite:$WORK/mlp.db" --set "log_dir=$WORK/mlp-logs" --set sampler=random
      --set "command=$PY train.py --epochs 1 \${args}")
out=$("$HPSEARCH" plan "$CONFIG" "${HERE[@]}" 2>&1)
expect_contains "example: plan shows the condition" \
    "momentum             float in [0.5, 0.99] -- only when optimizer is 'sgd'" "$out"
# with auto, plan says how the GP picks the branch (bench/conditional_route.md)
out=$("$HPSEARCH" plan "$CONFIG" "${HERE[@]}" --set sampler=auto 2>&1)
expect_contains "example: plan says how auto chooses a branch" \
    "strategy: auto -> gp. A conditional space" "$out"
expect_contains "example: plan says the expected improvement picks the branch" \
    "proposes the one where the expected improvement is largest" "$out"
out=$("$HPSEARCH" run "$CONFIG" "${HERE[@]}" --set n_trials=4 --set seed=2 --no-progress 2>&1)
expect_contains "example: 4 trials, all complete" "4 trials (4 complete, 0 pruned, 0 failed" "$out"
# optimizer is stored as its index among the choices: 0 adam, 1 sgd
expect_eq "example: momentum stored exactly for the SGD trials, both optimizers tried" "0.0|0 1.0|0" \
    "$(sql mlp.db "SELECT o.value, CASE WHEN o.value = 1 THEN SUM(m.value IS NULL)
                                        ELSE SUM(m.value IS NOT NULL) END
                   FROM trial_params o LEFT JOIN trial_params m
                        ON m.trial_id = o.trial_id AND m.name = 'momentum'
                   WHERE o.name = 'optimizer' GROUP BY o.value ORDER BY o.value" | tr '\n' ' ' | sed 's/ $//')"
finish
