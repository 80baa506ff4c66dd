"""What both plot_terminator_improvement functions draw (plotly and matplotlib), as the
newest Optuna's plot computes it (3.2+; Debian's 3.1 has no terminator): after each
trial from the first COMPLETE one on, the improvement evaluator's room for improvement
over the COMPLETE trials so far and, when asked, the error evaluator's error."""
from typing import Any, List, NamedTuple, Optional, Tuple

from ..terminator import (BaseErrorEvaluator, BaseImprovementEvaluator,
                          BestValueStagnationEvaluator, CrossValidationErrorEvaluator,
                          RegretBoundEvaluator, StaticErrorEvaluator)
from ..trial import TrialState

# Room left above and below the curves on the y axis (Optuna's).
PADDING_RATIO_Y = 0.05
# Opacity of the points before min_n_trials, when the terminator does not act yet (Optuna's).
OPACITY = 0.25


class ImprovementInfo(NamedTuple):
    trial_numbers: List[int]
    improvements: List[float]
    errors: Optional[List[float]]


def improvement_info(study: Any, get_error: bool,
                     improvement_evaluator: Optional[BaseImprovementEvaluator],
                     error_evaluator: Optional[BaseErrorEvaluator]) -> ImprovementInfo:
    """One entry per trial (any state) from the first COMPLETE trial on, each evaluated
    on the COMPLETE trials up to it, with the evaluators the Terminator defaults to.
    ValueError for a multi-objective study, and whatever the evaluators raise (an
    empty intersection search space; cross-validation scores not reported)."""
    if study._is_multi_objective():
        raise ValueError("This function does not support multi-objective optimization study.")
    if improvement_evaluator is None:
        improvement_evaluator = RegretBoundEvaluator()
    if error_evaluator is None:
        if isinstance(improvement_evaluator, BestValueStagnationEvaluator):
            error_evaluator = StaticErrorEvaluator(constant=0)
        else:
            error_evaluator = CrossValidationErrorEvaluator()
    direction = study.direction
    numbers: List[int] = []
    improvements: List[float] = []
    errors: List[float] = []
    complete = []
    for trial in study.trials:
        if trial.state == TrialState.COMPLETE:
            complete.append(trial)
        if not complete:
            continue
        numbers.append(trial.number)
        improvements.append(improvement_evaluator.evaluate(trials=complete,
                                                           study_direction=direction))
        if get_error:
            errors.append(error_evaluator.evaluate(trials=complete, study_direction=direction))
    return ImprovementInfo(numbers, improvements, errors or None)


def y_range(info: ImprovementInfo, min_n_trials: int) -> Tuple[float, float]:
    """The y axis's range: from the lowest value to the highest improvement after the
    first `min_n_trials` entries (all of them when there are no more), errors included,
    with 5% padding, so that the large early improvements do not flatten the rest."""
    low = min(info.improvements + (info.errors or []))
    later = info.improvements[min_n_trials:] if len(info.trial_numbers) > min_n_trials \
        else info.improvements
    high = max(later + (info.errors or []))
    padding = (high - low) * PADDING_RATIO_Y
    return low - padding, high + padding
