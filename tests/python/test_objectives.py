"""Several objectives and constraints (issue 18), each call checked against Debian's
Optuna 3.1 on the same program: directions, told values, the Pareto set
(``best_trials``, computed by the engine), the errors, warnings and log lines,
``constraints_func`` and where its values are stored, ``plot_pareto_front``. Where
hpsearch follows Optuna 4+ instead (the best trials are feasible ones), the test says
so."""
import math
import warnings

import pytest

import hpsearch
from hpsearch.trial import TrialState

optuna = pytest.importorskip("optuna")

ENGINES = [pytest.param(hpsearch, id="hpsearch"), pytest.param(optuna, id="optuna")]


def _quiet(mod):
    mod.logging.set_verbosity(mod.logging.ERROR)


def _outcome(call):
    """What a user sees of a call: ("ok", result) or (exception type, message), and the
    warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("ok", call())
        except Exception as e:  # noqa: BLE001 - comparing what is raised is the point
            result = (type(e).__name__, str(e))
    return result, [(w.category.__name__, str(w.message)) for w in caught
                    if not issubclass(w.category, (DeprecationWarning,))
                    and w.category.__name__ != "ExperimentalWarning"]


# ---- several objectives --------------------------------------------------------------

# Told values with ties, duplicates and dominated points; None tells FAIL.
FRONT_CASES = {
    "two_min_max": (["minimize", "maximize"],
                    [(1, 2), (0, 0), (2, 3), (5, 0), (1, 2), (2, 2.5), None, (0, -1)]),
    "two_max": (["maximize", "maximize"],
                [(1, 1), (2, 0), (0, 2), (1, 1), (0.5, 0.5), (2, 0)]),
    "three": (["minimize"] * 3,
              [(1, 2, 3), (3, 2, 1), (2, 2, 2), (3, 3, 3), (1, 2, 3), (0, 5, 5), (2, 2, 3)]),
    "four": (["minimize", "maximize", "minimize", "maximize"],
             [(1, 1, 1, 1), (0, 0, 0, 0), (1, 2, 1, 1), (2, 2, 2, 2), (1, 2, 1, 1)]),
    "one_ties": (["minimize"], [(2,), (1,), (1,), (3,), None]),
    "one_max": (["maximize"], [(2,), (1,), (2,)]),
}


def _front(mod, directions, told):
    study = mod.create_study(directions=directions)
    for values in told:
        trial = study.ask()
        if values is None:
            study.tell(trial, state=mod.trial.TrialState.FAIL)
        else:
            study.tell(trial, list(values))
    study.tell(study.ask(), state=mod.trial.TrialState.PRUNED)
    study.ask()  # one left RUNNING
    return [(t.number, t.values) for t in study.best_trials]


@pytest.mark.parametrize("case", sorted(FRONT_CASES))
def test_best_trials_are_optunas_pareto_set(case):
    directions, told = FRONT_CASES[case]
    ours = _front(hpsearch, directions, told)
    assert ours == _front(optuna, directions, told)
    assert ours, "every case has a front"


def test_best_trials_of_a_persistent_study_seen_from_another_handle(sqlite_url):
    study = hpsearch.create_study(study_name="mo", storage=sqlite_url,
                                  directions=["minimize", "minimize"])
    for values in [(3, 1), (1, 3), (2, 2), (3, 3)]:
        study.tell(study.ask(), values)
    other = hpsearch.load_study(study_name="mo", storage=sqlite_url)
    assert [t.number for t in other.best_trials] == [0, 1, 2]
    assert other.directions == [hpsearch.StudyDirection.MINIMIZE] * 2


def _mo_program(mod):
    """A two-objective study run by optimize with tuples and lists, then the calls a
    user could get wrong."""
    _quiet(mod)
    study = mod.create_study(directions=["minimize", "maximize"],
                             sampler=mod.samplers.RandomSampler(seed=3))
    for x in (0.1, 0.5, 0.9, 0.3, 0.7):
        study.enqueue_trial({"x": x})

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 4:
            return [x * x, x]              # a list works as well as a tuple
        return x * x, math.sqrt(x)

    study.optimize(objective, n_trials=5)
    out = {
        "directions": [d.name for d in study.directions],
        "values": [t.values for t in study.trials],
        "best": [t.number for t in study.best_trials],
    }
    C = mod.trial.TrialState.COMPLETE
    calls = {
        "best_trial": lambda: study.best_trial,
        "best_value": lambda: study.best_value,
        "best_params": lambda: study.best_params,
        "direction": lambda: study.direction,
        "frozen_value": lambda: study.trials[0].value,
        "tell_one_value": lambda: study.tell(study.ask(), 1.0).state.name,
        "tell_three_values": lambda: study.tell(study.ask(), [1.0, 2.0, 3.0]).state.name,
        "tell_three_complete": lambda: study.tell(study.ask(), [1.0, 2.0, 3.0], state=C),
        "tell_nan": lambda: study.tell(study.ask(), (1.0, float("nan"))).state.name,
        "tell_text": lambda: study.tell(study.ask(), ("a", 1.0)).state.name,
        "tell_pruned": lambda: study.tell(study.ask(), state=mod.trial.TrialState.PRUNED).values,
        "optimize_scalar": lambda: study.optimize(lambda t: 1.0, n_trials=1),
        "optimize_three": lambda: study.optimize(lambda t: (1.0, 2.0, 3.0), n_trials=1),
        "report": lambda: study.ask().report(1.0, 0),
        "report_sequence": lambda: study.ask().report([1.0, 2.0], 0),
        "should_prune": lambda: study.ask().should_prune(),
    }
    out["calls"] = {name: _outcome(call) for name, call in calls.items()}
    out["states_after"] = [t.state.name for t in study.trials[5:]]
    return out


def test_several_objectives_as_optuna():
    ours, theirs = _mo_program(hpsearch), _mo_program(optuna)
    assert ours["directions"] == theirs["directions"] == ["MINIMIZE", "MAXIMIZE"]
    assert ours["values"] == theirs["values"]
    assert ours["best"] == theirs["best"] == [0, 1, 2, 3]  # trial 1 dominates trial 4
    for name, theirs_call in theirs["calls"].items():
        assert ours["calls"][name] == theirs_call, name
    assert ours["states_after"] == theirs["states_after"]
    # what Optuna 3.1 does, stated: report refuses several objectives for now
    assert theirs["calls"]["report_sequence"][0][0] == "NotImplementedError"
    assert theirs["calls"]["tell_three_complete"][0][0] == "ValueError"


def _pruned_mo_program(mod):
    """A two-objective study with each kind of pruner (and the default): created,
    run, its trials refusing should_prune."""
    _quiet(mod)
    out = []
    for make in (lambda: None, mod.pruners.MedianPruner,
                 lambda: mod.pruners.PercentilePruner(25.0), mod.pruners.HyperbandPruner,
                 mod.pruners.NopPruner):
        study = mod.create_study(directions=["minimize", "maximize"], pruner=make(),
                                 sampler=mod.samplers.RandomSampler(seed=1))
        trial = study.ask()
        x = trial.suggest_float("x", 0, 1)
        out.append((type(study.pruner).__name__, _outcome(trial.should_prune),
                    study.tell(trial, (x, x)).state.name))
    return out


def test_any_pruner_is_accepted_with_several_objectives_as_optuna():
    # Optuna's default pruner is MedianPruner: a study of several objectives is created
    # with it (or any other) and only should_prune refuses -- except, in hpsearch, with
    # HyperbandPruner (and SuccessiveHalvingPruner), which rank several objectives
    ours, theirs = _pruned_mo_program(hpsearch), _pruned_mo_program(optuna)
    hyperband = [i for i, (name, _, _) in enumerate(theirs) if name == "HyperbandPruner"]
    assert hyperband == [3]
    assert ours[3] == ("HyperbandPruner", (("ok", False), []), "COMPLETE")
    assert theirs[3][1][0][0] == "NotImplementedError"
    del ours[3], theirs[3]
    assert ours == theirs


# (accuracy to maximize, seconds to minimize) at the first rung; worked by hand in
# tests/unit/test_moasha.c, here without constraints: C is dominated by A and B, D
# dominates every one before it, E lies between A and B behind D, F is dominated by all,
# G and D share the front.
_RUNG = [(0.90, 10), (0.80, 5), (0.70, 20), (0.95, 1), (0.85, 7), (0.10, 100), (0.99, 2)]


def test_successive_halving_ranks_several_objectives():
    study = hpsearch.create_study(
        directions=["maximize", "minimize"],
        pruner=hpsearch.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    pruned = []
    for acc, seconds in _RUNG:
        trial = study.ask()
        trial.report((0.0, 1000.0), 0)
        assert trial.should_prune() is False  # before the first rung
        trial.report([acc, seconds], 1)
        pruned.append(trial.should_prune())
        if pruned[-1]:
            study.tell(trial, state=TrialState.PRUNED)
        else:
            study.tell(trial, (acc, seconds))
    assert pruned == [False, False, True, False, True, True, False]
    # the rung keeps each trial's vector; intermediate_values keeps the first objective's
    frozen = study.trials[3]
    assert frozen.system_attrs["completed_rung_0"] == {"values": [0.95, 1]}
    assert frozen.intermediate_values == {0: 0.0, 1: 0.95}


def test_report_of_several_objectives_checks_its_values():
    study = hpsearch.create_study(directions=["maximize", "minimize"],
                                  pruner=hpsearch.pruners.HyperbandPruner(min_resource=1))
    trial = study.ask()
    with pytest.raises(TypeError, match="the study has 2 directions: report a sequence of 2"):
        trial.report(1.0, 0)
    with pytest.raises(TypeError, match="the study has 2 directions"):
        trial.report("ab", 0)
    with pytest.raises(ValueError, match="reported values 3 does not match the number of the "
                                         "directions 2"):
        trial.report([1.0, 2.0, 3.0], 0)
    with pytest.raises(TypeError, match="reported value 1 is of type 'str'"):
        trial.report([1.0, "x"], 0)
    trial.report((1.0, float("nan")), 0)  # kept, as a single NaN is; the pruner stops it
    with pytest.warns(UserWarning, match="already"):
        trial.report([2.0, 3.0], 0)


def test_report_of_several_objectives_where_optuna_refuses():
    # what Optuna does, stated (3.1 and the newest alike): report and should_prune refuse
    # a study of several directions whatever the pruner; hpsearch takes a sequence with
    # the pruners that rank several objectives
    study = optuna.create_study(directions=["maximize", "minimize"],
                                pruner=optuna.pruners.SuccessiveHalvingPruner())
    with pytest.raises(NotImplementedError, match="multi-objective"):
        study.ask().report([1.0, 2.0], 0)
    ours = hpsearch.create_study(directions=["maximize", "minimize"])  # MedianPruner
    with pytest.raises(NotImplementedError,
                       match="Trial.report is not supported for multi-objective optimization."):
        ours.ask().report([1.0, 2.0], 0)


def test_trials_dataframe_has_a_column_per_objective():
    def frame(mod):
        study = mod.create_study(directions=["minimize", "maximize"])
        study.tell(study.ask(), (1.0, 2.0))
        study.tell(study.ask(), state=mod.trial.TrialState.FAIL)
        df = study.trials_dataframe(attrs=("number", "value", "state"))
        return list(df.columns), df.fillna("missing").to_dict("list")

    assert frame(hpsearch) == frame(optuna)


# ---- constraints ---------------------------------------------------------------------

def _constraints_of(trial):
    con = trial.system_attrs.get("constraints")
    return None if con is None else list(con)


def _constrained_program(mod, sampler_name, directions):
    """optimize with a sampler given constraints_func: what the function saw, what each
    trial stores, and the best trials."""
    _quiet(mod)
    seen = []

    def constraints(frozen):
        seen.append((frozen.number, frozen.state.name, frozen.values))
        return frozen.user_attrs["c"]

    study = mod.create_study(directions=directions,
                             sampler=getattr(mod.samplers, sampler_name)(
                                 seed=1, constraints_func=constraints))
    for x in (0.9, 0.2, 0.6, 0.1, 0.4, 0.7, 0.3):
        study.enqueue_trial({"x": x})

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.set_user_attr("c", (x - 0.5, -1.0))     # feasible when x <= 0.5
        if trial.number == 3:
            raise mod.TrialPruned()
        if trial.number == 6:
            return float("nan")                       # FAIL: not asked for constraints
        return (x, (1 - x) ** 2)[:len(directions)]

    study.optimize(objective, n_trials=7)
    return {"seen": seen,
            "stored": [(t.number, t.state.name, _constraints_of(t)) for t in study.trials],
            "best": [t.number for t in study.best_trials],
            "trials": study.trials}


def _optuna4_best_trials(trials, directions):
    """What Optuna 4+ answers for best_trials: the Pareto set of the feasible COMPLETE
    trials (Optuna 3.1 ignores feasibility there), by Optuna's own dominance code."""
    from optuna.study._multi_objective import _get_pareto_front_trials_by_trials
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    feasible = [t for t in complete
                if all(c <= 0 for c in t.system_attrs.get("constraints") or ())]
    dirs = [optuna.study.StudyDirection[d.upper()] for d in directions]
    return sorted(t.number for t in _get_pareto_front_trials_by_trials(feasible, dirs))


@pytest.mark.parametrize("directions", [["minimize"], ["minimize", "minimize"]],
                         ids=["one", "two"])
def test_constraints_func_is_called_and_stored_as_optuna(directions):
    theirs = _constrained_program(optuna, "TPESampler", directions)
    # Optuna gives TPESampler and (since 4.2) GPSampler a constraints_func; OptunaHub's
    # AutoSampler has one too. Where and how the values are stored is the sampler's
    # common code in Optuna, so every one of ours must store what Optuna's TPE stores.
    for name in ("TPESampler", "GPSampler", "AutoSampler"):
        ours = _constrained_program(hpsearch, name, directions)
        assert ours["seen"] == theirs["seen"], name
        assert ours["stored"] == theirs["stored"], name
        assert ours["best"] == _optuna4_best_trials(theirs["trials"], directions), name
    assert [n for n, _, _ in theirs["seen"]] == [0, 1, 2, 3, 4, 5]   # PRUNED too, FAIL not
    assert all(state == "RUNNING" and values is None for _, state, values in theirs["seen"])


def test_best_trial_is_the_best_feasible_one():
    """As Optuna 4+ (Optuna 3.1 would answer trial 1)."""
    study = hpsearch.create_study(sampler=hpsearch.samplers.TPESampler(
        constraints_func=lambda t: [t.user_attrs["c"]]))
    for value, c in [(2.0, 0.0), (0.0, 0.5), (1.0, -1.0), (1.0, 0.0)]:
        trial = study.ask()
        trial.set_user_attr("c", c)
        study.tell(trial, value)
    assert (study.best_trial.number, study.best_value) == (2, 1.0)
    assert [t.number for t in study.best_trials] == [2, 3]

    study = hpsearch.create_study(sampler=hpsearch.samplers.TPESampler(
        constraints_func=lambda t: [1.0]))
    study.tell(study.ask(), 0.0)
    with pytest.raises(ValueError, match="No feasible trials are completed yet."):
        study.best_trial
    assert study.best_trials == []


def _constraint_outcomes(mod):
    """What tell does with each odd thing a constraints_func can return."""
    returns = {"nan": [0.0, float("nan")], "tuple": (1.0, -2.0), "text": ["a"],
               "scalar": 1.0, "raises": ZeroDivisionError}
    out = {}
    for name, value in returns.items():
        def func(frozen, value=value):
            if value is ZeroDivisionError:
                return 1 / 0
            return value
        study = mod.create_study(sampler=mod.samplers.TPESampler(constraints_func=func))
        outcome = _outcome(lambda: study.tell(study.ask(), 1.0).state.name)
        trial = study.trials[0]
        out[name] = (outcome, trial.state.name, _constraints_of(trial))
    return out


def test_odd_constraint_values_as_optuna():
    ours, theirs = _constraint_outcomes(hpsearch), _constraint_outcomes(optuna)
    assert ours["tuple"] == theirs["tuple"] == ((("ok", "COMPLETE"), []), "COMPLETE", [1.0, -2.0])
    assert ours["nan"] == theirs["nan"]
    assert ours["raises"][1:] == theirs["raises"][1:] == ("COMPLETE", None)
    assert ours["raises"][0][0][0] == "ZeroDivisionError"
    for name in ("text", "scalar"):   # the error's text is numpy's in Optuna
        assert ours[name][0][0][0] == theirs[name][0][0][0] == "TypeError", name
        assert ours[name][0][1] == theirs[name][0][1], name
        assert ours[name][1:] == theirs[name][1:] == ("COMPLETE", None), name


def test_tell_by_number_with_constraints_func_is_refused_before_telling():
    study = hpsearch.create_study(sampler=hpsearch.samplers.TPESampler(
        constraints_func=lambda t: [0.0]))
    number = study.ask().number
    with pytest.raises(NotImplementedError, match="constraints_func"):
        study.tell(number, 1.0)
    assert study.trials[0].state == TrialState.RUNNING


# ---- plot_pareto_front ---------------------------------------------------------------

def _drawn(ax):
    """What a Pareto plot shows: title, axis labels, and each scatter's label, colour and
    points (sorted; 3D points from their 3D offsets)."""
    import matplotlib.colors
    out = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel(),
           ax.get_zlabel() if hasattr(ax, "get_zlabel") else None]
    for c in ax.collections:
        xyz = getattr(c, "_offsets3d", None)
        points = list(zip(*xyz)) if xyz is not None else [tuple(p) for p in c.get_offsets()]
        out.append((c.get_label(), matplotlib.colors.to_hex(c.get_facecolor()[0]),
                    sorted(tuple(float(v) for v in p) for p in points)))
    return out


def _pareto_plot(mod, directions, told, **kwargs):
    """A study told `told` (values, constraint) plotted: constraints stored through the
    sampler in hpsearch, given to the plot in Optuna 3.1 (which does not read them from
    the trials as Optuna 4 does)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    _quiet(mod)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        func = (lambda t: [t.user_attrs["c"]])
        study = mod.create_study(directions=directions,
                                 sampler=mod.samplers.TPESampler(constraints_func=func))
        for values, c in told:
            trial = study.ask()
            trial.set_user_attr("c", c)
            study.tell(trial, values)
        if mod is optuna and any(c > 0 for _, c in told):
            kwargs["constraints_func"] = func
        drawn = _drawn(mod.visualization.matplotlib.plot_pareto_front(study, **kwargs))
    plt.close("all")
    return drawn


TOLD_2D = [((1, 4), 0), ((2, 2), 0), ((3, 3), 0), ((4, 1), 0), ((0, 0), 1), ((5, 0.5), 2)]


@pytest.mark.parametrize("case", ["2d", "2d_infeasible", "3d", "targets", "names_no_dominated"])
def test_plot_pareto_front_as_optuna(case):
    feasible = [(v, 0) for v, _ in TOLD_2D]
    args = {
        "2d": (["minimize", "minimize"], feasible, {}),
        "2d_infeasible": (["minimize", "minimize"], TOLD_2D, {}),
        "3d": (["minimize", "maximize", "minimize"],
               [((1, 2, 3), 0), ((2, 2, 2), 0), ((3, 1, 3), 0)], {}),
        "targets": (["minimize"] * 4, [((1, 2, 3, 4), 0), ((4, 3, 2, 1), 0), ((5, 5, 5, 5), 0)],
                    {"targets": lambda t: (t.values[0] + t.values[1], t.values[3])}),
        "names_no_dominated": (["minimize", "maximize"], TOLD_2D,
                               {"target_names": ["error", "speed"],
                                "include_dominated_trials": False}),
    }[case]
    directions, told, kwargs = args
    ours = _pareto_plot(hpsearch, directions, told, **kwargs)
    assert ours == _pareto_plot(optuna, directions, told, **kwargs)
    assert any(label == "Best Trial" for label, _, _ in ours[4:])


def test_plot_pareto_front_refuses_what_optuna_refuses():
    study = hpsearch.create_study(directions=["minimize"] * 4)
    with pytest.raises(ValueError, match="only supports 2 or 3 objective"):
        hpsearch.visualization.matplotlib.plot_pareto_front(study)
    with pytest.raises(ValueError, match="target_names"):
        hpsearch.visualization.matplotlib.plot_pareto_front(study, targets=lambda t: t.values)
    with pytest.raises(NotImplementedError, match="pass constraints_func to the sampler"):
        hpsearch.visualization.matplotlib.plot_pareto_front(
            hpsearch.create_study(directions=["minimize"] * 2), constraints_func=lambda t: [0])


def _failed_returns_logged(mod):
    import logging as std_logging
    mod.logging.set_verbosity(mod.logging.WARNING)
    records = []
    handler = std_logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    root = std_logging.getLogger(mod.__name__)
    root.addHandler(handler)
    try:
        study = mod.create_study(directions=["minimize", "minimize"])
        for ret in [(1.0, 2.0, 3.0), (1.0, float("nan")), 5.0, [1, "a"], None]:
            study.optimize(lambda t: ret, n_trials=1)
    finally:
        root.removeHandler(handler)
    return [t.state.name for t in study.trials], records


def test_optimize_with_a_wrong_return_fails_the_trial_and_logs_as_optuna():
    ours, theirs = _failed_returns_logged(hpsearch), _failed_returns_logged(optuna)
    assert ours == theirs
    assert ours[0] == ["FAIL"] * 5 and len(ours[1]) == 10


def test_optimize_logs_no_best_while_none_is_feasible():
    import logging as std_logging
    records = []
    handler = std_logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    std_logging.getLogger("hpsearch").addHandler(handler)
    hpsearch.logging.set_verbosity(hpsearch.logging.INFO)
    try:
        study = hpsearch.create_study(sampler=hpsearch.samplers.TPESampler(
            constraints_func=lambda t: [t.number - 0.5]))   # only trial 0 is feasible
        study.optimize(lambda t: 1.0 - t.number, n_trials=2)
        infeasible_first = hpsearch.create_study(sampler=hpsearch.samplers.TPESampler(
            constraints_func=lambda t: [1.0]))
        infeasible_first.optimize(lambda t: 3.0, n_trials=1)
    finally:
        std_logging.getLogger("hpsearch").removeHandler(handler)
    finished = [r for r in records if "finished" in r]
    assert finished == [
        "Trial 0 finished with value: 1.0 and parameters: {}. Best is trial 0 with value: 1.0.",
        "Trial 1 finished with value: 0.0 and parameters: {}. Best is trial 0 with value: 1.0.",
        "Trial 0 finished with value: 3.0 and parameters: {}."]  # as Optuna 4+ logs them


def test_auto_sampler_gives_several_objectives_and_constraints_to_the_gp():
    """auto hands studies with several objectives or constraints to the GP (log EHVI,
    probability of feasibility) for their first 100 trials (bench/multiobjective.md),
    and each trial says so."""
    study = hpsearch.create_study(directions=["minimize", "maximize"],
                                  sampler=hpsearch.samplers.AutoSampler(seed=1))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)),
                   n_trials=12)
    assert {t.system_attrs["sampler"] for t in study.trials} == {"gp"}

    study = hpsearch.create_study(sampler=hpsearch.samplers.AutoSampler(
        seed=1, constraints_func=lambda t: [0.5 - t.params["x"]]))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    # trial 0 starts before any constraint value is known
    assert [t.system_attrs["sampler"] for t in study.trials] == ["sobol", "gp", "gp", "gp"]
