"""NSGA-II on ZDT1, hpsearch's nsga2 sampler beside Optuna 3.1's NSGAIISampler.

    PYTHONPATH=build/python /usr/bin/python3 bench/nsga2_zdt1.py [--dims 6] [--trials 400,1000]
                                  [--population 20] [--seeds 5] [--crossovers uniform,sbx]

Both through the same objective (ZDT1 with --dims parameters in [0, 1], two minimized
objectives) with the same population size and crossover (each of --crossovers, by its
class in optuna.samplers.nsgaii and hpsearch.samplers.nsgaii, with its defaults), seeds 0 to
--seeds - 1, and the same measure: the hypervolume of all COMPLETE trials with the
reference point (1.1, 1.1), computed by Optuna's WFG for both. The analytic front's is
0.8767 (1.1 * 1.1 minus the area above f2 = 1 - sqrt(f1) inside the box). Random search
at the same budget is the floor. Prints a markdown table of mean (min to max).
"""
import argparse
import math
import statistics
import warnings

import numpy as np
import optuna

import hpsearch

FRONT_HV = 0.1 + 2.0 / 3.0 + 0.1 * 1.1
CROSSOVERS = {"uniform": "UniformCrossover", "sbx": "SBXCrossover", "vsbx": "VSBXCrossover",
              "blxalpha": "BLXAlphaCrossover", "spx": "SPXCrossover", "undx": "UNDXCrossover"}


def zdt1(dims):
    def objective(trial):
        x = [trial.suggest_float(f"x{i}", 0, 1) for i in range(dims)]
        g = 1 + 9 * sum(x[1:]) / (dims - 1)
        return x[0], g * (1 - math.sqrt(x[0] / g))
    return objective


def hypervolume(study):
    points = np.array([t.values for t in study.trials
                       if t.values is not None and max(t.values) < 1.1])
    if len(points) == 0:
        return 0.0
    return float(optuna._hypervolume.WFG().compute(points, np.array([1.1, 1.1])))


def run(library, sampler, dims, trials):
    study = library.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(zdt1(dims), n_trials=trials)
    return hypervolume(study)


def samplers(crossover, population, seed):
    if crossover == "random":
        return (hpsearch.samplers.RandomSampler(seed=seed),
                optuna.samplers.RandomSampler(seed=seed))
    name = CROSSOVERS[crossover]
    ours = hpsearch.samplers.NSGAIISampler(
        population_size=population, seed=seed,
        crossover=getattr(hpsearch.samplers.nsgaii, name)())
    theirs = optuna.samplers.NSGAIISampler(
        population_size=population, seed=seed,
        crossover=getattr(optuna.samplers.nsgaii, name)())
    return ours, theirs


def summary(values):
    return f"{statistics.mean(values):.3f} ({min(values):.3f} to {max(values):.3f})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dims", type=int, default=6)
    ap.add_argument("--trials", default="400,1000")
    ap.add_argument("--population", type=int, default=20)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--crossovers", default="uniform,sbx",
                    help="of " + ", ".join(CROSSOVERS))
    args = ap.parse_args()
    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
    warnings.simplefilter("ignore", hpsearch.exceptions.ExperimentalWarning)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    hpsearch.logging.set_verbosity(hpsearch.logging.WARNING)
    print(f"ZDT1, {args.dims} parameters, population {args.population}, seeds "
          f"0-{args.seeds - 1}; hypervolume w.r.t. (1.1, 1.1), analytic front {FRONT_HV:.4f}")
    print()
    print("| trials | sampler | hpsearch | Optuna 3.1 |")
    print("|---:|---|---|---|")
    for trials in (int(t) for t in args.trials.split(",")):
        for crossover in ["random"] + args.crossovers.split(","):
            ours, theirs = [], []
            for seed in range(args.seeds):
                mine, other = samplers(crossover, args.population, seed)
                ours.append(run(hpsearch, mine, args.dims, trials))
                theirs.append(run(optuna, other, args.dims, trials))
            name = "random" if crossover == "random" else f"NSGA-II, {crossover}"
            print(f"| {trials} | {name} | {summary(ours)} | {summary(theirs)} |", flush=True)


if __name__ == "__main__":
    main()
