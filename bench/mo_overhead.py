#!/usr/bin/env python3
"""Ask + tell overhead per trial with several objectives: hpsearch's nsga2, nsga3 and auto
beside Optuna 3.1's NSGAIISampler, in one run on one machine (the bar of issue 18:
"ask+tell overhead per trial at 100 trials at least 20x below Optuna 3.1's NSGA-II").

    PYTHONPATH=build/python /usr/bin/python3 bench/mo_overhead.py [--trials 100]
        [--repeats 7] [--populations 50,10]

Both engines run the same loop through their Python APIs, in memory: ask, suggest six
floats in [0, 1], tell DTLZ2's three objective values (an instant objective, so what is
timed is the engine). Each configuration runs --repeats studies of --trials trials; the
CPU time per trial (time.process_time, so other load on the machine counts less) is the
median over the repeats. hpsearch's auto runs its TPE (MOTPE) on several objectives, so
Optuna 3.1's multivariate TPESampler is timed too, for context. Populations: Optuna's
default 50 (at 100 trials, two generations) and 10 (ten generations, elite selection at
every tenth trial). hpsearch is measured through its Python binding, which adds its own
cost to the engine's: the ratio is a lower bound of the C engine's."""
import argparse
import math
import statistics
import time

import optuna

import hpsearch

DIMS = 6


def dtlz2(x):
    g = sum((v - 0.5) ** 2 for v in x[2:])
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return ((1 + g) * math.cos(a) * math.cos(b), (1 + g) * math.cos(a) * math.sin(b),
            (1 + g) * math.sin(a))


def make(name, population, seed):
    if name == "optuna-nsga2":
        return optuna, optuna.samplers.NSGAIISampler(population_size=population, seed=seed)
    if name == "optuna-motpe":
        return optuna, optuna.samplers.TPESampler(multivariate=True, seed=seed)
    s = hpsearch.samplers
    if name == "hps-nsga2":
        return hpsearch, s.NSGAIISampler(population_size=population, seed=seed)
    if name == "hps-nsga3":
        return hpsearch, s.NSGAIIISampler(population_size=population, seed=seed)
    return hpsearch, s.AutoSampler(seed=seed)


def cpu_ms_per_trial(name, population, trials, seed):
    library, sampler = make(name, population, seed)
    study = library.create_study(directions=["minimize"] * 3, sampler=sampler)
    start = time.process_time()
    for _ in range(trials):
        trial = study.ask()
        x = [trial.suggest_float(f"x{i}", 0, 1) for i in range(DIMS)]
        study.tell(trial, dtlz2(x))
    elapsed = time.process_time() - start
    assert len(study.trials) == trials
    return elapsed * 1e3 / trials


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--populations", default="50,10")
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    hpsearch.logging.set_verbosity(hpsearch.logging.ERROR)
    import warnings
    warnings.simplefilter("ignore")  # experimental-feature warnings
    names = ["optuna-nsga2", "hps-nsga2", "hps-nsga3", "hps-auto", "optuna-motpe"]
    print(f"DTLZ2, 3 objectives, {DIMS} parameters, {args.trials} trials, median of "
          f"{args.repeats} studies; optuna {optuna.__version__}")
    print()
    print("| population | sampler | CPU ms per trial | Optuna NSGA-II / this |")
    print("|---:|---|---:|---:|")
    for population in (int(p) for p in args.populations.split(",")):
        ms = {}
        for name in names:
            if name in ("hps-auto", "optuna-motpe") and \
                    population != int(args.populations.split(",")[0]):
                continue  # no population
            # interleaved repeats would be fairer on a loaded machine; runs are short
            ms[name] = statistics.median(cpu_ms_per_trial(name, population, args.trials, r)
                                         for r in range(args.repeats))
        for name, v in ms.items():
            label = {"hps-auto": "hps-auto (runs MOTPE)",
                     "optuna-motpe": "optuna-motpe (context)"}.get(name, name)
            pop = "-" if name in ("hps-auto", "optuna-motpe") else str(population)
            print(f"| {pop} | {label} | {v:.3f} | {ms['optuna-nsga2'] / v:.3g}x |", flush=True)


if __name__ == "__main__":
    main()
