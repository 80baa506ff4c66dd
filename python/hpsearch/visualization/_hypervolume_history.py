"""The hypervolume history both plot_hypervolume_history functions draw (plotly and
matplotlib): after each COMPLETE trial, the hypervolume of the feasible trials so far
w.r.t. the caller's reference point, as the newest Optuna's plot computes it (Optuna
3.1, Debian's, has no such plot; it appeared in 3.3). The volume comes from the
engine's exact hps_hypervolume."""
from typing import Any, List, Sequence, Tuple

from .. import _core
from ..logging import get_logger
from ..study import StudyDirection
from ..trial import FrozenTrial, TrialState

_logger = get_logger(__name__)


def _feasible(trial: FrozenTrial) -> bool:
    return all(c <= 0 for c in trial.system_attrs.get("constraints") or ())


def _weakly_dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    return all(x <= y for x, y in zip(a, b))


def hypervolume_history(study: Any, reference_point: Sequence[float]
                        ) -> Tuple[List[int], List[float]]:
    """(trial numbers, hypervolumes): one entry per COMPLETE trial, in order. Infeasible
    trials (a stored constraint > 0) and trials outside the reference point leave the
    hypervolume as it was. ValueError, with Optuna's messages, for a study of one
    objective or a reference point of another dimension."""
    directions = study.directions
    if len(directions) < 2:
        raise ValueError("Study must be multi-objective. For single-objective optimization, "
                         "please use plot_optimization_history instead.")
    if len(reference_point) != len(directions):
        raise ValueError("The dimension of the reference point must be the same as the "
                         "number of objectives.")
    # hps_hypervolume minimizes every objective: maximized ones are negated
    signs = [1.0 if d == StudyDirection.MINIMIZE else -1.0 for d in directions]
    reference = [s * float(r) for s, r in zip(signs, reference_point)]
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        _logger.warning("Your study does not have any completed trials.")
    numbers, volumes = [], []
    front: List[List[float]] = []  # the feasible non-dominated points so far
    volume = 0.0
    counted = False  # a feasible trial within the reference point, as Optuna warns
    for trial in complete:
        numbers.append(trial.number)
        if _feasible(trial):
            point = [s * v for s, v in zip(signs, trial.values)]
            counted = counted or _weakly_dominates(point, reference)
            if not any(_weakly_dominates(p, point) for p in front):
                front = [p for p in front if not _weakly_dominates(point, p)] + [point]
                volume = _core.hypervolume([v for p in front for v in p], len(front),
                                           len(reference), reference)
        volumes.append(volume)
    if not counted:
        _logger.warning("Your study does not have any feasible trials.")
    return numbers, volumes
