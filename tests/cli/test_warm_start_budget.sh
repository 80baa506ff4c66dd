#!/usr/bin/env bash
# Ten workers starting a warm-started study with `n_trials: 3` run exactly 3 new trials
# between them, whenever each starts: before the creating run records its warm start,
# while the old trials go in, or after. (A worker that allowed for all the old trials
# while only some were in ran dozens of new trials into the room left by the others.)
. "$(dirname "$0")/lib.sh"

N_OLD=500    # enough that adding them takes a while: the later workers start meanwhile
ROUNDS=3

write_config old.yaml <<EOF
study: old
storage: sqlite:warm.db
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

count() { # STUDY: its added trials and its new ones
    sql warm.db "SELECT SUM(t.user_attrs LIKE '%warm_start_from%'),
                        SUM(t.user_attrs NOT LIKE '%warm_start_from%')
                 FROM trials t JOIN studies s ON s.study_id = t.study_id WHERE s.name = '$1'"
}

for round in $(seq $ROUNDS); do
    write_config "new$round.yaml" <<EOF
study: new$round
storage: sqlite:warm.db
metric: score
sampler: random
seed: $round
n_trials: 3
command: echo score={x}
warm_start: {from: old}
parameters:
  x: {low: 0.0, high: 1.0}
EOF
    # one at once, the others a little later each: some open the study before its warm
    # start is recorded, some while the old trials go in, some after
    for w in $(seq 10); do
        "$HPSEARCH" run "new$round.yaml" --no-progress -q > "r$round-w$w.log" 2>&1 &
        sleep 0.05
    done
    wait
    expect_eq "round $round: one worker warm-started the study" 1 \
        "$(grep -l 'warm start:' r"$round"-w*.log | wc -l)"
    expect_eq "round $round: the old trials were added once, and 3 new trials ran" \
        "$N_OLD|3" "$(count "new$round")"
    bad=$(grep -L "nothing left to run" r"$round"-w*.log | tr '\n' ' ')
    expect_eq "round $round: every worker ended as the budget was reached" "" "$bad"
done

exit $((failures > 0))
