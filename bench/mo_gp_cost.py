#!/usr/bin/env python3
"""The GP-based sampler's cost with several objectives: hpsearch's `gp` beside the newest
Optuna's GPSampler, timed in the same process run and interleaved (issue 18's bar: "the
GP-based sampler at least 20x cheaper than the newest Optuna's GP on the same
multi-objective problem").

    PYTHONPATH=/tmp/optuna_new:build/python /usr/bin/python3 bench/mo_gp_cost.py \\
        [--trials 100] [--repeats 2] [--problems zdt1,constr]

/tmp/optuna_new is a copy of Optuna's git HEAD (it has GPSampler with several objectives
and constraints); bench/multiobjective.md says how it was made to run under Debian's
torch 1.13. Both engines run the same loop through their Python APIs, in memory: ask,
suggest the problem's floats, tell its values (instant objectives from
bench/multiobjective.py, so what is timed is the sampler). `constr` passes its two
constraints through `constraints_func` to both samplers. CPU time per trial
(time.process_time, so the other load on the shared machine counts less), per study;
the repeats alternate hpsearch, Optuna, hpsearch, Optuna, ... with the same seeds, so
both see the same machine. Set OMP_NUM_THREADS=1: Optuna's GP uses torch, whose threads
would otherwise add their CPU time on the other core. Also printed: the CPU time of the
last 10 asks of each study (a GP's cost grows with the trials it models)."""
import argparse
import os
import statistics
import sys
import time
import warnings

import numpy as np
import optuna

import hpsearch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from multiobjective import PROBLEMS  # noqa: E402


def make_study(library, problem, seed):
    constraints_func = None
    if PROBLEMS[problem][2] is not None:
        def constraints_func(frozen):
            return frozen.user_attrs["constraints"]
    sampler = library.samplers.GPSampler(seed=seed, constraints_func=constraints_func)
    return library.create_study(directions=["minimize"] * len(PROBLEMS[problem][3]),
                                sampler=sampler)


def cpu_ms(library, problem, trials, seed):
    """(CPU ms per trial over the study, CPU ms per trial of its last 10 trials)."""
    bounds, values_of, constraints_of, _, _ = PROBLEMS[problem]
    study = make_study(library, problem, seed)
    per_trial = []
    for _ in range(trials):
        start = time.process_time()
        trial = study.ask()
        x = np.array([trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)])
        if constraints_of is not None:
            trial.set_user_attr("constraints", [float(c) for c in constraints_of(x)])
        study.tell(trial, [float(v) for v in values_of(x)])
        per_trial.append(time.process_time() - start)
    assert len(study.trials) == trials
    return 1e3 * sum(per_trial) / trials, 1e3 * statistics.mean(per_trial[-10:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--problems", default="zdt1,constr")
    args = ap.parse_args()
    if not hasattr(optuna.samplers, "GPSampler"):
        sys.exit("mo_gp_cost.py: this Optuna has no GPSampler; put the newest on PYTHONPATH")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    hpsearch.logging.set_verbosity(hpsearch.logging.ERROR)
    warnings.simplefilter("ignore")  # experimental and deprecation warnings
    print(f"{args.trials} trials a study, {args.repeats} studies each, interleaved; "
          f"optuna {optuna.__version__}, OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', 'unset')}")
    print()
    print("| problem | sampler | CPU ms per trial (each study) | median | last 10 asks, ms "
          "| Optuna / hpsearch |")
    print("|---|---|---|---:|---:|---:|")
    for problem in args.problems.split(","):
        results = {"hpsearch": [], "optuna": []}
        for seed in range(args.repeats):
            for name, library in (("hpsearch", hpsearch), ("optuna", optuna)):
                results[name].append(cpu_ms(library, problem, args.trials, seed))
                print(f"  {problem} seed {seed} {name}: {results[name][-1][0]:.1f} ms per "
                      f"trial", file=sys.stderr, flush=True)
        median = {n: statistics.median(r[0] for r in rs) for n, rs in results.items()}
        last = {n: statistics.median(r[1] for r in rs) for n, rs in results.items()}
        for name in ("hpsearch", "optuna"):
            label = "hpsearch gp" if name == "hpsearch" else "newest Optuna GPSampler"
            each = ", ".join(f"{r[0]:.1f}" for r in results[name])
            ratio = f"{median['optuna'] / median[name]:.1f}x" if name == "hpsearch" else "1x"
            print(f"| {problem} | {label} | {each} | {median[name]:.1f} | "
                  f"{last[name]:.1f} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
