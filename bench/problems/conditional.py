"""Conditional problems: parameters that exist only in some branches of the space.

The `conditional` suite (issue 19): samplers must learn which branch holds the optimum
and tune the parameters that exist only there. Its problems are held out of the other
suites (and of `all`), so results of earlier full runs stay comparable:

  svm_breast_cancer   (ml.py) kernel choice, gamma only for rbf/poly, degree only for poly
  mlp_cond            scikit-learn MLP on breast_cancer: momentum only for sgd, beta_1 only
                      for adam, width_k only when n_layers >= k
  model_choice        kNN / random forest / logistic regression, each with its own
                      parameters, on breast_cancer
  jenatton            the tree-structured function of Jenatton et al. (2017), "Bayesian
                      optimization with tree-structured dependencies", ICML, section 5.1
  tree_deep           a three-level tree constructed here whose optimum lies in a branch
                      that looks worse than another under random settings

The ML problems share ml.py's cross-validated losses (deterministic in the configuration,
best-known values from calibrate.py); the synthetic trees have their optimum by
construction (verified in bench/tests/test_problems.py like the mixed problems).
"""
from .base import Problem
from .ml import MLProblem, _scaled, cv_loss
from .space import Categorical, Float, Int

FAMILY = "conditional"


# ---- ML ----------------------------------------------------------------------------
def mlp_cond(c):
    from sklearn.neural_network import MLPClassifier
    widths = tuple(c[f"width_{k}"] for k in range(1, c["n_layers"] + 1))
    kw = {"hidden_layer_sizes": widths, "solver": c["solver"], "alpha": c["alpha"],
          "learning_rate_init": c["learning_rate_init"], "batch_size": 64, "max_iter": 30,
          "random_state": 0}
    if c["solver"] == "sgd":
        kw["momentum"] = c["momentum"]
    else:
        kw["beta_1"] = c["beta_1"]
    return cv_loss(_scaled(MLPClassifier(**kw)), "breast_cancer", "log_loss")


def model_choice(c):
    model = c["model"]
    if model == "knn":
        from sklearn.neighbors import KNeighborsClassifier
        est = KNeighborsClassifier(n_neighbors=c["knn_n_neighbors"], weights=c["knn_weights"])
    elif model == "rf":
        from sklearn.ensemble import RandomForestClassifier
        est = RandomForestClassifier(n_estimators=c["rf_n_estimators"],
                                     max_depth=c["rf_max_depth"],
                                     max_features=c["rf_max_features"], random_state=0,
                                     n_jobs=1)
    else:
        from sklearn.linear_model import LogisticRegression
        est = LogisticRegression(C=c["lr_C"], penalty=c["lr_penalty"], solver="liblinear",
                                 max_iter=200, random_state=0)
    return cv_loss(_scaled(est), "breast_cancer", "log_loss")


# ---- synthetic trees ---------------------------------------------------------------
def jenatton(c):
    """Jenatton et al. 2017, 5.1: binary splits x1, then x2 or x3; each leaf a shifted
    parabola of its own variable plus a shared-by-subtree linear term r8 or r9."""
    if c["x1"] == 0:
        if c["x2"] == 0:
            return c["x4"] ** 2 + 0.1 + c["r8"]
        return c["x5"] ** 2 + 0.2 + c["r8"]
    if c["x3"] == 0:
        return c["x6"] ** 2 + 0.3 + c["r9"]
    return c["x7"] ** 2 + 0.4 + c["r9"]


def tree_deep(c):
    """Three branches. `flat` is broad and mediocre (min 0.2); `pair` has two modes, one
    a narrow bowl (min 0.1), one a log-scaled ridge (min 0.25); `deep` has 1 to 3 layers
    whose every active offset should sit at 0.5, each missing layer costing 0.1: its
    optimum 0 needs all three layers, whose random settings score worse than `flat`'s.
    (With offsets weighing 1 instead of 0.25 and layers 0.15, no sampler, hpsearch's or
    Optuna's, left `flat` within 50 trials: every score was 0, which says nothing.)"""
    arch = c["arch"]
    if arch == "flat":
        return 0.2 + (c["u"] - 0.3) ** 2
    if arch == "pair":
        if c["mode"] == "bowl":
            return 0.1 + 4.0 * (c["v1"] ** 2 + c["v2"] ** 2)
        import math
        return 0.25 + (math.log10(c["w"]) + 1.5) ** 2 / 4.0 + 0.05 * (c["k"] - 2) ** 2
    n = c["n_layers"]
    return 0.25 * sum((c[f"z{k}"] - 0.5) ** 2 for k in range(1, n + 1)) + 0.1 * (3 - n)


def jenatton_space():
    """Jenatton et al.'s tree: x1 picks x2 or x3, each picks two of x4..x7, r8/r9 per
    subtree (shared with conditional_heldout's flipped variant)."""
    return [
        Categorical("x1", [0, 1]),
        Categorical("x2", [0, 1], condition=("x1", (0,))),
        Categorical("x3", [0, 1], condition=("x1", (1,))),
        Float("x4", -1.0, 1.0, condition=("x2", (0,))),
        Float("x5", -1.0, 1.0, condition=("x2", (1,))),
        Float("x6", -1.0, 1.0, condition=("x3", (0,))),
        Float("x7", -1.0, 1.0, condition=("x3", (1,))),
        Float("r8", 0.0, 1.0, condition=("x1", (0,))),
        Float("r9", 0.0, 1.0, condition=("x1", (1,))),
    ]


def problems():
    sgd, adam = ("solver", ("sgd",)), ("solver", ("adam",))
    out = [
        MLProblem("mlp_cond", [
            Categorical("solver", ["sgd", "adam"]),
            Float("learning_rate_init", 1e-4, 1e0, log=True),
            Float("momentum", 0.0, 0.99, condition=sgd),
            Float("beta_1", 0.5, 0.999, condition=adam),
            Float("alpha", 1e-6, 1e0, log=True),
            Int("n_layers", 1, 3),
            Int("width_1", 4, 64, log=True),
            Int("width_2", 4, 64, log=True, condition=("n_layers", (2, 3))),
            Int("width_3", 4, 64, log=True, condition=("n_layers", (3,))),
        ], mlp_cond, 0.1, "scikit-learn MLP (sgd: momentum, adam: beta_1; width_k when "
                          "n_layers >= k; 30 epochs, batch 64) on standardized "
                          "breast_cancer, 3-fold CV log loss"),
        MLProblem("model_choice", [
            Categorical("model", ["knn", "rf", "logreg"]),
            Int("knn_n_neighbors", 1, 50, log=True, condition=("model", ("knn",))),
            Categorical("knn_weights", ["uniform", "distance"], condition=("model", ("knn",))),
            Int("rf_n_estimators", 5, 50, log=True, condition=("model", ("rf",))),
            Int("rf_max_depth", 1, 16, log=True, condition=("model", ("rf",))),
            Float("rf_max_features", 0.05, 1.0, condition=("model", ("rf",))),
            Float("lr_C", 1e-4, 1e4, log=True, condition=("model", ("logreg",))),
            Categorical("lr_penalty", ["l1", "l2"], condition=("model", ("logreg",))),
        ], model_choice, 0.04, "model choice (kNN, random forest, logistic regression, "
                               "each with its own parameters) on standardized "
                               "breast_cancer, 3-fold CV log loss"),
        Problem("jenatton", jenatton_space(), jenatton, optimum=0.1, argmin={"x1": 0, "x2": 0, "x4": 0.0, "r8": 0.0},
            source="Jenatton et al. 2017, section 5.1", kind="mixed"),
        Problem("tree_deep", [
            Categorical("arch", ["flat", "pair", "deep"]),
            Float("u", 0.0, 1.0, condition=("arch", ("flat",))),
            Categorical("mode", ["bowl", "ridge"], condition=("arch", ("pair",))),
            Float("v1", -1.0, 1.0, condition=("mode", ("bowl",))),
            Float("v2", -1.0, 1.0, condition=("mode", ("bowl",))),
            Float("w", 1e-4, 1.0, log=True, condition=("mode", ("ridge",))),
            Int("k", 1, 4, condition=("mode", ("ridge",))),
            Int("n_layers", 1, 3, condition=("arch", ("deep",))),
            Float("z1", -1.0, 1.0, condition=("arch", ("deep",))),
            Float("z2", -1.0, 1.0, condition=("n_layers", (2, 3))),
            Float("z3", -1.0, 1.0, condition=("n_layers", (3,))),
        ], tree_deep, optimum=0.0,
            argmin={"arch": "deep", "n_layers": 3, "z1": 0.5, "z2": 0.5, "z3": 0.5},
            source="by construction", kind="mixed"),
    ]
    for p in out:
        p.family = FAMILY
    return out
