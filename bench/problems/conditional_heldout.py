"""Held-out conditional problems: issue 19's bar measured on problems nobody tuned on.

The `conditional_heldout` suite was written after `auto`'s routing of conditional spaces
was chosen (on problems/conditional.py's suite), and fixed, with its protocol
(bench/conditional_heldout.md), before any optimizer ran on it. One problem of each kind
the issue names, each different from the `conditional` suite's (other datasets, other
branch structures, other models):

  svm_wine            SVC on wine: kernel {linear, rbf, poly, sigmoid}; gamma for
                      rbf/poly/sigmoid, degree for poly, coef0 for poly/sigmoid
  mlp_wine            scikit-learn MLP on wine: per-optimizer parameters (sgd: momentum,
                      Nesterov; adam: beta_1, beta_2) and per-layer widths (width_k when
                      n_layers >= k)
  model_choice_diabetes  regression model choice on diabetes (SVR, gradient boosting,
                      k-nearest neighbours, ridge), each with its own parameters
  ma_blaschko_tree    the synthetic tree of Ma & Blaschko (AISTATS 2020), a continuous
                      parameter at every node of a two-level binary tree
  jenatton_flipped    Jenatton et al.'s (ICML 2017) tree with the leaf offsets reversed
                      and centred leaf optima moved: see its docstring

Kept out of every other suite and of `all` (family "conditional_heldout"), so earlier
results stay comparable. The ML problems share ml.py's deterministic cross-validated
losses (best-known values from calibrate.py); the synthetic trees have their optimum in
closed form, verified in bench/tests/test_problems.py.
"""
from .base import Problem
from .conditional import jenatton_space
from .ml import MLProblem, _scaled, cv_loss
from .space import Categorical, Float, Int

FAMILY = "conditional_heldout"


# ---- ML ----------------------------------------------------------------------------
def svm_wine(c):
    from sklearn.svm import SVC
    kernel = c["kernel"]
    kw = {"C": c["C"], "kernel": kernel, "max_iter": 20000}
    if kernel != "linear":
        kw["gamma"] = c["gamma"]
    if kernel == "poly":
        kw["degree"] = c["degree"]
    if kernel in ("poly", "sigmoid"):
        kw["coef0"] = c["coef0"]
    return cv_loss(_scaled(SVC(**kw)), "wine", "hinge")


def mlp_wine(c):
    from sklearn.neural_network import MLPClassifier
    widths = tuple(c[f"width_{k}"] for k in range(1, c["n_layers"] + 1))
    kw = {"hidden_layer_sizes": widths, "solver": c["optimizer"], "alpha": c["alpha"],
          "learning_rate_init": c["learning_rate_init"], "batch_size": 32, "max_iter": 40,
          "random_state": 0}
    if c["optimizer"] == "sgd":
        kw["momentum"] = c["momentum"]
        kw["nesterovs_momentum"] = c["nesterov"] == "true"
    else:
        kw["beta_1"] = c["beta_1"]
        kw["beta_2"] = 1.0 - c["one_minus_beta_2"]
    return cv_loss(_scaled(MLPClassifier(**kw)), "wine", "log_loss")


def model_choice_diabetes(c):
    model = c["model"]
    if model == "svr":
        from sklearn.svm import SVR
        est = _scaled(SVR(C=c["svr_C"], epsilon=c["svr_epsilon"], gamma=c["svr_gamma"]))
    elif model == "gbr":
        from sklearn.ensemble import GradientBoostingRegressor
        est = GradientBoostingRegressor(n_estimators=c["gbr_n_estimators"],
                                        learning_rate=c["gbr_learning_rate"],
                                        max_depth=c["gbr_max_depth"],
                                        subsample=c["gbr_subsample"], random_state=0)
    elif model == "knn":
        from sklearn.neighbors import KNeighborsRegressor
        est = _scaled(KNeighborsRegressor(n_neighbors=c["knn_n_neighbors"],
                                          weights=c["knn_weights"], p=c["knn_p"]))
    else:
        from sklearn.linear_model import Ridge
        est = _scaled(Ridge(alpha=c["ridge_alpha"]))
    return cv_loss(est, "diabetes", "mse")


# ---- synthetic trees ---------------------------------------------------------------
MB_SHIFT = 0.5
MB_OFFSET = {("left", "left"): 0.1, ("left", "right"): 0.2, ("right", "left"): 0.3,
             ("right", "right"): 0.4}


def ma_blaschko_tree(c):
    """Ma & Blaschko, "Additive tree-structured covariance functions for conditional
    parameter spaces in Bayesian optimization", AISTATS 2020: the synthetic function of
    their experiments (public code: github.com/maxc01/addtree, examples/
    addtree_jenatton_small.py and space_utils/addtree_cs_jenatton_small.py). A binary
    choice at each of two levels; every node of the chosen path carries its own
    continuous parameter in [0, 1] (the level-1 node's enters linearly, the leaf's as a
    parabola centred at 0.5), plus the leaf's offset 0.1 .. 0.4:

        f = v_L1 + (v_L2 - 0.5)^2 + offset(L1, L2),   minimum 0.1 at left/left,
                                                       v_L1 = 0, v_L2 = 0.5.
    """
    l1 = c["l1"]
    v1 = c["v_left"] if l1 == "left" else c["v_right"]
    l2 = c[f"l2_{l1}"]
    v2 = c[f"v_{l1}_{l2}"]
    return v1 + (v2 - MB_SHIFT) ** 2 + MB_OFFSET[(l1, l2)]


JF_CENTRE = {"x4": 0.5, "x5": -0.5, "x6": 0.25, "x7": -0.25}


def jenatton_flipped(c):
    """Jenatton, Archambeau, Gonzalez and Seeger, "Bayesian optimization with
    tree-structured dependencies", ICML 2017, section 5.1 -- the function of the
    `conditional` suite's `jenatton` -- with two changes so that it is not the problem
    `auto`'s routing was chosen on: the leaf offsets run the other way (0.4, 0.3, 0.2,
    0.1, so the optimum is in the x1 = 1, x3 = 1 subtree instead of the first one), and
    each leaf's parabola is centred off the middle of its range (x4 at 0.5, x5 at -0.5,
    x6 at 0.25, x7 at -0.25) instead of at 0. The shared-by-subtree linear terms r8, r9
    are as in the paper. Minimum 0.1 at x1 = 1, x3 = 1, x7 = -0.25, r9 = 0."""
    if c["x1"] == 0:
        if c["x2"] == 0:
            return (c["x4"] - JF_CENTRE["x4"]) ** 2 + 0.4 + c["r8"]
        return (c["x5"] - JF_CENTRE["x5"]) ** 2 + 0.3 + c["r8"]
    if c["x3"] == 0:
        return (c["x6"] - JF_CENTRE["x6"]) ** 2 + 0.2 + c["r9"]
    return (c["x7"] - JF_CENTRE["x7"]) ** 2 + 0.1 + c["r9"]


def problems():
    sgd, adam = ("optimizer", ("sgd",)), ("optimizer", ("adam",))
    out = [
        MLProblem("svm_wine", [
            Categorical("kernel", ["linear", "rbf", "poly", "sigmoid"]),
            Float("C", 1e-3, 1e3, log=True),
            Float("gamma", 1e-4, 1e1, log=True,
                  condition=("kernel", ("rbf", "poly", "sigmoid"))),
            Int("degree", 2, 5, condition=("kernel", ("poly",))),
            Float("coef0", -1.0, 1.0, condition=("kernel", ("poly", "sigmoid"))),
        ], svm_wine, 0.01, "SVC (kernel choice; gamma for rbf/poly/sigmoid, degree for "
                           "poly, coef0 for poly/sigmoid) on standardized wine, 3-fold CV "
                           "hinge loss"),
        MLProblem("mlp_wine", [
            Categorical("optimizer", ["sgd", "adam"]),
            Float("learning_rate_init", 1e-4, 1e0, log=True),
            Float("alpha", 1e-6, 1e0, log=True),
            Float("momentum", 0.0, 0.99, condition=sgd),
            Categorical("nesterov", ["false", "true"], condition=sgd),
            Float("beta_1", 0.5, 0.99, condition=adam),
            Float("one_minus_beta_2", 1e-4, 1e-1, log=True, condition=adam),
            Int("n_layers", 1, 3),
            Int("width_1", 2, 64, log=True),
            Int("width_2", 2, 64, log=True, condition=("n_layers", (2, 3))),
            Int("width_3", 2, 64, log=True, condition=("n_layers", (3,))),
        ], mlp_wine, 0.05, "scikit-learn MLP (sgd: momentum, Nesterov; adam: beta_1, "
                           "beta_2; width_k when n_layers >= k; 40 epochs, batch 32) on "
                           "standardized wine, 3-fold CV log loss"),
        MLProblem("model_choice_diabetes", [
            Categorical("model", ["svr", "gbr", "knn", "ridge"]),
            Float("svr_C", 1e-2, 1e4, log=True, condition=("model", ("svr",))),
            Float("svr_epsilon", 1e-2, 1e2, log=True, condition=("model", ("svr",))),
            Float("svr_gamma", 1e-4, 1e1, log=True, condition=("model", ("svr",))),
            Int("gbr_n_estimators", 10, 100, log=True, condition=("model", ("gbr",))),
            Float("gbr_learning_rate", 1e-3, 1.0, log=True, condition=("model", ("gbr",))),
            Int("gbr_max_depth", 1, 6, condition=("model", ("gbr",))),
            Float("gbr_subsample", 0.3, 1.0, condition=("model", ("gbr",))),
            Int("knn_n_neighbors", 1, 100, log=True, condition=("model", ("knn",))),
            Categorical("knn_weights", ["uniform", "distance"],
                        condition=("model", ("knn",))),
            Categorical("knn_p", [1, 2], condition=("model", ("knn",))),
            Float("ridge_alpha", 1e-4, 1e4, log=True, condition=("model", ("ridge",))),
        ], model_choice_diabetes, 0.05, "model choice (SVR, gradient boosting, kNN, ridge, "
                                        "each with its own parameters) on diabetes, "
                                        "3-fold CV MSE"),
        Problem("ma_blaschko_tree", [
            Categorical("l1", ["left", "right"]),
            Float("v_left", 0.0, 1.0, condition=("l1", ("left",))),
            Float("v_right", 0.0, 1.0, condition=("l1", ("right",))),
            Categorical("l2_left", ["left", "right"], condition=("l1", ("left",))),
            Categorical("l2_right", ["left", "right"], condition=("l1", ("right",))),
            Float("v_left_left", 0.0, 1.0, condition=("l2_left", ("left",))),
            Float("v_left_right", 0.0, 1.0, condition=("l2_left", ("right",))),
            Float("v_right_left", 0.0, 1.0, condition=("l2_right", ("left",))),
            Float("v_right_right", 0.0, 1.0, condition=("l2_right", ("right",))),
        ], ma_blaschko_tree, optimum=0.1,
            argmin={"l1": "left", "v_left": 0.0, "l2_left": "left", "v_left_left": 0.5},
            source="Ma & Blaschko, AISTATS 2020 (synthetic experiment)", kind="mixed"),
        Problem("jenatton_flipped", jenatton_space(), jenatton_flipped, optimum=0.1,
            argmin={"x1": 1, "x3": 1, "x7": -0.25, "r9": 0.0},
            source="Jenatton et al. 2017, section 5.1, offsets reversed and leaf centres "
                   "moved", kind="mixed"),
    ]
    for p in out:
        p.family = FAMILY
    return out
