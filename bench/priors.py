#!/usr/bin/env python3
"""Priors benchmark (issue 19 item 4): trials to the no-prior run's 50-trial best.

The problem is the PyTorch example's trainer (bench/problems/torch_mlp.py: the MLP of
examples/pytorch_mlp/train.py on digits, validation accuracy after 10 epochs, over the
learning rate (log) and the hidden size (int, log)), read from a table: the trainer runs
once per cell of a grid in (log lr, log hidden) and the benchmark looks the table up
at the nearest cell, so a run of hundreds of trials costs milliseconds and every sampler meets
the same deterministic function. The table is bench/results/torch_mlp_table.json, built
on the first run (231 trainings: 2 to 7 minutes on one core, by the machine's load).

For each sampler (hpsearch's tpe and gp; random as the reference) and seed: a run
without a prior for 50 trials, whose best value is the target; then a run with a good
prior (centred on the table's best cell) and one with a misleading prior (centred on a
poor corner of the space), each for up to 75 trials (1.5 x 50), recording the first
trial that reaches the target. The bar: with the good prior at most 25 trials (half),
with the misleading one at most 75 (1.5 x).

    bench/priors.py [--seeds 0-9] [--samplers tpe,gp,random] [--out bench/results/priors.json]

Results: bench/priors.md.
"""
import argparse
import json
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "build", "python"))
sys.path.insert(0, HERE)

TABLE = os.path.join(HERE, "results", "torch_mlp_table.json")
LR_LOW, LR_HIGH = 1e-4, 3e-1
HIDDEN_LOW, HIDDEN_HIGH = 8, 256
N_LR, N_HIDDEN = 21, 11
BUDGET = 50
LIMIT = 75  # 1.5 x BUDGET
TOLERANCE = 1e-9

# Priors in the form of Study.set_prior: scale in decades for these log parameters.
GOOD = None  # filled from the table: its best cell
MISLEADING = {"lr": {"center": 1.5e-4, "scale": 0.5}, "hidden_size": {"center": 10, "scale": 0.3}}


def grid():
    lrs = [math.exp(math.log(LR_LOW) + i * (math.log(LR_HIGH) - math.log(LR_LOW)) / (N_LR - 1))
           for i in range(N_LR)]
    hs = [math.exp(math.log(HIDDEN_LOW) + j * (math.log(HIDDEN_HIGH) - math.log(HIDDEN_LOW))
                   / (N_HIDDEN - 1)) for j in range(N_HIDDEN)]
    return lrs, hs


def build_table():
    from problems.torch_mlp import TorchMLP
    problem = TorchMLP()
    lrs, hs = grid()
    values = []
    start = time.time()
    for lr in lrs:
        row = []
        for h in hs:
            # the trainer takes an int width: the cell's value is the rounded width's
            row.append(problem.evaluate({"lr": lr, "hidden_size": int(round(h))}))
        values.append(row)
        print(f"  table row lr={lr:.3g} done ({time.time() - start:.0f} s)", file=sys.stderr)
    os.makedirs(os.path.dirname(TABLE), exist_ok=True)
    with open(TABLE, "w") as f:
        json.dump({"lr": lrs, "hidden_size": hs, "accuracy": values,
                   "source": "bench/problems/torch_mlp.py, 10 epochs, train seed 0"}, f)


def load_table():
    if not os.path.exists(TABLE):
        print("building the table (once)", file=sys.stderr)
        build_table()
    with open(TABLE) as f:
        return json.load(f)


def lookup(table, lr, hidden):
    """The accuracy of the nearest cell in (log lr, log hidden): every value a sampler
    sees is one the trainer produced (interpolating between the cells of a noisy table
    would make its best value a needle no sampler hits but by luck)."""
    def nearest(x, axis):
        return min(range(len(axis)), key=lambda i: abs(math.log(axis[i]) - math.log(x)))
    return table["accuracy"][nearest(lr, table["lr"])][nearest(hidden, table["hidden_size"])]


def make_sampler(name, seed):
    import hpsearch
    if name == "tpe":
        return hpsearch.samplers.TPESampler(seed=seed)
    if name == "gp":
        return hpsearch.samplers.GPSampler(seed=seed)
    if name == "random":
        return hpsearch.samplers.RandomSampler(seed=seed)
    raise ValueError(name)


def run(table, sampler, seed, priors, n_trials, target=None):
    """Best-so-far after each trial, or the first trial reaching `target`."""
    import hpsearch
    hpsearch.logging.set_verbosity(hpsearch.logging.WARNING)
    study = hpsearch.create_study(direction="maximize", sampler=make_sampler(sampler, seed))
    for name, prior in (priors or {}).items():
        study.set_prior(name, **prior)
    best = -math.inf
    curve = []
    for n in range(1, n_trials + 1):
        trial = study.ask()
        lr = trial.suggest_float("lr", LR_LOW, LR_HIGH, log=True)
        hidden = trial.suggest_int("hidden_size", HIDDEN_LOW, HIDDEN_HIGH, log=True)
        value = lookup(table, lr, hidden)
        study.tell(trial, value)
        best = max(best, value)
        curve.append(best)
        if target is not None and best >= target - TOLERANCE:
            return n, curve
    return None, curve


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0-9")
    parser.add_argument("--samplers", default="tpe,gp,random")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "priors.json"))
    args = parser.parse_args()
    lo, _, hi = args.seeds.partition("-")
    seeds = list(range(int(lo), int(hi or lo) + 1))
    table = load_table()
    acc = table["accuracy"]
    bi, bj = max(((i, j) for i in range(len(acc)) for j in range(len(acc[0]))),
                 key=lambda ij: acc[ij[0]][ij[1]])
    good = {"lr": {"center": table["lr"][bi], "scale": 0.5},
            "hidden_size": {"center": round(table["hidden_size"][bj]), "scale": 0.3}}
    print(f"table best {acc[bi][bj]:.4f} at lr={table['lr'][bi]:.3g} "
          f"hidden={table['hidden_size'][bj]:.0f}; misleading prior at lr=1.5e-4 hidden=10 "
          f"(accuracy there {lookup(table, 1.5e-4, 10):.4f})")
    results = {"budget": BUDGET, "limit": LIMIT, "good": good, "misleading": MISLEADING,
               "runs": []}
    for sampler in args.samplers.split(","):
        for seed in seeds:
            _, curve = run(table, sampler, seed, None, BUDGET)
            target = curve[-1]
            n_good, _ = run(table, sampler, seed, good, LIMIT, target)
            n_bad, _ = run(table, sampler, seed, MISLEADING, LIMIT, target)
            results["runs"].append({"sampler": sampler, "seed": seed, "target": target,
                                    "first_reach_no_prior": next(
                                        i + 1 for i, b in enumerate(curve) if b >= target - TOLERANCE),
                                    "good": n_good, "misleading": n_bad})
            print(f"{sampler:6s} seed {seed}: target {target:.4f}; good prior {n_good}, "
                  f"misleading {n_bad} (limit {LIMIT})", flush=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
    print()
    print("| sampler | seeds | good prior: median trials (max) | within 25 | "
          "misleading: median trials (max) | within 75 |")
    print("|---|---|---|---|---|---|")
    for sampler in args.samplers.split(","):
        runs = [r for r in results["runs"] if r["sampler"] == sampler]

        def summary(key, limit):
            ns = sorted(r[key] if r[key] is not None else math.inf for r in runs)
            med = ns[len(ns) // 2] if len(ns) % 2 else (ns[len(ns) // 2 - 1] + ns[len(ns) // 2]) / 2
            within = sum(n <= limit for n in ns)
            show = lambda x: "never" if x == math.inf else f"{x:g}"
            return f"{show(med)} ({show(ns[-1])})", f"{within}/{len(ns)}"
        g, gw = summary("good", BUDGET // 2)
        b, bw = summary("misleading", LIMIT)
        print(f"| {sampler} | {len(runs)} | {g} | {gw} | {b} | {bw} |")


if __name__ == "__main__":
    main()
