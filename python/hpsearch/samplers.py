"""Samplers, as in ``optuna.samplers``: what decides a trial's parameter values.

Each sampler here is a description the C engine turns into its own sampler when a study
opens; the sampling itself runs in C. Available: :class:`RandomSampler`,
:class:`GridSampler`, :class:`QMCSampler` (Sobol). A study without a sampler samples at
random (Optuna's default is TPE, which hpsearch does not have yet).
"""
import warnings
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

__all__ = ["BaseSampler", "RandomSampler", "GridSampler", "QMCSampler"]

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


class BaseSampler:
    """Base class of hpsearch's samplers."""

    def _engine_spec(self) -> _EngineSpec:
        raise NotImplementedError

    def reseed_rng(self) -> None:
        """Kept for Optuna compatibility; a seeded engine sampler's suggestions depend only
        on the seed, the trial number and the parameter, so there is nothing to reseed."""

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class RandomSampler(BaseSampler):
    """Independent uniform sampling (log-uniform for ``log=True``).

    With a `seed`, trial *n* gets the same values in every run and on every worker.
    """

    def __init__(self, seed: Optional[int] = None) -> None:
        self._options = _seed_option(seed)
        self._seed = seed

    def _engine_spec(self) -> _EngineSpec:
        return ("random", dict(self._options), None)

    def __repr__(self) -> str:
        return f"RandomSampler(seed={self._seed!r})"


class GridSampler(BaseSampler):
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


class QMCSampler(BaseSampler):
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


def _spec_of(sampler: Any) -> _EngineSpec:
    if sampler is None:
        return RandomSampler()._engine_spec()
    if not isinstance(sampler, BaseSampler):
        raise TypeError(
            f"{type(sampler).__module__}.{type(sampler).__name__} is not an hpsearch sampler; "
            "use hpsearch.samplers.RandomSampler, GridSampler or QMCSampler")
    return sampler._engine_spec()
