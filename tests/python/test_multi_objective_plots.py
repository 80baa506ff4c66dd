"""plotly plot_pareto_front against Debian's Optuna 3.1 on a twin study (the whole figure),
and plot_hypervolume_history (plotly and matplotlib; Optuna 3.1 has none, it is built as
the newest Optuna's) with its volumes checked against Optuna 3.1's own WFG; the engine's
hypervolume as the extension exposes it, bad input included."""
import warnings

import pytest

import hpsearch
from hpsearch import _core

go = pytest.importorskip("plotly.graph_objects")
optuna = pytest.importorskip("optuna")

# (values, constraint): trial 4 is infeasible but would dominate all; trial 5 too
TOLD = [((1, 4), 0), ((2, 2), 0), ((3, 3), 0), ((4, 1), 0), ((0, 0), 1), ((5, 0.5), 2),
        ((1.5, 3), -1)]


def _constraint(trial):
    return [trial.user_attrs["c"]]


def _study(mod, directions, told, constrained=True):
    """A study told `told`, each trial's constraint given through its sampler (the only
    place Optuna 3.1 takes it) unless not `constrained`."""
    mod.logging.set_verbosity(mod.logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        func = _constraint if constrained else None
        study = mod.create_study(directions=directions,
                                 sampler=mod.samplers.TPESampler(constraints_func=func))
        for values, c in told:
            trial = study.ask()
            trial.set_user_attr("c", c)
            study.tell(trial, values)
    return study


def _pareto(mod, directions, told, constrained=True, **kwargs):
    study = _study(mod, directions, told, constrained)
    if mod is optuna and constrained:  # 3.1 does not read the trials' stored constraints
        kwargs["constraints_func"] = _constraint
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mod.visualization.plot_pareto_front(study, **kwargs)


@pytest.mark.parametrize("directions, told, kwargs", [
    (["minimize", "minimize"], TOLD, {}),
    (["minimize", "maximize"], TOLD, {"target_names": ["error", "speed"],
                                      "include_dominated_trials": False}),
    (["minimize", "minimize"], TOLD, {"axis_order": [1, 0]}),
    (["minimize", "maximize", "minimize"],
     [((1, 2, 3), 0), ((2, 2, 2), 0), ((3, 1, 3), 0), ((0, 9, 0), 1)], {}),
    (["minimize"] * 4, [((1, 2, 3, 4), 0), ((4, 3, 2, 1), 0), ((5, 5, 5, 5), 1)],
     {"targets": lambda t: (t.values[0] + t.values[1], t.values[3])}),
])
def test_pareto_front_is_optunas_figure(directions, told, kwargs):
    ours = _pareto(hpsearch, directions, told, **kwargs)
    theirs = _pareto(optuna, directions, told, **kwargs)
    assert isinstance(ours, go.Figure)
    # every trace (kind, points, hover text, markers) and the layout, as Optuna's
    assert ours.to_plotly_json() == theirs.to_plotly_json()
    assert [d.hovertemplate.split("<extra>")[1] for d in ours.data] == [
        "Infeasible Trial</extra>", "Feasible Trial</extra>", "Best Trial</extra>"]


@pytest.mark.parametrize("told", [TOLD, []])
def test_pareto_front_without_constraints_is_optunas_figure(told):
    """No constraint stored: two traces, "Trial" and "Best Trial"; (0, 0) dominates all."""
    ours = _pareto(hpsearch, ["minimize", "minimize"], told, constrained=False)
    theirs = _pareto(optuna, ["minimize", "minimize"], told, constrained=False)
    assert ours.to_plotly_json() == theirs.to_plotly_json()
    assert [len(d.x) for d in ours.data] == ([6, 1] if told else [0, 0])


def test_pareto_front_refuses_as_the_matplotlib_one():
    study = hpsearch.create_study(directions=["minimize"] * 4)
    with pytest.raises(ValueError, match="only supports 2 or 3 objective"):
        hpsearch.visualization.plot_pareto_front(study)
    with pytest.raises(NotImplementedError, match="pass constraints_func to the sampler"):
        hpsearch.visualization.plot_pareto_front(
            hpsearch.create_study(directions=["minimize"] * 2), constraints_func=lambda t: [0])


def _optuna_volume(points, reference):
    import numpy as np
    from optuna._hypervolume import WFG
    inside = [p for p in points if all(v < r for v, r in zip(p, reference))]
    if not inside:
        return 0.0
    return WFG().compute(np.asarray(inside, dtype=float), np.asarray(reference, dtype=float))


def test_hypervolume_history_counts_feasible_trials():
    told = TOLD[:-1] + [((1.5, 4.5), -1)]  # the last one widens the front
    study = _study(hpsearch, ["minimize", "maximize"], told)
    reference = [6, -1]  # speed maximized: the reference lies below every speed
    figure = hpsearch.visualization.plot_hypervolume_history(study, reference)
    assert figure.layout.title.text == "Hypervolume History Plot"
    assert (figure.layout.xaxis.title.text, figure.layout.yaxis.title.text) == (
        "Trial", "Hypervolume")
    (line,) = figure.data
    assert line.mode == "lines+markers"
    assert list(line.x) == list(range(len(told)))
    # the volume of the feasible trials so far, minimized (speed negated), by Optuna's WFG
    want, feasible = [], []
    for values, c in told:
        if c <= 0:
            feasible.append([values[0], -values[1]])
        want.append(_optuna_volume(feasible, [6, 1]))
    assert list(line.y) == pytest.approx(want, rel=1e-12)
    assert line.y[4] == line.y[3] and line.y[5] == line.y[3]  # infeasible: unchanged
    assert line.y[6] > line.y[5]

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ax = hpsearch.visualization.matplotlib.plot_hypervolume_history(study, reference)
    (drawn,) = ax.get_lines()
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        "Hypervolume History Plot", "Trial", "Hypervolume")
    assert list(drawn.get_xdata()) == list(line.x) and list(drawn.get_ydata()) == list(line.y)
    plt.close("all")


def test_hypervolume_history_refuses_as_optuna():
    for plot in (hpsearch.visualization.plot_hypervolume_history,
                 hpsearch.visualization.matplotlib.plot_hypervolume_history):
        with pytest.raises(ValueError, match="Study must be multi-objective"):
            plot(hpsearch.create_study(), [1.0])
        with pytest.raises(ValueError, match="dimension of the reference point"):
            plot(hpsearch.create_study(directions=["minimize"] * 2), [1.0, 2.0, 3.0])


def test_engine_hypervolume_and_its_bad_input():
    # the boxes [1, 3] x [2, 3] and [2, 3] x [1, 3]: 2 + 2 - 1
    assert _core.hypervolume([1, 2, 2, 1], 2, 2, [3, 3]) == 3.0
    assert _core.hypervolume([], 0, 2, [3, 3]) == 0.0
    with pytest.raises(ValueError, match="reference point must be finite"):
        _core.hypervolume([1, 2], 1, 2, [3, float("nan")])
    with pytest.raises(ValueError, match="reference point: 2 numbers expected, got 3"):
        _core.hypervolume([1, 2], 1, 2, [3, 3, 3])
    with pytest.raises(ValueError, match="bad sizes"):
        _core.hypervolume([1, 2], 1, 0, [])
