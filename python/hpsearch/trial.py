"""Trials, as in ``optuna.trial``: :class:`Trial` (the live one an objective receives),
:class:`FrozenTrial` (a stored one), :class:`FixedTrial`, :class:`TrialState` and
:func:`create_trial`.

``Trial.suggest_*``, ``report``, ``should_prune`` and ``set_user_attr`` run in the C
engine; each writes through to the study's storage at once.
"""
import abc
import datetime
import enum
import sys
import types
import warnings
from typing import Any, Dict, List, Optional, Sequence

from . import _constraints, _core
from .distributions import (BaseDistribution, CategoricalChoiceType, CategoricalDistribution,
                            FloatDistribution, IntDistribution,
                            check_distribution_compatibility)
from .exceptions import UpdateFinishedTrialError

__all__ = ["Trial", "FrozenTrial", "FixedTrial", "TrialState", "create_trial", "BaseTrial"]


class TrialState(enum.IntEnum):
    """State of a trial, numbered as Optuna numbers it.

    WAITING (enqueued, not started), RUNNING, COMPLETE, PRUNED (stopped by the pruner),
    FAIL (the objective raised or returned no number, or its process died).
    """

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def __repr__(self) -> str:
        return f"TrialState.{self.name}"

    def is_finished(self) -> bool:
        """True for COMPLETE, PRUNED and FAIL; False for RUNNING and WAITING."""
        return self != TrialState.RUNNING and self != TrialState.WAITING


# Optuna's tutorial on writing a pruner imports TrialState from Optuna's private module
# (`from optuna.trial._state import TrialState`); a registered module of that name lets
# the same line work with `hpsearch` in place of `optuna`.
_state = types.ModuleType(f"{__name__}._state", "TrialState, as optuna.trial._state has it.")
_state.TrialState = TrialState  # type: ignore[attr-defined]
sys.modules[_state.__name__] = _state


# The engine's order: WAITING, RUNNING, COMPLETE, PRUNED, FAIL.
_ENGINE_STATES = (TrialState.WAITING, TrialState.RUNNING, TrialState.COMPLETE,
                  TrialState.PRUNED, TrialState.FAIL)


def _engine_mask(states: Optional[Any]) -> int:
    """A bit per engine state, from a container of TrialState (None: all)."""
    if states is None:
        return 0x3F
    mask = sum(1 << i for i, s in enumerate(_ENGINE_STATES) if s in states)
    # the engine's PAUSED (5) reads as RUNNING: Optuna has no paused state
    return mask | (1 << 5) if TrialState.RUNNING in states else mask


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"{old} has been deprecated (as in Optuna 3.0); use {new} instead.",
                  FutureWarning, stacklevel=3)


class Trial(_core.Trial):
    """A running trial: what ``Study.optimize`` passes to the objective and
    ``Study.ask`` returns.

    Suggest parameters with :meth:`suggest_float`, :meth:`suggest_int` and
    :meth:`suggest_categorical`; report learning curves with :meth:`report` and ask
    :meth:`should_prune`; finish it with ``Study.tell`` (``optimize`` does that).
    A trial's heartbeat is kept by the engine while it runs (persistent storage), so a
    trial whose process dies is failed and, if retries are configured, re-queued.
    """

    __slots__ = ()

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        """Deprecated: ``suggest_float(name, low, high)``."""
        _deprecated("suggest_uniform", "suggest_float(name, low, high)")
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        """Deprecated: ``suggest_float(name, low, high, log=True)``."""
        _deprecated("suggest_loguniform", "suggest_float(name, low, high, log=True)")
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        """Deprecated: ``suggest_float(name, low, high, step=q)``."""
        _deprecated("suggest_discrete_uniform", "suggest_float(name, low, high, step=q)")
        return self.suggest_float(name, low, high, step=q)

    # -- a sampler written in Python (the engine calls these) --------------------------
    def _sampler_start(self, sampler: Any) -> None:
        """Optuna's Trial._init_relative_params, with newer Optuna's before_trial first:
        the joint sample of this trial, kept for its suggestions."""
        study = self.study
        frozen = self._record()
        sampler.before_trial(study, frozen)
        space = sampler.infer_relative_search_space(study, frozen)
        params = sampler.sample_relative(study, frozen, space)
        if not isinstance(params, dict):
            raise TypeError(f"{type(sampler).__name__}.sample_relative must return a dict "
                            f"{{name: value}}, not {type(params).__name__}")
        self._relative = (space, params)

    def _sampler_draw(self, sampler: Any, name: str, distribution: BaseDistribution) -> float:
        """The internal value of `name`, which the engine found neither suggested before
        nor fixed: Optuna's Trial._suggest from there on (single value, relative sample,
        else sample_independent)."""
        if distribution.single():
            value = _single_value(distribution)
        elif self._is_relative_param(name, distribution):
            value = self._relative[1][name]
        else:
            value = sampler.sample_independent(self.study, self._record(), name, distribution)
        internal = distribution.to_internal_repr(value)  # refuses NaN, unknown choices
        if not distribution._contains(internal):
            warnings.warn(f"{type(sampler).__name__} drew {value!r} for parameter '{name}', "
                          f"outside its distribution {distribution}; the engine moves it to "
                          "the nearest value the distribution holds")
        return internal

    def _is_relative_param(self, name: str, distribution: BaseDistribution) -> bool:
        space, params = self._relative or ({}, {})
        if name not in params:
            return False
        if name not in space:
            raise ValueError(f"The parameter '{name}' was sampled by `sample_relative` method "
                             "but it is not contained in the relative search space.")
        check_distribution_compatibility(space[name], distribution)
        internal = distribution.to_internal_repr(params[name])
        return distribution._contains(internal)

    def _suggest_distribution(self, name: str, distribution: BaseDistribution) -> Any:
        """Suggests `name` from a distribution object (``ask(fixed_distributions=...)``)."""
        if isinstance(distribution, FloatDistribution):
            return self.suggest_float(name, distribution.low, distribution.high,
                                      step=distribution.step, log=distribution.log)
        if isinstance(distribution, IntDistribution):
            return self.suggest_int(name, distribution.low, distribution.high,
                                    step=distribution.step, log=distribution.log)
        if isinstance(distribution, CategoricalDistribution):
            return self.suggest_categorical(name, distribution.choices)
        raise TypeError(f"unsupported distribution {distribution!r} for parameter '{name}'")

    @property
    def distributions(self) -> Dict[str, BaseDistribution]:
        """Distributions of the parameters suggested so far."""
        return self._record().distributions

    @property
    def user_attrs(self) -> Dict[str, Any]:
        """User attributes set so far."""
        return self._record().user_attrs

    @property
    def system_attrs(self) -> Dict[str, Any]:
        """Attributes the engine keeps (``fixed_params`` of an enqueued or retried trial,
        ``attempt``, ``retry_of``)."""
        return self._record().system_attrs

    @property
    def datetime_start(self) -> Optional[datetime.datetime]:
        """When the trial started."""
        return self._record().datetime_start

    def set_system_attr(self, key: str, value: Any) -> None:
        """Not available: system attributes belong to the engine (use set_user_attr)."""
        raise NotImplementedError(
            "hpsearch keeps system attributes for the engine; use set_user_attr instead")

    @property
    def constraints(self) -> Dict[str, float]:
        """The trial's constraint values by name (Optuna 5): its ``set_constraint``
        values, and once told, a sampler's ``constraints_func`` values as "0", "1", ....
        The trial is feasible when every value is <= 0."""
        return _constraints.from_system_attrs(self.system_attrs)

    def set_constraint(self, key: str, value: float) -> None:
        """Sets constraint `key` to `value` (Optuna 5): the trial is feasible when every
        constraint value is <= 0 (``latency <= 5`` is ``latency - 5``). Stored at once as
        the system attribute ``constraints:KEY``; at tell the values reach the sampler,
        ``best_trial`` and ``best_trials`` as a ``constraints_func``'s do. A value float()
        refuses is a TypeError, NaN a ValueError; a key already set keeps its first value
        (UserWarning). A trial that does not set a key the study's other trials set
        counts as satisfying it."""
        record = self._record()

        def write(attr: str, checked: float) -> None:
            if record.state.is_finished():  # Optuna's check_trial_is_updatable
                raise UpdateFinishedTrialError(
                    f"Trial#{record.number} has already finished and can not be updated.")
            self._set_system_attr(attr, checked)
        _constraints.set_constraint(record.system_attrs, write, key, value)

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, study={self.study.study_name!r})"


def _single_value(distribution: BaseDistribution) -> Any:
    if isinstance(distribution, CategoricalDistribution):
        return distribution.choices[0]
    return distribution.low


def _frozen_from_fields(number, state, values, datetime_start, datetime_complete, params,
                        distributions, user_attrs, system_attrs, intermediate_values, trial_id):
    return FrozenTrial(number, state, None, datetime_start, datetime_complete, params,
                       distributions, user_attrs, system_attrs, intermediate_values, trial_id,
                       values=values)


class _Replay:
    """suggest_* that hand back values fixed beforehand (FrozenTrial, FixedTrial)."""

    def _replay(self, name: str, distribution: BaseDistribution) -> Any:
        raise NotImplementedError

    def suggest_float(self, name: str, low: float, high: float, *,
                      step: Optional[float] = None, log: bool = False) -> float:
        """The stored value of `name`, checked against the distribution."""
        return self._replay(name, FloatDistribution(low, high, log=log, step=step))

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        """Deprecated: ``suggest_float(name, low, high)``."""
        _deprecated("suggest_uniform", "suggest_float(name, low, high)")
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        """Deprecated: ``suggest_float(name, low, high, log=True)``."""
        _deprecated("suggest_loguniform", "suggest_float(name, low, high, log=True)")
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        """Deprecated: ``suggest_float(name, low, high, step=q)``."""
        _deprecated("suggest_discrete_uniform", "suggest_float(name, low, high, step=q)")
        return self.suggest_float(name, low, high, step=q)

    def suggest_int(self, name: str, low: int, high: int, step: int = 1,
                    log: bool = False) -> int:
        """The stored value of `name`, checked against the distribution."""
        return int(self._replay(name, IntDistribution(low, high, log=log, step=step)))

    def suggest_categorical(self, name: str,
                            choices: Sequence[CategoricalChoiceType]) -> CategoricalChoiceType:
        """The stored value of `name`, checked against the choices."""
        return self._replay(name, CategoricalDistribution(choices=choices))

    def report(self, value: float, step: int) -> None:
        """Does nothing: a replayed trial is never pruned."""

    def should_prune(self) -> bool:
        """Always False."""
        return False

    def check_running(self) -> None:
        """Does nothing: a replayed trial belongs to no run that could be taken from it,
        so an objective that calls ``trial.check_running()`` replays unchanged."""


def _replay_value(params: Dict[str, Any], distributions: Dict[str, BaseDistribution],
                  name: str, distribution: BaseDistribution, owner: str) -> Any:
    if name not in params:
        raise ValueError(
            "The value of the parameter '{}' is not found. Please set it at the construction "
            "of the {} object.".format(name, owner))
    value = params[name]
    internal = distribution.to_internal_repr(value)
    if not distribution._contains(internal):
        warnings.warn("The value {} of the parameter '{}' is out of the range of the "
                      "distribution {}.".format(value, name, distribution))
    if name in distributions:
        check_distribution_compatibility(distributions[name], distribution)
    distributions[name] = distribution
    return value


class FrozenTrial(_Replay, _core.FrozenTrial):
    """A trial as stored: number, state, value(s), parameters and their distributions,
    attributes, intermediate values and times -- the fields of Optuna's FrozenTrial.

    Study.trials, best_trial and tell() return these. Its suggest_* methods return the
    stored parameters, so ``objective(study.best_trial)`` re-runs the best
    configuration. Fields are read from the engine the first time they are used.
    """

    def __init__(self, number: int, state: TrialState, value: Optional[float],
                 datetime_start: Optional[datetime.datetime],
                 datetime_complete: Optional[datetime.datetime], params: Dict[str, Any],
                 distributions: Dict[str, BaseDistribution], user_attrs: Dict[str, Any],
                 system_attrs: Dict[str, Any], intermediate_values: Dict[int, float],
                 trial_id: int, *, values: Optional[Sequence[float]] = None) -> None:
        if value is not None and values is not None:
            raise ValueError("Specify only one of `value` and `values`.")
        self._number = number
        self.state = state
        if value is not None:
            self._values = [value]
        elif values is not None:
            self._values = list(values)
        else:
            self._values = None
        self._datetime_start = datetime_start
        self.datetime_complete = datetime_complete
        self._params = params
        self._user_attrs = user_attrs
        self._system_attrs = system_attrs
        self.intermediate_values = intermediate_values
        self._distributions = distributions
        self._trial_id = trial_id

    def _fields(self) -> tuple:
        return (self.number, self.state, self._values, self.datetime_start,
                self.datetime_complete, self.params, self.distributions, self.user_attrs,
                self.system_attrs, self.intermediate_values, self._trial_id)

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self._fields() == other._fields()

    def __lt__(self, other: Any) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self.number < other.number

    def __le__(self, other: Any) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self.number <= other.number

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return ("{cls}(number={number!r}, state={state!r}, values={values!r}, "
                "datetime_start={ds!r}, datetime_complete={dc!r}, params={params!r}, "
                "user_attrs={ua!r}, system_attrs={sa!r}, intermediate_values={iv!r}, "
                "distributions={dists!r}, trial_id={tid!r}, value=None)").format(
                    cls=self.__class__.__name__, number=self.number, state=self.state,
                    values=self._values, ds=self.datetime_start, dc=self.datetime_complete,
                    params=self.params, ua=self.user_attrs, sa=self.system_attrs,
                    iv=self.intermediate_values, dists=self.distributions,
                    tid=self._trial_id)

    def __reduce__(self):
        return (_frozen_from_fields, (self.number, self.state, self._values,
                                      self.datetime_start, self.datetime_complete,
                                      self.params, self.distributions, self.user_attrs,
                                      self.system_attrs, self.intermediate_values,
                                      self._trial_id))

    def _replay(self, name: str, distribution: BaseDistribution) -> Any:
        return _replay_value(self.params, self.distributions, name, distribution,
                             "FrozenTrial")

    def set_user_attr(self, key: str, value: Any) -> None:
        """Sets a user attribute on this object only (not in storage)."""
        self.user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        """Sets a system attribute on this object only (not in storage)."""
        self.system_attrs[key] = value

    @property
    def constraints(self) -> Dict[str, float]:
        """Constraint values by name, as :attr:`Trial.constraints`."""
        return _constraints.from_system_attrs(self.system_attrs)

    def set_constraint(self, key: str, value: float) -> None:
        """:meth:`Trial.set_constraint` on this object only (not in storage; a study's
        ``add_trial`` takes it along)."""
        _constraints.set_constraint(self.system_attrs, self.system_attrs.__setitem__, key,
                                    value)

    @property
    def value(self) -> Optional[float]:
        """The objective value (single-objective studies), or None."""
        values = self._values
        if values is None:
            return None
        if len(values) > 1:
            raise RuntimeError(
                "This attribute is not available during multi-objective optimization.")
        return values[0]

    @value.setter
    def value(self, v: Optional[float]) -> None:
        values = self._values
        if values is not None and len(values) > 1:
            raise RuntimeError(
                "This attribute is not available during multi-objective optimization.")
        self._values = [v] if v is not None else None

    @property
    def values(self) -> Optional[List[float]]:
        """The objective values, or None (FAIL, RUNNING, WAITING, and PRUNED before any
        report)."""
        return self._values

    @values.setter
    def values(self, v: Optional[Sequence[float]]) -> None:
        self._values = list(v) if v is not None else None

    @property
    def last_step(self) -> Optional[int]:
        """The largest step reported, or None."""
        return max(self.intermediate_values) if self.intermediate_values else None

    @property
    def duration(self) -> Optional[datetime.timedelta]:
        """datetime_complete - datetime_start, or None while unfinished."""
        start, complete = self.datetime_start, self.datetime_complete
        if start and complete:
            return complete - start
        return None

    def _validate(self) -> None:
        if self.state != TrialState.WAITING and self.datetime_start is None:
            raise ValueError(
                "`datetime_start` is supposed to be set when the trial state is not waiting.")
        if self.state.is_finished():
            if self.datetime_complete is None:
                raise ValueError("`datetime_complete` is supposed to be set for a finished trial.")
        elif self.datetime_complete is not None:
            raise ValueError("`datetime_complete` is supposed to be None for an unfinished trial.")
        if self.state == TrialState.COMPLETE and self._values is None:
            raise ValueError("`value` is supposed to be set for a complete trial.")
        if set(self.params.keys()) != set(self.distributions.keys()):
            raise ValueError("Inconsistent parameters {} and distributions {}.".format(
                set(self.params.keys()), set(self.distributions.keys())))
        for name, value in self.params.items():
            distribution = self.distributions[name]
            if not distribution._contains(distribution.to_internal_repr(value)):
                raise ValueError("The value {} of parameter '{}' isn't contained in the "
                                 "distribution {}.".format(value, name, distribution))



class FixedTrial(_Replay):
    """A trial whose parameters are given: run an objective with known values, e.g.
    ``objective(FixedTrial({"lr": 0.01, "hidden_size": 64}))``."""

    def __init__(self, params: Dict[str, Any], number: int = 0) -> None:
        self._params = params
        self._suggested_params: Dict[str, Any] = {}
        self._distributions: Dict[str, BaseDistribution] = {}
        self._user_attrs: Dict[str, Any] = {}
        self._system_attrs: Dict[str, Any] = {}
        self._datetime_start = datetime.datetime.now()
        self._number = number

    def _replay(self, name: str, distribution: BaseDistribution) -> Any:
        value = _replay_value(self._params, self._distributions, name, distribution,
                              "FixedTrial")
        self._suggested_params[name] = value
        return value

    def set_user_attr(self, key: str, value: Any) -> None:
        """Sets a user attribute on this object."""
        self._user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        """Sets a system attribute on this object."""
        self._system_attrs[key] = value

    @property
    def constraints(self) -> Dict[str, float]:
        """Constraint values by name, as :attr:`Trial.constraints`."""
        return _constraints.from_system_attrs(self._system_attrs)

    def set_constraint(self, key: str, value: float) -> None:
        """:meth:`Trial.set_constraint` on this object."""
        _constraints.set_constraint(self._system_attrs, self._system_attrs.__setitem__, key,
                                    value)

    @property
    def params(self) -> Dict[str, Any]:
        """The parameters suggested so far."""
        return self._suggested_params

    @property
    def distributions(self) -> Dict[str, BaseDistribution]:
        """Their distributions."""
        return self._distributions

    @property
    def user_attrs(self) -> Dict[str, Any]:
        """User attributes."""
        return self._user_attrs

    @property
    def system_attrs(self) -> Dict[str, Any]:
        """System attributes."""
        return self._system_attrs

    @property
    def datetime_start(self) -> Optional[datetime.datetime]:
        """When the object was made."""
        return self._datetime_start

    @property
    def number(self) -> int:
        """The number given."""
        return self._number


class BaseTrial(abc.ABC):
    """What objectives receive: a Trial, FrozenTrial or FixedTrial
    (``isinstance(t, BaseTrial)`` holds for all three)."""


for _cls in (Trial, FrozenTrial, FixedTrial):
    BaseTrial.register(_cls)
del _cls


def create_trial(*, state: TrialState = TrialState.COMPLETE, value: Optional[float] = None,
                 values: Optional[Sequence[float]] = None,
                 params: Optional[Dict[str, Any]] = None,
                 distributions: Optional[Dict[str, BaseDistribution]] = None,
                 user_attrs: Optional[Dict[str, Any]] = None,
                 system_attrs: Optional[Dict[str, Any]] = None,
                 intermediate_values: Optional[Dict[int, float]] = None,
                 constraints: Optional[Dict[str, float]] = None) -> FrozenTrial:
    """A new FrozenTrial, checked as Optuna checks it (COMPLETE needs a value, params
    need distributions that contain them); `constraints` are set with
    :meth:`FrozenTrial.set_constraint` (Optuna 5)."""
    datetime_start = None if state == TrialState.WAITING else datetime.datetime.now()
    datetime_complete = datetime_start if state.is_finished() else None
    trial = FrozenTrial(number=-1, trial_id=-1, state=state, value=value, values=values,
                        datetime_start=datetime_start, datetime_complete=datetime_complete,
                        params=params or {}, distributions=distributions or {},
                        user_attrs=user_attrs or {}, system_attrs=system_attrs or {},
                        intermediate_values=intermediate_values or {})
    for key, constraint in (constraints or {}).items():
        trial.set_constraint(key, constraint)
    trial._validate()
    return trial
