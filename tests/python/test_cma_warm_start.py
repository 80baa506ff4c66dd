"""CmaEsSampler(source_trials=...): warm-starting CMA-ES from an earlier study (issue 19,
issue 23), through hpsearch and Debian's Optuna on the same calls -- the pattern of
optuna-examples' samplers/warm_starting_cma.py, and the errors for what cannot be used."""
import math
import warnings

import pytest

import hpsearch

optuna = pytest.importorskip("optuna")

ENGINES = [pytest.param(hpsearch, id="hpsearch"), pytest.param(optuna, id="optuna")]


@pytest.fixture(autouse=True)
def quiet():
    hpsearch.logging.set_verbosity(hpsearch.logging.WARNING)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def sphere(trial):
    x = trial.suggest_float("x", -15, 15)
    y = trial.suggest_float("y", -15, 15)
    return x ** 2 + y ** 2


def biased_sphere(trial):  # the optimum is (1, 1)
    x = trial.suggest_float("x", -15, 15)
    y = trial.suggest_float("y", -15, 15)
    return (x - 1) ** 2 + (y - 1) ** 2


def source_study(mod):
    study = mod.create_study(sampler=mod.samplers.CmaEsSampler(seed=1))
    study.optimize(biased_sphere, n_trials=50)
    return study


@pytest.mark.parametrize("mod", ENGINES)
def test_warm_starting_cma_example(mod):
    """The example's two studies: the target's first generation (after the first trial,
    sampled independently) is drawn around the source's optimum (1, 1), and the target
    finds (0, 0). Optuna 3.1 fits the source in the parameters' own units, so alpha = 0.1
    is a step of 0.1 there; hpsearch fits it in the unit cube (as the paper does): a step
    of 0.1 of the range, 3 here."""
    source = source_study(mod)
    sampler = mod.samplers.CmaEsSampler(source_trials=source.trials, seed=2)
    target = mod.create_study(sampler=sampler)
    target.optimize(sphere, n_trials=50)
    first = target.trials[1:7]  # popsize 4 + floor(3 ln 2) = 6
    spread = sum(math.hypot(t.params["x"] - 1, t.params["y"] - 1) for t in first) / 6
    assert spread < 7  # a uniform draw over the box is about 12 away on average
    assert target.best_value < 1


@pytest.mark.parametrize("mod", ENGINES)
def test_source_trials_errors(mod):
    source = source_study(mod)
    CmaEs = mod.samplers.CmaEsSampler
    for kwargs in ({"sigma0": 0.1}, {"x0": {"x": 0.0, "y": 0.0}}):
        with pytest.raises(ValueError, match="prohibited to pass `source_trials` argument "
                                             "when x0 or sigma0 is specified"):
            CmaEs(source_trials=source.trials, **kwargs)
    with pytest.raises(ValueError, match="when using separable CMA-ES"):
        CmaEs(source_trials=source.trials, use_separable_cma=True)
    with pytest.warns(mod.exceptions.ExperimentalWarning, match="`source_trials` option"):
        warnings.simplefilter("always")
        CmaEs(source_trials=source.trials)

    # other parameters than the target's: no source trial can be used
    def other(trial):
        return trial.suggest_float("x", -15, 15) ** 2 + trial.suggest_float("z", -15, 15) ** 2

    study = mod.create_study(sampler=CmaEs(source_trials=source.trials))
    with pytest.raises(ValueError, match="compatible source_trials"):
        study.optimize(other, n_trials=3)
    # only COMPLETE trials count: a study of failures gives none
    study = mod.create_study(sampler=CmaEs(source_trials=[
        mod.trial.create_trial(state=mod.trial.TrialState.FAIL)]))
    with pytest.raises(ValueError, match="compatible source_trials"):
        study.optimize(sphere, n_trials=3)


@pytest.mark.parametrize("mod, error", [pytest.param(hpsearch, ValueError, id="hpsearch"),
                                        pytest.param(optuna, AssertionError, id="optuna")])
def test_too_few_source_trials(mod, error):
    """The best tenth of fewer than 10 trials is empty: hpsearch says so with a
    ValueError, Optuna's cmaes with an AssertionError."""
    few = source_study(mod).trials[:9]
    study = mod.create_study(sampler=mod.samplers.CmaEsSampler(source_trials=few))
    with pytest.raises(error):
        study.optimize(sphere, n_trials=3)
