"""How much room for improvement a study has left, as Optuna's
``optuna.terminator.improvement.evaluator``: :class:`RegretBoundEvaluator` (the upper bound
on the regret of a Gaussian-process model, computed by the engine) and
:class:`BestValueStagnationEvaluator` (trials left before the best value has stagnated
too long)."""
import abc
import json
import random
from typing import Any, Dict, List, Optional

from ... import _core
from ...distributions import (BaseDistribution, CategoricalDistribution, FloatDistribution,
                              IntDistribution)
from ...search_space import intersection_search_space
from ...study import StudyDirection
from ...trial import FrozenTrial, TrialState

__all__ = ["BaseImprovementEvaluator", "RegretBoundEvaluator", "BestValueStagnationEvaluator",
           "DEFAULT_TOP_TRIALS_RATIO", "DEFAULT_MIN_N_TRIALS"]

DEFAULT_TOP_TRIALS_RATIO = 0.5
DEFAULT_MIN_N_TRIALS = 20


class BaseImprovementEvaluator(metaclass=abc.ABCMeta):
    """Base class for improvement evaluators: ``evaluate(trials, study_direction)``
    returns the room left for improvement, compared by the Terminator with an error."""

    @abc.abstractmethod
    def evaluate(self, trials: List[FrozenTrial], study_direction: StudyDirection) -> float:
        pass


def _engine_distribution(dist: BaseDistribution) -> Dict[str, Any]:
    """The engine's JSON form of a distribution. A categorical's choices are its indices:
    the bound needs only how many there are."""
    if isinstance(dist, CategoricalDistribution):
        return {"type": "categorical", "choices": list(range(len(dist.choices)))}
    if isinstance(dist, IntDistribution):
        return {"type": "int", "low": dist.low, "high": dist.high, "step": dist.step,
                "log": dist.log}
    if isinstance(dist, FloatDistribution):
        out = {"type": "float", "low": dist.low, "high": dist.high, "log": dist.log}
        if dist.step is not None:
            out["step"] = dist.step
        return out
    raise TypeError(f"unsupported distribution {dist!r}")


class RegretBoundEvaluator(BaseImprovementEvaluator):
    """An upper bound on the regret of the best trial, with high-probability confidence
    under a Gaussian-process model of the objective (Makarova et al. 2022, "Automatic
    Termination for Hyperparameter Optimization").

    As Optuna's: the best ``max(min_n_trials, int(n * top_trials_ratio))`` COMPLETE
    trials (all of them when there are fewer) are modelled on the intersection search
    space; the bound is the largest upper confidence bound over the space minus the
    largest lower confidence bound over the top trials. The engine computes it with the
    gp sampler's Gaussian process (its priors, not Optuna's), so the numbers differ from
    Optuna's a little while meaning the same.

    Args:
        top_trials_ratio: the share of the trials modelled. Default 0.5.
        min_n_trials: at least this many trials are modelled. Default 20.
        seed: seeds the random points of the space each evaluation draws.
    """

    def __init__(self, top_trials_ratio: float = DEFAULT_TOP_TRIALS_RATIO,
                 min_n_trials: int = DEFAULT_MIN_N_TRIALS, seed: Optional[int] = None) -> None:
        self._top_trials_ratio = top_trials_ratio
        self._min_n_trials = min_n_trials
        self._rng = random.Random(seed)

    def evaluate(self, trials: List[FrozenTrial], study_direction: StudyDirection) -> float:
        search_space = intersection_search_space(trials)
        self._validate_input(trials, search_space)
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        names = list(search_space)
        space_json = json.dumps([{"name": name, "distribution": _engine_distribution(dist)}
                                 for name, dist in search_space.items()])
        internal = [search_space[name].to_internal_repr(t.params[name])
                    for t in complete for name in names]
        values = [t.value for t in complete]
        return _core.regret_bound(space_json, len(complete), len(names), internal, values,
                                  study_direction == StudyDirection.MAXIMIZE,
                                  float(self._top_trials_ratio), int(self._min_n_trials),
                                  self._rng.getrandbits(63))

    @classmethod
    def _validate_input(cls, trials: List[FrozenTrial],
                        search_space: Dict[str, BaseDistribution]) -> None:
        if len([t for t in trials if t.state == TrialState.COMPLETE]) == 0:
            raise ValueError(
                "Because no trial has been completed yet, the regret bound cannot be evaluated.")
        if len(search_space) == 0:
            raise ValueError(
                "The intersection search space is empty. This condition is not supported by "
                f"{cls.__name__}.")


class BestValueStagnationEvaluator(BaseImprovementEvaluator):
    """The trials left before the best value has not improved for
    ``max_stagnation_trials`` COMPLETE trials in a row: with the default error evaluator
    of the Terminator (a constant 0), the study stops once this goes negative.

    Args:
        max_stagnation_trials: the maximum number of trials allowed for stagnation.
    """

    def __init__(self, max_stagnation_trials: int = 30) -> None:
        if max_stagnation_trials < 0:
            raise ValueError("The maximum number of stagnant trials must not be negative.")
        self._max_stagnation_trials = max_stagnation_trials

    def evaluate(self, trials: List[FrozenTrial], study_direction: StudyDirection) -> float:
        self._validate_input(trials)
        maximize = study_direction == StudyDirection.MAXIMIZE
        trials = [t for t in trials if t.state == TrialState.COMPLETE]
        current_step = len(trials) - 1
        best_step = 0
        for i, trial in enumerate(trials):
            best_value = trials[best_step].value
            if (maximize and best_value < trial.value) or (
                    not maximize and best_value > trial.value):
                best_step = i
        return self._max_stagnation_trials - (current_step - best_step)

    @classmethod
    def _validate_input(cls, trials: List[FrozenTrial]) -> None:
        if len([t for t in trials if t.state == TrialState.COMPLETE]) == 0:
            raise ValueError(
                "Because no trial has been completed yet, the improvement cannot be evaluated.")
