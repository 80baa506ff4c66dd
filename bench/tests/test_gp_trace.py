"""gp_trace.py: the failure profile of a run, parameters at their bounds, and (when the
newest Optuna is configured) a traced optuna-gp run that is the harness's run."""
import json
import math
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import gp_trace  # noqa: E402
import optimizers  # noqa: E402
import paired_scores  # noqa: E402
import problems  # noqa: E402
from problems import space  # noqa: E402


def test_failure_profile_counts_only_after_the_startup_and_finds_the_stuck_tail():
    ok = [1.0] * 12
    assert gp_trace.failure_profile(ok) == (0, None, None)
    # a start-up failure (trial 3) is the random sampler's, not the model's
    early = [1.0] * 3 + [None] + [1.0] * 8
    assert gp_trace.failure_profile(early) == (0, None, None)
    # failures at 11 and 13, then every trial from 15 on
    values = [1.0] * 11 + [None, 1.0, None, 1.0, None, None, None]
    assert gp_trace.failure_profile(values) == (5, 11, 15)
    # a run whose model never produced a success: stuck from the first modelled trial
    assert gp_trace.failure_profile([1.0] * 10 + [None] * 5) == (5, 10, 10)


def test_numeric_at_bound_counts_floats_and_ints_at_either_end_not_categoricals():
    params = [space.Float("lr", 1e-4, 0.3, log=True), space.Float("dropout", 0.0, 0.6),
              space.Int("layers", 1, 3), space.Categorical("opt", ["adamw", "sgd"])]
    assert gp_trace.numeric_at_bound(
        {"lr": 0.3, "dropout": 0.2, "layers": 1, "opt": "sgd"}, params) == (2, 3)
    assert gp_trace.numeric_at_bound(
        {"lr": 0.01, "dropout": 0.2, "layers": 2, "opt": "adamw"}, params) == (0, 3)


def _newest_optuna_configured():
    ok, _ = optimizers.get("optuna-gp").available()
    return ok


@pytest.mark.skipif(not os.environ.get(optimizers.NEWEST_OPTUNA_ENV),
                    reason=f"{optimizers.NEWEST_OPTUNA_ENV} not set (bench/gp.md)")
def test_trace_is_the_harness_run_and_sees_the_model_after_the_startup(tmp_path):
    if not _newest_optuna_configured():
        pytest.skip("optuna-gp unavailable in this process")
    import run
    out = tmp_path / "trace.json"
    gp_trace.main(["trace", "--problems", "branin", "--seeds", "3", "--trials", "12",
                   "--out", str(out)])
    (traced,) = json.loads(out.read_text())["traces"]
    assert [r["modelled"] for r in traced["rows"]] == [False] * 10 + [True] * 2
    assert traced["independent_params_after_startup"] == 0
    record = run.run_one({"type": "run", "optimizer": "optuna-gp", "problem": "branin",
                          "seed": 3, "q": 1, "trials": 12, "per_budget": False,
                          "shared_start": 0, "budgets": [12]})
    assert "error" not in record
    assert [r["value"] for r in traced["rows"]] == pytest.approx(record["values"], rel=1e-9)
    assert all(math.isfinite(r["value"]) for r in traced["rows"])
    # the trace is a results file for paired_scores.py: the same scores as the run's
    calibration = {"problems": {"branin": {"random_median": [10.0] * 12,
                                           "best_known": None}}}
    from_trace, _ = paired_scores.scores(str(out), "optuna-gp", calibration, [12])
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"problems": {"branin": run._problem_info(
        problems.get("branin"))}, "runs": [record]}))
    from_run, _ = paired_scores.scores(str(results), "optuna-gp", calibration, [12])
    assert list(from_trace) == [("branin", 12, 3)]
    assert from_trace == pytest.approx(from_run)
