"""The comparison protocol of bench/ (issue 22): the shared start, the seed bootstrap of
every score table, the presets that make quality claims and the black-box challenge."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import bootstrap  # noqa: E402
import optimizers  # noqa: E402
import problems  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402

# a mixed space (log floats, a log int, an int, a categorical) and a conditional one
# (three branches, a log float and an int inside one of them)
SHARED_PROBLEMS = ["mixed_nn", "tree_deep"]
K = 6


def _available(names):
    return [n for n in names if optimizers.get(n).available()[0]]


# Model-based samplers of both engines (the comparison the shared start is for), and the
# non-adaptive ones, whose own sequences would otherwise start elsewhere.
ENGINES = _available(["optuna-random", "optuna-tpe", "optuna-tpe-mv", "optuna-qmc",
                      "hps-random", "hps-sobol", "hps-tpe", "hps-gp", "hps-auto",
                      "hps-cmaes"])


# ---- shared start ------------------------------------------------------------------
@pytest.mark.parametrize("name", SHARED_PROBLEMS)
def test_shared_start_is_drawn_from_the_space_and_reproducible(name):
    problem = problems.get(name)
    configs = run.shared_start_configs(problem, 3, K)
    assert configs == run.shared_start_configs(problem, 3, K)
    assert configs[:2] == run.shared_start_configs(problem, 3, 2)  # a prefix is a prefix
    assert configs != run.shared_start_configs(problem, 4, K)      # seeds differ
    for config in configs:
        active = [p for p in problem.space if p.active(config)]
        assert set(config) == {p.name for p in active}  # inactive parameters absent
        for p in active:
            v = config[p.name]
            if p.kind == "categorical":
                assert v in p.choices
            else:
                assert p.low <= v <= p.high
                assert isinstance(v, int) == (p.kind == "int")
    if name == "tree_deep":  # the start visits more than one branch
        assert len({c["arch"] for c in configs}) > 1


@pytest.mark.parametrize("name", SHARED_PROBLEMS)
def test_shared_start_gives_every_optimizer_the_same_first_configurations(name):
    problem = problems.get(name)
    expected = run.shared_start_configs(problem, 0, K)
    assert any(n.startswith("optuna") for n in ENGINES)
    for opt in ENGINES:
        study = optimizers.get(opt).start(problem, seed=0, budget=K + 2, q=1,
                                          start_configs=expected)
        got = []
        for _ in range(K + 1):
            trial, config = study.ask()
            got.append(config)
            study.tell(trial, problem.evaluate(config, 0))
        assert got[:K] == expected, opt  # the same values, not merely close ones
        # then the sampler's own, a configuration of the space like any other
        assert set(got[K]) == {p.name for p in problem.space if p.active(got[K])}


def test_runner_evaluates_the_shared_start_first_in_every_optimizer_and_batch_size():
    problem = problems.get("tree_deep")
    expected = [problem.evaluate(c, 1) for c in run.shared_start_configs(problem, 1, K)]
    for opt in ENGINES:
        for q in (1, 4):
            rec = run.run_one({"type": "run", "optimizer": opt, "problem": "tree_deep",
                               "seed": 1, "q": q, "trials": K + 2, "budgets": [K + 2],
                               "per_budget": False, "shared_start": K})
            assert "error" not in rec, rec.get("error")
            assert rec["shared_start"] == K
            # the shared trials count against the budget: K + 2 evaluations in all
            assert rec["n_trials"] == K + 2
            assert rec["values"][:K] == [run._num(v) for v in expected], (opt, q)


def test_shared_start_gives_a_grid_its_cells_after_the_start():
    problem = problems.get("branin")
    spec = optimizers.get("hps-grid")
    if not spec.available()[0]:
        pytest.skip("hps-grid unavailable")
    start = run.shared_start_configs(problem, 0, 2)
    grid = spec.start(problem, seed=0, budget=6, q=1, start_configs=start)
    configs = [c for _, c in grid.ask_batch(10)]
    # the 2 shared, then the 2 x 2 grid that fits the 4 trials left, every cell once
    assert configs[:2] == start and len(configs) == 2 + 4
    assert len({tuple(sorted(c.items())) for c in configs[2:]}) == 4
    assert {c["x1"] for c in configs[2:]} == {-1.25, 6.25}  # branin's x1 cell midpoints


def test_shared_start_must_leave_room_in_the_smallest_budget(capsys):
    for k in ("12", "-1"):
        with pytest.raises(SystemExit):
            run.main(["--smoke", "--shared-start", k, "--out", "/nonexistent"])
        assert "--shared-start" in capsys.readouterr().err


def test_plan_records_the_shared_start_and_resume_keys_tell_protocols_apart():
    a = run.plan(["optuna-tpe"], ["branin"], [0], [25], [1], [], shared_start=5)
    b = run.plan(["optuna-tpe"], ["branin"], [0], [25], [1], [])
    assert a[0]["shared_start"] == 5 and b[0]["shared_start"] == 0
    assert run._task_key(a[0]) != run._task_key(b[0])


def test_resume_does_not_take_runs_of_another_shared_start(tmp_path):
    import json
    stale = {"type": "run", "optimizer": "optuna-random", "problem": "branin", "seed": 0,
             "q": 1, "trials": 12, "budgets": [12], "per_budget": False,
             "shared_start": 0, "values": [1.0] * 12, "n_trials": 12}
    (tmp_path / "r.partial.jsonl").write_text(json.dumps(stale) + "\n")
    assert run.main(["--smoke", "--optimizers", "optuna-random", "--overhead-trials", "0",
                     "--shared-start", "2", "--jobs", "1", "--out", str(tmp_path),
                     "--name", "r", "--resume"]) == 0
    res = json.loads((tmp_path / "r.json").read_text())
    assert res["settings"]["shared_start"] == 2
    [rec] = res["runs"]  # the stale run is neither reused nor reported
    branin = problems.get("branin")
    assert rec["shared_start"] == 2 and rec["values"][:2] == [
        run._num(branin.evaluate(c, 0)) for c in run.shared_start_configs(branin, 0, 2)]


# ---- the bootstrap interval --------------------------------------------------------
def _seed_res(per_problem):
    """{label "x": {problem: {seed: (score, raw)}}} from {problem: [score per seed]}."""
    return {"x": {p: {s: (v, 0.0) for s, v in enumerate(scores)}
                  for p, scores in per_problem.items()}}


def test_interval_is_degenerate_when_every_seed_scores_the_same():
    out = report.mean_intervals(_seed_res({"p": [42.0] * 10, "q": [-3.0] * 10}),
                                ["p", "q"], ["x"])
    assert out["x"] == ((19.5, 19.5), 10)


def test_interval_of_a_hand_worked_example():
    # Two seeds: a resample is {0, 0}, {0, 1} or {1, 1}. "p" scores 0 and 100, "q" 50 on
    # both, so the mean over problems of the medians is 25, 50 or 75, with probabilities
    # 1/4, 1/2, 1/4: the central 95 % runs from 25 to 75, around the table's mean 50.
    seed_res = _seed_res({"p": [0.0, 100.0], "q": [50.0, 50.0]})
    (low, high), n = report.mean_intervals(seed_res, ["p", "q"], ["x"])["x"]
    assert (low, high, n) == (25.0, 75.0, 2)
    assert low <= 50.0 <= high
    # a saturated problem (score None) is out of the mean and out of the interval
    seed_res["x"]["sat"] = {0: (None, 0.0), 1: (None, 0.0)}
    assert report.mean_intervals(seed_res, ["p", "q", "sat"], ["x"])["x"] == ((25.0, 75.0), 2)
    # only the seeds every scored problem has are resampled
    del seed_res["x"]["q"][1]
    assert report.mean_intervals(seed_res, ["p", "q"], ["x"])["x"] == ((25.0, 25.0), 1)
    assert report.mean_intervals({}, ["p"], ["x"])["x"] == (None, 0)


def test_interval_contains_the_mean_and_is_reproducible():
    scores = {"p": [10.0, 80.0, 35.0, 60.0, 20.0, 90.0, 55.0, 40.0, 70.0, 5.0],
              "q": [30.0, 45.0, 50.0, 65.0, 20.0, 25.0, 75.0, 40.0, 60.0, 35.0]}
    out = report.mean_intervals(_seed_res(scores), ["p", "q"], ["x"])
    (low, high), n = out["x"]
    mean = sum(sorted(v)[4] / 2 + sorted(v)[5] / 2 for v in scores.values()) / 2
    assert n == 10 and low < mean < high
    assert report.mean_intervals(_seed_res(scores), ["p", "q"], ["x"]) == out


def test_percentile_interval_ranks():
    assert bootstrap.percentile_interval(list(range(101)), 0.90) == (5, 95)
    assert bootstrap.percentile_interval(list(range(101))[::-1], 0.95) == (2, 97)
    assert bootstrap.quantile([1, 2, 3], 0.5) == 2


def _tiny_results(shared_start=0, seeds=(0, 1)):
    runs = [{"type": "run", "optimizer": opt, "problem": "p", "seed": seed, "q": q,
             "trials": 4, "budgets": [2, 4], "values": vals, "shared_start": shared_start,
             "overhead_s_at": {}}
            for opt, vals in [("a", [5.0, 4.0, 0.0, 0.0]), ("b", [9.0, 9.0, 9.0, 9.0])]
            for seed in seeds for q in (1, 2)]
    return {"name": f"t{shared_start}", "date": "d", "machine": {"cpus": 2, "python": "3"},
            "versions": {"optuna": "x"}, "wall_s": 1.0, "overhead": [], "runs": runs,
            "problems": {"p": {"kind": "synthetic", "direction": "minimize", "optimum": 0.0,
                               "noisy": False}},
            "settings": {"budgets": [2, 4], "seeds": list(seeds), "jobs": 1,
                         "optimizers": ["a", "b"], "shared_start": shared_start}}


def test_every_score_table_has_its_interval_and_says_how_it_was_made():
    cal = {"problems": {"p": {"random_median": [10.0, 8.0, 6.0, 4.0]}}}
    text = report.build(_tiny_results(shared_start=1), cal)[0]
    tables = [line for line in text.splitlines() if line.startswith("## ")
              and "trials" in line and "objective" not in line]
    assert tables == ["## 2 trials, shared start of 1", "## 4 trials, shared start of 1",
                      "## 2 trials, q = 2 asks per batch (1 round), shared start of 1",
                      "## 4 trials, q = 2 asks per batch (2 rounds), shared start of 1"]
    # seeds alike: a point, the table's mean (a: best 4 against random's 8 at 2 trials)
    assert text.count("| 95 % interval of the mean | [50.0, 50.0] | [-12.5, -12.5] |") == 2
    assert text.count("| 95 % interval of the mean | [100.0, 100.0] | [-100.0, -100.0] |") == 2
    assert text.count("Interval: 95 % percentile bootstrap") == 4
    assert text.count("Fewer than 10 seeds") == 4
    assert "shared start" not in report.build(_tiny_results(), cal)[0]
    ten = report.build(_tiny_results(seeds=range(10)), cal)[0]
    assert "the 10 seeds every problem has" in ten and "Fewer than" not in ten


def test_results_of_different_shared_starts_are_not_merged():
    with pytest.raises(ValueError, match="shared start"):
        report.merge([_tiny_results(0), _tiny_results(5)])
    assert report.merge([_tiny_results(5), _tiny_results(5)])["settings"]["shared_start"] == 5


def test_head_to_head_compares_the_runs_of_one_batch_size():
    import head_to_head
    cal = {"problems": {"p": {"random_median": [10.0, 8.0, 6.0, 4.0]}}}
    res = _tiny_results()
    res["runs"] = [r for r in res["runs"] if r["q"] == 2]  # a challenge-like file
    assert head_to_head.scores_of(res, "a", None, 4, cal, q=2) == {"p": 100.0}
    assert head_to_head.scores_of(res, "a", None, 4, cal) == {}  # no q = 1 run


# ---- presets -----------------------------------------------------------------------
def test_presets_that_make_claims_run_ten_seeds_and_smoke_stays_tiny():
    assert run.PRESETS["full"]["seeds"] == list(range(10))
    assert run.PRESETS["challenge"]["seeds"] == list(range(10))
    assert run.PRESETS["smoke"]["seeds"] == [0]


def test_challenge_preset_is_16_rounds_of_8():
    preset = run.PRESETS["challenge"]
    assert preset["q"] == [8] and max(preset["budgets"]) == 128
    assert all(b % 8 == 0 for b in preset["budgets"])  # every budget a whole round
    assert set(preset["optimizers"]) == {"hps-gp", "hps-tpe", "hps-auto", "optuna-tpe"}
    tasks = run.plan(preset["optimizers"], ["branin"], [0], preset["budgets"], preset["q"],
                     preset["overhead_trials"])
    assert {(t["optimizer"], t["q"], t["trials"]) for t in tasks} == {
        (o, 8, 128) for o in preset["optimizers"]}
    # Optuna's TPE runs with the constant liar in batches (its setting for them)
    spec = optimizers.get("optuna-tpe")
    sampler = spec.make_sampler(optimizers.engine_module("optuna"), problems.get("branin"),
                                0, 128, 8)
    assert sampler._constant_liar


# The rounds are the runner's (Optuna's TPE with 128 trials would take 10 s here).
@pytest.mark.parametrize("opt", _available(["optuna-random", "hps-tpe"]))
def test_challenge_run_asks_16_batches_of_8(opt):
    rec = run.run_one({"type": "run", "optimizer": opt, "problem": "branin", "seed": 0,
                       "q": 8, "trials": 128, "budgets": [128], "per_budget": False})
    assert "error" not in rec, rec.get("error")
    assert (rec["n_trials"], rec["rounds"]) == (128, 16)
