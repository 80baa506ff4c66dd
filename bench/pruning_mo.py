#!/usr/bin/env python3
"""Pruning with two objectives: the hypervolume of the trade-off against epochs consumed.

The PyTorch MLP of examples/pytorch_mlp/train.py on digits (as bench/pruning.py), tuned
over learning rate and hidden size with up to EPOCHS epochs per trial, for two
objectives: validation accuracy (maximized) and the model's parameter count (minimized,
as examples/pytorch_mlp/tune_tradeoff.yaml trades them). Every epoch reports both
values (trial.report([acc, params], epoch)) and asks the pruner; with asha and hyperband
the rungs rank the trials by non-dominated sorting (MOASHA). The sampler is hpsearch's
TPE (MOTPE) with the seed; methods differ by the pruner only.

    bench/pruning_mo.py [--trials 30] [--pruned-trials N] [--seeds 0-4] [--jobs 2]
                        [--methods a,b] [--out bench/results/pruning_mo.json]

--pruned-trials gives the methods that prune more trials than the run without pruning
(default: as many), so that they may spend the epochs they save on more configurations.

Printed per method: the median over seeds of the final hypervolume and of the epochs
consumed; then, per seed, the epochs each pruner needed to reach the final hypervolume
of the run without pruning (within TOLERANCE) as a share of that run's epochs. The bar
(issue 18): at most half. Hypervolume: of the COMPLETE trials' (1 - accuracy,
parameters / PARAMS_SCALE), both minimized, against the reference point (1, 1)."""
import argparse
import json
import math
import multiprocessing
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "build", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "examples", "pytorch_mlp"))

# bench/pruning.py, beside this file
from pruning import _parse_seeds, epochs_to_reach, median  # noqa: E402

EPOCHS = 20
TOLERANCE = 0.002  # of hypervolume, on a scale whose whole square is 1
FEATURES, CLASSES = 64, 10
PARAMS_SCALE = 256 * (FEATURES + CLASSES) + 256 + CLASSES  # the largest model's

METHODS = {
    "none": None,
    "asha": ("SuccessiveHalvingPruner", {"min_resource": 1, "reduction_factor": 3}),
    "hyperband": ("HyperbandPruner", {"min_resource": 1, "max_resource": EPOCHS,
                                      "reduction_factor": 3}),
}


def n_params(hidden):
    return hidden * (FEATURES + CLASSES) + hidden + CLASSES


def hypervolume(points):
    """Exact 2-D hypervolume of minimized points against (1, 1)."""
    inside = sorted(p for p in points if p[0] < 1 and p[1] < 1)
    volume, best_y = 0.0, 1.0
    for x, y in inside:
        if y < best_y:
            volume += (1 - x) * (best_y - y)
            best_y = y
    return volume


def run(method, seed, n_trials):
    import torch
    import hpsearch
    import train
    torch.set_num_threads(1)
    hpsearch.logging.set_verbosity(hpsearch.logging.ERROR)
    spec = METHODS[method]
    pruner = (hpsearch.pruners.NopPruner() if spec is None
              else getattr(hpsearch.pruners, spec[0])(**spec[1]))
    study = hpsearch.create_study(directions=["maximize", "minimize"], pruner=pruner,
                                  sampler=hpsearch.samplers.TPESampler(seed=seed))
    consumed = 0
    history = []  # (epochs consumed, hypervolume of the COMPLETE trials) after each trial

    def objective(trial):
        nonlocal consumed
        lr = trial.suggest_float("lr", 1e-4, 3e-1, log=True)
        hidden = trial.suggest_int("hidden_size", 8, 256, log=True)
        params = n_params(hidden)
        state = {"pruned": False, "acc": 0.0}

        def on_epoch(epoch, acc, loss):
            nonlocal consumed
            consumed += 1
            state["acc"] = acc
            if spec is None:
                return False
            trial.report([acc, params], epoch)
            if trial.should_prune():
                state["pruned"] = True
                return True
            return False

        train.train(lr, hidden, EPOCHS, 0, on_epoch)
        if state["pruned"]:
            raise hpsearch.TrialPruned()
        return state["acc"], params

    start = time.time()
    for _ in range(n_trials):
        study.optimize(objective, n_trials=1)
        points = [(1 - t.values[0], t.values[1] / PARAMS_SCALE) for t in study.trials
                  if t.state.name == "COMPLETE"]
        history.append((consumed, hypervolume(points)))
    pruned = sum(1 for t in study.trials if t.state.name == "PRUNED")
    return {"method": method, "seed": seed, "history": history, "epochs": consumed,
            "hypervolume": history[-1][1], "pruned": pruned, "seconds": time.time() - start}


def _run_star(args):
    return run(*args)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--pruned-trials", type=int, default=None)
    parser.add_argument("--seeds", default="0-4")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--out", default=os.path.join(HERE, "results", "pruning_mo.json"))
    args = parser.parse_args()
    methods = args.methods.split(",")
    if "none" not in methods:
        parser.error("--methods needs 'none': its final hypervolume is the target")
    seeds = _parse_seeds(args.seeds)
    pruned_trials = args.pruned_trials or args.trials
    jobs = [(m, s, args.trials if m == "none" else pruned_trials) for s in seeds for m in methods]
    with multiprocessing.Pool(args.jobs) as pool:
        results = pool.map(_run_star, jobs, chunksize=1)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"trials": args.trials, "pruned_trials": pruned_trials, "epochs": EPOCHS,
                   "runs": results}, f, indent=1)

    by = {(r["method"], r["seed"]): r for r in results}
    print(f"{args.trials} trials without pruning, {pruned_trials} with, of up to {EPOCHS} "
          f"epochs; seeds {args.seeds}; medians over seeds")
    print(f"{'method':<10} {'hypervolume':>11} {'epochs':>7} {'pruned':>7} "
          f"{'epochs to none':>15} {'share':>6}")
    for m in methods:
        runs = [by[(m, s)] for s in seeds]
        reach = [epochs_to_reach(by[(m, s)]["history"], by[("none", s)]["hypervolume"], TOLERANCE)
                 for s in seeds]
        share = [None if r is None else r / by[("none", s)]["epochs"]
                 for r, s in zip(reach, seeds)]
        missed = sum(r is None for r in reach)
        med_share = median(share)
        print(f"{m:<10} {median([r['hypervolume'] for r in runs]):>11.4f} "
              f"{median([r['epochs'] for r in runs]):>7} {median([r['pruned'] for r in runs]):>7} "
              f"{str(median(reach)):>15} "
              f"{'-' if med_share is None else f'{med_share:.2f}':>6}"
              f"{f'  (missed on {missed} seeds)' if missed else ''}")
    print("per seed, epochs to reach the no-pruning run's final hypervolume / its epochs:")
    for s in seeds:
        cells = []
        total = by[("none", s)]["epochs"]
        for m in methods:
            r = epochs_to_reach(by[(m, s)]["history"], by[("none", s)]["hypervolume"], TOLERANCE)
            cells.append(f"{m} " + ("missed" if r is None else f"{r}/{total}"))
        print(f"  seed {s}: " + ", ".join(cells))


if __name__ == "__main__":
    main()
