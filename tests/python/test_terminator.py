"""hpsearch.terminator against Optuna's optuna.terminator (Optuna 3.2+; Debian's 3.1 has
none, so its behaviour is checked as Optuna's own tests check it -- those tests are
ported here, with hpsearch's import line -- plus what only real runs show): the
evaluators, the Terminator's rule, the callback stopping optimize at the right trial,
and the regret bound on real training (scikit-learn's wine data, Optuna's documented
example) and on a function whose optimum is known."""
import math

import pytest

import hpsearch as optuna
from hpsearch.distributions import FloatDistribution
from hpsearch.study import StudyDirection
from hpsearch.terminator import (BaseImprovementEvaluator, BaseTerminator,
                                 BestValueStagnationEvaluator, CrossValidationErrorEvaluator,
                                 MedianErrorEvaluator, RegretBoundEvaluator,
                                 StaticErrorEvaluator, Terminator, TerminatorCallback,
                                 report_cross_validation_scores)
from hpsearch.terminator.erroreval import _CROSS_VALIDATION_SCORES_KEY
from hpsearch.trial import TrialState, create_trial


# ---- Optuna's tests of the evaluators (tests/terminator_tests) -------------------------

def test_regret_bound_evaluate_one_trial():
    trials = [create_trial(value=0, distributions={"a": FloatDistribution(-1.0, 1.0)},
                           params={"a": 0.0})]
    bound = RegretBoundEvaluator().evaluate(trials, study_direction=StudyDirection.MAXIMIZE)
    # one value has no spread: the bound is in units of 1e-10 (Optuna's floor)
    assert 0 <= bound < 1e-9


def test_best_value_stagnation_invalid_argument():
    with pytest.raises(ValueError, match="must not be negative"):
        BestValueStagnationEvaluator(max_stagnation_trials=-1)


def test_best_value_stagnation_evaluate():
    evaluator = BestValueStagnationEvaluator(max_stagnation_trials=1)
    trials = [create_trial(value=value) for value in [0, 1, 2]]
    assert evaluator.evaluate(trials=trials, study_direction=StudyDirection.MAXIMIZE) == 1
    trials = [create_trial(value=value) for value in [2, 1, 0]]
    assert evaluator.evaluate(trials=trials, study_direction=StudyDirection.MINIMIZE) == 1
    trials = [create_trial(value=value) for value in [0, 1, 0]]
    assert evaluator.evaluate(trials=trials, study_direction=StudyDirection.MAXIMIZE) == 0
    trials = [create_trial(value=value) for value in [1, 0, 1]]
    assert evaluator.evaluate(trials=trials, study_direction=StudyDirection.MINIMIZE) == 0
    trials = [create_trial(value=value) for value in [0, 0, 0]]
    assert evaluator.evaluate(trials=trials, study_direction=StudyDirection.MAXIMIZE) == -1
    assert evaluator.evaluate(trials=trials, study_direction=StudyDirection.MINIMIZE) == -1


def test_best_value_stagnation_counts_complete_trials_only():
    evaluator = BestValueStagnationEvaluator(max_stagnation_trials=3)
    trials = [create_trial(value=5.0), create_trial(state=TrialState.FAIL),
              create_trial(state=TrialState.PRUNED, value=0.0), create_trial(value=4.0)]
    # minimize: the 2nd COMPLETE trial is the best, nothing after it
    assert evaluator.evaluate(trials, StudyDirection.MINIMIZE) == 3
    assert evaluator.evaluate(trials, StudyDirection.MAXIMIZE) == 2


@pytest.mark.parametrize("evaluator", [RegretBoundEvaluator(), BestValueStagnationEvaluator()])
def test_evaluate_with_no_trial(evaluator):
    with pytest.raises(ValueError, match="no trial has been completed yet"):
        evaluator.evaluate(trials=[], study_direction=StudyDirection.MAXIMIZE)


def test_evaluate_with_empty_intersection_search_space():
    trials = [create_trial(value=0, distributions={}, params={})]
    with pytest.raises(ValueError, match="intersection search space is empty"):
        RegretBoundEvaluator().evaluate(trials=trials, study_direction=StudyDirection.MAXIMIZE)


def _cv_trial(value, cv_scores):
    return create_trial(params={}, distributions={}, value=value,
                        system_attrs={_CROSS_VALIDATION_SCORES_KEY: cv_scores})


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_cross_validation_evaluator(direction):
    sign = 1 if direction == "minimize" else -1
    trials = [_cv_trial(sign * 2.0, [1.0, -1.0]), _cv_trial(sign * 1.0, [2.0, -2.0])]
    serror = CrossValidationErrorEvaluator().evaluate(trials, StudyDirection[direction.upper()])
    assert serror == math.sqrt(4.0 * 1.5)  # the best trial's variance 4, scaled 1/2 + 1/1


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_cross_validation_evaluator_without_cv_scores(direction):
    trials = [create_trial(params={}, distributions={}, value=0.0)]
    with pytest.raises(ValueError, match="report_cross_validation_scores"):
        CrossValidationErrorEvaluator().evaluate(trials, StudyDirection[direction.upper()])


@pytest.mark.parametrize("storage", [None, "sqlite"])
def test_report_cross_validation_scores(storage, sqlite_url):
    study = optuna.create_study(storage=sqlite_url if storage else None)
    trial = study.ask()
    report_cross_validation_scores(trial, [1.0, 2.0])
    study.tell(trial, 0.0)
    assert study.trials[0].system_attrs[_CROSS_VALIDATION_SCORES_KEY] == [1.0, 2.0]
    if storage:  # stored: another process sees it
        again = optuna.load_study(study_name=study.study_name, storage=sqlite_url)
        assert again.trials[0].system_attrs[_CROSS_VALIDATION_SCORES_KEY] == [1.0, 2.0]


def test_report_cross_validation_scores_with_illegal_scores_length():
    study = optuna.create_study()
    trial = study.ask()
    with pytest.raises(ValueError, match="greater than one"):
        report_cross_validation_scores(trial, [1.0])


def test_static_evaluator():
    trials = [_cv_trial(2.0, [1.0, -1.0])]
    assert StaticErrorEvaluator(constant=100.0).evaluate(trials, StudyDirection.MINIMIZE) == 100.0


def test_median_error_evaluator_arguments():
    with pytest.raises(ValueError):
        MedianErrorEvaluator(RegretBoundEvaluator(), warm_up_trials=-1)
    with pytest.raises(ValueError):
        MedianErrorEvaluator(RegretBoundEvaluator(), n_initial_trials=0)
    with pytest.raises(ValueError):
        MedianErrorEvaluator(RegretBoundEvaluator(), threshold_ratio=0.0)


@pytest.mark.parametrize("direction", [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE])
def test_median_error_evaluator(direction):
    """Optuna's test (with the regret bound as the paired evaluator): no threshold that
    could stop the study until warm-up + initial trials completed, then a fixed one --
    the median of the paired evaluator over the growing initial trials, times the
    ratio."""
    paired = RegretBoundEvaluator(min_n_trials=1, seed=0)
    evaluator = MedianErrorEvaluator(paired, warm_up_trials=1, n_initial_trials=3,
                                     threshold_ratio=2.0)
    trials = []
    for value in [1.0, 22.0, 333.0]:
        trials.append(create_trial(value=value, params={"a": value},
                                   distributions={"a": FloatDistribution(-1.0, 10000.0)}))
        assert evaluator.evaluate(trials, direction) <= 0.0
    trials.append(create_trial(value=4444.0, params={"a": 4444.0},
                               distributions={"a": FloatDistribution(-1.0, 10000.0)}))
    criterion = evaluator.evaluate(trials, direction)
    assert math.isfinite(criterion) and criterion >= 0.0
    again = RegretBoundEvaluator(min_n_trials=1, seed=0)
    criteria = sorted(again.evaluate(trials[1:1 + i], direction) for i in (1, 2, 3))
    assert criterion == criteria[1] * 2.0
    assert evaluator.evaluate(trials[:1], direction) == criterion  # fixed once computed


class _StaticImprovementEvaluator(BaseImprovementEvaluator):
    def __init__(self, constant):
        self._constant = constant

    def evaluate(self, trials, study_direction):
        return self._constant


def test_terminator_init():
    Terminator(min_n_trials=1)
    with pytest.raises(ValueError, match="positive integer"):
        Terminator(min_n_trials=0)
    terminator = Terminator(BestValueStagnationEvaluator(), min_n_trials=1)
    assert isinstance(terminator._error_evaluator, StaticErrorEvaluator)
    assert isinstance(Terminator()._error_evaluator, CrossValidationErrorEvaluator)
    assert isinstance(Terminator()._improvement_evaluator, RegretBoundEvaluator)


def test_should_terminate():
    study = optuna.create_study()
    trial = study.ask()
    study.tell(trial, 0.0)

    def terminator(improvement, min_n_trials=1):
        return Terminator(improvement_evaluator=_StaticImprovementEvaluator(improvement),
                          error_evaluator=StaticErrorEvaluator(0), min_n_trials=min_n_trials)

    assert not terminator(3).should_terminate(study)   # improvement above the error
    assert terminator(-1).should_terminate(study)      # below
    assert not terminator(-1, 2).should_terminate(study)  # too few trials
    assert not terminator(0).should_terminate(study)   # equal: go on


class _DeterministicTerminator(BaseTerminator):
    def __init__(self, termination_trial_number):
        self._termination_trial_number = termination_trial_number

    def should_terminate(self, study):
        trials = study.get_trials(states=[TrialState.COMPLETE])
        return max(t.number for t in trials) >= self._termination_trial_number


def test_terminator_callback_stops_at_the_first_yes(caplog):
    callback = TerminatorCallback(terminator=_DeterministicTerminator(10))
    study = optuna.create_study()
    optuna.logging.set_verbosity(optuna.logging.INFO)
    optuna.logging.enable_propagation()
    try:
        with caplog.at_level("INFO"):
            study.optimize(lambda _: 0.0, callbacks=[callback], n_trials=100)
    finally:
        optuna.logging.disable_propagation()
    assert len(study.trials) == 10 + 1
    assert "The study has been stopped by the terminator." in caplog.text


# ---- the regret bound in real runs ----------------------------------------------------

def test_regret_bound_is_deterministic_for_a_seed_and_in_the_objective_units():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2
                   + t.suggest_int("k", 0, 4) + (t.suggest_categorical("c", ["a", "b"]) == "b"),
                   n_trials=30)
    a = RegretBoundEvaluator(seed=7).evaluate(study.trials, study.direction)
    b = RegretBoundEvaluator(seed=7).evaluate(study.trials, study.direction)
    assert a == b and math.isfinite(a) and a >= 0
    scaled = [create_trial(value=10 * t.value, params=t.params, distributions=t.distributions)
              for t in study.trials]
    c = RegretBoundEvaluator(seed=7).evaluate(scaled, study.direction)
    assert c == pytest.approx(10 * a, rel=1e-6)
    flipped = [create_trial(value=-t.value, params=t.params, distributions=t.distributions)
               for t in study.trials]
    assert RegretBoundEvaluator(seed=7).evaluate(flipped, StudyDirection.MAXIMIZE) == a


class _Recording(Terminator):
    """A Terminator that remembers what it said."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.decisions = []

    def should_terminate(self, study):
        self.decisions.append(super().should_terminate(study))
        return self.decisions[-1]


def test_terminator_stops_a_converged_search_within_its_tolerance():
    """On (x-2)^2 + y^2 (minimum 0) the GP sampler converges fast; with a constant error
    of 0.01 the study stops long before its budget, at the first trial the terminator
    says so, and the best trial is within 0.01 of the optimum, as the regret bound
    promised."""
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=1))
    terminator = _Recording(RegretBoundEvaluator(seed=0), StaticErrorEvaluator(0.01),
                            min_n_trials=5)
    study.optimize(lambda t: (t.suggest_float("x", -10, 10) - 2) ** 2
                   + t.suggest_float("y", -5, 5) ** 2,
                   n_trials=200, callbacks=[TerminatorCallback(terminator)])
    n = len(study.trials)
    assert 5 <= n < 100
    assert terminator.decisions == [False] * (n - 1) + [True]
    assert study.best_value <= 0.01


def test_optunas_documented_example_on_wine():
    """Optuna's TerminatorCallback example: a random forest on the wine data, its
    cross-validation scores reported, the default Terminator (regret bound against the
    cross-validation error). It stops once at least 20 trials completed, before the
    budget, at a good model."""
    sklearn = pytest.importorskip("sklearn")
    from sklearn.datasets import load_wine
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import KFold, cross_val_score
    del sklearn
    X, y = load_wine(return_X_y=True)

    def objective(trial):
        clf = RandomForestClassifier(
            n_estimators=10, random_state=0,
            max_depth=trial.suggest_int("max_depth", 2, 32),
            min_samples_split=trial.suggest_float("min_samples_split", 0, 1),
            criterion=trial.suggest_categorical("criterion", ("gini", "entropy")))
        scores = cross_val_score(clf, X, y, cv=KFold(n_splits=5, shuffle=True, random_state=0))
        report_cross_validation_scores(trial, scores)
        return scores.mean()

    terminator = _Recording(RegretBoundEvaluator(seed=0))
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=0))
    study.optimize(objective, n_trials=100,
                   callbacks=[TerminatorCallback(terminator)])
    n = len(study.trials)
    assert 20 <= n < 100
    assert terminator.decisions == [False] * (n - 1) + [True]
    assert study.best_value > 0.9
    error = CrossValidationErrorEvaluator().evaluate(study.trials, study.direction)
    assert 0 < error < 0.2


def test_optuna_search_cv_reports_its_fold_scores_for_the_terminator():
    # optuna-examples' terminator/terminator_search_cv.py: OptunaSearchCV with a
    # TerminatorCallback, whose error evaluator reads the scores OptunaSearchCV records
    # (optuna_integration's OptunaSearchCV calls report_cross_validation_scores)
    from sklearn.datasets import load_iris
    from sklearn.svm import SVC
    search = optuna.integration.OptunaSearchCV(
        SVC(gamma="auto"), {"C": optuna.distributions.FloatDistribution(1e-10, 1e10, log=True),
                            "degree": optuna.distributions.IntDistribution(1, 5)},
        n_trials=6, cv=4, callbacks=[TerminatorCallback()], random_state=0)
    search.fit(*load_iris(return_X_y=True))
    assert search.trials_
    for trial in search.trials_:
        folds = [trial.user_attrs[f"split{i}_test_score"] for i in range(4)]
        assert trial.system_attrs[_CROSS_VALIDATION_SCORES_KEY] == pytest.approx(folds)
