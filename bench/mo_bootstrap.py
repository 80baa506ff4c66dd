#!/usr/bin/env python3
"""Per-family scores with seed-bootstrap intervals from bench/multiobjective.py's
--per-seed files (one JSON line per study).

    /usr/bin/python3 bench/mo_bootstrap.py FILE.jsonl [FILE.jsonl ...] [--budget 50]
        [--optimizers hps-gp,optuna-gp]

Families as in bench/multiobjective.md: the multi-objective set (zdt1, zdt2, dtlz2; the
mean of the per-problem medians over seeds) and the constrained set (constr; its median).
Only the seeds every named optimizer ran on every problem of a family are used, so the
optimizers stay paired; the interval (bench/bootstrap.py: 95 %, percentile, 2000
resamples, one draw of seeds for all optimizers) is printed for each optimizer and for
the difference of the first two."""
import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bootstrap  # noqa: E402

FAMILIES = {"multi-objective set": ["zdt1", "zdt2", "dtlz2"], "constrained set": ["constr"]}


def family_score(scores, optimizer, problems, seeds):
    return statistics.mean(statistics.median(scores[optimizer, p, s] for s in seeds)
                           for p in problems)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--budget", default="50")
    ap.add_argument("--optimizers", default="hps-gp,optuna-gp")
    args = ap.parse_args()
    optimizers = args.optimizers.split(",")
    scores = {}
    for name in args.files:
        with open(name) as f:
            for line in f:
                row = json.loads(line)
                if args.budget in row["scores"]:
                    scores[row["optimizer"], row["problem"], row["seed"]] = \
                        row["scores"][args.budget]
    print(f"{args.budget} trials; mean of per-problem median scores; 95 % seed-bootstrap "
          "intervals")
    print()
    print("| family | seeds | " + " | ".join(optimizers) +
          (f" | {optimizers[0]} - {optimizers[1]} |" if len(optimizers) > 1 else " |"))
    print("|---|---|" + "---:|" * (len(optimizers) + (len(optimizers) > 1)))
    for family, problems in FAMILIES.items():
        seeds = sorted({s for (_, _, s) in scores}
                       & set.intersection(*({s for (o, p, s) in scores if o == opt and
                                             p == prob}
                                            for opt in optimizers for prob in problems)))
        if not seeds:
            print(f"| {family} | none | " + " | ".join("-" for _ in optimizers) + " |")
            continue
        cells = []
        for opt in optimizers:
            value = family_score(scores, opt, problems, seeds)
            low, high = bootstrap.interval(
                seeds, lambda draw, o=opt: family_score(scores, o, problems, draw))
            cells.append(f"{value:.1f} [{low:.1f}, {high:.1f}]")
        if len(optimizers) > 1:
            def diff(draw):
                return (family_score(scores, optimizers[0], problems, draw)
                        - family_score(scores, optimizers[1], problems, draw))
            low, high = bootstrap.interval(seeds, diff)
            cells.append(f"{diff(seeds):+.1f} [{low:+.1f}, {high:+.1f}]")
        print(f"| {family} | {','.join(map(str, seeds))} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
