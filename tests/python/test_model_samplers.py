"""The model-based samplers through the Python API: GPSampler, TPESampler, CmaEsSampler
and the default AutoSampler find the optimum of a known function, are deterministic with
a seed, refuse what they cannot do, and AutoSampler says which strategy ran each trial."""
import math

import pytest

import hpsearch
from hpsearch.samplers import AutoSampler, CmaEsSampler, GPSampler, TPESampler


def bowl(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", 1e-3, 10, log=True)
    k = trial.suggest_int("k", 1, 8)
    return (x - 1) ** 2 + math.log(y) ** 2 + (k - 3) ** 2


def run(sampler, n=40):
    hpsearch.logging.set_verbosity(hpsearch.logging.WARNING)
    study = hpsearch.create_study(sampler=sampler)
    study.optimize(bowl, n_trials=n)
    return study


@pytest.mark.parametrize("make, bound", [
    (lambda: GPSampler(seed=3), 0.05),
    (lambda: GPSampler(seed=3, input_warping=False), 0.05),
    (lambda: TPESampler(seed=3), 1.5),
    (lambda: CmaEsSampler(seed=3), 3.0),
    (lambda: AutoSampler(seed=3), 0.05),
])
def test_finds_the_bowl_and_is_deterministic(make, bound):
    first = run(make())
    again = run(make())
    assert first.best_value < bound
    assert [t.params for t in first.trials] == [t.params for t in again.trials]
    # far better than the random start: the model is doing the work
    assert first.best_value < min(t.value for t in first.trials[:5])


def test_default_sampler_is_auto_and_records_strategy():
    study = run(None, n=12)
    strategies = [t.system_attrs.get("sampler") for t in study.trials]
    assert strategies[0] == "sobol"
    assert set(strategies[1:]) == {"gp"}


def test_auto_takes_tpe_for_wide_spaces():
    study = hpsearch.create_study(sampler=AutoSampler(seed=1))

    def objective(trial):
        return sum(trial.suggest_float(f"p{i}", 0, 1) for i in range(24))

    study.optimize(objective, n_trials=4)
    assert study.trials[-1].system_attrs["sampler"] == "tpe"


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match="cannot call Python functions"):
        TPESampler(gamma=lambda n: 3)
    with pytest.raises(TypeError, match="constraints_func must be callable"):
        TPESampler(constraints_func=[0.0])
    with pytest.raises(NotImplementedError, match="x0"):
        CmaEsSampler(x0={"x": 1.0})
    with pytest.raises(ValueError, match="n_startup_trials"):
        GPSampler(n_startup_trials=-1)
    with pytest.raises(ValueError):
        hpsearch.create_study(sampler=TPESampler(n_ei_candidates=0))


def test_parallel_asks_get_distinct_points():
    study = hpsearch.create_study(sampler=GPSampler(seed=2, n_startup_trials=4))
    study.optimize(bowl, n_trials=8)
    pending = [study.ask() for _ in range(4)]
    points = {(t.suggest_float("x", -5, 5), t.suggest_float("y", 1e-3, 10, log=True),
               t.suggest_int("k", 1, 8)) for t in pending}
    assert len(points) == 4
    for t in pending:
        study.tell(t, bowl(t))
