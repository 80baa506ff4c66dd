"""Hyperparameter importances, as in ``optuna.importance``.

:func:`get_param_importances` asks the C engine (``hps_study_param_importances``): fANOVA
on a random forest of 64 regression trees fitted to the completed trials, which is what
Optuna's default :class:`FanovaImportanceEvaluator` computes::

    importances = hpsearch.importance.get_param_importances(study)
    # {'lr': 0.91, 'hidden_size': 0.07, 'activation': 0.02}, most important first

With ``target`` or ``params`` the engine ranks a private in-memory copy of the study
holding only what was asked for. Importances are always normalized to sum to 1.
"""
import math
import warnings
from typing import Any, Callable, Dict, List, Optional

__all__ = ["get_param_importances", "FanovaImportanceEvaluator"]


class FanovaImportanceEvaluator:
    """The evaluator the engine implements: fANOVA (Hutter et al., 2014) on a random
    forest of ``n_trees`` trees of depth at most ``max_depth``. The engine's forest is
    fixed at Optuna's defaults (64 trees, depth 64) and seeded for reproducibility; the
    arguments exist so that Optuna code constructing one keeps working."""

    def __init__(self, *, n_trees: int = 64, max_depth: int = 64,
                 seed: Optional[int] = None) -> None:
        if (n_trees, max_depth) != (64, 64):
            warnings.warn("hpsearch's fANOVA uses 64 trees of depth 64; n_trees and "
                          "max_depth are ignored", UserWarning, stacklevel=2)
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.seed = seed

    def evaluate(self, study: Any, params: Optional[List[str]] = None, *,
                 target: Optional[Callable[[Any], float]] = None) -> Dict[str, float]:
        return _engine_importances(study, params, target)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _copy_for(study: Any, params: Optional[List[str]],
              target: Optional[Callable[[Any], float]]) -> Any:
    """A private in-memory study with the completed trials' parameters (only `params`,
    when given) and objective target(trial) (else the first value). Each trial is
    replayed: enqueued with its values, asked with its distributions, told its value."""
    from .study import create_study
    from .trial import TrialState

    # Importances explain variance: the copy's direction does not matter.
    copy = create_study()
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if params is not None and not all(p in t.params for p in params):
            continue
        value = target(t) if target is not None else t.values[0]
        if not _finite(value):
            continue
        names = params if params is not None else list(t.params)
        copy.enqueue_trial({n: t.params[n] for n in names})
        replay = copy.ask(fixed_distributions={n: t.distributions[n] for n in names})
        copy.tell(replay, float(value))
    return copy


def _engine_importances(study: Any, params: Optional[List[str]],
                        target: Optional[Callable[[Any], float]]) -> Dict[str, float]:
    import json

    if target is None and len(study._direction_codes) > 1:
        raise ValueError("If the `study` is being used for multi-objective optimization, "
                         "please specify the `target`.")
    if params is not None:
        params = list(params)
        if not params:
            return {}
        known = set()
        for t in study.get_trials(deepcopy=False):
            known.update(t.params)
        missing = [p for p in params if p not in known]
        if missing:
            raise ValueError("Parameters not found in the study: %s" % ", ".join(missing))
    source = study if (params is None and target is None) else _copy_for(study, params, target)
    text = source._param_importances(0)
    return dict(json.loads(text))


def get_param_importances(study: Any, *, evaluator: Any = None,
                          params: Optional[List[str]] = None,
                          target: Optional[Callable[[Any], float]] = None,
                          normalize: bool = True) -> Dict[str, float]:
    """Importance of each parameter to the study's objective, most important first,
    summing to 1 (all 0 when the objective never varies; empty with fewer than two
    completed trials).

    ``evaluator`` None or a :class:`FanovaImportanceEvaluator` uses the engine; any
    other object with Optuna's ``evaluate(study, params, target=...)`` is called as is.
    ``params`` limits the ranking to those parameters (trials lacking one are left out).
    ``target`` maps a trial to the number to explain; required for multi-objective
    studies. ``normalize=False`` is not available: the engine's importances are
    normalized (a warning says so).
    """
    if not normalize:
        warnings.warn("hpsearch's importances are always normalized to sum to 1",
                      UserWarning, stacklevel=2)
    if evaluator is not None and not isinstance(evaluator, FanovaImportanceEvaluator):
        result = evaluator.evaluate(study, params=params, target=target)
        return dict(sorted(result.items(), key=lambda kv: kv[1], reverse=True))
    return _engine_importances(study, params, target)
