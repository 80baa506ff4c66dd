#!/usr/bin/env bash
# `hpsearch plan` with `sampler: auto`: the strategy line (and the handover note under it)
# for each kind of space, word for word -- the explanation comes from the library
# (hps_auto_explain), and plan must print exactly what it printed when the CLI asked the
# sampler's policy itself. A long run hands over to CMA-ES only when it is continuous and
# has one objective: a categorical parameter or several objectives keep it off CMA-ES,
# and plan says nothing about CMA-ES then.
source "$(dirname "$0")/lib.sh"

# config_top STUDY METRIC-LINES: the lines every config here starts with
config_top() { printf 'study: %s\nstorage: sqlite:p.db\n%s\nsampler: auto\ncommand: true\n' "$1" "$2"; }
{ config_top grid 'metric: score'; echo 'n_trials: 20'; echo 'parameters:'; echo '  x: {values: [1, 2, 3, 4]}'; echo '  y: {values: [0, 1, 2]}'; } > grid.yaml
{ config_top gridfree 'metric: score'; echo 'parameters:'; echo '  x: {values: [1, 2, 3, 4]}'; echo '  y: {values: [0, 1, 2]}'; } > grid_nobudget.yaml
{ config_top short 'metric: score'; echo 'n_trials: 50'; echo 'parameters:'; echo '  x: {type: float, low: 0, high: 6}'; echo '  y: {type: float, low: 0.01, high: 100, log: true}'; } > short.yaml
{ config_top long 'metric: score'; echo 'n_trials: 2000'; echo 'parameters:'; echo '  x: {type: float, low: 0, high: 6}'; echo '  y: {type: int, low: 1, high: 100}'; } > long.yaml
{ config_top longcat 'metric: score'; echo 'n_trials: 2000'; echo 'parameters:'; echo '  x: {type: float, low: 0, high: 6}'; echo '  act: {type: categorical, values: [relu, tanh, gelu]}'; } > long_categorical.yaml
{ config_top wide 'metric: score'; echo 'n_trials: 100'; echo 'parameters:'; for i in $(seq 1 21); do echo "  p$i: {type: float, low: 0, high: 1}"; done; } > wide.yaml
{ config_top cond 'metric: score'; echo 'n_trials: 60'; echo 'parameters:'; echo '  optimizer: {type: categorical, values: [adam, sgd]}'; echo '  momentum: {type: float, low: 0.5, high: 0.99, when: {optimizer: sgd}}'; echo '  x: {type: float, low: 0, high: 1}'; } > conditional.yaml
{ config_top mo "$(printf 'metrics:\n  - {name: acc, goal: maximize}\n  - {name: cost}')"; echo 'n_trials: 2000'; echo 'parameters:'; echo '  x: {type: float, low: 0, high: 1}'; echo '  y: {type: int, low: 0, high: 3}'; } > long_objectives.yaml
{ config_top con "$(printf 'metric: score\nconstraints:\n  - {name: mem, max: 8}')"; echo 'n_trials: 30'; echo 'parameters:'; echo '  x: {type: float, low: 0, high: 1}'; } > constrained.yaml

# strategy_block FILE: plan's strategy line and the note indented under it, if any
strategy_block() {
    "$HPSEARCH" plan "$1" | sed -n '/^strategy:/{p;n;/^          /p}'
}

# expect_strategy CASE: plan's block for CASE.yaml is exactly stdin
expect_strategy() {
    local want got
    want=$(cat)
    got=$(strategy_block "$1.yaml")
    expect_eq "plan: auto on $1" "$want" "$got"
}

expect_strategy grid <<'EOF'
strategy: auto -> grid. Every parameter takes finitely many values and the whole grid (12 combinations) fits the budget of 20 trials, so every combination is tried exactly once: nothing is left to chance.
EOF

expect_strategy grid_nobudget <<'EOF'
strategy: auto -> grid. Every parameter takes finitely many values and no budget is set: the whole grid (12 combinations) is small enough to try each combination exactly once, and then the study is done.
EOF

expect_strategy short <<'EOF'
strategy: auto -> gp. 2 parameters, mostly numeric: Bayesian optimization (a Gaussian process after a few Sobol points) finds good values in the fewest trials, which pays when each trial is a training run.
EOF

expect_strategy long <<'EOF'
strategy: auto -> gp. 2 parameters, mostly numeric: Bayesian optimization (a Gaussian process after a few Sobol points) finds good values in the fewest trials, which pays when each trial is a training run.
          Past 400 trials of a long continuous run it hands over to CMA-ES.
EOF

expect_strategy long_categorical <<'EOF'
strategy: auto -> gp. 2 parameters, mostly numeric: Bayesian optimization (a Gaussian process after a few Sobol points) finds good values in the fewest trials, which pays when each trial is a training run.
EOF

expect_strategy long_objectives <<'EOF'
strategy: auto -> gp. Several objectives: Bayesian optimization, a Gaussian process per objective, suggesting where the expected gain of the Pareto front (hypervolume) is largest; it led TPE and NSGA-II on the benchmarks with several objectives and with constraints at 50 and 100 trials (TPE takes over after 100).
EOF

expect_strategy wide <<'EOF'
strategy: auto -> tpe. The space has 21 parameters; beyond 20 a Gaussian process learns little per trial and costs much, while TPE scales to many parameters.
EOF

expect_strategy conditional <<'EOF'
strategy: auto -> gp. A conditional space (some parameters exist only in some trials): Bayesian optimization models every branch's own parameters (an inactive parameter is a state of its own, not a guessed value), searches each branch the trials have shown and proposes the one where the expected improvement is largest.
EOF

# a budget of 30: the GP runs it all, and the reason says nothing of TPE taking over
expect_strategy constrained <<'EOF'
strategy: auto -> gp. Constraints: Bayesian optimization, a Gaussian process per value and per constraint, suggesting where the expected improvement times the probability of satisfying the constraints is largest; it led TPE and NSGA-II on the benchmarks with several objectives and with constraints at 50 and 100 trials.
EOF

# A constant (`epochs: 3`, a one-choice categorical to the library) is nothing to
# search: plan leaves it out, and so must the auto sampler at run time -- 20 searched
# parameters and a constant stay within the GP's 20, and the trials record the GP.
{ config_top const 'metric: score' | sed 's/^command: true$/command: echo score=1/'; echo 'n_trials: 3'; echo 'parameters:'; for i in $(seq 1 20); do echo "  p$i: {type: float, low: 0, high: 1}"; done; echo '  epochs: 3'; } > constant.yaml
expect_strategy constant <<'EOF'
strategy: auto -> gp. 20 parameters, mostly numeric: Bayesian optimization (a Gaussian process after a few Sobol points) finds good values in the fewest trials, which pays when each trial is a training run.
EOF
"$HPSEARCH" run constant.yaml >/dev/null 2>run_constant.err || fail "run constant.yaml: $(cat run_constant.err)"
recorded=$(sql p.db "SELECT GROUP_CONCAT(s, ' ') FROM (SELECT json_extract(t.system_attrs, '$.sampler') AS s FROM trials t JOIN studies USING (study_id) WHERE studies.name = 'const' ORDER BY t.number)")
expect_eq "run: auto on a constant and 20 parameters records the GP after the first trial" "sobol gp gp" "$recorded"

# A range with low == high takes one value too (hps_dist_cardinality 1): the config
# accepts it, the auto sampler leaves it out of its counts, and so must plan -- 20
# searched floats and `z: {low: 1, high: 1}` are the GP's, in plan, run and the trials.
{ config_top degenerate 'metric: score' | sed 's/^command: true$/command: echo score=1/'; echo 'n_trials: 3'; echo 'parameters:'; for i in $(seq 1 20); do echo "  p$i: {type: float, low: 0, high: 1}"; done; echo '  z: {type: float, low: 1, high: 1}'; } > degenerate.yaml
expect_strategy degenerate <<'EOF'
strategy: auto -> gp. 20 parameters, mostly numeric: Bayesian optimization (a Gaussian process after a few Sobol points) finds good values in the fewest trials, which pays when each trial is a training run.
EOF
run_out=$("$HPSEARCH" run degenerate.yaml 2>&1) || fail "run degenerate.yaml: $run_out"
expect_contains "run: auto on a one-value range names the GP" "auto chose gp:" "$run_out"
recorded=$(sql p.db "SELECT GROUP_CONCAT(s, ' ') FROM (SELECT json_extract(t.system_attrs, '$.sampler') AS s FROM trials t JOIN studies USING (study_id) WHERE studies.name = 'degenerate' ORDER BY t.number)")
expect_eq "run: auto on a one-value range and 20 parameters records the GP after the first trial" "sobol gp gp" "$recorded"

# A conditional space counts as the sampler at run time counts it: the parameters every
# finished trial shares, which once the trials have taken each branch are those without
# `when:` -- here 2 (model, x), not 26, so plan, run and the trials say GP, not TPE.
{ config_top wide_conditional 'metric: score' | sed 's/^command: true$/command: echo score=1/'; echo 'n_trials: 6'; echo 'parameters:'; echo '  model: {type: categorical, values: [a, b]}'; echo '  x: {type: float, low: 0, high: 1}'; for i in $(seq 1 12); do echo "  a$i: {type: float, low: 0, high: 1, when: {model: a}}"; echo "  b$i: {type: float, low: 0, high: 1, when: {model: b}}"; done; } > wide_conditional.yaml
expect_strategy wide_conditional <<'EOF'
strategy: auto -> gp. A conditional space (some parameters exist only in some trials): Bayesian optimization models every branch's own parameters (an inactive parameter is a state of its own, not a guessed value), searches each branch the trials have shown and proposes the one where the expected improvement is largest.
EOF
run_out=$("$HPSEARCH" run wide_conditional.yaml 2>&1) || fail "run wide_conditional.yaml: $run_out"
expect_contains "run: auto on a wide conditional space names the GP" "auto chose gp: A conditional space" "$run_out"
recorded=$(sql p.db "SELECT GROUP_CONCAT(s, ' ') FROM (SELECT json_extract(t.system_attrs, '$.sampler') AS s FROM trials t JOIN studies USING (study_id) WHERE studies.name = 'wide_conditional' ORDER BY t.number)")
expect_eq "run: auto on a wide conditional space records the GP after the first trial" "sobol gp gp gp gp gp" "$recorded"

finish
