#!/usr/bin/env bash
# `initial:` configurations run first, in order, once: enqueued when run creates the
# study (not again when it resumes), partial ones with the rest sampled, counted
# against n_trials like any trial; a conditional one gets exactly its active parameters.
. "$(dirname "$0")/lib.sh"

# The trainer writes the parameters it was given, by trial number.
cat > args.py <<'PYEOF'
import json, sys
with open("args-%s.json" % sys.argv[1], "w") as f:
    f.write(sys.argv[2])
print("score=%s" % json.loads(sys.argv[2])["layers"])
PYEOF

write_config init.yaml <<EOF
study: init
storage: sqlite:init.db
metric: score
sampler: random
seed: 3
n_trials: 4
command: $PY args.py {trial_number} \${args_json}
parameters:
  optimizer: [adam, sgd]
  momentum:  {type: float, low: 0.5, high: 0.99, when: {optimizer: sgd}}
  layers:    {type: int, low: 1, high: 8}
  act:       [relu, tanh]
initial:
  - {optimizer: sgd, momentum: 0.9, layers: 7, act: tanh}
  - {optimizer: adam, layers: 2.0}
EOF
out=$("$HPSEARCH" plan init.yaml 2>&1)
expect_contains "plan says they run first" "initial: 2 configurations run first" "$out"
out=$("$HPSEARCH" run init.yaml --no-progress 2>&1)
expect_eq "the study with initial configurations runs" 0 $?
expect_contains "run says it enqueued them" "initial: 2 configurations enqueued to run first" "$out"
expect_eq "n_trials counts the initial configurations" 4 "$(sql init.db "SELECT COUNT(*) FROM trials")"
first=$("$PY" -c 'import json; print(sorted(json.load(open("args-0.json")).items()))')
expect_eq "trial 0 is the first configuration, exactly" \
    "[('act', 'tanh'), ('layers', 7), ('momentum', 0.9), ('optimizer', 'sgd')]" "$first"
second=$("$PY" -c 'import json; d = json.load(open("args-1.json")); print(sorted(d), d["optimizer"], d["layers"], type(d["layers"]).__name__)')
expect_eq "trial 1 is the second, its int as an int, act sampled, no momentum for adam" \
    "['act', 'layers', 'optimizer'] adam 2 int" "$second"

# Resuming with a larger budget runs new sampled trials, not the initial ones again.
out=$("$HPSEARCH" run init.yaml -n 7 --no-progress 2>&1)
expect_eq "the study resumes" 0 $?
case "$out" in
*"initial:"*) fail "resume enqueued the initial configurations again: $out" ;;
*) ok "resume does not enqueue again" ;;
esac
again=0
for n in 4 5 6; do
    "$PY" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])).get("momentum") != 0.9)' \
        "args-$n.json" && again=$((again + 1))
done
expect_eq "7 trials in all after the resume" 7 "$(sql init.db "SELECT COUNT(*) FROM trials")"
expect_eq "no resumed trial repeats the first configuration verbatim" 0 "$again"

# Several workers starting on a new study at once enqueue them once between them.
sed -e 's/study: init/study: race/' -e 's/n_trials: 4/n_trials: 6/' init.yaml > race.yaml
for w in 1 2 3; do "$HPSEARCH" run race.yaml --no-progress > "w$w.log" 2>&1 & done
wait
expect_eq "one of three workers enqueued them" 1 "$(grep -l 'initial: 2 configurations' w?.log | wc -l)"
expect_eq "the race study holds its budget" 6 "$(sql init.db "SELECT COUNT(*) FROM trials t JOIN studies s ON s.study_id = t.study_id WHERE s.name = 'race'")"

exit $((failures > 0))
