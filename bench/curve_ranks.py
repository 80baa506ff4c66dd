#!/usr/bin/env python3
"""Do a pruning problem's learning curves cross? Calibration, before any scheduler runs.

Trains N random configurations of a problem of bench/pruning_problems.py for its full
budget, keeps every epoch's validation accuracy, and prints for k = 1, 2, 4, 8 (and
the first rungs of successive halving, 1 and 3) the Spearman rank correlation of the
epoch-k accuracy with the final one, and how many of the final top 10 were outside the
top third at epoch k -- what successive halving with reduction factor 3 would have cut
there. Curves that do not cross give correlations near 1 and no top-10 configuration
cut; stopping by rank is then right and pausing trials buys nothing.

    bench/curve_ranks.py --problem digits-sgd [--configs 60] [--seed 0] [--jobs 2]
                         [--out bench/results/curve_ranks_digits-sgd_seed0.json]
    bench/curve_ranks.py --pool FILE [FILE ...]   (the same table over the curves of
                                                    several such files together)
"""
import argparse
import json
import math
import multiprocessing
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "examples", "pytorch_mlp"))

import pruning_problems  # noqa: E402
from pruning_mo_rungs import spearman  # noqa: E402

EPOCHS_K = (1, 2, 3, 4, 8)
TOP = 10


def cut_from_top(early, final, top=TOP, keep=1 / 3):
    """How many of the `top` configurations with the best final values (higher is
    better; ties broken by position) were not in the best `keep` share at the early
    epoch -- those with at least floor(len * keep) configurations strictly better
    there, which successive halving keeping that share would have stopped."""
    if len(early) != len(final):
        raise ValueError(f"cut_from_top: {len(early)} early and {len(final)} final values")
    n = len(final)
    best = sorted(range(n), key=lambda i: (-final[i], i))[:top]
    kept = int(n * keep)
    return sum(1 for i in best if sum(v > early[i] for v in early) >= kept)


def _curve(args):
    """One configuration trained to the end: its validation accuracy at every epoch."""
    import torch
    torch.set_num_threads(1)
    name, config = args
    problem = pruning_problems.get(name)
    curve = []

    def record(epoch, acc, loss):
        curve.append(acc)
        return False  # to the end

    problem.train(config, record)
    return curve


def summarize(curves, epochs_k=EPOCHS_K, top=TOP):
    """Per k: the rank correlation of the epoch-k values with the final ones (None when
    either is constant) and how many of the final top `top` a keep-a-third cut at
    epoch k would have stopped. Epochs beyond the shortest curve are left out."""
    final = [c[-1] for c in curves]
    out = []
    for k in (k for k in epochs_k if k <= min(len(c) for c in curves)):
        early = [c[k - 1] for c in curves]
        rho = spearman(early, final)
        out.append({"epoch": k, "spearman": None if math.isnan(rho) else rho,
                    "top_cut": cut_from_top(early, final, top)})
    return out


def print_table(rows):
    print(f"| epoch k | Spearman(epoch k, final) | final top {TOP} outside the top third "
          "at epoch k |")
    print("|---:|---:|---:|")
    for r in rows:
        rho = "-" if r["spearman"] is None else f"{r['spearman']:.2f}"
        print(f"| {r['epoch']} | {rho} | {r['top_cut']} |")


def pooled_table(paths):
    """The table over the curves of several calibration files of one problem."""
    curves, problems = [], set()
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        curves += data["curves"]
        problems.add(data["problem"])
    if len(problems) != 1:
        raise SystemExit(f"--pool: files of different problems {sorted(problems)}")
    print(f"## {problems.pop()}: {len(curves)} configurations from {len(paths)} files\n")
    print_table(summarize(curves))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", default="digits-sgd", choices=sorted(pruning_problems.PROBLEMS))
    parser.add_argument("--configs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out")
    parser.add_argument("--pool", nargs="+", metavar="FILE",
                        help="print the table over these calibration files' curves")
    args = parser.parse_args()
    if args.pool:
        pooled_table(args.pool)
        return
    if args.configs < TOP:
        parser.error(f"--configs must be at least {TOP}")
    import numpy as np
    problem = pruning_problems.get(args.problem)
    rng = np.random.default_rng(args.seed)
    configs = [problem.draw(rng) for _ in range(args.configs)]
    start = time.time()
    with multiprocessing.Pool(args.jobs) as pool:
        curves = pool.map(_curve, [(args.problem, c) for c in configs])
    seconds = time.time() - start
    rows = summarize(curves)
    final = sorted((c[-1] for c in curves), reverse=True)
    print(f"## {problem.description}: {args.configs} random configurations (seed "
          f"{args.seed}), {problem.epochs} epochs, {seconds:.0f} s\n")
    print(f"final accuracy: best {final[0]:.4f}, 10th {final[TOP - 1]:.4f}, median "
          f"{final[len(final) // 2]:.4f}\n")
    print_table(rows)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"problem": args.problem, "seed": args.seed, "configs": configs,
                       "curves": curves, "summary": rows, "seconds": seconds}, f,
                      separators=(",", ":"))
            f.write("\n")


if __name__ == "__main__":
    main()
