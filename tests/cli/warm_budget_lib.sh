# warm_budget_lib.sh -- sourced after lib.sh by the tests of a warm start's budget under
# many workers (test_warm_start_budget.sh, test_postgres_warm_start_budget.sh).
#   make_old_study        an earlier study of N_OLD COMPLETE trials in sqlite:old.db
#   budget_rounds URL     ROUNDS rounds: ten workers start a study in URL warm-started
#                         from it with `n_trials: 3`, staggered so that some open it
#                         before its warm start is recorded, some while the old trials
#                         go in, some after; each round must hold the old trials once
#                         and exactly 3 new ones.
N_OLD=500    # enough that adding them takes a while: the later workers start meanwhile
ROUNDS=3

make_old_study() {
    write_config old.yaml <<EOF
study: old
storage: sqlite:old.db
metric: score
sampler: random
seed: 3
n_trials: $N_OLD
command: echo score={x}
parameters:
  x: {low: 0.0, high: 1.0}
EOF
    "$HPSEARCH" run old.yaml --no-progress -q -j 2 > old.log 2>&1
    expect_eq "the old study runs" 0 $?
}

# counts STUDY URL: "ADDED|NEW", its trials the warm start added and the others
counts() {
    "$HPSEARCH" trials "$1" --storage "$2" --format json 2>&1 | "$PY" -c '
import json, sys
trials = json.load(sys.stdin)
added = sum(1 for t in trials if "warm_start_from" in t.get("user_attrs", {}))
print("%d|%d" % (added, len(trials) - added))'
}

budget_rounds() {
    local url=$1 kind=${1%%:*} round w
    for round in $(seq $ROUNDS); do
        write_config "$kind$round.yaml" <<EOF
study: new$round
storage: $url
metric: score
sampler: random
seed: $round
n_trials: 3
command: echo score={x}
warm_start: {from: old, storage: 'sqlite:old.db'}
parameters:
  x: {low: 0.0, high: 1.0}
EOF
        for w in $(seq 10); do
            "$HPSEARCH" run "$kind$round.yaml" --no-progress -q > "$kind$round-w$w.log" 2>&1 &
            sleep 0.05
        done
        wait
        expect_eq "$kind round $round: one worker warm-started the study" 1 \
            "$(grep -l 'warm start:' "$kind$round"-w*.log | wc -l)"
        expect_eq "$kind round $round: the old trials were added once, and 3 new trials ran" \
            "$N_OLD|3" "$(counts "new$round" "$url")"
        expect_eq "$kind round $round: every worker ended as the budget was reached" "" \
            "$(grep -L "nothing left to run" "$kind$round"-w*.log | tr '\n' ' ')"
    done
}
