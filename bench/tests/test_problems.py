"""The benchmark's problems: optima verified numerically, spaces, determinism."""
import itertools
import math
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import problems  # noqa: E402
from problems import mixed, space, synthetic  # noqa: E402

SYNTHETIC = [p for p in problems.all_problems() if p.kind == "synthetic"]
MIXED = [p for p in problems.all_problems() if p.kind == "mixed"]


def test_registry_has_every_problem_the_issue_asks_for():
    names = set(problems.names("all"))
    for required in ["branin", "hartmann3", "hartmann6", "rosenbrock4", "ackley5", "levy10",
                     "styblinski_tang8", "hartmann6_noisy", "mixed_switch", "mixed_nn",
                     "mixed_discrete", "torch_mlp_digits", "torch_mlp7_digits"]:
        assert required in names
    ml = [problems.get(n) for n in problems.names("ml")]
    datasets = " ".join(p.description for p in ml)
    for d in ["digits", "wine", "breast_cancer", "iris", "diabetes"]:
        assert d in datasets, d
    models = " ".join(p.name for p in ml)
    for m in ["mlp", "svm", "rf", "knn", "logreg", "elasticnet"]:
        assert m in models, m
    with pytest.raises(KeyError):
        problems.get("no_such_problem")
    with pytest.raises(KeyError):
        problems.names("no_such_suite")


@pytest.mark.parametrize("p", SYNTHETIC + MIXED, ids=lambda p: p.name)
def test_optimum_is_attained_at_the_argmin(p):
    config = p.argmin_config() if hasattr(p, "argmin_config") else dict(p.argmin)
    # the quoted argmins carry 6 digits: the value agrees to about 1e-9 relative
    assert p.true_value(config) == pytest.approx(p.optimum, rel=1e-8, abs=1e-8)


def test_branin_has_three_global_minimizers():
    for x in synthetic.BRANIN_ARGMIN:
        assert synthetic.branin(x) == pytest.approx(synthetic.BRANIN_OPT, abs=1e-12)
    assert synthetic.BRANIN_OPT == pytest.approx(5 / (4 * math.pi), abs=1e-14)


def test_styblinski_tang_one_dimensional_minimizer():
    x = synthetic.ST_ARGMIN_1D
    assert 4 * x ** 3 - 32 * x + 5 == pytest.approx(0.0, abs=1e-9)  # stationary
    assert synthetic.styblinski_tang([x]) == pytest.approx(synthetic.ST_OPT_1D, abs=1e-12)
    assert synthetic.ST_OPT_1D == pytest.approx(-39.16599, abs=1e-3)  # VLSE's quote


@pytest.mark.parametrize("p", SYNTHETIC + MIXED, ids=lambda p: p.name)
def test_nothing_beats_the_optimum(p):
    """20 000 random points and local descents from the best of them stay above f*."""
    rng = np.random.default_rng(1)
    values = []
    configs = []
    for _ in range(20000):
        c = space.sample_config(p.space, rng)
        configs.append(c)
        values.append(p.true_value(c))
    assert min(values) >= p.optimum - 1e-9
    if all(q.kind == "float" for q in p.space):
        from scipy.optimize import minimize
        names = [q.name for q in p.space]
        bounds = [(q.low, q.high) for q in p.space]
        for i in np.argsort(values)[:5]:
            x0 = [configs[i][n] for n in names]
            res = minimize(lambda x: p.true_value(dict(zip(names, x))), x0,
                           method="L-BFGS-B", bounds=bounds)
            assert res.fun >= p.optimum - 1e-7


def test_mixed_discrete_optimum_by_enumeration():
    p = problems.get("mixed_discrete")
    best = math.inf
    for n1, n2, n3 in itertools.product(range(-5, 6), repeat=3):
        for color, shapes in mixed.DISCRETE_TABLE.items():
            for shape in shapes:
                best = min(best, p.evaluate({"n1": n1, "n2": n2, "n3": n3,
                                             "color": color, "shape": shape}))
    assert best == p.optimum == -117.0


def test_mixed_switch_regime_decides_the_good_region():
    p = problems.get("mixed_switch")
    # each regime is best near its own centre and poor at the others' centres
    for regime, (x, llam, k) in mixed.SWITCH_CENTERS.items():
        at_own = p.evaluate({"regime": regime, "x": x, "lam": 10 ** llam, "k": k})
        assert at_own == pytest.approx(mixed.SWITCH_OFFSET[regime], abs=1e-12)
        for other, (ox, ollam, ok) in mixed.SWITCH_CENTERS.items():
            if other != regime:
                assert p.evaluate({"regime": regime, "x": ox, "lam": 10 ** ollam, "k": ok}) > 0.45


def test_mixed_nn_best_learning_rate_depends_on_optimizer_and_batch():
    p = problems.get("mixed_nn")
    base = dict(mixed.NN_ARGMIN)
    sgd_best = dict(base, optimizer="sgd", lr=10 ** mixed.nn_best_log_lr("sgd", 64),
                    weight_decay=10 ** mixed.NN_WD_BEST["sgd"])
    assert p.evaluate(sgd_best) == pytest.approx(mixed.NN_OFFSET["sgd"], abs=1e-12)
    # adam's best rate is far too small for sgd, and sgd's diverges for adam
    assert p.evaluate(dict(sgd_best, lr=base["lr"])) > p.evaluate(sgd_best) + 0.5
    assert p.evaluate(dict(base, lr=sgd_best["lr"])) > 1.0
    # doubling the batch moves sgd's best rate up by 2x (linear scaling rule)
    assert mixed.nn_best_log_lr("sgd", 128) - mixed.nn_best_log_lr("sgd", 64) == \
        pytest.approx(math.log10(2))


def test_noisy_hartmann_is_deterministic_given_seed():
    p = problems.get("hartmann6_noisy")
    c = p.argmin_config()
    a, b = p.evaluate(c, 3), p.evaluate(c, 3)
    assert a == b
    assert p.evaluate(c, 4) != a
    assert p.true_value(c) == pytest.approx(p.optimum, abs=1e-8)
    rng = np.random.default_rng(0)
    noise = []
    for s in range(2000):
        cfg = space.sample_config(p.space, rng)
        noise.append(p.evaluate(cfg, s) - p.true_value(cfg))
    assert abs(np.mean(noise)) < 0.01
    assert np.std(noise) == pytest.approx(0.1, rel=0.1)


def test_space_sampling_respects_bounds_and_types():
    rng = np.random.default_rng(0)
    for p in problems.all_problems():
        for _ in range(200):
            c = space.sample_config(p.space, rng)
            for q in p.space:
                if not q.active(c):
                    assert q.name not in c
                    continue
                v = c[q.name]
                if q.kind == "categorical":
                    assert v in q.choices
                else:
                    assert q.low <= v <= q.high
                    if q.kind == "int":
                        assert isinstance(v, int) and (v - q.low) % q.step == 0


def test_log_int_sampling_covers_both_ends():
    q = space.Int("n", 1, 8, log=True)
    rng = np.random.default_rng(0)
    seen = {q.sample(rng) for _ in range(2000)}
    assert seen == set(range(1, 9))


def test_space_rejects_bad_declarations():
    with pytest.raises(ValueError):
        space.Float("x", 1.0, 1.0)
    with pytest.raises(ValueError):
        space.Float("x", 0.0, 1.0, log=True)
    with pytest.raises(ValueError):
        space.Int("n", 0, 10, log=True)
    with pytest.raises(ValueError):
        space.Int("n", 0, 10, step=3)
    with pytest.raises(ValueError):
        space.Categorical("c", ["a", "a"])
    with pytest.raises(ValueError):
        space.Categorical("c", [])


def test_grid_fits_the_budget():
    for p in problems.all_problems():
        for budget in (25, 50, 100):
            grid = space.grid_space(p.space, budget)
            k = space.grid_levels(p.space, budget)
            assert k >= 2
            size = space.grid_size(grid)
            if k > 2:
                assert size <= budget, (p.name, budget, size)
            for q in p.space:
                values = grid[q.name]
                assert len(values) == len(set(values))
                for v in values:
                    if q.kind == "categorical":
                        assert v in q.choices
                    else:
                        assert q.low <= v <= q.high
    # a 2-D float space at budget 100 is a 10 x 10 grid of cell midpoints
    g = space.grid_space(problems.get("branin").space, 100)
    assert len(g["x1"]) == 10 and g["x1"][0] == pytest.approx(-5 + 0.75)


class FakeTrial:
    """Records suggest calls as an Optuna trial would receive them."""

    def __init__(self):
        self.calls = []

    def suggest_float(self, name, low, high, log=False):
        self.calls.append(("float", name, low, high, log))
        return low

    def suggest_int(self, name, low, high, step=1, log=False):
        self.calls.append(("int", name, low, high, step, log))
        return low

    def suggest_categorical(self, name, choices):
        self.calls.append(("categorical", name, tuple(choices)))
        return choices[-1]


def test_suggest_all_follows_conditions():
    p = problems.get("svm_breast_cancer")
    trial = FakeTrial()
    config = space.suggest_all(p.space, trial)
    # kernel -> "poly" (last choice), so gamma and degree are both suggested
    assert config == {"kernel": "poly", "C": 1e-3, "gamma": 1e-5, "degree": 2}
    assert trial.calls[0] == ("categorical", "kernel", ("linear", "rbf", "poly"))
    assert ("float", "gamma", 1e-5, 1e1, True) in trial.calls

    class LinearTrial(FakeTrial):
        def suggest_categorical(self, name, choices):
            return choices[0]

    assert space.suggest_all(p.space, LinearTrial()) == {"kernel": "linear", "C": 1e-3}


def test_ml_problems_are_deterministic():
    # No time limit here: tests check structure, not speed (a CI run under the
    # sanitizers once took 5 s of CPU for one MLP fit that takes 0.1 s idle).
    rng = np.random.default_rng(5)
    for name in problems.names("ml"):
        p = problems.get(name)
        c = space.sample_config(p.space, rng)
        a = p.evaluate(c, 0)
        assert p.evaluate(c, 1) == a, name  # the seed does not change an ML objective
        assert math.isfinite(a) and a >= 0, name


def test_torch_problem_exposes_per_epoch_curve():
    p = problems.get("torch_mlp_digits")
    assert p.direction == "maximize" and p.fidelity["name"] == "epochs"
    curve = p.evaluate_curve({"lr": 0.01, "hidden_size": 32}, 0, epochs=2)
    assert [e for e, _, _ in curve] == [1, 2]
    assert all(0.0 <= acc <= 1.0 and loss > 0 for _, acc, loss in curve)
    again = p.evaluate_curve({"lr": 0.01, "hidden_size": 32}, 0, epochs=2)
    assert again == curve


def test_torch_mlp7_is_mixed_deterministic_and_cached(monkeypatch):
    from problems import torch_mlp7
    p = problems.get("torch_mlp7_digits")
    assert p.kind == "torch" and p.direction == "maximize" and len(p.space) == 7
    kinds = sorted((q.kind, getattr(q, "log", False)) for q in p.space)
    assert kinds == [("categorical", False), ("float", False), ("float", True),
                     ("float", True), ("int", False), ("int", True), ("int", True)]
    # the cheapest corner: one narrow layer, the largest batches
    config = {"lr": 0.01, "weight_decay": 1e-4, "dropout": 0.1, "hidden_size": 16,
              "n_layers": 1, "batch_size": 256, "optimizer": "adamw"}
    fresh = torch_mlp7.train(config)
    assert 0.5 < fresh <= 1.0  # it learns: chance is 0.1
    assert torch_mlp7.train(config) == fresh  # a second training from scratch agrees
    assert p.evaluate(config, 0) == fresh
    monkeypatch.setattr(torch_mlp7, "train", lambda c: pytest.fail("cache missed"))
    assert p.evaluate(dict(reversed(list(config.items()))), 7) == fresh


def test_conditional_suite_is_held_out_and_follows_its_conditions():
    cond = problems.names("conditional")
    assert set(cond) == {"svm_breast_cancer", "mlp_cond", "model_choice", "jenatton",
                         "tree_deep"}
    held_out = set(cond) - {"svm_breast_cancer"}
    for suite in ("synthetic", "mixed", "ml", "torch", "all"):
        assert not held_out & set(problems.names(suite)), suite
    rng = np.random.default_rng(3)
    layers_seen, solvers_seen = set(), set()
    for _ in range(300):
        c = space.sample_config(problems.get("mlp_cond").space, rng)
        n = c["n_layers"]
        layers_seen.add(n)
        solvers_seen.add(c["solver"])
        assert all((f"width_{k}" in c) == (k <= n) for k in (1, 2, 3)), c
        assert ("momentum" in c) == (c["solver"] == "sgd"), c
        assert ("beta_1" in c) == (c["solver"] == "adam"), c
        m = space.sample_config(problems.get("model_choice").space, rng)
        assert all(k == "model" or k.startswith({"knn": "knn_", "rf": "rf_",
                                                 "logreg": "lr_"}[m["model"]]) for k in m), m
    assert layers_seen == {1, 2, 3} and solvers_seen == {"sgd", "adam"}
    # tree_deep misleads: under random settings its optimum's branch (deep, 3 layers)
    # looks worse than the flat one
    deep = problems.get("tree_deep")
    by_branch = {}
    for _ in range(3000):
        c = space.sample_config(deep.space, rng)
        branch = (c["arch"], c.get("n_layers"))
        by_branch.setdefault(branch, []).append(deep.true_value(c))
    medians = {b: float(np.median(v)) for b, v in by_branch.items()}
    assert medians[("deep", 3)] > medians[("flat", None)], medians


def test_conditional_heldout_suite_is_apart_from_every_other_suite():
    held = problems.names("conditional_heldout")
    assert set(held) == {"svm_wine", "mlp_wine", "model_choice_diabetes",
                         "ma_blaschko_tree", "jenatton_flipped"}
    for suite in ("synthetic", "mixed", "ml", "torch", "all", "conditional",
                  "conditional_heldout2", "conditional_heldout3"):
        assert not set(held) & set(problems.names(suite)), suite
    # every problem in it has parameters that exist only in some branches
    for name in held:
        assert any(q.condition is not None for q in problems.get(name).space), name


def test_conditional_heldout_ml_problems_follow_their_conditions():
    rng = np.random.default_rng(11)
    prefixes = {"svr": "svr_", "gbr": "gbr_", "knn": "knn_", "ridge": "ridge_"}
    seen = {"kernel": set(), "optimizer": set(), "n_layers": set(), "model": set()}
    for _ in range(400):
        s = space.sample_config(problems.get("svm_wine").space, rng)
        seen["kernel"].add(s["kernel"])
        assert ("gamma" in s) == (s["kernel"] != "linear"), s
        assert ("degree" in s) == (s["kernel"] == "poly"), s
        assert ("coef0" in s) == (s["kernel"] in ("poly", "sigmoid")), s
        m = space.sample_config(problems.get("mlp_wine").space, rng)
        seen["optimizer"].add(m["optimizer"])
        seen["n_layers"].add(m["n_layers"])
        assert all((f"width_{k}" in m) == (k <= m["n_layers"]) for k in (1, 2, 3)), m
        assert ("momentum" in m) == ("nesterov" in m) == (m["optimizer"] == "sgd"), m
        assert ("beta_1" in m) == ("one_minus_beta_2" in m) == (m["optimizer"] == "adam"), m
        c = space.sample_config(problems.get("model_choice_diabetes").space, rng)
        seen["model"].add(c["model"])
        assert all(k == "model" or k.startswith(prefixes[c["model"]]) for k in c), c
    assert seen == {"kernel": {"linear", "rbf", "poly", "sigmoid"},
                    "optimizer": {"sgd", "adam"}, "n_layers": {1, 2, 3},
                    "model": {"svr", "gbr", "knn", "ridge"}}


def test_conditional_heldout_trees_have_their_stated_minimum_in_every_branch():
    """Each leaf of both trees is a sum of one-dimensional terms whose minima are known:
    the leaf's minimum, at those minimizers, is its offset; the smallest offset is the
    stated optimum and no other leaf reaches it."""
    from problems import conditional_heldout as ch
    mb = problems.get("ma_blaschko_tree")
    leaf_minima = {}
    for l1 in ("left", "right"):
        for l2 in ("left", "right"):
            c = {"l1": l1, f"v_{l1}": 0.0, f"l2_{l1}": l2, f"v_{l1}_{l2}": ch.MB_SHIFT}
            leaf_minima[(l1, l2)] = mb.true_value(c)
            # off the minimizer in either coordinate the value rises
            assert mb.true_value(dict(c, **{f"v_{l1}": 0.1})) > leaf_minima[(l1, l2)]
            assert mb.true_value(dict(c, **{f"v_{l1}_{l2}": 0.4})) > leaf_minima[(l1, l2)]
    assert leaf_minima == pytest.approx(ch.MB_OFFSET)
    assert min(leaf_minima.values()) == pytest.approx(mb.optimum)
    jf = problems.get("jenatton_flipped")
    leaves = {("x1", 0, "x2", 0): "x4", ("x1", 0, "x2", 1): "x5",
              ("x1", 1, "x3", 0): "x6", ("x1", 1, "x3", 1): "x7"}
    values = {}
    for (a, av, b, bv), leaf in leaves.items():
        r = "r8" if av == 0 else "r9"
        c = {a: av, b: bv, leaf: ch.JF_CENTRE[leaf], r: 0.0}
        values[leaf] = jf.true_value(c)
        assert jf.true_value(dict(c, **{leaf: ch.JF_CENTRE[leaf] + 0.2})) > values[leaf]
    assert values == pytest.approx({"x4": 0.4, "x5": 0.3, "x6": 0.2, "x7": 0.1})
    assert jf.optimum == pytest.approx(min(values.values()))
    # the optimum is not where the `conditional` suite's jenatton has it
    assert jf.true_value({"x1": 0, "x2": 0, "x4": 0.0, "r8": 0.0}) > jf.optimum + 0.3


def test_conditional_heldout_ml_objectives_are_deterministic():
    rng = np.random.default_rng(12)
    for name in ("svm_wine", "mlp_wine", "model_choice_diabetes"):
        p = problems.get(name)
        c = space.sample_config(p.space, rng)
        a = p.evaluate(c, 0)
        assert math.isfinite(a) and a >= 0, (name, c)
        assert p.evaluate(c, 3) == a, name


def test_conditional_heldout2_suite_is_apart_from_every_other_suite():
    held = problems.names("conditional_heldout2")
    assert set(held) == {"svm_digits_prep", "mlp_digits", "model_choice_iris",
                         "jenatton_deep", "jenatton_testfn"}
    for suite in ("synthetic", "mixed", "ml", "torch", "all", "conditional",
                  "conditional_heldout", "conditional_heldout3"):
        assert not set(held) & set(problems.names(suite)), suite
    for name in held:
        assert any(q.condition is not None for q in problems.get(name).space), name


def test_conditional_heldout2_ml_problems_follow_their_conditions():
    rng = np.random.default_rng(21)
    prefixes = {"logreg": "logreg_", "knn": "knn_", "extra_trees": "et_", "lda": "lda_",
                "svc": "svc_"}
    seen = {"prep_kernel": set(), "optimizer_layers": set(), "schedule": set(),
            "model": set()}
    for _ in range(1500):
        s = space.sample_config(problems.get("svm_digits_prep").space, rng)
        seen["prep_kernel"].add((s["preprocessing"], s["kernel"]))
        assert ("pca_components" in s) == ("pca_whiten" in s) == \
            (s["preprocessing"] == "pca"), s
        assert ("gamma" in s) == (s["kernel"] != "linear"), s
        assert ("degree" in s) == (s["kernel"] == "poly"), s
        assert ("coef0" in s) == (s["kernel"] in ("poly", "sigmoid")), s
        m = space.sample_config(problems.get("mlp_digits").space, rng)
        opt = m["optimizer"]
        seen["optimizer_layers"].add((opt, m["n_layers"]))
        assert all((f"width_{k}" in m) == (k <= m["n_layers"]) for k in (1, 2, 3)), m
        assert ("learning_rate_init" in m) == (opt != "lbfgs"), m
        assert ("momentum" in m) == ("nesterov" in m) == ("schedule" in m) == \
            (opt == "sgd"), m
        assert ("beta_1" in m) == ("one_minus_beta_2" in m) == (opt == "adam"), m
        # two levels deep: power_t only under sgd's invscaling schedule
        assert ("power_t" in m) == (m.get("schedule") == "invscaling"), m
        if "schedule" in m:
            seen["schedule"].add(m["schedule"])
        c = space.sample_config(problems.get("model_choice_iris").space, rng)
        seen["model"].add(c["model"])
        assert all(k == "model" or k.startswith(prefixes[c["model"]]) for k in c), c
    assert len(seen["prep_kernel"]) == 12  # every preprocessing with every kernel
    assert len(seen["optimizer_layers"]) == 9  # every optimizer with 1, 2 and 3 layers
    assert seen["schedule"] == {"constant", "invscaling", "adaptive"}
    assert seen["model"] == set(prefixes)


def test_conditional_heldout2_trees_have_their_stated_minimum_in_every_leaf():
    """Each leaf's value is a sum of terms whose minima are known: at those minimizers
    it equals the leaf's offset, off them it rises, and the smallest offset, reached by
    one leaf only, is the stated optimum."""
    from problems import conditional_heldout2 as ch
    jd = problems.get("jenatton_deep")
    values = {}
    for (a, b, k), offset in ch.JD_OFFSET.items():
        c = {"a": a, f"b_{a}": b, f"c_{a}{b}": k, f"v_{a}{b}{k}": ch.JD_CENTRE[(a, b, k)],
             f"r_{a}": 0.0, f"s_{a}{b}": ch.JD_S_CENTRE[(a, b)]}
        values[(a, b, k)] = jd.true_value(c)
        for moved in ({f"v_{a}{b}{k}": ch.JD_CENTRE[(a, b, k)] + 0.2}, {f"r_{a}": 0.1},
                      {f"s_{a}{b}": ch.JD_S_CENTRE[(a, b)] - 0.2}):
            assert jd.true_value(dict(c, **moved)) > values[(a, b, k)], moved
    assert values == pytest.approx(ch.JD_OFFSET)
    assert sorted(values.values())[:2] == pytest.approx([jd.optimum, jd.optimum + 0.1])
    # every parameter of the space is used by some leaf (none is dead weight)
    assert len(jd.space) == 1 + 2 + 4 + 8 + 2 + 4
    jt = problems.get("jenatton_testfn")
    values = {}
    for (a, b), (fn, fmin, scale, box, argmin, offset) in ch.JT_LEAVES.items():
        assert fn(*argmin) == pytest.approx(fmin, abs=1e-12)
        assert all(lo <= x <= hi for x, (lo, hi) in zip(argmin, box))
        c = {"x1": a, ("x2" if a == 0 else "x3"): b, f"u_{a}{b}": argmin[0],
             f"w_{a}{b}": argmin[1], ("r8" if a == 0 else "r9"): 0.0}
        values[(a, b)] = jt.true_value(c)
        assert jt.true_value(dict(c, **{f"u_{a}{b}": argmin[0] + 0.3})) > values[(a, b)]
    assert values == pytest.approx({k: leaf[5] for k, leaf in ch.JT_LEAVES.items()},
                                   abs=1e-12)
    assert min(values.values()) == pytest.approx(jt.optimum, abs=1e-12)
    assert ch.BRANIN_MIN == pytest.approx(synthetic.BRANIN_OPT, abs=1e-12)
    # Branin's other two global minimizers reach the same leaf value
    for x, y in ((-math.pi, 12.275), (9.42478, 2.475)):
        assert ch.branin(x, y) == pytest.approx(ch.BRANIN_MIN, abs=1e-5)


def test_conditional_heldout2_ml_objectives_are_deterministic_in_every_branch():
    rng = np.random.default_rng(22)
    branch_of = {"svm_digits_prep": "kernel", "mlp_digits": "optimizer",
                 "model_choice_iris": "model"}
    for name, parent in branch_of.items():
        p = problems.get(name)
        choices = next(q.choices for q in p.space if q.name == parent)
        configs = {}
        while len(configs) < len(choices):  # one configuration of each branch
            c = space.sample_config(p.space, rng)
            configs.setdefault(c[parent], c)
        for c in configs.values():
            a = p.evaluate(c, 0)
            assert math.isfinite(a) and a >= 0, (name, c)
            assert p.evaluate(c, 3) == a, (name, c)


def test_conditional_heldout3_suite_is_apart_from_every_other_suite():
    held = problems.names("conditional_heldout3")
    assert set(held) == {"svr_diabetes_kernel", "mlp_diabetes", "model_choice_wine",
                         "tree_four_way", "chain_blocks"}
    for suite in ("synthetic", "mixed", "ml", "torch", "all", "conditional",
                  "conditional_heldout", "conditional_heldout2", "synthetic_heldout"):
        assert not set(held) & set(problems.names(suite)), suite
    for name in held:
        assert any(q.condition is not None for q in problems.get(name).space), name


def test_conditional_heldout3_model_choice_uses_no_earlier_suites_model():
    from problems import conditional, conditional_heldout, conditional_heldout2
    earlier = set()
    for module in (conditional, conditional_heldout, conditional_heldout2):
        for p in module.problems():
            for q in p.space:
                if q.name == "model":
                    earlier |= set(q.choices)
    models = next(q.choices for q in problems.get("model_choice_wine").space
                  if q.name == "model")
    assert len(models) >= 4
    assert not set(models) & earlier, set(models) & earlier


def test_conditional_heldout3_ml_problems_follow_their_conditions():
    rng = np.random.default_rng(31)
    prefixes = {"hist_gb": "hgb_", "gaussian_nb": "gnb_", "qda": "qda_",
                "decision_tree": "tree_", "adaboost": "ada_"}
    seen = {"scaling_kernel": set(), "optimizer_layers": set(), "early_stopping": set(),
            "model": set()}
    for _ in range(1500):
        s = space.sample_config(problems.get("svr_diabetes_kernel").space, rng)
        seen["scaling_kernel"].add((s["scaling"], s.get("quantile_output"), s["kernel"]))
        assert ("quantile_output" in s) == (s["scaling"] == "quantile"), s
        assert ("gamma" in s) == (s["kernel"] != "linear"), s
        assert ("degree" in s) == (s["kernel"] == "poly"), s
        assert ("coef0" in s) == (s["kernel"] in ("poly", "sigmoid")), s
        m = space.sample_config(problems.get("mlp_diabetes").space, rng)
        opt = m["optimizer"]
        seen["optimizer_layers"].add((opt, m["n_layers"]))
        seen["early_stopping"].add(m["early_stopping"])
        assert all((f"width_{k}" in m) == (k <= m["n_layers"]) for k in (1, 2, 3, 4)), m
        assert ("sgd_learning_rate" in m) == ("momentum" in m) == ("nesterov" in m) == \
            (opt == "sgd"), m
        assert ("adam_learning_rate" in m) == ("beta_1" in m) == \
            ("one_minus_beta_2" in m) == (opt == "adam"), m
        assert ("validation_fraction" in m) == (m["early_stopping"] == "true"), m
        c = space.sample_config(problems.get("model_choice_wine").space, rng)
        seen["model"].add(c["model"])
        assert all(k == "model" or k.startswith(prefixes[c["model"]]) for k in c), c
    # (standard, robust, quantile/uniform, quantile/normal) x four kernels
    assert len(seen["scaling_kernel"]) == 16
    assert len(seen["optimizer_layers"]) == 8  # both optimizers with 1 to 4 layers
    assert seen["early_stopping"] == {"false", "true"}
    assert seen["model"] == set(prefixes)


def test_conditional_heldout3_four_way_tree_has_its_stated_minimum_in_every_leaf():
    """Every leaf is its offset plus weighted squared distances to its centre: at the
    centre it equals the offset, off it (in each coordinate) it rises, and the smallest
    offset, reached by one leaf only, is the stated optimum."""
    from problems import conditional_heldout3 as ch
    tf = problems.get("tree_four_way")
    path_names = ("branch", "c_kind", "d_mode", "d2_sub")
    values = {}
    for leaf, (_, centres, _) in ch.TF_LEAVES.items():
        if leaf[0] == "c":
            c = {"branch": "c", "c_kind": leaf[1]}
        elif leaf[0] == "d":
            c = {"branch": "d", "d_mode": leaf[1]}
            if len(leaf) == 3:
                c["d2_sub"] = leaf[2]
        else:
            c = {"branch": leaf[0]}
        for name, centre in centres.items():
            if name == "c2_log_lr":
                c["c2_lr"] = 10.0 ** centre
            else:
                c[name] = centre
        assert ch.tree_four_way_leaf(c) == leaf
        # the configuration is exactly the leaf's active parameters
        active = {q.name for q in tf.space if q.active(c)}
        assert active == set(c), (leaf, active ^ set(c))
        values[leaf] = tf.true_value(c)
        for name in c:
            if name in path_names:
                continue
            q = next(q for q in tf.space if q.name == name)
            assert q.low <= c[name] <= q.high, (leaf, name)
            step = 1 if q.kind == "int" else 0.1
            moved = c[name] + step if c[name] + step <= q.high else c[name] - step
            assert tf.true_value(dict(c, **{name: moved})) > values[leaf], (leaf, name)
    assert values == pytest.approx({k: v[0] for k, v in ch.TF_LEAVES.items()}, abs=1e-12)
    ordered = sorted(values.values())
    assert ordered[0] == pytest.approx(tf.optimum) and ordered[1] > tf.optimum + 0.04
    # t is shared by four leaves and wants a different value in each
    t_centres = [centres["t"] for _, centres, _ in ch.TF_LEAVES.values() if "t" in centres]
    assert len(t_centres) == 4 and len(set(t_centres)) == 4
    # leaves at depths 1, 2 and 3 and four children at the root
    assert {len(leaf) for leaf in ch.TF_LEAVES} == {1, 2, 3}
    assert len(next(q.choices for q in tf.space if q.name == "branch")) == 4


def test_conditional_heldout3_chain_has_its_stated_minimum():
    """chain_blocks is additive over blocks, so its minimum is the best prefix of the
    blocks' best contributions; enumerating every depth and every kind per block, each
    at its best settings, finds it, and moving a block's setting raises the value."""
    from problems import conditional_heldout3 as ch
    cb = problems.get("chain_blocks")
    kinds = ("dense", "conv", "skip")
    best = math.inf
    best_by_depth = {}
    for n in range(1, ch.CB_MAX_BLOCKS + 1):
        for combo in itertools.product(kinds, repeat=n):
            c = {"n_blocks": n}
            for k, kind in enumerate(combo, start=1):
                c[f"kind_{k}"] = kind
                for name, value in ch.CB_BLOCKS[k][kind][1].items():
                    c[f"{name}_{k}"] = value
            assert {q.name for q in cb.space if q.active(c)} == set(c), c
            value = cb.true_value(c)
            expected = ch.CB_BASE + sum(ch.CB_BLOCKS[k][kind][0]
                                        for k, kind in enumerate(combo, start=1))
            assert value == pytest.approx(expected, abs=1e-12), c
            best_by_depth[n] = min(best_by_depth.get(n, math.inf), value)
            best = min(best, value)
            for name in c:
                if name.split("_")[0] in ("width", "kernel", "dropout"):
                    q = next(q for q in cb.space if q.name == name)
                    step = {"width": 2.0, "kernel": 1, "dropout": 0.1}[name.split("_")[0]]
                    if q.kind == "int" and name.startswith("width"):
                        moved = int(c[name] * step) if c[name] * step <= q.high \
                            else c[name] // 2
                    else:
                        moved = c[name] + step if c[name] + step <= q.high \
                            else c[name] - step
                    assert q.low <= moved <= q.high
                    assert cb.true_value(dict(c, **{name: moved})) > value, (c, name)
    assert best == pytest.approx(cb.optimum, abs=1e-12)
    # the best depth is 3 of 4, with 4 (a skip block added) 0.02 behind
    assert min(best_by_depth, key=best_by_depth.get) == 3
    assert best_by_depth[4] - best_by_depth[3] == pytest.approx(0.02, abs=1e-12)


def test_conditional_heldout3_ml_objectives_are_deterministic_in_every_branch():
    rng = np.random.default_rng(32)
    branch_of = {"svr_diabetes_kernel": "kernel", "mlp_diabetes": "optimizer",
                 "model_choice_wine": "model"}
    for name, parent in branch_of.items():
        p = problems.get(name)
        choices = next(q.choices for q in p.space if q.name == parent)
        configs = {}
        while len(configs) < len(choices):  # one configuration of each branch
            c = space.sample_config(p.space, rng)
            configs.setdefault(c[parent], c)
        for c in configs.values():
            a = p.evaluate(c, 0)
            assert math.isfinite(a) and a >= 0, (name, c)
            assert p.evaluate(c, 3) == a, (name, c)


def test_synthetic_heldout_suite_is_apart_from_every_other_suite():
    held = problems.names("synthetic_heldout")
    assert set(held) == {"six_hump_camel", "goldstein_price_log", "colville", "perm0_4",
                         "shekel10", "shekel10_noisy", "michalewicz5", "dixon_price6",
                         "zakharov7", "powell8"}
    for suite in ("synthetic", "mixed", "ml", "torch", "all", "conditional",
                  "conditional_heldout", "conditional_heldout2", "conditional_heldout3"):
        assert not set(held) & set(problems.names(suite)), suite
    seen = {n for suite in ("all", "conditional", "conditional_heldout",
                            "conditional_heldout2", "conditional_heldout3")
            for n in problems.names(suite)}
    for name in held:
        p = problems.get(name)
        assert p.kind == "synthetic" and all(q.kind == "float" for q in p.space), name
        assert 2 <= len(p.space) <= 10, name
        # a held-out function is not one of the seen ones under another name
        base_name = name.replace("_noisy", "")
        assert not any(s.startswith(base_name.rstrip("0123456789")) for s in seen), name


def test_synthetic_heldout_optima_match_the_library():
    """The values Surjanovic & Bingham quote (to their digits); the stored ones are
    the function at the refined argmin."""
    quoted = {"six_hump_camel": -1.0316, "goldstein_price_log": -3.1291,
              "shekel10": -10.5364, "michalewicz5": -4.687658}
    for name, value in quoted.items():
        assert problems.get(name).optimum == pytest.approx(value, abs=1e-4), name
    for name in ("colville", "perm0_4", "dixon_price6", "zakharov7", "powell8"):
        assert problems.get(name).optimum == 0.0, name


def test_michalewicz_per_coordinate_minima():
    """Michalewicz is a sum of one-dimensional terms: each stored coordinate minimum is
    the minimum of its term over a dense grid of [0, pi], so their sum is the optimum."""
    from problems import synthetic_heldout as sh
    grid = np.linspace(0.0, math.pi, 400001)
    for i, (x, v) in enumerate(zip(sh.MICHALEWICZ_ARGMIN_1D, sh.MICHALEWICZ_OPT_1D), 1):
        term = -np.sin(grid) * np.sin(i * grid ** 2 / math.pi) ** 20
        assert term.min() >= v - 1e-12, i
        assert -math.sin(x) * math.sin(i * x * x / math.pi) ** 20 == pytest.approx(v, abs=1e-14)
    assert problems.get("michalewicz5").optimum == pytest.approx(sum(sh.MICHALEWICZ_OPT_1D))


def test_synthetic_heldout_other_minimizers():
    from problems import synthetic_heldout as sh
    # six-hump camel is symmetric under x -> -x: its second global minimizer
    x1, x2 = sh.CAMEL_ARGMIN
    assert sh.six_hump_camel((-x1, -x2)) == pytest.approx(sh.CAMEL_OPT, abs=1e-15)
    # Dixon-Price: the library's formula satisfies 2 x_i^2 = x_(i-1); x_d enters only
    # squared, so -x_d is a minimizer too, while any other flip is not
    x = sh.dixon_price_argmin(6)
    for i in range(1, 6):
        assert 2 * x[i] ** 2 == pytest.approx(x[i - 1], rel=1e-14)
    assert sh.dixon_price(x[:5] + [-x[5]]) == pytest.approx(0.0, abs=1e-28)
    assert sh.dixon_price([x[0], -x[1]] + x[2:]) > 1.0
    # Goldstein-Price's log form: 3 at (0, -1) of [-2, 2]^2, its global minimum
    assert sh.goldstein_price(0.0, -1.0) == 3.0


def test_noisy_shekel_is_deterministic_given_seed():
    p = problems.get("shekel10_noisy")
    c = p.argmin_config()
    assert p.evaluate(c, 3) == p.evaluate(c, 3) != p.evaluate(c, 4)
    assert p.true_value(c) == pytest.approx(p.optimum, abs=1e-12)
    rng = np.random.default_rng(0)
    noise = [p.evaluate(cfg, s) - p.true_value(cfg)
             for s, cfg in enumerate(space.sample_config(p.space, rng) for _ in range(2000))]
    assert abs(np.mean(noise)) < 0.01
    assert np.std(noise) == pytest.approx(0.1, rel=0.1)


ML_HELDOUT = {"hgb_breast_cancer", "gb_wine", "adaboost_breast_cancer", "extra_trees_digits",
              "sgd_digits", "knn_wine", "kernel_ridge_diabetes"}
TORCH_HELDOUT = {"torch_mlp7_breast_cancer", "torch_mlp7_diabetes"}


def test_ml_and_torch_heldout_suites_are_apart_from_every_other_suite():
    assert set(problems.names("ml_heldout")) == ML_HELDOUT
    assert set(problems.names("torch_heldout")) == TORCH_HELDOUT
    for suite in ("synthetic", "mixed", "ml", "torch", "all", "conditional",
                  "conditional_heldout", "conditional_heldout2", "conditional_heldout3",
                  "synthetic_heldout"):
        assert not (ML_HELDOUT | TORCH_HELDOUT) & set(problems.names(suite)), suite
    for name in ML_HELDOUT:
        p = problems.get(name)
        assert p.kind == "ml" and p.direction == "minimize", name
        assert 2 <= len(p.space) <= 8, name
        assert all(q.condition is None for q in p.space), name
    # a model/dataset pair new against the seen ML suites: no seen problem shares the
    # held-out one's model prefix and dataset
    seen = {n for suite in ("all", "conditional", "conditional_heldout",
                            "conditional_heldout2", "conditional_heldout3")
            for n in problems.names(suite)}
    for name in ML_HELDOUT:
        assert name not in seen and not any(
            s.split("_")[0] == name.split("_")[0] and s.endswith(name.split("_", 1)[1])
            for s in seen), name


@pytest.mark.parametrize("name", sorted(ML_HELDOUT | TORCH_HELDOUT))
def test_heldout_ml_and_torch_spaces_sample_and_evaluate_deterministically(name):
    p = problems.get(name)
    rng = np.random.default_rng(11)
    for _ in range(2):
        c = space.sample_config(p.space, rng)
        for q in p.space:
            if q.kind == "categorical":
                assert c[q.name] in q.choices, (name, q.name)
            else:
                assert q.low <= c[q.name] <= q.high, (name, q.name)
        a = p.evaluate(c, 0)
        assert math.isfinite(a) or math.isnan(a), (name, c)  # NaN: a diverged network
        if math.isfinite(a):
            assert a >= 0, (name, c)
        b = p.evaluate(c, 5)
        assert b == a or (math.isnan(a) and math.isnan(b)), (name, c)


def test_torch_heldout_problems_train_from_scratch_the_same_and_cache(monkeypatch):
    from problems import torch_mlp7_heldout as th
    config = {"lr": 0.01, "weight_decay": 1e-4, "dropout": 0.1, "hidden_size": 16,
              "n_layers": 1, "batch_size": 64, "optimizer": "adamw"}
    values = {}
    for name, dataset in (("torch_mlp7_breast_cancer", "breast_cancer"),
                          ("torch_mlp7_diabetes", "diabetes")):
        p = problems.get(name)
        kinds = sorted((q.kind, getattr(q, "log", False)) for q in p.space)
        assert kinds == [("categorical", False), ("float", False), ("float", True),
                         ("float", True), ("int", False), ("int", True), ("int", True)]
        fresh = th.train(dataset, config)
        # it learns: predicting the prior gives about 0.66 (cross-entropy) or 1.0 (MSE of
        # the standardized target)
        assert 0.0 < fresh < 0.6, name
        assert th.train(dataset, config) == fresh, name
        assert p.evaluate(config, 0) == fresh, name
        values[name] = fresh
    monkeypatch.setattr(th, "train", lambda d, c: pytest.fail("cache missed"))
    for name, fresh in values.items():
        assert problems.get(name).evaluate(dict(reversed(list(config.items()))), 3) == fresh


def test_torch_mlp7_values_unchanged_by_sharing_its_training_code():
    """torch_mlp7.fit was split out of train() for torch_mlp7_heldout.py; these are the
    values train() gave before the split (same machine, torch 1.13, one thread)."""
    from problems import torch_mlp7
    cheap = {"lr": 0.01, "weight_decay": 1e-4, "dropout": 0.1, "hidden_size": 16,
             "n_layers": 1, "batch_size": 256, "optimizer": "adamw"}
    deep_sgd = {"lr": 0.05, "weight_decay": 3e-3, "dropout": 0.4, "hidden_size": 100,
                "n_layers": 3, "batch_size": 23, "optimizer": "sgd"}
    assert torch_mlp7.train(cheap) == 0.7400000095367432
    assert torch_mlp7.train(deep_sgd) == 0.9200000166893005


class _AlwaysDiverges:
    """An estimator whose fit fails as scikit-learn's MLP does when its weights diverge."""

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self

    def fit(self, x, y):
        raise ValueError("Solver produced non-finite parameter weights.")


def test_a_fit_failing_in_every_fold_is_the_worst_value_not_a_crash():
    from problems import ml
    assert ml.cv_loss(_AlwaysDiverges(), "breast_cancer", "log_loss") == math.inf
