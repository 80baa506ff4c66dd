"""Optuna's ``optuna.terminator.MedianErrorEvaluator``: a threshold derived from the
improvement evaluator's own early values (Ishibashi et al. 2023, "A stopping criterion
for Bayesian optimization by the gap of expected minimum simple regrets")."""
import math
import sys
from typing import List, Optional

from ..study import StudyDirection
from ..trial import FrozenTrial, TrialState
from .erroreval import BaseErrorEvaluator
from .improvement.evaluator import BaseImprovementEvaluator

__all__ = ["MedianErrorEvaluator"]


class MedianErrorEvaluator(BaseErrorEvaluator):
    """The error: `threshold_ratio` times the median of the paired improvement
    evaluator's values over the first `n_initial_trials` COMPLETE trials after the first
    `warm_up_trials` (computed once, when that many have completed; until then a value
    that never stops the study).

    Args:
        paired_improvement_evaluator: the ``improvement_evaluator`` used with this one.
        warm_up_trials: initial trials left out (often random). Default 10.
        n_initial_trials: trials after the warm-up the median is taken over. Default 20.
        threshold_ratio: the threshold as a share of the median. Default 0.01.
    """

    def __init__(self, paired_improvement_evaluator: BaseImprovementEvaluator,
                 warm_up_trials: int = 10, n_initial_trials: int = 20,
                 threshold_ratio: float = 0.01) -> None:
        if warm_up_trials < 0:
            raise ValueError("`warm_up_trials` is expected to be a non-negative integer.")
        if n_initial_trials <= 0:
            raise ValueError("`n_initial_trials` is expected to be a positive integer.")
        if threshold_ratio <= 0.0 or not math.isfinite(threshold_ratio):
            raise ValueError("`threshold_ratio_to_initial_median` is expected to be a positive.")
        self._paired_improvement_evaluator = paired_improvement_evaluator
        self._warm_up_trials = warm_up_trials
        self._n_initial_trials = n_initial_trials
        self._threshold_ratio = threshold_ratio
        self._threshold: Optional[float] = None

    def evaluate(self, trials: List[FrozenTrial], study_direction: StudyDirection) -> float:
        if self._threshold is not None:
            return self._threshold
        trials = [trial for trial in trials if trial.state == TrialState.COMPLETE]
        if len(trials) < (self._warm_up_trials + self._n_initial_trials):
            return -sys.float_info.min  # improvements are never negative: do not stop
        trials.sort(key=lambda trial: trial.number)
        criteria = []
        for i in range(1, self._n_initial_trials + 1):
            criteria.append(self._paired_improvement_evaluator.evaluate(
                trials[self._warm_up_trials:self._warm_up_trials + i], study_direction))
        criteria.sort()
        self._threshold = criteria[len(criteria) // 2]
        self._threshold = min(sys.float_info.max, self._threshold * self._threshold_ratio)
        return self._threshold
