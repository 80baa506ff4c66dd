"""plot_pareto_front: the COMPLETE trials of a study of 2 or 3 objectives (or 2 or 3
`targets`), the Pareto set highlighted, infeasible trials in grey. Optuna's matplotlib
plot, read as Optuna 4+ reads a study: the Pareto set is ``study.best_trials`` (the
engine's feasible non-dominated trials) and feasibility comes from the constraints each
trial stores (a sampler's ``constraints_func``)."""
import collections.abc
import warnings
from typing import Any, Callable, List, Optional, Sequence, Tuple

from ... import logging as _hlogging
from ...trial import FrozenTrial, TrialState

__all__ = ["plot_pareto_front"]

_logger = _hlogging.get_logger(__name__)

Points = List[Tuple[FrozenTrial, List[float]]]


def _feasible(trial: FrozenTrial) -> bool:
    return all(c <= 0 for c in trial.system_attrs.get("constraints") or ())


def _with_targets(trials: List[FrozenTrial],
                  targets: Callable[[FrozenTrial], Sequence[float]]) -> Points:
    out = []
    for trial in trials:
        values = targets(trial)
        if not isinstance(values, collections.abc.Sequence):
            raise ValueError("`targets` should return a sequence of target values. your "
                             f"`targets` returns {type(values)}")
        out.append((trial, list(values)))
    return out


def _check_axis_order(axis_order: List[int], n_targets: int) -> None:
    if len(axis_order) != n_targets:
        raise ValueError(f"Size of `axis_order` {axis_order}. Expect: {n_targets}, "
                         f"Actual: {len(axis_order)}.")
    if len(set(axis_order)) != n_targets:
        raise ValueError(f"Elements of given `axis_order` {axis_order} are not unique!.")
    if max(axis_order) > n_targets - 1:
        raise ValueError(f"Given `axis_order` {axis_order} contains invalid index "
                         f"{max(axis_order)} higher than {n_targets - 1}.")
    if min(axis_order) < 0:
        raise ValueError(f"Given `axis_order` {axis_order} contains invalid index "
                         f"{min(axis_order)} lower than 0.")


def plot_pareto_front(study: Any, *, target_names: Optional[List[str]] = None,
                      include_dominated_trials: bool = True,
                      axis_order: Optional[List[int]] = None,
                      constraints_func: Optional[Callable[[FrozenTrial], Sequence[float]]] = None,
                      targets: Optional[Callable[[FrozenTrial], Sequence[float]]] = None) -> Any:
    """The objective values of every COMPLETE trial on 2 or 3 axes: the Pareto set
    ("Best Trial"), the other feasible trials ("Trial", or "Feasible Trial" when some are
    infeasible; left out without `include_dominated_trials`) and the infeasible ones
    ("Infeasible Trial", grey). `targets` maps a trial to the 2 or 3 numbers to plot (for
    a study of more objectives); `target_names` names the axes ("Objective 0", ...
    by default). `axis_order` is deprecated, as in Optuna. Returns the matplotlib Axes
    (3D for three targets).

    `constraints_func` is refused: give it to the sampler, which stores each trial's
    constraints (Optuna 4 deprecates it here for the same reason)."""
    points, target_names, axis_order = _pareto_front_info(
        study, target_names, include_dominated_trials, axis_order, constraints_func, targets)
    return _draw(points, [target_names[i] for i in axis_order], axis_order)


def _pareto_front_info(study: Any, target_names: Optional[List[str]],
                       include_dominated_trials: bool, axis_order: Optional[List[int]],
                       constraints_func: Optional[Callable[[FrozenTrial], Sequence[float]]],
                       targets: Optional[Callable[[FrozenTrial], Sequence[float]]]
                       ) -> Tuple[dict, List[str], List[int]]:
    """What plot_pareto_front draws, whatever draws it (here and the plotly module): the
    trials with their targets by kind ("best", "others", "infeasible"), the target names
    and the axis order, after Optuna's checks of the arguments."""
    if axis_order is not None:
        warnings.warn("`axis_order` has been deprecated in v3.0.0. This feature will be "
                      "removed in v5.0.0. See https://github.com/optuna/optuna/releases/"
                      "tag/v3.0.0.", FutureWarning)
    if targets is not None and axis_order is not None:
        raise ValueError("Using both `targets` and `axis_order` is not supported. "
                         "Use either `targets` or `axis_order`.")
    if constraints_func is not None:
        raise NotImplementedError(
            "plot_pareto_front: pass constraints_func to the sampler instead; the trials "
            "store their constraints and the plot reads them (Optuna 4 deprecates this "
            "argument)")
    if targets is None:
        if len(study.directions) not in (2, 3):
            raise ValueError("`plot_pareto_front` function only supports 2 or 3 objective "
                             "studies when using `targets` is `None`. Please use `targets` "
                             "if your objective studies have more than 3 objectives.")
        targets = _objective_values

    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    best = study.best_trials
    best_numbers = {t.number for t in best}
    infeasible = [t for t in complete if not _feasible(t)]
    others = [t for t in complete if _feasible(t) and t.number not in best_numbers]
    if not best:
        what = "completed and feasible" if infeasible else "completed"
        _logger.warning(f"Your study does not have any {what} trials. ")
    points = {"best": _with_targets(best, targets),
              "others": _with_targets(others, targets) if include_dominated_trials else [],
              "infeasible": _with_targets(infeasible, targets)}

    n_targets = _n_targets(points, target_names, study, targets is _objective_values)
    if target_names is None:
        target_names = [f"Objective {i}" for i in range(n_targets)]
    elif len(target_names) != n_targets:
        raise ValueError(f"The length of `target_names` is supposed to be {n_targets}.")
    if axis_order is None:
        axis_order = list(range(n_targets))
    else:
        _check_axis_order(axis_order, n_targets)
    return points, target_names, axis_order


def _objective_values(trial: FrozenTrial) -> Sequence[float]:
    return trial.values


def _n_targets(points: dict, target_names: Optional[List[str]], study: Any,
               default_targets: bool) -> int:
    for key in ("best", "infeasible"):
        if points[key]:
            n = len(points[key][0][1])
            break
    else:
        if target_names is not None:
            n = len(target_names)
        elif default_targets:
            n = len(study.directions)
        else:
            raise ValueError("If `targets` is specified for empty studies, `target_names` "
                             "must be specified.")
    if n not in (2, 3):
        raise ValueError("`plot_pareto_front` function only supports 2 or 3 targets. you "
                         f"used {n} targets now.")
    return n


def _draw(points: dict, names: List[str], axis_order: List[int]) -> Any:
    import matplotlib.pyplot as plt
    plt.style.use("ggplot")  # as Optuna's backend, close to its plotly figures
    three = len(names) == 3
    if three:
        ax = plt.figure().add_subplot(projection="3d")
        ax.set_zlabel(names[2])
    else:
        _, ax = plt.subplots()
    ax.set_title("Pareto-front Plot")
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    cmap = plt.get_cmap("tab10")
    trial_label = "Feasible Trial" if points["infeasible"] else "Trial"
    for key, color, label in (("infeasible", "#cccccc", "Infeasible Trial"),
                              ("others", cmap(0), trial_label),
                              ("best", cmap(3), "Best Trial")):
        if not points[key]:
            continue
        axes = [[values[i] for _, values in points[key]] for i in axis_order]
        if three:
            ax.scatter(xs=axes[0], ys=axes[1], zs=axes[2], color=color, label=label)
        else:
            ax.scatter(x=axes[0], y=axes[1], color=color, label=label)
    if ax.has_data():
        ax.legend()
    return ax
