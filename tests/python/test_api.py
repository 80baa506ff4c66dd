"""The Optuna-style API of hpsearch: studies, trials, samplers, storages."""
import copy
import datetime
import inspect
import json
import math
import pickle
import subprocess
import time

import pytest

import hpsearch
from hpsearch.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from hpsearch.trial import TrialState

from conftest import simple_objective


# ---- studies --------------------------------------------------------------------------

def test_create_study_defaults_and_names():
    study = hpsearch.create_study()
    assert study.study_name.startswith("no-name-")
    assert study.direction == hpsearch.StudyDirection.MINIMIZE
    assert study.directions == [hpsearch.StudyDirection.MINIMIZE]
    # the sampler the engine runs (AutoSampler records its strategy) and Optuna's pruner
    assert isinstance(study.sampler, hpsearch.samplers.AutoSampler)
    assert isinstance(study.pruner, hpsearch.pruners.MedianPruner)
    assert study.trials == []
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert "sampler" in study.trials[0].system_attrs
    assert study.user_attrs == {}
    assert isinstance(study, hpsearch.Study)


def test_create_study_direction_forms():
    assert hpsearch.create_study(direction="maximize").direction == hpsearch.StudyDirection.MAXIMIZE
    assert hpsearch.create_study(
        direction=hpsearch.StudyDirection.MAXIMIZE).direction == hpsearch.StudyDirection.MAXIMIZE
    multi = hpsearch.create_study(directions=["minimize", "maximize"])
    assert multi.directions == [hpsearch.StudyDirection.MINIMIZE, hpsearch.StudyDirection.MAXIMIZE]
    with pytest.raises(RuntimeError):
        multi.direction
    with pytest.raises(ValueError, match="Specify only one"):
        hpsearch.create_study(direction="minimize", directions=["minimize"])
    with pytest.raises(ValueError, match="minimize"):
        hpsearch.create_study(direction="up")
    with pytest.raises(ValueError, match="greater than 0"):
        hpsearch.create_study(directions=[])


def test_create_study_positional_arguments_warn_like_optuna(sqlite_url):
    with pytest.warns(FutureWarning):
        study = hpsearch.create_study(sqlite_url, None, None, "positional")
    assert study.study_name == "positional"


def test_create_load_delete_persistent(sqlite_url):
    study = hpsearch.create_study(study_name="s", storage=sqlite_url, direction="maximize")
    study.optimize(simple_objective, n_trials=3)
    with pytest.raises(hpsearch.exceptions.DuplicatedStudyError):
        hpsearch.create_study(study_name="s", storage=sqlite_url)
    again = hpsearch.create_study(study_name="s", storage=sqlite_url, direction="maximize",
                                  load_if_exists=True)
    assert len(again.trials) == 3
    loaded = hpsearch.load_study(study_name="s", storage=sqlite_url)
    assert loaded.direction == hpsearch.StudyDirection.MAXIMIZE
    assert [t.params for t in loaded.trials] == [t.params for t in study.trials]
    by_constructor = hpsearch.Study("s", sqlite_url)
    assert len(by_constructor.trials) == 3
    only = hpsearch.load_study(study_name=None, storage=sqlite_url)
    assert only.study_name == "s"
    hpsearch.delete_study(study_name="s", storage=sqlite_url)
    with pytest.raises(KeyError):
        hpsearch.load_study(study_name="s", storage=sqlite_url)
    with pytest.raises(KeyError):
        hpsearch.delete_study(study_name="s", storage=sqlite_url)


def test_load_if_exists_with_other_direction_is_refused(sqlite_url):
    hpsearch.create_study(study_name="d", storage=sqlite_url, direction="maximize")
    with pytest.raises(ValueError, match="other directions"):
        hpsearch.create_study(study_name="d", storage=sqlite_url, direction="minimize",
                              load_if_exists=True)


def test_optuna_url_forms(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    relative = hpsearch.create_study(study_name="rel", storage="sqlite:///rel.db")
    relative.optimize(simple_objective, n_trials=1)
    assert (tmp_path / "rel.db").exists()
    absolute = "sqlite:///" + str(tmp_path / "abs.db")  # sqlite:////abs/path
    hpsearch.create_study(study_name="abs", storage=absolute).optimize(simple_objective, n_trials=1)
    assert len(hpsearch.load_study(study_name="abs", storage="sqlite:" + str(tmp_path / "abs.db"))
               .trials) == 1
    with pytest.raises(ValueError, match="scheme"):
        hpsearch.create_study(storage="mysql://user@host/db")
    with pytest.raises(TypeError):
        hpsearch.create_study(storage=42)


def test_in_memory_storage_object_is_shared():
    storage = hpsearch.storages.InMemoryStorage()
    study = hpsearch.create_study(study_name="m", storage=storage)
    study.optimize(simple_objective, n_trials=2)
    loaded = hpsearch.load_study(study_name="m", storage=storage)
    assert len(loaded.trials) == 2
    names = [s.study_name for s in hpsearch.get_all_study_summaries(storage)]
    assert names == ["m"]
    with pytest.raises(hpsearch.exceptions.DuplicatedStudyError):
        hpsearch.create_study(study_name="m", storage=storage)
    hpsearch.delete_study(study_name="m", storage=storage)
    with pytest.raises(KeyError):
        hpsearch.load_study(study_name="m", storage=storage)


def test_study_summaries(sqlite_url):
    a = hpsearch.create_study(study_name="a", storage=sqlite_url, direction="maximize")
    a.optimize(simple_objective, n_trials=4)
    a.set_user_attr("owner", "me")
    hpsearch.create_study(study_name="b", storage=sqlite_url, directions=["minimize", "maximize"])
    summaries = hpsearch.get_all_study_summaries(sqlite_url)
    assert [s.study_name for s in summaries] == ["a", "b"]
    sa, sb = summaries
    assert sa.n_trials == 4 and sa.direction == hpsearch.StudyDirection.MAXIMIZE
    assert sa.best_trial.value == max(t.value for t in a.trials)
    assert sa.user_attrs == {"owner": "me"}
    assert isinstance(sa.datetime_start, datetime.datetime)
    assert sb.n_trials == 0 and sb.best_trial is None and sb.datetime_start is None
    assert len(sb.directions) == 2
    with pytest.raises(RuntimeError):
        sb.direction
    assert hpsearch.get_all_study_names(sqlite_url) == ["a", "b"]
    without_best = hpsearch.get_all_study_summaries(sqlite_url, include_best_trial=False)
    assert without_best[0].best_trial is None


def test_user_attrs(sqlite_url):
    study = hpsearch.create_study(storage=sqlite_url, study_name="attrs")
    study.set_user_attr("dataset", "digits")
    study.set_user_attr("sizes", [1, 2, {"x": None}])
    assert study.user_attrs == {"dataset": "digits", "sizes": [1, 2, {"x": None}]}
    loaded = hpsearch.load_study(study_name="attrs", storage=sqlite_url)
    assert loaded.user_attrs["dataset"] == "digits"
    with pytest.raises(TypeError):
        study.set_user_attr("bad", object())
    with pytest.raises(ValueError):
        study.set_user_attr("nan", float("nan"))


# ---- ask and tell -----------------------------------------------------------------------

def test_ask_tell_roundtrip():
    study = hpsearch.create_study(direction="maximize")
    trial = study.ask()
    assert isinstance(trial, hpsearch.Trial) and trial.number == 0
    assert trial.study is study
    x = trial.suggest_float("x", 0.0, 1.0)
    n = trial.suggest_int("n", 1, 3)
    c = trial.suggest_categorical("c", ("a", 2, 2.5, False))
    assert type(x) is float and type(n) is int and c in ("a", 2, 2.5, False)
    assert trial.params == {"x": x, "n": n, "c": c}
    assert set(trial.distributions) == {"x", "n", "c"}
    assert isinstance(trial.datetime_start, datetime.datetime)
    frozen = study.tell(trial, 0.5)
    assert isinstance(frozen, hpsearch.FrozenTrial)
    assert frozen.state == TrialState.COMPLETE and frozen.value == 0.5 and frozen.values == [0.5]
    assert frozen.params == {"x": x, "n": n, "c": c}
    assert study.best_value == 0.5 and study.best_params == frozen.params
    # by number, with a state
    t2 = study.ask()
    t2.report(0.25, 3)
    frozen2 = study.tell(t2.number, state=TrialState.PRUNED)
    assert frozen2.state == TrialState.PRUNED and frozen2.value == 0.25  # last intermediate
    t3 = study.ask()
    assert study.tell(t3, state=TrialState.FAIL).state == TrialState.FAIL
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.PRUNED,
                                              TrialState.FAIL]


def test_tell_values_sequence_and_multi_objective():
    study = hpsearch.create_study(directions=["minimize", "maximize"])
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    frozen = study.tell(trial, [1.0, 2.0])
    assert frozen.values == [1.0, 2.0]
    with pytest.raises(RuntimeError):
        frozen.value
    with pytest.raises(NotImplementedError):
        study.ask().report(1.0, 0)
    for a, b in [(0.0, 0.0), (2.0, 3.0), (5.0, 0.0)]:
        study.tell(study.ask(), (a, b))
    front = {tuple(t.values) for t in study.best_trials}
    assert front == {(0.0, 0.0), (1.0, 2.0), (2.0, 3.0)}  # (5, 0) is dominated
    with pytest.raises(RuntimeError):
        study.best_trial


def test_tell_with_bad_values_fails_the_trial_with_a_warning():
    study = hpsearch.create_study()
    trial = study.ask()
    with pytest.warns(UserWarning, match="not acceptable"):
        frozen = study.tell(trial, float("nan"))
    assert frozen.state == TrialState.FAIL
    assert "not acceptable" in frozen.system_attrs["fail_reason"]
    with pytest.warns(UserWarning, match="could not be cast"):
        assert study.tell(study.ask(), "abc").state == TrialState.FAIL
    with pytest.warns(UserWarning, match="None could not be cast"):
        assert study.tell(study.ask()).state == TrialState.FAIL
    with pytest.warns(UserWarning, match="did not match the number of the objectives"):
        assert study.tell(study.ask(), [1.0, 2.0]).state == TrialState.FAIL


def test_tell_argument_errors():
    study = hpsearch.create_study()
    trial = study.ask()
    with pytest.raises(ValueError, match="No values were told"):
        study.tell(trial, state=TrialState.COMPLETE)
    with pytest.raises(ValueError, match="Values were told"):
        study.tell(trial, 1.0, state=TrialState.PRUNED)
    with pytest.raises(ValueError, match="Cannot tell with state"):
        study.tell(trial, 1.0, state=TrialState.RUNNING)
    with pytest.raises(ValueError, match="not acceptable"):
        study.tell(trial, float("nan"), state=TrialState.COMPLETE)
    with pytest.raises(TypeError, match="trial object or trial number"):
        study.tell("0", 1.0)
    with pytest.raises(ValueError, match="has not been created"):
        study.tell(17, 1.0)
    other = hpsearch.create_study()
    with pytest.raises(ValueError, match="another Study"):
        other.tell(trial, 1.0)
    # the trial is still running after all that
    assert study.tell(trial, 1.0).state == TrialState.COMPLETE


def test_tell_a_finished_trial():
    study = hpsearch.create_study()
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(ValueError, match="Cannot tell a COMPLETE trial"):
        study.tell(trial, 2.0)
    with pytest.raises(ValueError, match="Cannot tell a COMPLETE trial"):
        study.tell(trial.number, 2.0)
    assert study.tell(trial, 2.0, skip_if_finished=True).value == 1.0
    with pytest.raises(RuntimeError, match="already COMPLETE"):
        trial.suggest_float("late", 0, 1)


def test_params_keep_their_types():
    study = hpsearch.create_study()
    trial = study.ask()
    values = {
        "f": trial.suggest_float("f", 1, 2),
        "i": trial.suggest_int("i", 1, 2),
        "s": trial.suggest_categorical("s", ["x"]),
        "b": trial.suggest_categorical("b", [True]),
        "ci": trial.suggest_categorical("ci", [7]),
        "cf": trial.suggest_categorical("cf", [0.5]),
    }
    study.tell(trial, 0.0)
    stored = study.trials[0].params
    assert stored == values
    assert [type(stored[k]) for k in "f i s b ci cf".split()] == [float, int, str, bool, int, float]


def test_suggest_returns_callers_choice_object():
    study = hpsearch.create_study()
    trial = study.ask()
    choice = "relu"
    assert trial.suggest_categorical("act", [choice]) is choice


def test_report_and_should_prune():
    study = hpsearch.create_study()
    trial = study.ask()
    trial.report(0.5, 0)
    trial.report(0.25, 2)
    with pytest.warns(UserWarning, match="already reported"):
        trial.report(9.0, 2)
    trial.report(float("nan"), 3)  # a diverging run: kept, as Optuna keeps it
    assert trial.should_prune() is False
    frozen = study.tell(trial, 0.1)
    assert list(frozen.intermediate_values) == [0, 2, 3]
    assert frozen.intermediate_values[2] == 0.25 and math.isnan(frozen.intermediate_values[3])
    assert frozen.last_step == 3
    # pruned after a NaN report: no value, as in Optuna
    t2 = study.ask()
    t2.report(float("nan"), 0)
    pruned = study.tell(t2, state=TrialState.PRUNED)
    assert pruned.state == TrialState.PRUNED and pruned.value is None


def test_trial_user_attrs():
    study = hpsearch.create_study()
    trial = study.ask()
    trial.set_user_attr("batch", 128)
    trial.set_user_attr("tags", ["a", "b"])
    assert trial.user_attrs == {"batch": 128, "tags": ["a", "b"]}
    study.tell(trial, 1.0)
    assert study.trials[0].user_attrs == {"batch": 128, "tags": ["a", "b"]}


def test_get_trials_by_state():
    study = hpsearch.create_study()
    study.tell(study.ask(), 1.0)
    study.tell(study.ask(), state=TrialState.PRUNED)
    running = study.ask()
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 1
    assert len(study.get_trials(states=[TrialState.RUNNING])) == 1
    finished = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
    assert [t.number for t in finished] == [0, 1]
    study.tell(running, 0.5)
    assert study.best_trial.number == 2


def test_best_trial_ties_and_empty():
    study = hpsearch.create_study()
    with pytest.raises(ValueError, match="No trials are completed"):
        study.best_trial
    assert study.best_trials == []
    for v in [3.0, 1.0, 1.0]:
        study.tell(study.ask(), v)
    assert study.best_trial.number == 1
    assert study.best_trials[0].number == 1


def test_enqueue_trial(sqlite_url):
    study = hpsearch.create_study(storage=sqlite_url, study_name="q")
    study.enqueue_trial({"x": 1.5, "c": "b"}, user_attrs={"why": "seed point"})
    study.enqueue_trial({"x": 1.5, "c": "b"}, skip_if_exists=True)  # already queued
    assert len(study.trials) == 1 and study.trials[0].state == TrialState.WAITING
    trial = study.ask()
    assert trial.suggest_float("x", 0, 10) == 1.5
    assert trial.suggest_categorical("c", ["a", "b"]) == "b"
    n = trial.suggest_int("n", 1, 5)  # not fixed: sampled
    assert 1 <= n <= 5
    study.tell(trial, 0.0)
    frozen = study.trials[0]
    assert frozen.user_attrs == {"why": "seed point"}
    assert frozen.system_attrs["fixed_params"] == {"x": 1.5, "c": "b"}
    study.enqueue_trial({"x": 1.5, "c": "b"}, skip_if_exists=True)
    assert len(study.trials) == 1
    with pytest.raises(ValueError):
        study.enqueue_trial({"x": None})
    study.enqueue_trial({"x": 99.0})
    with pytest.raises(ValueError, match="fixed value"):
        study.ask().suggest_float("x", 0, 10)


def test_ask_with_fixed_distributions():
    study = hpsearch.create_study()
    trial = study.ask(fixed_distributions={
        "x": FloatDistribution(0, 1), "n": IntDistribution(1, 3, step=2),
        "c": CategoricalDistribution(["u", "v"])})
    assert set(trial.params) == {"x", "n", "c"}
    assert trial.params["n"] in (1, 3)
    assert trial.distributions["n"] == IntDistribution(1, 3, step=2)


def test_deprecated_suggest_aliases():
    trial = hpsearch.create_study().ask()
    with pytest.warns(FutureWarning):
        assert 0 <= trial.suggest_uniform("u", 0, 1) <= 1
    with pytest.warns(FutureWarning):
        assert 1 <= trial.suggest_loguniform("l", 1, 10) <= 10
    with pytest.warns(FutureWarning):
        assert trial.suggest_discrete_uniform("d", 0, 1, 0.5) in (0.0, 0.5, 1.0)
    assert trial.distributions["l"] == FloatDistribution(1, 10, log=True)


def test_step_not_dividing_the_range_lowers_high_like_optuna():
    trial = hpsearch.create_study().ask()
    with pytest.warns(UserWarning, match="replaced by"):
        v = trial.suggest_float("f", 0, 1, step=0.3)
    assert v in (0.0, 0.3, 0.6, 0.9) or math.isclose(v, 0.9) or math.isclose(v, 0.6)
    with pytest.warns(UserWarning, match=r"replaced by \[0, 9\]"):
        assert trial.suggest_int("i", 0, 10, step=3) in (0, 3, 6, 9)
    assert trial.distributions["i"] == IntDistribution(0, 9, step=3)


def test_resuggest_same_kind_other_range_keeps_the_first_value():
    trial = hpsearch.create_study().ask()
    first = trial.suggest_float("x", 0, 1)
    assert trial.suggest_float("x", 0, 1) == first
    with pytest.warns(RuntimeWarning, match="Inconsistent parameter values"):
        assert trial.suggest_float("x", 0, 2) == first


# ---- optimize ------------------------------------------------------------------------

def test_optimize_states_and_fail_reason():
    study = hpsearch.create_study()

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 1:
            raise hpsearch.TrialPruned()
        if trial.number == 2:
            raise ZeroDivisionError("boom")
        if trial.number == 3:
            return None
        return x

    study.optimize(objective, n_trials=5, catch=(ZeroDivisionError,))
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.FAIL,
                      TrialState.COMPLETE]
    assert study.trials[2].system_attrs["fail_reason"] == "ZeroDivisionError: boom"
    assert "None could not be cast" in study.trials[3].system_attrs["fail_reason"]


def test_optimize_exception_propagates_and_marks_fail():
    study = hpsearch.create_study()

    def objective(trial):
        trial.suggest_int("n", 0, 3)
        raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        study.optimize(objective, n_trials=3)
    assert len(study.trials) == 1
    assert study.trials[0].state == TrialState.FAIL
    assert study.trials[0].system_attrs["fail_reason"] == "KeyError: 'missing'"
    with pytest.raises(TypeError, match="tuple"):
        hpsearch.study._optimize(study, lambda t: 0, 1, None, 1, [KeyError], None, False, False)


def test_optimize_nan_result_is_fail_and_logged(caplog):
    hpsearch.logging.enable_propagation()
    try:
        study = hpsearch.create_study()
        with caplog.at_level("WARNING", logger="hpsearch"):
            study.optimize(lambda t: float("nan"), n_trials=1)
    finally:
        hpsearch.logging.disable_propagation()
    assert study.trials[0].state == TrialState.FAIL
    assert "not acceptable" in caplog.text


def test_optimize_callbacks_stop_timeout_and_nesting():
    study = hpsearch.create_study()
    seen = []

    def callback(s, frozen):
        seen.append(frozen.number)
        if frozen.number == 2:
            s.stop()

    study.optimize(simple_objective, n_trials=10, callbacks=[callback])
    assert seen == [0, 1, 2]
    with pytest.raises(RuntimeError):
        study.stop()

    # the timeout ends the loop: at least one trial, and not many more than fit in 0.3 s
    # (counted, not timed: a loaded machine stretches the clock, never the count upward)
    study.optimize(lambda t: time.sleep(0.05) or 1.0, timeout=0.3)
    assert 4 <= len(study.trials) <= 3 + 7  # 3 from before, then about 6 in 0.3 s

    def nested(trial):
        study.optimize(simple_objective, n_trials=1)
        return 0.0

    with pytest.raises(RuntimeError, match="Nested"):
        study.optimize(nested, n_trials=1)

    capped = hpsearch.create_study()
    capped.optimize(simple_objective, n_trials=20, gc_after_trial=True,
                    callbacks=[hpsearch.study.MaxTrialsCallback(4)])
    assert len(capped.trials) == 4


def test_optimize_handles_optunas_own_trial_pruned():
    optuna = pytest.importorskip("optuna")
    study = hpsearch.create_study()

    def objective(trial):
        raise optuna.TrialPruned()

    study.optimize(objective, n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED


# ---- frozen trials ------------------------------------------------------------------------

def test_frozen_trial_replays_and_copies():
    study = hpsearch.create_study()
    study.optimize(simple_objective, n_trials=3)
    best = study.best_trial
    assert simple_objective(best) == best.value
    assert best == copy.deepcopy(best) == pickle.loads(pickle.dumps(best))
    assert best == study.best_trial
    assert sorted(study.trials, reverse=True)[0].number == 2
    assert best.duration >= datetime.timedelta(0)
    assert best.report(1.0, 0) is None and best.should_prune() is False
    best.set_user_attr("k", 1)
    assert best.user_attrs == {"k": 1}
    with pytest.raises(ValueError, match="not found"):
        best.suggest_float("missing", 0, 1)
    with pytest.raises(ValueError, match="different distribution kind"), \
            pytest.warns(UserWarning, match="out of the range"):
        best.suggest_int("x", -10, 10)
    assert repr(best).startswith("FrozenTrial(number=")
    fields = best.number, best.state, best.params
    best.value = 123.0
    assert best.values == [123.0] and (best.number, best.state, best.params) == fields


def test_create_trial_and_fixed_trial():
    trial = hpsearch.create_trial(params={"x": 1.0, "y": 0},
                                  distributions={"x": FloatDistribution(0, 10),
                                                 "y": CategoricalDistribution([-1, 0, 1])},
                                  value=5.0)
    assert trial.value == 5.0 and trial.state == TrialState.COMPLETE
    with pytest.raises(ValueError):
        hpsearch.create_trial(state=TrialState.COMPLETE)
    fixed = hpsearch.trial.FixedTrial({"x": 2.0, "n": 3, "c": "a"})
    assert simple_objective(fixed) == 3.0
    assert fixed.params == {"x": 2.0, "n": 3, "c": "a"}
    assert isinstance(fixed, hpsearch.trial.BaseTrial)
    assert isinstance(hpsearch.create_study().ask(), hpsearch.trial.BaseTrial)


def test_trial_state_enum_matches_optuna():
    assert [s.name for s in TrialState] == ["RUNNING", "COMPLETE", "PRUNED", "FAIL", "WAITING"]
    assert [int(s) for s in TrialState] == [0, 1, 2, 3, 4]
    assert TrialState.COMPLETE.is_finished() and not TrialState.WAITING.is_finished()
    assert repr(TrialState.FAIL) == "TrialState.FAIL"


# ---- the wrappers and the library's catalog ------------------------------------------------
# The library is the authority on samplers, pruners and their defaults (hps_sampler_catalog,
# printed by `hpsearch samplers --format json`): every engine strategy has a class here, the
# module docstring names it, and a class constructed with its defaults hands the engine
# only options it has, with the engine's defaults -- unless it means to differ (below).

# Where a class's default deliberately differs from the engine's.
_PYTHON_DEFAULTS = {
    ("grid", "shuffle"): "true",  # Optuna's GridSampler visits the grid in a random order
}
# Values for the arguments a constructor requires (Optuna's signatures); the options they
# set are the caller's, not defaults.
_REQUIRED_ARGUMENTS = {"search_space": {"x": [1, 2]}, "percentile": 25.0, "wrapped_pruner": None,
                       "patience": 3}


def _catalog(hpsearch_bin, kind):
    out = subprocess.run([hpsearch_bin, kind, "--format", "json"], check=True,
                         capture_output=True, text=True).stdout
    return {s["name"]: s for s in json.loads(out) if not s["registered"]}


def _same_value(python_text, engine_text):
    try:
        return float(python_text) == float(engine_text)
    except ValueError:
        return python_text.lower() == engine_text.lower()


def _wrappers(module, base):
    """(class, engine name, options it sends, the options its caller chose) for each
    class of `module` that describes an engine strategy."""
    for name in module.__all__:
        cls = getattr(module, name)
        if not inspect.isclass(cls) or cls is base or not issubclass(cls, base):
            continue
        if not hasattr(cls, "_engine_spec"):  # written in Python (BruteForceSampler, ...)
            continue
        required = {p.name: _REQUIRED_ARGUMENTS[p.name]
                    for p in inspect.signature(cls).parameters.values()
                    if p.default is inspect.Parameter.empty and p.kind != p.VAR_KEYWORD}
        kwargs = dict(required)
        if cls is hpsearch.pruners.ThresholdPruner:
            kwargs["upper"] = 1.0  # one bound is required
        engine, options, _ = cls(**kwargs)._engine_spec()
        yield cls, engine, options, set(kwargs)


@pytest.mark.parametrize("kind, module, base", [
    ("samplers", hpsearch.samplers, hpsearch.samplers.BaseSampler),
    ("pruners", hpsearch.pruners, hpsearch.pruners.BasePruner),
])
def test_wrappers_follow_the_librarys_catalog(hpsearch_bin, kind, module, base):
    catalog = _catalog(hpsearch_bin, kind)
    covered = set()
    for cls, engine, options, chosen in _wrappers(module, base):
        assert engine in catalog, f"{cls.__name__} names '{engine}', not in the catalog"
        covered.add(engine)
        if kind == "samplers":
            assert f":class:`{cls.__name__}`" in module.__doc__, cls.__name__
        known = {o["name"]: o for o in catalog[engine]["options"]}
        for key, value in options.items():
            assert key in known, f"{cls.__name__} sends '{key}', which '{engine}' does not take"
            if key in chosen or key == "seed":
                continue
            want = _PYTHON_DEFAULTS.get((engine, key), known[key]["default"])
            assert want is not None and _same_value(value, want), \
                f"{cls.__name__}: {key}={value}, the engine's default is {want}"
    assert covered == set(catalog)


# ---- samplers -----------------------------------------------------------------------------

def test_random_sampler_seed_reproduces():
    runs = []
    for _ in range(2):
        study = hpsearch.create_study(sampler=hpsearch.samplers.RandomSampler(seed=42))
        study.optimize(simple_objective, n_trials=5)
        runs.append([t.params for t in study.trials])
    assert runs[0] == runs[1]
    other = hpsearch.create_study(sampler=hpsearch.samplers.RandomSampler(seed=43))
    other.optimize(simple_objective, n_trials=5)
    assert [t.params for t in other.trials] != runs[0]
    with pytest.raises(ValueError):
        hpsearch.samplers.RandomSampler(seed=-1)


def test_grid_sampler_visits_every_cell_once_then_stops():
    space = {"lr": [0.001, 0.01, 0.1], "hidden": [32, 64], "act": ["relu", "tanh"]}
    study = hpsearch.create_study(sampler=hpsearch.samplers.GridSampler(space, seed=3))

    def objective(trial):
        return (trial.suggest_float("lr", 1e-4, 1, log=True) * trial.suggest_int("hidden", 1, 100)
                + len(trial.suggest_categorical("act", ["relu", "tanh"])))

    study.optimize(objective)  # no n_trials: runs until the grid is exhausted
    cells = [(t.params["lr"], t.params["hidden"], t.params["act"]) for t in study.trials]
    assert len(cells) == 12 and len(set(cells)) == 12
    with pytest.raises(hpsearch.exceptions.StudyDone):
        study.ask()
    # a seeded order is reproducible and not the nested-loop order
    again = hpsearch.create_study(sampler=hpsearch.samplers.GridSampler(space, seed=3))
    again.optimize(objective, n_trials=12)
    assert [(t.params["lr"], t.params["hidden"], t.params["act"]) for t in again.trials] == cells
    assert cells != sorted(cells)


def test_grid_sampler_bad_use():
    with pytest.raises(ValueError, match="None"):
        hpsearch.create_study(sampler=hpsearch.samplers.GridSampler({"x": [None, 1]}))
    study = hpsearch.create_study(sampler=hpsearch.samplers.GridSampler({"x": [0.5, 5.0]}))
    trial = study.ask()
    with pytest.raises(ValueError, match="not part of the grid"):
        trial.suggest_float("y", 0, 1)
    study2 = hpsearch.create_study(sampler=hpsearch.samplers.GridSampler({"x": [50]}))
    with pytest.raises(ValueError, match="grid value"):
        study2.ask().suggest_int("x", 0, 10)


def test_grid_sampler_shared_through_storage(sqlite_url):
    space = {"a": [1, 2, 3], "b": ["u", "v"]}
    s1 = hpsearch.create_study(study_name="g", storage=sqlite_url,
                               sampler=hpsearch.samplers.GridSampler(space))
    s2 = hpsearch.load_study(study_name="g", storage=sqlite_url,
                             sampler=hpsearch.samplers.GridSampler(space))

    def objective(trial):
        return trial.suggest_int("a", 1, 3) + len(trial.suggest_categorical("b", ["u", "v"]))

    s1.optimize(objective, n_trials=3)
    s2.optimize(objective)
    cells = [(t.params["a"], t.params["b"]) for t in s1.trials]
    assert len(cells) == 6 and len(set(cells)) == 6


def test_qmc_sampler():
    study = hpsearch.create_study(sampler=hpsearch.samplers.QMCSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=16)
    xs = sorted(t.params["x"] for t in study.trials)
    # 16 Sobol points fill each sixteenth of [0, 1) exactly once
    assert [int(x * 16) for x in xs] == list(range(16))
    with pytest.raises(NotImplementedError, match="Halton"):
        hpsearch.samplers.QMCSampler(qmc_type="halton")
    with pytest.raises(ValueError):
        hpsearch.samplers.QMCSampler(qmc_type="lhs")


def test_pruners_prune_and_validate():
    pruners = hpsearch.pruners
    study = hpsearch.create_study(
        direction="maximize", pruner=pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0))
    for x in (1.0, 2.0, 3.0, 0.5, 4.0):
        study.enqueue_trial({"x": x})

    def objective(trial):
        x = trial.suggest_float("x", 0, 10)
        for step in range(5):
            trial.report(x * (step + 1), step)
            if trial.should_prune():
                raise hpsearch.TrialPruned()
        return x * 5

    study.optimize(objective, n_trials=5)
    states = [t.state for t in study.trials]
    # 0.5 is below the median of the complete trials at step 0; the others are not
    assert states == [TrialState.COMPLETE] * 3 + [TrialState.PRUNED, TrialState.COMPLETE]
    assert study.trials[3].value == 0.5  # its last report
    for bad in (lambda: pruners.MedianPruner(n_startup_trials=-1),
                lambda: pruners.PercentilePruner(101.0),
                lambda: pruners.SuccessiveHalvingPruner(reduction_factor=1),
                lambda: pruners.HyperbandPruner(max_resource="big"),
                lambda: pruners.ThresholdPruner(lower=2.0, upper=1.0),
                lambda: pruners.PatientPruner(None, patience=-1)):
        with pytest.raises(ValueError):
            bad()
    with pytest.raises(TypeError):
        pruners.ThresholdPruner()
    for pruner in (pruners.NopPruner(), pruners.PercentilePruner(25.0),
                   pruners.SuccessiveHalvingPruner(), pruners.HyperbandPruner(max_resource=9),
                   pruners.ThresholdPruner(upper=1.0),
                   pruners.PatientPruner(pruners.MedianPruner(), patience=2, min_delta=0.1),
                   pruners.PatientPruner(None, patience=1), pruners.ForecastPruner(),
                   pruners.AutoPruner(max_step=20)):
        s = hpsearch.create_study(pruner=pruner)
        assert s.pruner is pruner
        t = s.ask()
        t.report(5.0, 0)
        assert t.should_prune() in (True, False)
    threshold = hpsearch.create_study(pruner=pruners.ThresholdPruner(upper=1.0)).ask()
    threshold.report(2.0, 0)
    assert threshold.should_prune() is True


def test_forecast_pruner_stops_a_plateau_and_keeps_a_crossing_curve():
    pruners = hpsearch.pruners
    study = hpsearch.create_study(direction="maximize",
                                  pruner=pruners.ForecastPruner(max_step=30))
    # (top, gap, rate) of accuracy curves top - gap * exp(-rate * step): three end near
    # 0.90, one levels off at 0.70, one starts slowly and ends at 0.93
    curves = [(0.90, 0.5, 0.3)] * 3 + [(0.70, 0.4, 0.5), (0.97, 0.8, 0.1)]
    for top, gap, rate in curves:
        study.enqueue_trial({"top": top, "gap": gap, "rate": rate})

    def objective(trial):
        top = trial.suggest_float("top", 0, 1)
        gap = trial.suggest_float("gap", 0, 1)
        rate = trial.suggest_float("rate", 0, 1)
        for step in range(1, 31):
            trial.report(top - gap * math.exp(-rate * step) + 0.002 * math.sin(1.3 * step), step)
            if trial.should_prune():
                raise hpsearch.TrialPruned()
        return top - gap * math.exp(-rate * 30)

    study.optimize(objective, n_trials=len(curves))
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3 + [
        TrialState.PRUNED, TrialState.COMPLETE]
    assert study.trials[3].system_attrs["forecast"]["p_beat"] < 0.05
    for bad in (lambda: pruners.ForecastPruner(min_probability=0),
                lambda: pruners.ForecastPruner(max_step=0),
                lambda: pruners.ForecastPruner(min_points=3),
                lambda: pruners.AutoPruner(min_resource=0),
                lambda: pruners.AutoPruner(max_step="soon")):
        with pytest.raises(ValueError):
            bad()
    with pytest.raises(ValueError, match="stopping must be 'asha' or 'hyperband' but got 'sha'"):
        pruners.AutoPruner(stopping="sha")


def test_auto_pruner_with_hyperband_lets_slow_starters_through():
    # three curves ending near 0.90, then six slow starters that cross them (0.93 at the
    # end): successive halving stops every slow starter at its first rungs, Hyperband's
    # gentler brackets let some through (tests/unit/test_pruners.c, the same curves)
    def through(stopping):
        study = hpsearch.create_study(
            direction="maximize", study_name="slow",
            pruner=hpsearch.pruners.AutoPruner(max_step=30, stopping=stopping))
        curves = [(0.90 + 0.002 * k, 0.5, 0.3) for k in range(3)] + [(0.97, 0.8, 0.1)] * 6
        for top, gap, rate in curves:
            trial = study.ask()
            pruned = False
            for step in range(1, 31):
                trial.report(top - gap * math.exp(-rate * step) + 0.002 * math.sin(1.3 * step),
                             step)
                if trial.should_prune():
                    pruned = True
                    break
            if pruned:
                study.tell(trial, state=TrialState.PRUNED)
            else:
                study.tell(trial, top - gap * math.exp(-rate * 30) + 0.002 * math.sin(39.0))
        return sum(t.state == TrialState.COMPLETE for t in study.trials[3:])

    assert through("asha") == 0
    assert through("hyperband") >= 1
    assert hpsearch.pruners.AutoPruner()._options()["stopping"] == "hyperband"  # the default


def test_sampler_can_be_replaced_and_foreign_objects_refused():
    study = hpsearch.create_study()
    study.sampler = hpsearch.samplers.RandomSampler(seed=1)
    assert study.sampler._seed == 1
    with pytest.raises(TypeError, match="not an hpsearch sampler"):
        hpsearch.create_study(sampler=object())
    with pytest.raises(TypeError, match="not an hpsearch pruner"):
        hpsearch.create_study(pruner=object())
    assert hpsearch.create_study(pruner=hpsearch.pruners.NopPruner()).ask().should_prune() is False


# ---- dataframe ---------------------------------------------------------------------------

def test_trials_dataframe_columns():
    pd = pytest.importorskip("pandas")
    study = hpsearch.create_study()
    assert study.trials_dataframe().empty

    def objective(trial):
        trial.set_user_attr("u", 1)
        return simple_objective(trial)

    study.optimize(objective, n_trials=3)
    df = study.trials_dataframe()
    # the default AutoSampler records which strategy drew each trial (a system attribute)
    assert list(df.columns) == ["number", "value", "datetime_start", "datetime_complete",
                                "duration", "params_c", "params_n", "params_x", "user_attrs_u",
                                "system_attrs_sampler", "state"]
    assert list(df["state"]) == ["COMPLETE"] * 3
    assert isinstance(df, pd.DataFrame)
    multi = study.trials_dataframe(multi_index=True)
    assert ("params", "x") in multi.columns


def test_every_public_object_has_a_docstring():
    import inspect
    modules = [hpsearch, hpsearch.study, hpsearch.trial, hpsearch.samplers, hpsearch.pruners,
               hpsearch.storages, hpsearch.distributions, hpsearch.exceptions, hpsearch.logging,
               hpsearch.importance, hpsearch.visualization]
    missing = []
    for mod in modules:
        if not mod.__doc__:
            missing.append(mod.__name__)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if (inspect.ismodule(obj) or not callable(obj)
                    or getattr(obj, "__module__", "") == "typing"):
                continue
            if not inspect.getdoc(obj):
                missing.append(f"{mod.__name__}.{name}")
            if not inspect.isclass(obj) or issubclass(obj, (BaseException, int)):
                continue
            for attr, member in inspect.getmembers(obj):
                if attr.startswith("_"):
                    continue
                if (inspect.isroutine(member) or isinstance(member, property)
                        or inspect.isdatadescriptor(member)) and not inspect.getdoc(member):
                    missing.append(f"{mod.__name__}.{name}.{attr}")
    assert missing == []
