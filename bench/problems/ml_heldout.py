"""Held-out scikit-learn problems (issue 22's "scikit-learn problems" bars).

The `ml` suite (ml.py) is the one `auto` and the samplers' defaults were tuned on, so a
claim about scikit-learn problems needs problems nobody tuned on: these. Every
model/dataset pair here is new against ml.py and the conditional suites (gradient
boosting, histogram gradient boosting, AdaBoost, extra trees on digits, SGD on digits,
kNN on wine, kernel ridge on diabetes). The spaces are unconditional: a parameter that a
choice makes irrelevant (l1_ratio without the elastic-net penalty, degree without the
polynomial kernel) is still suggested and simply has no effect, as in a user's flat
search space.

The objectives follow ml.py's conventions (its cv_loss, fold seed and model seed): a
3-fold cross-validated loss, lower is better, a deterministic function of the
configuration (evaluate()'s seed is ignored). Each evaluation costs about 0.02-0.3 s on
one core. Best-known values come from calibrate.py (problems/calibration.json).

The family is "ml_heldout": kept out of the `ml` suite, of "all" and of every other
suite (problems/__init__.py); the kind stays "ml" so that report.py and
paired_scores.py group them as scikit-learn problems.
"""
from .ml import MODEL_SEED, MLProblem, _scaled, cv_loss
from .space import Categorical, Float, Int

FAMILY = "ml_heldout"


def hgb_breast_cancer(c):
    from sklearn.ensemble import HistGradientBoostingClassifier
    model = HistGradientBoostingClassifier(
        learning_rate=c["learning_rate"], max_iter=c["max_iter"],
        max_leaf_nodes=c["max_leaf_nodes"], min_samples_leaf=c["min_samples_leaf"],
        l2_regularization=c["l2_regularization"], early_stopping=False,
        random_state=MODEL_SEED)
    return cv_loss(model, "breast_cancer", "log_loss")


def gb_wine(c):
    from sklearn.ensemble import GradientBoostingClassifier
    model = GradientBoostingClassifier(
        n_estimators=c["n_estimators"], learning_rate=c["learning_rate"],
        max_depth=c["max_depth"], subsample=c["subsample"],
        max_features=None if c["max_features"] == "all" else c["max_features"],
        random_state=MODEL_SEED)
    return cv_loss(model, "wine", "log_loss")


def adaboost_breast_cancer(c):
    from sklearn.ensemble import AdaBoostClassifier
    from sklearn.tree import DecisionTreeClassifier
    model = AdaBoostClassifier(
        DecisionTreeClassifier(max_depth=c["max_depth"], random_state=MODEL_SEED),
        n_estimators=c["n_estimators"], learning_rate=c["learning_rate"],
        algorithm="SAMME", random_state=MODEL_SEED)
    # the error rate: AdaBoost's probabilities are poorly calibrated, and a user tunes
    # it for accuracy; a step function of the configuration, as the "jagged"
    # objectives are
    return cv_loss(model, "breast_cancer", "error")


def extra_trees_digits(c):
    from sklearn.ensemble import ExtraTreesClassifier
    model = ExtraTreesClassifier(
        n_estimators=c["n_estimators"], max_depth=c["max_depth"],
        min_samples_split=c["min_samples_split"], max_features=c["max_features"],
        criterion=c["criterion"], random_state=MODEL_SEED, n_jobs=1)
    return cv_loss(model, "digits_half", "log_loss")


def sgd_digits(c):
    from sklearn.linear_model import SGDClassifier
    model = SGDClassifier(
        loss=c["loss"], penalty=c["penalty"], alpha=c["alpha"], l1_ratio=c["l1_ratio"],
        learning_rate=c["learning_rate"], eta0=c["eta0"], max_iter=c["max_iter"],
        tol=None, random_state=MODEL_SEED)
    return cv_loss(_scaled(model), "digits_half", "error")


def knn_wine(c):
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler
    model = KNeighborsClassifier(n_neighbors=c["n_neighbors"], weights=c["weights"],
                                 p=c["p"], n_jobs=1)
    scaler = {"none": None, "standard": StandardScaler(), "minmax": MinMaxScaler(),
              "robust": RobustScaler()}[c["scaler"]]
    if scaler is not None:
        model = make_pipeline(scaler, model)
    return cv_loss(model, "wine", "error")


def kernel_ridge_diabetes(c):
    from sklearn.kernel_ridge import KernelRidge
    model = KernelRidge(alpha=c["alpha"], kernel=c["kernel"], gamma=c["gamma"],
                        degree=c["degree"], coef0=1.0)
    return cv_loss(_scaled(model), "diabetes", "mse")


class HeldOutMLProblem(MLProblem):
    family = FAMILY


def problems():
    return [
        HeldOutMLProblem("hgb_breast_cancer", [
            Float("learning_rate", 1e-3, 1.0, log=True),
            Int("max_iter", 10, 100, log=True),
            Int("max_leaf_nodes", 2, 64, log=True),
            Int("min_samples_leaf", 1, 100, log=True),
            Float("l2_regularization", 1e-6, 1e1, log=True),
        ], hgb_breast_cancer, 0.2, "histogram gradient boosting on breast_cancer, "
                                   "3-fold CV log loss"),
        HeldOutMLProblem("gb_wine", [
            Int("n_estimators", 5, 60, log=True),
            Float("learning_rate", 1e-3, 1.0, log=True),
            Int("max_depth", 1, 6),
            Float("subsample", 0.3, 1.0),
            Categorical("max_features", ["sqrt", "log2", "all"]),
        ], gb_wine, 0.15, "gradient boosting on wine, 3-fold CV log loss"),
        HeldOutMLProblem("adaboost_breast_cancer", [
            Int("n_estimators", 5, 50, log=True),
            Float("learning_rate", 1e-2, 3.0, log=True),
            Int("max_depth", 1, 4),
        ], adaboost_breast_cancer, 0.15, "AdaBoost (SAMME) of decision trees on "
                                         "breast_cancer, 3-fold CV error"),
        HeldOutMLProblem("extra_trees_digits", [
            Int("n_estimators", 5, 60, log=True),
            Int("max_depth", 2, 32, log=True),
            Int("min_samples_split", 2, 32, log=True),
            Float("max_features", 0.02, 0.5, log=True),
            Categorical("criterion", ["gini", "entropy"]),
        ], extra_trees_digits, 0.1, "extra trees on half of digits, 3-fold CV log loss"),
        HeldOutMLProblem("sgd_digits", [
            Categorical("loss", ["hinge", "log_loss", "modified_huber"]),
            Categorical("penalty", ["l2", "l1", "elasticnet"]),
            Float("alpha", 1e-7, 1.0, log=True),
            Float("l1_ratio", 0.0, 1.0),
            Categorical("learning_rate", ["optimal", "invscaling", "adaptive"]),
            Float("eta0", 1e-4, 1.0, log=True),
            Int("max_iter", 5, 50, log=True),
        ], sgd_digits, 0.1, "linear classifier by SGD on standardized half of digits, "
                            "3-fold CV error"),
        HeldOutMLProblem("knn_wine", [
            Int("n_neighbors", 1, 40),
            Categorical("weights", ["uniform", "distance"]),
            Categorical("p", [1, 2]),
            Categorical("scaler", ["none", "standard", "minmax", "robust"]),
        ], knn_wine, 0.01, "k-nearest neighbours on wine, 3-fold CV error"),
        HeldOutMLProblem("kernel_ridge_diabetes", [
            Categorical("kernel", ["rbf", "laplacian", "poly"]),
            Float("alpha", 1e-4, 1e2, log=True),
            Float("gamma", 1e-4, 1.0, log=True),
            Int("degree", 2, 4),
        ], kernel_ridge_diabetes, 0.02, "kernel ridge regression on standardized "
                                        "diabetes, 3-fold CV MSE"),
    ]
