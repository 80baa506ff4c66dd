"""Study.set_prior: the samplers draw from the prior (random) and are drawn to it (TPE),
a malformed prior is refused at once, one that does not fit the parameter at suggest."""
import math

import pytest

import hpsearch


def study_with(sampler):
    return hpsearch.create_study(sampler=sampler)


def test_random_draws_from_the_prior():
    study = study_with(hpsearch.samplers.RandomSampler(seed=1))
    study.set_prior("lr", center=1e-3, scale=0.5)
    study.set_prior("act", weights=[8, 1, 1])
    inside = favored = 0
    for _ in range(200):
        trial = study.ask()
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        act = trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
        inside += abs(math.log10(lr) + 3) <= 0.5
        favored += act == "relu"
        study.tell(trial, lr)
    # one scale holds 68% of a normal; the uniform would put 25% and 33% there
    assert 120 <= inside <= 160
    assert 140 <= favored <= 180


def test_tpe_reaches_the_optimum_sooner_with_a_good_prior():
    def trials_to_optimum(prior):
        study = study_with(hpsearch.samplers.TPESampler(seed=2))
        if prior is not None:
            study.set_prior("x", center=prior, scale=0.1)
        for n in range(1, 41):
            trial = study.ask()
            x = trial.suggest_float("x", 0, 1)
            study.tell(trial, (x - 0.8) ** 2)
            if (x - 0.8) ** 2 < 1e-3:
                return n
        return 41
    assert 2 * trials_to_optimum(0.75) <= trials_to_optimum(None)
    assert trials_to_optimum(0.3) <= 40


def test_bad_priors():
    study = study_with(hpsearch.samplers.RandomSampler(seed=1))
    with pytest.raises(ValueError, match="scale must be a positive number"):
        study.set_prior("x", center=0.5, scale=0)
    with pytest.raises(ValueError, match="weight 2 must be a positive number"):
        study.set_prior("act", weights=[1, 0])
    with pytest.raises(ValueError, match="needs center and scale"):
        study.set_prior("x", center=0.5)
    with pytest.raises(ValueError, match="not both"):
        study.set_prior("x", center=0.5, scale=1, weights=[1])
    study.set_prior("x", center=5, scale=1)
    study.set_prior("act", weights=[1, 2, 3])
    trial = study.ask()
    with pytest.raises(ValueError, match=r"center 5 is outside \[0, 1\]"):
        trial.suggest_float("x", 0, 1)
    with pytest.raises(ValueError, match="3 weights for 2 choices"):
        trial.suggest_categorical("act", ["a", "b"])
