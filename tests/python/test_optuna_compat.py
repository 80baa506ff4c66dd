"""The same program through hpsearch and through Debian's Optuna: the same calls work
and mean the same (states, values, best trial, parameter types, dataframe columns,
exceptions). Only the import differs, as it does for users switching."""
import math
import warnings

import pytest

import hpsearch

optuna = pytest.importorskip("optuna")

ENGINES = [pytest.param(hpsearch, id="hpsearch"), pytest.param(optuna, id="optuna")]


def objective_for(mod):
    def objective(trial):
        x = trial.suggest_float("x", -1.0, 1.0)
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        q = trial.suggest_float("q", 0.0, 1.0, step=0.25)
        n = trial.suggest_int("n", 1, 4)
        k = trial.suggest_int("k", 2, 32, log=True)
        c = trial.suggest_categorical("c", ["a", "b"])
        flag = trial.suggest_categorical("flag", [True, False])
        i = trial.suggest_categorical("i", [1, 2, 3])
        assert trial.suggest_float("x", -1.0, 1.0) == x  # same name, same value
        trial.set_user_attr("u", n)
        trial.report(x, 0)
        trial.report(x + 1.0, 1)
        assert trial.should_prune() is False
        if trial.number == 2:
            raise mod.TrialPruned()
        if trial.number == 3:
            raise ValueError("boom")
        if trial.number == 4:
            return float("nan")
        return x + q + n + k + len(c) + int(flag) + i + lr
    return objective


def run_program(mod):
    """Runs the scenario; returns what a user could observe."""
    study = mod.create_study(direction="maximize", sampler=mod.samplers.RandomSampler(seed=7))
    study.enqueue_trial({"x": 0.5, "c": "b"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective_for(mod), n_trials=8, catch=(ValueError,))
    trials = study.trials
    out = {
        "states": [t.state.name for t in trials],
        "numbers": [t.number for t in trials],
        "param_types": [{k: type(v).__name__ for k, v in t.params.items()} for t in trials],
        "user_attrs": [t.user_attrs == {"u": t.params["n"]} for t in trials],
        "intermediate_keys": [sorted(t.intermediate_values) for t in trials],
        "pruned_value_is_last_report": trials[2].value == trials[2].intermediate_values[1],
        "failed_values": [trials[3].value, trials[4].value],
        "enqueued": (trials[0].params["x"], trials[0].params["c"]),
        "best_is_max": study.best_value == max(t.value for t in trials
                                               if t.state.name == "COMPLETE"),
        "best_params_match": study.best_params == study.best_trial.params,
        "best_trials": [t.number for t in study.best_trials] == [study.best_trial.number],
        "direction": study.direction.name,
        "n_complete": len(study.get_trials(states=(mod.trial.TrialState.COMPLETE,))),
        "distribution_types": sorted(type(d).__name__ for d in trials[0].distributions.values()),
        "frozen_replay": objective_for(mod)(study.best_trial) == study.best_value,
        "datetimes": all(t.datetime_complete >= t.datetime_start for t in trials),
    }
    # the same mistakes raise the same exception types
    errors = {}
    for name, call in {
        "tell_finished": lambda: study.tell(trials[0].number, 1.0),
        "tell_missing": lambda: study.tell(99, 1.0),
        "tell_bad_type": lambda: study.tell("x", 1.0),
        "low_gt_high": lambda: study.ask().suggest_float("a", 1, 0),
        "log_low_zero": lambda: study.ask().suggest_float("a", 0, 1, log=True),
        "empty_choices": lambda: study.ask().suggest_categorical("a", []),
        "step_and_log": lambda: study.ask().suggest_float("a", 1, 2, step=0.5, log=True),
        "kind_change": lambda: _twice(study.ask(), "z"),
        "load_missing": lambda: mod.load_study(study_name="nope", storage=_sqlite(mod)),
        "multi_report": lambda: mod.create_study(directions=["minimize", "minimize"]).ask()
        .report(1.0, 0),
    }.items():
        try:
            call()
            errors[name] = None
        except Exception as e:  # noqa: BLE001 - comparing types is the point
            errors[name] = type(e).__name__
    out["errors"] = errors
    return out


def _twice(trial, name):
    trial.suggest_float(name, 0, 1)
    trial.suggest_int(name, 0, 1)


_TMP = {}


def _sqlite(mod):
    path = _TMP["dir"] / f"{mod.__name__}.db"
    return "sqlite:///" + str(path)


@pytest.fixture(scope="module")
def observations(tmp_path_factory):
    _TMP["dir"] = tmp_path_factory.mktemp("compat")
    hpsearch.logging.set_verbosity(hpsearch.logging.WARNING)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return {mod.__name__: run_program(mod) for mod in (hpsearch, optuna)}


def test_same_states_and_values(observations):
    ours, theirs = observations["hpsearch"], observations["optuna"]
    for key in ("states", "numbers", "param_types", "user_attrs", "intermediate_keys",
                "pruned_value_is_last_report", "enqueued", "best_is_max", "best_params_match",
                "best_trials", "direction", "n_complete", "distribution_types",
                "frozen_replay", "datetimes"):
        assert ours[key] == theirs[key], key
    assert ours["failed_values"] == theirs["failed_values"] == [None, None]
    assert ours["states"] == ["COMPLETE", "COMPLETE", "PRUNED", "FAIL", "FAIL", "COMPLETE",
                              "COMPLETE", "COMPLETE"]


def test_same_exceptions(observations):
    assert observations["hpsearch"]["errors"] == observations["optuna"]["errors"]
    assert observations["optuna"]["errors"]["tell_finished"] == "ValueError"
    assert observations["optuna"]["errors"]["load_missing"] == "KeyError"


def _dataframes(mod):
    study = mod.create_study(sampler=mod.samplers.RandomSampler(seed=0))
    study.enqueue_trial({"x": 0.25})

    def objective(trial):
        trial.set_user_attr("tag", "t")
        return trial.suggest_float("x", 0, 1) + trial.suggest_int("n", 0, 3)

    study.optimize(objective, n_trials=3)
    study.ask()  # one RUNNING trial
    flat = study.trials_dataframe()
    multi = study.trials_dataframe(multi_index=True)
    return list(flat.columns), list(multi.columns), list(flat["state"]), flat


def test_dataframe_columns_match():
    pytest.importorskip("pandas")
    ours, theirs = _dataframes(hpsearch), _dataframes(optuna)
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1]
    assert ours[2] == theirs[2] == ["COMPLETE", "COMPLETE", "COMPLETE", "RUNNING"]
    assert ours[0] == ["number", "value", "datetime_start", "datetime_complete", "duration",
                       "params_n", "params_x", "user_attrs_tag", "system_attrs_fixed_params",
                       "state"]
    assert list(ours[3].dtypes) == list(theirs[3].dtypes)


@pytest.mark.parametrize("mod", ENGINES)
def test_grid_search_covers_the_grid_and_stops(mod):
    space = {"lr": [0.001, 0.01, 0.1], "hidden_size": [32, 64, 128], "epochs": [5, 10]}
    study = mod.create_study(direction="maximize",
                             sampler=mod.samplers.GridSampler(space, seed=1))

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-3, 1e-1, log=True)
        hidden = trial.suggest_int("hidden_size", 32, 128)
        epochs = trial.suggest_int("epochs", 5, 10)
        return -abs(math.log10(lr) + 2) + hidden / 128 + epochs / 10

    study.optimize(objective)
    cells = {(t.params["lr"], t.params["hidden_size"], t.params["epochs"]) for t in study.trials}
    assert len(study.trials) == len(cells) == 18
    assert study.best_params == {"lr": 0.01, "hidden_size": 128, "epochs": 10}


@pytest.mark.parametrize("mod", ENGINES)
def test_ask_tell_interface(mod):
    study = mod.create_study()
    trial = study.ask()
    x = trial.suggest_float("x", -10, 10)
    frozen = study.tell(trial, (x - 2) ** 2)
    assert frozen.state == mod.trial.TrialState.COMPLETE
    assert frozen.value == (x - 2) ** 2
    assert isinstance(frozen, mod.trial.FrozenTrial)
    t2 = study.ask()
    assert study.tell(t2.number, state=mod.trial.TrialState.FAIL).state.name == "FAIL"
    assert [t.number for t in study.trials] == [0, 1]


@pytest.mark.parametrize("name,args", [
    ("MedianPruner", dict(n_startup_trials=2, n_warmup_steps=1)),
    ("PercentilePruner", dict(percentile=40.0, n_startup_trials=2)),
    ("SuccessiveHalvingPruner", dict(min_resource=1, reduction_factor=2)),
    ("ThresholdPruner", dict(lower=0.3, n_warmup_steps=1)),
])
def test_same_pruning_decisions(name, args):
    """The same learning curves, the same pruner: the same trials are pruned at the
    same steps."""
    xs = [0.9, 0.5, 0.7, 0.2, 0.95, 0.4, 0.8, 0.1, 0.6, 0.3]

    def run(mod):
        study = mod.create_study(direction="maximize", pruner=getattr(mod.pruners, name)(**args))
        for x in xs:
            study.enqueue_trial({"x": x})

        def objective(trial):
            x = trial.suggest_float("x", 0, 1)
            for step in range(8):
                trial.report(x * (1 - 0.5 ** (step + 1)), step)
                if trial.should_prune():
                    raise mod.TrialPruned()
            return x

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study.optimize(objective, n_trials=len(xs))
        return [(t.state.name, t.last_step) for t in study.trials]

    ours, theirs = run(hpsearch), run(optuna)
    assert ours == theirs
    assert any(state == "PRUNED" for state, _ in theirs)


@pytest.mark.parametrize("mod", ENGINES)
def test_user_defined_pruner_of_optunas_tutorial(mod):
    # Optuna's tutorial 20_recipes/006_user_defined_pruner.py imports TrialState from
    # Optuna's private module and prunes a trial that is last at its step.
    import importlib
    import numpy as np
    from sklearn.datasets import load_iris
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import train_test_split
    TrialState = importlib.import_module(f"{mod.__name__}.trial._state").TrialState
    assert TrialState is mod.trial.TrialState
    said_prune = []

    class LastPlacePruner(mod.pruners.BasePruner):
        def prune(self, study, trial):
            step = trial.last_step
            if not step:
                return False
            completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            others = sorted(t.intermediate_values[step] for t in completed
                            if step in t.intermediate_values)
            if len(others) > 3 and trial.intermediate_values[step] < others[0]:
                said_prune.append(trial.number)
                return True
            return False

    iris = load_iris()
    X_train, X_valid, y_train, y_valid = train_test_split(
        iris.data, iris.target, train_size=100, test_size=50, random_state=0)

    def objective(trial):
        loss = trial.suggest_categorical("loss", ["hinge", "log_loss", "perceptron"])
        alpha = trial.suggest_float("alpha", 1e-5, 1e-3, log=True)
        clf = SGDClassifier(loss=loss, alpha=alpha, random_state=0)
        for step in range(5):
            clf.partial_fit(X_train, y_train, classes=np.unique(iris.target))
            trial.report(clf.score(X_valid, y_valid), step)
            if trial.should_prune():
                raise mod.TrialPruned()
        return clf.score(X_valid, y_valid)

    study = mod.create_study(direction="maximize", pruner=LastPlacePruner(),
                             sampler=mod.samplers.RandomSampler(seed=3))
    study.optimize(objective, n_trials=25)
    pruned = [t.number for t in study.trials if t.state == TrialState.PRUNED]
    assert pruned and pruned == said_prune
