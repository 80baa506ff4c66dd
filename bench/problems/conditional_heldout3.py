"""A third held-out conditional suite: issue 19's bar on problems nobody has tuned on.

The `conditional` suite and both earlier held-out sets (bench/conditional_heldout.md,
bench/conditional_heldout2.md) are seen: `auto` is being changed with their trials in
view. The `conditional_heldout3` suite was written, with its protocol
(bench/conditional_heldout3.md), before any optimizer ran on it. One problem of each kind
the issue names, each with a model, dataset pairing or branch structure that none of the
three earlier conditional suites has:

  svr_diabetes_kernel  SVR (a regression SVM, target standardized) on diabetes: a
                       feature-scaling choice (standard, robust, quantile with its own
                       output distribution) crossed with a kernel choice (gamma for
                       rbf/poly/sigmoid, degree for poly, coef0 for poly/sigmoid)
  mlp_diabetes         scikit-learn MLP regressor on diabetes: each optimizer with its own
                       learning-rate range (sgd: momentum, Nesterov; adam: beta_1,
                       beta_2), early stopping with a validation fraction that exists only
                       when it is on, and four per-layer widths (width_k when n_layers >= k)
  model_choice_wine    classification model choice on wine among five models none of the
                       earlier suites used (histogram gradient boosting, Gaussian naive
                       Bayes, regularized QDA, a decision tree, AdaBoost over shallow
                       trees), each with its own parameters
  tree_four_way        a synthetic tree with four children at the root and leaves at
                       depths 1, 2 and 3, of dimension 0 to 4, one parameter shared by
                       four leaves with a different best value in each
  chain_blocks         a synthetic chain of 1-4 blocks (the depth is an int parent), each
                       block a choice of kind (dense: a width; conv: a kernel size and a
                       dropout; skip: no parameter), whose best kind depends on the block's
                       position; the best depth is 3 of 4, with 4 close behind

Kept out of every other suite and of `all` (family "conditional_heldout3"). The ML
problems share ml.py's deterministic cross-validated losses (best-known values from
calibrate.py); the synthetic trees have their optimum in closed form, verified in
bench/tests/test_problems.py.
"""
import math

from .base import Problem
from .ml import MLProblem, _scaled, cv_loss
from .space import Categorical, Float, Int

FAMILY = "conditional_heldout3"


# ---- ML ----------------------------------------------------------------------------
def _feature_scaler(c):
    from sklearn.preprocessing import QuantileTransformer, RobustScaler, StandardScaler
    scaling = c["scaling"]
    if scaling == "standard":
        return StandardScaler()
    if scaling == "robust":
        return RobustScaler()
    # 100 quantiles: each training fold holds about 295 samples
    return QuantileTransformer(n_quantiles=100, output_distribution=c["quantile_output"],
                               random_state=0)


def _standardized_target(regressor):
    # C and epsilon then mean the same thing whatever the target's units (diabetes'
    # target runs 25..346); the loss is still the MSE in those units
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler
    return TransformedTargetRegressor(regressor=regressor, transformer=StandardScaler())


def svr_diabetes_kernel(c):
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import SVR
    kernel = c["kernel"]
    kw = {"C": c["C"], "epsilon": c["epsilon"], "kernel": kernel, "max_iter": 20000}
    if kernel != "linear":
        kw["gamma"] = c["gamma"]
    if kernel == "poly":
        kw["degree"] = c["degree"]
    if kernel in ("poly", "sigmoid"):
        kw["coef0"] = c["coef0"]
    model = make_pipeline(_feature_scaler(c), _standardized_target(SVR(**kw)))
    return cv_loss(model, "diabetes", "mse")


def mlp_diabetes(c):
    from sklearn.neural_network import MLPRegressor
    widths = tuple(c[f"width_{k}"] for k in range(1, c["n_layers"] + 1))
    opt = c["optimizer"]
    kw = {"hidden_layer_sizes": widths, "solver": opt, "activation": c["activation"],
          "alpha": c["alpha"], "batch_size": 64, "max_iter": 50, "random_state": 0,
          "early_stopping": c["early_stopping"] == "true"}
    if kw["early_stopping"]:
        kw["validation_fraction"] = c["validation_fraction"]
    if opt == "sgd":
        kw["learning_rate_init"] = c["sgd_learning_rate"]
        kw["momentum"] = c["momentum"]
        kw["nesterovs_momentum"] = c["nesterov"] == "true"
    else:
        kw["learning_rate_init"] = c["adam_learning_rate"]
        kw["beta_1"] = c["beta_1"]
        kw["beta_2"] = 1.0 - c["one_minus_beta_2"]
    return cv_loss(_scaled(_standardized_target(MLPRegressor(**kw))), "diabetes", "mse")


def model_choice_wine(c):
    model = c["model"]
    if model == "hist_gb":
        from sklearn.ensemble import HistGradientBoostingClassifier
        est = HistGradientBoostingClassifier(
            learning_rate=c["hgb_learning_rate"], max_iter=c["hgb_max_iter"],
            max_leaf_nodes=c["hgb_max_leaf_nodes"],
            min_samples_leaf=c["hgb_min_samples_leaf"],
            l2_regularization=c["hgb_l2_regularization"], random_state=0)
    elif model == "gaussian_nb":
        from sklearn.naive_bayes import GaussianNB
        est = GaussianNB(var_smoothing=c["gnb_var_smoothing"])
    elif model == "qda":
        from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
        est = _scaled(QuadraticDiscriminantAnalysis(reg_param=c["qda_reg_param"]))
    elif model == "decision_tree":
        from sklearn.tree import DecisionTreeClassifier
        est = DecisionTreeClassifier(max_depth=c["tree_max_depth"],
                                     min_samples_leaf=c["tree_min_samples_leaf"],
                                     criterion=c["tree_criterion"], random_state=0)
    else:
        from sklearn.ensemble import AdaBoostClassifier
        from sklearn.tree import DecisionTreeClassifier
        est = AdaBoostClassifier(
            estimator=DecisionTreeClassifier(max_depth=c["ada_max_depth"], random_state=0),
            n_estimators=c["ada_n_estimators"], learning_rate=c["ada_learning_rate"],
            random_state=0)
    return cv_loss(est, "wine", "log_loss")


# ---- synthetic trees ---------------------------------------------------------------
# tree_four_way: leaf -> (offset, {parameter: centre}, weight of each squared distance).
# The offsets are a permutation of 0.1 .. 0.45 in steps of 0.05 (the optimum, 0.1, in
# c3, the leaf with the most dimensions, two levels down; the runner-up, 0.15, in d2q,
# three levels down); the leaves' dimensions are 1, 3 (+ t), 2 (+ t), 1 (+ t), 4 (+ t),
# 1 (an int), 1 and 2.
TF_LEAVES = {
    ("a",): (0.4, {"a_x": 0.3}, 1.0),
    ("b",): (0.2, {"b_x1": 0.5, "b_x2": -0.3, "b_x3": 0.1, "t": 0.8}, 0.5),
    ("c", "c1"): (0.3, {"c1_x1": 0.7, "c1_x2": 0.2, "t": 0.2}, 1.0),
    ("c", "c2"): (0.35, {"c2_log_lr": -2.0, "t": 0.5}, 0.5),
    ("c", "c3"): (0.1, {"c3_x1": 0.6, "c3_x2": -0.6, "c3_x3": 0.2, "c3_x4": -0.2,
                        "t": 0.35}, 0.25),
    ("d", "d1"): (0.25, {"d1_k": 6}, 0.02),
    ("d", "d2", "d2p"): (0.45, {"d2p_x": 0.5}, 1.0),
    ("d", "d2", "d2q"): (0.15, {"d2q_x": 0.25, "d2q_y": 0.75}, 1.0),
}


def tree_four_way_leaf(c):
    """The leaf a configuration reaches: the path of choices from the root."""
    branch = c["branch"]
    if branch in ("a", "b"):
        return (branch,)
    if branch == "c":
        return ("c", c["c_kind"])
    if c["d_mode"] == "d1":
        return ("d", "d1")
    return ("d", "d2", c["d2_sub"])


def tree_four_way(c):
    """A tree written for this suite (no published function has its shape): four
    children at the root -- a (a leaf), b (a leaf), c (a choice among three leaves), d (a
    leaf, or a choice between two leaves one level further down) -- so leaves sit at
    depths 1, 2 and 3. Each leaf is its offset plus a weighted sum of squared distances
    to its centre (TF_LEAVES); c2's parameter is a log-scaled learning rate, entering
    through log10, and d1's an integer. The parameter t in [0, 1] is shared by b and the
    three leaves of c, with a different best value in each (0.8, 0.2, 0.5, 0.35): a
    model that pools t across branches learns a compromise that fits none.

        minimum 0.1 at branch = c, c_kind = c3, c3_x = (0.6, -0.6, 0.2, -0.2), t = 0.35.
    """
    leaf = tree_four_way_leaf(c)
    offset, centres, weight = TF_LEAVES[leaf]
    total = offset
    for name, centre in centres.items():
        value = math.log10(c["c2_lr"]) if name == "c2_log_lr" else c[name]
        total += weight * (value - centre) ** 2
    return total


def tree_four_way_space():
    c_leaf = ("c_kind", ("c1",))
    return [
        Categorical("branch", ["a", "b", "c", "d"]),
        Float("a_x", 0.0, 1.0, condition=("branch", ("a",))),
        Float("b_x1", -1.0, 1.0, condition=("branch", ("b",))),
        Float("b_x2", -1.0, 1.0, condition=("branch", ("b",))),
        Float("b_x3", -1.0, 1.0, condition=("branch", ("b",))),
        Float("t", 0.0, 1.0, condition=("branch", ("b", "c"))),
        Categorical("c_kind", ["c1", "c2", "c3"], condition=("branch", ("c",))),
        Float("c1_x1", 0.0, 1.0, condition=c_leaf),
        Float("c1_x2", 0.0, 1.0, condition=c_leaf),
        Float("c2_lr", 1e-5, 1.0, log=True, condition=("c_kind", ("c2",))),
        Float("c3_x1", -1.0, 1.0, condition=("c_kind", ("c3",))),
        Float("c3_x2", -1.0, 1.0, condition=("c_kind", ("c3",))),
        Float("c3_x3", -1.0, 1.0, condition=("c_kind", ("c3",))),
        Float("c3_x4", -1.0, 1.0, condition=("c_kind", ("c3",))),
        Categorical("d_mode", ["d1", "d2"], condition=("branch", ("d",))),
        Int("d1_k", 1, 10, condition=("d_mode", ("d1",))),
        Categorical("d2_sub", ["d2p", "d2q"], condition=("d_mode", ("d2",))),
        Float("d2p_x", 0.0, 1.0, condition=("d2_sub", ("d2p",))),
        Float("d2q_x", 0.0, 1.0, condition=("d2_sub", ("d2q",))),
        Float("d2q_y", 0.0, 1.0, condition=("d2_sub", ("d2q",))),
    ]


# chain_blocks: block position k (1..4) -> kind -> (the block's best contribution, its
# parameters' best values). A block adds its contribution to CB_BASE; a negative one
# helps. Dense's best width and conv's best kernel and dropout change with the position,
# and so does the best kind: conv, dense, conv, then skip (a fourth block only costs).
CB_BASE = 1.0
CB_MAX_BLOCKS = 4
CB_BLOCKS = {
    1: {"dense": (-0.3, {"width": 64}), "conv": (-0.35, {"kernel": 5, "dropout": 0.1}),
        "skip": (0.0, {})},
    2: {"dense": (-0.25, {"width": 32}), "conv": (-0.1, {"kernel": 3, "dropout": 0.4}),
        "skip": (0.0, {})},
    3: {"dense": (0.05, {"width": 128}), "conv": (-0.15, {"kernel": 3, "dropout": 0.3}),
        "skip": (0.0, {})},
    4: {"dense": (0.1, {"width": 16}), "conv": (0.05, {"kernel": 7, "dropout": 0.0}),
        "skip": (0.02, {})},
}
# how fast a block's contribution rises off its best parameters
CB_WIDTH_WEIGHT = 0.05    # per squared octave of width
CB_KERNEL_WEIGHT = 0.04   # per squared step of kernel size
CB_DROPOUT_WEIGHT = 0.5   # per squared unit of dropout


def chain_block(k, c):
    """Block k's contribution to chain_blocks."""
    kind = c[f"kind_{k}"]
    best, target = CB_BLOCKS[k][kind]
    if kind == "dense":
        octaves = math.log2(c[f"width_{k}"] / target["width"])
        return best + CB_WIDTH_WEIGHT * octaves ** 2
    if kind == "conv":
        return (best + CB_KERNEL_WEIGHT * (c[f"kernel_{k}"] - target["kernel"]) ** 2
                + CB_DROPOUT_WEIGHT * (c[f"dropout_{k}"] - target["dropout"]) ** 2)
    return best


def chain_blocks(c):
    """A chain written for this suite, in the shape of an architecture search: n_blocks
    (1..4) blocks, each a choice of kind with the kind's own parameters -- dense (a width,
    8..256 on a log scale), conv (a kernel size 1..7 and a dropout in [0, 0.5]) or skip
    (none: a leaf of dimension 0). The value is CB_BASE plus each active block's
    contribution (CB_BLOCKS: the best kind and settings depend on the position):

        minimum 0.25 at n_blocks = 3: conv (kernel 5, dropout 0.1), dense (width 32),
        conv (kernel 3, dropout 0.3); a fourth block, skip at best, adds 0.02.
    """
    return CB_BASE + sum(chain_block(k, c) for k in range(1, c["n_blocks"] + 1))


def chain_blocks_space():
    out = [Int("n_blocks", 1, CB_MAX_BLOCKS)]
    for k in range(1, CB_MAX_BLOCKS + 1):
        deep_enough = ("n_blocks", tuple(range(k, CB_MAX_BLOCKS + 1)))
        out += [Categorical(f"kind_{k}", ["dense", "conv", "skip"], condition=deep_enough),
                Int(f"width_{k}", 8, 256, log=True, condition=(f"kind_{k}", ("dense",))),
                Int(f"kernel_{k}", 1, 7, condition=(f"kind_{k}", ("conv",))),
                Float(f"dropout_{k}", 0.0, 0.5, condition=(f"kind_{k}", ("conv",)))]
    return out


def problems():
    sgd, adam = ("optimizer", ("sgd",)), ("optimizer", ("adam",))
    model_is = {m: ("model", (m,)) for m in
                ("hist_gb", "gaussian_nb", "qda", "decision_tree", "adaboost")}
    out = [
        MLProblem("svr_diabetes_kernel", [
            Categorical("scaling", ["standard", "robust", "quantile"]),
            Categorical("quantile_output", ["uniform", "normal"],
                        condition=("scaling", ("quantile",))),
            Categorical("kernel", ["linear", "rbf", "poly", "sigmoid"]),
            Float("C", 1e-2, 1e3, log=True),
            Float("epsilon", 1e-3, 1e0, log=True),
            Float("gamma", 1e-4, 1e1, log=True,
                  condition=("kernel", ("rbf", "poly", "sigmoid"))),
            Int("degree", 2, 4, condition=("kernel", ("poly",))),
            Float("coef0", -1.0, 1.0, condition=("kernel", ("poly", "sigmoid"))),
        ], svr_diabetes_kernel, 0.05, "SVR on diabetes (target standardized): feature "
                                      "scaling (standard, robust, quantile with its output "
                                      "distribution) and kernel choice (gamma for "
                                      "rbf/poly/sigmoid, degree for poly, coef0 for "
                                      "poly/sigmoid), 3-fold CV MSE"),
        MLProblem("mlp_diabetes", [
            Categorical("optimizer", ["sgd", "adam"]),
            Float("sgd_learning_rate", 1e-4, 1e-1, log=True, condition=sgd),
            Float("momentum", 0.0, 0.99, condition=sgd),
            Categorical("nesterov", ["false", "true"], condition=sgd),
            Float("adam_learning_rate", 1e-5, 1e-1, log=True, condition=adam),
            Float("beta_1", 0.5, 0.99, condition=adam),
            Float("one_minus_beta_2", 1e-4, 1e-1, log=True, condition=adam),
            Categorical("early_stopping", ["false", "true"]),
            Float("validation_fraction", 0.1, 0.3,
                  condition=("early_stopping", ("true",))),
            Categorical("activation", ["relu", "tanh"]),
            Float("alpha", 1e-6, 1e0, log=True),
            Int("n_layers", 1, 4),
            Int("width_1", 4, 64, log=True),
            Int("width_2", 4, 64, log=True, condition=("n_layers", (2, 3, 4))),
            Int("width_3", 4, 64, log=True, condition=("n_layers", (3, 4))),
            Int("width_4", 4, 64, log=True, condition=("n_layers", (4,))),
        ], mlp_diabetes, 0.3, "scikit-learn MLP regressor (sgd: its learning rate, "
                              "momentum, Nesterov; adam: its learning rate, beta_1, "
                              "beta_2; validation fraction when early stopping; width_k "
                              "when n_layers >= k, up to 4; 50 epochs, batch 64) on "
                              "standardized diabetes, target standardized, 3-fold CV MSE"),
        MLProblem("model_choice_wine", [
            Categorical("model", list(model_is)),
            Float("hgb_learning_rate", 1e-2, 1.0, log=True, condition=model_is["hist_gb"]),
            Int("hgb_max_iter", 10, 100, log=True, condition=model_is["hist_gb"]),
            Int("hgb_max_leaf_nodes", 2, 31, log=True, condition=model_is["hist_gb"]),
            Int("hgb_min_samples_leaf", 1, 40, log=True, condition=model_is["hist_gb"]),
            Float("hgb_l2_regularization", 1e-6, 1e1, log=True,
                  condition=model_is["hist_gb"]),
            Float("gnb_var_smoothing", 1e-12, 1.0, log=True,
                  condition=model_is["gaussian_nb"]),
            Float("qda_reg_param", 0.0, 1.0, condition=model_is["qda"]),
            Int("tree_max_depth", 1, 12, condition=model_is["decision_tree"]),
            Int("tree_min_samples_leaf", 1, 30, log=True,
                condition=model_is["decision_tree"]),
            Categorical("tree_criterion", ["gini", "entropy"],
                        condition=model_is["decision_tree"]),
            Int("ada_n_estimators", 5, 100, log=True, condition=model_is["adaboost"]),
            Float("ada_learning_rate", 1e-2, 2.0, log=True, condition=model_is["adaboost"]),
            Int("ada_max_depth", 1, 3, condition=model_is["adaboost"]),
        ], model_choice_wine, 0.1, "classification model choice (histogram gradient "
                                   "boosting, Gaussian naive Bayes, regularized QDA, "
                                   "decision tree, AdaBoost, each with its own "
                                   "parameters) on wine, 3-fold CV log loss"),
        Problem("tree_four_way", tree_four_way_space(), tree_four_way, optimum=0.1,
                argmin={"branch": "c", "c_kind": "c3", "c3_x1": 0.6, "c3_x2": -0.6,
                        "c3_x3": 0.2, "c3_x4": -0.2, "t": 0.35},
                source="by construction (four children at the root, leaves at depths "
                       "1-3 of dimension 1-5, a parameter shared by four leaves)",
                kind="mixed"),
        Problem("chain_blocks", chain_blocks_space(), chain_blocks, optimum=0.25,
                argmin={"n_blocks": 3, "kind_1": "conv", "kernel_1": 5, "dropout_1": 0.1,
                        "kind_2": "dense", "width_2": 32, "kind_3": "conv",
                        "kernel_3": 3, "dropout_3": 0.3},
                source="by construction (a chain of 1-4 blocks, each a choice of kind "
                       "with its own parameters)", kind="mixed"),
    ]
    for p in out:
        p.family = FAMILY
    return out
