"""Stopping a study when further improvement is unlikely, as Optuna's
``optuna.terminator`` (the API of Optuna 3.2 to 4.x; Optuna 3.1 has none):

    from hpsearch.terminator import TerminatorCallback, report_cross_validation_scores

    def objective(trial):
        ...
        scores = cross_val_score(model, X, y, cv=KFold(5, shuffle=True))
        report_cross_validation_scores(trial, scores)
        return scores.mean()

    study.optimize(objective, n_trials=100, callbacks=[TerminatorCallback()])

:class:`Terminator` stops when the improvement evaluator's room for improvement
(:class:`RegretBoundEvaluator` by default: the regret bound of a Gaussian-process model,
computed by the engine) falls below the error evaluator's statistical error
(:class:`CrossValidationErrorEvaluator` by default). :class:`BestValueStagnationEvaluator`
stops after a number of trials without a better value. The ``hpsearch`` command has the
same rules in its config (``terminate:``, docs/config.md). See docs/python.md.
"""
from .callback import TerminatorCallback
from .erroreval import (BaseErrorEvaluator, CrossValidationErrorEvaluator,
                        StaticErrorEvaluator, report_cross_validation_scores)
from .improvement.evaluator import (BaseImprovementEvaluator, BestValueStagnationEvaluator,
                                    RegretBoundEvaluator)
from .median_erroreval import MedianErrorEvaluator
from .terminator import BaseTerminator, Terminator

__all__ = [
    "TerminatorCallback", "BaseErrorEvaluator", "CrossValidationErrorEvaluator",
    "report_cross_validation_scores", "StaticErrorEvaluator", "MedianErrorEvaluator",
    "BaseImprovementEvaluator", "BestValueStagnationEvaluator", "RegretBoundEvaluator",
    "BaseTerminator", "Terminator",
]
