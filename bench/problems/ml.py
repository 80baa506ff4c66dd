"""Real machine-learning problems on scikit-learn's bundled datasets.

Each objective is a cross-validated loss (lower is better) with a fixed fold split
(CV_SEED) and a fixed model seed, so it is a deterministic function of the
configuration: the `seed` argument of evaluate() is ignored, and re-running a
configuration gives the same value. The spaces are those practitioners tune (log-scaled
learning rates and regularization, ints for sizes, categoricals for choices). Sizes are
capped (3 folds, few trees, small max_iter, one thread) so that an evaluation costs well
under a second: the full benchmark evaluates each problem thousands of times.

Best-known values come from bench/calibrate.py (see problems/calibration.json for the
value, the configuration that reached it and how it was found).
"""
import functools
import math
import os
import warnings

import numpy as np

from .base import Problem
from .space import Categorical, Float, Int

CV_SEED = 0
FOLDS = 3
MODEL_SEED = 0


@functools.lru_cache(maxsize=None)
def load(name):
    """(X, y, task) of a bundled dataset, read once per process."""
    from sklearn import datasets
    if name == "digits":
        d = datasets.load_digits()
        return d.data / 16.0, d.target, "classification"
    if name == "digits_half":
        # SVM cost grows quadratically with samples: a fixed stratified half of digits
        # keeps one evaluation near 0.05 s.
        from sklearn.model_selection import train_test_split
        x, y, _ = load("digits")
        x, _, y, _ = train_test_split(x, y, train_size=0.5, random_state=CV_SEED, stratify=y)
        return x, y, "classification"
    loader = {"wine": datasets.load_wine, "breast_cancer": datasets.load_breast_cancer,
              "iris": datasets.load_iris, "diabetes": datasets.load_diabetes}[name]
    d = loader()
    task = "regression" if name == "diabetes" else "classification"
    return d.data, d.target, task


def cv_loss(estimator, dataset, metric):
    """Mean over FOLDS folds of `metric`: "error" (1 - accuracy), "log_loss", "hinge"
    (of the decision function: the loss an SVM minimizes, and unlike the error rate not
    a step function, so that scores do not jump by whole samples) or "mse"."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
    x, y, task = load(dataset)
    if task == "classification":
        cv = StratifiedKFold(FOLDS, shuffle=True, random_state=CV_SEED)
    else:
        cv = KFold(FOLDS, shuffle=True, random_state=CV_SEED)
    if metric == "hinge":
        from sklearn.metrics import hinge_loss
        labels = np.unique(y)

        def scoring(estimator, x_test, y_test):
            # sklearn's threshold scorers refuse multiclass; hinge_loss itself takes
            # the (n, classes) decision function (Crammer-Singer multiclass hinge)
            return -hinge_loss(y_test, estimator.decision_function(x_test), labels=labels)
    else:
        scoring = {"error": "accuracy", "log_loss": "neg_log_loss",
                   "mse": "neg_mean_squared_error"}[metric]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        try:
            scores = cross_val_score(estimator, x, y, cv=cv, scoring=scoring, n_jobs=1,
                                     error_score=np.nan)
        except ValueError as e:
            # error_score covers a fold's failed fit, but scikit-learn raises when every
            # fold fails (an MLP whose weights diverged in all three): the same failed fit
            if "fits failed" not in str(e):
                raise
            return math.inf
    mean = float(np.mean(scores))
    if not math.isfinite(mean):
        return math.inf  # the benchmark treats a failed fit as the worst value
    return 1.0 - mean if metric == "error" else -mean


def _scaled(model):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    return make_pipeline(StandardScaler(), model)


# ---- model builders ----------------------------------------------------------------
def svm_digits(c):
    from sklearn.svm import SVC
    return cv_loss(SVC(C=c["C"], gamma=c["gamma"]), "digits_half", "hinge")


def svm_breast_cancer(c):
    from sklearn.svm import SVC
    kw = {"C": c["C"], "kernel": c["kernel"], "max_iter": 20000}
    if c["kernel"] in ("rbf", "poly"):
        kw["gamma"] = c["gamma"]
    if c["kernel"] == "poly":
        kw["degree"] = c["degree"]
    return cv_loss(_scaled(SVC(**kw)), "breast_cancer", "hinge")


def svr_diabetes(c):
    from sklearn.svm import SVR
    return cv_loss(_scaled(SVR(C=c["C"], epsilon=c["epsilon"], gamma=c["gamma"])),
                   "diabetes", "mse")


def rf_wine(c):
    from sklearn.ensemble import RandomForestClassifier
    model = RandomForestClassifier(
        n_estimators=c["n_estimators"], max_depth=c["max_depth"],
        min_samples_leaf=c["min_samples_leaf"], max_features=c["max_features"],
        criterion=c["criterion"], bootstrap=c["bootstrap"] == "true",
        random_state=MODEL_SEED, n_jobs=1)
    return cv_loss(model, "wine", "log_loss")


def rf_diabetes(c):
    from sklearn.ensemble import RandomForestRegressor
    model = RandomForestRegressor(
        n_estimators=c["n_estimators"], max_depth=c["max_depth"],
        min_samples_leaf=c["min_samples_leaf"], max_features=c["max_features"],
        random_state=MODEL_SEED, n_jobs=1)
    return cv_loss(model, "diabetes", "mse")


def knn_digits(c):
    from sklearn.decomposition import PCA
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    model = make_pipeline(
        PCA(n_components=c["n_components"], whiten=c["whiten"] == "true",
            random_state=MODEL_SEED),
        KNeighborsClassifier(n_neighbors=c["n_neighbors"], weights=c["weights"], p=c["p"],
                             n_jobs=1))
    return cv_loss(model, "digits", "error")


def knn_iris(c):
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler
    model = KNeighborsClassifier(n_neighbors=c["n_neighbors"], weights=c["weights"],
                                 p=c["p"])
    scaler = {"none": None, "standard": StandardScaler(), "minmax": MinMaxScaler()}[c["scaler"]]
    if scaler is not None:
        model = make_pipeline(scaler, model)
    return cv_loss(model, "iris", "error")


def logreg_breast_cancer(c):
    from sklearn.linear_model import LogisticRegression
    model = LogisticRegression(C=c["C"], penalty=c["penalty"], solver="liblinear",
                               class_weight=None if c["class_weight"] == "none" else "balanced",
                               max_iter=200, random_state=MODEL_SEED)
    return cv_loss(_scaled(model), "breast_cancer", "log_loss")


def elasticnet_diabetes(c):
    from sklearn.linear_model import ElasticNet
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler
    model = make_pipeline(PolynomialFeatures(c["degree"], include_bias=False),
                          StandardScaler(),
                          ElasticNet(alpha=c["alpha"], l1_ratio=c["l1_ratio"], max_iter=1000,
                                     random_state=MODEL_SEED))
    return cv_loss(model, "diabetes", "mse")


def mlp_breast_cancer(c):
    from sklearn.neural_network import MLPClassifier
    model = MLPClassifier(hidden_layer_sizes=(c["hidden"],) * c["layers"],
                          activation=c["activation"], alpha=c["alpha"],
                          learning_rate_init=c["learning_rate_init"],
                          batch_size=c["batch_size"], max_iter=30,
                          random_state=MODEL_SEED)
    return cv_loss(_scaled(model), "breast_cancer", "log_loss")


class MLProblem(Problem):
    kind = "ml"

    def __init__(self, name, space, fn, cost, description):
        super().__init__(name, space, fn=fn, cost=cost)
        self.description = description
        self.optimum_source = "best-known value, see problems/calibration.json"

    def evaluate(self, config, seed=0):
        # One thread per evaluation: the runner already uses every core.
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        return float(self._fn(config))


def problems():
    cond_kernel = ("kernel", ("rbf", "poly"))
    return [
        MLProblem("svm_digits", [
            Float("C", 1e-2, 1e3, log=True),
            Float("gamma", 1e-5, 1e0, log=True),
        ], svm_digits, 0.05, "RBF SVC on half of digits, 3-fold CV hinge loss"),
        MLProblem("svm_breast_cancer", [
            Categorical("kernel", ["linear", "rbf", "poly"]),
            Float("C", 1e-3, 1e3, log=True),
            Float("gamma", 1e-5, 1e1, log=True, condition=cond_kernel),
            Int("degree", 2, 5, condition=("kernel", ("poly",))),
        ], svm_breast_cancer, 0.02, "SVC (kernel choice, conditional gamma/degree) on "
                                    "standardized breast_cancer, 3-fold CV hinge loss"),
        MLProblem("svr_diabetes", [
            Float("C", 1e-2, 1e4, log=True),
            Float("epsilon", 1e-2, 1e2, log=True),
            Float("gamma", 1e-5, 1e1, log=True),
        ], svr_diabetes, 0.01, "RBF SVR on standardized diabetes, 3-fold CV MSE"),
        MLProblem("rf_wine", [
            Int("n_estimators", 5, 50, log=True),
            Int("max_depth", 1, 16, log=True),
            Int("min_samples_leaf", 1, 20, log=True),
            Float("max_features", 0.05, 1.0),
            Categorical("criterion", ["gini", "entropy"]),
            Categorical("bootstrap", ["true", "false"]),
        ], rf_wine, 0.04, "random forest on wine, 3-fold CV log loss"),
        MLProblem("rf_diabetes", [
            Int("n_estimators", 5, 40, log=True),
            Int("max_depth", 2, 20, log=True),
            Int("min_samples_leaf", 1, 50, log=True),
            Float("max_features", 0.1, 1.0),
        ], rf_diabetes, 0.06, "random forest regressor on diabetes, 3-fold CV MSE"),
        MLProblem("knn_digits", [
            Int("n_components", 4, 64, log=True),
            Categorical("whiten", ["false", "true"]),
            Int("n_neighbors", 1, 50, log=True),
            Categorical("weights", ["uniform", "distance"]),
            Categorical("p", [1, 2]),
        ], knn_digits, 0.05, "PCA then k-nearest neighbours on digits, 3-fold CV error"),
        MLProblem("knn_iris", [
            Int("n_neighbors", 1, 60),
            Categorical("weights", ["uniform", "distance"]),
            Categorical("p", [1, 2]),
            Categorical("scaler", ["none", "standard", "minmax"]),
        ], knn_iris, 0.005, "k-nearest neighbours on iris, 3-fold CV error"),
        MLProblem("logreg_breast_cancer", [
            Float("C", 1e-4, 1e4, log=True),
            Categorical("penalty", ["l1", "l2"]),
            Categorical("class_weight", ["none", "balanced"]),
        ], logreg_breast_cancer, 0.02, "logistic regression on standardized "
                                       "breast_cancer, 3-fold CV log loss"),
        MLProblem("elasticnet_diabetes", [
            Int("degree", 1, 3),
            Float("alpha", 1e-5, 1e1, log=True),
            Float("l1_ratio", 0.0, 1.0),
        ], elasticnet_diabetes, 0.02, "elastic net on polynomial features of diabetes, "
                                      "3-fold CV MSE"),
        MLProblem("mlp_breast_cancer", [
            Int("layers", 1, 2),
            Int("hidden", 4, 128, log=True),
            Float("alpha", 1e-6, 1e0, log=True),
            Float("learning_rate_init", 1e-4, 1e-1, log=True),
            Categorical("activation", ["relu", "tanh"]),
            Categorical("batch_size", [32, 64, 128]),
        ], mlp_breast_cancer, 0.1, "scikit-learn MLP (30 epochs) on standardized "
                                   "breast_cancer, 3-fold CV log loss"),
    ]
