"""The plotly plots of :mod:`hpsearch.visualization` (see the package docstring).

Each function builds the figure Optuna's does -- the same kinds of traces in the same
order, titles and axis titles -- so code that post-processes Optuna's figures (update
a layout, pick ``fig.data[0]``) keeps working. plotly is imported on the first call.
"""
import datetime
import math
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..distributions import CategoricalDistribution
from ..exceptions import _warn_experimental
from ..importance import get_param_importances
from ..logging import get_logger
from ..terminator.improvement.evaluator import DEFAULT_MIN_N_TRIALS
from ..trial import FrozenTrial, TrialState

__all__ = ["is_available", "plot_contour", "plot_edf", "plot_intermediate_values",
           "plot_optimization_history", "plot_parallel_coordinate", "plot_param_importances",
           "plot_rank", "plot_slice", "plot_timeline", "plot_pareto_front",
           "plot_hypervolume_history", "plot_terminator_improvement"]

Target = Optional[Callable[[FrozenTrial], float]]

_logger = get_logger(__name__)

# Extra room around the trials on contour and rank axes (Optuna's).
_PADDING_RATIO = 0.05
# Points on the x axis of an empirical distribution function (Optuna's).
_EDF_SAMPLES = 100


def is_available() -> bool:
    """Whether plotly can be imported, so that the plot functions work."""
    try:
        _plotly()
    except ImportError:
        return False
    return True


def _plotly() -> Any:
    """The plotly module, with graph_objects, subplots and colors loaded; an ImportError
    naming the package when it is missing."""
    try:
        import plotly
        import plotly.colors  # noqa: F401
        import plotly.graph_objects  # noqa: F401
        import plotly.subplots  # noqa: F401
    except ImportError as e:
        raise ImportError("hpsearch.visualization needs the plotly package, which could not "
                          "be imported (%s): install it with `pip install plotly` or "
                          "`apt install python3-plotly`, or use "
                          "hpsearch.visualization.matplotlib" % e) from e
    return plotly


def _go() -> Any:
    return _plotly().graph_objects


def _blues() -> List[str]:
    return _plotly().colors.sequential.Blues


# ---- what every plot checks and reads -----------------------------------------------

def _studies(study: Any) -> List[Any]:
    return list(study) if isinstance(study, (list, tuple)) else [study]


def _check_plot_args(studies: Sequence[Any], target: Target, target_name: str) -> None:
    if target is None and any(s._is_multi_objective() for s in studies):
        raise ValueError("If the `study` is being used for multi-objective optimization, "
                         "please specify the `target`.")
    if target is not None and target_name == "Objective Value":
        warnings.warn("`target` is specified, but `target_name` is the default value, "
                      "'Objective Value'.")


def _value_of(target: Target) -> Callable[[FrozenTrial], float]:
    return target if target is not None else (lambda t: t.value)


def _finite_trials(study: Any, target: Target) -> List[FrozenTrial]:
    """Completed trials whose plotted number is finite (the others are logged and left
    out, as Optuna does)."""
    value_of = _value_of(target)
    kept = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        value = float(value_of(t))
        if math.isfinite(value):
            kept.append(t)
        else:
            _logger.warning("Trial %d is omitted in visualization because its objective "
                            "value is inf or nan." % t.number)
    return kept


def _param_names(trials: List[FrozenTrial], params: Optional[List[str]],
                 sort: bool = True) -> List[str]:
    """`params` (checked to exist; sorted unless `sort` is False, as Optuna's rank plot
    keeps the caller's order), or every parameter the trials have, sorted."""
    present = {name for t in trials for name in t.params}
    if params is None:
        return sorted(present)
    for name in params:
        if name not in present:
            raise ValueError("Parameter {} does not exist in your study.".format(name))
    return sorted(set(params)) if sort else list(params)


def _is_log(trials: List[FrozenTrial], name: str) -> bool:
    return any(getattr(t.distributions[name], "log", False) for t in trials if name in t.params)


def _is_categorical(trials: List[FrozenTrial], name: str) -> bool:
    return any(isinstance(t.distributions[name], CategoricalDistribution)
               for t in trials if name in t.params)


def _is_numerical(trials: List[FrozenTrial], name: str) -> bool:
    return all(isinstance(t.params[name], (int, float)) and not isinstance(t.params[name], bool)
               for t in trials if name in t.params)


def _reverse_scale(study: Any, target: Target) -> bool:
    """Colour scales run dark-is-good: reversed when smaller is better (a custom target
    counts as minimized)."""
    return target is not None or study._direction_codes[0] == 0


# ---- optimization history --------------------------------------------------------------

def _history_lines(studies: List[Any], target: Target, target_name: str
                   ) -> List[Tuple[List[int], List[float], str, Optional[List[float]], str]]:
    """Per study: trial numbers, values and their label, best-so-far values (None with a
    custom target, whose better direction is unknown) and their label."""
    lines = []
    for s in studies:
        trials = s.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        one = len(studies) == 1
        label = target_name if one else "%s of %s" % (target_name, s.study_name)
        values = [float(_value_of(target)(t)) for t in trials]
        best = None
        if target is None:
            pick = min if s._direction_codes[0] == 0 else max
            best = []
            for v in values:
                best.append(v if not best else pick(best[-1], v))
        best_label = "Best Value" if one else "Best Value of %s" % s.study_name
        lines.append(([t.number for t in trials], values, label, best, best_label))
    return lines


def _mean_and_std(lines: List[Any], pick: int) -> Tuple[List[int], List[float], List[float]]:
    """Mean and standard deviation over the studies at each trial number."""
    per_number: Dict[int, List[float]] = {}
    for line in lines:
        for number, value in zip(line[0], line[pick]):
            per_number.setdefault(number, []).append(value)
    numbers = sorted(per_number)
    means = [sum(per_number[n]) / len(per_number[n]) for n in numbers]
    stds = [math.sqrt(sum((v - m) ** 2 for v in per_number[n]) / len(per_number[n]))
            for n, m in zip(numbers, means)]
    return numbers, means, stds


def plot_optimization_history(study: Any, *, target: Target = None,
                              target_name: str = "Objective Value",
                              error_bar: bool = False) -> Any:
    """Every completed trial's value and the best value so far (a study or a list of
    studies; with ``error_bar``, their mean and standard deviation per trial number)."""
    go = _go()
    studies = _studies(study)
    _check_plot_args(studies, target, target_name)
    layout = go.Layout(title="Optimization History Plot", xaxis={"title": "Trial"},
                       yaxis={"title": target_name})
    lines = _history_lines(studies, target, target_name)
    if not studies:
        _logger.warning("There are no studies.")
    if sum(len(line[0]) for line in lines) == 0:
        _logger.warning("There are no complete trials.")
        return go.Figure(data=[], layout=layout)
    traces = []
    if error_bar:
        numbers, means, stds = _mean_and_std(lines, 1)
        traces.append(go.Scatter(x=numbers, y=means, mode="markers", name=target_name,
                                 error_y={"type": "data", "array": stds, "visible": True}))
        if target is None:
            numbers, best, best_std = _mean_and_std(lines, 3)
            traces.append(go.Scatter(x=numbers, y=best, name="Best Value"))
            traces.append(go.Scatter(x=numbers, y=[b + s for b, s in zip(best, best_std)],
                                     mode="lines", line={"width": 0.01}, showlegend=False))
            traces.append(go.Scatter(x=numbers, y=[b - s for b, s in zip(best, best_std)],
                                     mode="none", showlegend=False, fill="tonexty",
                                     fillcolor="rgba(255,0,0,0.2)"))
        return go.Figure(data=traces, layout=layout)
    for numbers, values, label, best, best_label in lines:
        traces.append(go.Scatter(x=numbers, y=values, mode="markers", name=label))
        if best is not None:
            traces.append(go.Scatter(x=numbers, y=best, name=best_label))
    return go.Figure(data=traces, layout=layout)


# ---- intermediate values -----------------------------------------------------------------

def plot_intermediate_values(study: Any) -> Any:
    """The learning curve (reported values by step) of every trial that reported."""
    go = _go()
    layout = go.Layout(title="Intermediate Values Plot", xaxis={"title": "Step"},
                       yaxis={"title": "Intermediate Value"}, showlegend=False)
    trials = study.get_trials(deepcopy=False, states=(TrialState.PRUNED, TrialState.COMPLETE,
                                                      TrialState.RUNNING))
    reported = [t for t in trials if t.intermediate_values]
    if not trials:
        _logger.warning("Study instance does not contain trials.")
    elif not reported:
        _logger.warning("You need to set up the pruning feature to utilize "
                        "`plot_intermediate_values()`")
    traces = []
    for t in reported:
        steps = sorted(t.intermediate_values)
        traces.append(go.Scatter(x=tuple(steps),
                                 y=tuple(t.intermediate_values[s] for s in steps),
                                 mode="lines+markers", marker={"maxdisplayed": 10},
                                 name="Trial{}".format(t.number)))
    return go.Figure(data=traces, layout=layout)


# ---- parallel coordinates ----------------------------------------------------------------

def _truncate(label: str) -> str:
    return label if len(label) < 20 else label[:17] + "..."


def _param_dimension(trials: List[FrozenTrial], name: str) -> Dict[str, Any]:
    """One axis of the parallel-coordinate plot: log parameters in log10 with ticks at
    the powers of ten, categories as indices with their names as ticks."""
    values = [t.params[name] for t in trials]
    dim: Dict[str, Any] = {"label": _truncate(name)}
    if _is_log(trials, name):
        logs = [math.log10(v) for v in values]
        lo, hi = min(logs), max(logs)
        ticks: List[float] = list(range(math.ceil(lo), math.ceil(hi)))
        if lo not in ticks:
            ticks = [lo] + ticks
        if hi not in ticks:
            ticks = ticks + [hi]
        dim.update(values=tuple(logs), range=(lo, hi), tickvals=ticks,
                   ticktext=["{:.3g}".format(10 ** x) for x in ticks])
    elif _is_categorical(trials, name):
        # Numbers in their order, other choices in order of appearance.
        if _is_numerical(trials, name):
            ordered = sorted(set(values))
        else:
            ordered = list(dict.fromkeys(values))
        index = {v: i for i, v in enumerate(ordered)}
        codes = [index[v] for v in values]
        dim.update(values=tuple(codes), range=(min(codes), max(codes)),
                   tickvals=list(range(len(ordered))), ticktext=[str(v) for v in ordered])
    else:
        dim.update(values=tuple(values), range=(min(values), max(values)))
    return dim


def plot_parallel_coordinate(study: Any, params: Optional[List[str]] = None, *,
                             target: Target = None,
                             target_name: str = "Objective Value") -> Any:
    """One line per completed trial through the objective's and each parameter's axis,
    coloured by the objective; trials lacking one of the parameters are left out."""
    go = _go()
    _check_plot_args([study], target, target_name)
    layout = go.Layout(title="Parallel Coordinate Plot")
    trials = _finite_trials(study, target)
    names = _param_names(trials, params)
    if not trials:
        _logger.warning("Your study does not have any completed trials.")
        return go.Figure(data=[], layout=layout)
    trials = [t for t in trials if all(n in t.params for n in names)]
    if not trials:
        _logger.warning("Your study has only completed trials with missing parameters.")
        return go.Figure(data=[], layout=layout)
    if not names:
        return go.Figure(data=[], layout=layout)
    # Lines in the order of the numeric categorical parameters' values (stable), as
    # Optuna draws them.
    numeric_choices = [n for n in names
                       if _is_categorical(trials, n) and _is_numerical(trials, n)]
    trials.sort(key=lambda t: tuple(t.params[n] for n in numeric_choices))
    objective = tuple(float(_value_of(target)(t)) for t in trials)
    dims = [{"label": target_name, "values": objective,
             "range": (min(objective), max(objective))}]
    dims += [_param_dimension(trials, name) for name in names]
    line = {"color": objective, "colorscale": _blues(), "colorbar": {"title": target_name},
            "showscale": True, "reversescale": _reverse_scale(study, target)}
    return go.Figure(data=[go.Parcoords(dimensions=dims, labelangle=30, labelside="bottom",
                                        line=line)], layout=layout)


# ---- slices ---------------------------------------------------------------------------------

def _slice_trace(trials: List[FrozenTrial], name: str, target: Target) -> Any:
    go = _go()
    having = [t for t in trials if name in t.params]
    return go.Scatter(
        x=[t.params[name] for t in having], y=[float(_value_of(target)(t)) for t in having],
        mode="markers",
        marker={"line": {"width": 0.5, "color": "Grey"},
                "color": [t.number for t in having], "colorscale": _blues(),
                "colorbar": {"title": "Trial", "x": 1.0, "xpad": 40}},
        showlegend=False)


def plot_slice(study: Any, params: Optional[List[str]] = None, *, target: Target = None,
               target_name: str = "Objective Value") -> Any:
    """The objective against each parameter (one subplot each, sharing the y axis),
    points coloured by trial number."""
    plotly = _plotly()
    go = plotly.graph_objects
    _check_plot_args([study], target, target_name)
    layout = go.Layout(title="Slice Plot")
    trials = _finite_trials(study, target)
    if not trials:
        _logger.warning("Your study does not have any completed trials.")
        return go.Figure(data=[], layout=layout)
    names = _param_names(trials, params)
    if not names:
        return go.Figure(data=[], layout=layout)
    if len(names) == 1:
        figure = go.Figure(data=[_slice_trace(trials, names[0], target)], layout=layout)
        figure.update_xaxes(title_text=names[0])
        figure.update_yaxes(title_text=target_name)
        if _is_log(trials, names[0]):
            figure.update_xaxes(type="log")
        return figure
    figure = plotly.subplots.make_subplots(rows=1, cols=len(names), shared_yaxes=True)
    figure.update_layout(layout)
    for col, name in enumerate(names, start=1):
        trace = _slice_trace(trials, name, target)
        trace.update(marker={"showscale": col == 1})  # one colour bar is enough
        figure.add_trace(trace, row=1, col=col)
        figure.update_xaxes(title_text=name, row=1, col=col)
        if col == 1:
            figure.update_yaxes(title_text=target_name, row=1, col=col)
        if _is_log(trials, name):
            figure.update_xaxes(type="log", row=1, col=col)
    if len(names) > 3:
        figure.update_layout(width=300 * len(names))  # each subplot stays readable
    return figure


# ---- contour and rank: one subplot per pair of parameters -----------------------------

class _Axis:
    """How a parameter is laid on a contour or rank axis: its range (padded), whether
    log or categorical, each trial's value (str for categories, None when absent) and
    the grid of distinct values (with the padded ends for numbers)."""

    def __init__(self, trials: List[FrozenTrial], name: str) -> None:
        numerical = _is_numerical(trials, name)
        if numerical:
            self.values: List[Any] = [t.params.get(name) for t in trials]
        else:
            self.values = [str(t.params[name]) if name in t.params else None for t in trials]
        present = [v for v in self.values if v is not None]
        self.is_log = _is_log(trials, name)
        self.is_cat = not numerical and not self.is_log
        if self.is_log:
            lo, hi = math.log10(min(present)), math.log10(max(present))
            pad = (hi - lo) * _PADDING_RATIO
            self.range = (10 ** (lo - pad), 10 ** (hi + pad))
        elif numerical:
            lo, hi = float(min(present)), float(max(present))
            pad = (hi - lo) * _PADDING_RATIO
            self.range = (lo - pad, hi + pad)
        else:
            span = len(set(present)) - 1
            self.range = (-span * _PADDING_RATIO, span + span * _PADDING_RATIO)
        self.grid: List[Any] = sorted(set(present))
        if numerical and len(self.grid) >= 2:
            self.grid = [self.range[0]] + self.grid + [self.range[1]]

    def style(self, update: Callable[..., Any], **where: Any) -> None:
        """Range and type of this axis, through a figure's update_xaxes or _yaxes."""
        update(range=list(self.range), **where)
        if self.is_cat:
            update(type="category", **where)
        if self.is_log:
            update(range=[math.log10(p) for p in self.range], type="log", **where)


def _pair_grid(figure_for_two: Callable[[str, str], Tuple[List[Any], _Axis, _Axis]],
               names: List[str], title: str, spacing: Optional[float] = None) -> Any:
    """The figure of one pair, or else a names x names grid of subplots (x parameter by
    column, y parameter by row, titles on the outer axes) filled by figure_for_two."""
    plotly = _plotly()
    go = plotly.graph_objects
    layout = go.Layout(title=title)
    if len(names) == 2:
        traces, xaxis, yaxis = figure_for_two(names[0], names[1])
        figure = go.Figure(data=traces, layout=layout)
        figure.update_xaxes(title_text=names[0])
        figure.update_yaxes(title_text=names[1])
        xaxis.style(figure.update_xaxes)
        yaxis.style(figure.update_yaxes)
        return figure
    extra = {} if spacing is None else {"horizontal_spacing": spacing / len(names),
                                        "vertical_spacing": spacing / len(names)}
    figure = plotly.subplots.make_subplots(rows=len(names), cols=len(names), shared_xaxes=True,
                                           shared_yaxes=True, **extra)
    figure.update_layout(layout)
    for col, xname in enumerate(names, start=1):
        for row, yname in enumerate(names, start=1):
            traces, xaxis, yaxis = figure_for_two(xname, yname)
            for trace in traces:
                figure.add_trace(trace, row=row, col=col)
            xaxis.style(figure.update_xaxes, row=row, col=col)
            yaxis.style(figure.update_yaxes, row=row, col=col)
            if col == 1:
                figure.update_yaxes(title_text=yname, row=row, col=col)
            if row == len(names):
                figure.update_xaxes(title_text=xname, row=row, col=col)
    return figure


def plot_contour(study: Any, params: Optional[List[str]] = None, *, target: Target = None,
                 target_name: str = "Objective Value") -> Any:
    """The objective over each pair of parameters: a contour through the trials' values
    (gaps connected) with the trials on top; for more than two parameters a grid of
    pairs, the diagonal left empty."""
    go = _go()
    _check_plot_args([study], target, target_name)
    trials = _finite_trials(study, target)
    if not trials:
        _logger.warning("Your study does not have any completed trials.")
        return go.Figure(data=[], layout=go.Layout(title="Contour Plot"))
    if params is not None and len(params) <= 1:
        _logger.warning("The length of params must be greater than 1.")
    names = _param_names(trials, params)
    if len(names) <= 1:
        return go.Figure(data=[], layout=go.Layout(title="Contour Plot"))
    reverse = _reverse_scale(study, target)
    value_of = _value_of(target)
    first_in_grid = True  # a grid shows the colour bar of its first contour only

    def one_pair(xname: str, yname: str) -> Tuple[List[Any], _Axis, _Axis]:
        nonlocal first_in_grid
        xaxis, yaxis = _Axis(trials, xname), _Axis(trials, yname)
        if xname == yname:
            return [go.Scatter()], xaxis, yaxis
        traces = contour_and_trials(xname, yname, xaxis, yaxis)
        if len(names) > 2:
            traces[0].update(showscale=first_in_grid)
            first_in_grid = False
        return traces, xaxis, yaxis

    def contour_and_trials(xname: str, yname: str, xaxis: _Axis, yaxis: _Axis) -> List[Any]:
        if len(xaxis.grid) < 2 or len(yaxis.grid) < 2:
            _logger.warning("Param {} unique value length is less than 2.".format(
                xname if len(xaxis.grid) < 2 else yname))
            return [go.Contour(), go.Scatter()]
        z = [[float("nan")] * len(xaxis.grid) for _ in yaxis.grid]
        xs, ys = [], []
        for t, x, y in zip(trials, xaxis.values, yaxis.values):
            if x is None or y is None:
                continue
            z[yaxis.grid.index(y)][xaxis.grid.index(x)] = float(value_of(t))
            xs.append(x)
            ys.append(y)
        contour = go.Contour(x=xaxis.grid, y=yaxis.grid, z=z, colorbar={"title": target_name},
                             colorscale=_blues(), connectgaps=True,
                             contours_coloring="heatmap", hoverinfo="none", line_smoothing=1.3,
                             reversescale=reverse)
        scatter = go.Scatter(x=xs, y=ys, mode="markers", showlegend=False,
                             marker={"line": {"width": 2.0, "color": "Grey"}, "color": "black"})
        return [contour, scatter]

    return _pair_grid(one_pair, names, "Contour Plot")


def _average_ranks(values: List[float]) -> List[float]:
    """Each value's 0-based rank, ties sharing the mean of their ranks."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2
        start = end + 1
    return ranks


def _quantile(sorted_values: List[float], q: float) -> float:
    """numpy's default (linear) quantile of sorted values."""
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def plot_rank(study: Any, params: Optional[List[str]] = None, *, target: Target = None,
              target_name: str = "Objective Value") -> Any:
    """Each pair of parameters as a scatter of the trials coloured by the rank of their
    objective (blue the lowest, red the highest), as Optuna 3.2's plot_rank."""
    plotly = _plotly()
    go = plotly.graph_objects
    _check_plot_args([study], target, target_name)
    layout = go.Layout(title="Rank ({})".format(target_name))
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not trials:
        _logger.warning("Your study does not have any completed trials.")
        return go.Figure(data=[], layout=layout)
    names = _param_names(trials, params, sort=False)
    if not names:
        _logger.warning("params is an empty list.")
        return go.Figure(data=[], layout=layout)
    values = [float(_value_of(target)(t)) for t in trials]
    ranks = _average_ranks(values)
    shares = [r / (len(trials) - 1) for r in ranks] if len(trials) >= 2 else [0.5]
    colors = plotly.colors.sample_colorscale("RdYlBu_r", shares)
    infeasible = {i for i, t in enumerate(trials)
                  if any(c > 0.0 for c in t.system_attrs.get("constraints", None) or ())}
    colors = ["rgb(204, 204, 204)" if i in infeasible else c for i, c in enumerate(colors)]

    def hover(t: FrozenTrial, value: float) -> str:
        lines = ["Trial #{}".format(t.number)]
        lines += ["{}: {}".format(k, v) for k, v in t.params.items()]
        lines.append("<b>{}: {}</b>".format(target_name, value))
        if target is not None:
            lines += ["Objective #{}: {}".format(i, v) for i, v in enumerate(t.values)]
        return "<br>".join(lines)

    def one_pair(xname: str, yname: str) -> Tuple[List[Any], _Axis, _Axis]:
        xaxis, yaxis = _Axis(trials, xname), _Axis(trials, yname)
        shown = [i for i, t in enumerate(trials) if xname in t.params and yname in t.params]
        xs = [trials[i].params[xname] for i in shown]
        ys = [trials[i].params[yname] for i in shown]
        scatter = go.Scatter(
            x=[str(x) for x in xs] if xaxis.is_cat else xs,
            y=[str(y) for y in ys] if yaxis.is_cat else ys,
            marker={"color": [colors[i] for i in shown], "line": {"width": 0.5, "color": "Grey"}},
            mode="markers", showlegend=False, hovertemplate="%{hovertext}<extra></extra>",
            hovertext=[hover(trials[i], values[i]) for i in shown])
        return [scatter], xaxis, yaxis

    figure = _pair_grid(one_pair, names, layout.title.text, spacing=0.08)
    ordered = sorted(values)
    ticks = [0, 0.25, 0.5, 0.75, 1]
    labels = ["min.", "25%", "50%", "75%", "max."]
    ticktext = ["{} ({:3g})".format(label, _quantile(ordered, q))
                for label, q in zip(labels, ticks)]
    figure.add_trace(go.Scatter(
        x=[None], y=[None], mode="markers", hoverinfo="none", showlegend=False,
        marker={"colorscale": "RdYlBu_r", "showscale": True, "cmin": 0, "cmax": 1,
                "colorbar": {"thickness": 10, "tickvals": ticks, "ticktext": ticktext}}))
    return figure


# ---- importances, EDF, timeline ---------------------------------------------------------

def plot_param_importances(study: Any, evaluator: Any = None, params: Optional[List[str]] = None,
                           *, target: Target = None,
                           target_name: str = "Objective Value") -> Any:
    """Horizontal bars of :func:`hpsearch.importance.get_param_importances` (computed by
    the engine with ``evaluator``), the most important on top."""
    plotly = _plotly()
    go = plotly.graph_objects
    _check_plot_args([study], target, target_name)
    layout = go.Layout(title="Hyperparameter Importances",
                       xaxis={"title": "Importance for {}".format(target_name)},
                       yaxis={"title": "Hyperparameter"}, showlegend=False)
    if not _finite_trials(study, target):
        _logger.warning("Study instance does not contain completed trials.")
        return go.Figure(data=[], layout=layout)
    importances = get_param_importances(study, evaluator=evaluator, params=params,
                                        target=target)
    if not importances:
        return go.Figure(data=[], layout=layout)
    names = list(importances)[::-1]  # plotly draws the first bar at the bottom
    values = [importances[n] for n in names]
    kinds = {}
    for t in study.get_trials(deepcopy=False):
        for n, dist in t.distributions.items():
            kinds.setdefault(n, type(dist).__name__)
    return go.Figure(data=[go.Bar(
        x=values, y=names, orientation="h", textposition="outside", cliponaxis=False,
        text=["{:.2f}".format(v) if v >= 0.01 else "<0.01" for v in values],
        hovertemplate=["{} ({}): {}<extra></extra>".format(n, kinds.get(n, "?"), v)
                       for n, v in zip(names, values)],
        marker_color=plotly.colors.sequential.Blues[-4])], layout=layout)


def plot_edf(study: Any, *, target: Target = None,
             target_name: str = "Objective Value") -> Any:
    """The empirical distribution function of the objective: for each study (or list of
    studies), the share of its completed trials at or below each value."""
    go = _go()
    studies = _studies(study)
    _check_plot_args(studies, target, target_name)
    layout = go.Layout(title="Empirical Distribution Function Plot",
                       xaxis={"title": target_name}, yaxis={"title": "Cumulative Probability"})
    if not studies:
        _logger.warning("There are no studies.")
        return go.Figure(data=[], layout=layout)
    value_of = _value_of(target)
    per_study = [(s.study_name, [float(value_of(t)) for t in _finite_trials(s, target)])
                 for s in studies]
    everything = [v for _, values in per_study for v in values]
    if not everything:
        _logger.warning("There are no complete trials.")
        return go.Figure(data=[], layout=layout)
    lo, hi = min(everything), max(everything)
    step = (hi - lo) / (_EDF_SAMPLES - 1)  # numpy.linspace's points, to the last bit
    xs = [lo + i * step for i in range(_EDF_SAMPLES - 1)] + [hi]
    traces = []
    for name, values in per_study:
        # A study without completed trials draws no line, as numpy's 0/0 would not.
        ys = [sum(v <= x for v in values) / len(values) if values else float("nan")
              for x in xs]
        traces.append(go.Scatter(x=xs, y=ys, name=name, mode="lines"))
    figure = go.Figure(data=traces, layout=layout)
    figure.update_yaxes(range=[0, 1])
    return figure


_TIMELINE_COLORS = {"COMPLETE": "blue", "FAIL": "red", "PRUNED": "orange", "RUNNING": "green",
                    "WAITING": "gray"}


def _timeline_hover(t: FrozenTrial) -> str:
    import json
    text = {"number": t.number, "values": t.values, "params": t.params}
    return json.dumps(text, indent=2, default=str).replace("\n", "<br>")


def plot_timeline(study: Any) -> Any:
    """Every trial as a horizontal bar from its start to its end (now while it runs),
    one trace per state (failed red, pruned orange, ...), as Optuna 3.2's plot_timeline."""
    go = _go()
    now = datetime.datetime.now()
    bars: Dict[str, List[Tuple[FrozenTrial, datetime.datetime, datetime.datetime]]] = {}
    trials = study.get_trials(deepcopy=False)
    for t in trials:
        end = t.datetime_complete or now
        start = t.datetime_start or end
        if end < start:
            _logger.warning("The start and end times for Trial {} seem to be reversed. The "
                            "start time is {} and the end time is {}.".format(t.number, start, end))
        infeasible = t.state == TrialState.COMPLETE and any(
            c > 0 for c in t.system_attrs.get("constraints", None) or ())
        bars.setdefault("INFEASIBLE" if infeasible else t.state.name, []).append((t, start, end))
    if not trials:
        _logger.warning("Your study does not have any trials.")
    figure = go.Figure()
    # Optuna's order: states by name, infeasible completed trials before the feasible.
    order = []
    for state in sorted(_TIMELINE_COLORS):
        if state == "COMPLETE":
            order.append(("INFEASIBLE", "#cccccc"))
        order.append((state, _TIMELINE_COLORS[state]))
    for name, color in order:
        group = bars.get(name)
        if not group:
            continue
        figure.add_trace(go.Bar(
            name=name, orientation="h", marker={"color": color}, textposition="none",
            x=[(end - start).total_seconds() * 1000 for _, start, end in group],
            y=[t.number for t, _, _ in group],
            base=[start.isoformat() for _, start, _ in group],
            text=[_timeline_hover(t) for t, _, _ in group],
            hovertemplate="%{text}<extra>" + name + "</extra>"))
    figure.update_xaxes(type="date")
    figure.update_layout(go.Layout(title="Timeline Plot", xaxis={"title": "Datetime"},
                                   yaxis={"title": "Trial"}))
    figure.update_layout(showlegend=True)  # a legend even when every trial has one state
    return figure


# ---- several objectives ---------------------------------------------------------------

def _pareto_hover(trial: FrozenTrial) -> str:
    import json
    text = {"number": trial.number, "values": trial.values, "params": trial.params}
    if trial.user_attrs:
        text["user_attrs"] = trial.user_attrs
    return json.dumps(text, indent=2, default=str).replace("\n", "<br>")


def _pareto_marker(kind: str, trials: List[FrozenTrial], include_dominated: bool
                   ) -> Dict[str, Any]:
    if kind == "infeasible":
        return {"color": "#cccccc"}
    line = {"width": 0.5, "color": "Grey"}
    numbers = [t.number for t in trials]
    if kind == "others":
        return {"line": line, "color": numbers, "colorscale": "Blues",
                "colorbar": {"title": "Trial"}}
    return {"line": line, "color": numbers, "colorscale": "Reds",
            "colorbar": {"title": "Best Trial", "x": 1.1 if include_dominated else 1,
                         "xpad": 40}}


def plot_pareto_front(study: Any, *, target_names: Optional[List[str]] = None,
                      include_dominated_trials: bool = True,
                      axis_order: Optional[List[int]] = None,
                      constraints_func: Optional[Callable[[FrozenTrial], Sequence[float]]] = None,
                      targets: Optional[Callable[[FrozenTrial], Sequence[float]]] = None) -> Any:
    """The COMPLETE trials on 2 or 3 axes (a Scatter, or Scatter3d for three targets):
    the other feasible trials in blues by number, the Pareto set (``study.best_trials``)
    in reds and, when some trial stores constraints, the infeasible ones in grey first,
    as Optuna 4 draws them (trace order infeasible, feasible, best; hover names
    "Infeasible Trial", "Feasible Trial"/"Trial", "Best Trial"). Arguments and errors as
    :func:`hpsearch.visualization.matplotlib.plot_pareto_front`: `constraints_func` is
    refused (give it to the sampler, which stores each trial's constraints)."""
    from .matplotlib._pareto_front import _pareto_front_info
    go = _go()
    points, names, order = _pareto_front_info(study, target_names, include_dominated_trials,
                                              axis_order, constraints_func, targets)
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    has_constraints = any(t.system_attrs.get("constraints") for t in complete)
    kinds = [("others", "Feasible Trial" if has_constraints else "Trial"), ("best", "Best Trial")]
    if has_constraints:
        kinds.insert(0, ("infeasible", "Infeasible Trial"))
    data = []
    for kind, label in kinds:
        shown = points[kind]
        trials = [t for t, _ in shown]
        axes = {axis: [values[order[i]] for _, values in shown]
                for i, axis in enumerate("xyz"[:len(order)])}
        scatter = go.Scatter3d if len(order) == 3 else go.Scatter
        data.append(scatter(**axes, text=[_pareto_hover(t) for t in trials], mode="markers",
                            hovertemplate="%{text}<extra>" + label + "</extra>",
                            marker=_pareto_marker(kind, trials, include_dominated_trials),
                            showlegend=False))
    titles = [names[i] for i in order]
    if len(order) == 2:
        layout = go.Layout(title="Pareto-front Plot", xaxis_title=titles[0],
                           yaxis_title=titles[1])
    else:
        layout = go.Layout(title="Pareto-front Plot",
                           scene={"xaxis_title": titles[0], "yaxis_title": titles[1],
                                  "zaxis_title": titles[2]})
    return go.Figure(data=data, layout=layout)


def plot_hypervolume_history(study: Any, reference_point: Sequence[float]) -> Any:
    """The hypervolume of the feasible COMPLETE trials so far against the trial number,
    w.r.t. `reference_point` (one coordinate per objective, in the objectives' own
    directions), as the newest Optuna's (3.3+; Debian's 3.1 has none): one Scatter,
    "lines+markers". ValueError for a study of one objective or a reference point of
    another dimension."""
    from ._hypervolume_history import hypervolume_history
    go = _go()
    numbers, volumes = hypervolume_history(study, reference_point)
    layout = go.Layout(title="Hypervolume History Plot", xaxis={"title": "Trial"},
                       yaxis={"title": "Hypervolume"})
    return go.Figure(data=go.Scatter(x=numbers, y=volumes, mode="lines+markers"),
                     layout=layout)


def _improvement_scatter(numbers: List[int], improvements: List[float], opacity: float,
                         showlegend: bool) -> Any:
    color = f"rgba(99, 110, 250, {opacity})"  # plotly's first colour
    return _go().Scatter(x=numbers, y=improvements, mode="markers+lines",
                         marker={"color": color}, line={"color": color},
                         name="Terminator Improvement", showlegend=showlegend,
                         legendgroup="improvement")


def plot_terminator_improvement(study: Any, plot_error: bool = False,
                                improvement_evaluator: Any = None, error_evaluator: Any = None,
                                min_n_trials: int = DEFAULT_MIN_N_TRIALS) -> Any:
    """The terminator's room for improvement after each trial (from the first COMPLETE
    one), evaluated with `improvement_evaluator` (default
    :class:`~hpsearch.terminator.RegretBoundEvaluator`) on the COMPLETE trials so far,
    and with `plot_error` the error of `error_evaluator` (default
    :class:`~hpsearch.terminator.CrossValidationErrorEvaluator`, or a constant 0 beside a
    ``BestValueStagnationEvaluator``), as the newest Optuna's (3.2+; Debian's 3.1 has
    none). Traces as Optuna's: the first ``min_n_trials + 1`` improvements in a light
    blue "markers+lines" scatter, the improvements from ``min_n_trials`` on in full blue
    when there are more, then the "Error" scatter (empty without `plot_error`); without a
    COMPLETE trial, no traces and a warning. It evaluates once per trial: the regret
    bound fits a Gaussian process each time. ExperimentalWarning as Optuna's; ValueError
    for a multi-objective study, or from the evaluators (e.g. fold scores not reported
    with ``report_cross_validation_scores`` when `plot_error` is set)."""
    from . import _terminator_improvement as ti
    # Optuna names an experimental function by its qualified name
    _warn_experimental(__name__ + ".plot_terminator_improvement", "3.2.0")
    go = _go()
    info = ti.improvement_info(study, plot_error, improvement_evaluator, error_evaluator)
    figure = go.Figure(layout=go.Layout(title="Terminator Improvement Plot",
                                        xaxis={"title": "Trial"},
                                        yaxis={"title": "Terminator Improvement"}))
    n_trials = len(info.trial_numbers)
    if n_trials == 0:
        _logger.warning("There are no complete trials.")
        return figure
    # lighter until the terminator may act; the legend once, on the full-colour part
    figure.add_trace(_improvement_scatter(info.trial_numbers[:min_n_trials + 1],
                                          info.improvements[:min_n_trials + 1],
                                          ti.OPACITY, n_trials <= min_n_trials))
    if n_trials > min_n_trials:
        figure.add_trace(_improvement_scatter(info.trial_numbers[min_n_trials:],
                                              info.improvements[min_n_trials:], 1.0, True))
    if info.errors is None:
        figure.add_trace(go.Scatter())
    else:
        red = "rgb(239, 85, 59)"  # plotly's second colour
        figure.add_trace(go.Scatter(x=info.trial_numbers, y=info.errors, mode="markers+lines",
                                    name="Error", marker={"color": red}, line={"color": red}))
    figure.update_yaxes(range=ti.y_range(info, min_n_trials))
    return figure
