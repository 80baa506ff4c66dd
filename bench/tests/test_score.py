"""The score definition (report.py), the paired comparison (paired_scores.py), the random
baseline (calibrate.py), the runner's bookkeeping and the Optuna adapter, on small
hand-made cases."""
import json
import math
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import calibrate  # noqa: E402
import optimizers  # noqa: E402
import paired_scores  # noqa: E402
import problems  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402


def _results(direction="minimize", optimum=0.0, kind="synthetic", runs=()):
    return {"name": "t", "date": "d", "problems": {"p": {
        "kind": kind, "direction": direction, "optimum": optimum, "noisy": False}},
        "runs": list(runs), "settings": {"budgets": [2, 4], "seeds": [0]}}


def test_score_is_100_at_optimum_0_at_random_median_and_floored():
    cal = {"problems": {"p": {"random_median": [10.0, 8.0, 6.0, 4.0], "best_known": None}}}
    s = report.Scorer(_results(), cal)
    assert s.score("p", 2, 0.0) == 100.0
    assert s.score("p", 2, 8.0) == 0.0
    assert s.score("p", 2, 4.0) == 50.0
    assert s.score("p", 4, 2.0) == 50.0         # the baseline moves with the budget
    assert s.score("p", 2, 1000.0) == -100.0    # floor
    assert s.score("p", 2, math.inf) == -100.0  # no successful trial yet
    assert s.score("p", 2, -1.0) > 100.0        # beat the optimum: visible, not clipped
    assert s.score("p", 5, 0.0) is None         # beyond the calibrated budgets


def test_score_for_maximized_problem_and_saturation():
    cal = {"problems": {"p": {"random_median": [0.90, 0.95, 0.99, 0.99],
                              "best_known": 0.99}}}
    s = report.Scorer(_results("maximize", None, "torch"), cal)
    # values arrive in the minimized sign: -accuracy
    assert s.score("p", 1, -0.99) == pytest.approx(100.0)
    assert s.score("p", 1, -0.90) == pytest.approx(0.0)
    assert s.score("p", 1, -0.945) == pytest.approx(50.0)
    assert s.score("p", 3, -0.99) is None  # random search reaches the best known: saturated


def test_best_curve_incumbent_by_observed_value_scored_by_true_value():
    run_ = {"values": [5.0, 3.0, None, 4.0, 1.0], "true_values": [5.0, 3.5, None, 0.5, 2.0]}
    assert report.best_curve(run_, 1.0) == [5.0, 3.5, 3.5, 3.5, 2.0]
    assert report.best_curve({"values": [0.5, 0.9, 0.7]}, -1.0) == [-0.5, -0.9, -0.9]


def test_exhausted_run_keeps_its_incumbent():
    curve = [3.0, 2.0]
    assert report.at_budget(curve, {"exhausted": True}, 4) == 2.0
    assert report.at_budget(curve, {"exhausted": False}, 4) is None
    assert report.at_budget([], {}, 1) == math.inf


def test_random_median_matches_simulation():
    rng = np.random.default_rng(0)
    pool = rng.normal(size=200)
    med = calibrate.random_median(pool, pool, 1.0, t_max=20)
    for t in (1, 5, 20):
        sims = [pool[rng.integers(0, 200, size=t)].min() for _ in range(20000)]
        # the exact median is a pool value; the simulated one lies close to it
        assert med[t - 1] == pytest.approx(np.median(sims), abs=0.08)
    assert all(a >= b for a, b in zip(med, med[1:]))  # more trials, better median
    # maximizing mirrors minimizing
    assert calibrate.random_median(-pool, -pool, -1.0, t_max=20) == pytest.approx(
        [-m for m in med])


def test_random_median_noisy_scores_the_true_value_of_the_incumbent():
    observed = [0.0, 1.0, 2.0, 3.0]
    true = [10.0, 1.0, 2.0, 3.0]  # the best-looking point is really the worst
    med = calibrate.random_median(observed, true, 1.0, t_max=50)
    assert med[-1] == 10.0  # with many draws the incumbent is almost surely index 0
    assert med[0] == 2.0    # one draw: median of the true values (lower median)


def test_report_tables_from_a_tiny_results_file():
    runs = []
    for opt, vals in [("a", [5.0, 4.0, 0.0, 0.0]), ("b", [9.0, 9.0, 9.0, 9.0])]:
        for seed in (0, 1):
            runs.append({"type": "run", "optimizer": opt, "problem": "p", "seed": seed,
                         "q": 1, "trials": 4, "budgets": [2, 4], "values": vals,
                         "overhead_s_at": {"2": 0.002, "4": 0.004}})
    res = _results(runs=runs)
    res.update({"machine": {"cpus": 2, "python": "3"}, "versions": {"optuna": "x"},
                "wall_s": 1.0, "overhead": []})
    res["settings"].update({"jobs": 1})
    cal = {"problems": {"p": {"random_median": [10.0, 8.0, 6.0, 4.0]}}}
    text, *_rest, summary = report.build(res, cal)
    assert summary["a"][2] == pytest.approx(50.0)   # best 4 vs baseline 8
    assert summary["a"][4] == pytest.approx(100.0)
    assert summary["b"][4] == pytest.approx(-100.0)  # 9 vs 4: floor
    assert "| wins | 1 | 0 |" in text


def test_run_one_records_curve_and_timings_with_optuna():
    task = {"type": "run", "optimizer": "optuna-tpe", "problem": "branin", "seed": 0,
            "q": 4, "trials": 10, "budgets": [5, 10], "per_budget": False}
    rec = run.run_one(task)
    assert "error" not in rec
    assert rec["n_trials"] == 10 and len(rec["values"]) == 10
    assert rec["ask_s"] > 0 and rec["tell_s"] > 0
    assert set(rec["overhead_s_at"]) == {"5", "10"}
    assert rec["best_value"] == min(rec["values"])
    p = problems.get("branin")
    assert p.evaluate(rec["best_config"]) == pytest.approx(rec["best_value"], rel=1e-9)


def test_batch_asks_give_distinct_configs_before_any_tell():
    spec = optimizers.get("optuna-tpe")
    study = spec.start(problems.get("hartmann3"), seed=1, budget=20, q=8)
    batch = study.ask_batch(8)
    assert len(batch) == 8
    configs = [tuple(sorted(c.items())) for _, c in batch]
    assert len(set(configs)) == 8
    study.tell_batch([(t, problems.get("hartmann3").evaluate(c)) for t, c in batch])
    study.tell(study.ask()[0], math.inf)  # a failed evaluation is told as FAIL


def test_plan_skips_non_adaptive_optimizers_in_parallel_mode_and_splits_grids():
    tasks = run.plan(["optuna-random", "optuna-tpe", "hps-grid"], ["branin"], [0],
                     [25, 50], [1, 4], [])
    keys = {(t["optimizer"], t["q"], t["trials"]) for t in tasks}
    assert keys == {("optuna-random", 1, 50), ("optuna-tpe", 1, 50), ("optuna-tpe", 4, 50),
                    ("hps-grid", 1, 25), ("hps-grid", 1, 50)}


def test_every_registered_optimizer_reports_availability():
    for name in optimizers.names():
        ok, why = optimizers.get(name).available()
        assert ok or why
    assert optimizers.get("optuna-random").available()[0]


def test_newest_optuna_is_skipped_with_a_reason(monkeypatch, tmp_path):
    import optuna  # Debian's 3.1, as the runner's other Optuna optimizers load it
    spec = optimizers.get("optuna-gp")
    monkeypatch.delenv(optimizers.NEWEST_OPTUNA_ENV, raising=False)
    ok, why = spec.available()
    assert not ok and optimizers.NEWEST_OPTUNA_ENV in why
    monkeypatch.setenv(optimizers.NEWEST_OPTUNA_ENV, str(tmp_path))
    ok, why = spec.available()
    assert not ok and "holds no optuna package" in why
    # a tree that has one cannot replace the Optuna this process holds already
    (tmp_path / "optuna").mkdir()
    (tmp_path / "optuna" / "__init__.py").write_text("__version__ = 'newest'\n")
    ok, why = spec.available()
    assert not ok and f"Optuna {optuna.__version__} is loaded" in why
    assert "optuna-newest" not in optimizers._MODULES


def test_only_reaching_the_optimum_saturates():
    # Rosenbrock-like range: random closes 99.99% of the gap, optimizers still differ
    cal = {"problems": {"p": {"random_median": [1e5, 100.0, 10.0, 0.0]}}}
    s = report.Scorer(_results(), cal)
    assert not s.saturated("p", 3) and s.score("p", 3, 1.0) == pytest.approx(90.0)
    assert s.saturated("p", 4) and s.score("p", 4, 0.0) is None


def test_calibrate_end_to_end_on_a_copy(tmp_path, monkeypatch):
    """Pools, baseline, best-known search, refinement and fold-in, written to a copy of
    calibration.json (the real one is never touched by the tests)."""
    import json
    import shutil
    copy = tmp_path / "calibration.json"
    shutil.copy(problems.CALIBRATION_FILE, copy)
    monkeypatch.setattr(problems, "CALIBRATION_FILE", str(copy))
    assert calibrate.main(["--problems", "branin,knn_iris", "--pool", "2000", "--ml-pool",
                           "250", "--search-trials", "5", "--refine-evals", "5",
                           "--jobs", "1"]) == 0
    cal = json.loads(copy.read_text())["problems"]
    b = cal["branin"]
    assert b["pool_size"] == 2000 and len(b["random_median"]) == calibrate.T_MAX
    assert b["best_known"] == problems.get("branin").optimum
    assert b["random_median"][0] > b["random_median"][99] > b["best_known"]
    k = cal["knn_iris"]
    assert k["pool_size"] == 250 and len(k["pool_values"]) == 250
    assert k["best_known"] <= min(k["pool_values"]) and "best_known_config" in k
    # fold-in: a run that beat the stored value replaces it, with provenance
    results = {"date": "today", "runs": [{"problem": "knn_iris", "optimizer": "x", "seed": 0,
                                          "q": 1, "best_value": k["best_known"] / 2,
                                          "best_config": {"n_neighbors": 1}}]}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(results))
    assert calibrate.main(["--from-results", str(path)]) == 0
    k2 = json.loads(copy.read_text())["problems"]["knn_iris"]
    assert k2["best_known"] == k["best_known"] / 2 and "found by x" in k2["best_known_source"]


def test_head_to_head_ties_within_tolerance_and_bootstrap_spread():
    import random
    import head_to_head
    a = {"far": 60.0, "close": 51.26, "lost": 10.0}
    b = {"far": 50.0, "close": 51.2599, "lost": 20.0}
    wins, ties, losses = head_to_head.classify(a, b, list(a), 0.1)
    assert (wins, ties, losses) == (["far"], ["close"], ["lost"])
    assert head_to_head.classify(a, b, list(a), 0.0)[0] == ["far", "close"]
    # per-seed scores: "sure" is won on every seed, "coin" on half of them
    pa = {"sure": {s: 80.0 for s in range(10)},
          "coin": {s: (70.0 if s % 2 else 30.0) for s in range(10)}}
    pb = {"sure": {s: 20.0 for s in range(10)}, "coin": {s: 50.0 for s in range(10)}}
    counts, n_seeds = head_to_head.bootstrap_wins(pa, pb, ["sure", "coin"], 0.1, 400,
                                                  random.Random(0))
    assert n_seeds == 10 and len(counts) == 400
    assert min(counts) == 1 and max(counts) == 2  # "sure" always counts, "coin" sometimes
    assert 0.2 < sum(c == 2 for c in counts) / 400 < 0.8
    assert head_to_head.bootstrap_wins(pa, {"sure": {}, "coin": {}}, ["sure", "coin"], 0.1,
                                       10, random.Random(0)) == ([], 0)
    assert head_to_head.bootstrap_wins(pa, pb, [], 0.1, 10, random.Random(0)) == ([], 0)


def test_paired_scores_mean_difference_and_family(tmp_path, capsys):
    cal = {"problems": {p: {"random_median": [10.0, 10.0], "best_known": None}
                        for p in ("p", "hartmann6")}}
    (tmp_path / "cal.json").write_text(json.dumps(cal))

    def results(opt, finals):
        probs = {p: {"kind": "synthetic", "direction": "minimize", "optimum": 0.0,
                     "noisy": False} for p in ("p", "hartmann6")}
        runs = [{"optimizer": opt, "q": 1, "problem": p, "seed": seed, "trials": 2,
                 "values": [10.0, v]} for (p, seed), v in finals.items()]
        return {"problems": probs, "runs": runs}

    # scores: A on p 50, 30 (seeds 0, 1) and on hartmann6 20; B 60, 60 and 40; seed 2
    # only in B (left out)
    a = results("x", {("p", 0): 5.0, ("p", 1): 7.0, ("hartmann6", 0): 8.0,
                      ("hartmann6", 1): 8.0})
    b = results("y", {("p", 0): 4.0, ("p", 1): 4.0, ("p", 2): 0.0, ("hartmann6", 0): 6.0,
                      ("hartmann6", 1): 6.0})
    (tmp_path / "a.json").write_text(json.dumps(a))
    (tmp_path / "b.json").write_text(json.dumps(b))
    sys.argv = ["paired_scores.py", str(tmp_path / "a.json"), "x", str(tmp_path / "b.json"),
                "y", "--budgets", "2", "--calibration", str(tmp_path / "cal.json")]
    paired_scores.main()
    out = capsys.readouterr().out
    assert "| p | 40.0 | 60.0 | +20.0 ± 10.0 | 2 |" in out
    assert "| hartmann6 | 20.0 | 40.0 | +20.0 ± 0.0 | 2 |" in out
    assert "| family hartmann6* | 20.0 | 40.0 | +20.0 ± 0.0 | 2 |" in out
    assert "| family synthetic | 40.0 | 60.0 | +20.0 ± 10.0 | 2 |" in out


def test_paired_scores_reads_batch_runs_and_sums_over_budgets(tmp_path, capsys):
    cal = {"problems": {"p": {"random_median": [10.0, 10.0], "best_known": None}}}
    (tmp_path / "cal.json").write_text(json.dumps(cal))
    probs = {"p": {"kind": "synthetic", "direction": "minimize", "optimum": 0.0,
                   "noisy": False}}

    def results(opt, finals):  # q = 8 runs, scores 100 * (10 - value) / 10
        return {"problems": probs, "runs": [
            {"optimizer": opt, "q": 8, "problem": "p", "seed": seed, "trials": 2,
             "values": values} for seed, values in finals.items()]}

    (tmp_path / "a.json").write_text(json.dumps(results("x", {0: [5.0, 5.0], 1: [7.0, 3.0]})))
    (tmp_path / "b.json").write_text(json.dumps(results("y", {0: [4.0, 4.0], 1: [7.0, 1.0]})))
    argv = ["paired_scores.py", str(tmp_path / "a.json"), "x", str(tmp_path / "b.json"),
            "y", "--budgets", "1,2", "--calibration", str(tmp_path / "cal.json")]
    sys.argv = argv
    paired_scores.main()
    assert "| p |" not in capsys.readouterr().out  # q = 1 by default: nothing to compare
    sys.argv = argv + ["--q", "8"]
    paired_scores.main()
    out = capsys.readouterr().out
    assert "| p | 40.0 | 45.0 | +5.0 ± 5.0 | 2 |" in out    # 1 trial: 50, 30 against 60, 30
    assert "| p | 60.0 | 75.0 | +15.0 ± 5.0 | 2 |" in out   # 2 trials: 50, 70 against 60, 90
    # per seed over both budgets: 100, 100 against 120, 120
    assert "| family synthetic | 100.0 | 120.0 | +20.0 ± 0.0 | 2 |" in out.split("sum over")[1]


def test_report_restricted_to_a_suite():
    runs = [{"type": "run", "optimizer": "a", "problem": p, "seed": 0, "q": 1, "trials": 2,
             "values": [1.0, 1.0]} for p in ("branin", "mixed_nn")]
    res = {"name": "t", "problems": {"branin": {"kind": "synthetic"},
                                     "mixed_nn": {"kind": "mixed"}}, "runs": runs}
    only = report.only_problems(res, "mixed")
    assert list(only["problems"]) == ["mixed_nn"]
    assert [r["problem"] for r in only["runs"]] == ["mixed_nn"]
    assert list(report.only_problems(res, "branin,levy10")["problems"]) == ["branin"]
    with pytest.raises(ValueError, match="no problem"):
        report.only_problems(res, "ml")


def test_bound_share_counts_active_floats_near_their_log_or_linear_bounds(tmp_path):
    import bound_share
    # svm_wine: C is log in [1e-3, 1e3]; coef0 linear in [-1, 1], active for sigmoid.
    trials = [
        [{"kernel": "linear", "C": 1e3}, 0.5],                                 # C on a bound
        [{"kernel": "rbf", "C": 1e-3 * 10 ** 0.1, "gamma": 1e-2}, 0.5],       # C 1.7 % in
        [{"kernel": "sigmoid", "C": 1.0, "gamma": 1e-2, "coef0": -1.0}, None],  # coef0 on one
    ]
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"optimizer": "x", "problem": "svm_wine", "seed": 0,
                                "trials": trials}) + "\n")
    # trial 1 alone: one value (C), on the bound
    assert bound_share.count(str(path), 1, 1) == {"svm_wine": [1, 1, 1]}
    # all three: C x3, gamma x2, coef0 x1; exact: C = 1e3 and coef0 = -1; within 2 %: also
    # C 0.1 decade above 1e-3 (1/60 of the 6-decade range)
    assert bound_share.count(str(path), 1, 3) == {"svm_wine": [6, 2, 3]}
