"""A second held-out conditional suite: issue 19's bar on problems nobody has tuned on.

bench/conditional_heldout.md's five problems were seen (its diagnosis of `auto` studied
their trials, and `auto` is being tuned on them), so a claim needs new ones. The
`conditional_heldout2` suite was written, with its protocol
(bench/conditional_heldout2.md), before any optimizer ran on it. One problem of each kind
the issue names, each with a dataset, model or branch structure that neither the
`conditional` nor the `conditional_heldout` suite has:

  svm_digits_prep     SVC on half of digits: a preprocessing choice (standardize, min-max,
                      PCA with its own dimension and whitening) crossed with a kernel
                      choice (gamma for rbf/poly/sigmoid, degree for poly, coef0 for
                      poly/sigmoid): 12 branch combinations
  mlp_digits          scikit-learn MLP on half of digits: three optimizers (sgd with
                      momentum, Nesterov and a learning-rate schedule whose power_t exists
                      only for invscaling; adam with beta_1, beta_2; lbfgs without a
                      learning rate) and per-layer widths (width_k when n_layers >= k)
  model_choice_iris   classification model choice on iris among five models (logistic
                      regression, kNN, extra trees, shrinkage LDA, RBF SVC with Platt
                      probabilities), each with its own parameters
  jenatton_deep       Jenatton et al.'s (ICML 2017) tree grown to three levels: eight
                      leaves, shared terms at the first and the second level
  jenatton_testfn     Jenatton et al.'s two-level tree with two-dimensional classic test
                      functions (Branin, Rosenbrock, Levy, Rastrigin) as its leaves

Kept out of every other suite and of `all` (family "conditional_heldout2"). The ML
problems share ml.py's deterministic cross-validated losses (best-known values from
calibrate.py); the synthetic trees have their optimum in closed form, verified in
bench/tests/test_problems.py.
"""
import math

from .base import Problem
from .ml import MLProblem, _scaled, cv_loss
from .space import Categorical, Float, Int

FAMILY = "conditional_heldout2"


# ---- ML ----------------------------------------------------------------------------
def _preprocessor(c):
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler
    prep = c["preprocessing"]
    if prep == "standard":
        return StandardScaler()
    if prep == "minmax":
        return MinMaxScaler()
    # PCA on standardized pixels: without the scaler the few high-variance pixels
    # would decide the components alone
    return make_pipeline(StandardScaler(),
                         PCA(n_components=c["pca_components"],
                             whiten=c["pca_whiten"] == "true", random_state=0))


def svm_digits_prep(c):
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import SVC
    kernel = c["kernel"]
    kw = {"C": c["C"], "kernel": kernel, "max_iter": 20000}
    if kernel != "linear":
        kw["gamma"] = c["gamma"]
    if kernel == "poly":
        kw["degree"] = c["degree"]
    if kernel in ("poly", "sigmoid"):
        kw["coef0"] = c["coef0"]
    return cv_loss(make_pipeline(_preprocessor(c), SVC(**kw)), "digits_half", "hinge")


def mlp_digits(c):
    from sklearn.neural_network import MLPClassifier
    widths = tuple(c[f"width_{k}"] for k in range(1, c["n_layers"] + 1))
    opt = c["optimizer"]
    kw = {"hidden_layer_sizes": widths, "solver": opt, "activation": c["activation"],
          "alpha": c["alpha"], "batch_size": 64, "max_iter": 25, "random_state": 0}
    if opt in ("sgd", "adam"):
        kw["learning_rate_init"] = c["learning_rate_init"]
    if opt == "sgd":
        kw["momentum"] = c["momentum"]
        kw["nesterovs_momentum"] = c["nesterov"] == "true"
        kw["learning_rate"] = c["schedule"]
        if c["schedule"] == "invscaling":
            kw["power_t"] = c["power_t"]
    elif opt == "adam":
        kw["beta_1"] = c["beta_1"]
        kw["beta_2"] = 1.0 - c["one_minus_beta_2"]
    return cv_loss(_scaled(MLPClassifier(**kw)), "digits_half", "log_loss")


def model_choice_iris(c):
    model = c["model"]
    if model == "logreg":
        from sklearn.linear_model import LogisticRegression
        est = _scaled(LogisticRegression(C=c["logreg_C"], penalty=c["logreg_penalty"],
                                         solver="saga", max_iter=300, random_state=0))
    elif model == "knn":
        from sklearn.neighbors import KNeighborsClassifier
        est = _scaled(KNeighborsClassifier(n_neighbors=c["knn_n_neighbors"],
                                           weights=c["knn_weights"], p=c["knn_p"]))
    elif model == "extra_trees":
        from sklearn.ensemble import ExtraTreesClassifier
        est = ExtraTreesClassifier(n_estimators=c["et_n_estimators"],
                                   min_samples_leaf=c["et_min_samples_leaf"],
                                   max_features=c["et_max_features"], random_state=0,
                                   n_jobs=1)
    elif model == "lda":
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
        est = LinearDiscriminantAnalysis(solver="lsqr", shrinkage=c["lda_shrinkage"])
    else:
        from sklearn.svm import SVC
        est = _scaled(SVC(C=c["svc_C"], gamma=c["svc_gamma"], probability=True,
                          random_state=0))
    return cv_loss(est, "iris", "log_loss")


# ---- synthetic trees ---------------------------------------------------------------
# jenatton_deep: the leaf (a, b, c) -> its offset and the centre of its parabola.
# Offsets are a permutation of 0.1 .. 0.8, so the optimum (0.1) is one leaf, neither
# the first nor the last; centres are off the middle of [-1, 1].
JD_OFFSET = {(0, 0, 0): 0.5, (0, 0, 1): 0.7, (0, 1, 0): 0.3, (0, 1, 1): 0.6,
             (1, 0, 0): 0.4, (1, 0, 1): 0.1, (1, 1, 0): 0.8, (1, 1, 1): 0.2}
JD_CENTRE = {(0, 0, 0): 0.4, (0, 0, 1): -0.6, (0, 1, 0): 0.7, (0, 1, 1): -0.2,
             (1, 0, 0): -0.4, (1, 0, 1): 0.6, (1, 1, 0): 0.2, (1, 1, 1): -0.7}
# the second level's shared term is a parabola in s_ab centred here (times JD_S_WEIGHT)
JD_S_CENTRE = {(0, 0): 0.3, (0, 1): 0.8, (1, 0): 0.65, (1, 1): 0.2}
JD_S_WEIGHT = 0.5


def _bits(*values):
    return "".join(str(v) for v in values)


def jenatton_deep(c):
    """Jenatton, Archambeau, Gonzalez and Seeger, "Bayesian optimization with
    tree-structured dependencies", ICML 2017, section 5.1, grown by one level. Binary
    choices a, then b_a, then c_ab (eight leaves); the leaf's variable v_abc in [-1, 1]
    enters as a parabola centred at JD_CENTRE, plus the leaf's offset JD_OFFSET; as in
    the paper, every first-level subtree shares a linear term r_a in [0, 1], and each
    second-level subtree shares a parabola JD_S_WEIGHT * (s_ab - JD_S_CENTRE)^2, s_ab in
    [0, 1]:

        f = (v_abc - centre_abc)^2 + offset_abc + r_a + 0.5 (s_ab - centre_ab)^2,
        minimum 0.1 at a = 1, b_1 = 0, c_10 = 1, v_101 = 0.6, r_1 = 0, s_10 = 0.65.
    """
    a = c["a"]
    b = c[f"b_{a}"]
    leaf = c[f"c_{_bits(a, b)}"]
    key = (a, b, leaf)
    v = c[f"v_{_bits(*key)}"]
    s = c[f"s_{_bits(a, b)}"]
    return ((v - JD_CENTRE[key]) ** 2 + JD_OFFSET[key] + c[f"r_{a}"]
            + JD_S_WEIGHT * (s - JD_S_CENTRE[(a, b)]) ** 2)


def jenatton_deep_space():
    out = [Categorical("a", [0, 1])]
    out += [Categorical(f"b_{a}", [0, 1], condition=("a", (a,))) for a in (0, 1)]
    out += [Categorical(f"c_{a}{b}", [0, 1], condition=(f"b_{a}", (b,)))
            for a in (0, 1) for b in (0, 1)]
    out += [Float(f"v_{a}{b}{k}", -1.0, 1.0, condition=(f"c_{a}{b}", (k,)))
            for a in (0, 1) for b in (0, 1) for k in (0, 1)]
    out += [Float(f"r_{a}", 0.0, 1.0, condition=("a", (a,))) for a in (0, 1)]
    out += [Float(f"s_{a}{b}", 0.0, 1.0, condition=(f"b_{a}", (b,)))
            for a in (0, 1) for b in (0, 1)]
    return out


# jenatton_testfn: each leaf is a classic two-dimensional test function on its usual
# domain, shifted so that its minimum is 0 and divided by a scale that brings its
# median over the domain near 1 (so no leaf wins or loses by its units alone).
BRANIN_MIN = 5.0 / (4.0 * math.pi)  # 10 (1 - 1/(8 pi)) cos(pi) + 10, exactly


def branin(x, y):
    b, cc, t = 5.1 / (4.0 * math.pi ** 2), 5.0 / math.pi, 1.0 / (8.0 * math.pi)
    return (y - b * x * x + cc * x - 6.0) ** 2 + 10.0 * (1.0 - t) * math.cos(x) + 10.0


def rosenbrock(x, y):
    return 100.0 * (y - x * x) ** 2 + (1.0 - x) ** 2


def levy(x, y):
    w1, w2 = 1.0 + (x - 1.0) / 4.0, 1.0 + (y - 1.0) / 4.0
    return (math.sin(math.pi * w1) ** 2
            + (w1 - 1.0) ** 2 * (1.0 + 10.0 * math.sin(math.pi * w1 + 1.0) ** 2)
            + (w2 - 1.0) ** 2 * (1.0 + math.sin(2.0 * math.pi * w2) ** 2))


def rastrigin(x, y):
    return 20.0 + sum(v * v - 10.0 * math.cos(2.0 * math.pi * v) for v in (x, y))


# leaf -> (function, its minimum, scale, ((low, high) per coordinate), a minimizer,
#          offset); the minimizers are the functions' known ones
JT_LEAVES = {
    (0, 0): (branin, BRANIN_MIN, 35.0, ((-5.0, 10.0), (0.0, 15.0)), (math.pi, 2.275), 0.3),
    (0, 1): (rosenbrock, 0.0, 140.0, ((-2.0, 2.0), (-1.0, 3.0)), (1.0, 1.0), 0.4),
    (1, 0): (levy, 0.0, 10.0, ((-10.0, 10.0), (-10.0, 10.0)), (1.0, 1.0), 0.1),
    (1, 1): (rastrigin, 0.0, 30.0, ((-3.0, 5.12), (-3.0, 5.12)), (0.0, 0.0), 0.2),
}


def jenatton_testfn(c):
    """Jenatton et al. (ICML 2017), section 5.1's tree -- x1 picks x2 or x3, each picks
    one of two leaves, r8 / r9 in [0, 1] a linear term shared by each subtree -- with the
    one-dimensional leaf parabolas replaced by two-dimensional classic test functions,
    each shifted to minimum 0 and scaled (JT_LEAVES), plus the leaf's offset:

        leaf x2=0: Branin / 35 + 0.3      leaf x3=0: Levy / 10 + 0.1
        leaf x2=1: Rosenbrock / 140 + 0.4 leaf x3=1: Rastrigin / 30 + 0.2

    Minimum 0.1 at x1 = 1, x3 = 0, Levy's minimizer (1, 1), r9 = 0; the Levy and
    Rastrigin leaves are multimodal, the Branin leaf has three global minima."""
    if c["x1"] == 0:
        key, r = (0, c["x2"]), c["r8"]
    else:
        key, r = (1, c["x3"]), c["r9"]
    fn, fmin, scale, _, _, offset = JT_LEAVES[key]
    u, v = c[f"u_{key[0]}{key[1]}"], c[f"w_{key[0]}{key[1]}"]
    return (fn(u, v) - fmin) / scale + offset + r


def jenatton_testfn_space():
    out = [Categorical("x1", [0, 1]),
           Categorical("x2", [0, 1], condition=("x1", (0,))),
           Categorical("x3", [0, 1], condition=("x1", (1,)))]
    for (a, b), (_, _, _, box, _, _) in JT_LEAVES.items():
        parent = ("x2" if a == 0 else "x3", (b,))
        out.append(Float(f"u_{a}{b}", *box[0], condition=parent))
        out.append(Float(f"w_{a}{b}", *box[1], condition=parent))
    out += [Float("r8", 0.0, 1.0, condition=("x1", (0,))),
            Float("r9", 0.0, 1.0, condition=("x1", (1,)))]
    return out


def problems():
    sgd, adam = ("optimizer", ("sgd",)), ("optimizer", ("adam",))
    out = [
        MLProblem("svm_digits_prep", [
            Categorical("preprocessing", ["standard", "minmax", "pca"]),
            Int("pca_components", 5, 40, log=True, condition=("preprocessing", ("pca",))),
            Categorical("pca_whiten", ["false", "true"],
                        condition=("preprocessing", ("pca",))),
            Categorical("kernel", ["linear", "rbf", "poly", "sigmoid"]),
            Float("C", 1e-3, 1e3, log=True),
            Float("gamma", 1e-5, 1e1, log=True,
                  condition=("kernel", ("rbf", "poly", "sigmoid"))),
            Int("degree", 2, 4, condition=("kernel", ("poly",))),
            Float("coef0", -1.0, 1.0, condition=("kernel", ("poly", "sigmoid"))),
        ], svm_digits_prep, 0.05, "preprocessing (standardize, min-max, PCA: components, "
                                  "whitening) and SVC kernel choice (gamma for "
                                  "rbf/poly/sigmoid, degree for poly, coef0 for "
                                  "poly/sigmoid) on half of digits, 3-fold CV hinge loss"),
        MLProblem("mlp_digits", [
            Categorical("optimizer", ["sgd", "adam", "lbfgs"]),
            Float("learning_rate_init", 1e-4, 1e0, log=True,
                  condition=("optimizer", ("sgd", "adam"))),
            Float("momentum", 0.0, 0.99, condition=sgd),
            Categorical("nesterov", ["false", "true"], condition=sgd),
            Categorical("schedule", ["constant", "invscaling", "adaptive"], condition=sgd),
            Float("power_t", 0.05, 1.0, condition=("schedule", ("invscaling",))),
            Float("beta_1", 0.5, 0.99, condition=adam),
            Float("one_minus_beta_2", 1e-4, 1e-1, log=True, condition=adam),
            Categorical("activation", ["relu", "tanh"]),
            Float("alpha", 1e-6, 1e0, log=True),
            Int("n_layers", 1, 3),
            Int("width_1", 8, 128, log=True),
            Int("width_2", 8, 128, log=True, condition=("n_layers", (2, 3))),
            Int("width_3", 8, 128, log=True, condition=("n_layers", (3,))),
        ], mlp_digits, 0.3, "scikit-learn MLP (sgd: momentum, Nesterov, schedule, power_t "
                            "for invscaling; adam: beta_1, beta_2; lbfgs; width_k when "
                            "n_layers >= k; 25 epochs or iterations, batch 64) on "
                            "standardized half of digits, 3-fold CV log loss"),
        MLProblem("model_choice_iris", [
            Categorical("model", ["logreg", "knn", "extra_trees", "lda", "svc"]),
            Float("logreg_C", 1e-3, 1e3, log=True, condition=("model", ("logreg",))),
            Categorical("logreg_penalty", ["l1", "l2"], condition=("model", ("logreg",))),
            Int("knn_n_neighbors", 1, 60, log=True, condition=("model", ("knn",))),
            Categorical("knn_weights", ["uniform", "distance"],
                        condition=("model", ("knn",))),
            Categorical("knn_p", [1, 2], condition=("model", ("knn",))),
            Int("et_n_estimators", 5, 100, log=True, condition=("model", ("extra_trees",))),
            Int("et_min_samples_leaf", 1, 30, log=True,
                condition=("model", ("extra_trees",))),
            Float("et_max_features", 0.25, 1.0, condition=("model", ("extra_trees",))),
            Float("lda_shrinkage", 0.0, 1.0, condition=("model", ("lda",))),
            Float("svc_C", 1e-2, 1e3, log=True, condition=("model", ("svc",))),
            Float("svc_gamma", 1e-4, 1e1, log=True, condition=("model", ("svc",))),
        ], model_choice_iris, 0.02, "classification model choice (logistic regression, "
                                    "kNN, extra trees, shrinkage LDA, RBF SVC, each with "
                                    "its own parameters) on iris, 3-fold CV log loss"),
        Problem("jenatton_deep", jenatton_deep_space(), jenatton_deep, optimum=0.1,
                argmin={"a": 1, "b_1": 0, "c_10": 1, "v_101": 0.6, "r_1": 0.0,
                        "s_10": 0.65},
                source="Jenatton et al. 2017, section 5.1, grown to three levels",
                kind="mixed"),
        Problem("jenatton_testfn", jenatton_testfn_space(), jenatton_testfn, optimum=0.1,
                argmin={"x1": 1, "x3": 0, "u_10": 1.0, "w_10": 1.0, "r9": 0.0},
                source="Jenatton et al. 2017, section 5.1's tree with Branin, Rosenbrock, "
                       "Levy and Rastrigin leaves", kind="mixed"),
    ]
    for p in out:
        p.family = FAMILY
    return out
