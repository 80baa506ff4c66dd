"""plot_terminator_improvement (plotly and matplotlib) as the newest Optuna's (3.2+;
Debian's 3.1 has none): one entry per trial from the first COMPLETE one, each the
evaluators' value on the COMPLETE trials so far; Optuna's traces, axes, y range, warning
and errors; reachable after `import hpsearch as optuna` alone."""
import math
import warnings

import pytest

import hpsearch as optuna
from hpsearch.exceptions import ExperimentalWarning
from hpsearch.terminator import (BestValueStagnationEvaluator, CrossValidationErrorEvaluator,
                                 report_cross_validation_scores)
from hpsearch.trial import TrialState

from conftest import run_python

go = pytest.importorskip("plotly.graph_objects")

# A FAIL trial before the first COMPLETE one, a PRUNED one among them.
TOLD = [(TrialState.FAIL, None), (TrialState.COMPLETE, 5.0), (TrialState.COMPLETE, 3.0),
        (TrialState.PRUNED, None), (TrialState.COMPLETE, 4.0), (TrialState.COMPLETE, 1.0),
        (TrialState.COMPLETE, 2.0), (TrialState.COMPLETE, 2.5), (TrialState.COMPLETE, 6.0)]
# From trial 1 on; BestValueStagnationEvaluator(3): 3 minus the COMPLETE trials since the best
STAGNATION = [3, 3, 3, 2, 3, 2, 1, 0]


def _study(cv_scores=True):
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for state, value in TOLD:
        trial = study.ask()
        x = trial.suggest_float("x", 0.0, 1.0)
        if cv_scores:
            report_cross_validation_scores(trial, [x, x + 0.5, x + 1.0])
        study.tell(trial, value, state=state)
    return study


def _plot(plot, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = plot(*args, **kwargs)
    assert [(w.category, w.filename) for w in caught] == [(ExperimentalWarning, __file__)]
    assert "plot_terminator_improvement is experimental (supported from v3.2.0)" \
        in str(caught[0].message)
    return figure


def test_plotly_figure_as_optunas():
    figure = _plot(optuna.visualization.plot_terminator_improvement, _study(),
                   plot_error=True, improvement_evaluator=BestValueStagnationEvaluator(3),
                   min_n_trials=4)
    layout = figure.layout
    assert (layout.title.text, layout.xaxis.title.text, layout.yaxis.title.text) == \
        ("Terminator Improvement Plot", "Trial", "Terminator Improvement")
    faint, full, error = figure.data
    # the first min_n_trials + 1 entries faint, from entry min_n_trials on in full colour
    assert (list(faint.x), list(faint.y)) == (list(range(1, 6)), STAGNATION[:5])
    assert (list(full.x), list(full.y)) == (list(range(5, 9)), STAGNATION[4:])
    assert (faint.marker.color, full.marker.color) == ("rgba(99, 110, 250, 0.25)",
                                                        "rgba(99, 110, 250, 1.0)")
    assert (faint.showlegend, full.showlegend) == (False, True)
    assert {t.mode for t in figure.data} == {"markers+lines"}
    # beside a stagnation evaluator the error is Optuna's constant 0
    assert (error.name, list(error.x), list(error.y)) == ("Error", list(range(1, 9)), [0] * 8)
    # from the lowest value to the highest after min_n_trials entries, padded by 5%
    assert layout.yaxis.range == pytest.approx((0 - 0.15, 3 + 0.15))


def test_default_evaluators_and_few_trials():
    study = _study()
    figure = _plot(optuna.visualization.plot_terminator_improvement, study, plot_error=True)
    improvement, error = figure.data  # 8 entries, not more than min_n_trials: one line
    assert improvement.showlegend is True and len(improvement.x) == 8
    assert all(math.isfinite(v) and v >= 0 for v in improvement.y)  # the regret bound
    complete = study.get_trials(states=[TrialState.COMPLETE])
    expected = [CrossValidationErrorEvaluator().evaluate(
        [t for t in complete if t.number <= n], study.direction) for n in range(1, 9)]
    assert list(error.y) == pytest.approx(expected)
    # without plot_error, Optuna's empty last trace
    figure = _plot(optuna.visualization.plot_terminator_improvement, study)
    assert len(figure.data) == 2 and figure.data[1].x is None


def test_matplotlib_axes_as_optunas():
    pytest.importorskip("matplotlib")
    ax = _plot(optuna.visualization.matplotlib.plot_terminator_improvement, _study(),
               plot_error=True, improvement_evaluator=BestValueStagnationEvaluator(3),
               min_n_trials=4)
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == \
        ("Terminator Improvement Plot", "Trial", "Terminator Improvement")
    faint, full, error = ax.get_lines()
    assert (list(faint.get_xdata()), list(faint.get_ydata())) == (list(range(1, 6)),
                                                                  STAGNATION[:5])
    assert (list(full.get_xdata()), list(full.get_ydata())) == (list(range(5, 9)),
                                                                STAGNATION[4:])
    assert (faint.get_alpha(), full.get_alpha()) == (0.25, None)
    assert list(error.get_ydata()) == [0] * 8
    assert [t.get_text() for t in ax.get_legend().get_texts()] == \
        ["Terminator Improvement", "Error"]
    assert ax.get_ylim() == pytest.approx((-0.15, 3.15))


@pytest.mark.filterwarnings("ignore::hpsearch.exceptions.ExperimentalWarning")
@pytest.mark.parametrize("backend", ["plotly", "matplotlib"])
def test_errors_and_no_complete_trial(backend, caplog):
    plot = (optuna.visualization.plot_terminator_improvement if backend == "plotly"
            else optuna.visualization.matplotlib.plot_terminator_improvement)
    with pytest.raises(ValueError, match="does not support multi-objective optimization"):
        plot(optuna.create_study(directions=["minimize", "minimize"]))
    with pytest.raises(ValueError, match="Cross-validation scores have not been reported"):
        plot(_study(cv_scores=False), plot_error=True)
    study = optuna.create_study()
    study.tell(study.ask(), state=TrialState.FAIL)
    optuna.logging.enable_propagation()
    try:
        with caplog.at_level("WARNING"):
            empty = plot(study)
    finally:
        optuna.logging.disable_propagation()
    assert "There are no complete trials." in caplog.text
    assert len(empty.data if backend == "plotly" else empty.get_lines()) == 0


def test_import_line_is_enough():
    code = ("import hpsearch as optuna\n"
            "print(optuna.visualization.plot_terminator_improvement.__name__,\n"
            "      optuna.visualization.matplotlib.plot_terminator_improvement.__name__)\n")
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["plot_terminator_improvement"] * 2
