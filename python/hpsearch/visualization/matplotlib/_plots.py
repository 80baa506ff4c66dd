"""The matplotlib plots (see the package docstring). Layout and titles follow Optuna's
matplotlib backend, so figures read the same after switching; pruned trials are marked
in the intermediate-value plot."""
import math
from typing import Any, Callable, Dict, List, Optional, Tuple

from ...distributions import CategoricalDistribution
from ...importance import get_param_importances
from ...trial import FrozenTrial, TrialState

__all__ = ["plot_optimization_history", "plot_param_importances", "plot_parallel_coordinate",
           "plot_slice", "plot_contour", "plot_intermediate_values"]

Target = Optional[Callable[[FrozenTrial], float]]


def _plt() -> Any:
    import matplotlib.pyplot as plt
    return plt


def _check_target(study: Any, target: Target) -> None:
    if target is None and len(study._direction_codes) > 1:
        raise ValueError("If the `study` is being used for multi-objective optimization, "
                         "please specify the `target`.")


def _value(trial: FrozenTrial, target: Target) -> Optional[float]:
    v = target(trial) if target is not None else trial.value
    if v is None or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


def _completed(study: Any, target: Target) -> List[Tuple[FrozenTrial, float]]:
    out = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        v = _value(t, target)
        if v is not None:
            out.append((t, v))
    return out


def _minimize(study: Any) -> bool:
    return study._direction_codes[0] == 0


def _param_names(trials: List[Tuple[FrozenTrial, float]], params: Optional[List[str]]) -> List[str]:
    seen: Dict[str, None] = {}
    for t, _ in trials:
        for name in t.params:
            seen.setdefault(name, None)
    if params is None:
        return sorted(seen)
    missing = [p for p in params if p not in seen]
    if missing:
        raise ValueError("Parameter %s does not exist in your study." % missing[0])
    return list(params)


def _is_log(trials: List[Tuple[FrozenTrial, float]], name: str) -> bool:
    for t, _ in trials:
        dist = t.distributions.get(name)
        if dist is not None:
            return bool(getattr(dist, "log", False))
    return False


def _is_categorical(trials: List[Tuple[FrozenTrial, float]], name: str) -> bool:
    for t, _ in trials:
        dist = t.distributions.get(name)
        if dist is not None:
            return isinstance(dist, CategoricalDistribution)
    return False


def _new_axes(title: str) -> Any:
    plt = _plt()
    fig, ax = plt.subplots()
    ax.set_title(title)
    return ax


# ---- optimization history ------------------------------------------------------------

def plot_optimization_history(study: Any, *, target: Target = None,
                              target_name: str = "Objective Value",
                              error_bar: bool = False) -> Any:
    """Objective value of every completed trial, and the best value so far."""
    studies = list(study) if isinstance(study, (list, tuple)) else [study]
    ax = _new_axes("Optimization History Plot")
    ax.set_xlabel("Trial")
    ax.set_ylabel(target_name)
    plt = _plt()
    colors = plt.get_cmap("tab10")
    if error_bar and len(studies) > 1:
        _history_error_bar(ax, studies, target, target_name)
        return ax
    for k, s in enumerate(studies):
        _check_target(s, target)
        trials = _completed(s, target)
        if not trials:
            continue
        numbers = [t.number for t, _ in trials]
        values = [v for _, v in trials]
        prefix = "" if len(studies) == 1 else s.study_name + " "
        ax.scatter(numbers, values, color=colors(2 * k % 10), alpha=0.8, s=12,
                   label=prefix + target_name)
        if target is None:
            best, pick = [], min if _minimize(s) else max
            for v in values:
                best.append(v if not best else pick(best[-1], v))
            ax.plot(numbers, best, marker="o", markersize=3, color=colors((2 * k + 1) % 10),
                    alpha=0.7, label=prefix + "Best Value", drawstyle="steps-post")
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    return ax


def _history_error_bar(ax: Any, studies: List[Any], target: Target, target_name: str) -> None:
    import numpy as np
    per_number: Dict[int, List[float]] = {}
    best_rows = []
    for s in studies:
        _check_target(s, target)
        trials = _completed(s, target)
        best, row = None, {}
        for t, v in trials:
            per_number.setdefault(t.number, []).append(v)
            best = v if best is None else (min(best, v) if _minimize(s) else max(best, v))
            row[t.number] = best
        best_rows.append(row)
    if not per_number:
        return
    numbers = sorted(per_number)
    means = [float(np.mean(per_number[n])) for n in numbers]
    stds = [float(np.std(per_number[n])) for n in numbers]
    ax.errorbar(numbers, means, yerr=stds, fmt="o", markersize=3, alpha=0.8, label=target_name)
    if target is None:
        bests = [[row[n] for row in best_rows if n in row] for n in numbers]
        ax.plot(numbers, [float(np.mean(b)) for b in bests], label="Best Value")
    ax.legend()


# ---- importances -----------------------------------------------------------------------

def plot_param_importances(study: Any, evaluator: Any = None, params: Optional[List[str]] = None,
                           *, target: Target = None,
                           target_name: str = "Objective Value") -> Any:
    """Horizontal bars of get_param_importances (fANOVA computed by the engine), the most
    important on top."""
    importances = get_param_importances(study, evaluator=evaluator, params=params,
                                        target=target)
    ax = _new_axes("Hyperparameter Importances")
    ax.set_xlabel("Importance for " + target_name)
    ax.set_ylabel("Hyperparameter")
    if not importances:
        return ax
    names = list(importances)[::-1]
    values = [importances[n] for n in names]
    bars = ax.barh(range(len(names)), values, align="center", color="tab:blue")
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names)
    for bar, v in zip(bars, values):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2,
                " %.2f" % v if v >= 0.01 else " <0.01", va="center")
    ax.set_xlim(0, max(1.0, max(values) * 1.15))
    return ax


# ---- parallel coordinates --------------------------------------------------------------

def _axis_positions(trials: List[Tuple[FrozenTrial, float]], name: str
                    ) -> Tuple[List[Optional[float]], List[float], List[str]]:
    """Each trial's position in [0, 1] on the parameter's axis, plus tick positions and
    labels (log parameters on a log scale, categories evenly spaced)."""
    raw = [t.params.get(name) for t, _ in trials]
    if _is_categorical(trials, name):
        cats: List[Any] = []
        for v in raw:
            if v is not None and v not in cats:
                cats.append(v)
        n = max(len(cats) - 1, 1)
        pos = [None if v is None else cats.index(v) / n for v in raw]
        return pos, [i / n for i in range(len(cats))], [str(c) for c in cats]
    log = _is_log(trials, name)
    xs = [None if v is None else (math.log10(v) if log else float(v)) for v in raw]
    present = [x for x in xs if x is not None]
    lo, hi = min(present), max(present)
    span = hi - lo if hi > lo else 1.0
    pos = [None if x is None else (x - lo) / span for x in xs]
    ticks = [i / 4 for i in range(5)]
    labels = []
    for tpos in ticks:
        x = lo + tpos * span
        labels.append("%.3g" % (10 ** x if log else x))
    return pos, ticks, labels


def plot_parallel_coordinate(study: Any, params: Optional[List[str]] = None, *,
                             target: Target = None,
                             target_name: str = "Objective Value") -> Any:
    """One line per completed trial through the objective and each parameter's axis,
    coloured by the objective (darker is better)."""
    _check_target(study, target)
    ax = _new_axes("Parallel Coordinate Plot")
    trials = _completed(study, target)
    if not trials:
        return ax
    names = _param_names(trials, params)
    trials = [(t, v) for t, v in trials if all(n in t.params for n in names)]
    if not trials:
        return ax
    plt = _plt()
    values = [v for _, v in trials]
    vlo, vhi = min(values), max(values)
    vspan = vhi - vlo if vhi > vlo else 1.0
    columns = [[(v - vlo) / vspan for v in values]]
    ticks = [([i / 4 for i in range(5)], ["%.3g" % (vlo + i / 4 * vspan) for i in range(5)])]
    for name in names:
        pos, tk, labels = _axis_positions(trials, name)
        columns.append(pos)
        ticks.append((tk, labels))
    # Darker is better; with a custom target, smaller counts as better.
    cmap = plt.get_cmap("Blues_r" if target is not None or _minimize(study) else "Blues")
    xs = list(range(len(columns)))
    for i, v in enumerate(values):
        ys = [col[i] for col in columns]
        ax.plot(xs, ys, color=cmap((v - vlo) / vspan * 0.8), alpha=0.6, linewidth=1)
    for x, (tk, labels) in zip(xs, ticks):
        ax.axvline(x, color="black", linewidth=0.8)
        for tpos, label in zip(tk, labels):
            ax.text(x, tpos, " " + label, fontsize=7, va="center")
    ax.set_xticks(xs)
    ax.set_xticklabels([target_name] + names, rotation=20)
    ax.set_yticks([])
    ax.set_xlim(-0.2, len(columns) - 0.6)
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(vmin=vlo, vmax=vhi))
    ax.figure.colorbar(sm, ax=ax, label=target_name)
    return ax


# ---- slices ------------------------------------------------------------------------------

def plot_slice(study: Any, params: Optional[List[str]] = None, *, target: Target = None,
               target_name: str = "Objective Value") -> Any:
    """The objective against each parameter, coloured by trial number: one Axes for one
    parameter, else an array of Axes side by side."""
    _check_target(study, target)
    trials = _completed(study, target)
    plt = _plt()
    if not trials:
        return _new_axes("Slice Plot")
    names = _param_names(trials, params)
    if not names:
        return _new_axes("Slice Plot")
    fig, axes = plt.subplots(1, len(names), sharey=True, squeeze=False,
                             figsize=(max(4.0, 3.2 * len(names)), 3.6))
    fig.suptitle("Slice Plot")
    numbers = [t.number for t, _ in trials]
    for ax, name in zip(axes[0], names):
        xs, ys, cs = [], [], []
        for (t, v), n in zip(trials, numbers):
            if name in t.params:
                xs.append(t.params[name] if not _is_categorical(trials, name) else str(t.params[name]))
                ys.append(v)
                cs.append(n)
        sc = ax.scatter(xs, ys, c=cs, cmap="Blues", edgecolors="grey", s=16, linewidths=0.3)
        if _is_log(trials, name):
            ax.set_xscale("log")
        ax.set_xlabel(name)
    axes[0][0].set_ylabel(target_name)
    fig.colorbar(sc, ax=list(axes[0]), label="Trial")
    return axes[0][0] if len(names) == 1 else axes[0]


# ---- contour -------------------------------------------------------------------------

def _unit(trials: List[Tuple[FrozenTrial, float]], name: str) -> Tuple[List[float], Any, List[Any]]:
    """Positions in [0, 1] (log scale for log parameters, categories evenly spaced)
    with a function back to values for the ticks."""
    pos, ticks, labels = _axis_positions(trials, name)
    return [p if p is not None else float("nan") for p in pos], ticks, labels


def _contour_one(ax: Any, trials: List[Tuple[FrozenTrial, float]], xname: str, yname: str,
                 minimize: bool, target_name: str) -> Any:
    import numpy as np
    pairs = [(t, v) for t, v in trials if xname in t.params and yname in t.params]
    ax.set_xlabel(xname)
    ax.set_ylabel(yname)
    if len(pairs) < 2:
        return None
    xs, xt, xl = _unit(pairs, xname)
    ys, yt, yl = _unit(pairs, yname)
    vs = np.array([v for _, v in pairs])
    px, py = np.array(xs), np.array(ys)
    grid = np.linspace(0, 1, 60)
    gx, gy = np.meshgrid(grid, grid)
    # Inverse-distance weighting: smooth, defined everywhere, exact at the trials.
    d2 = (gx[..., None] - px) ** 2 + (gy[..., None] - py) ** 2
    w = 1.0 / np.maximum(d2, 1e-12) ** 2
    gz = (w * vs).sum(axis=-1) / w.sum(axis=-1)
    cs = ax.contourf(gx, gy, gz, levels=12, cmap="Blues_r" if minimize else "Blues")
    ax.scatter(px, py, color="black", s=8, alpha=0.6)
    ax.set_xticks(xt)
    ax.set_xticklabels(xl, fontsize=7)
    ax.set_yticks(yt)
    ax.set_yticklabels(yl, fontsize=7)
    return cs


def plot_contour(study: Any, params: Optional[List[str]] = None, *, target: Target = None,
                 target_name: str = "Objective Value") -> Any:
    """The objective over two parameters (the two most important when `params` is None),
    interpolated between the trials; with more parameters, an array of Axes, one per
    pair."""
    _check_target(study, target)
    trials = _completed(study, target)
    plt = _plt()
    if params is None:
        ranked = list(get_param_importances(study, target=target)) if len(trials) >= 2 else []
        names = ranked[:2] if len(ranked) >= 2 else _param_names(trials, None)[:2]
    else:
        names = _param_names(trials, params)
    minimize = target is None and _minimize(study)
    if len(names) < 2 or not trials:
        return _new_axes("Contour Plot")
    if len(names) == 2:
        ax = _new_axes("Contour Plot")
        cs = _contour_one(ax, trials, names[0], names[1], minimize, target_name)
        if cs is not None:
            ax.figure.colorbar(cs, ax=ax, label=target_name)
        return ax
    n = len(names)
    fig, axes = plt.subplots(n, n, figsize=(3 * n, 3 * n), squeeze=False)
    fig.suptitle("Contour Plot")
    for i, yname in enumerate(names):
        for j, xname in enumerate(names):
            if i == j:
                axes[i][j].axis("off")
                axes[i][j].text(0.5, 0.5, xname, ha="center", va="center")
            else:
                _contour_one(axes[i][j], trials, xname, yname, minimize, target_name)
    return axes


# ---- intermediate values ----------------------------------------------------------------

def plot_intermediate_values(study: Any) -> Any:
    """The learning curve of every trial that reported; pruned trials are red and
    dashed, ending in a cross at the step where they stopped."""
    ax = _new_axes("Intermediate Values Plot")
    ax.set_xlabel("Step")
    ax.set_ylabel("Intermediate Value")
    shown = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
    pruned_label = complete_label = False
    for t in study.get_trials(deepcopy=False, states=shown):
        if not t.intermediate_values:
            continue
        steps = sorted(t.intermediate_values)
        values = [t.intermediate_values[s] for s in steps]
        if t.state == TrialState.PRUNED:
            ax.plot(steps, values, color="tab:red", linestyle="--", alpha=0.7, linewidth=1,
                    label=None if pruned_label else "pruned")
            ax.plot(steps[-1:], values[-1:], marker="x", color="tab:red", linestyle="none")
            pruned_label = True
        else:
            ax.plot(steps, values, marker="o", markersize=2, alpha=0.7, linewidth=1,
                    color="tab:blue" if t.state == TrialState.COMPLETE else "tab:gray",
                    label=None if complete_label or t.state != TrialState.COMPLETE else "complete")
            complete_label = complete_label or t.state == TrialState.COMPLETE
    if pruned_label or complete_label:
        ax.legend()
    return ax
