"""Hyperparameter importances, as in ``optuna.importance``.

Three evaluators, each computed by the C engine (``hps_study_importances``):

- :class:`FanovaImportanceEvaluator` (the default, as in Optuna 3.1): fANOVA on a random
  forest fitted to the completed trials -- the share of the objective's variance each
  parameter explains alone;
- :class:`MeanDecreaseImpurityImportanceEvaluator`: how much the same kind of forest's
  splits on each parameter lower its error (scikit-learn's ``feature_importances_``);
- :class:`PedAnovaImportanceEvaluator` (the newest Optuna's default): how differently
  the best trials chose each parameter, conditional parameters included::

    importances = hpsearch.importance.get_param_importances(study)
    # {'lr': 0.91, 'hidden_size': 0.07, 'activation': 0.02}, most important first
    ped = hpsearch.importance.get_param_importances(
        study, evaluator=hpsearch.importance.PedAnovaImportanceEvaluator())

With ``target`` (or ``params`` for the forest evaluators) the engine ranks a private
in-memory copy of the study holding only what was asked for. Your own evaluator (any
object with Optuna's ``evaluate(study, params, *, target)``) is called as it is.
"""
import abc
import math
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple

from .exceptions import ExperimentalWarning

__all__ = ["BaseImportanceEvaluator", "FanovaImportanceEvaluator",
           "MeanDecreaseImpurityImportanceEvaluator", "PedAnovaImportanceEvaluator",
           "get_param_importances"]

Target = Optional[Callable[[Any], float]]


class BaseImportanceEvaluator(abc.ABC):
    """Optuna's base class of importance evaluators: subclass it and implement
    :meth:`evaluate` to rank parameters your own way."""

    @abc.abstractmethod
    def evaluate(self, study: Any, params: Optional[List[str]] = None, *,
                 target: Target = None) -> Dict[str, float]:
        """Importance of each parameter (not normalized), most important first."""
        raise NotImplementedError


class _EngineEvaluator(BaseImportanceEvaluator):
    """An evaluator the engine computes: a method name and its options as text."""

    _method = ""

    def _options(self) -> List[Tuple[str, str]]:
        raise NotImplementedError

    def evaluate(self, study: Any, params: Optional[List[str]] = None, *,
                 target: Target = None) -> Dict[str, float]:
        return _engine_importances(study, self, params, target, normalize=False)


class FanovaImportanceEvaluator(_EngineEvaluator):
    """fANOVA (Hutter, Hoos and Leyton-Brown, ICML 2014) on a random forest of
    ``n_trees`` trees of depth at most ``max_depth``, grown as scikit-learn's (which
    Optuna uses). ``seed`` None is seed 0: the same trials always give the same
    importances (Optuna then draws a new forest each time)."""

    _method = "fanova"

    def __init__(self, *, n_trees: int = 64, max_depth: int = 64,
                 seed: Optional[int] = None) -> None:
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.seed = seed

    def _options(self) -> List[Tuple[str, str]]:
        return [("n_trees", str(self.n_trees)), ("max_depth", str(self.max_depth)),
                ("seed", str(0 if self.seed is None else self.seed))]


class MeanDecreaseImpurityImportanceEvaluator(FanovaImportanceEvaluator):
    """Mean decrease impurity of a random forest (the same forest as fANOVA's): the share
    of the forest's squared-error decrease due to splits on each parameter, as
    scikit-learn's ``feature_importances_`` (which Optuna uses), computed in C."""

    _method = "mean_decrease_impurity"


class PedAnovaImportanceEvaluator(_EngineEvaluator):
    """PED-ANOVA (Watanabe, Bansal and Hutter, IJCAI 2023; conditional parameters as in
    Conditional PED-ANOVA, KDD 2026), the newest Optuna's default: how differently the
    trials better than ``target_quantile`` chose each parameter from the trials better
    than ``region_quantile`` (all of them at 1.0), as the Pearson divergence of two
    Parzen estimators of its values. With ``evaluate_on_local=False`` the comparison is
    with the uniform density over the search space. Deterministic; with ``target``,
    lower target values count as better (a warning says so, as in Optuna)."""

    _method = "ped_anova"

    def __init__(self, *, target_quantile: float = 0.1, region_quantile: float = 1.0,
                 evaluate_on_local: bool = True) -> None:
        if not 0.0 < target_quantile < region_quantile <= 1.0:
            raise ValueError("condition 0.0 < `target_quantile` < `region_quantile` <= 1.0 "
                             "must be satisfied (got %r and %r)"
                             % (target_quantile, region_quantile))
        if region_quantile != 1.0 and not evaluate_on_local:
            warnings.warn("If `evaluate_on_local` is False, `region_quantile` has no effect.",
                          UserWarning, stacklevel=2)
        self._target_quantile = target_quantile
        self._region_quantile = region_quantile
        self._evaluate_on_local = evaluate_on_local

    def _options(self) -> List[Tuple[str, str]]:
        return [("target_quantile", repr(float(self._target_quantile))),
                ("region_quantile", repr(float(self._region_quantile))),
                ("evaluate_on_local", "true" if self._evaluate_on_local else "false")]


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _completed(study: Any) -> List[Any]:
    from .trial import TrialState
    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def _copy_for(study: Any, params: Optional[List[str]], target: Target) -> Any:
    """A private in-memory study with the completed trials' parameters (only `params`,
    when given, and only trials that have them all) and objective target(trial) (else
    the first value); trials whose number is not finite are left out. Each trial is
    replayed: enqueued with its values, asked with its distributions, told its value.
    The copy minimizes, so a target's lower values count as better."""
    from .study import create_study

    copy = create_study()
    for t in _completed(study):
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


def _check_params(study: Any, params: Any, each_somewhere: bool) -> None:
    """Optuna's checks of `params`: a list of names that completed trials have -- all in
    one trial (fANOVA, MDI) or each in some trial (PED-ANOVA)."""
    if not isinstance(params, (list, tuple)):
        raise TypeError("Parameters must be specified as a list. Actual parameters: {}."
                        .format(params))
    if any(not isinstance(p, str) for p in params):
        raise TypeError("Parameters must be specified by their names with strings. "
                        "Actual parameters: {}.".format(params))
    if not params:
        return
    trials = _completed(study)
    if each_somewhere:
        known = {name for t in trials for name in t.params}
        missing = [p for p in params if p not in known]
        if missing:
            raise ValueError("Study must contain at least one completed trial for each "
                             "specified parameter. Missing parameters: {}.".format(missing))
    elif not any(all(p in t.params for p in params) for t in trials):
        raise ValueError("Study must contain completed trials with all specified "
                         "parameters. Specified parameters: {}.".format(list(params)))


def _normalized(importances: Dict[str, float], normalize: bool) -> Dict[str, float]:
    """Scaled to sum to 1 when asked (all 0 stays all 0), most important first, ties by
    name -- the engine's order."""
    total = sum(importances.values())
    if normalize and total > 0:
        importances = {k: v / total for k, v in importances.items()}
    return dict(sorted(importances.items(), key=lambda kv: (-kv[1], kv[0])))


def _engine_importances(study: Any, evaluator: _EngineEvaluator, params: Optional[List[str]],
                        target: Target, normalize: bool) -> Dict[str, float]:
    import json

    if target is None and len(study._direction_codes) > 1:
        raise ValueError("If the `study` is being used for multi-objective optimization, "
                         "please specify the `target`. For example, use "
                         "`target=lambda t: t.values[0]` for the first objective value.")
    ped = isinstance(evaluator, PedAnovaImportanceEvaluator)
    if params is not None:
        _check_params(study, params, each_somewhere=ped)
        if not params:
            return {}
        params = list(params)
    options = evaluator._options()

    def run(source: Any, normalize_in_engine: bool) -> Dict[str, float]:
        text = source._param_importances(
            0, evaluator._method,
            options + [("normalize", "true" if normalize_in_engine else "false")])
        return dict(json.loads(text))

    if ped:
        # PED-ANOVA weighs each parameter on its own: rank them all, keep those asked for.
        if target is not None:
            warnings.warn("PedAnovaImportanceEvaluator computes the importances of params to "
                          "achieve low `target` values. If this is not what you want, please "
                          "modify target, e.g., by multiplying the output by -1.",
                          UserWarning, stacklevel=3)
        source = study if target is None else _copy_for(study, None, target)
        result = run(source, params is None and normalize)
        if params is None:
            return result
        return _normalized({p: result.get(p, 0.0) for p in params}, normalize)
    source = study if (params is None and target is None) else _copy_for(study, params, target)
    return run(source, normalize)


def get_param_importances(study: Any, *, evaluator: Any = None,
                          params: Optional[List[str]] = None, target: Target = None,
                          normalize: bool = True) -> Dict[str, float]:
    """Importance of each parameter to the study's objective, most important first.

    ``evaluator`` None is :class:`FanovaImportanceEvaluator` (Optuna 3.1's default; the
    newest Optuna's is :class:`PedAnovaImportanceEvaluator`). ``params`` limits the
    ranking to those parameters (for the forest evaluators, to the trials that have them
    all). ``target`` maps a trial to the number to explain; required for multi-objective
    studies. With ``normalize`` (the default) the importances sum to 1 -- or are all 0
    when nothing explains the objective, such as a constant one (Optuna then shares 1
    equally); ``normalize=False`` gives the evaluator's own numbers, with Optuna's
    ExperimentalWarning. Fewer than two completed trials give an empty dict.
    """
    if not normalize:
        warnings.warn("`normalize` option is an experimental feature. The interface can "
                      "change in the future.", ExperimentalWarning, stacklevel=2)
    if evaluator is None:
        evaluator = FanovaImportanceEvaluator()
    if isinstance(evaluator, _EngineEvaluator):
        return _engine_importances(study, evaluator, params, target, normalize)
    if not callable(getattr(evaluator, "evaluate", None)):
        raise TypeError("Evaluator must be a subclass of BaseImportanceEvaluator.")
    return _normalized(dict(evaluator.evaluate(study, params=params, target=target)), normalize)
