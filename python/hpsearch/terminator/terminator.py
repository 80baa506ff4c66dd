"""Optuna's ``optuna.terminator.Terminator``: stop a study when the room left for
improvement falls below the statistical error of the objective."""
import abc

from ..trial import TrialState
from .erroreval import (BaseErrorEvaluator, CrossValidationErrorEvaluator,
                        StaticErrorEvaluator)
from .improvement.evaluator import (DEFAULT_MIN_N_TRIALS, BaseImprovementEvaluator,
                                    BestValueStagnationEvaluator, RegretBoundEvaluator)

__all__ = ["BaseTerminator", "Terminator"]


class BaseTerminator(metaclass=abc.ABCMeta):
    """Base class for terminators."""

    @abc.abstractmethod
    def should_terminate(self, study) -> bool:
        pass


class Terminator(BaseTerminator):
    """Stops a study when further improvement is unlikely: once at least `min_n_trials`
    trials are COMPLETE, :meth:`should_terminate` is true when the improvement
    evaluator's room for improvement is below the error evaluator's error (Makarova et
    al. 2022, "Automatic termination for hyperparameter optimization").

    Args:
        improvement_evaluator: default :class:`RegretBoundEvaluator`.
        error_evaluator: default :class:`CrossValidationErrorEvaluator` (the objective
            reports its fold scores with ``report_cross_validation_scores``), or a
            constant 0 with a :class:`BestValueStagnationEvaluator`.
        min_n_trials: trials to complete before termination is considered. Default 20.

    Raises:
        ValueError: `min_n_trials` is not positive.
    """

    def __init__(self, improvement_evaluator: BaseImprovementEvaluator = None,
                 error_evaluator: BaseErrorEvaluator = None,
                 min_n_trials: int = DEFAULT_MIN_N_TRIALS) -> None:
        if min_n_trials <= 0:
            raise ValueError("`min_n_trials` is expected to be a positive integer.")
        self._improvement_evaluator = improvement_evaluator or RegretBoundEvaluator()
        self._error_evaluator = error_evaluator or self._initialize_error_evaluator()
        self._min_n_trials = min_n_trials

    def _initialize_error_evaluator(self) -> BaseErrorEvaluator:
        if isinstance(self._improvement_evaluator, BestValueStagnationEvaluator):
            return StaticErrorEvaluator(constant=0)
        return CrossValidationErrorEvaluator()

    def should_terminate(self, study) -> bool:
        """Whether the study should stop, from the trials it holds now."""
        trials = study.get_trials(states=[TrialState.COMPLETE])
        if len(trials) < self._min_n_trials:
            return False
        improvement = self._improvement_evaluator.evaluate(
            trials=study.trials, study_direction=study.direction)
        error = self._error_evaluator.evaluate(
            trials=study.trials, study_direction=study.direction)
        return improvement < error
