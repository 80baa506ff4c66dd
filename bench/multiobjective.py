"""Several objectives and constraints: hpsearch's samplers beside Optuna 3.1's, in one run.

    PYTHONPATH=build/python /usr/bin/python3 bench/multiobjective.py [--seeds 3]
        [--budgets 50,100] [--problems zdt1,zdt2,dtlz2,constr] [--optimizers hps-auto,...]

Problems (all minimized, analytic Pareto fronts):
  zdt1, zdt2   6 parameters in [0, 1], 2 objectives (Zitzler, Deb & Thiele 2000),
               reference point (1.1, 11) (f2 <= 10 on the whole space)
  dtlz2        6 parameters in [0, 1], 3 objectives, front the unit sphere's octant,
               reference point (1.1, 1.1, 1.1)
  dtlz5        6 parameters in [0, 1], 3 objectives, a degenerate front: the quarter
               circle f1 = f2 = cos(t) / sqrt(2), f3 = sin(t); reference point (1.1)^3
  dtlz7        6 parameters in [0, 1], 3 objectives, a front of four disconnected
               patches; reference point (1.1, 1.1, 36.3) (f3 <= 33 on the whole space)
  dtlz2-4      7 parameters in [0, 1], 4 objectives, front the unit sphere's orthant,
               reference point (1.1)^4
               (dtlz5, dtlz7 and dtlz2-4: Deb, Thiele, Laumanns & Zitzler, "Scalable
               test problems for evolutionary multiobjective optimization", 2005; not in
               the default --problems, which keeps the four problems of the earlier runs)
  constr       Deb's CONSTR: x1 in [0.1, 1], x2 in [0, 5], f = (x1, (1 + x2) / x1),
               constraints 6 - x2 - 9 x1 <= 0 and 1 + x2 - 9 x1 <= 0; the front lies
               partly on the first constraint's boundary; reference point (1.1, 10)
Each optimizer runs --max(budgets) trials per seed (hpsearch's samplers, auto included,
do not know the budget through the Python API, so a prefix of a longer run is the run of
that budget); the score at budget t uses the first t trials.

Score, as bench/README.md's single-objective one with the hypervolume in place of the
best value: H_t = hypervolume of the feasible non-dominated trials among the first t
(w.r.t. the reference point below; points not dominating it add nothing),

    score(t) = 100 * (H_t - R_t) / (H* - R_t),   clipped below at -100

H* the analytic front's hypervolume, R_t the median H_t of random search with t trials
(uniform draws, 201 runs with a fixed numpy seed: the zero point has no seed noise and is
the same for every optimizer). Per problem the median over seeds; `mean` over problems.
`optuna-gp` (not in the default list) is the newest Optuna's GPSampler, which needs an
Optuna that has one on PYTHONPATH in place of Debian's 3.1 (bench/multiobjective.md
says how it was run under Debian's torch 1.13).
Constraints go to the samplers that take them (constraints_func: hpsearch's tpe, gp,
nsga2, nsga3, auto; Optuna's NSGA-II and TPE); random and Sobol ignore them. hps-nsga3
(NSGA-III) is not in the default --optimizers: name it (bench/multiobjective.md has its
DTLZ2 run).
"""
import argparse
import json
import math
import statistics
import time

import numpy as np
import optuna
from scipy import integrate

import hpsearch

DIMS = 6


def zdt_values(x, front):
    g = 1 + 9 * np.sum(x[..., 1:], axis=-1) / (x.shape[-1] - 1)
    f1 = x[..., 0]
    h = 1 - np.sqrt(f1 / g) if front == 1 else 1 - (f1 / g) ** 2
    return np.stack([f1, g * h], axis=-1)


def dtlz2_values(x):
    g = np.sum((x[..., 2:] - 0.5) ** 2, axis=-1)
    a, b = x[..., 0] * math.pi / 2, x[..., 1] * math.pi / 2
    return np.stack([(1 + g) * np.cos(a) * np.cos(b), (1 + g) * np.cos(a) * np.sin(b),
                     (1 + g) * np.sin(a)], axis=-1)


def dtlz5_values(x):
    """DTLZ5 with 3 objectives: theta_2 is squeezed towards pi/4 as g falls, so on the
    front (g = 0) f1 = f2 and the front is a curve, not a surface."""
    g = np.sum((x[..., 2:] - 0.5) ** 2, axis=-1)
    a = x[..., 0] * math.pi / 2
    b = math.pi / (4 * (1 + g)) * (1 + 2 * g * x[..., 1])
    return np.stack([(1 + g) * np.cos(a) * np.cos(b), (1 + g) * np.cos(a) * np.sin(b),
                     (1 + g) * np.sin(a)], axis=-1)


def dtlz5_front_hv(ref=1.1):
    """At height f3 = t <= 1 the front's points below t have f1 = f2 >=
    sqrt((1 - t^2) / 2), so they dominate the square [that, ref]^2; above 1, [0, ref]^2."""
    area, _ = integrate.quad(lambda t: (ref - math.sqrt((1 - t * t) / 2)) ** 2, 0, 1)
    return area + (ref - 1) * ref * ref


def dtlz7_lift(f):
    return f * (1 + np.sin(3 * math.pi * f))


def dtlz7_values(x):
    """DTLZ7 with 3 objectives: f1 = x0, f2 = x1, f3 = (1 + g) h, g = 1 + 9 mean(x2..),
    h = 3 - sum_i f_i (1 + sin(3 pi f_i)) / (1 + g). The front is g = 1 (x2.. = 0)."""
    g = 1 + 9 * np.mean(x[..., 2:], axis=-1)
    f1, f2 = x[..., 0], x[..., 1]
    h = 3 - (dtlz7_lift(f1) + dtlz7_lift(f2)) / (1 + g)
    return np.stack([f1, f2, (1 + g) * h], axis=-1)


DTLZ7_REF = (1.1, 1.1, 36.3)  # f3 <= 33 (g = 10, h = 3) on the whole space; 1.1 times it


def dtlz7_front_hv(ref=DTLZ7_REF, grid=2_000_001):
    """On the front f3 = 6 - L(f1) - L(f2), L(a) = a (1 + sin(3 pi a)). The front points
    below (z1, z2) reach f3 = 6 - M(z1) - M(z2), M the running maximum of L over [0, z]
    (constant beyond 1, where f1 ends), so the dominated volume is
    r1 r2 (r3 - 6) + r2 int_0^r1 M + r1 int_0^r2 M (r3 > 6: nothing is cut off)."""
    z = np.linspace(0, 1, grid)
    running = np.maximum.accumulate(dtlz7_lift(z))
    integral_to_1 = float(np.sum((running[1:] + running[:-1]) / 2) * (z[1] - z[0]))

    def integral(r):
        return integral_to_1 + (r - 1) * running[-1]
    return (ref[0] * ref[1] * (ref[2] - 6) + ref[1] * integral(ref[0])
            + ref[0] * integral(ref[1]))


def dtlz2_4_values(x):
    """DTLZ2 with 4 objectives (x0..x2 the angles, x3.. the distance g)."""
    g = np.sum((x[..., 3:] - 0.5) ** 2, axis=-1)
    c = [np.cos(x[..., i] * math.pi / 2) for i in range(3)]
    s = [np.sin(x[..., i] * math.pi / 2) for i in range(3)]
    return (1 + g)[..., None] * np.stack([c[0] * c[1] * c[2], c[0] * c[1] * s[2],
                                          c[0] * s[1], s[0]], axis=-1)


def constr_values(x):
    x1, x2 = x[..., 0], x[..., 1]
    return np.stack([x1, (1 + x2) / x1], axis=-1)


def constr_constraints(x):
    x1, x2 = x[..., 0], x[..., 1]
    return np.stack([6 - x2 - 9 * x1, 1 + x2 - 9 * x1], axis=-1)


def constr_front_hv(ref):
    # f2 on the front: on the first constraint's boundary (x2 = 6 - 9 x1) for
    # x1 in [7/18, 2/3], then x2 = 0
    def f2(f1):
        return 7 / f1 - 9 if f1 < 2 / 3 else 1 / f1
    area, _ = integrate.quad(lambda f1: ref[1] - f2(f1), 7 / 18, 1, points=[2 / 3])
    return area + (ref[0] - 1) * (ref[1] - 1)


# f2 reaches 10 on ZDT (g <= 10): with the usual (1.1, 1.1) no random point of 6
# parameters dominates the reference point within 100 trials, and every sampler scores 0
ZDT_REF = (1.1, 11.0)


def zdt_front_hv(integral_of_h):
    """The front is f2 = 1 - h(f1), f1 in [0, 1]."""
    return (ZDT_REF[1] - 1) + integral_of_h + (ZDT_REF[0] - 1) * ZDT_REF[1]


PROBLEMS = {
    # name: (bounds per parameter, values, constraints or None, reference point, H*)
    "zdt1": ([(0, 1)] * DIMS, lambda x: zdt_values(x, 1), None, ZDT_REF, zdt_front_hv(2 / 3)),
    "zdt2": ([(0, 1)] * DIMS, lambda x: zdt_values(x, 2), None, ZDT_REF, zdt_front_hv(1 / 3)),
    "dtlz2": ([(0, 1)] * DIMS, dtlz2_values, None, (1.1, 1.1, 1.1), 1.1 ** 3 - math.pi / 6),
    "constr": ([(0.1, 1), (0, 5)], constr_values, constr_constraints, (1.1, 10.0),
               constr_front_hv((1.1, 10.0))),
    "dtlz5": ([(0, 1)] * DIMS, dtlz5_values, None, (1.1, 1.1, 1.1), dtlz5_front_hv()),
    "dtlz7": ([(0, 1)] * DIMS, dtlz7_values, None, DTLZ7_REF, dtlz7_front_hv()),
    # the unit ball's orthant has volume (pi^2 / 2) / 2^4
    "dtlz2-4": ([(0, 1)] * (DIMS + 1), dtlz2_4_values, None, (1.1,) * 4,
                1.1 ** 4 - math.pi ** 2 / 32),
}
DEFAULT_PROBLEMS = ["zdt1", "zdt2", "dtlz2", "constr"]


def hypervolume(values, feasible, ref):
    """Hypervolume of the feasible points dominating ref (Optuna's WFG)."""
    ref = np.asarray(ref, dtype=float)
    keep = feasible & np.all(values < ref, axis=1)
    if not keep.any():
        return 0.0
    if hasattr(optuna._hypervolume, "WFG"):  # Optuna 3.1
        return float(optuna._hypervolume.WFG().compute(values[keep], ref))
    return float(optuna._hypervolume.compute_hypervolume(values[keep], ref))  # Optuna 4+


def random_median(problem, budget, runs=201):
    bounds, values_of, constraints_of, ref, _ = PROBLEMS[problem]
    rng = np.random.default_rng(12345)
    lo = np.array([b[0] for b in bounds], dtype=float)
    hi = np.array([b[1] for b in bounds], dtype=float)
    x = lo + (hi - lo) * rng.random((runs, budget, len(bounds)))
    values = values_of(x)
    feasible = (np.all(constraints_of(x) <= 0, axis=-1) if constraints_of
                else np.ones(x.shape[:2], dtype=bool))
    return statistics.median(hypervolume(values[r], feasible[r], ref) for r in range(runs))


def make_sampler(name, seed, constraints_func):
    library, kind = name.split("-", 1)
    if library == "hps":
        s = hpsearch.samplers
        if kind == "tpe":
            return s.TPESampler(seed=seed, constraints_func=constraints_func)
        if kind == "nsga2":
            return s.NSGAIISampler(seed=seed, constraints_func=constraints_func)
        if kind == "nsga3":
            return s.NSGAIIISampler(seed=seed, constraints_func=constraints_func)
        if kind == "auto":
            return s.AutoSampler(seed=seed, constraints_func=constraints_func)
        if kind == "gp":
            return s.GPSampler(seed=seed, constraints_func=constraints_func)
        if kind == "random":
            return s.RandomSampler(seed=seed)
        return s.QMCSampler(qmc_type="sobol", scramble=True, seed=seed)
    s = optuna.samplers
    if kind == "nsga2":
        return s.NSGAIISampler(seed=seed, constraints_func=constraints_func)
    if kind == "gp":  # the newest Optuna only (see the module's docstring)
        return s.GPSampler(seed=seed, constraints_func=constraints_func)
    if kind == "motpe":
        return s.TPESampler(seed=seed, multivariate=True, constraints_func=constraints_func)
    if kind == "random":
        return s.RandomSampler(seed=seed)
    return s.QMCSampler(qmc_type="sobol", scramble=True, seed=seed)


OPTIMIZERS = ["hps-auto", "hps-gp", "hps-tpe", "hps-nsga2", "hps-random", "hps-sobol",
              "optuna-motpe", "optuna-nsga2", "optuna-random", "optuna-sobol"]


def run(name, problem, seed, trials):
    """The objective values and feasibility of each trial, in order."""
    bounds, values_of, constraints_of, _, _ = PROBLEMS[problem]
    library = hpsearch if name.startswith("hps") else optuna
    constraints_func = None
    if constraints_of is not None:
        def constraints_func(frozen):
            return frozen.user_attrs["constraints"]
    study = library.create_study(directions=["minimize"] * len(PROBLEMS[problem][3]),
                                 sampler=make_sampler(name, seed, constraints_func))
    rows, feasible = [], []

    def objective(trial):
        x = np.array([trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)])
        if constraints_of is not None:
            c = constraints_of(x)
            trial.set_user_attr("constraints", [float(v) for v in c])
            feasible.append(bool(np.all(c <= 0)))
        else:
            feasible.append(True)
        v = values_of(x)
        rows.append(v)
        return tuple(float(f) for f in v)

    study.optimize(objective, n_trials=trials)
    return np.array(rows), np.array(feasible)


def score(h, r, best):
    return max(-100.0, 100 * (h - r) / (best - r))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--seed-list", default=None,
                    help="the seeds to run, in this order, e.g. 3,4,0,1,2 (instead of "
                         "0..--seeds-1)")
    ap.add_argument("--per-seed", default=None,
                    help="append one JSON line per study (optimizer, problem, seed, "
                         "score per budget) to this file as each ends, for "
                         "bench/mo_bootstrap.py")
    ap.add_argument("--budgets", default="50,100")
    ap.add_argument("--problems", default=",".join(DEFAULT_PROBLEMS),
                    help="of " + ", ".join(PROBLEMS))
    ap.add_argument("--optimizers", default=",".join(OPTIMIZERS))
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    hpsearch.logging.set_verbosity(hpsearch.logging.ERROR)
    budgets = [int(b) for b in args.budgets.split(",")]
    seeds = ([int(v) for v in args.seed_list.split(",")] if args.seed_list
             else list(range(args.seeds)))
    problems = args.problems.split(",")
    optimizers = args.optimizers.split(",")
    scores = {}  # (budget, problem, optimizer) -> median score over seeds
    seconds = {o: 0.0 for o in optimizers}
    for problem in problems:
        best = PROBLEMS[problem][4]
        zero = {t: random_median(problem, t) for t in budgets}
        print(f"{problem}: front {best:.4f}, random median "
              + ", ".join(f"@{t} {zero[t]:.4f}" for t in budgets), flush=True)
        for name in optimizers:
            per_budget = {t: [] for t in budgets}
            for seed in seeds:
                start = time.perf_counter()
                values, feasible = run(name, problem, seed, max(budgets))
                seconds[name] += time.perf_counter() - start
                for t in budgets:
                    h = hypervolume(values[:t], feasible[:t], PROBLEMS[problem][3])
                    per_budget[t].append(score(h, zero[t], best))
                if args.per_seed:
                    with open(args.per_seed, "a") as out:
                        out.write(json.dumps({
                            "optimizer": name, "problem": problem, "seed": seed,
                            "seconds": time.perf_counter() - start,
                            "scores": {str(t): per_budget[t][-1] for t in budgets}}) + "\n")
            for t in budgets:
                scores[t, problem, name] = statistics.median(per_budget[t])
    print()
    print(f"Median score over seeds {','.join(map(str, seeds))} (100 = the analytic front's "
          "hypervolume, 0 = random search's median at the same budget)")
    for t in budgets:
        print()
        print(f"### {t} trials")
        print()
        print("| problem | " + " | ".join(optimizers) + " |")
        print("|---|" + "---:|" * len(optimizers))
        for problem in problems + ["mean"]:
            if problem == "mean":
                row = [statistics.mean(scores[t, p, o] for p in problems) for o in optimizers]
                label = "**mean**"
            else:
                row = [scores[t, problem, o] for o in optimizers]
                label = problem
            top = max(row)
            print(f"| {label} | " + " | ".join(
                f"**{v:.1f}**" if v >= top - 0.05 else f"{v:.1f}" for v in row) + " |")
        if "hps-auto" in optimizers:
            print()
            print("hps-auto minus the best Optuna sampler, per problem (the bar: >= 5):")
            for problem in problems:
                theirs = [(scores[t, problem, o], o) for o in optimizers if o.startswith("optuna")]
                if theirs:
                    v, o = max(theirs)
                    print(f"- {problem}: {scores[t, problem, 'hps-auto'] - v:+.1f} (vs {o})")
    print()
    print("seconds per optimizer (all problems, seeds): " +
          ", ".join(f"{o} {seconds[o]:.1f}" for o in optimizers))


if __name__ == "__main__":
    main()
