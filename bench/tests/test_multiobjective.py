"""bench/multiobjective.py: the analytic fronts' hypervolumes (the score's 100) checked
numerically, and the score's zero point."""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import multiobjective as mo  # noqa: E402


def _front_points(problem, n=400):
    """Points on the analytic Pareto front, from parameters that reach it."""
    if problem in ("zdt1", "zdt2"):
        x = np.zeros((n, mo.DIMS))
        x[:, 0] = np.linspace(0, 1, n)         # g = 1: the rest at 0
        return mo.PROBLEMS[problem][1](x)
    if problem == "dtlz2":
        k = int(math.sqrt(n))
        a, b = np.meshgrid(np.linspace(0, 1, k), np.linspace(0, 1, k))
        x = np.full((k * k, mo.DIMS), 0.5)     # g = 0: the rest at 0.5
        x[:, 0], x[:, 1] = a.ravel(), b.ravel()
        return mo.PROBLEMS[problem][1](x)
    if problem == "dtlz5":
        x = np.full((n, mo.DIMS), 0.5)         # g = 0: a curve, whatever x1
        x[:, 0] = np.linspace(0, 1, n)
        return mo.dtlz5_values(x)
    if problem == "dtlz7":
        k = 12                                 # g = 1: x2.. at 0 (WFG is slow in 3-D)
        a, b = np.meshgrid(np.linspace(0, 1, k), np.linspace(0, 1, k))
        x = np.zeros((k * k, mo.DIMS))
        x[:, 0], x[:, 1] = a.ravel(), b.ravel()
        return mo.dtlz7_values(x)
    if problem == "dtlz2-4":
        g = np.linspace(0, 1, 5)               # a 5^3 grid of angles: WFG in 4-D is slow
        x = np.full((125, mo.DIMS + 1), 0.5)
        x[:, :3] = np.array(np.meshgrid(g, g, g)).reshape(3, -1).T
        return mo.dtlz2_4_values(x)
    x1 = np.linspace(7 / 18, 1, n)             # constr: x2 = max(0, 6 - 9 x1)
    x = np.stack([x1, np.maximum(0, 6 - 9 * x1)], axis=-1)
    assert np.all(mo.constr_constraints(x) <= 1e-12)
    return mo.constr_values(x)


def test_front_hypervolumes_match_dense_fronts():
    for problem, (_, _, _, ref, best) in mo.PROBLEMS.items():
        points = _front_points(problem)
        hv = mo.hypervolume(points, np.ones(len(points), dtype=bool), ref)
        # a sample of the front covers less than the front itself, the more so in 3-D
        # (a 20 x 20 grid on the sphere: WFG in Optuna 3.1 is slow on more points)
        low = {"dtlz2": 0.95, "dtlz7": 0.99, "dtlz2-4": 0.8}.get(problem, 0.99)
        assert best * low < hv <= best + 1e-9, (problem, hv, best)
    coarse = _front_points("dtlz2", n=100)
    assert np.allclose(np.linalg.norm(coarse, axis=1), 1)   # on the unit sphere
    assert mo.hypervolume(coarse, np.ones(len(coarse), dtype=bool), (1.1,) * 3) < hv


def test_no_feasible_point_beats_the_constr_front():
    rng = np.random.default_rng(0)
    x = np.stack([0.1 + 0.9 * rng.random(20_000), 5 * rng.random(20_000)], axis=-1)
    feasible = np.all(mo.constr_constraints(x) <= 0, axis=-1)
    f = mo.constr_values(x)[feasible]
    front = np.where(f[:, 0] < 2 / 3, 7 / f[:, 0] - 9, 1 / f[:, 0])
    assert feasible.mean() > 0.3
    assert np.all(f[:, 0] >= 7 / 18 - 1e-12) and np.all(f[:, 1] >= front - 1e-9)


def test_infeasible_and_outside_points_add_nothing():
    values = np.array([[0.5, 0.5], [0.2, 0.2], [2.0, 0.1]])
    feasible = np.array([True, False, True])
    assert mo.hypervolume(values, feasible, (1.0, 1.0)) == 0.25
    assert mo.hypervolume(values, np.zeros(3, dtype=bool), (1.0, 1.0)) == 0.0


def test_score_zero_point_and_floor():
    assert mo.score(5.0, 5.0, 10.0) == 0.0
    assert mo.score(10.0, 5.0, 10.0) == 100.0
    assert mo.score(-100.0, 5.0, 10.0) == -100.0


def test_dtlz_values_at_hand_worked_points():
    s2 = math.sqrt(0.5)
    # DTLZ5: on the front (g = 0) f1 = f2 whatever x1; off it (g = 0.25, x2 = 1) the
    # angle is pi / (4 * 1.25) (1 + 2 * 0.25 * x1): 36 degrees at x1 = 0, 54 at x1 = 1
    assert np.allclose(mo.dtlz5_values(np.array([0, 0.3, .5, .5, .5, .5])), [s2, s2, 0])
    assert np.allclose(mo.dtlz5_values(np.array([1 / 3, 0.9, .5, .5, .5, .5])),
                       [math.cos(math.pi / 6) * s2] * 2 + [0.5])
    assert np.allclose(mo.dtlz5_values(np.array([0, 0, 1, .5, .5, .5])),
                       [1.25 * 0.80901699, 1.25 * 0.58778525, 0])
    assert np.allclose(mo.dtlz5_values(np.array([0, 1, 1, .5, .5, .5])),
                       [1.25 * 0.58778525, 1.25 * 0.80901699, 0])
    # DTLZ7: g = 1 at x2.. = 0, so f3 = 2 (3 - (L(f1) + L(f2)) / 2), L(a) = a (1 +
    # sin(3 pi a)): L(0.5) = 0, L(1/6) = 1/3; g = 10 at x2.. = 1: f3 = 33 at f1 = f2 = 0
    assert np.allclose(mo.dtlz7_values(np.zeros(6)), [0, 0, 6])
    assert np.allclose(mo.dtlz7_values(np.array([0.5, 1 / 6, 0, 0, 0, 0])),
                       [0.5, 1 / 6, 6 - 1 / 3])
    assert np.allclose(mo.dtlz7_values(np.array([0, 0, 1, 1, 1, 1])), [0, 0, 33])
    # DTLZ2 with 4 objectives: f4 = sin of the first angle, f1 the product of cosines
    assert np.allclose(mo.dtlz2_4_values(np.array([0, 0, 0, .5, .5, .5, .5])), [1, 0, 0, 0])
    assert np.allclose(mo.dtlz2_4_values(np.array([1, 0, 0, .5, .5, .5, .5])), [0, 0, 0, 1])
    assert np.allclose(mo.dtlz2_4_values(np.array([0, 0, .5, 1, 1, 1, 1])),
                       [2 * s2, 2 * s2, 0, 0])   # g = 4 * 0.25 = 1 doubles the radius
    assert np.allclose(mo.dtlz2_4_values(np.array([0, 0.5, 0, .5, .5, .5, .5])),
                       [s2, 0, s2, 0])


def test_dtlz2_4_front_hypervolume_by_monte_carlo():
    """The 4-D front's hypervolume without its formula: a point of [0, 1.1]^4 is
    dominated by the unit sphere's orthant exactly when its norm is at least 1."""
    z = 1.1 * np.random.default_rng(0).random((400_000, 4))
    inside = np.linalg.norm(z, axis=1) >= 1
    volume = 1.1 ** 4
    estimate = inside.mean() * volume
    stderr = volume * math.sqrt(inside.mean() * (1 - inside.mean()) / len(z))
    assert abs(estimate - mo.PROBLEMS["dtlz2-4"][4]) < 4 * stderr


def test_default_problems_are_the_earlier_runs():
    assert mo.DEFAULT_PROBLEMS == ["zdt1", "zdt2", "dtlz2", "constr"]
    assert set(mo.DEFAULT_PROBLEMS) < set(mo.PROBLEMS)
