"""Samplers and pruners written in Python, as Optuna users (and OptunaHub) write them: a
subclass of ``samplers.BaseSampler`` or ``pruners.BasePruner`` passed to create_study is
what the study samples and prunes with, its methods called when and as Optuna calls
them (checked against Debian's Optuna on the same program), its exceptions surfacing to
the caller, and the study usable from inside its methods."""
import math
import random
import threading
import warnings

import pytest

import hpsearch

# ---- a sampler that records how it is called --------------------------------------------


def recorder_class(lib):
    """A deterministic sampler of library `lib` (hpsearch or optuna) that records every
    call: relative sampling moves the best trial's x by +-0.5 over the intersection
    space; independent values are a function of the trial number."""

    class Recorder(lib.samplers.BaseSampler):
        def __init__(self):
            self.calls = []
            self.before = []
            self._space = lib.samplers.IntersectionSearchSpace()

        def before_trial(self, study, trial):  # newer Optuna; 3.1 never calls it
            self.before.append((trial.number, trial.state.name))

        def infer_relative_search_space(self, study, trial):
            self.calls.append(("infer", trial.number, trial.state.name, sorted(trial.params)))
            return {n: d for n, d in self._space.calculate(study).items() if not d.single()}

        def sample_relative(self, study, trial, search_space):
            self.calls.append(("relative", trial.number, sorted(search_space)))
            if "x" not in search_space:
                return {}
            x = study.best_trial.params["x"] + (0.5 if trial.number % 2 else -0.5)
            return {"x": min(4.0, max(-4.0, x))}

        def sample_independent(self, study, trial, param_name, param_distribution):
            self.calls.append(("independent", trial.number, param_name, sorted(trial.params),
                               type(param_distribution).__name__))
            d = param_distribution
            if isinstance(d, lib.distributions.CategoricalDistribution):
                return d.choices[trial.number % len(d.choices)]
            if isinstance(d, lib.distributions.IntDistribution):
                return d.low + (3 * trial.number) % (d.high - d.low + 1)
            return d.low + (d.high - d.low) * ((0.618 * (trial.number + 1)) % 1.0)

        def after_trial(self, study, trial, state, values):
            self.calls.append(("after", trial.number, trial.state.name, state.name,
                               None if values is None else [round(v, 9) for v in values]))

    return Recorder


def recorded_program(lib, storage):
    """optimize with an enqueued trial, a conditional parameter, a single-valued one, a
    pruned and a failing trial; then ask/tell by hand (fixed distributions, tell by
    number). Returns the sampler and the study."""
    sampler = recorder_class(lib)()
    study = lib.create_study(storage=storage, sampler=sampler)
    study.enqueue_trial({"x": 0.25})

    def objective(trial):
        x = trial.suggest_float("x", -4.0, 4.0)
        kind = trial.suggest_categorical("kind", ["a", "b", "c"])
        y = trial.suggest_int("y", 0, 6) if kind == "a" else 0
        flat = trial.suggest_float("flat", 1.0, 1.0)  # single-valued: never sampled
        for step in range(3):
            trial.report((x - 1.0) ** 2 + step, step)
        if trial.number == 4:
            raise lib.TrialPruned()
        if trial.number == 6:
            raise ValueError("the objective failed")
        return (x - 1.0) ** 2 + 0.1 * y + 0.01 * len(kind) * flat + 0.001 * trial.number

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, n_trials=9, catch=(ValueError,))
    trial = study.ask(fixed_distributions={"x": lib.distributions.FloatDistribution(-4, 4)})
    trial.suggest_int("y", 0, 6)
    study.tell(trial.number, state=lib.trial.TrialState.FAIL)
    trial = study.ask()
    study.tell(trial, 0.5)
    return sampler, study


def test_sampler_subclass_is_what_the_study_samples_with(sqlite_url):
    sampler, study = recorded_program(hpsearch, sqlite_url)
    trials = study.trials
    assert [t.state.name for t in trials] == (["COMPLETE"] * 4 + ["PRUNED", "COMPLETE", "FAIL"]
                                              + ["COMPLETE"] * 2 + ["FAIL", "COMPLETE"])
    kinds = [c[0] for c in sampler.calls]
    # once per trial: infer then relative at ask, after at tell
    assert kinds.count("infer") == kinds.count("relative") == kinds.count("after") == 11
    for number in range(11):
        mine = [c for c in sampler.calls if c[1] == number]
        assert mine[0][0] == "infer" and mine[1][0] == "relative" and mine[-1][0] == "after"
    # before_trial (newer Optuna) runs right before infer, on the RUNNING trial
    assert sampler.before == [(n, "RUNNING") for n in range(11)]
    # the enqueued value is not sampled; the single-valued parameter never is
    assert trials[0].params["x"] == 0.25
    independent = [c for c in sampler.calls if c[0] == "independent"]
    assert all(c[2] != "flat" for c in independent)
    assert ("independent", 0, "x", [], "FloatDistribution") not in independent
    assert all(t.params["flat"] == 1.0 for t in trials if "flat" in t.params)
    # once x is in every finished trial, it comes from sample_relative: best x +- 0.5
    for c in sampler.calls:
        t = trials[c[1]]
        if c[0] == "relative" and "x" in c[2] and "x" in t.params:
            earlier = [s for s in trials[:c[1]] if s.state.name == "COMPLETE"]
            best = min(earlier, key=lambda s: s.value)
            expected = best.params["x"] + (0.5 if t.number % 2 else -0.5)
            assert t.params["x"] == pytest.approx(min(4.0, max(-4.0, expected)))
    # after_trial sees the trial still RUNNING, the state it is told, and its values
    after = {c[1]: c[2:] for c in sampler.calls if c[0] == "after"}
    assert after[4] == ("RUNNING", "PRUNED", [round(trials[4].intermediate_values[2], 9)])
    assert after[6] == ("RUNNING", "FAIL", None)
    assert after[1] == ("RUNNING", "COMPLETE", [round(trials[1].value, 9)])


def test_call_pattern_matches_optuna(tmp_path):
    optuna = pytest.importorskip("optuna")
    ours, our_study = recorded_program(hpsearch, "sqlite:" + str(tmp_path / "ours.db"))
    theirs, their_study = recorded_program(optuna, "sqlite:///" + str(tmp_path / "theirs.db"))
    assert ours.calls == theirs.calls
    assert [t.params for t in our_study.trials] == [t.params for t in their_study.trials]
    assert theirs.before == []  # Optuna 3.1 has no before_trial


# ---- a sampler and a pruner that tune a real model ----------------------------------------


class JitterSampler(hpsearch.samplers.BaseSampler):
    """Random points first, then the best trial so far with Gaussian jitter on every
    parameter of the intersection space (a categorical keeps the best choice with
    probability 0.8). Parameters outside the space are drawn at random."""

    def __init__(self, seed, n_startup_trials=8, scale=0.15):
        self._rng = random.Random(seed)
        self._space = hpsearch.samplers.IntersectionSearchSpace()
        self._n_startup_trials = n_startup_trials
        self._scale = scale
        self.relative_draws = []  # trial numbers whose values came from sample_relative

    def infer_relative_search_space(self, study, trial):
        return {n: d for n, d in self._space.calculate(study).items() if not d.single()}

    def sample_relative(self, study, trial, search_space):
        complete = study.get_trials(deepcopy=False, states=(hpsearch.TrialState.COMPLETE,))
        if len(complete) < self._n_startup_trials or not search_space:
            return {}
        best = study.best_trial
        params = {}
        for name, dist in search_space.items():
            params[name] = self._jitter(dist, best.params[name])
        self.relative_draws.append(trial.number)
        return params

    def _jitter(self, dist, value):
        if isinstance(dist, hpsearch.distributions.CategoricalDistribution):
            return value if self._rng.random() < 0.8 else self._rng.choice(dist.choices)
        low, high = dist.low, dist.high
        if dist.log:
            low, high, value = math.log(low), math.log(high), math.log(value)
        moved = min(high, max(low, value + self._rng.gauss(0.0, self._scale * (high - low))))
        if dist.log:
            moved = math.exp(moved)
        if isinstance(dist, hpsearch.distributions.IntDistribution):
            return min(dist.high, max(dist.low, int(round(moved))))
        return min(dist.high, max(dist.low, moved))

    def sample_independent(self, study, trial, param_name, param_distribution):
        d = param_distribution
        if isinstance(d, hpsearch.distributions.CategoricalDistribution):
            return self._rng.choice(d.choices)
        if d.log:
            value = math.exp(self._rng.uniform(math.log(d.low), math.log(d.high)))
        else:
            value = self._rng.uniform(d.low, d.high)
        if isinstance(d, hpsearch.distributions.IntDistribution):
            return min(d.high, max(d.low, int(round(value))))
        return value


class BehindTheBestPruner(hpsearch.pruners.BasePruner):
    """Prunes a trial (after `warmup` steps) whose latest intermediate value is more than
    `margin` below the best COMPLETE trial's value at the same step (maximizing)."""

    def __init__(self, warmup=2, margin=0.05):
        self._warmup = warmup
        self._margin = margin
        self.decisions = []  # (trial number, step, pruned)

    def prune(self, study, trial):
        step = trial.last_step
        if step is None or step < self._warmup:
            return False
        complete = study.get_trials(deepcopy=False, states=(hpsearch.TrialState.COMPLETE,))
        at_step = [t.intermediate_values[step] for t in complete if step in t.intermediate_values]
        decision = bool(at_step) and trial.intermediate_values[step] < max(at_step) - self._margin
        self.decisions.append((trial.number, step, decision))
        return decision


def digits_objective(epochs=8):
    from sklearn.datasets import load_digits
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    import numpy as np

    X, y = load_digits(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.3, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_valid = scaler.transform(X_train), scaler.transform(X_valid)
    classes = np.unique(y)

    def objective(trial):
        clf = SGDClassifier(
            loss=trial.suggest_categorical("loss", ["hinge", "log_loss", "modified_huber"]),
            alpha=trial.suggest_float("alpha", 1e-6, 1.0, log=True),
            learning_rate="constant",
            eta0=trial.suggest_float("eta0", 1e-5, 1.0, log=True),
            random_state=0)
        accuracy = 0.0
        for epoch in range(epochs):
            clf.partial_fit(X_train, y_train, classes=classes)
            accuracy = clf.score(X_valid, y_valid)
            trial.report(accuracy, epoch)
            if trial.should_prune():
                raise hpsearch.TrialPruned()
        return accuracy

    return objective


def test_custom_sampler_and_pruner_tune_a_classifier():
    pytest.importorskip("sklearn")
    sampler = JitterSampler(seed=3)
    pruner = BehindTheBestPruner()
    study = hpsearch.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    assert study.sampler is sampler and study.pruner is pruner
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SGD's convergence warnings
        study.optimize(digits_objective(), n_trials=40)
    trials = study.trials
    assert len(trials) == 40
    # the sampler drove the search: past the startup trials every trial is a jitter of
    # the best one, and the best accuracy is that of a well-tuned linear model
    draws = sampler.relative_draws
    assert len(draws) >= 25 and draws == list(range(draws[0], 40))
    assert study.best_value > 0.95
    # the pruner was asked at every step past warm-up, saw the study as it was, and
    # stopped exactly the trials its rule condemned
    by_number = {t.number: t for t in trials}
    for number, step, decision in pruner.decisions:
        complete = [t for t in trials[:number] if t.state.name == "COMPLETE"]
        best = max((t.intermediate_values[step] for t in complete), default=None)
        value = by_number[number].intermediate_values[step]
        assert decision == (best is not None and value < best - 0.05)
    pruned = sorted({n for n, _, d in pruner.decisions if d})
    assert pruned == [t.number for t in trials if t.state.name == "PRUNED"]
    assert pruned, "the pruner never pruned"
    for t in trials:
        if t.state.name == "PRUNED":
            assert t.last_step == max(s for n, s, d in pruner.decisions if n == t.number)


def test_custom_sampler_minimizes_a_test_function():
    def objective(trial):
        x = trial.suggest_float("x", -5.0, 10.0)
        y = trial.suggest_float("y", 0.0, 15.0)
        # Branin: minimum 0.397887 at three points
        b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
        return (y - b * x ** 2 + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10

    def best_of(sampler):
        study = hpsearch.create_study(sampler=sampler)
        study.optimize(objective, n_trials=120)
        return study.best_value

    jitter = best_of(JitterSampler(seed=11, n_startup_trials=10, scale=0.02))
    assert jitter < 0.41  # within 0.013 of the minimum
    assert jitter < best_of(hpsearch.samplers.RandomSampler(seed=11))


# ---- exceptions in user methods -----------------------------------------------------------


class Boom(Exception):
    pass


class ExplodingSampler(hpsearch.samplers.BaseSampler):
    """Raises Boom from the method named `where`; otherwise the middle of each range."""

    def __init__(self, where):
        self.where = where

    def _maybe(self, method):
        if method == self.where:
            raise Boom(method)

    def before_trial(self, study, trial):
        self._maybe("before_trial")

    def infer_relative_search_space(self, study, trial):
        self._maybe("infer_relative_search_space")
        return {}

    def sample_relative(self, study, trial, search_space):
        self._maybe("sample_relative")
        return {}

    def sample_independent(self, study, trial, param_name, param_distribution):
        self._maybe("sample_independent")
        return (param_distribution.low + param_distribution.high) / 2

    def after_trial(self, study, trial, state, values):
        self._maybe("after_trial")


@pytest.mark.parametrize("where", ["before_trial", "infer_relative_search_space",
                                   "sample_relative"])
def test_exception_when_a_trial_starts_surfaces_from_ask(where):
    study = hpsearch.create_study(sampler=ExplodingSampler(where))
    with pytest.raises(Boom, match=where):
        study.ask()
    # the trial the engine had made is given back, failed with the reason
    [trial] = study.trials
    assert trial.state == hpsearch.TrialState.FAIL
    assert "Boom" in trial.system_attrs["fail_reason"] and where in trial.system_attrs[
        "fail_reason"]
    with pytest.raises(Boom, match=where):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert len(study.trials) == 2


def test_exception_in_sample_independent_surfaces_from_suggest():
    study = hpsearch.create_study(sampler=ExplodingSampler("sample_independent"))
    trial = study.ask()
    with pytest.raises(Boom):
        trial.suggest_float("x", 0, 1)
    assert trial.params == {}  # nothing was recorded; the trial runs on
    assert trial.suggest_categorical("single", ["only"]) == "only"  # never sampled
    study.tell(trial, 1.0)
    with pytest.raises(Boom):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    last = study.trials[-1]
    assert last.state == hpsearch.TrialState.FAIL and "Boom" in last.system_attrs["fail_reason"]


def test_exception_in_after_trial_surfaces_from_tell_after_the_trial_is_stored():
    study = hpsearch.create_study(sampler=ExplodingSampler("after_trial"))
    trial = study.ask()
    x = trial.suggest_float("x", 0, 4)
    assert x == 2.0
    with pytest.raises(Boom):
        study.tell(trial, 3.0)
    [stored] = study.trials
    assert stored.state == hpsearch.TrialState.COMPLETE and stored.value == 3.0
    with pytest.raises(Boom):
        study.optimize(lambda t: t.suggest_float("x", 0, 4), n_trials=3)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE"]


def test_exception_in_prune_surfaces_from_should_prune():
    class BadPruner(hpsearch.pruners.BasePruner):
        def prune(self, study, trial):
            raise Boom("prune")

    study = hpsearch.create_study(pruner=BadPruner())
    trial = study.ask()
    trial.report(1.0, 0)
    with pytest.raises(Boom):
        trial.should_prune()


@pytest.mark.parametrize("returned, error, match", [
    (None, TypeError, "sample_relative must return a dict"),
    ({"z": 1.0}, ValueError, "'z' was sampled by `sample_relative` method but it is not "
                             "contained in the relative search space"),
])
def test_bad_sample_relative_results_are_refused(returned, error, match):
    class Bad(ExplodingSampler):
        def infer_relative_search_space(self, study, trial):
            return {"x": hpsearch.distributions.FloatDistribution(0, 1)}

        def sample_relative(self, study, trial, search_space):
            return returned

    study = hpsearch.create_study(sampler=Bad(None))
    with pytest.raises(error, match=match):
        trial = study.ask()
        trial.suggest_float("z", 0, 1)


@pytest.mark.parametrize("value, error", [("d", ValueError), (float("nan"), ValueError),
                                          ("text", ValueError)])
def test_bad_sample_independent_values_are_refused(value, error):
    class Bad(ExplodingSampler):
        def sample_independent(self, study, trial, param_name, param_distribution):
            return value

    study = hpsearch.create_study(sampler=Bad(None))
    trial = study.ask()
    with pytest.raises(error):
        if isinstance(value, str) and value == "d":
            trial.suggest_categorical("c", ["a", "b"])
        else:
            trial.suggest_float("x", 0, 1)
    assert trial.params == {}


def test_value_outside_the_distribution_is_moved_onto_it_with_a_warning():
    class Far(ExplodingSampler):
        def sample_independent(self, study, trial, param_name, param_distribution):
            return 7.3

    study = hpsearch.create_study(sampler=Far(None))
    trial = study.ask()
    with pytest.warns(UserWarning, match="outside"):
        assert trial.suggest_int("n", 0, 5) == 5


def test_relative_values_outside_the_distribution_fall_back_to_independent():
    # Optuna's _is_relative_param: a relative value the suggested distribution does not
    # contain is not used; sample_independent draws instead.
    class Narrow(ExplodingSampler):
        def infer_relative_search_space(self, study, trial):
            return {"x": hpsearch.distributions.FloatDistribution(0, 10)}

        def sample_relative(self, study, trial, search_space):
            return {"x": 9.0}

    study = hpsearch.create_study(sampler=Narrow(None))
    trial = study.ask()
    assert trial.suggest_float("x", 0, 10) == 9.0
    trial = study.ask()
    with pytest.raises(ValueError, match="Cannot set different distribution kind"):
        trial.suggest_int("x", 0, 10)


# ---- the study from inside the methods ---------------------------------------------------


class ReadingSampler(hpsearch.samplers.BaseSampler):
    """Reads and writes the study from every method, as samplers do."""

    def __init__(self):
        self.seen = []
        self._lock = threading.Lock()
        self._rng = random.Random(5)

    def _look(self, study, where, trial):
        trials = study.trials
        states = {t.number: t.state.name for t in trials}
        try:
            best = study.best_trial.number
        except ValueError:
            best = None
        running = study.get_trials(states=(hpsearch.TrialState.RUNNING,))
        study.set_user_attr(f"look_{trial.number}", where)  # per trial: threads share it
        assert study.user_attrs[f"look_{trial.number}"] == where
        with self._lock:
            self.seen.append((where, trial.number, states.get(trial.number), best,
                              trial.number in [t.number for t in running]))

    def before_trial(self, study, trial):
        self._look(study, "before", trial)

    def infer_relative_search_space(self, study, trial):
        self._look(study, "infer", trial)
        return hpsearch.samplers.intersection_search_space(study)

    def sample_relative(self, study, trial, search_space):
        self._look(study, "relative", trial)
        with self._lock:
            return {n: self._rng.uniform(d.low, d.high) for n, d in search_space.items()}

    def sample_independent(self, study, trial, param_name, param_distribution):
        self._look(study, "independent", trial)
        with self._lock:
            return self._rng.uniform(param_distribution.low, param_distribution.high)

    def after_trial(self, study, trial, state, values):
        self._look(study, "after", trial)


class ReadingPruner(hpsearch.pruners.BasePruner):
    def __init__(self):
        self.seen = []

    def prune(self, study, trial):
        here = [t for t in study.trials if t.number == trial.number]
        self.seen.append((trial.number, here[0].state.name, dict(trial.intermediate_values)))
        return False


def run_with_deadlock_guard(body):
    """Runs body() in a thread; a deadlock would leave it running, which fails the test
    instead of hanging the suite."""
    errors = []

    def target():
        try:
            body()
        except BaseException as e:  # noqa: B902 -- handed to the test thread
            errors.append(e)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(300)
    assert not thread.is_alive(), "deadlocked"
    if errors:
        raise errors[0]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_methods_may_use_the_study(n_jobs, sqlite_url):
    sampler, pruner = ReadingSampler(), ReadingPruner()

    def body():
        study = hpsearch.create_study(storage=sqlite_url, sampler=sampler, pruner=pruner)

        def objective(trial):
            x = trial.suggest_float("x", 0, 1)
            trial.report(x, 0)
            trial.should_prune()
            return x
        study.optimize(objective, n_trials=12, n_jobs=n_jobs)

    run_with_deadlock_guard(body)
    assert len([s for s in sampler.seen if s[0] == "after"]) == 12
    # every method saw its own trial RUNNING in the study
    assert all(state == "RUNNING" and running for _, _, state, _, running in sampler.seen)
    assert all(state == "RUNNING" for _, state, _ in pruner.seen)
    assert len(pruner.seen) == 12
    if n_jobs == 1:
        for where, number, _, best, _ in sampler.seen:
            assert best is None if number == 0 else best is not None


def test_trial_may_be_finished_from_inside_sample_independent(sqlite_url):
    class Finisher(ExplodingSampler):
        def sample_independent(self, study, trial, param_name, param_distribution):
            study.tell(trial.number, 0.0)
            return 0.5

    study = hpsearch.create_study(storage=sqlite_url, sampler=Finisher(None))
    trial = study.ask()
    with pytest.raises(RuntimeError, match="COMPLETE"):
        trial.suggest_float("x", 0, 1)
    assert study.trials[0].state == hpsearch.TrialState.COMPLETE


# ---- threads, storage, the base classes ---------------------------------------------------


def test_threads_share_one_sampler_and_reseed_it_per_trial():
    class Counting(JitterSampler):
        def __init__(self):
            super().__init__(seed=1, n_startup_trials=4)
            self.lock = threading.Lock()
            self.counts = {"reseed": 0, "relative": 0, "after": 0}

        def reseed_rng(self):
            with self.lock:
                self.counts["reseed"] += 1

        def sample_relative(self, study, trial, search_space):
            with self.lock:
                self.counts["relative"] += 1
                return super().sample_relative(study, trial, search_space)

        def sample_independent(self, study, trial, param_name, param_distribution):
            with self.lock:
                return super().sample_independent(study, trial, param_name,
                                                  param_distribution)

        def after_trial(self, study, trial, state, values):
            with self.lock:
                self.counts["after"] += 1

    sampler = Counting()
    study = hpsearch.create_study(sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2 + t.suggest_int("n", 0, 3),
                   n_trials=30, n_jobs=3)
    assert len(study.trials) == 30
    assert all(t.state == hpsearch.TrialState.COMPLETE for t in study.trials)
    # as Optuna: one reseed per trial when n_jobs > 1
    assert sampler.counts == {"reseed": 30, "relative": 30, "after": 30}


def test_values_are_stored_for_other_processes(sqlite_url):
    study = hpsearch.create_study(storage=sqlite_url, study_name="s",
                                  sampler=JitterSampler(seed=2, n_startup_trials=3))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 3), n_trials=10)
    again = hpsearch.load_study(study_name="s", storage=sqlite_url)
    assert [t.params for t in again.trials] == [t.params for t in study.trials]


def test_switching_samplers():
    study = hpsearch.create_study(sampler=hpsearch.samplers.RandomSampler(seed=1))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    recorder = recorder_class(hpsearch)()
    study.sampler = recorder
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert [c[1] for c in recorder.calls if c[0] == "after"] == [2, 3]
    calls = len(recorder.calls)
    study.sampler = hpsearch.samplers.RandomSampler(seed=1)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert len(recorder.calls) == calls and len(study.trials) == 6


def test_base_classes_are_optunas():
    class Incomplete(hpsearch.samplers.BaseSampler):
        def sample_independent(self, study, trial, param_name, param_distribution):
            return 0

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()
    with pytest.raises(TypeError, match="abstract"):
        type("NoPrune", (hpsearch.pruners.BasePruner,), {})()
    assert str(JitterSampler(seed=1)) == "JitterSampler"
    for engine in (hpsearch.samplers.TPESampler(), hpsearch.samplers.RandomSampler()):
        assert isinstance(engine, hpsearch.samplers.BaseSampler)
    assert isinstance(hpsearch.pruners.MedianPruner(), hpsearch.pruners.BasePruner)
    with pytest.raises(TypeError, match="BaseSampler"):
        hpsearch.create_study(sampler=object())
    with pytest.raises(TypeError, match="BasePruner"):
        hpsearch.create_study(pruner=object())
    with pytest.raises(TypeError, match="wrap"):
        hpsearch.pruners.PatientPruner(ReadingPruner(), patience=1)


def test_builtin_samplers_inside_a_custom_one():
    """OptunaHub's samplers fall back on RandomSampler.sample_independent and compute
    the intersection space; the engine's other samplers cannot be called from Python."""
    study = hpsearch.create_study()
    trial = study.ask()
    frozen = trial._record()
    random_sampler = hpsearch.samplers.RandomSampler(seed=4)
    dists = [hpsearch.distributions.FloatDistribution(1e-3, 1.0, log=True),
             hpsearch.distributions.FloatDistribution(0.0, 1.0, step=0.25),
             hpsearch.distributions.IntDistribution(2, 64, log=True),
             hpsearch.distributions.IntDistribution(0, 10, step=5),
             hpsearch.distributions.CategoricalDistribution(["a", 1, 2.5, True])]
    for dist in dists:
        values = [random_sampler.sample_independent(study, frozen, "p", dist)
                  for _ in range(50)]
        assert all(dist._contains(dist.to_internal_repr(v)) for v in values)
        assert len({repr(v) for v in values}) > 1
    assert random_sampler.infer_relative_search_space(study, frozen) == {}
    assert random_sampler.sample_relative(study, frozen, {}) == {}
    with pytest.raises(NotImplementedError, match="engine"):
        hpsearch.samplers.TPESampler().sample_independent(study, frozen, "p", dists[0])
    with pytest.raises(NotImplementedError, match="engine"):
        hpsearch.pruners.MedianPruner().prune(study, frozen)


def test_intersection_search_space_follows_optuna():
    optuna = pytest.importorskip("optuna")

    def program(lib):
        study = lib.create_study(sampler=lib.samplers.RandomSampler(seed=0))
        spaces, space = [], lib.samplers.IntersectionSearchSpace()

        def objective(trial):
            spaces.append((sorted(space.calculate(study)),
                           sorted(lib.samplers.intersection_search_space(
                               study, include_pruned=True))))
            trial.suggest_float("x", 0, 1)
            if trial.number % 3 == 0:
                trial.suggest_int("n", 0, 3)
            if trial.number == 4:
                trial.suggest_float("x2", 0, 1 + trial.number)
            if trial.number == 5:
                raise lib.TrialPruned()
            return 1.0
        study.optimize(objective, n_trials=8)
        new_api = sorted(lib.search_space.intersection_search_space(study.trials)) if hasattr(
            lib, "search_space") else None
        return spaces, sorted(space.calculate(study, ordered_dict=True)), new_api

    ours = program(hpsearch)
    assert ours[:2] == program(optuna)[:2]
    assert ours[2] == ["x"]
    assert hpsearch.search_space.IntersectionSearchSpace is hpsearch.samplers.IntersectionSearchSpace


def test_multi_objective_study_asks_no_pruner():
    pruner = ReadingPruner()
    study = hpsearch.create_study(directions=["minimize", "maximize"], pruner=pruner)
    trial = study.ask()
    with pytest.raises(NotImplementedError):
        trial.should_prune()
    assert pruner.seen == []


def test_python_sampler_trials_release_everything():
    import gc
    import tracemalloc
    import weakref

    class Uniform(hpsearch.samplers.BaseSampler):
        def __init__(self):
            self._random = hpsearch.samplers.RandomSampler(seed=0)
            self._space = hpsearch.samplers.IntersectionSearchSpace()

        def infer_relative_search_space(self, study, trial):
            return self._space.calculate(study)

        def sample_relative(self, study, trial, search_space):
            return {n: self._random.sample_independent(study, trial, n, d)
                    for n, d in search_space.items() if n != "c"}

        def sample_independent(self, study, trial, param_name, param_distribution):
            return self._random.sample_independent(study, trial, param_name,
                                                   param_distribution)

        def after_trial(self, study, trial, state, values):
            pass

    class Never(hpsearch.pruners.BasePruner):
        def prune(self, study, trial):
            return False

    def run(study, n):
        for _ in range(n):
            trial = study.ask()
            x = trial.suggest_float("x", 0, 1)
            trial.suggest_categorical("c", ["a", "b"])
            trial.report(x, 0)
            trial.should_prune()
            study.tell(trial, x)

    study = hpsearch.create_study(sampler=Uniform(), pruner=Never())
    run(study, 50)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        run(study, 300)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024, f"Python memory grew by {grown} bytes"

    # a sampler that holds its study (a cycle through the engine's side) is collected
    sampler = Uniform()
    study = hpsearch.create_study(sampler=sampler)
    sampler.study = study
    run(study, 3)
    ref = weakref.ref(study)
    del study, sampler
    gc.collect()
    assert ref() is None
