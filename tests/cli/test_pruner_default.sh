#!/usr/bin/env bash
# A config with a fidelity and no `pruner:` runs pruner auto (as Optuna prunes by
# default), for a new study and for one that ran auto before; a study whose trials ran
# without a pruner (started before this default, or with `pruner: none`) keeps running
# without one; `pruner: none` turns it off; without a fidelity, or with several
# objectives, there is none. `plan` and the run's header say which and why.
. "$(dirname "$0")/lib.sh"

config() { # STUDY DB [EXTRA LINE]: a grid of 8 x values, budget `epochs` up to 9
    cat <<EOF2
study: $1
storage: sqlite:$2
direction: maximize
metric: score
sampler: grid
fidelity: epochs
command: $TRAIN --x {x} --steps {epochs}
parameters:
  x: {values: [3, 0, 6, 2.5, 0.5, 5.5, 1, 4]}
  epochs: {type: int, low: 1, high: 9}
${3:-}
EOF2
}
pruned() { sql "$1" "SELECT count(*) FROM trials WHERE state = 3"; }
auto_trace() { sql "$1" "SELECT json_extract(system_attrs, '$.pruner_auto_stopping') FROM studies"; }

# a new study: auto, recorded in the study
config new new.db > new.yaml
expect_contains "plan names the default" \
    "pruner: auto (the default with a fidelity; pruner: none turns it off)" \
    "$("$HPSEARCH" plan new.yaml 2>&1)"
"$HPSEARCH" run new.yaml --no-progress -n 5 > new1.out 2>&1
expect_eq "the new study's run succeeds" 0 $?
expect_contains "the header names it" "· auto pruner (the default with a fidelity)" \
    "$(head -1 new1.out)"
expect_eq "the study carries auto's trace (the name pruner_default.c reads)" hyperband \
    "$(auto_trace new.db)"
# resumed: still auto, and it prunes
"$HPSEARCH" run new.yaml --no-progress > new2.out 2>&1
expect_eq "the resumed run succeeds" 0 $?
expect_contains "resumed, it keeps auto" "· auto pruner (the default with a fidelity)" \
    "$(head -1 new2.out)"
n=$(pruned new.db)
[ "$n" -ge 1 ] && ok "auto stopped $n of the 8 trials" || fail "nothing pruned: $(cat new2.out)"

# a study whose trials ran without a pruner (as every study with a fidelity and no
# pruner: did before this default; --set pruner=none leaves the same trace: none)
config old old.db > old.yaml
"$HPSEARCH" run old.yaml --no-progress -n 3 --set pruner=none > old1.out 2>&1
expect_eq "the study's first run, without a pruner, succeeds" 0 $?
expect_eq "it has no trace of auto" "" "$(auto_trace old.db)"
expect_contains "plan says it keeps running without a pruner" \
    "pruner: none (the study's trials never ran pruner auto" "$("$HPSEARCH" plan old.yaml 2>&1)"
"$HPSEARCH" run old.yaml --no-progress > old2.out 2>&1
expect_eq "resumed without pruner:, it succeeds" 0 $?
expect_contains "the header says it has no pruner" \
    "· no pruner (the study's trials ran without one)" "$(head -1 old2.out)"
expect_eq "nothing is pruned" "8|0" "$(sql old.db "SELECT count(*), sum(state = 3) FROM trials")"
expect_eq "and auto left no trace" "" "$(auto_trace old.db)"

# pruner: none turns the default off
config off off.db "pruner: none" > off.yaml
"$HPSEARCH" run off.yaml --no-progress > off.out 2>&1
expect_eq "pruner: none runs" 0 $?
expect_eq "pruner: none prunes nothing" "8|0" \
    "$(sql off.db "SELECT count(*), sum(state = 3) FROM trials")"
expect_contains "plan says it is set" "pruner: none (set in the config)" \
    "$("$HPSEARCH" plan off.yaml 2>&1)"

# no fidelity: none, as ever
config plain plain.db | grep -v -e '^fidelity:' -e '^  epochs:' | sed 's/{epochs}/9/' > plain.yaml
"$HPSEARCH" run plain.yaml --no-progress > plain.out 2>&1
expect_eq "without a fidelity it runs" 0 $?
expect_eq "without a fidelity nothing is pruned" "8|0" \
    "$(sql plain.db "SELECT count(*), sum(state = 3) FROM trials")"
expect_eq "the header names no pruner" "" "$(head -1 plain.out | grep pruner)"
expect_contains "plan says why" "pruner: none (the default without a fidelity)" \
    "$("$HPSEARCH" plan plain.yaml 2>&1)"

# two objectives: auto compares along one direction, so none
config two two.db | grep -v -e '^direction:' -e '^metric:' > two.yaml
printf 'metrics:\n  - {name: score, goal: maximize}\n  - {name: loss, goal: minimize}\n' >> two.yaml
expect_contains "plan says why none" "pruner: none (the default with several objectives" \
    "$("$HPSEARCH" plan two.yaml 2>&1)"
finish
