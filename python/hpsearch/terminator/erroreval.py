"""The statistical error the room for improvement is compared with, as Optuna's
``optuna.terminator.erroreval``: the spread of the best trial's cross-validation scores
(:class:`CrossValidationErrorEvaluator`, scores reported with
:func:`report_cross_validation_scores`), or a constant (:class:`StaticErrorEvaluator`)."""
import abc
import math
from typing import List

from ..study import StudyDirection
from ..trial import FrozenTrial, Trial, TrialState

__all__ = ["BaseErrorEvaluator", "CrossValidationErrorEvaluator",
           "report_cross_validation_scores", "StaticErrorEvaluator"]

_CROSS_VALIDATION_SCORES_KEY = "terminator:cv_scores"


class BaseErrorEvaluator(metaclass=abc.ABCMeta):
    """Base class for error evaluators."""

    @abc.abstractmethod
    def evaluate(self, trials: List[FrozenTrial], study_direction: StudyDirection) -> float:
        pass


class CrossValidationErrorEvaluator(BaseErrorEvaluator):
    """The statistical error of an objective that is the mean of cross-validation
    scores: the scaled standard deviation of the best trial's scores,
    sqrt((1/k + 1/(k-1)) var(scores)) for k folds."""

    def evaluate(self, trials: List[FrozenTrial], study_direction: StudyDirection) -> float:
        trials = [trial for trial in trials if trial.state == TrialState.COMPLETE]
        assert len(trials) > 0
        if study_direction == StudyDirection.MAXIMIZE:
            best_trial = max(trials, key=lambda t: t.value)
        else:
            best_trial = min(trials, key=lambda t: t.value)
        attrs = best_trial.system_attrs
        if _CROSS_VALIDATION_SCORES_KEY not in attrs:
            raise ValueError(
                "Cross-validation scores have not been reported. Please call "
                "`report_cross_validation_scores(trial, scores)` during a trial and pass the "
                "list of scores as `scores`.")
        scores = [float(s) for s in attrs[_CROSS_VALIDATION_SCORES_KEY]]
        k = len(scores)
        assert k > 1, "Should be guaranteed by `report_cross_validation_scores`."
        mean = sum(scores) / k
        var = sum((s - mean) ** 2 for s in scores) / k  # numpy's var: ddof 0
        return float(math.sqrt((1 / k + 1 / (k - 1)) * var))


def report_cross_validation_scores(trial: Trial, scores: List[float]) -> None:
    """Records the cross-validation scores of `trial` (its system attribute
    ``terminator:cv_scores``) for :class:`CrossValidationErrorEvaluator`. Call it in the
    objective with the fold scores whose mean the objective returns."""
    if len(scores) <= 1:
        raise ValueError("The length of `scores` is expected to be greater than one.")
    scores = [float(s) for s in scores]
    if isinstance(trial, Trial):
        trial._set_system_attr(_CROSS_VALIDATION_SCORES_KEY, scores)
    else:  # a FixedTrial or FrozenTrial keeps it in memory
        trial.set_system_attr(_CROSS_VALIDATION_SCORES_KEY, scores)


class StaticErrorEvaluator(BaseErrorEvaluator):
    """An error evaluator that always returns `constant`: the study stops once the room
    for improvement falls below it."""

    def __init__(self, constant: float) -> None:
        self._constant = constant

    def evaluate(self, trials: List[FrozenTrial], study_direction: StudyDirection) -> float:
        return self._constant
