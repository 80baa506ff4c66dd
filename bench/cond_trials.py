"""Re-runs a few conditional_heldout studies and keeps every trial (params and value).

bench/results/cond_heldout*.json store only each run's values and best config, not the
trials' parameters, so the diagnosis in conditional_heldout.md ("Why auto loses the ML
problems") needs runs that keep them. Same drive as run.py's run_one (define-by-run
through optimizers.Study, q = 1, no shared start), one process, one run at a time.

    PYTHONPATH=/work/main/build/python nice /usr/bin/python3 cond_trials.py \
        --problems model_choice_diabetes,svm_wine --optimizers hps-auto,optuna-tpe \
        --seeds 0-4 --trials 50 --out /tmp/cond_trials.jsonl

Writes one JSON line per run: optimizer, problem, seed, and trials [[config, value], ...].
The output is a run artifact: it does not go into git.
"""
import argparse
import json
import math

import optimizers
import problems


def run(opt, prob, seed, n):
    spec = optimizers.get(opt)
    problem = problems.get(prob)
    study = spec.start(problem, seed, n, 1)
    trials = []
    for _ in range(n):
        trial, config = study.ask()
        value = problem.evaluate(config, seed)
        study.tell(trial, value)
        ok = value is not None and math.isfinite(value)
        trials.append([config, float(value) if ok else None])
    return {"optimizer": opt, "problem": prob, "seed": seed, "trials": trials}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", required=True)
    ap.add_argument("--optimizers", required=True)
    ap.add_argument("--seeds", default="0-4")
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    lo, _, hi = a.seeds.partition("-")
    seeds = range(int(lo), int(hi or lo) + 1)
    with open(a.out, "a") as f:
        for prob in a.problems.split(","):
            for seed in seeds:
                for opt in a.optimizers.split(","):
                    f.write(json.dumps(run(opt, prob, seed, a.trials)) + "\n")
                    f.flush()


if __name__ == "__main__":
    main()
