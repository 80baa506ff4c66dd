"""hpsearch.importance and hpsearch.visualization.matplotlib: importances from the C
engine rank a dominant parameter first (cross-checked against Optuna's own fANOVA on the
same trials), Optuna's options behave, and every plot draws what it should -- including
on empty, failed-only and multi-objective studies."""
import math
import warnings

import pytest

import hpsearch
from hpsearch.importance import (FanovaImportanceEvaluator,
                                 MeanDecreaseImpurityImportanceEvaluator,
                                 PedAnovaImportanceEvaluator, get_param_importances)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hpsearch.visualization.matplotlib import (plot_contour, plot_intermediate_values,  # noqa: E402
                                               plot_optimization_history,
                                               plot_parallel_coordinate,
                                               plot_param_importances, plot_slice)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def objective(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 8)
    act = trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
    trial.suggest_float("dropout", 0.0, 0.5)
    u = math.log10(lr) + 3
    loss = 10 * u * u + 0.5 * layers + (1.0 if act == "tanh" else 0.0)
    for step in range(4):
        trial.report(loss + 4 - step, step)
        if trial.number % 7 == 3 and step == 1:
            raise hpsearch.TrialPruned()
    return loss


@pytest.fixture
def study():
    s = hpsearch.create_study(sampler=hpsearch.samplers.RandomSampler(seed=3))
    s.optimize(objective, n_trials=120)
    return s


def test_importances_rank_dominant_first(study):
    imp = get_param_importances(study)
    assert list(imp)[0] == "lr"
    assert set(imp) == {"lr", "layers", "act", "dropout"}
    assert sum(imp.values()) == pytest.approx(1.0)
    assert imp["lr"] > 0.8
    assert imp["dropout"] < 0.03
    values = list(imp.values())
    assert values == sorted(values, reverse=True)


def test_importances_agree_with_optuna(study):
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    twin = optuna.create_study()
    for t in study.get_trials(states=(hpsearch.TrialState.COMPLETE,)):
        twin.add_trial(optuna.trial.create_trial(
            params=t.params, value=t.value,
            distributions={
                "lr": optuna.distributions.FloatDistribution(1e-5, 1e-1, log=True),
                "layers": optuna.distributions.IntDistribution(1, 8),
                "act": optuna.distributions.CategoricalDistribution(["relu", "tanh", "gelu"]),
                "dropout": optuna.distributions.FloatDistribution(0.0, 0.5)}))
    theirs = optuna.importance.get_param_importances(
        twin, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0))
    ours = get_param_importances(study)
    assert list(theirs)[0] == list(ours)[0] == "lr"
    for name in ours:
        assert ours[name] == pytest.approx(theirs[name], abs=0.05)


def test_importances_options(study):
    only = get_param_importances(study, params=["layers", "act"])
    assert set(only) == {"layers", "act"}
    assert sum(only.values()) == pytest.approx(1.0)
    assert list(only)[0] == "layers"
    with pytest.raises(ValueError, match="completed trials with all specified parameters"):
        get_param_importances(study, params=["nope"])
    with pytest.raises(TypeError, match="as a list"):
        get_param_importances(study, params="lr")
    # a target that only depends on dropout
    by_dropout = get_param_importances(study, target=lambda t: t.params["dropout"])
    assert list(by_dropout)[0] == "dropout"
    with pytest.warns(hpsearch.exceptions.ExperimentalWarning, match="normalize"):
        raw = get_param_importances(study, normalize=False)
    # fANOVA's own numbers: the variance fractions of single parameters (no interactions)
    assert list(raw)[0] == "lr" and 0.5 < sum(raw.values()) <= 1.0 + 1e-9
    assert list(get_param_importances(study, evaluator=FanovaImportanceEvaluator()))[0] == "lr"

    mdi = get_param_importances(study, evaluator=MeanDecreaseImpurityImportanceEvaluator())
    assert list(mdi)[0] == "lr" and sum(mdi.values()) == pytest.approx(1.0)
    ped = get_param_importances(study, evaluator=PedAnovaImportanceEvaluator())
    assert list(ped)[0] == "lr" and sum(ped.values()) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="target_quantile"):
        PedAnovaImportanceEvaluator(target_quantile=0.5, region_quantile=0.2)
    with pytest.raises(ValueError, match="n_trees must be an integer in"):
        get_param_importances(study, evaluator=FanovaImportanceEvaluator(n_trees=0))
    with pytest.warns(UserWarning, match="low `target` values"):
        by_target = get_param_importances(study, evaluator=PedAnovaImportanceEvaluator(),
                                          target=lambda t: t.params["dropout"])
    assert list(by_target)[0] == "dropout"

    class Constant:
        def evaluate(self, study, params=None, *, target=None):
            return {"b": 0.25, "a": 0.75}
    assert list(get_param_importances(study, evaluator=Constant())) == ["a", "b"]


def test_importances_degenerate_studies():
    empty = hpsearch.create_study()
    assert get_param_importances(empty) == {}
    failed = hpsearch.create_study()

    def fails(trial):
        trial.suggest_float("x", 0, 1)
        raise RuntimeError("boom")
    failed.optimize(fails, n_trials=3, catch=(RuntimeError,))
    assert get_param_importances(failed) == {}
    constant = hpsearch.create_study()
    constant.optimize(lambda t: t.suggest_float("x", 0, 1) * 0 + 1.0, n_trials=5)
    assert get_param_importances(constant) == {"x": 0.0}
    multi = hpsearch.create_study(directions=["minimize", "maximize"])
    multi.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1)), n_trials=30)
    with pytest.raises(ValueError, match="multi-objective"):
        get_param_importances(multi)
    assert list(get_param_importances(multi, target=lambda t: t.values[1]))[0] == "b"


def test_optimization_history(study):
    ax = plot_optimization_history(study)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert ax.get_title() == "Optimization History Plot"
    complete = study.get_trials(states=(hpsearch.TrialState.COMPLETE,))
    assert len(ax.collections[0].get_offsets()) == len(complete)
    best = ax.lines[0].get_ydata()
    assert all(b2 <= b1 for b1, b2 in zip(best, best[1:]))
    assert best[-1] == pytest.approx(study.best_value)
    # several studies, with error bars
    other = hpsearch.create_study(sampler=hpsearch.samplers.RandomSampler(seed=4))
    other.optimize(objective, n_trials=20)
    ax = plot_optimization_history([study, other], error_bar=True)
    assert ax.get_legend() is not None


def test_param_importances_plot(study):
    ax = plot_param_importances(study)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "lr"  # the most important on top
    assert len(ax.patches) == 4
    assert ax.get_xlabel() == "Importance for Objective Value"


def test_parallel_coordinate(study):
    ax = plot_parallel_coordinate(study, params=["lr", "act"])
    complete = study.get_trials(states=(hpsearch.TrialState.COMPLETE,))
    polylines = [l for l in ax.lines if len(l.get_xdata()) == 3]
    assert len(polylines) == len(complete)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Objective Value", "lr", "act"]


def test_slice(study):
    axes = plot_slice(study)
    assert len(axes) == 4
    assert [a.get_xlabel() for a in axes] == ["act", "dropout", "layers", "lr"]
    assert axes[3].get_xscale() == "log"
    single = plot_slice(study, params=["layers"])
    assert isinstance(single, matplotlib.axes.Axes)


def test_contour(study):
    ax = plot_contour(study)
    assert {ax.get_xlabel(), ax.get_ylabel()} == {"lr", "layers"}
    grid = plot_contour(study, params=["lr", "layers", "act"])
    assert grid.shape == (3, 3)


def test_intermediate_values_marks_pruned(study):
    ax = plot_intermediate_values(study)
    pruned = study.get_trials(states=(hpsearch.TrialState.PRUNED,))
    assert pruned, "the fixture prunes some trials"
    dashed = [l for l in ax.lines if l.get_linestyle() == "--"]
    crosses = [l for l in ax.lines if l.get_marker() == "x"]
    assert len(dashed) == len(crosses) == len(pruned)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["pruned", "complete"] or labels == ["complete", "pruned"]


def test_plots_of_empty_and_multi_objective_studies(tmp_path):
    empty = hpsearch.create_study()
    for plot in (plot_optimization_history, plot_param_importances, plot_parallel_coordinate,
                 plot_slice, plot_contour, plot_intermediate_values):
        ax = plot(empty)
        ax.figure.savefig(str(tmp_path / (plot.__name__ + ".png")))
    multi = hpsearch.create_study(directions=["minimize", "minimize"])
    multi.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1)), n_trials=10)
    with pytest.raises(ValueError, match="target"):
        plot_optimization_history(multi)
    with pytest.raises(ValueError, match="target"):
        plot_slice(multi)
    ax = plot_slice(multi, target=lambda t: t.values[0], target_name="a-value")
    assert ax[0].get_ylabel() == "a-value"
    with pytest.raises(ValueError, match="does not exist"):
        plot_slice(multi, params=["nope"], target=lambda t: t.values[0])
