"""hpsearch.visualization (plotly) and hpsearch.importance against Debian's Optuna on the
same trials: each plot's figure has the trace kinds, title and axis titles of Optuna's,
the importance evaluators rank as Optuna's do, `import hpsearch as optuna` reaches both
modules without another import, and a missing plotly is an ImportError at call time."""
import math

import pytest

import hpsearch

from conftest import run_python

go = pytest.importorskip("plotly.graph_objects")
optuna = pytest.importorskip("optuna")

DISTRIBUTIONS = {
    "x": (hpsearch.distributions.FloatDistribution(0.0, 1.0),
          optuna.distributions.FloatDistribution(0.0, 1.0)),
    "lr": (hpsearch.distributions.FloatDistribution(1e-4, 1e-1, log=True),
           optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True)),
    "n": (hpsearch.distributions.IntDistribution(1, 4),
          optuna.distributions.IntDistribution(1, 4)),
    "c": (hpsearch.distributions.CategoricalDistribution(["a", "b"]),
          optuna.distributions.CategoricalDistribution(["a", "b"])),
}


def objective(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    c = trial.suggest_categorical("c", ["a", "b"])
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    trial.suggest_int("n", 1, 4)  # no effect
    value = 10 * x + 5 * (c == "b") + math.log10(lr)
    for step in range(3):
        trial.report(value + 3 - step, step)
    if trial.number % 9 == 4:
        raise hpsearch.TrialPruned()
    return value


@pytest.fixture(scope="module")
def studies():
    """An hpsearch study and Debian Optuna's twin holding the same trials."""
    ours = hpsearch.create_study(sampler=hpsearch.samplers.RandomSampler(seed=3))
    ours.optimize(objective, n_trials=40)
    theirs = optuna.create_study()
    for t in ours.trials:
        theirs.add_trial(optuna.trial.create_trial(
            state=optuna.trial.TrialState[t.state.name], params=t.params, value=t.value,
            intermediate_values=t.intermediate_values,
            distributions={k: DISTRIBUTIONS[k][1] for k in t.params}))
    return ours, theirs


def shape(figure):
    """What a reader sees of a figure's structure: its kind, title, trace kinds and the
    titles of its axes."""
    layout = figure.layout
    axes = {k: layout[k].title.text for k in layout.to_plotly_json()
            if k.startswith(("xaxis", "yaxis"))}
    return type(figure), layout.title.text, [type(d).__name__ for d in figure.data], axes


CALLS = [
    ("plot_optimization_history", {}),
    ("plot_intermediate_values", {}),
    ("plot_parallel_coordinate", {}),
    ("plot_parallel_coordinate", {"params": ["lr", "c"]}),
    ("plot_contour", {}),
    ("plot_contour", {"params": ["x", "lr"]}),
    ("plot_slice", {}),
    ("plot_slice", {"params": ["lr"]}),
    ("plot_param_importances", {}),
    ("plot_edf", {}),
]


@pytest.mark.parametrize("name,kwargs", CALLS, ids=[c[0] + str(len(c[1])) for c in CALLS])
def test_figures_are_built_as_optunas(studies, name, kwargs):
    ours, theirs = studies
    figure = getattr(hpsearch.visualization, name)(ours, **kwargs)
    assert isinstance(figure, go.Figure)
    assert shape(figure) == shape(getattr(optuna.visualization, name)(theirs, **kwargs))


def test_several_studies_and_targets_as_optuna(studies):
    ours, theirs = studies
    assert shape(hpsearch.visualization.plot_optimization_history([ours, ours], error_bar=True)) \
        == shape(optuna.visualization.plot_optimization_history([theirs, theirs], error_bar=True))
    assert shape(hpsearch.visualization.plot_edf([ours, ours])) \
        == shape(optuna.visualization.plot_edf([theirs, theirs]))
    with pytest.warns(UserWarning, match="target_name"):
        figure = hpsearch.visualization.plot_slice(ours, params=["x"], target=lambda t: -t.value)
    assert figure.layout.yaxis.title.text == "Objective Value"
    with pytest.raises(ValueError, match="Parameter nope does not exist"):
        hpsearch.visualization.plot_contour(ours, params=["x", "nope"])
    empty = hpsearch.create_study()
    for name, _ in CALLS[::2]:
        assert shape(getattr(hpsearch.visualization, name)(empty)) \
            == shape(getattr(optuna.visualization, name)(optuna.create_study()))
    multi = hpsearch.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match="specify the `target`"):
        hpsearch.visualization.plot_rank(multi)


def test_rank_and_timeline(studies):
    """Debian's Optuna (3.1) has neither: their structure is the newest Optuna's."""
    ours, _ = studies
    complete = ours.get_trials(states=(hpsearch.TrialState.COMPLETE,))
    rank = hpsearch.visualization.plot_rank(ours, params=["x", "c"])
    assert rank.layout.title.text == "Rank (Objective Value)"
    # the pair's scatter, then an invisible trace carrying the colour bar
    assert [len(d.x) for d in rank.data] == [len(complete), 1]
    assert (rank.layout.xaxis.title.text, rank.layout.yaxis.title.text) == ("x", "c")
    grid = hpsearch.visualization.plot_rank(ours)
    assert len(grid.data) == 4 * 4 + 1
    timeline = hpsearch.visualization.plot_timeline(ours)
    assert timeline.layout.title.text == "Timeline Plot"
    assert (timeline.layout.xaxis.title.text, timeline.layout.yaxis.title.text) == \
        ("Datetime", "Trial")
    bars = {d.name: sorted(d.y) for d in timeline.data}
    assert all(isinstance(d, go.Bar) for d in timeline.data)
    assert bars == {state.name: sorted(t.number for t in ours.get_trials(states=(state,)))
                    for state in (hpsearch.TrialState.COMPLETE, hpsearch.TrialState.PRUNED)}


@pytest.mark.parametrize("evaluator", ["FanovaImportanceEvaluator",
                                       "MeanDecreaseImpurityImportanceEvaluator"])
def test_importances_rank_as_optunas(studies, evaluator):
    """The forests differ (each library draws its own), so the numbers differ a little;
    the ranking of the parameters that matter does not."""
    ours, theirs = studies
    mine = hpsearch.importance.get_param_importances(
        ours, evaluator=getattr(hpsearch.importance, evaluator)(seed=0))
    optunas = optuna.importance.get_param_importances(
        theirs, evaluator=getattr(optuna.importance, evaluator)(seed=0))
    assert list(mine)[:2] == list(optunas)[:2] == ["x", "c"]
    assert set(mine) == set(optunas)
    for name in mine:
        assert mine[name] == pytest.approx(optunas[name], abs=0.1)


def test_import_line_is_enough():
    code = ("import hpsearch as optuna\n"
            "s = optuna.create_study()\n"
            "s.optimize(lambda t: t.suggest_float('x', 0, 1) + t.suggest_int('n', 0, 3), 8)\n"
            "print(type(optuna.visualization.plot_slice(s)).__name__,\n"
            "      sorted(optuna.importance.get_param_importances(s)))\n")
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["Figure", "['n',", "'x']"]


def test_missing_plotly_is_an_import_error_when_plotting():
    code = ("import sys\n"
            "sys.modules['plotly'] = None\n"  # as if it were not installed
            "import hpsearch\n"
            "print(hpsearch.visualization.is_available())\n"
            "try:\n"
            "    hpsearch.visualization.plot_edf(hpsearch.create_study())\n"
            "except ImportError as e:\n"
            "    print(e)\n")
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    available, message = done.stdout.splitlines()
    assert available == "False"
    assert "needs the plotly package" in message and "pip install plotly" in message
