"""Studies, as in ``optuna.study``: :class:`Study`, :func:`create_study`,
:func:`load_study`, :func:`delete_study`, :func:`get_all_study_summaries`,
:class:`StudyDirection`, :class:`StudySummary`, :class:`MaxTrialsCallback`.

A Study holds one handle of the C engine. ``ask``, ``tell`` and everything a trial does
run in C with the GIL released; the engine call of each study is serialized by a lock
of that study, so threads (``optimize(n_jobs=4)``) share a study safely.
"""
import datetime
import enum
import functools
import gc
import itertools
import json
import math
import os
import sys
import threading
import traceback
import uuid
import warnings
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import (Any, Callable, Container, Dict, Iterable, List, Optional, Sequence, Set,
                    Tuple, Type, Union)

from . import _constraints, _core
from . import logging as _hlogging
from . import pruners as _pruners
from . import samplers as _samplers
from . import storages as _storages
from .exceptions import DuplicatedStudyError, StudyDone, TrialPruned, _duplicated_study_message
from .distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from .trial import FrozenTrial, Trial, TrialState, _engine_mask

__all__ = ["Study", "StudyDirection", "StudySummary", "MaxTrialsCallback", "create_study",
           "load_study", "delete_study", "copy_study", "get_all_study_summaries", "get_all_study_names"]

_logger = _hlogging.get_logger(__name__)

ObjectiveFuncType = Callable[[Trial], Union[float, Sequence[float]]]


class StudyDirection(enum.IntEnum):
    """Direction of an objective, numbered as Optuna numbers it."""

    NOT_SET = 0
    MINIMIZE = 1
    MAXIMIZE = 2


def _direction_code(direction: Any) -> int:
    if direction in ("minimize", StudyDirection.MINIMIZE):
        return 0
    if direction in ("maximize", StudyDirection.MAXIMIZE):
        return 1
    raise ValueError("Please set either 'minimize' or 'maximize' to direction. You can also "
                     "set the corresponding `StudyDirection` member.")


class _ThreadLocalStudyAttribute(threading.local):
    in_optimize_loop: bool = False


class Study(_core.Study):
    """A study: one optimization, its trials, sampler and pruner.

    Make one with :func:`create_study` or :func:`load_study`; ``Study(study_name,
    storage)`` loads an existing study, as in Optuna. The ask/tell interface::

        trial = study.ask()
        x = trial.suggest_float("x", -10, 10)
        study.tell(trial, (x - 2) ** 2)

    and the loop :meth:`optimize` are both available; a trial's heartbeat is kept in
    both cases.
    """

    def __init__(self, study_name: str, storage: Any,
                 sampler: Optional[_samplers.BaseSampler] = None,
                 pruner: Optional[_pruners.BasePruner] = None) -> None:
        spec = _storages._resolve(storage)
        if spec.memory is not None:
            raise KeyError("No such study {}: an in-memory study can only be loaded through "
                           "the InMemoryStorage object it was created with.".format(study_name))
        self._setup(spec, study_name, False, True, None, sampler, pruner)

    # -- construction -------------------------------------------------------------------
    def _setup(self, spec: "_storages._Spec", name: str, create: bool, load: bool,
               directions: Optional[List[int]], sampler: Optional[_samplers.BaseSampler],
               pruner: Optional[_pruners.BasePruner]) -> None:
        if sampler is None:  # the engine's default, reported as what it is
            sampler = _samplers.AutoSampler()
        sampler_spec = _samplers._spec_of(sampler)
        pruner = _pruners._check(pruner)
        # An InMemoryStorage holds its studies; a study holding it back would make a
        # cycle that keeps big studies alive until a garbage collection.
        self._storage_spec = spec._replace(memory=None)
        self._thread_local = _ThreadLocalStudyAttribute()
        # one read-append-write of the study's constraint keys at a time (n_jobs threads)
        self._constraint_keys_lock = threading.Lock()
        self._stop_flag = False
        self._open(spec.url, name, create, load, directions)
        self._directions = [StudyDirection.MAXIMIZE if c == 1 else StudyDirection.MINIMIZE
                            for c in self._direction_codes]
        if spec.memory is None and self._persistent:
            # grace first: the engine checks for stale trials at most every grace / 4
            self._set("heartbeat_grace", repr(float(spec.grace_period)))
            self._set("heartbeat_interval", repr(float(spec.heartbeat_interval)))
        if spec.retries:
            self._set("retries", str(spec.retries))
        self._install_sampler(sampler, sampler_spec)
        self._sampler = sampler
        self._install_pruner(pruner)
        self._pruner = pruner

    def _install_sampler(self, sampler: Optional[_samplers.BaseSampler],
                         spec: Optional[Any]) -> None:
        if spec is None:  # written in Python: the study calls its methods
            self._set_python_sampler(sampler)
        else:
            self._set_sampler(*spec)
        self._set_constraints_func(getattr(sampler, "_constraints_func", None)
                                   if spec is not None else None)
        # CmaEsSampler(warn_independent_sampling=True): told of each independent draw
        hook = getattr(sampler, "_independent_hook", None) if spec is not None else None
        self._set_independent_hook(hook() if hook is not None else None)
        # PartialFixedSampler over an engine sampler: ask() fixes the values
        self._fixed_by_sampler = (_json_dumps(sampler._fixed_params)
                                  if spec is not None and
                                  isinstance(sampler, _samplers.PartialFixedSampler) else None)

    def set_prior(self, name: str, *, center: Optional[float] = None,
                  scale: Optional[float] = None,
                  weights: Optional[Sequence[float]] = None) -> None:
        """Says what you believe about parameter `name` before any trial (not in Optuna).

        A number takes ``center`` and ``scale``: a normal truncated to the parameter's
        range, in its own scale -- for a ``log=True`` parameter, ``center`` in natural
        units and ``scale`` in decades (``scale=0.5``: half a factor of ten either way).
        A categorical takes ``weights``, one positive number per choice, in the order
        of the choices. Random and QMC samplers draw from the prior; GP, TPE and CMA-ES
        (and the default automatic sampler) weigh their choice by the prior, strongly
        at first and less with every finished trial (piBO), so a wrong prior costs a
        few trials. The prior belongs to this handle (it is not stored) and is checked
        against the distribution when the parameter is suggested: a center outside the
        range or a weight count that does not match raises ValueError there."""
        if weights is not None:
            if center is not None or scale is not None:
                raise ValueError("set_prior: give center and scale, or weights, not both")
            spec: Dict[str, Any] = {"weights": [float(w) for w in weights]}
        elif center is None or scale is None:
            raise ValueError("set_prior: needs center and scale (or weights)")
        else:
            spec = {"center": float(center), "scale": float(scale)}
        self._set_prior(name, _json_dumps(spec))

    def ask(self, fixed_distributions: Optional[Dict[str, Any]] = None) -> Trial:
        """A new trial (or the next enqueued one), RUNNING. Parameters in
        `fixed_distributions` are suggested from those distributions at once."""
        if self._fixed_by_sampler is None:
            return super().ask(fixed_distributions)
        trial = super().ask()
        trial._fix_params(self._fixed_by_sampler)
        for name, distribution in (fixed_distributions or {}).items():
            trial._suggest_distribution(name, distribution)
        return trial

    def _lay_out_constraints(self, trial: Trial) -> Optional[List[float]]:
        """Called by tell for a running trial whose record has set_constraint values, or
        whose study has keys: its vector in the study's key order
        (hpsearch/_constraints.py), the order recorded on the trial; None when neither
        has a key after all."""
        with self._constraint_keys_lock:
            laid_out = _constraints.tell_vector(self, trial.system_attrs)
        if laid_out is None:
            return None
        layout, vector = laid_out
        trial._set_system_attr(_constraints.LAYOUT, layout)
        return vector

    def _install_pruner(self, pruner: _pruners.BasePruner) -> None:
        spec = _pruners._spec_of(pruner)
        if spec is None:
            self._set_python_pruner(pruner)
        elif len(self.directions) > 1:
            # As Optuna: any pruner is accepted (its default is MedianPruner), and the
            # trials of such a study refuse report/should_prune -- except with the
            # pruners that rank several objectives (SuccessiveHalvingPruner,
            # HyperbandPruner: MOASHA), which take a sequence of values per step. The
            # engine refuses a one-objective rule up front, so it is given none to run.
            try:
                self._set_pruner(spec)
            except NotImplementedError:
                self._set_pruner(_pruners._spec_of(_pruners.NopPruner()))
        else:
            self._set_pruner(spec)

    @property
    def sampler(self) -> _samplers.BaseSampler:
        """The sampler. Assigning one replaces the engine's sampler."""
        return self._sampler

    @sampler.setter
    def sampler(self, sampler: _samplers.BaseSampler) -> None:
        self._install_sampler(sampler, _samplers._spec_of(sampler))
        self._sampler = sampler

    @property
    def pruner(self) -> _pruners.BasePruner:
        """The pruner."""
        return self._pruner

    @pruner.setter
    def pruner(self, pruner: _pruners.BasePruner) -> None:
        pruner = _pruners._check(pruner)
        self._install_pruner(pruner)
        self._pruner = pruner

    # -- pickling -----------------------------------------------------------------------
    def __reduce__(self) -> Tuple[Any, ...]:
        """A pickled in-memory study carries its trials (Optuna's FAQ saves a study so);
        a study in a database carries where it is, and opens it again when unpickled
        (so a study can travel to other processes, e.g. Dask workers)."""
        if self._persistent:
            return (_reopen_study, (self._storage_spec, self.study_name, self._sampler,
                                    self._pruner))
        return (_rebuild_memory_study, (self.study_name, self.directions, self.user_attrs,
                                        self.trials, self._sampler, self._pruner))

    # -- what the study holds -----------------------------------------------------------
    @property
    def directions(self) -> List[StudyDirection]:
        """The direction of each objective."""
        return list(self._directions)

    @property
    def direction(self) -> StudyDirection:
        """The direction of a single-objective study."""
        if len(self._directions) > 1:
            raise RuntimeError(
                "A single direction cannot be retrieved from a multi-objective study. Consider "
                "using Study.directions to retrieve a list containing all directions.")
        return self._directions[0]

    @property
    def best_trial(self) -> FrozenTrial:
        """The feasible COMPLETE trial with the best value (the lowest number among ties),
        as Optuna 4+ chooses it. ValueError when none is complete, or none of those is
        feasible."""
        if len(self._directions) > 1:
            raise RuntimeError(
                "A single best trial cannot be retrieved from a multi-objective study. Consider "
                "using Study.best_trials to retrieve a list containing the best trials.")
        try:
            return self._best()
        except ValueError:
            n_complete = self._count_states()[2]  # engine order: WAITING RUNNING COMPLETE ..
            if n_complete > 0:
                raise ValueError("No feasible trials are completed yet.") from None
            raise

    @property
    def best_params(self) -> Dict[str, Any]:
        """Parameters of the best trial."""
        return self.best_trial.params

    @property
    def best_value(self) -> float:
        """Value of the best trial."""
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def best_trials(self) -> List[FrozenTrial]:
        """The Pareto front: the feasible COMPLETE trials no other feasible COMPLETE
        trial dominates, by number (for one objective, every trial tied for the best
        value). Computed by the engine."""
        return self._best_trials()

    @property
    def trials(self) -> List[FrozenTrial]:
        """All trials, in number order (fresh copies)."""
        return self._trials()

    def get_trials(self, deepcopy: bool = True,
                   states: Optional[Container[TrialState]] = None) -> List[FrozenTrial]:
        """The trials in `states` (all when None), in number order. Every call returns
        new FrozenTrial objects, so `deepcopy` changes nothing."""
        return self._trials(_engine_mask(states))

    @property
    def user_attrs(self) -> Dict[str, Any]:
        """The study's user attributes."""
        return self._user_attrs()

    @property
    def system_attrs(self) -> Dict[str, Any]:
        """Empty: the engine keeps its study attributes to itself (deprecated in Optuna)."""
        return {}

    def set_system_attr(self, key: str, value: Any) -> None:
        """Not available: system attributes belong to the engine (use set_user_attr)."""
        raise NotImplementedError(
            "hpsearch keeps system attributes for the engine; use set_user_attr instead")

    # -- running trials -----------------------------------------------------------------
    def optimize(self, func: ObjectiveFuncType, n_trials: Optional[int] = None,
                 timeout: Optional[float] = None, n_jobs: int = 1,
                 catch: Union[Iterable[Type[Exception]], Type[Exception]] = (),
                 callbacks: Optional[List[Callable[["Study", FrozenTrial], None]]] = None,
                 gc_after_trial: bool = False, show_progress_bar: bool = False) -> None:
        """Runs `func(trial)` for `n_trials` trials (or until `timeout` seconds passed,
        :meth:`stop` is called, or a grid is exhausted).

        `func` returns the objective value (a sequence of values for several
        objectives). If it raises :class:`~hpsearch.TrialPruned` the trial is PRUNED; if
        it raises anything else the trial is FAIL (its system attribute ``fail_reason``
        holds the exception's last traceback line) and the exception propagates, unless
        its type is in `catch`. A NaN or non-number return is FAIL with a logged warning.
        With ``n_jobs > 1`` (``-1``: one per CPU), trials run in that many threads.
        `callbacks` are called as ``callback(study, frozen_trial)`` after each trial.

        With a pruner that pauses trials (``SuccessiveHalvingPruner(mode="promotion")``,
        ``HyperbandPruner(mode="promotion")``, ``ForecastPruner(mode="freeze-thaw")``) each call of `func` runs one slice: it may
        get a resumed trial (``trial.resume_step``), and ends the slice with
        ``trial.pause(trial.max_step)`` (the trial is then not told, and callbacks are
        not called for it). A `func` that returns a value from a trial whose slice had an
        end is warned about: it is never stopped early (docs/python.md).
        """
        _optimize(self, func, n_trials, timeout, n_jobs,
                  tuple(catch) if isinstance(catch, Iterable) else (catch,), callbacks,
                  gc_after_trial, show_progress_bar)

    def stop(self) -> None:
        """Stops :meth:`optimize` after the running trial(s). Call it from the objective
        or a callback."""
        if not self._thread_local.in_optimize_loop:
            raise RuntimeError("`Study.stop` is supposed to be invoked inside an objective "
                               "function or a callback.")
        self._stop_flag = True

    def enqueue_trial(self, params: Dict[str, Any], user_attrs: Optional[Dict[str, Any]] = None,
                      skip_if_exists: bool = False) -> None:
        """Queues a trial whose parameters are fixed: the next ``ask`` (of any worker)
        returns it and its suggest_* return these values. Parameters it does not fix are
        sampled as usual. With `skip_if_exists`, nothing is queued when a trial with the
        same parameters exists. `user_attrs` are set when this Study object asks it."""
        if skip_if_exists and self._should_skip_enqueue(params):
            _logger.info(f"Trial with params {params} already exists. Skipping enqueue.")
            return
        self._enqueue(_json_dumps(params), user_attrs)

    def add_trial(self, trial: FrozenTrial) -> None:
        """Adds a trial made elsewhere (:func:`~hpsearch.trial.create_trial`, another
        study's trial) as this study's next trial, with its state, values, parameters,
        intermediate values, attributes and times; no worker runs it (unless it is
        WAITING: then it is asked as an enqueued trial). The trial is validated first
        (ValueError, as Optuna); the engine also refuses values that do not fit the
        study's objectives. Samplers learn from added COMPLETE trials as from their own."""
        trial._validate()
        with self._constraint_keys_lock:
            system_attrs = _constraints.added_system_attrs(self, trial.system_attrs)
        self._add_trial(_trial_json(trial, system_attrs))

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        """:meth:`add_trial` for each trial, in order."""
        for trial in trials:
            self.add_trial(trial)

    def trials_dataframe(self, attrs: Tuple[str, ...] = ("number", "value", "datetime_start",
                                                         "datetime_complete", "duration",
                                                         "params", "user_attrs",
                                                         "system_attrs", "state"),
                         multi_index: bool = False) -> Any:
        """The trials as a pandas DataFrame, with Optuna's columns (``number``, ``value``,
        ``datetime_start``, ..., ``params_<name>``, ``state``). Needs pandas."""
        from ._dataframe import _trials_dataframe
        return _trials_dataframe(self, attrs, multi_index)

    # -- helpers ------------------------------------------------------------------------
    def _is_multi_objective(self) -> bool:
        return len(self._directions) > 1

    def _sampler_after_trial(self, sampler: _samplers.BaseSampler, trial: FrozenTrial,
                             state: TrialState, values: Optional[List[float]]) -> None:
        """A Python sampler's after_trial, called by tell before the trial is stored:
        a PRUNED trial's values are its last intermediate value, as Optuna's tell
        passes them (none when that is NaN or the study has several objectives)."""
        if state == TrialState.PRUNED:
            values = None
            last = trial.last_step
            if last is not None and len(self._directions) == 1:
                value = trial.intermediate_values[last]
                if not math.isnan(value):
                    values = [value]
        sampler.after_trial(self, trial, state, values)

    def _should_skip_enqueue(self, params: Dict[str, Any]) -> bool:
        for trial in self.get_trials(deepcopy=False):
            trial_params = trial.system_attrs.get("fixed_params", trial.params)
            if trial_params.keys() != params.keys():
                continue
            repeated = []
            for name, value in params.items():
                existing = trial_params[name]
                if not isinstance(value, type(existing)):
                    repeated.append(False)
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    repeated.append(math.isnan(float(value)) or
                                    abs(float(value) - float(existing)) <=
                                    1e-05 * abs(float(existing)))
                else:
                    repeated.append(value == existing)
            if all(repeated):
                return True
        return False

    def _log_completed_trial(self, trial: FrozenTrial) -> None:
        if not _logger.isEnabledFor(_hlogging.INFO):
            return
        if len(trial.values) > 1:
            _logger.info("Trial {} finished with values: {} and parameters: {}. ".format(
                trial.number, trial.values, trial.params))
            return
        message = "Trial {} finished with value: {} and parameters: {}.".format(
            trial.number, trial.values[0], trial.params)
        try:
            best = self.best_trial
            message += " Best is trial {} with value: {}.".format(best.number, best.value)
        except ValueError:  # none feasible yet: Optuna 4+ says nothing of a best
            pass
        _logger.info(message)

    def __repr__(self) -> str:
        return f"<hpsearch.Study {self.study_name!r}>"


def _json_default(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_json_dumps = functools.partial(json.dumps, allow_nan=False, default=_json_default)


def _number_json(x: float) -> Any:
    """A float for the engine's JSON, which writes non-finite numbers as strings."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def _engine_distribution(dist: Any) -> Dict[str, Any]:
    """A distribution in the engine's JSON form (hps_dist_to_json)."""
    if isinstance(dist, CategoricalDistribution):
        return {"type": "categorical", "choices": list(dist.choices)}
    if isinstance(dist, IntDistribution):
        return {"type": "int", "low": dist.low, "high": dist.high, "step": dist.step,
                "log": dist.log}
    out = {"type": "float", "low": dist.low, "high": dist.high, "log": dist.log}
    if dist.step is not None:
        out["step"] = dist.step
    return out


def _timestamp(when: Optional[datetime.datetime]) -> Optional[float]:
    return when.timestamp() if when is not None else None


def _trial_json(trial: FrozenTrial, system_attrs: Dict[str, Any]) -> str:
    """A FrozenTrial (with `system_attrs` for its own) as hps_study_add_trial reads it."""
    dists = trial.distributions
    doc: Dict[str, Any] = {
        "state": trial.state.name,
        "params": [{"name": name, "distribution": _engine_distribution(dists[name]),
                    "value": float(value) if isinstance(dists[name], FloatDistribution)
                    else value}
                   for name, value in trial.params.items()],
        "intermediate_values": {str(step): _number_json(v)
                                for step, v in trial.intermediate_values.items()},
        "user_attrs": trial.user_attrs,
        "system_attrs": system_attrs,
        "datetime_start": _timestamp(trial.datetime_start),
        "datetime_complete": _timestamp(trial.datetime_complete),
    }
    if trial.values is not None:
        doc["values"] = [_number_json(v) for v in trial.values]
    return _json_dumps(doc)


# ---- optimize ---------------------------------------------------------------------------

class _ProgressBar:
    def __init__(self, show: bool, n_trials: Optional[int]) -> None:
        self._bar = None
        if not show:
            return
        try:
            import tqdm
        except ImportError:
            warnings.warn("show_progress_bar needs the tqdm package; running without it")
            return
        self._bar = tqdm.tqdm(total=n_trials)

    def update(self, study: Study) -> None:
        if self._bar is None:
            return
        self._bar.update(1)
        try:
            best = study.best_trial
            self._bar.set_description(f"Best trial: {best.number}. Best value: {best.value:.6g}")
        except (ValueError, RuntimeError):
            pass

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _optimize(study: Study, func: ObjectiveFuncType, n_trials: Optional[int],
              timeout: Optional[float], n_jobs: int, catch: Tuple[Type[Exception], ...],
              callbacks: Optional[List[Callable[[Study, FrozenTrial], None]]],
              gc_after_trial: bool, show_progress_bar: bool) -> None:
    if not isinstance(catch, tuple):
        raise TypeError(
            "The catch argument is of type '{}' but must be a tuple.".format(type(catch).__name__))
    if study._thread_local.in_optimize_loop:
        raise RuntimeError("Nested invocation of `Study.optimize` method isn't allowed.")
    if show_progress_bar and n_trials is None and timeout is not None and n_jobs != 1:
        warnings.warn("The timeout-based progress bar is not supported with n_jobs != 1.")
        show_progress_bar = False
    progress = _ProgressBar(show_progress_bar, n_trials)
    study._stop_flag = False
    # The engine's strategies plan with a budget (AutoSampler's choice, the priors'
    # weight): the study will hold its trials so far plus n_trials. A hint only, never a
    # limit (Optuna runs n_trials more per call, whatever the study holds), and only for
    # this call: a later ask() or optimize(timeout=...) has none. Optuna runs
    # n_trials=float("inf") or beyond 2**64 too: those plan with no hint.
    if n_trials is not None and n_trials > 0 and math.isfinite(n_trials):
        hint = study._n_trials() + int(n_trials)
        if hint < 2**64:
            study._set("budget_hint", str(hint))
    try:
        if n_jobs == 1:
            _optimize_sequential(study, func, n_trials, timeout, catch, callbacks,
                                 gc_after_trial, None, progress)
            return
        if n_jobs == -1:
            n_jobs = os.cpu_count() or 1
        if n_jobs < 1:
            raise ValueError(f"n_jobs must be a positive integer or -1, got {n_jobs}")
        time_start = datetime.datetime.now()
        futures: Set[Future] = set()
        with ThreadPoolExecutor(max_workers=n_jobs) as executor:
            for n_submitted in itertools.count():
                if study._stop_flag:
                    break
                if timeout is not None and (
                        datetime.datetime.now() - time_start).total_seconds() > timeout:
                    break
                if n_trials is not None and n_submitted >= n_trials:
                    break
                if len(futures) >= n_jobs:
                    completed, futures = wait(futures, return_when=FIRST_COMPLETED)
                    for f in completed:
                        f.result()
                futures.add(executor.submit(_optimize_sequential, study, func, 1, timeout,
                                            catch, callbacks, gc_after_trial, time_start,
                                            progress, True))
            for f in futures:
                f.result()
    finally:
        study._thread_local.in_optimize_loop = False
        progress.close()
        if n_trials is not None and n_trials > 0:
            study._set("budget_hint", "0")


def _optimize_sequential(study: Study, func: ObjectiveFuncType, n_trials: Optional[int],
                         timeout: Optional[float], catch: Tuple[Type[Exception], ...],
                         callbacks: Optional[List[Callable[[Study, FrozenTrial], None]]],
                         gc_after_trial: bool, time_start: Optional[datetime.datetime],
                         progress: _ProgressBar, reseed_sampler_rng: bool = False) -> None:
    # Thread-local: with n_jobs each worker thread runs this.
    study._thread_local.in_optimize_loop = True
    if reseed_sampler_rng:  # as Optuna: threads sharing a sampler must not draw alike
        study.sampler.reseed_rng()
    if time_start is None:
        time_start = datetime.datetime.now()
    i_trial = 0
    while not study._stop_flag:
        if n_trials is not None:
            if i_trial >= n_trials:
                break
            i_trial += 1
        if timeout is not None and (
                datetime.datetime.now() - time_start).total_seconds() >= timeout:
            break
        try:
            frozen = _run_trial(study, func, catch)
        finally:
            if gc_after_trial:
                gc.collect()
        if frozen is None:  # nothing left to ask: the grid is exhausted
            study._stop_flag = True
            break
        # a paused slice (it reads RUNNING) has not finished the trial: callbacks see
        # finished trials, as in Optuna
        if callbacks is not None and frozen.state != TrialState.RUNNING:
            for callback in callbacks:
                callback(study, frozen)
        progress.update(study)


def _is_pruned(exc: BaseException) -> bool:
    # Also Optuna's own TrialPruned, raised by code written against Optuna.
    return isinstance(exc, TrialPruned) or type(exc).__name__ == "TrialPruned"


# The objective returned a value from a trial whose slice had an end (trial.max_step):
# under a pruner that pauses trials nothing else ever stops it early. Once per call site,
# as warnings go: the message names no trial.
_RAN_PAST_SLICE = (
    "optimize: the objective returned a value from a trial whose slice ends at "
    "trial.max_step, without pausing it; the study's pruner ({}) pauses trials at the end "
    "of each slice instead of pruning them, so this objective is never stopped early. Train "
    "up to trial.max_step, save a checkpoint and call trial.pause(trial.max_step) (a later "
    "trial of optimize resumes it from trial.resume_step), or use a pruner that stops trials, "
    "e.g. SuccessiveHalvingPruner()")


def _run_trial(study: Study, func: ObjectiveFuncType,
               catch: Tuple[Type[Exception], ...]) -> Optional[FrozenTrial]:
    try:
        trial = study.ask()
    except StudyDone:
        return None
    state: Optional[TrialState] = None
    value: Any = None
    func_err: Optional[BaseException] = None
    exc_info: Any = None
    reason: Optional[str] = None
    # A pruner that pauses trials ends each slice at trial.max_step (None: no end)
    slice_end = trial.max_step if study._full_step() is not None else None
    try:
        value = func(trial)
    except (Exception, KeyboardInterrupt) as e:
        func_err = e
        if _is_pruned(e):
            state = TrialState.PRUNED
        else:
            state = TrialState.FAIL
            exc_info = sys.exc_info()
            reason = traceback.format_exception_only(type(e), e)[-1].strip()
    if trial._paused:  # the objective ended its slice: a later ask resumes the trial
        frozen = trial._record()
        del trial
        if func_err is not None and (isinstance(func_err, KeyboardInterrupt) or (
                state == TrialState.FAIL and not isinstance(func_err, catch))):
            raise func_err
        _logger.info("Trial {} paused at step {}.".format(
            frozen.number, frozen.system_attrs.get("paused_step")))
        return frozen
    if slice_end is not None and state is None:
        warnings.warn(_RAN_PAST_SLICE.format(type(study.pruner).__name__), stacklevel=4)
    frozen = study.tell(trial, None if state is not None else value, state,
                        _fail_reason=reason, _interrupted=isinstance(func_err, KeyboardInterrupt),
                        _warn=False)
    del trial  # releases the engine's handle now
    if frozen.state == TrialState.COMPLETE:
        study._log_completed_trial(frozen)
    elif frozen.state == TrialState.PRUNED:
        _logger.info("Trial {} pruned. {}".format(frozen.number, str(func_err)))
    elif frozen.state == TrialState.FAIL:
        message = repr(func_err) if func_err is not None else frozen.system_attrs.get(
            "fail_reason", "")
        _logger.warning("Trial {} failed with parameters: {} because of the following error: "
                        "{}.".format(frozen.number, frozen.params, message), exc_info=exc_info)
        _logger.warning("Trial {} failed with value {}.".format(frozen.number, repr(value)))
    # Ctrl-C stops optimize whatever became of the trial (a resumed one pauses again)
    if func_err is not None and (isinstance(func_err, KeyboardInterrupt) or (
            frozen.state == TrialState.FAIL and not isinstance(func_err, catch))):
        raise func_err
    return frozen


# ---- summaries ---------------------------------------------------------------------------

class StudySummary:
    """What :func:`get_all_study_summaries` reports of a study: name, direction(s), best
    trial, user attributes, number of trials and when its first trial started."""

    def __init__(self, study_name: str, direction: Optional[StudyDirection],
                 best_trial: Optional[FrozenTrial], user_attrs: Dict[str, Any],
                 system_attrs: Dict[str, Any], n_trials: int,
                 datetime_start: Optional[datetime.datetime], study_id: int, *,
                 directions: Optional[Sequence[StudyDirection]] = None) -> None:
        self.study_name = study_name
        if direction is None and directions is None:
            raise ValueError("Specify one of `direction` and `directions`.")
        if directions is not None:
            self._directions = list(directions)
        else:
            assert direction is not None
            self._directions = [direction]
        self.best_trial = best_trial
        self.user_attrs = user_attrs
        self._system_attrs = system_attrs
        self.n_trials = n_trials
        self.datetime_start = datetime_start
        self._study_id = study_id

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, StudySummary):
            return NotImplemented
        return other.__dict__ == self.__dict__

    def __lt__(self, other: Any) -> bool:
        if not isinstance(other, StudySummary):
            return NotImplemented
        return self._study_id < other._study_id

    def __le__(self, other: Any) -> bool:
        if not isinstance(other, StudySummary):
            return NotImplemented
        return self._study_id <= other._study_id

    @property
    def direction(self) -> StudyDirection:
        """The direction of a single-objective study."""
        if len(self._directions) > 1:
            raise RuntimeError("This attribute is not available during multi-objective "
                               "optimization.")
        return self._directions[0]

    @property
    def directions(self) -> Sequence[StudyDirection]:
        """The direction of each objective."""
        return self._directions

    @property
    def system_attrs(self) -> Dict[str, Any]:
        """Empty (deprecated in Optuna)."""
        return self._system_attrs

    def __repr__(self) -> str:
        return (f"StudySummary(study_name={self.study_name!r}, n_trials={self.n_trials}, "
                f"directions={self._directions!r})")


def _summary(study: _core.Study, index: int, include_best_trial: bool) -> StudySummary:
    directions = [StudyDirection.MAXIMIZE if c == 1 else StudyDirection.MINIMIZE
                  for c in study._direction_codes]
    trials = study._trials()
    best = None
    if include_best_trial and len(directions) == 1:
        try:
            best = study._best()
        except ValueError:
            best = None
    starts = [t.datetime_start for t in trials if t.datetime_start is not None]
    return StudySummary(study.study_name, directions[0] if len(directions) == 1 else None,
                        best, study._user_attrs(), {}, len(trials),
                        min(starts) if starts else None, index,
                        directions=directions if len(directions) > 1 else None)


def _list_studies(url: str) -> List[Dict[str, Any]]:
    """The studies the engine lists. A storage without an hpsearch database yet holds none
    (Optuna would create the database to say so; the engine never creates one to read)."""
    try:
        return json.loads(_core.list_studies(url))
    except KeyError:
        return []


def get_all_study_summaries(storage: Any, include_best_trial: bool = True) -> List[StudySummary]:
    """A summary of each study in `storage`, in creation order."""
    spec = _storages._resolve(storage)
    if spec.memory is not None:
        return [_summary(s, i, include_best_trial)
                for i, s in enumerate(spec.memory._studies.values())]
    summaries = []
    for i, entry in enumerate(_list_studies(spec.url)):
        handle = _core.Study()
        try:
            handle._open(spec.url, entry["name"], False, True)
        except KeyError:  # deleted meanwhile
            continue
        summaries.append(_summary(handle, i, include_best_trial))
    return summaries


def get_all_study_names(storage: Any) -> List[str]:
    """The names of the studies in `storage`."""
    spec = _storages._resolve(storage)
    if spec.memory is not None:
        return list(spec.memory._studies)
    return [entry["name"] for entry in _list_studies(spec.url)]


# ---- create, load, delete ---------------------------------------------------------------

def _positional_compat(names: List[str]) -> Callable:
    """Optuna 3 made these functions keyword-only but still takes the old positional
    form, with a FutureWarning; so does hpsearch."""

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if args:
                warnings.warn(f"{func.__name__}(): Please give all values as keyword "
                              "arguments. See https://github.com/optuna/optuna/issues/3324 "
                              "for details.", FutureWarning, stacklevel=2)
                if len(args) > len(names):
                    raise TypeError(f"{func.__name__}() takes {len(names)} positional "
                                    f"arguments but {len(args)} were given.")
                for name, value in zip(names, args):
                    if name in kwargs:
                        raise TypeError(f"{func.__name__}() got multiple values for argument "
                                        f"'{name}'.")
                    kwargs[name] = value
            return func(**kwargs)
        return wrapper
    return decorator


@_positional_compat(["storage", "sampler", "pruner", "study_name", "direction",
                     "load_if_exists"])
def create_study(*, storage: Any = None, sampler: Optional[_samplers.BaseSampler] = None,
                 pruner: Optional[_pruners.BasePruner] = None, study_name: Optional[str] = None,
                 direction: Optional[Union[str, StudyDirection]] = None,
                 load_if_exists: bool = False,
                 directions: Optional[Sequence[Union[str, StudyDirection]]] = None) -> Study:
    """Creates a study (or, with `load_if_exists`, opens the existing one of that name).

    `storage`: None (in memory), ``"sqlite:PATH"``, ``"sqlite:///PATH"``, or an
    RDBStorage / InMemoryStorage. `direction`: ``"minimize"`` (default) or
    ``"maximize"``; `directions` for several objectives. `sampler` defaults to
    AutoSampler, `pruner` to MedianPruner (Optuna's default). A study name already taken raises
    DuplicatedStudyError; without a name, a unique one is made up.
    """
    if direction is None and directions is None:
        directions = ["minimize"]
    elif direction is not None and directions is not None:
        raise ValueError("Specify only one of `direction` and `directions`.")
    elif direction is not None:
        directions = [direction]
    directions = list(directions)  # type: ignore[arg-type]
    if len(directions) < 1:
        raise ValueError("The number of objectives must be greater than 0.")
    codes = [_direction_code(d) for d in directions]
    spec = _storages._resolve(storage)
    if study_name is None:
        study_name = "no-name-" + str(uuid.uuid4())
    if spec.memory is not None and study_name in spec.memory._studies:
        existing = spec.memory._add(spec.memory._studies[study_name], load_if_exists)
        _log_existing(study_name)
        if sampler is not None:
            existing.sampler = sampler
        if pruner is not None:
            existing.pruner = pruner
        return existing
    study = Study.__new__(Study)
    try:  # create only first, as Optuna: the log says which happened
        study._setup(spec, study_name, True, False, codes, sampler, pruner)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise DuplicatedStudyError(_duplicated_study_message(study_name)) from None
        _log_existing(study_name)
        study._setup(spec, study_name, True, True, codes, sampler, pruner)
        return study
    if spec.memory is not None:
        spec.memory._add(study, load_if_exists)
        _logger.info("A new study created in memory with name: {}".format(study_name))
    else:
        _logger.info("A new study created in RDB with name: {}".format(study_name))
    return study


def _reopen_study(spec: "_storages._Spec", name: str, sampler: Any, pruner: Any) -> Study:
    study = Study.__new__(Study)
    study._setup(spec, name, False, True, None, sampler, pruner)
    return study


def _rebuild_memory_study(name: str, directions: List[StudyDirection],
                          user_attrs: Dict[str, Any], trials: List[FrozenTrial], sampler: Any,
                          pruner: Any) -> Study:
    """An unpickled in-memory study: a new one in a storage of its own, holding the same
    trials under the same numbers (RUNNING ones stay RUNNING, as Optuna's do)."""
    storage = _storages.InMemoryStorage()
    study = Study.__new__(Study)
    study._setup(_storages._resolve(storage), name, True, False,
                 [_direction_code(d) for d in directions], sampler, pruner)
    storage._add(study, False)
    for key, value in user_attrs.items():
        study.set_user_attr(key, value)
    study.add_trials(trials)
    return study


def _log_existing(study_name: str) -> None:
    _logger.info("Using an existing study with name '{}' instead of creating a new "
                 "one.".format(study_name))


@_positional_compat(["study_name", "storage", "sampler", "pruner"])
def load_study(*, study_name: Optional[str], storage: Any,
               sampler: Optional[_samplers.BaseSampler] = None,
               pruner: Optional[_pruners.BasePruner] = None) -> Study:
    """Opens an existing study; KeyError when there is none of that name. Without a
    name, the storage must hold exactly one study."""
    if study_name is None:
        names = get_all_study_names(storage)
        if len(names) != 1:
            raise ValueError(
                f"Could not determine the study name since the storage {storage} does not "
                "contain exactly 1 study. Specify `study_name`.")
        study_name = names[0]
    spec = _storages._resolve(storage)
    if spec.memory is not None:
        study = spec.memory._get(study_name)
        if sampler is not None:
            study.sampler = sampler
        if pruner is not None:
            study.pruner = pruner
        return study
    study = Study.__new__(Study)
    study._setup(spec, study_name, False, True, None, sampler, pruner)
    return study


@_positional_compat(["study_name", "storage"])
def delete_study(*, study_name: str, storage: Any) -> None:
    """Deletes a study and all its trials; KeyError when it does not exist."""
    spec = _storages._resolve(storage)
    if spec.memory is not None:
        spec.memory._delete(study_name)
        return
    _core.delete_study(spec.url, study_name)


@_positional_compat(["from_study_name", "from_storage", "to_storage", "to_study_name"])
def copy_study(*, from_study_name: str, from_storage: Any, to_storage: Any,
               to_study_name: Optional[str] = None) -> None:
    """Copies a study (directions, user attributes, the study's artifact records, every
    trial as it is, running ones too) to `to_storage` under `to_study_name` (default:
    the same name).
    DuplicatedStudyError when that name is taken there."""
    from_study = load_study(study_name=from_study_name, storage=from_storage)
    to_study = create_study(study_name=to_study_name or from_study_name, storage=to_storage,
                            directions=from_study.directions, load_if_exists=False)
    for key, value in from_study.user_attrs.items():
        to_study.set_user_attr(key, value)
    for key, value in from_study._system_attrs().items():
        if key.startswith("artifacts:"):  # the study's artifact records, not the engine's own
            to_study._set_system_attr(key, value)
    to_study.add_trials(from_study.get_trials(deepcopy=False))


class MaxTrialsCallback:
    """Stops ``optimize`` once the study holds `n_trials` trials in `states` (all
    workers together). Pass it in ``callbacks``."""

    def __init__(self, n_trials: int,
                 states: Optional[Container[TrialState]] = (TrialState.COMPLETE,)) -> None:
        self._n_trials = n_trials
        self._states = states

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        counts = study._count_states()  # engine order: WAITING RUNNING COMPLETE PRUNED FAIL
        from .trial import _ENGINE_STATES
        n = sum(c for c, s in zip(counts, _ENGINE_STATES)
                if self._states is None or s in self._states)
        if n >= self._n_trials:
            study.stop()

