"""Optuna's side of bench/tpe_quality.c and bench/tpe_cost.c (same functions, budgets,
seeds and space), for the figures in bench/tpe_cmaes.md.

    tpe_optuna.py quality [--trials N] [--seeds K] [--multivariate] [--liar]
                          [--cmaes [--restart ipop|bipop]] [--problem NAME]
    tpe_optuna.py cost N [--multivariate] [--liar] [--cmaes [--restart ipop|bipop]]
"""
import argparse
import math
import statistics
import time

import numpy as np
import optuna


def branin(x):
    x1, x2 = x
    a, b, c = 1.0, 5.1 / (4 * math.pi ** 2), 5.0 / math.pi
    r, s, t = 6.0, 10.0, 1.0 / (8 * math.pi)
    return a * (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                 [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886],
                        [2329, 4135, 8307, 3736, 1004, 9991],
                        [2348, 1451, 3522, 2883, 3047, 6650],
                        [4047, 8828, 8732, 5743, 1091, 381]])


def hartmann6(x):
    x = np.asarray(x, dtype=float)
    return float(-np.sum(H_ALPHA * np.exp(-np.sum(H6_A * (x - H6_P) ** 2, axis=1))))


def sphere5(x):
    return float(sum((v - 0.1 * (i + 1)) ** 2 for i, v in enumerate(x)))


def rastrigin5(x):
    return float(50 + sum(v * v - 10 * math.cos(2 * math.pi * v) for v in x))


PROBLEMS = [("branin", [(-5, 10), (0, 15)], branin),
            ("hartmann6", [(0, 1)] * 6, hartmann6),
            ("sphere5", [(-5, 5)] * 5, sphere5),
            ("rastrigin5", [(-5, 5)] * 5, rastrigin5)]


def sampler(args, seed):
    if getattr(args, "cmaes", False):
        return optuna.samplers.CmaEsSampler(seed=seed, restart_strategy=args.restart)
    kw = {}
    if args.multivariate:
        kw["multivariate"] = True
    if args.liar:
        kw["constant_liar"] = True
    return optuna.samplers.TPESampler(seed=seed, **kw)


def quality(args):
    for name, box, fn in PROBLEMS:
        if (args.problem is None and name not in ("branin", "hartmann6")) or \
                (args.problem is not None and name != args.problem):
            continue
        bests = []
        for seed in range(args.seeds):
            study = optuna.create_study(sampler=sampler(args, seed))
            study.optimize(lambda t: fn([t.suggest_float(f"x{i + 1}", lo, hi)
                                         for i, (lo, hi) in enumerate(box)]),
                           n_trials=args.trials)
            bests.append(study.best_value)
        print(f"{name:10s} optuna {optuna.__version__} trials={args.trials} best: "
              + " ".join(f"{b:.4g}" for b in bests)
              + f"  median={statistics.median(bests):.4g} mean={statistics.mean(bests):.4g}")


def cost(args):
    """ask + suggest + tell over a 5-D mixed space; the cost of the last 10% of trials."""
    study = optuna.create_study(sampler=sampler(args, 1))
    tail = args.n - max(1, args.n // 10)
    t_tail = None
    for i in range(args.n):
        if i == tail:
            t_tail = time.process_time()
        t = study.ask()
        x = t.suggest_float("x", 0.0, 1.0)
        lr = t.suggest_float("lr", 1e-5, 1.0, log=True)
        k = t.suggest_int("k", 1, 50)
        bs = t.suggest_int("batch", 16, 1024, log=True)
        opt = t.suggest_categorical("opt", ["sgd", "momentum", "adam"])
        y = ((x - 0.3) ** 2 + (math.log10(lr) + 3) ** 2 / 16 + (k - 20) ** 2 / 2500
             + (math.log2(bs) - 6) ** 2 / 16 + {"sgd": 0.2, "momentum": 0.1, "adam": 0.0}[opt])
        study.tell(t, y)
    ms = (time.process_time() - t_tail) * 1e3 / (args.n - tail)
    what = "CmaEsSampler" if args.cmaes else "TPESampler"
    print(f"optuna {optuna.__version__} {what} trials={args.n} "
          f"ms_per_ask_tell(last 10%)={ms:.3f}")


def main():
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import warnings
    warnings.simplefilter("ignore")
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--trials", type=int, default=50)
    q.add_argument("--seeds", type=int, default=5)
    q.add_argument("--problem")
    c = sub.add_parser("cost")
    c.add_argument("n", type=int)
    for p in (q, c):
        p.add_argument("--multivariate", action="store_true")
        p.add_argument("--liar", action="store_true")
        p.add_argument("--cmaes", action="store_true")
        p.add_argument("--restart", choices=["ipop", "bipop"])
    args = ap.parse_args()
    quality(args) if args.cmd == "quality" else cost(args)


if __name__ == "__main__":
    main()
