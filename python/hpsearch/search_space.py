"""Search spaces, as in ``optuna.search_space``: the intersection search space that
samplers written in Python usually sample jointly (``infer_relative_search_space``).

The intersection search space of a study is every parameter that all its finished
trials (COMPLETE, and PRUNED with ``include_pruned``) have, with the same distribution in
each; a parameter whose range changed between trials is left out.
"""
import copy
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .distributions import BaseDistribution
from .trial import TrialState

__all__ = ["IntersectionSearchSpace", "intersection_search_space"]

_Space = Dict[str, BaseDistribution]


def _calculate(trials: Sequence[Any], include_pruned: bool, space: Optional[_Space],
               cursor: int) -> Tuple[Optional[_Space], int]:
    """Optuna's incremental computation: `space` over the trials numbered below `cursor`
    is narrowed by the finished trials from `cursor` on; the next cursor stops at the
    oldest trial still running or waiting, which may finish later."""
    states = [TrialState.COMPLETE, TrialState.WAITING, TrialState.RUNNING]
    if include_pruned:
        states.append(TrialState.PRUNED)
    trials = [t for t in trials if t.state in states]
    next_cursor = trials[-1].number + 1 if trials else -1
    for trial in reversed(trials):
        if cursor > trial.number:
            break
        if not trial.state.is_finished():
            next_cursor = trial.number
            continue
        if space is None:
            space = copy.copy(trial.distributions)
            continue
        space = {name: dist for name, dist in space.items()
                 if trial.distributions.get(name) == dist}
    return space, next_cursor


def _ordered(space: Optional[_Space], ordered_dict: bool) -> _Space:
    space = space or {}
    if ordered_dict:
        return OrderedDict(sorted(space.items(), key=lambda item: item[0]))
    return space


class IntersectionSearchSpace:
    """The intersection search space of one study, recomputed incrementally: each
    :meth:`calculate` looks only at the trials that finished since the last one.
    Passing another study raises ValueError."""

    def __init__(self, include_pruned: bool = False) -> None:
        self._cursor = -1
        self._search_space: Optional[_Space] = None
        self._study_key: Optional[Tuple[str, str]] = None
        self._include_pruned = include_pruned

    def calculate(self, study: Any, ordered_dict: bool = False) -> _Space:
        """The intersection search space of `study` now: {name: distribution}, sorted by
        name with `ordered_dict`."""
        key = (study._storage_spec.url, study.study_name)
        if self._study_key is None:
            self._study_key = key
        elif self._study_key != key:
            raise ValueError("`IntersectionSearchSpace` cannot handle multiple studies.")
        self._search_space, self._cursor = _calculate(
            study.get_trials(deepcopy=False), self._include_pruned, self._search_space,
            self._cursor)
        return copy.deepcopy(_ordered(self._search_space, ordered_dict))


def intersection_search_space(trials: List[Any], ordered_dict: bool = False,
                              include_pruned: bool = False) -> _Space:
    """The intersection search space of `trials` (FrozenTrials, in number order), as
    newer Optuna's ``optuna.search_space.intersection_search_space``."""
    space, _ = _calculate(trials, include_pruned, None, -1)
    return _ordered(space, ordered_dict)


def _intersection_of_study(study: Any, ordered_dict: bool, include_pruned: bool) -> _Space:
    return intersection_search_space(study.get_trials(deepcopy=False), ordered_dict,
                                     include_pruned)
