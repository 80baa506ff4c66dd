"""Samplers, as in ``optuna.samplers``: what decides a trial's parameter values.

Each sampler here is a description the C engine turns into its own sampler when a study
opens; the sampling itself runs in C. Available: :class:`AutoSampler` (the default: it
picks the strategy per trial and records it in ``trial.system_attrs["sampler"]``),
:class:`GPSampler` (Bayesian optimization), :class:`TPESampler`, :class:`CmaEsSampler`,
:class:`NSGAIISampler` (the genetic algorithm, with the crossovers of
:mod:`hpsearch.samplers.nsgaii`, Optuna's six), :class:`NSGAIIISampler` (the same
with reference points, for many objectives), :class:`RandomSampler`,
:class:`GridSampler` and :class:`QMCSampler` (Sobol); :class:`BruteForceSampler` and
:class:`PartialFixedSampler` as Optuna 3.1 has them.

A sampler written in Python subclasses :class:`BaseSampler` as it would Optuna's; the
study then calls its methods when and as Optuna calls them (docs/python.md, "Writing a
sampler or pruner"). :class:`IntersectionSearchSpace` and
:func:`intersection_search_space` compute the usual relative search space.
The engine's own description of each -- every option with its default and range -- is
``hpsearch samplers`` (the C library's hps_sampler_catalog); the test suite checks that
these classes cover it and default as it does.
"""
import abc
import decimal
import json
import math
import random
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from .. import logging as _hlogging
from ..distributions import (BaseDistribution, CategoricalDistribution, FloatDistribution,
                            IntDistribution)
from ..exceptions import ExperimentalWarning, _warn_experimental
from ..search_space import IntersectionSearchSpace, _intersection_of_study
from ..trial import TrialState
from . import nsgaii
from .nsgaii import BLXAlphaCrossover, SBXCrossover, UniformCrossover

__all__ = ["BaseSampler", "AutoSampler", "GPSampler", "TPESampler", "CmaEsSampler",
           "NSGAIISampler", "NSGAIIISampler", "UniformCrossover", "SBXCrossover",
           "BLXAlphaCrossover", "RandomSampler", "GridSampler", "QMCSampler", "BruteForceSampler",
           "PartialFixedSampler", "IntersectionSearchSpace", "intersection_search_space"]

_logger = _hlogging.get_logger(__name__)

GridValueType = Union[str, float, int, bool, None]

# name, options, grid
_EngineSpec = Tuple[str, Dict[str, str], Optional[List[Tuple[str, List[Any]]]]]


def _seed_option(seed: Optional[int]) -> Dict[str, str]:
    if seed is None:
        return {}
    if isinstance(seed, bool) or not isinstance(seed, int):
        try:
            seed = int(seed.__index__())  # numpy integers
        except AttributeError:
            raise TypeError(f"seed must be an int or None, not {type(seed).__name__}") from None
    if not 0 <= seed < 2**64:
        raise ValueError(f"seed must be in [0, 2**64), got {seed}")
    return {"seed": str(seed)}


class BaseSampler(abc.ABC):
    """Base class of samplers, Optuna's: subclass it to write one in Python.

    When a trial starts (``Study.ask``, and so in ``optimize``), the study calls
    :meth:`before_trial`, then :meth:`infer_relative_search_space` and
    :meth:`sample_relative` with the trial as a FrozenTrial (RUNNING). A parameter the
    objective suggests is then taken from the relative sample when that has it (and the
    suggested distribution is compatible and contains the value), else drawn by
    :meth:`sample_independent`; enqueued values and single-valued distributions are
    used without asking. When the trial is told, :meth:`after_trial` runs before its
    state is stored. The sampler's methods may read and write the study.
    """

    def __str__(self) -> str:
        return self.__class__.__name__

    @abc.abstractmethod
    def infer_relative_search_space(self, study: Any,
                                    trial: Any) -> Dict[str, BaseDistribution]:
        """The parameters to sample jointly in `trial`: {name: distribution}."""
        raise NotImplementedError

    @abc.abstractmethod
    def sample_relative(self, study: Any, trial: Any,
                        search_space: Dict[str, BaseDistribution]) -> Dict[str, Any]:
        """Values for (some of) the parameters of `search_space`: {name: value}. The
        ones left out are drawn by sample_independent when suggested."""
        raise NotImplementedError

    @abc.abstractmethod
    def sample_independent(self, study: Any, trial: Any, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        """A value of `param_distribution` for parameter `param_name` of `trial`."""
        raise NotImplementedError

    def before_trial(self, study: Any, trial: Any) -> None:
        """Called when `trial` starts, before infer_relative_search_space (newer
        Optuna's hook; Optuna 3.1 has none)."""

    def after_trial(self, study: Any, trial: Any, state: Any,
                    values: Optional[Sequence[float]]) -> None:
        """Called when `trial` (still RUNNING) is told, before its `state` and `values`
        are stored; they are stored even when this raises."""

    def reseed_rng(self) -> None:
        """Gives the sampler's random generator a new seed; ``optimize(n_jobs > 1)``
        calls it before each trial, as Optuna does."""

    def _raise_error_if_multi_objective(self, study: Any) -> None:
        if study._is_multi_objective():
            raise ValueError("If the study is being used for multi-objective optimization, "
                             f"{self.__class__.__name__} cannot be used.")


class _EngineSampler(BaseSampler):
    """A sampler that runs inside the C engine: the study hands the engine its
    description (``_engine_spec``), and its methods cannot be called from Python."""

    def _engine_spec(self) -> _EngineSpec:
        raise NotImplementedError

    def _runs_in_engine(self, method: str) -> NotImplementedError:
        return NotImplementedError(
            f"{self.__class__.__name__} runs inside hpsearch's C engine: its {method} cannot "
            "be called from Python (RandomSampler's can)")

    def infer_relative_search_space(self, study: Any,
                                    trial: Any) -> Dict[str, BaseDistribution]:
        raise self._runs_in_engine("infer_relative_search_space")

    def sample_relative(self, study: Any, trial: Any,
                        search_space: Dict[str, BaseDistribution]) -> Dict[str, Any]:
        raise self._runs_in_engine("sample_relative")

    def sample_independent(self, study: Any, trial: Any, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        raise self._runs_in_engine("sample_independent")

    def reseed_rng(self) -> None:
        """Nothing to do: a seeded engine sampler's suggestions depend only on the seed,
        the trial number and the parameter."""

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class RandomSampler(_EngineSampler):
    """Independent uniform sampling (log-uniform for ``log=True``).

    With a `seed`, trial *n* gets the same values in every run and on every worker.
    Its :meth:`sample_independent` also works from Python, for samplers written in
    Python that fall back on it (as OptunaHub's do).
    """

    def __init__(self, seed: Optional[int] = None) -> None:
        self._options = _seed_option(seed)
        self._seed = seed
        self._rng = random.Random(seed)

    def _engine_spec(self) -> _EngineSpec:
        return ("random", dict(self._options), None)

    def reseed_rng(self) -> None:
        """A new seed from the OS for the Python-side draws of sample_independent."""
        self._rng.seed()

    def infer_relative_search_space(self, study: Any,
                                    trial: Any) -> Dict[str, BaseDistribution]:
        return {}

    def sample_relative(self, study: Any, trial: Any,
                        search_space: Dict[str, BaseDistribution]) -> Dict[str, Any]:
        return {}

    def sample_independent(self, study: Any, trial: Any, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        """A uniform draw, as Optuna's RandomSampler makes it: log-uniform for log
        distributions, a step grid widened by half a step at each end and rounded."""
        return _uniform_draw(self._rng, param_distribution)

    def __repr__(self) -> str:
        return f"RandomSampler(seed={self._seed!r})"


class GridSampler(_EngineSampler):
    """Every combination of the values in `search_space`, each exactly once across all
    workers of the study, in a random order (fixed by `seed`).

    ``Study.optimize`` stops when the grid is exhausted; ``Study.ask`` then raises
    :class:`hpsearch.exceptions.StudyDone`. Each suggested parameter must be in the grid,
    and each grid value must lie in the distribution it is suggested from. Values are
    str, int, float or bool (the engine stores no ``None``).
    """

    def __init__(self, search_space: Mapping[str, Sequence[GridValueType]],
                 seed: Optional[int] = None) -> None:
        for name, values in search_space.items():
            for value in values:
                if value is not None and not isinstance(value, (str, int, float, bool)):
                    warnings.warn(
                        "{} contains a value with the type of {}, which is not supported by "
                        "`GridSampler`. Please make sure a value is `str`, `int`, `float` or "
                        "`bool`.".format(name, type(value)))
        # Sorted like Optuna, so that every worker builds the same grid.
        self._search_space = {name: list(search_space[name]) for name in sorted(search_space)}
        self._options = {"shuffle": "true", **_seed_option(seed)}
        self._seed = seed
        n = 1
        for values in self._search_space.values():
            n *= len(values)
        self._n_min_trials = n if self._search_space else 0

    def _engine_spec(self) -> _EngineSpec:
        return ("grid", dict(self._options), list(self._search_space.items()))

    def __repr__(self) -> str:
        return f"GridSampler({self._search_space!r}, seed={self._seed!r})"


class QMCSampler(_EngineSampler):
    """A scrambled Sobol sequence (Joe-Kuo directions): low-discrepancy points, one
    dimension per parameter in the order a trial suggests them.

    ``qmc_type="halton"`` is not available. Unlike Optuna 3.1 (scramble=False),
    scrambling is on by default; pass ``scramble=False`` for the plain sequence.
    """

    def __init__(self, *, qmc_type: str = "sobol", scramble: bool = True,
                 seed: Optional[int] = None, independent_sampler: Optional[BaseSampler] = None,
                 warn_asynchronous_seeding: bool = True,
                 warn_independent_sampling: bool = True) -> None:
        if qmc_type == "halton":
            raise NotImplementedError(
                "hpsearch has no Halton sequence; use QMCSampler(qmc_type=\"sobol\")")
        if qmc_type != "sobol":
            raise ValueError(f'The `qmc_type`, "{qmc_type}", is not a valid. '
                             'It must be one of "halton" and "sobol".')
        if independent_sampler is not None:
            warnings.warn("QMCSampler ignores independent_sampler: the Sobol sequence covers "
                          "every parameter, in the order they are suggested")
        self._options = {"scramble": "true" if scramble else "false", **_seed_option(seed)}
        self._seed = seed
        self._scramble = scramble

    def _engine_spec(self) -> _EngineSpec:
        return ("sobol", dict(self._options), None)

    def __repr__(self) -> str:
        return f"QMCSampler(scramble={self._scramble!r}, seed={self._seed!r})"


ConstraintsFuncType = Callable[[Any], Sequence[float]]


def _check_constraints_func(func: Optional[ConstraintsFuncType], sampler: str,
                            deprecated: bool = True) -> Optional[ConstraintsFuncType]:
    """`func` checked; with `deprecated`, Optuna 5's FutureWarning for it (TPESampler,
    GPSampler, NSGAIISampler and NSGAIIISampler warn so in optuna/samplers; OptunaHub's
    AutoSampler is not Optuna's and does not)."""
    if func is not None and not callable(func):
        raise TypeError(f"{sampler}: constraints_func must be callable, "
                        f"not {type(func).__name__}")
    if func is not None and deprecated:
        warnings.warn("`constraints_func` has been deprecated in v5.0.0. This feature will be "
                      "removed in v7.0.0. See https://github.com/optuna/optuna/releases/tag/"
                      "v5.0.0. Use `hpsearch.trial.Trial.set_constraint` instead.",
                      FutureWarning, stacklevel=3)
    return func


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _unsupported(name: str, value: Any, default: Any, sampler: str) -> None:
    if value is not default and value != default:
        raise NotImplementedError(f"{sampler}: {name}={value!r} is not supported by hpsearch")


class AutoSampler(_EngineSampler):
    """Chooses the search strategy for each trial from the space, the budget and what
    the study has seen: Sobol points to start, the Gaussian-process sampler for spaces of
    up to 20 parameters (on hpsearch's benchmark it matched or beat TPE there,
    categorical-heavy spaces included), TPE beyond, CMA-ES for long continuous runs;
    for several objectives or with constraints the GP (a model per objective and per
    constraint) for the first 100 trials, then TPE (MOTPE): on bench/multiobjective.py
    the GP led TPE at 50 and 100 trials, and TPE led NSGA-II up to 400;
    the GP too once finished trials differ in their parameters (a conditional space): it
    models each branch's own parameters and searches the branches one by one
    (bench/conditional.md).
    Each trial records the strategy that drew it in ``system_attrs["sampler"]``. The
    default sampler of a study.

    `constraints_func` is TPESampler's (OptunaHub's AutoSampler has it too)."""

    def __init__(self, seed: Optional[int] = None,
                 constraints_func: Optional[ConstraintsFuncType] = None) -> None:
        self._options = _seed_option(seed)
        self._seed = seed
        self._constraints_func = _check_constraints_func(constraints_func, "AutoSampler",
                                                         deprecated=False)

    def _engine_spec(self) -> _EngineSpec:
        return ("auto", dict(self._options), None)

    def __repr__(self) -> str:
        return f"AutoSampler(seed={self._seed!r})"


class GPSampler(_EngineSampler):
    """Bayesian optimization with a Gaussian process (Matern-5/2 kernel with one
    lengthscale per parameter, hyperparameters fitted by maximum a posteriori), log
    expected improvement optimized by quasi-random candidates and L-BFGS, trials still
    running fantasized so parallel workers get distinct points. As the newest Optuna's
    GPSampler: ``n_startup_trials`` Sobol points first ("auto" ties them to the number of
    parameters), ``deterministic_objective`` drops the noise term. ``input_warping``
    (hpsearch's own) fits a monotone warp of each numeric parameter with the model, for
    parameters whose effect is crowded into one end of their range.

    Several objectives: one GP per objective and log expected hypervolume improvement.
    `constraints_func` is TPESampler's (Optuna's GPSampler has it since 4.2): one GP per
    constraint, whose probability of feasibility multiplies the acquisition (and alone
    leads the search until a trial is feasible)."""

    def __init__(self, *, seed: Optional[int] = None, independent_sampler: Any = None,
                 n_startup_trials: Union[int, str] = "auto",
                 deterministic_objective: bool = False,
                 constraints_func: Optional[ConstraintsFuncType] = None,
                 input_warping: bool = True) -> None:
        self._constraints_func = _check_constraints_func(constraints_func, "GPSampler")
        if independent_sampler is not None:
            warnings.warn("GPSampler ignores independent_sampler: parameters outside the "
                          "modelled space are drawn at random")
        if n_startup_trials != "auto" and (isinstance(n_startup_trials, bool) or
                                           not isinstance(n_startup_trials, int) or
                                           n_startup_trials < 0):
            raise ValueError(f"n_startup_trials must be 'auto' or an int >= 0, "
                             f"got {n_startup_trials!r}")
        self._options = {"n_startup_trials": str(n_startup_trials),
                         "deterministic_objective": _bool(deterministic_objective),
                         "input_warping": _bool(input_warping),
                         **_seed_option(seed)}
        self._seed = seed

    def _engine_spec(self) -> _EngineSpec:
        return ("gp", dict(self._options), None)

    def __repr__(self) -> str:
        return f"GPSampler(seed={self._seed!r})"


class TPESampler(_EngineSampler):
    """Tree-structured Parzen estimator with Optuna's options and the newest Optuna's
    defaults (multivariate and constant liar on), except ``n_startup_trials``: 5 random
    trials, not 10, before the model (better on correlated continuous functions such as
    Hartmann-6 at 25 and 50 trials, bench/tpe_cmaes.md). ``gamma`` and ``weights`` take the
    engine's named rules ("default", "hyperopt" / "default", "uniform") or, for gamma, a
    fraction; Python callables cannot cross into the C engine.

    `constraints_func`, as in Optuna, is called with each trial told COMPLETE or
    PRUNED (as a FrozenTrial, still RUNNING, before its state is stored) and returns a
    sequence of floats: the trial is feasible when every one is <= 0. They are stored as
    the trial's system attribute ``"constraints"``; ``best_trial`` and ``best_trials``
    only ever hold feasible trials. Tell such a trial through its Trial object, not its
    number. The sampler learns from them as Optuna 4.9's does: infeasible trials join
    the good group only after every feasible one, smallest total violation first; with
    several objectives the good group is chosen by Pareto rank and hypervolume and
    weighted by hypervolume contribution (docs/config.md)."""

    def __init__(self, consider_prior: bool = True, prior_weight: float = 1.0,
                 consider_magic_clip: bool = True, consider_endpoints: bool = False,
                 n_startup_trials: int = 5, n_ei_candidates: int = 24,
                 gamma: Union[str, float, None] = None, weights: Optional[str] = None,
                 seed: Optional[int] = None, *, multivariate: bool = True, group: bool = False,
                 warn_independent_sampling: bool = True, constant_liar: bool = True,
                 constraints_func: Optional[ConstraintsFuncType] = None) -> None:
        self._constraints_func = _check_constraints_func(constraints_func, "TPESampler")
        for name, value in (("gamma", gamma), ("weights", weights)):
            if callable(value):
                raise TypeError(f"TPESampler: {name} must be a name or a number here (the "
                                "sampler runs in C and cannot call Python functions)")
        self._options = {
            "consider_prior": _bool(consider_prior), "prior_weight": repr(float(prior_weight)),
            "consider_magic_clip": _bool(consider_magic_clip),
            "consider_endpoints": _bool(consider_endpoints),
            "n_startup_trials": str(int(n_startup_trials)),
            "n_ei_candidates": str(int(n_ei_candidates)),
            "multivariate": _bool(multivariate), "group": _bool(group),
            "constant_liar": _bool(constant_liar), **_seed_option(seed)}
        if gamma is not None:
            self._options["gamma"] = gamma if isinstance(gamma, str) else repr(float(gamma))
        if weights is not None:
            self._options["weights"] = str(weights)
        self._seed = seed

    def _engine_spec(self) -> _EngineSpec:
        return ("tpe", dict(self._options), None)

    def __repr__(self) -> str:
        return f"TPESampler(seed={self._seed!r})"


def _source_trials_json(trials: Any) -> str:
    """The engine's source_trials option: the COMPLETE trials' numeric parameters and
    values (the engine keeps those that cover the search space, as Optuna does)."""
    from ..trial import TrialState
    points = []
    for t in trials:
        if t.state != TrialState.COMPLETE:
            continue
        params = {name: value for name, value in t.params.items()
                  if isinstance(t.distributions.get(name), (FloatDistribution, IntDistribution))}
        points.append({"params": params, "value": float(t.value)})
    return json.dumps(points)


class CmaEsSampler(_EngineSampler):
    """CMA-ES (with IPOP restarts and the margin for integers by default) over the
    numeric parameters; categoricals are sampled independently, as Optuna does.
    ``sigma0`` is a fraction of each parameter's range, not Optuna's absolute step: the
    engine works in the unit cube of the space. ``None`` (for ``sigma0`` and ``popsize``)
    leaves the engine's default, which ``hpsearch samplers cmaes`` shows.
    ``source_trials`` (earlier COMPLETE trials of a similar task) warm-starts the first
    run as Optuna does (Nomura et al., AAAI 2021), from the best tenth of the source
    trials that have every numeric parameter of the search space; at least 10 such are
    needed."""

    def __init__(self, x0: Optional[Dict[str, Any]] = None, sigma0: Optional[float] = None,
                 n_startup_trials: int = 0, independent_sampler: Any = None,
                 warn_independent_sampling: bool = True, seed: Optional[int] = None, *,
                 consider_pruned_trials: bool = False, restart_strategy: Optional[str] = "ipop",
                 popsize: Optional[int] = None, inc_popsize: int = 2,
                 use_separable_cma: bool = False, source_trials: Any = None,
                 with_margin: bool = True, lr_adapt: bool = False) -> None:
        if source_trials is not None and (x0 is not None or sigma0 is not None):
            raise ValueError("It is prohibited to pass `source_trials` argument when "
                             "x0 or sigma0 is specified.")
        if source_trials is not None and use_separable_cma:
            raise ValueError("It is prohibited to pass `source_trials` argument when using "
                             "separable CMA-ES.")
        _unsupported("x0", x0, None, "CmaEsSampler")
        _unsupported("consider_pruned_trials", consider_pruned_trials, False, "CmaEsSampler")
        _unsupported("use_separable_cma", use_separable_cma, False, "CmaEsSampler")
        _unsupported("lr_adapt", lr_adapt, False, "CmaEsSampler")
        self._options = {"n_startup_trials": str(int(n_startup_trials)),
                         "restart_strategy": restart_strategy or "none",
                         "inc_popsize": str(int(inc_popsize)),
                         "with_margin": _bool(with_margin), **_seed_option(seed)}
        if sigma0 is not None:
            self._options["sigma0"] = repr(float(sigma0))
        if popsize is not None:
            self._options["popsize"] = str(int(popsize))
        if source_trials is not None:
            warnings.warn("`source_trials` option is an experimental feature. The interface "
                          "can change in the future.", ExperimentalWarning, stacklevel=2)
            self._options["source_trials"] = _source_trials_json(source_trials)
        self._seed = seed
        self._n_startup_trials = int(n_startup_trials)
        self._warn_independent_sampling = bool(warn_independent_sampling)

    def _engine_spec(self) -> _EngineSpec:
        return ("cmaes", dict(self._options), None)

    def _independent_hook(self) -> Optional[Callable[[Any, str], None]]:
        """What the study calls after each suggestion the engine drew independently, or
        None when nothing is to be said."""
        return self._log_independent_sampling if self._warn_independent_sampling else None

    def _log_independent_sampling(self, trial: Any, param_name: str) -> None:
        """Optuna's warning, on Optuna's condition: a parameter drawn independently (outside
        the numeric parameters every finished trial has) once the study holds
        n_startup_trials COMPLETE trials. A one-value distribution never reaches Optuna's
        sample_independent, so it is not reported either."""
        distribution = trial.distributions.get(param_name)
        if distribution is not None and distribution.single():
            return
        complete = trial.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if len(complete) < self._n_startup_trials:
            return
        _logger.warning(
            "The parameter '{}' in trial#{} is sampled independently "
            "by using `{}` instead of `CmaEsSampler` "
            "(optimization performance may be degraded). "
            "`CmaEsSampler` does not support dynamic search space or `CategoricalDistribution`. "
            "You can suppress this warning by setting `warn_independent_sampling` "
            "to `False` in the constructor of `CmaEsSampler`, "
            "if this independent sampling is intended behavior.".format(
                param_name, trial.number, "RandomSampler"))

    def __repr__(self) -> str:
        return f"CmaEsSampler(seed={self._seed!r})"


_Crossover = Union[nsgaii.BaseCrossover, str, None]


def _genetic_options(sampler: str, population_size: int, mutation: Any,
                     mutation_prob: Optional[float], crossover: _Crossover,
                     crossover_prob: float, swapping_prob: float, seed: Optional[int],
                     elite_population_selection_strategy: Any, child_generation_strategy: Any,
                     after_trial_strategy: Any) -> Dict[str, str]:
    """The engine options NSGAIISampler and NSGAIIISampler share (Optuna's arguments)."""
    _unsupported("mutation", mutation, None, sampler)
    _unsupported("elite_population_selection_strategy", elite_population_selection_strategy,
                 None, sampler)
    _unsupported("child_generation_strategy", child_generation_strategy, None, sampler)
    _unsupported("after_trial_strategy", after_trial_strategy, None, sampler)
    if isinstance(population_size, bool) or not isinstance(population_size, int) or \
            population_size < 2:
        raise ValueError(f"population_size must be an int >= 2, got {population_size!r}")
    crossover = nsgaii._engine_crossover(crossover, swapping_prob, sampler)
    if population_size < crossover.n_parents:
        raise ValueError(f"Using {crossover}, the population size should be greater than or "
                         f"equal to {crossover.n_parents}. The specified `population_size` "
                         f"is {population_size}.")
    return {"population_size": str(population_size),
            "mutation_prob": "auto" if mutation_prob is None else repr(float(mutation_prob)),
            "crossover_prob": repr(float(crossover_prob)),
            "swapping_prob": repr(float(swapping_prob)),
            **crossover._options, **_seed_option(seed)}


class NSGAIISampler(_EngineSampler):
    """NSGA-II, Optuna's NSGAIISampler: generations of `population_size` trials, the
    parents of each the elite of the last generation and its parents by non-dominated
    rank and crowding distance (Deb's constrained domination when trials carry
    constraints), children by binary tournament, crossover and mutation. A mutated
    parameter, and every parameter of the first generation, is drawn at random (Optuna's
    behaviour without a `mutation`). `crossover` is one of the classes of
    :mod:`hpsearch.samplers.nsgaii` (or its engine name: "uniform", "sbx", "vsbx",
    "blxalpha", "spx", "undx"); a BaseCrossover written in Python raises
    NotImplementedError. `population_size` must be at least the crossover's `n_parents`
    (3 for SPX and UNDX). Works for one objective too.

    `constraints_func` is TPESampler's: its values are stored as the trial's constraints,
    and here they steer the search (Deb's constrained domination: feasible trials first,
    infeasible ones by their total violation)."""

    def __init__(self, *, population_size: int = 50, mutation: Any = None,
                 mutation_prob: Optional[float] = None,
                 crossover: _Crossover = None, crossover_prob: float = 0.9,
                 swapping_prob: float = 0.5, seed: Optional[int] = None,
                 constraints_func: Optional[ConstraintsFuncType] = None,
                 elite_population_selection_strategy: Any = None,
                 child_generation_strategy: Any = None,
                 after_trial_strategy: Any = None) -> None:
        self._constraints_func = _check_constraints_func(constraints_func, "NSGAIISampler")
        self._options = _genetic_options(
            "NSGAIISampler", population_size, mutation, mutation_prob, crossover,
            crossover_prob, swapping_prob, seed, elite_population_selection_strategy,
            child_generation_strategy, after_trial_strategy)
        self._seed = seed

    def _engine_spec(self) -> _EngineSpec:
        return ("nsga2", dict(self._options), None)

    def __repr__(self) -> str:
        return f"NSGAIISampler(seed={self._seed!r})"


def _reference_points_text(points: Any) -> str:
    """A 2-D array (numpy's or nested sequences) of finite numbers, as the engine's JSON."""
    if hasattr(points, "tolist"):
        points = points.tolist()
    try:
        rows = [[float(x) for x in row] for row in points]
    except TypeError:
        raise ValueError("reference_points must be a 2-D array: one row per point, one "
                         "column per objective") from None
    if not rows or any(not all(math.isfinite(x) for x in row) for row in rows):
        raise ValueError("reference_points must be a non-empty 2-D array of finite numbers")
    return json.dumps(rows)


class NSGAIIISampler(_EngineSampler):
    """NSGA-III, the newest Optuna's NSGAIIISampler: NSGAIISampler (the same generations,
    constraints, crossovers and arguments) but for the last front admitted to the next
    parents, which is cut by niching around reference points instead of by crowding
    distance, so that the parents stay spread over the front when there are many
    objectives. The values are normalized (ideal point, intercepts of the extreme points'
    hyperplane), each trial joins its nearest reference line, and the least crowded lines
    give their members first. `reference_points` (a 2-D array, one column per objective)
    replaces the default Das-Dennis set of `dividing_parameter` divisions.

    Unlike Optuna's, maximized objectives are negated before the normalization (Optuna
    normalizes the stored values whatever the direction); a trial's generation is
    ``trial.system_attrs["nsga3:generation"]``."""

    def __init__(self, *, population_size: int = 50, mutation: Any = None,
                 mutation_prob: Optional[float] = None,
                 crossover: _Crossover = None, crossover_prob: float = 0.9,
                 swapping_prob: float = 0.5, seed: Optional[int] = None,
                 constraints_func: Optional[ConstraintsFuncType] = None,
                 reference_points: Any = None, dividing_parameter: int = 3,
                 elite_population_selection_strategy: Any = None,
                 child_generation_strategy: Any = None,
                 after_trial_strategy: Any = None) -> None:
        _warn_experimental("NSGAIIISampler", "3.2.0")
        self._constraints_func = _check_constraints_func(constraints_func, "NSGAIIISampler")
        self._options = _genetic_options(
            "NSGAIIISampler", population_size, mutation, mutation_prob, crossover,
            crossover_prob, swapping_prob, seed, elite_population_selection_strategy,
            child_generation_strategy, after_trial_strategy)
        if isinstance(dividing_parameter, bool) or not isinstance(dividing_parameter, int) \
                or dividing_parameter < 1:
            raise ValueError(f"dividing_parameter must be an int >= 1, got "
                             f"{dividing_parameter!r}")
        self._options["dividing_parameter"] = str(dividing_parameter)
        self._options["reference_points"] = "none" if reference_points is None \
            else _reference_points_text(reference_points)
        self._seed = seed

    def _engine_spec(self) -> _EngineSpec:
        return ("nsga3", dict(self._options), None)

    def __repr__(self) -> str:
        return f"NSGAIIISampler(seed={self._seed!r})"


class BruteForceSampler(BaseSampler):
    """Every combination of the values a finite space holds, once, then the study stops
    (Optuna 3.1's algorithm): each suggested parameter takes one of its values, and a
    trial is enqueued for each other value with the parameters drawn so far, unless one
    like it exists; ``optimize`` stops once no trial waits. Conditional spaces are
    covered branch by branch. Floats need a ``step``. `seed` fixes the order."""

    def __init__(self, seed: Optional[int] = None) -> None:
        _warn_experimental("BruteForceSampler", "3.1.0")
        self._rng = random.Random(seed)

    def infer_relative_search_space(self, study: Any,
                                    trial: Any) -> Dict[str, BaseDistribution]:
        return {}

    def sample_relative(self, study: Any, trial: Any,
                        search_space: Dict[str, BaseDistribution]) -> Dict[str, Any]:
        return {}

    def sample_independent(self, study: Any, trial: Any, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        candidates = _enumerate_candidates(param_distribution)
        self._rng.shuffle(candidates)
        for value in candidates[1:]:
            params = trial.params.copy()
            params[param_name] = value
            study.enqueue_trial(params, skip_if_exists=True)
        return candidates[0]

    def after_trial(self, study: Any, trial: Any, state: Any,
                    values: Optional[Sequence[float]]) -> None:
        if study._count_states()[0] == 0:  # engine order: WAITING first
            study.stop()


def _enumerate_candidates(d: BaseDistribution) -> List[Any]:
    if isinstance(d, FloatDistribution):
        if d.step is None:
            raise ValueError("FloatDistribution.step must be given for BruteForceSampler "
                             "(otherwise, the search space will be infinite).")
        # decimal, as Optuna: 0.1 + 0.2 must land on 0.3, not 0.30000000000000004
        low, high = decimal.Decimal(str(d.low)), decimal.Decimal(str(d.high))
        step = decimal.Decimal(str(d.step))
        values = []
        while low <= high:
            values.append(float(low))
            low += step
        return values
    if isinstance(d, IntDistribution):
        return list(range(d.low, d.high + 1, d.step))
    if isinstance(d, CategoricalDistribution):
        return list(d.choices)
    raise ValueError(f"Unknown distribution {d}.")


class PartialFixedSampler(BaseSampler):
    """`base_sampler` with some parameters fixed: a parameter named in `fixed_params`
    takes its value there in every trial; the others are sampled by `base_sampler`.
    Over a sampler of the engine (TPESampler, GPSampler, ...) the engine runs the base
    sampler and the study fixes the values in each trial it asks, as an enqueued trial's
    are fixed (a value outside the suggested distribution is then a ValueError, where
    Optuna warns). The methods below serve a base sampler written in Python."""

    def __init__(self, fixed_params: Dict[str, Any], base_sampler: BaseSampler) -> None:
        _warn_experimental("PartialFixedSampler", "2.4.0")
        self._fixed_params = fixed_params
        self._base_sampler = base_sampler

    def reseed_rng(self) -> None:
        self._base_sampler.reseed_rng()

    def infer_relative_search_space(self, study: Any,
                                    trial: Any) -> Dict[str, BaseDistribution]:
        space = self._base_sampler.infer_relative_search_space(study, trial)
        return {name: d for name, d in space.items() if name not in self._fixed_params}

    def sample_relative(self, study: Any, trial: Any,
                        search_space: Dict[str, BaseDistribution]) -> Dict[str, Any]:
        return self._base_sampler.sample_relative(study, trial, search_space)

    def sample_independent(self, study: Any, trial: Any, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        if param_name not in self._fixed_params:
            return self._base_sampler.sample_independent(study, trial, param_name,
                                                         param_distribution)
        value = self._fixed_params[param_name]
        if not param_distribution._contains(param_distribution.to_internal_repr(value)):
            warnings.warn(f"Fixed parameter '{param_name}' with value {value} is out of range "
                          f"for distribution {param_distribution}.")
        return value

    def before_trial(self, study: Any, trial: Any) -> None:
        self._base_sampler.before_trial(study, trial)

    def after_trial(self, study: Any, trial: Any, state: Any,
                    values: Optional[Sequence[float]]) -> None:
        self._base_sampler.after_trial(study, trial, state, values)


def _spec_of(sampler: Any) -> Optional[_EngineSpec]:
    """The engine's description of `sampler`, or None for one written in Python."""
    if sampler is None:
        return AutoSampler()._engine_spec()
    if not isinstance(sampler, BaseSampler):
        raise TypeError(
            f"{type(sampler).__module__}.{type(sampler).__name__} is not an hpsearch sampler; "
            "use one of hpsearch.samplers.__all__ or subclass hpsearch.samplers.BaseSampler")
    if isinstance(sampler, _EngineSampler):
        return sampler._engine_spec()
    if isinstance(sampler, PartialFixedSampler):  # the study fixes the values itself
        return _spec_of(sampler._base_sampler)
    return None


def intersection_search_space(study: Any, ordered_dict: bool = False,
                              include_pruned: bool = False) -> Dict[str, BaseDistribution]:
    """The parameters every COMPLETE trial of `study` (and PRUNED one, with
    `include_pruned`) has, with the same distribution in all of them: Optuna 3.1's
    ``optuna.samplers.intersection_search_space``. Sorted by name with `ordered_dict`."""
    return _intersection_of_study(study, ordered_dict, include_pruned)


def _uniform_draw(rng: random.Random, d: BaseDistribution) -> Any:
    """A value of `d` drawn uniformly (Optuna's RandomSampler through its
    _SearchSpaceTransform: log scale for log distributions, half a step beyond each end
    of a step grid, rounded onto it)."""
    if isinstance(d, CategoricalDistribution):
        return d.choices[rng.randrange(len(d.choices))]
    if isinstance(d, FloatDistribution):
        if d.single():
            return d.low
        if d.log:
            value = math.exp(rng.uniform(math.log(d.low), math.log(d.high)))
            return min(value, math.nextafter(d.high, -math.inf))
        if d.step is not None:
            x = rng.uniform(d.low - 0.5 * d.step, d.high + 0.5 * d.step)
            return float(min(d.high, max(d.low, round((x - d.low) / d.step) * d.step + d.low)))
        return min(rng.uniform(d.low, d.high), math.nextafter(d.high, -math.inf))
    if isinstance(d, IntDistribution):
        if d.log:
            x = rng.uniform(math.log(d.low - 0.5), math.log(d.high + 0.5))
            return int(min(d.high, max(d.low, round(math.exp(x)))))
        x = rng.uniform(d.low - 0.5 * d.step, d.high + 0.5 * d.step)
        return int(min(d.high, max(d.low, round((x - d.low) / d.step) * d.step + d.low)))
    raise TypeError(f"unsupported distribution {d!r}")
