#!/usr/bin/env bash
# `hpsearch plan` explains the space, budget, coverage, strategy and cost; `sampler:
# auto` runs what plan said; `hpsearch narrow` writes a config shrunk around the best
# trials that loads and runs, warm-started with the old trials inside it.
source "$(dirname "$0")/lib.sh"

write_config grid.yaml <<EOF2
study: g
storage: sqlite:s.db
metric: score
direction: maximize
sampler: auto
n_trials: 20
command: $TRAIN --x {x} --y {y} --steps 1
parameters:
  x: {values: [1, 2, 3, 4]}
  y: {values: [0, 1, 2]}
EOF2
out=$("$HPSEARCH" plan grid.yaml --hours 1 --trial-minutes 10)
expect_eq "plan exit 0" 0 $?
expect_contains "grid size" "grid: 12 combinations" "$out"
expect_contains "budget from hours" "budget: 6 trials (--hours / --trial-minutes)" "$out"
expect_contains "coverage" "coverage: 50.0% of the grid" "$out"
out=$("$HPSEARCH" plan grid.yaml)
expect_contains "auto takes the grid when it fits" "strategy: auto -> grid. Every parameter takes finitely many values and the whole grid (12 combinations) fits the budget of 20 trials" "$out"
out=$("$HPSEARCH" run grid.yaml --no-progress 2>&1)
expect_eq "auto grid run exit 0" 0 $?
expect_contains "run says why" "auto chose grid" "$out"
expect_eq "12 trials, the whole grid" 12 "$(sql s.db 'SELECT COUNT(*) FROM trials')"

write_config cont.yaml <<EOF2
study: c
storage: sqlite:s.db
metric: score
direction: maximize
sampler: auto
seed: 4
n_trials: 16
command: $TRAIN --x {x} --y {y} --steps 1
parameters:
  x: {type: float, low: 0, high: 6}
  y: {type: float, low: 0.01, high: 100, log: true}
EOF2
out=$("$HPSEARCH" plan cont.yaml --trials 40 --hours 1 --trial-minutes 5 2>&1)
expect_eq "--trials with --hours: exit 2" 2 $?
out=$("$HPSEARCH" plan cont.yaml)
expect_contains "continuous" "grid: none -- the space is continuous" "$out"
expect_contains "auto takes gp" "strategy: auto -> gp" "$out"
out=$("$HPSEARCH" run cont.yaml --no-progress 2>&1)
expect_eq "auto gp run exit 0" 0 $?
expect_eq "every trial says which strategy ran it" 16 "$(sql s.db "SELECT COUNT(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'c' AND t.system_attrs LIKE '%\"sampler\":%'")"
gp=$(sql s.db "SELECT COUNT(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'c' AND t.system_attrs LIKE '%\"sampler\":\"gp\"%'")
[ "$gp" -ge 14 ] && ok "$gp of 16 trials by gp (after a Sobol start)" || fail "only $gp trials by gp"

out=$("$HPSEARCH" narrow cont.yaml --top 4 --warm-start)
expect_eq "narrow exit 0" 0 $?
expect_contains "narrow wrote" "wrote c-narrow.yaml" "$out"
expect_contains "warm start" "warm start:" "$out"
low=$(grep -A3 '^  x:' c-narrow.yaml | sed -n 's/ *low: //p')
high=$(grep -A3 '^  x:' c-narrow.yaml | sed -n 's/ *high: //p')
"$PY" -c "import sys; lo, hi = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if 0 <= lo < 3 < hi <= 6 and hi - lo < 6 else 1)" "$low" "$high" && ok "x narrowed to [$low, $high] around 3" || fail "x range [$low, $high]"
grep -q "log: true" c-narrow.yaml && ok "log scale kept" || fail "log scale lost"
warm=$(sql s.db "SELECT COUNT(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'c-narrow' AND t.state = 2")
[ "$warm" -ge 4 ] && ok "$warm old trials warm-start the narrowed study" || fail "warm start added $warm"
out=$("$HPSEARCH" run c-narrow.yaml -n $((warm + 3)) --no-progress 2>&1)
expect_eq "the narrowed config runs" 0 $?
expect_contains "the warm-started study starts from the old trials" \
    "$warm trials from warm start fit the space and count as finished" "$out"
out=$("$HPSEARCH" narrow cont.yaml 2>&1)
expect_eq "narrow without --top: exit 2" 2 $?
write_config empty.yaml <<EOF2
study: empty
storage: sqlite:s.db
metric: score
command: $TRAIN --x {x}
parameters:
  x: {type: float, low: 0, high: 6}
EOF2
out=$("$HPSEARCH" narrow empty.yaml --top 3 2>&1)
expect_eq "narrow of a missing study: exit 2" 2 $?
finish
