"""bench/pruning_problems.py and bench/pruning.py's choice of problem: the spaces the
studies ask and the random draws agree, the default problem's shared start is the one
its stored results ran, and a trial resumed from its checkpoint continues its curve."""
import math
import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

import pruning  # noqa: E402
import pruning_problems  # noqa: E402


class RecordingTrial:
    """Answers each suggest_* with its lower bound (the first choice) and keeps the
    bounds asked for."""

    def __init__(self):
        self.asked = {}

    def suggest_float(self, name, low, high, log=False):
        self.asked[name] = ("float", low, high)
        return low

    def suggest_int(self, name, low, high, log=False):
        self.asked[name] = ("int", low, high)
        return low

    def suggest_categorical(self, name, choices):
        self.asked[name] = ("categorical", list(choices))
        return choices[0]


@pytest.mark.parametrize("name", sorted(pruning_problems.PROBLEMS))
def test_random_draws_lie_in_the_space_the_study_asks(name):
    problem = pruning_problems.get(name)
    trial = RecordingTrial()
    problem.suggest(trial)
    rng = np.random.default_rng(7)
    for _ in range(300):
        config = problem.draw(rng)
        assert set(config) == set(trial.asked)
        for key, value in config.items():
            kind, *bounds = trial.asked[key]
            if kind == "categorical":
                assert value in bounds[0]
            else:
                assert bounds[0] <= value <= bounds[1], (key, value)
                assert isinstance(value, int) == (kind == "int"), key


def test_the_default_problem_draws_the_first_shared_start_to_the_bit():
    # the formula the stored results (results/pruning_shared_start.json and later) ran
    for seed in range(5):
        rng = np.random.default_rng(1000 + seed)
        expected = []
        for _ in range(10):
            lr = float(np.exp(rng.uniform(np.log(1e-4), np.log(3e-1))))
            hidden = int(min(256, max(8, round(float(np.exp(rng.uniform(np.log(7.5),
                                                                          np.log(256.5))))))))
            expected.append({"lr": lr, "hidden_size": hidden})
        assert pruning.shared_start(seed, 10) == expected


def test_methods_are_told_the_problem_budget():
    sgd = dict((m, spec) for m, _, spec in pruning.methods_for(30))
    assert sgd["hps-freeze-thaw-first1-upper auto"][1]["max_step"] == 30
    assert sgd["hps-hyperband auto"][1]["max_resource"] == 30
    assert pruning.METHODS == pruning.methods_for(pruning_problems.DigitsAdam.epochs)


def test_unknown_problem_is_named():
    with pytest.raises(KeyError, match="no-such.*digits-adam"):
        pruning_problems.get("no-such")


def test_cosine_schedule_decays_from_lr_towards_zero():
    problem = pruning_problems.get("digits-sgd")
    config = {"lr": 0.4, "schedule": "cosine", "warmup_epochs": 0}
    rates = [problem.lr_at(config, e) for e in range(1, problem.epochs + 1)]
    assert rates[0] == pytest.approx(0.4)
    assert all(a > b for a, b in zip(rates, rates[1:]))
    assert 0 < rates[-1] < 0.01 * 0.4
    assert rates[problem.epochs // 2] == pytest.approx(0.2)
    constant = {"lr": 0.4, "schedule": "constant", "warmup_epochs": 0}
    assert {problem.lr_at(constant, e) for e in range(1, problem.epochs + 1)} == {0.4}


def test_warm_up_rises_linearly_then_hands_over_to_the_schedule():
    problem = pruning_problems.get("digits-sgd")
    constant = {"lr": 0.3, "schedule": "constant", "warmup_epochs": 2}
    assert [problem.lr_at(constant, e) for e in (1, 2, 3, 4)] == pytest.approx(
        [0.1, 0.2, 0.3, 0.3])
    cosine = {"lr": 0.3, "schedule": "cosine", "warmup_epochs": 2}
    plain = dict(cosine, warmup_epochs=0)
    assert problem.lr_at(cosine, 2) == pytest.approx(problem.lr_at(plain, 2) * 2 / 3)
    assert problem.lr_at(cosine, 3) == pytest.approx(problem.lr_at(plain, 3))


def _curve(problem, config, stop_after=None, checkpoint_dir=None, resumed_at=0):
    out = []

    def on_epoch(epoch, acc, loss):
        if epoch > resumed_at:
            out.append((epoch, acc))
        return stop_after is not None and epoch >= stop_after

    problem.train(config, on_epoch, checkpoint_dir)
    return out


def test_a_resumed_trial_continues_its_curve(tmp_path):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    problem = pruning_problems.get("digits-sgd")
    config = {"lr": 0.2, "momentum": 0.8, "weight_decay": 1e-4, "dropout": 0.3,
              "batch_size": 64, "schedule": "cosine", "warmup_epochs": 2}
    whole = _curve(problem, config, stop_after=5)
    first = _curve(problem, config, stop_after=2, checkpoint_dir=str(tmp_path))
    rest = _curve(problem, config, stop_after=5, checkpoint_dir=str(tmp_path), resumed_at=2)
    assert [e for e, _ in first + rest] == [1, 2, 3, 4, 5]
    assert first + rest == whole
    assert all(0.0 <= acc <= 1.0 and not math.isnan(acc) for _, acc in whole)
