"""scikit-learn: Optuna's ``optuna.integration.OptunaSearchCV``, a hyperparameter search
with cross-validation behind the scikit-learn estimator interface (like GridSearchCV).

Same arguments, defaults, attributes and user attributes of the trials as Optuna 3.1's
(``mean_test_score``, ``split<i>_test_score``, ...), so code reading them keeps working.
"""
from numbers import Integral, Number
from time import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

from .. import logging
from .. import samplers
from .. import study as study_module
from ..distributions import BaseDistribution
from ..exceptions import TrialPruned
from ..study import StudyDirection
from ..terminator.erroreval import report_cross_validation_scores
from ..trial import FrozenTrial, Trial
from . import _require

_require("sklearn", "python3-sklearn", "OptunaSearchCV")
import numpy as np  # noqa: E402  (scikit-learn brings it)
from sklearn.base import BaseEstimator, clone, is_classifier  # noqa: E402
from sklearn.metrics import check_scoring  # noqa: E402
from sklearn.model_selection import check_cv, cross_validate  # noqa: E402
from sklearn.utils import _safe_indexing, check_random_state  # noqa: E402
from sklearn.utils.metaestimators import _safe_split  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

_logger = logging.get_logger(__name__)


def _num_samples(x: Any) -> int:
    shape = getattr(x, "shape", None)
    if shape is not None and isinstance(shape[0], Integral):
        return int(shape[0])
    try:
        return len(x)
    except TypeError:
        raise TypeError(f"Expected sequence or array-like, got {type(x)}.") from None


def _index(x: Any, indices: Any) -> Any:
    return None if x is None else _safe_indexing(x, indices)


def _subsample_fit_params(X: Any, fit_params: Dict[str, Any], indices: Any) -> Dict[str, Any]:
    """Fit parameters with one entry per sample (sample_weight) follow the subsample."""
    n = _num_samples(X)
    out = {}
    for key, value in fit_params.items():
        per_sample = hasattr(value, "__len__") or hasattr(value, "shape")
        out[key] = _index(value, indices) if per_sample and _num_samples(value) == n else value
    return out


class _Objective:
    """One trial: the estimator with the trial's parameters, cross-validated."""

    def __init__(self, search: "OptunaSearchCV", X: Any, y: Any, cv: Any, groups: Any,
                 fit_params: Dict[str, Any], scorer: Callable[..., float]) -> None:
        self.search = search
        self.X, self.y, self.cv, self.groups = X, y, cv, groups
        self.fit_params = fit_params
        self.scorer = scorer

    def __call__(self, trial: Trial) -> float:
        search = self.search
        estimator = clone(search.estimator)
        estimator.set_params(**{name: trial._suggest_distribution(name, distribution)
                                for name, distribution in search.param_distributions.items()})
        if search.enable_pruning:
            scores = self._cross_validate_with_pruning(trial, estimator)
        else:
            scores = cross_validate(estimator, self.X, self.y, cv=self.cv,
                                    error_score=search.error_score,
                                    fit_params=self.fit_params, groups=self.groups,
                                    return_train_score=search.return_train_score,
                                    scoring=self.scorer)
        _store_scores(trial, scores)
        # for a TerminatorCallback's error evaluator, as Optuna's OptunaSearchCV (3.2+) does
        report_cross_validation_scores(trial, list(scores["test_score"]))
        return trial.user_attrs["mean_test_score"]

    def _cross_validate_with_pruning(self, trial: Trial, estimator: Any) -> Dict[str, Any]:
        """partial_fit one epoch on every fold, report the mean test score, repeat."""
        search = self.search
        fit_params = dict(self.fit_params)
        if is_classifier(estimator):
            fit_params.setdefault("classes", np.unique(np.asarray(self.y)))
        n_splits = self.cv.get_n_splits(self.X, self.y, groups=self.groups)
        estimators = [clone(estimator) for _ in range(n_splits)]
        scores = {"fit_time": np.zeros(n_splits), "score_time": np.zeros(n_splits),
                  "test_score": np.empty(n_splits)}
        if search.return_train_score:
            scores["train_score"] = np.empty(n_splits)
        for step in range(search.max_iter):
            folds = self.cv.split(self.X, self.y, groups=self.groups)
            for i, (train, test) in enumerate(folds):
                self._partial_fit_and_score(estimators[i], train, test, fit_params, scores, i)
            trial.report(np.nanmean(scores["test_score"]), step=step)
            if trial.should_prune():
                _store_scores(trial, scores)
                raise TrialPruned(f"trial was pruned at iteration {step}.")
        return scores

    def _partial_fit_and_score(self, estimator: Any, train: Any, test: Any,
                               fit_params: Dict[str, Any], scores: Dict[str, Any],
                               fold: int) -> None:
        error_score = self.search.error_score
        X_train, y_train = _safe_split(estimator, self.X, self.y, train)
        X_test, y_test = _safe_split(estimator, self.X, self.y, test, train_indices=train)
        start = time()
        try:
            estimator.partial_fit(X_train, y_train, **fit_params)
        except Exception as e:
            if error_score == "raise":
                raise
            if not isinstance(error_score, Number):
                raise ValueError("error_score must be 'raise' or numeric.") from e
            test_score = train_score = error_score
            fit_time, score_time = time() - start, 0.0
        else:
            fit_time = time() - start
            test_score = self.scorer(estimator, X_test, y_test)
            if "train_score" in scores:
                train_score = self.scorer(estimator, X_train, y_train)
            score_time = time() - start - fit_time
        scores["test_score"][fold] = test_score
        if "train_score" in scores:
            scores["train_score"][fold] = train_score
        scores["fit_time"][fold] += fit_time
        scores["score_time"][fold] += score_time


def _store_scores(trial: Trial, scores: Mapping[str, Any]) -> None:
    for name, array in scores.items():
        if name in ("test_score", "train_score"):
            for i, score in enumerate(array):
                trial.set_user_attr(f"split{i}_{name}", float(score))
        trial.set_user_attr(f"mean_{name}", float(np.nanmean(array)))
        trial.set_user_attr(f"std_{name}", float(np.nanstd(array)))


class OptunaSearchCV(BaseEstimator):
    """Hyperparameter search with cross-validation, as Optuna's ``OptunaSearchCV``.

    Args:
        estimator: a scikit-learn estimator; it needs ``score`` unless `scoring` is given.
        param_distributions: ``{parameter name: hpsearch distribution}``.
        cv: number of folds (stratified for classifiers), a splitter or an iterable of
            (train, test) index pairs.
        enable_pruning: cross-validate epoch by epoch with ``partial_fit`` (the estimator
            must have it), reporting the mean test score, so the study's pruner can stop
            a trial.
        error_score: the score of a fold whose fit fails, or ``"raise"``.
        max_iter: epochs of ``partial_fit`` with pruning.
        n_jobs: threads of ``study.optimize``.
        n_trials, timeout: when the search stops (as ``Study.optimize``).
        random_state: seeds the subsample and the default study's TPE sampler.
        refit: refit the best parameters on all of X (``best_estimator_``, ``predict``...).
        return_train_score: also store training scores in the trials.
        scoring: a scorer name or callable; default the estimator's ``score``.
        study: a study to use (its direction must be maximize); default a new in-memory
            study with ``TPESampler``.
        subsample: the part of X the search cross-validates on (int: samples, float:
            fraction); the refit uses all of X.
        verbose: 0 warnings, 1 info, 2 debug messages of this module.
        callbacks: ``callback(study, frozen_trial)`` after each trial, as in optimize.

    Scores are maximised, following scikit-learn's scorers (use ``neg_...`` scorers).
    """

    _required_parameters = ["estimator", "param_distributions"]

    def __init__(self, estimator: Any, param_distributions: Mapping[str, BaseDistribution],
                 cv: Optional[Union[Any, int]] = 5, enable_pruning: bool = False,
                 error_score: Union[Number, float, str] = np.nan, max_iter: int = 1000,
                 n_jobs: int = 1, n_trials: int = 10,
                 random_state: Optional[Union[int, np.random.RandomState]] = None,
                 refit: bool = True, return_train_score: bool = False,
                 scoring: Optional[Union[Callable[..., float], str]] = None,
                 study: Optional[study_module.Study] = None,
                 subsample: Union[float, int] = 1.0, timeout: Optional[float] = None,
                 verbose: int = 0,
                 callbacks: Optional[List[Callable[[study_module.Study, FrozenTrial],
                                                   None]]] = None) -> None:
        if not isinstance(param_distributions, dict):
            raise TypeError("param_distributions must be a dictionary.")
        self.cv = cv
        self.enable_pruning = enable_pruning
        self.error_score = error_score
        self.estimator = estimator
        self.max_iter = max_iter
        self.n_trials = n_trials
        self.n_jobs = n_jobs
        self.param_distributions = param_distributions
        self.random_state = random_state
        self.refit = refit
        self.return_train_score = return_train_score
        self.scoring = scoring
        self.study = study
        self.subsample = subsample
        self.timeout = timeout
        self.verbose = verbose
        self.callbacks = callbacks

    # -- results (after fit) ------------------------------------------------------------
    @property
    def _estimator_type(self) -> str:
        return self.estimator._estimator_type

    @property
    def best_index_(self) -> int:
        """The best trial's number."""
        return self.best_trial_.number

    @property
    def best_params_(self) -> Dict[str, Any]:
        self._check_is_fitted()
        return self.study_.best_params

    @property
    def best_score_(self) -> float:
        """The best trial's mean cross-validated score."""
        self._check_is_fitted()
        return self.study_.best_value

    @property
    def best_trial_(self) -> FrozenTrial:
        self._check_is_fitted()
        return self.study_.best_trial

    @property
    def classes_(self) -> Any:
        self._check_is_fitted()
        return self.best_estimator_.classes_

    @property
    def n_trials_(self) -> int:
        return len(self.trials_)

    @property
    def trials_(self) -> List[FrozenTrial]:
        self._check_is_fitted()
        return self.study_.trials

    @property
    def user_attrs_(self) -> Dict[str, Any]:
        self._check_is_fitted()
        return self.study_.user_attrs

    @property
    def set_user_attr(self) -> Callable[..., None]:
        self._check_is_fitted()
        return self.study_.set_user_attr

    @property
    def trials_dataframe(self) -> Callable[..., Any]:
        self._check_is_fitted()
        return self.study_.trials_dataframe

    # The refitted estimator's methods (refit=True).
    decision_function = property(lambda self: self._best("decision_function"))
    inverse_transform = property(lambda self: self._best("inverse_transform"))
    predict = property(lambda self: self._best("predict"))
    predict_log_proba = property(lambda self: self._best("predict_log_proba"))
    predict_proba = property(lambda self: self._best("predict_proba"))
    score_samples = property(lambda self: self._best("score_samples"))
    transform = property(lambda self: self._best("transform"))

    def _best(self, method: str) -> Callable[..., Any]:
        self._check_is_fitted()
        return getattr(self.best_estimator_, method)

    def _check_is_fitted(self) -> None:
        attributes = ["n_splits_", "sample_indices_", "scorer_", "study_"]
        if self.refit:
            attributes += ["best_estimator_", "refit_time_"]
        check_is_fitted(self, attributes)

    def _more_tags(self) -> Dict[str, bool]:
        return {"non_deterministic": True, "no_validation": True}

    # -- the search ---------------------------------------------------------------------
    def _check_params(self) -> None:
        if not hasattr(self.estimator, "fit"):
            raise ValueError("estimator must be a scikit-learn estimator.")
        for name, distribution in self.param_distributions.items():
            if not isinstance(distribution, BaseDistribution):
                raise ValueError(f"Value of {name} must be a optuna distribution.")
        if self.enable_pruning and not hasattr(self.estimator, "partial_fit"):
            raise ValueError("estimator must support partial_fit.")
        if self.max_iter <= 0:
            raise ValueError(f"max_iter must be > 0, got {self.max_iter}.")
        if self.study is not None and self.study.direction != StudyDirection.MAXIMIZE:
            raise ValueError("direction of study must be 'maximize'.")

    def fit(self, X: Any, y: Any = None, groups: Any = None,
            **fit_params: Any) -> "OptunaSearchCV":
        """Searches on (a subsample of) X, then refits the best parameters on all of X."""
        self._check_params()
        random_state = check_random_state(self.random_state)
        old_level = _logger.getEffectiveLevel()
        _logger.setLevel(logging.DEBUG if self.verbose > 1 else
                         logging.INFO if self.verbose > 0 else logging.WARNING)
        try:
            self._search(X, y, groups, fit_params, random_state)
            if self.refit:
                self._refit(X, y, **fit_params)
        finally:
            _logger.setLevel(old_level)
        return self

    def _search(self, X: Any, y: Any, groups: Any, fit_params: Dict[str, Any],
                random_state: Any) -> None:
        n_samples = _num_samples(X)
        max_samples = self.subsample
        if type(max_samples) is float:
            max_samples = int(max_samples * n_samples)
        self.sample_indices_ = np.arange(n_samples)
        if max_samples < n_samples:
            self.sample_indices_ = np.sort(random_state.choice(self.sample_indices_,
                                                               max_samples, replace=False))
        X_res = _index(X, self.sample_indices_)
        y_res = _index(y, self.sample_indices_)
        groups_res = _index(groups, self.sample_indices_)
        fit_params_res = _subsample_fit_params(X, fit_params, self.sample_indices_)
        cv = check_cv(self.cv, y_res, classifier=is_classifier(self.estimator))
        self.n_splits_ = cv.get_n_splits(X_res, y_res, groups=groups_res)
        self.scorer_ = check_scoring(self.estimator, scoring=self.scoring)
        if self.study is None:
            seed = random_state.randint(0, np.iinfo("int32").max)
            self.study_ = study_module.create_study(
                direction="maximize", sampler=samplers.TPESampler(seed=seed))
        else:
            self.study_ = self.study
        objective = _Objective(self, X_res, y_res, cv, groups_res, fit_params_res,
                               self.scorer_)
        _logger.info(f"Searching the best hyperparameters using "
                     f"{len(self.sample_indices_)} samples...")
        self.study_.optimize(objective, n_jobs=self.n_jobs, n_trials=self.n_trials,
                             timeout=self.timeout, callbacks=self.callbacks)
        _logger.info("Finished hyperparameter search!")

    def _refit(self, X: Any, y: Any = None, **fit_params: Any) -> "OptunaSearchCV":
        self.best_estimator_ = clone(self.estimator)
        try:
            self.best_estimator_.set_params(**self.study_.best_params)
        except ValueError as e:
            _logger.exception(e)
        _logger.info(f"Refitting the estimator using {_num_samples(X)} samples...")
        start = time()
        self.best_estimator_.fit(X, y, **fit_params)
        self.refit_time_ = time() - start
        _logger.info(f"Finished refitting! (elapsed time: {self.refit_time_:.3f} sec.)")
        return self

    def score(self, X: Any, y: Any = None) -> float:
        """The refitted estimator's score on (X, y), by `scoring`."""
        return self.scorer_(self.best_estimator_, X, y)
