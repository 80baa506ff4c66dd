"""Synthetic test functions with known optima.

Definitions, domains and optima follow S. Surjanovic and D. Bingham, "Virtual Library of
Simulation Experiments: Test Functions and Datasets", Simon Fraser University
(https://www.sfu.ca/~ssurjano/optimization.html); the Hartmann constants are those
published there (originally from Dixon & Szegoe, 1978). Each optimum is checked
numerically at its argmin in bench/tests/test_problems.py.
"""
import math

import numpy as np

from .base import Problem, config_seed, vector
from .space import Float


def _box(names, low, high):
    return [Float(n, low, high) for n in names]


def _names(d):
    return [f"x{i}" for i in range(1, d + 1)]


# ---- Branin (2-D) -------------------------------------------------------------------
def branin(x):
    x1, x2 = x
    a, b, c = 1.0, 5.1 / (4 * math.pi ** 2), 5.0 / math.pi
    r, s, t = 6.0, 10.0, 1.0 / (8 * math.pi)
    return a * (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


BRANIN_OPT = 0.39788735772973816  # = 5 / (4 pi), attained at the three minimizers
BRANIN_ARGMIN = [(-math.pi, 12.275), (math.pi, 2.275), (3 * math.pi, 2.475)]


# ---- Hartmann 3-D and 6-D ----------------------------------------------------------
H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
H3_P = 1e-4 * np.array([[3689, 1170, 2673], [4699, 4387, 7470],
                        [1091, 8732, 5547], [381, 5743, 8828]])
H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                 [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886],
                        [2329, 4135, 8307, 3736, 1004, 9991],
                        [2348, 1451, 3522, 2883, 3047, 6650],
                        [4047, 8828, 8732, 5743, 1091, 381]])


def hartmann(x, a, p):
    x = np.asarray(x, dtype=float)
    inner = np.sum(a * (x - p) ** 2, axis=1)
    return float(-np.sum(H_ALPHA * np.exp(-inner)))


# The library quotes -3.86278 and -3.32237 at 6 digits; these are the values at its
# quoted argmins, refined (scipy L-BFGS-B from the quoted points) to full precision.
H3_ARGMIN = (0.114614, 0.555649, 0.852547)
H3_OPT = -3.8627797873326593
H6_ARGMIN = (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)
H6_OPT = -3.322368011415513


# ---- Rosenbrock, Ackley, Levy, Styblinski-Tang (any dimension) ----------------------
def rosenbrock(x):
    x = np.asarray(x, dtype=float)
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (x[:-1] - 1.0) ** 2))


def ackley(x, a=20.0, b=0.2, c=2 * math.pi):
    x = np.asarray(x, dtype=float)
    d = len(x)
    return float(-a * math.exp(-b * math.sqrt(np.sum(x ** 2) / d))
                 - math.exp(np.sum(np.cos(c * x)) / d) + a + math.e)


def levy(x):
    w = 1.0 + (np.asarray(x, dtype=float) - 1.0) / 4.0
    head = math.sin(math.pi * w[0]) ** 2
    mid = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + mid + tail)


def styblinski_tang(x):
    x = np.asarray(x, dtype=float)
    return float(0.5 * np.sum(x ** 4 - 16 * x ** 2 + 5 * x))


# Minimizer of the 1-D term: the root of 4x^3 - 32x + 5 near -2.9035 (the library
# quotes -2.903534 and -39.16599 d).
ST_ARGMIN_1D = -2.903534027771177
ST_OPT_1D = -39.16616570377142


class Synthetic(Problem):
    """A box-constrained function of x1..xd."""

    kind = "synthetic"

    def __init__(self, name, fn, bounds, optimum, argmin, source="Surjanovic & Bingham, VLSE"):
        names = _names(len(bounds))
        space = [Float(n, lo, hi) for n, (lo, hi) in zip(names, bounds)]
        super().__init__(name, space, optimum=optimum, argmin=argmin, source=source)
        self.fn = fn
        self.names = names

    def evaluate(self, config, seed=0):
        return self.fn(vector(config, self.names))

    def argmin_config(self):
        return dict(zip(self.names, self.argmin))


class NoisySynthetic(Synthetic):
    """fn plus Gaussian noise of standard deviation `sigma`; the noise is a deterministic
    function of (configuration, seed), so a run is reproducible, and the benchmark
    scores the noise-free value of the trial the optimizer would pick (its best
    observed one)."""

    noisy = True

    def __init__(self, name, fn, bounds, optimum, argmin, sigma, source):
        super().__init__(name, fn, bounds, optimum, argmin, source)
        self.sigma = sigma

    def evaluate(self, config, seed=0):
        rng = np.random.default_rng(config_seed(config, seed))
        return self.fn(vector(config, self.names)) + self.sigma * float(rng.standard_normal())

    def true_value(self, config):
        return self.fn(vector(config, self.names))


def problems():
    return [
        Synthetic("branin", branin, [(-5.0, 10.0), (0.0, 15.0)], BRANIN_OPT, BRANIN_ARGMIN[1]),
        Synthetic("hartmann3", lambda x: hartmann(x, H3_A, H3_P), [(0.0, 1.0)] * 3,
                  H3_OPT, H3_ARGMIN),
        Synthetic("hartmann6", lambda x: hartmann(x, H6_A, H6_P), [(0.0, 1.0)] * 6,
                  H6_OPT, H6_ARGMIN),
        Synthetic("rosenbrock4", rosenbrock, [(-5.0, 10.0)] * 4, 0.0, [1.0] * 4),
        Synthetic("ackley5", ackley, [(-32.768, 32.768)] * 5, 0.0, [0.0] * 5),
        Synthetic("levy10", levy, [(-10.0, 10.0)] * 10, 0.0, [1.0] * 10),
        Synthetic("styblinski_tang8", styblinski_tang, [(-5.0, 5.0)] * 8, 8 * ST_OPT_1D,
                  [ST_ARGMIN_1D] * 8),
        NoisySynthetic("hartmann6_noisy", lambda x: hartmann(x, H6_A, H6_P),
                       [(0.0, 1.0)] * 6, H6_OPT, H6_ARGMIN, sigma=0.1,
                       source="Surjanovic & Bingham, VLSE; Gaussian noise sd 0.1 added here"),
    ]
