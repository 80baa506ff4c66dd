"""NSGA-II's crossover operators, as ``optuna.samplers.nsgaii``: what
:class:`~hpsearch.samplers.NSGAIISampler` (and NSGAIIISampler) cross parents with.

Each class here names one of the engine's operators (the ``crossover`` option of the
``nsga2`` and ``nsga3`` samplers) and its arguments, with Optuna 3.1's names, defaults
and ``n_parents``; the crossing itself runs in C, in the unit cube of the numeric
parameters (``docs/config.md`` has the formulas' summary). Categorical parameters are
always crossed by uniform crossover of the first and last parent, as in Optuna.

A crossover written in Python (a subclass of :class:`BaseCrossover` with its own
``crossover`` method) is refused by the samplers with ``NotImplementedError``: the
engine cannot call back into Python for it.

Unlike Optuna 3.1, which accepts any argument here, values the engine would refuse
(a negative ``alpha``, ``eta``, ``epsilon`` or sigma; ``swapping_prob`` outside [0, 1])
raise ``ValueError`` at once.
"""
import abc
import math
from typing import Any, Dict, Optional

from ..exceptions import _warn_experimental

__all__ = ["BaseCrossover", "BLXAlphaCrossover", "SBXCrossover", "SPXCrossover",
           "UNDXCrossover", "UniformCrossover", "VSBXCrossover"]


class BaseCrossover(abc.ABC):
    """Base class of crossovers, Optuna's. The built-in ones are run by the engine;
    a subclass of your own is refused by the samplers (see the module's docstring)."""

    def __str__(self) -> str:
        return self.__class__.__name__

    @property
    @abc.abstractmethod
    def n_parents(self) -> int:
        """How many parents the crossover takes."""
        raise NotImplementedError

    @abc.abstractmethod
    def crossover(self, parents_params: Any, rng: Any, study: Any,
                  search_space_bounds: Any) -> Any:
        """Optuna's hook for a crossover written in Python (not called by hpsearch)."""
        raise NotImplementedError


class _EngineCrossover(BaseCrossover):
    """A crossover the engine runs: its name and options for the sampler."""

    n_parents = 2
    _options: Dict[str, str]

    def crossover(self, parents_params: Any, rng: Any, study: Any,
                  search_space_bounds: Any) -> Any:
        raise NotImplementedError(f"{self} runs in hpsearch's engine, as the nsga2 sampler's "
                                  f"crossover '{self._options['crossover']}'; it is not "
                                  "callable from Python")


def _number(name: str, value: Any, low: float = 0.0, high: float = math.inf) -> str:
    """The engine's text of a number in [low, high], or ValueError naming the argument."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not low <= x <= high:
        span = f"in [{low:g}, {high:g}]" if math.isfinite(high) else f">= {low:g}"
        raise ValueError(f"{name} must be a number {span}, got {value!r}")
    return repr(x)


def _auto(name: str, value: Optional[float]) -> str:
    return "auto" if value is None else _number(name, value)


def _fixed_at_default(name: str, value: Any, cls: str) -> None:
    if value != 0.5:
        raise NotImplementedError(f"{cls}: {name}={value!r} is not supported by hpsearch "
                                  "(only its default, 0.5)")


class UniformCrossover(_EngineCrossover):
    """Uniform crossover (Syswerda 1989): each parameter from either parent, the first
    with probability `swapping_prob`. NSGAIISampler's default. Its `swapping_prob`
    replaces the sampler's, for categorical parameters too."""

    n_parents = 2

    def __init__(self, swapping_prob: float = 0.5) -> None:
        self._options = {"crossover": "uniform",
                         "swapping_prob": _number("swapping_prob", swapping_prob, 0, 1)}


class BLXAlphaCrossover(_EngineCrossover):
    """Blend crossover (Eshelman and Schaffer 1992): uniform in the parents' range
    widened by `alpha` times its width on each side."""

    n_parents = 2

    def __init__(self, alpha: float = 0.5) -> None:
        _warn_experimental("BLXAlphaCrossover", "3.0.0")
        self._options = {"crossover": "blxalpha", "blx_alpha": _number("alpha", alpha)}


class SBXCrossover(_EngineCrossover):
    """Simulated binary crossover (Deb and Agrawal 1995), bounded to the search space;
    `eta` None is 20 for several objectives, 2 for one. The newest Optuna's two further
    probabilities are accepted at their defaults (0.5) only."""

    n_parents = 2

    def __init__(self, eta: Optional[float] = None, uniform_crossover_prob: float = 0.5,
                 use_child_gene_prob: float = 0.5) -> None:
        _warn_experimental("SBXCrossover", "3.0.0")
        _fixed_at_default("uniform_crossover_prob", uniform_crossover_prob, "SBXCrossover")
        _fixed_at_default("use_child_gene_prob", use_child_gene_prob, "SBXCrossover")
        self._options = {"crossover": "sbx", "sbx_eta": _auto("eta", eta)}


class VSBXCrossover(_EngineCrossover):
    """Ballester and Carter's vSBX (GECCO 2003): SBX's two children drawn separately,
    one between the parents and one beyond, so that no region is excluded (children
    outside the search space are drawn again); `eta` as SBXCrossover's. The newest
    Optuna's two further probabilities are accepted at their defaults (0.5) only."""

    n_parents = 2

    def __init__(self, eta: Optional[float] = None, uniform_crossover_prob: float = 0.5,
                 use_child_gene_prob: float = 0.5) -> None:
        _warn_experimental("VSBXCrossover", "3.0.0")
        _fixed_at_default("uniform_crossover_prob", uniform_crossover_prob, "VSBXCrossover")
        _fixed_at_default("use_child_gene_prob", use_child_gene_prob, "VSBXCrossover")
        self._options = {"crossover": "vsbx", "vsbx_eta": _auto("eta", eta)}


class SPXCrossover(_EngineCrossover):
    """Simplex crossover (Tsutsui, Goldberg and Sastry 2000) of three parents: uniform
    in their triangle expanded by `epsilon` about its centroid; None is
    sqrt(the number of numeric parameters + 2)."""

    n_parents = 3

    def __init__(self, epsilon: Optional[float] = None) -> None:
        _warn_experimental("SPXCrossover", "3.0.0")
        self._options = {"crossover": "spx", "spx_epsilon": _auto("epsilon", epsilon)}


class UNDXCrossover(_EngineCrossover):
    """Unimodal normal distribution crossover (Kita, Ono and Kobayashi 1999) of three
    parents: normal about the first two's midpoint, along their line with standard
    deviation ``sigma_xi ** 2`` times their distance and across it with ``sigma_eta ** 2``
    times the third parent's distance from the line (the squares as Optuna 3.1 draws
    them); `sigma_eta` None is 0.35 / sqrt(the number of numeric parameters)."""

    n_parents = 3

    def __init__(self, sigma_xi: float = 0.5, sigma_eta: Optional[float] = None) -> None:
        _warn_experimental("UNDXCrossover", "3.0.0")
        self._options = {"crossover": "undx", "undx_sigma_xi": _number("sigma_xi", sigma_xi),
                         "undx_sigma_eta": _auto("sigma_eta", sigma_eta)}


# The engine's names, which the samplers take for the classes.
_BY_NAME = {"uniform": UniformCrossover, "sbx": SBXCrossover, "vsbx": VSBXCrossover,
            "blxalpha": BLXAlphaCrossover, "spx": SPXCrossover, "undx": UNDXCrossover}


def _engine_crossover(crossover: Any, swapping_prob: float, sampler: str) -> _EngineCrossover:
    """The crossover a sampler was given (a class here, an engine name or None)."""
    if crossover is None or crossover == "uniform":
        return UniformCrossover(swapping_prob)
    if isinstance(crossover, str) and crossover in _BY_NAME:
        return _BY_NAME[crossover]()
    supported = ("UniformCrossover, SBXCrossover, VSBXCrossover, BLXAlphaCrossover, "
                 "SPXCrossover or UNDXCrossover from hpsearch.samplers.nsgaii (or "
                 "'uniform', 'sbx', 'vsbx', 'blxalpha', 'spx', 'undx')")
    if isinstance(crossover, _EngineCrossover):
        return crossover
    if isinstance(crossover, BaseCrossover):
        raise NotImplementedError(f"{sampler}: crossover {crossover} is a BaseCrossover "
                                  "written in Python, which hpsearch cannot run (its engine "
                                  f"crosses parents in C); use {supported}")
    raise ValueError(f"'{crossover}' is not a valid crossover: use {supported}")
