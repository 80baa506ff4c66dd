"""Pruners, as in ``optuna.pruners``: what stops unpromising trials early.

Each pruner here describes one of the engine's pruners, which run in C at
``Trial.should_prune()`` on the values the trial reported; their decisions follow
Optuna's. Constructors take Optuna's arguments and check them as Optuna does. A study
without a pruner prunes with :class:`MedianPruner`, as Optuna's does::

    study = hpsearch.create_study(pruner=hpsearch.pruners.MedianPruner(n_warmup_steps=5))

A pruner written in Python subclasses :class:`BasePruner` and implements ``prune(study,
trial)``, as for Optuna; ``Trial.should_prune()`` then returns what it says.
:class:`WilcoxonPruner` (newer Optuna's, with scipy) is written so.
``hpsearch pruners`` (the C library's hps_pruner_catalog) describes each engine pruner,
every option with its default and range; the test suite checks that these classes cover
it and default as it does.
"""
import abc
import math
import warnings
from typing import Any, Dict, Optional, Tuple, Union

from .exceptions import _warn_experimental

__all__ = ["BasePruner", "NopPruner", "MedianPruner", "PercentilePruner",
           "SuccessiveHalvingPruner", "HyperbandPruner", "ThresholdPruner", "PatientPruner",
           "ForecastPruner", "AutoPruner", "WilcoxonPruner"]

# name, options, wrapped pruner's spec
_EngineSpec = Tuple[str, Dict[str, str], Optional[tuple]]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _is_int(value: Any) -> bool:
    """An integer, and not a bool (which Python counts as one)."""
    return isinstance(value, int) and not isinstance(value, bool)


class BasePruner(abc.ABC):
    """Base class of pruners, Optuna's: subclass it and implement :meth:`prune` to write
    one in Python."""

    @abc.abstractmethod
    def prune(self, study: Any, trial: Any) -> bool:
        """Whether `trial` (a FrozenTrial of the RUNNING trial, with the intermediate
        values it reported) should stop. ``Trial.should_prune()`` returns the result. It
        may read and write the study."""
        raise NotImplementedError


class _EnginePruner(BasePruner):
    """A pruner that runs inside the C engine: the study hands the engine its
    description (``_engine_spec``)."""

    _engine_name = ""

    def prune(self, study: Any, trial: Any) -> bool:
        raise NotImplementedError(
            f"{self.__class__.__name__} runs inside hpsearch's C engine: its prune cannot be "
            "called from Python")

    def _options(self) -> Dict[str, Any]:
        return {}

    def _engine_spec(self) -> _EngineSpec:
        options = {k: _text(v) for k, v in self._options().items() if v is not None}
        return (self._engine_name, options, None)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._options().items())
        return f"{self.__class__.__name__}({args})"


class NopPruner(_EnginePruner):
    """Never prunes: ``should_prune()`` is always False."""

    _engine_name = "none"


def _check_common(n_startup_trials: int, n_warmup_steps: int, interval_steps: int,
                  n_min_trials: int) -> None:
    if n_startup_trials < 0:
        raise ValueError(
            "Number of startup trials cannot be negative but got {}.".format(n_startup_trials))
    if n_warmup_steps < 0:
        raise ValueError(
            "Number of warmup steps cannot be negative but got {}.".format(n_warmup_steps))
    if interval_steps < 1:
        raise ValueError(
            "Pruning interval steps must be at least 1 but got {}.".format(interval_steps))
    if n_min_trials < 1:
        raise ValueError(
            "Number of trials for pruning must be at least 1 but got {}.".format(n_min_trials))


class PercentilePruner(_EnginePruner):
    """Prunes a trial whose best intermediate value so far is worse than the given
    percentile of the COMPLETE trials' values at the same step (25.0 keeps the best
    quarter). No pruning during the first `n_startup_trials` trials, the first
    `n_warmup_steps` steps of a trial, or while fewer than `n_min_trials` trials
    reported at that step; checks every `interval_steps` steps."""

    _engine_name = "percentile"

    def __init__(self, percentile: float, n_startup_trials: int = 5, n_warmup_steps: int = 0,
                 interval_steps: int = 1, *, n_min_trials: int = 1) -> None:
        if not 0.0 <= percentile <= 100:
            raise ValueError(
                "Percentile must be between 0 and 100 inclusive but got {}.".format(percentile))
        _check_common(n_startup_trials, n_warmup_steps, interval_steps, n_min_trials)
        self._percentile = float(percentile)
        self._n_startup_trials = n_startup_trials
        self._n_warmup_steps = n_warmup_steps
        self._interval_steps = interval_steps
        self._n_min_trials = n_min_trials

    def _options(self) -> Dict[str, Any]:
        return {"percentile": self._percentile, "n_startup_trials": self._n_startup_trials,
                "n_warmup_steps": self._n_warmup_steps, "interval_steps": self._interval_steps,
                "n_min_trials": self._n_min_trials}


class MedianPruner(_EnginePruner):
    """Prunes a trial whose best intermediate value so far is worse than the median of
    the COMPLETE trials' values at the same step (PercentilePruner at 50)."""

    _engine_name = "median"

    def __init__(self, n_startup_trials: int = 5, n_warmup_steps: int = 0,
                 interval_steps: int = 1, *, n_min_trials: int = 1) -> None:
        _check_common(n_startup_trials, n_warmup_steps, interval_steps, n_min_trials)
        self._n_startup_trials = n_startup_trials
        self._n_warmup_steps = n_warmup_steps
        self._interval_steps = interval_steps
        self._n_min_trials = n_min_trials

    def _options(self) -> Dict[str, Any]:
        return {"n_startup_trials": self._n_startup_trials,
                "n_warmup_steps": self._n_warmup_steps, "interval_steps": self._interval_steps,
                "n_min_trials": self._n_min_trials}


class SuccessiveHalvingPruner(_EnginePruner):
    r"""Asynchronous successive halving (ASHA): at steps ``min_resource *
    reduction_factor ** (min_early_stopping_rate + k)`` only the best
    ``1 / reduction_factor`` of the values seen at that rung go on.

    ``mode="promotion"`` (hpsearch only; needs ``min_resource`` and ``max_resource``, the
    full budget) is ASHA's promotion form: a trial ``pause()``\ s at its rung
    (``trial.max_step``) and ``study.ask()`` hands back the best paused trial of the
    highest rung, ``trial.resume_step`` telling where its checkpoint is, before it starts
    a new one. A trial paused at another step waits at the highest rung it passed -- the
    step it paused at counts, reported or not: ``pause(3)`` after reporting step 2 stands
    at rung 3 with step 2's value (one that passed none is resumed before anything new
    starts)."""

    _engine_name = "asha"

    def __init__(self, min_resource: Union[str, int] = "auto", reduction_factor: int = 4,
                 min_early_stopping_rate: int = 0, bootstrap_count: int = 0, *,
                 mode: str = "stop", max_resource: Optional[int] = None) -> None:
        if isinstance(min_resource, str) and min_resource != "auto":
            raise ValueError("The value of `min_resource` is {}, but must be either "
                             "`min_resource` >= 1 or 'auto'".format(min_resource))
        if isinstance(min_resource, int) and min_resource < 1:
            raise ValueError("The value of `min_resource` is {}, but must be either "
                             "`min_resource >= 1` or 'auto'".format(min_resource))
        if reduction_factor < 2:
            raise ValueError("The value of `reduction_factor` is {}, but must be "
                             "`reduction_factor >= 2`".format(reduction_factor))
        if min_early_stopping_rate < 0:
            raise ValueError("The value of `min_early_stopping_rate` is {}, but must be "
                             "`min_early_stopping_rate >= 0`".format(min_early_stopping_rate))
        if bootstrap_count < 0:
            raise ValueError("The value of `bootstrap_count` is {}, but must be "
                             "`bootstrap_count >= 0`".format(bootstrap_count))
        if bootstrap_count > 0 and min_resource == "auto":
            raise ValueError("bootstrap_count > 0 and min_resource == 'auto' are mutually "
                             "incompatible, bootstrap_count is {}".format(bootstrap_count))
        if mode not in ("stop", "promotion"):
            raise ValueError(f"The value of `mode` is {mode!r}, but must be 'stop' or "
                             "'promotion'")
        self._min_resource = min_resource
        self._reduction_factor = reduction_factor
        self._min_early_stopping_rate = min_early_stopping_rate
        self._bootstrap_count = bootstrap_count
        self._mode = mode
        self._max_resource = max_resource

    def _options(self) -> Dict[str, Any]:
        options = {"min_resource": self._min_resource, "reduction_factor": self._reduction_factor,
                   "min_early_stopping_rate": self._min_early_stopping_rate,
                   "bootstrap_count": self._bootstrap_count}
        if self._mode != "stop":  # Optuna's arguments alone otherwise
            options.update(mode=self._mode, max_resource=self._max_resource)
        return options


class HyperbandPruner(_EnginePruner):
    r"""Hyperband: several successive-halving brackets with different aggressiveness,
    each trial assigned to one; `max_resource` ("auto": the longest trial seen) is the
    largest step a trial reports.

    ``mode="promotion"`` (hpsearch only; needs an integer ``max_resource``, the full
    budget, above ``min_resource``) makes each bracket ASHA's promotion form
    (``SuccessiveHalvingPruner(mode="promotion")``): a trial ``pause()``\ s at its
    bracket's rung (``trial.max_step``) and ``study.ask()`` resumes the best paused trial
    of a bracket's top ``1 / reduction_factor``, the highest rung step first across the
    brackets, before it starts a new one. Each trial is in the bracket mode ``"stop"``
    would give it."""

    _engine_name = "hyperband"

    def __init__(self, min_resource: int = 1, max_resource: Union[str, int] = "auto",
                 reduction_factor: int = 3, bootstrap_count: int = 0, *,
                 mode: str = "stop") -> None:
        if not isinstance(max_resource, int) and max_resource != "auto":
            raise ValueError("The 'max_resource' should be integer or 'auto'. "
                             "But max_resource = {}".format(max_resource))
        if bootstrap_count > 0 and max_resource == "auto":
            raise ValueError("bootstrap_count > 0 and max_resource == 'auto' are mutually "
                             "incompatible, bootstrap_count is {}".format(bootstrap_count))
        if mode not in ("stop", "promotion"):
            raise ValueError(f"The value of `mode` is {mode!r}, but must be 'stop' or "
                             "'promotion'")
        self._min_resource = min_resource
        self._max_resource = max_resource
        self._reduction_factor = reduction_factor
        self._bootstrap_count = bootstrap_count
        self._mode = mode

    def _options(self) -> Dict[str, Any]:
        options = {"min_resource": self._min_resource, "max_resource": self._max_resource,
                   "reduction_factor": self._reduction_factor,
                   "bootstrap_count": self._bootstrap_count}
        if self._mode != "stop":  # Optuna's arguments alone otherwise
            options.update(mode=self._mode)
        return options


class ThresholdPruner(_EnginePruner):
    """Prunes a trial whose latest intermediate value is below `lower`, above `upper`,
    or NaN (after `n_warmup_steps`, every `interval_steps` steps)."""

    _engine_name = "threshold"

    def __init__(self, lower: Optional[float] = None, upper: Optional[float] = None,
                 n_warmup_steps: int = 0, interval_steps: int = 1) -> None:
        if lower is None and upper is None:
            raise TypeError("Either lower or upper must be specified.")
        for name, bound in (("lower", lower), ("upper", upper)):
            if bound is not None and not isinstance(bound, (int, float)):
                raise TypeError(f"{name} should be a float but got {type(bound).__name__}.")
        low = -math.inf if lower is None else float(lower)
        high = math.inf if upper is None else float(upper)
        if low > high:
            raise ValueError("lower should be smaller than upper.")
        if n_warmup_steps < 0:
            raise ValueError(
                "Number of warmup steps cannot be negative but got {}.".format(n_warmup_steps))
        if interval_steps < 1:
            raise ValueError(
                "Pruning interval steps must be at least 1 but got {}.".format(interval_steps))
        self._lower = None if lower is None else low
        self._upper = None if upper is None else high
        self._n_warmup_steps = n_warmup_steps
        self._interval_steps = interval_steps

    def _options(self) -> Dict[str, Any]:
        return {"lower": self._lower, "upper": self._upper,
                "n_warmup_steps": self._n_warmup_steps, "interval_steps": self._interval_steps}


class PatientPruner(_EnginePruner):
    """Prunes once the trial has not improved by more than `min_delta` for `patience`
    steps -- and, when `wrapped_pruner` is given, only if that pruner agrees."""

    _engine_name = "patient"

    def __init__(self, wrapped_pruner: Optional[BasePruner], patience: int,
                 min_delta: float = 0.0) -> None:
        if patience < 0:
            raise ValueError(f"patience cannot be negative but got {patience}.")
        if min_delta < 0:
            raise ValueError(f"min_delta cannot be negative but got {min_delta}.")
        if wrapped_pruner is not None and not isinstance(wrapped_pruner, _EnginePruner):
            raise TypeError(f"{type(wrapped_pruner).__name__} is not one of hpsearch's own "
                            "pruners: PatientPruner runs in the engine and can wrap only those")
        self._wrapped_pruner = wrapped_pruner
        self._patience = patience
        self._min_delta = float(min_delta)

    def _options(self) -> Dict[str, Any]:
        return {"patience": self._patience, "min_delta": self._min_delta}

    def _engine_spec(self) -> _EngineSpec:
        name, options, _ = super()._engine_spec()
        inner = self._wrapped_pruner._engine_spec() if self._wrapped_pruner is not None else None
        return (name, options, inner)


class ForecastPruner(_EnginePruner):
    """Prunes a trial whose learning curve, extrapolated to `max_step` by an ensemble of
    parametric curves (power laws, exponential, Janoschek, MMF, ilog2; each fitted with
    its uncertainty, weighted by BIC), has less than `min_probability` chance of beating
    the best COMPLETE trial's value. Judges a trial once it reported `min_points` values,
    every `interval_steps` steps (1 when not given), after `n_startup_trials` trials
    completed. `max_step` ("auto": the largest last step of the COMPLETE trials) is the
    full budget's step.

    ``mode="freeze-thaw"`` (hpsearch only; needs an integer `max_step`) stops nothing:
    a new trial pauses (``trial.pause()``) at step `first_slice_steps` (`min_points` when
    not given; ``trial.max_step``), a resumed one after `slice_steps` (5 when not given)
    more -- a paused trial with fewer than `min_points` values has no forecast and is
    resumed first; with a `first_slice_steps` below `min_points`, only when its latest
    value is among the best third reported at that step -- and ``study.ask()`` hands back
    the paused trial with the most expected improvement over the incumbent per step left
    (``trial.resume_step`` telling where its checkpoint is) unless a new trial promises
    more -- its final value taken to be normal with the mean and spread of the final
    values known, all of them (`new_trial_estimate` "all", when not given) or the better
    half ("upper-half"). Each mode refuses the other's options (`interval_steps`;
    `slice_steps`, `first_slice_steps`, `new_trial_estimate`) when given, even at their
    defaults, as the engine does."""

    _engine_name = "forecast"

    def __init__(self, min_probability: float = 0.05, max_step: Union[str, int] = "auto",
                 min_points: int = 5, n_startup_trials: int = 3,
                 interval_steps: Optional[int] = None, *, mode: str = "stop",
                 slice_steps: Optional[int] = None,
                 first_slice_steps: Optional[int] = None,
                 new_trial_estimate: Optional[str] = None) -> None:
        if not 0.0 < min_probability <= 1.0:
            raise ValueError(f"min_probability must be in (0, 1] but got {min_probability}.")
        if max_step != "auto" and (not _is_int(max_step) or max_step < 1):
            raise ValueError(f"max_step must be 'auto' or an integer >= 1 but got {max_step!r}.")
        if min_points < 4:
            raise ValueError(f"min_points must be at least 4 but got {min_points}.")
        if n_startup_trials < 1:
            raise ValueError(f"n_startup_trials must be at least 1 but got {n_startup_trials}.")
        if interval_steps is not None and (not _is_int(interval_steps) or interval_steps < 1):
            raise ValueError(f"interval_steps must be an integer >= 1 but got {interval_steps!r}.")
        if mode not in ("stop", "freeze-thaw"):
            raise ValueError(f"mode must be 'stop' or 'freeze-thaw' but got {mode!r}.")
        if slice_steps is not None and (not _is_int(slice_steps) or slice_steps < 1):
            raise ValueError(f"slice_steps must be an integer >= 1 but got {slice_steps!r}.")
        if first_slice_steps is not None and (not _is_int(first_slice_steps)
                                              or first_slice_steps < 1):
            raise ValueError("first_slice_steps must be an integer >= 1 but got "
                             f"{first_slice_steps!r}.")
        if new_trial_estimate not in (None, "all", "upper-half"):
            raise ValueError("new_trial_estimate must be 'all' or 'upper-half' but got "
                             f"{new_trial_estimate!r}.")
        # as the engine does: each mode refuses the other's options, even at their defaults
        if mode == "stop" and slice_steps is not None:
            raise ValueError("slice_steps applies to mode 'freeze-thaw' only.")
        if mode == "stop" and first_slice_steps is not None:
            raise ValueError("first_slice_steps applies to mode 'freeze-thaw' only.")
        if mode == "stop" and new_trial_estimate is not None:
            raise ValueError("new_trial_estimate applies to mode 'freeze-thaw' only.")
        if mode == "freeze-thaw" and interval_steps is not None:
            raise ValueError("interval_steps applies to mode 'stop' only.")
        self._min_probability = float(min_probability)
        self._max_step = max_step
        self._min_points = min_points
        self._n_startup_trials = n_startup_trials
        self._interval_steps = interval_steps
        self._mode = mode
        self._slice_steps = slice_steps
        self._first_slice_steps = first_slice_steps
        self._new_trial_estimate = new_trial_estimate

    def _options(self) -> Dict[str, Any]:
        options = {"min_probability": self._min_probability, "max_step": self._max_step,
                   "min_points": self._min_points, "n_startup_trials": self._n_startup_trials}
        # each mode refuses the other's option
        if self._mode == "stop":
            options.update(interval_steps=self._interval_steps or 1)
        else:
            options.update(mode=self._mode, slice_steps=self._slice_steps or 5)
            if self._first_slice_steps is not None:
                options.update(first_slice_steps=self._first_slice_steps)
            if self._new_trial_estimate is not None:
                options.update(new_trial_estimate=self._new_trial_estimate)
        return options


class AutoPruner(_EnginePruner):
    """The pruning strategy for a study whose trials report up to a budget (epochs), the
    way :class:`~hpsearch.samplers.AutoSampler` picks the sampler: :class:`HyperbandPruner`
    (reduction factor 3, first rung at `min_resource`, brackets up to `max_step`) and
    :class:`ForecastPruner` (for `max_step`) side by side, a trial stopped when either
    says so -- the rule chosen on bench/pruning.py and the learning-curve tables
    (bench/pruning.md, "Forecast and auto" and "pruner: auto with Hyperband").

    ``stopping="asha"`` puts successive halving's single bracket (reduction factor 3) in
    Hyperband's place, the default until 2026-12-07: it stops slow starters at its first
    rungs, and with a large budget stops improving early."""

    _engine_name = "auto"

    def __init__(self, min_resource: int = 1, max_step: Union[str, int] = "auto",
                 stopping: str = "hyperband") -> None:
        if not isinstance(min_resource, int) or min_resource < 1:
            raise ValueError(f"min_resource must be an integer >= 1 but got {min_resource!r}.")
        if max_step != "auto" and (not isinstance(max_step, int) or max_step < 1):
            raise ValueError(f"max_step must be 'auto' or an integer >= 1 but got {max_step!r}.")
        if stopping not in ("asha", "hyperband"):
            raise ValueError(f"stopping must be 'asha' or 'hyperband' but got {stopping!r}.")
        self._min_resource = min_resource
        self._max_step = max_step
        self._stopping = stopping

    def _options(self) -> Dict[str, Any]:
        return {"min_resource": self._min_resource, "max_step": self._max_step,
                "stopping": self._stopping}


def _check(pruner: Any) -> BasePruner:
    if pruner is None:  # Optuna's default
        return MedianPruner()
    if not isinstance(pruner, BasePruner):
        raise TypeError(
            f"{type(pruner).__module__}.{type(pruner).__name__} is not an hpsearch pruner; "
            "use one of hpsearch.pruners (MedianPruner, HyperbandPruner, ...) or subclass "
            "hpsearch.pruners.BasePruner")
    return pruner


class WilcoxonPruner(BasePruner):
    """Prunes a trial when a Wilcoxon signed-rank test says, at p-value `p_threshold`,
    that its intermediate values are worse than the best trial's at the same steps (the
    newest Optuna's pruner, from 3.6; it needs scipy). For objectives evaluated step by
    step on different data, e.g. one fold or one problem instance per step, report in
    any order. Not before `n_startup_steps` shared steps; never while the mean of the
    trial's values is at least as good as the best trial's value, nor when either trial
    has a non-finite value (with a warning)."""

    def __init__(self, *, p_threshold: float = 0.1, n_startup_steps: int = 0) -> None:
        if n_startup_steps < 0:
            raise ValueError(f"n_startup_steps must be nonnegative but got {n_startup_steps}.")
        if not 0.0 <= p_threshold <= 1.0:
            raise ValueError(f"p_threshold must be between 0 and 1 but got {p_threshold}.")
        _warn_experimental("WilcoxonPruner", "3.6.0")
        self._p_threshold = p_threshold
        self._n_startup_steps = n_startup_steps

    def prune(self, study: Any, trial: Any) -> bool:
        """Whether the signed-rank test finds `trial` worse than the best trial."""
        mine = trial.intermediate_values
        if not mine:
            return False
        if not all(math.isfinite(v) for v in mine.values()):
            warnings.warn(f"The intermediate values of the current trial (trial {trial.number})"
                          " contain infinity/NaNs. WilcoxonPruner will not prune this trial.")
            return False
        try:
            best = study.best_trial
        except ValueError:  # nothing complete yet
            return False
        theirs = best.intermediate_values
        if not all(math.isfinite(v) for v in theirs.values()):
            warnings.warn(f"The intermediate values of the best trial (trial {best.number}) "
                          "contain infinity/NaNs. WilcoxonPruner will not prune the current "
                          "trial.")
            return False
        shared = sorted(set(mine) & set(theirs))
        if len(shared) < len(mine):
            warnings.warn("WilcoxonPruner finds steps existing in the current trial but does "
                          "not exist in the best trial. Those values are ignored.")
        if not shared or len(shared) < self._n_startup_steps:
            return False
        mean = sum(mine.values()) / len(mine)
        maximize = study.direction.name == "MAXIMIZE"
        # A trial whose mean already matches the best value is kept, whatever the test.
        if (best.value <= mean) if maximize else (best.value >= mean):
            return False
        import scipy.stats
        # zsplit: steps where both trials agree count half each way (all-equal is no error)
        p = scipy.stats.wilcoxon([mine[s] - theirs[s] for s in shared],
                                 alternative="less" if maximize else "greater",
                                 zero_method="zsplit").pvalue
        return bool(p < self._p_threshold)


def _spec_of(pruner: BasePruner) -> Optional[_EngineSpec]:
    """The engine's description of `pruner`, or None for one written in Python."""
    return pruner._engine_spec() if isinstance(pruner, _EnginePruner) else None
