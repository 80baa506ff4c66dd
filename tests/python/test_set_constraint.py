"""Optuna 5's per-trial constraints: Trial.set_constraint(key, value) and the
`constraints` property of Trial, FrozenTrial and FixedTrial.

Debian's Optuna (3.1) has neither, so these tests cannot run beside it; they follow
Optuna 5's source instead (github.com/optuna/optuna, master 1d8ce7b of 2026-08-21, the
same as tag v5.0.0-rc1 in these files):
- optuna/trial/_trial.py 766-808, _frozen.py 478-517, _fixed.py 190-227: the value cast
  with float() (TypeError naming its type), NaN a ValueError, a key already set keeps
  its value with a UserWarning, else the system attribute ``constraints:KEY``;
- optuna/study/_constrained_optimization.py 38-54: `constraints` is the old format's
  list (constraints_func) as "0", "1", ... and then the named keys, a named key
  overriding an old one with "Overwrite an old format constraint.";
- optuna/study/_constrained_optimization.py 23-35 and study.py 336-347: feasible means
  every value <= 0 (a key a trial did not set is not looked at), best_trial and
  best_trials keep feasible trials only;
- optuna/samplers/_tpe/sampler.py 404-408, _gp/sampler.py 264-268, nsgaii/_sampler.py
  196-200, _nsgaiii/_sampler.py 114-118: constraints_func warns FutureWarning
  (deprecated in 5.0.0, removal in 7.0.0);
- optuna/storages/_base.py 603-619: setting one on a finished trial raises
  (UpdateFinishedTrialError, a RuntimeError) -- after the repeated-key check;
- optuna/trial/_frozen.py 641-643: create_trial(constraints=...) sets each one.
"""
import math
import time
import warnings

import pytest

import hpsearch
from hpsearch.samplers import (AutoSampler, GPSampler, NSGAIIISampler, NSGAIISampler,
                               RandomSampler, TPESampler)
from hpsearch.trial import FixedTrial, TrialState, create_trial


def _study(**kwargs):
    kwargs.setdefault("sampler", RandomSampler(seed=0))
    return hpsearch.create_study(**kwargs)


# ---- set_constraint and constraints ----------------------------------------------------

def test_set_constraint_stores_each_key_as_a_system_attribute():
    study = _study()
    trial = study.ask()
    trial.set_constraint("mem", 3)
    trial.set_constraint("latency", "-0.5")  # what float() takes is taken
    assert trial.constraints == {"mem": 3.0, "latency": -0.5}
    assert type(trial.constraints["mem"]) is float
    attrs = trial.system_attrs
    assert attrs["constraints:mem"] == 3.0 and attrs["constraints:latency"] == -0.5
    frozen = study.tell(trial, 1.0)
    assert frozen.constraints == {"mem": 3.0, "latency": -0.5}
    assert study.trials[0].constraints == {"mem": 3.0, "latency": -0.5}


@pytest.mark.parametrize("bad", ["foo", None, object(), [1.0]])
def test_a_value_float_refuses_is_a_type_error(bad):
    trial = _study().ask()
    with pytest.raises(TypeError, match="supposed to be a float"):
        trial.set_constraint("mem", bad)
    assert trial.constraints == {}


def test_nan_is_a_value_error_naming_the_key():
    trial = _study().ask()
    with pytest.raises(ValueError, match="'mem', but NaN is not allowed"):
        trial.set_constraint("mem", math.nan)
    assert "constraints:mem" not in trial.system_attrs


def test_a_repeated_key_keeps_its_first_value_with_a_warning():
    study = _study()
    trial = study.ask()
    trial.set_constraint("mem", 1.0)
    with pytest.warns(UserWarning, match="ignored because this constraint `key='mem'`"):
        trial.set_constraint("mem", -4.0)
    assert study.tell(trial, 0.0).constraints == {"mem": 1.0}


def test_set_after_tell_raises_and_stores_nothing():
    study = _study()
    trial = study.ask()
    trial.set_constraint("mem", -1.0)
    study.tell(trial, 0.0)
    with pytest.raises(hpsearch.exceptions.UpdateFinishedTrialError,
                       match="Trial#0 has already finished and can not be updated"):
        trial.set_constraint("latency", 1.0)
    assert issubclass(hpsearch.exceptions.UpdateFinishedTrialError, RuntimeError)
    # Optuna looks for the key before it writes: a repeated one only warns
    with pytest.warns(UserWarning, match="already set"):
        trial.set_constraint("mem", 5.0)
    assert study.trials[0].constraints == {"mem": -1.0}
    assert study.best_trial.number == 0


def test_frozen_and_fixed_trials_and_create_trial():
    for trial in (FixedTrial({}), create_trial(value=1.0)):
        trial.set_constraint("mem", 2)
        with pytest.warns(UserWarning):
            trial.set_constraint("mem", 0)
        with pytest.raises(ValueError):
            trial.set_constraint("x", math.nan)
        assert trial.constraints == {"mem": 2.0}
    made = create_trial(value=1.0, constraints={"cost": 1.5, "limit": -2.5})
    assert made.constraints == {"cost": 1.5, "limit": -2.5}
    with pytest.raises(TypeError):
        create_trial(value=1.0, constraints={"cost": "foo"})


# ---- what reaches the engine -------------------------------------------------------------

def test_named_values_become_the_engine_vector_in_the_study_key_order():
    study = _study()
    first = study.ask()
    first.set_constraint("b", 2.0)
    first.set_constraint("a", -1.0)
    study.tell(first, 0.0)
    second = study.ask()
    second.set_constraint("c", -3.0)  # a new key, and neither "a" nor "b"
    study.tell(second, 1.0)
    t0, t1 = study.trials
    # new keys are appended sorted; an earlier key keeps its place
    assert t0.system_attrs["constraints"] == [-1.0, 2.0]
    assert t1.system_attrs["constraints"] == [0.0, 0.0, -3.0]
    assert t1.system_attrs["constraint_keys"] == ["a", "b", "c"]
    # a key the trial did not set is not part of its constraints (Optuna 5)
    assert t1.constraints == {"c": -3.0}
    # feasibility: trial 0 violates "b", trial 1 satisfies all it has
    assert study.best_trial.number == 1
    assert [t.number for t in study.best_trials] == [1]


def test_best_trial_is_the_best_feasible_one():
    study = _study()
    for value, mem in ((0.0, 1.0), (5.0, 0.0), (3.0, -2.0), (1.0, 0.5)):
        trial = study.ask()
        trial.set_constraint("mem", mem)
        study.tell(trial, value)
    assert study.best_trial.number == 2
    assert study.best_value == 3.0
    multi = _study(directions=["minimize", "minimize"])
    for values, mem in (((0.0, 0.0), 1.0), ((1.0, 2.0), -1.0), ((2.0, 1.0), 0.0)):
        trial = multi.ask()
        trial.set_constraint("mem", mem)
        multi.tell(trial, values)
    assert [t.number for t in multi.best_trials] == [1, 2]


def test_no_feasible_trial_means_no_best_trial():
    study = _study()
    trial = study.ask()
    trial.set_constraint("mem", 1.0)
    study.tell(trial, 0.0)
    with pytest.raises(ValueError, match="No feasible trials"):
        study.best_trial
    assert study.best_trials == []


def test_pruned_and_failed_trials_keep_their_constraints():
    study = _study()
    pruned = study.ask()
    pruned.set_constraint("mem", 1.0)
    study.tell(pruned, state=TrialState.PRUNED)
    failed = study.ask()
    failed.set_constraint("mem", -1.0)
    study.tell(failed, state=TrialState.FAIL)
    assert [t.constraints for t in study.trials] == [{"mem": 1.0}, {"mem": -1.0}]


def _objective_with(setter):
    """x in [0, 10] minimized, feasible only for x >= 6; `setter(trial, c)` records the
    constraint c = 6 - x one way or the other."""
    def objective(trial):
        x = trial.suggest_float("x", 0, 10)
        y = trial.suggest_float("y", 0, 10)
        setter(trial, 6.0 - x)
        return x + 0.1 * y
    return objective


def _user_attr(trial, c):
    trial.set_user_attr("c", c)


def _from_user_attr(frozen):
    return [frozen.user_attrs["c"]]


@pytest.mark.parametrize("make,n_trials", [
    (lambda f: TPESampler(seed=3, constraints_func=f), 40),
    (lambda f: GPSampler(seed=3, constraints_func=f), 20),
])
def test_set_constraint_steers_the_sampler_as_constraints_func_does(make, n_trials):
    """The same values given either way reach the engine as the same vector: the
    sampler proposes the same points, and the best trial is feasible."""
    with pytest.warns(FutureWarning):
        by_func = hpsearch.create_study(sampler=make(_from_user_attr))
    by_func.optimize(_objective_with(_user_attr), n_trials=n_trials)
    by_key = hpsearch.create_study(sampler=make(None))
    by_key.optimize(_objective_with(lambda t, c: t.set_constraint("c", c)), n_trials=n_trials)
    assert [t.params for t in by_key.trials] == [t.params for t in by_func.trials]
    assert [t.system_attrs["constraints"] for t in by_key.trials] == \
        [t.system_attrs["constraints"] for t in by_func.trials]
    assert by_key.best_trial.params["x"] >= 6.0
    # and the search goes to the feasible edge, where without the constraint it goes to
    # x = 0 (the GP hugs x = 6 from both sides: count from 5.5)
    free = hpsearch.create_study(sampler=make(None))
    free.optimize(_objective_with(lambda t, c: None), n_trials=n_trials)

    def near_feasible(study):
        return sum(t.params["x"] >= 5.5 for t in study.trials[n_trials // 2:])
    assert near_feasible(by_key) > max(2 * near_feasible(free), n_trials // 4)


def test_nsga2_steers_by_set_constraint_as_by_constraints_func():
    def objective(setter):
        def run(trial):
            x = trial.suggest_float("x", 0, 10)
            y = trial.suggest_float("y", 0, 10)
            setter(trial, 6.0 - x)
            return x, y
        return run
    with pytest.warns(FutureWarning):
        by_func = hpsearch.create_study(directions=["minimize", "minimize"],
                                        sampler=NSGAIISampler(population_size=6, seed=5,
                                                              constraints_func=_from_user_attr))
    by_func.optimize(objective(_user_attr), n_trials=24)
    by_key = hpsearch.create_study(directions=["minimize", "minimize"],
                                   sampler=NSGAIISampler(population_size=6, seed=5))
    by_key.optimize(objective(lambda t, c: t.set_constraint("c", c)), n_trials=24)
    assert [t.params for t in by_key.trials] == [t.params for t in by_func.trials]
    assert by_key.best_trials and all(t.params["x"] >= 6.0 for t in by_key.best_trials)


def test_threads_share_one_key_order():
    """n_jobs threads telling trials whose keys differ append to the study's order one
    at a time: every trial's vector matches its keys in the final order."""
    keys = ["d", "a", "c", "b", "e"]

    def objective(trial):
        n = trial.number
        subset = [k for i, k in enumerate(keys) if (n >> i) & 1 or i == n % 5]
        for k in (subset if n % 2 else subset[::-1]):
            trial.set_constraint(k, float(n - 20))
        return float(n)
    study = _study()
    read = study._system_attrs

    def slow_read():  # widens the window between reading the order and writing it back
        attrs = read()
        time.sleep(0.005)
        return attrs
    study._system_attrs = slow_read
    study.optimize(objective, n_trials=40, n_jobs=4)
    layout = study._system_attrs()["constraint_keys"]
    assert sorted(layout) == sorted(keys)
    for t in study.trials:
        own = t.system_attrs["constraint_keys"]
        assert own == layout[:len(own)]
        assert t.system_attrs["constraints"] == [t.constraints.get(k, 0.0) for k in own]
    assert study.best_trial.number == 0


# ---- both forms in one study -------------------------------------------------------------

def test_constraints_func_and_set_constraint_together():
    with pytest.warns(FutureWarning):
        sampler = TPESampler(seed=0, constraints_func=lambda t: [-1.0, t.user_attrs["f"]])
    study = hpsearch.create_study(sampler=sampler)
    trial = study.ask()
    trial.set_user_attr("f", -2.0)
    trial.set_constraint("mem", 4.0)
    frozen = study.tell(trial, 0.0)
    # Optuna 5: the list as "0", "1", then the named ones
    assert frozen.constraints == {"0": -1.0, "1": -2.0, "mem": 4.0}
    assert frozen.system_attrs["constraints"] == [-1.0, -2.0, 4.0]
    with pytest.raises(ValueError, match="No feasible"):
        study.best_trial  # "mem" is violated
    trial = study.ask()
    trial.set_user_attr("f", 0.0)
    trial.set_constraint("0", -5.0)  # a named "0" overrides the old one, with a warning
    study.tell(trial, 1.0)
    with pytest.warns(UserWarning, match="Overwrite an old format constraint"):
        assert study.trials[1].constraints == {"0": -5.0, "1": 0.0}
    assert study.best_trial.number == 1


def test_tell_by_number_refuses_a_trial_with_set_constraint_values():
    study = _study()
    trial = study.ask()
    trial.set_constraint("mem", 1.0)
    with pytest.raises(NotImplementedError, match="tell it through its Trial object"):
        study.tell(trial.number, 0.0)
    assert study.trials[0].state == TrialState.RUNNING
    plain = study.ask()  # without constraints, the number still does
    assert study.tell(plain.number, 2.0).state == TrialState.COMPLETE
    study.tell(trial, 0.0)
    assert study.tell(trial.number, 0.0, skip_if_finished=True).state == TrialState.COMPLETE


# ---- storage -------------------------------------------------------------------------------

def test_constraints_survive_sqlite_and_a_reload(sqlite_url):
    study = hpsearch.create_study(study_name="s", storage=sqlite_url,
                                  sampler=RandomSampler(seed=0))
    for value, mem, lat in ((0.0, 1.0, -1.0), (2.0, -1.0, -3.0)):
        trial = study.ask()
        trial.set_constraint("mem", mem)
        trial.set_constraint("lat", lat)
        study.tell(trial, value)
    del study
    again = hpsearch.load_study(study_name="s", storage=sqlite_url)
    assert [t.constraints for t in again.trials] == [{"mem": 1.0, "lat": -1.0},
                                                     {"mem": -1.0, "lat": -3.0}]
    assert again.best_trial.number == 1
    # the key order is the study's, kept in storage: a new key goes after the old ones
    trial = again.ask()
    trial.set_constraint("disk", -1.0)
    trial.set_constraint("mem", -1.0)
    again.tell(trial, -1.0)
    third = hpsearch.load_study(study_name="s", storage=sqlite_url).trials[2]
    assert third.system_attrs["constraint_keys"] == ["lat", "mem", "disk"]
    assert third.system_attrs["constraints"] == [0.0, -1.0, -1.0]
    assert hpsearch.load_study(study_name="s", storage=sqlite_url).best_trial.number == 2


def test_add_trial_lays_out_the_named_constraints_for_the_study():
    study = _study()
    trial = study.ask()
    trial.set_constraint("b", -1.0)
    study.tell(trial, 5.0)
    study.add_trial(create_trial(value=1.0, constraints={"a": 2.0, "b": -1.0}))
    study.add_trial(create_trial(value=3.0, constraints={"a": 0.0}))
    added = study.trials
    assert added[1].system_attrs["constraints"] == [-1.0, 2.0]
    assert added[2].system_attrs["constraints"] == [0.0, 0.0]
    assert added[1].constraints == {"a": 2.0, "b": -1.0}
    assert study.best_trial.number == 2


# ---- constraints_func is deprecated (Optuna 5) ---------------------------------------------

@pytest.mark.parametrize("make", [
    lambda f: TPESampler(constraints_func=f),
    lambda f: GPSampler(constraints_func=f),
    lambda f: NSGAIISampler(constraints_func=f),
    lambda f: NSGAIIISampler(constraints_func=f),
])
@pytest.mark.filterwarnings("ignore::hpsearch.exceptions.ExperimentalWarning")
def test_constraints_func_warns_future_warning(make):
    with pytest.warns(FutureWarning, match="`constraints_func` has been deprecated in v5.0.0"):
        make(lambda t: [0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        make(None)


def test_auto_sampler_constraints_func_does_not_warn():
    # OptunaHub's AutoSampler is not one of the samplers Optuna 5 deprecates it for
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        AutoSampler(constraints_func=lambda t: [0.0])
