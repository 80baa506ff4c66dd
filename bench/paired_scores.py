#!/usr/bin/env python3
"""Mean normalized score of two optimizers per problem and family, and their paired
difference (same problem, seed and budget) with its standard error.

    bench/paired_scores.py A.json[,A2.json...] OPTIMIZER_A B.json[,B2.json...] OPTIMIZER_B
        [--budgets 25,50] [--q 1]

Each side reads one or more results files of bench/run.py (runs of the same optimizer
over several seed ranges are merged); seeds present on only one side are left out.
Scores are bench/report.py's (100 = optimum, 0 = median random search at the budget);
cells are means over the seeds both sides have, and the difference is taken seed by
seed, so that a change of a few points can be told from seed noise. Families: the problem's
kind, with hartmann6 and hartmann6_noisy apart (the functions the comparison is about
in bench/tpe_cmaes.md); the last row of each table is every problem together. With
several budgets a last table gives each family's per-seed sum over them. `--q 8` reads
the runs made with 8 asks per round (the challenge protocol's) instead of q = 1.
"""
import argparse
import json
import math
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import report  # noqa: E402


def scores(paths, optimizer, calibration, budgets, q=1):
    """{(problem, budget, seed): score} and {problem: kind} of `optimizer` in `paths`."""
    out, kinds = {}, {}
    for path in paths.split(","):
        with open(path) as f:
            results = json.load(f)
        scorer = report.Scorer(results, calibration)
        for (opt, run_q), by_problem in report.collect(results, scorer).items():
            if opt != optimizer or run_q != q:
                continue
            for problem, by_seed in by_problem.items():
                kinds[problem] = results["problems"][problem]["kind"]
                sign = scorer.info[problem]["sign"]
                for t in budgets:
                    for seed, runs in by_seed.items():
                        run = report.pick(runs, t)
                        if run is None:
                            continue
                        best = report.at_budget(report.best_curve(run, sign), run, t)
                        score = None if best is None else scorer.score(problem, t, best)
                        if score is not None:
                            out[(problem, t, seed)] = score
    return out, kinds


def family(problem, kinds):
    return "hartmann6*" if problem.startswith("hartmann6") else kinds[problem]


def row(name, a, b):
    d = [y - x for x, y in zip(a, b)]
    se = statistics.stdev(d) / math.sqrt(len(d)) if len(d) > 1 else math.nan
    return (f"| {name} | {statistics.mean(a):.1f} | {statistics.mean(b):.1f} | "
            f"{statistics.mean(d):+.1f} ± {se:.1f} | {len(d)} |")


def seed_means(members):
    """{seed: (A's, B's)} of a group of problems: on each seed the mean over its problems,
    so that the difference's error accounts for seeds, not problems."""
    seeds = sorted(set.intersection(*(set(m) for m in members.values())))
    return {s: (statistics.mean(m[s][0] for m in members.values()),
                statistics.mean(m[s][1] for m in members.values())) for s in seeds}


def print_row(name, by_seed):
    if by_seed:
        pairs = list(by_seed.values())
        print(row(name, [x for x, _ in pairs], [y for _, y in pairs]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a_files")
    parser.add_argument("a_optimizer")
    parser.add_argument("b_files")
    parser.add_argument("b_optimizer")
    parser.add_argument("--budgets", default="25,50")
    parser.add_argument("--q", type=int, default=1,
                        help="asks per round of the runs compared (default 1)")
    parser.add_argument("--calibration",
                        default=os.path.join(HERE, "problems", "calibration.json"))
    args = parser.parse_args()
    budgets = [int(t) for t in args.budgets.split(",")]
    with open(args.calibration) as f:
        calibration = json.load(f)
    a, kinds = scores(args.a_files, args.a_optimizer, calibration, budgets, args.q)
    b, _ = scores(args.b_files, args.b_optimizer, calibration, budgets, args.q)
    groups_by_budget = {}  # budget -> {family or "all problems": {seed: (A, B)}}
    for t in budgets:
        print(f"\n{t} trials\n\n| problem | A: {args.a_optimizer} | B: {args.b_optimizer} | "
              "B - A ± SE | seeds |\n|---|---:|---:|---:|---:|")
        by_family = {}
        for problem in sorted({p for (p, tt, _) in a if tt == t}):
            seeds = sorted(s for (p, tt, s) in a if p == problem and tt == t
                           and (p, tt, s) in b)
            if not seeds:
                continue
            xs = [a[(problem, t, s)] for s in seeds]
            ys = [b[(problem, t, s)] for s in seeds]
            print(row(problem, xs, ys))
            by_family.setdefault(family(problem, kinds), {})[problem] = dict(
                zip(seeds, zip(xs, ys)))
        groups = {f"family {name}": seed_means(members)
                  for name, members in sorted(by_family.items())}
        if len(by_family) > 1:  # the same over every problem of the table
            groups["all problems"] = seed_means(
                {p: m for members in by_family.values() for p, m in members.items()})
        for name, by_seed in groups.items():
            print_row(name, by_seed)
        groups_by_budget[t] = groups
    if len(budgets) > 1:
        print(f"\nsum over {', '.join(map(str, budgets))} trials (per seed)\n\n"
              f"| group | A: {args.a_optimizer} | B: {args.b_optimizer} | B - A ± SE | seeds |"
              "\n|---|---:|---:|---:|---:|")
        names = set.intersection(*(set(g) for g in groups_by_budget.values()))
        for name in [n for n in groups_by_budget[budgets[0]] if n in names]:
            per_budget = [groups_by_budget[t][name] for t in budgets]
            seeds = sorted(set.intersection(*(set(g) for g in per_budget)))
            print_row(name, {s: (sum(g[s][0] for g in per_budget),
                                 sum(g[s][1] for g in per_budget)) for s in seeds})


if __name__ == "__main__":
    main()
