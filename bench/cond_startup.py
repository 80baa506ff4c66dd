"""Which levels of each categorical an optimizer's first K trials take, per problem.

The GP's start-up is Sobol, indexed by trial number and blind to the values, so a dummy
objective (uniform draws) gives the start-up the real runs had; with K at least the
start-up length (the GP's: 2d + 1 in [4, 10]) this says which levels the model starts
without (bench/conditional_heldout3.md, "Branches no trial took").

    HPSEARCH_PYTHONPATH=../build/python /usr/bin/python3 cond_startup.py \
        --suites conditional,conditional_heldout --seeds 0-9 --k 10

Prints, per problem, each categorical with a level missed and the seeds (with how many
levels) that missed it.
"""
import argparse
import random

import optimizers
import problems


def missed_levels(opt, problem, seed, k):
    cats = [p for p in problem.space if type(p).__name__ == "Categorical"]
    study = optimizers.get(opt).start(problem, seed, 50, 1)
    seen = {p.name: set() for p in cats}
    rng = random.Random(seed)
    for _ in range(k):
        trial, config = study.ask()
        for p in cats:
            if p.name in config:
                seen[p.name].add(config[p.name])
        study.tell(trial, rng.random())
    return {p.name: len(p.choices) - len(seen[p.name]) for p in cats
            if len(seen[p.name]) < len(p.choices)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suites", default="conditional,conditional_heldout,"
                                        "conditional_heldout2,conditional_heldout3")
    ap.add_argument("--optimizer", default="hps-auto")
    ap.add_argument("--seeds", default="0-9")
    ap.add_argument("--k", type=int, default=10)
    a = ap.parse_args()
    lo, _, hi = a.seeds.partition("-")
    seeds = range(int(lo), int(hi or lo) + 1)
    for suite in a.suites.split(","):
        for name in problems.names(suite):
            problem = problems.get(name)
            missed = {}
            for seed in seeds:
                for param, count in missed_levels(a.optimizer, problem, seed, a.k).items():
                    missed.setdefault(param, []).append(f"{seed}:{count}")
            text = "; ".join(f"{p} (seed:levels) {' '.join(s)}" for p, s in missed.items())
            print(f"{suite:22} {name:24} {text or 'every level taken'}")


if __name__ == "__main__":
    main()
