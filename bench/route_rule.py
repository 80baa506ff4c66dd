#!/usr/bin/env python3
"""conditional_route.md's decision statistic: per problem the median normalized score
over the seeds, then the mean over the problems, for each side; and the paired
differences (the same problem, seed and budget; per seed the mean over the problems,
then the mean over the seeds ± its standard error).

    bench/route_rule.py --seeds 5-9 --budgets 25,50 \\
        LABEL=FILE[,FILE...]:OPTIMIZER ...     # the first side is the candidate

Scores are bench/report.py's (via paired_scores.scores); a problem counts only when
every side has all the seeds asked for, so the sides are compared on the same runs.
"""
import argparse
import json
import math
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import paired_scores  # noqa: E402


def parse_seeds(text):
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def statistic(sides, seeds, t):
    """The rule's numbers at budget t. sides: [(label, {(problem, budget, seed): score})],
    the candidate first. Returns the problems every side has on every seed (and those
    left out), each side's per-problem medians and their mean, and for each other side
    (label, candidate's mean minus its mean, the paired difference's mean over seeds,
    its standard error)."""
    problems = sorted({p for _, sc in sides for (p, tt, _) in sc if tt == t})
    complete = [p for p in problems
                if all((p, t, s) in sc for _, sc in sides for s in seeds)]
    medians = {label: [statistics.median(sc[(p, t, s)] for s in seeds) for p in complete]
               for label, sc in sides}
    means = {label: statistics.mean(m) if m else math.nan for label, m in medians.items()}
    cand_label, cand = sides[0]
    differences = []
    for label, sc in sides[1:]:
        diff = [statistics.mean(cand[(p, t, s)] - sc[(p, t, s)] for p in complete)
                for s in seeds] if complete else []
        se = statistics.stdev(diff) / math.sqrt(len(diff)) if len(diff) > 1 else math.nan
        differences.append((label, means[cand_label] - means[label],
                            statistics.mean(diff) if diff else math.nan, se))
    return {"problems": complete, "missing": sorted(set(problems) - set(complete)),
            "medians": medians, "means": means, "differences": differences}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sides", nargs="+", help="LABEL=FILE[,FILE...]:OPTIMIZER")
    parser.add_argument("--seeds", required=True)
    parser.add_argument("--budgets", default="25,50")
    parser.add_argument("--calibration",
                        default=os.path.join(HERE, "problems", "calibration.json"))
    args = parser.parse_args()
    seeds = parse_seeds(args.seeds)
    budgets = [int(t) for t in args.budgets.split(",")]
    with open(args.calibration) as f:
        calibration = json.load(f)
    sides = []
    for spec in args.sides:
        label, _, rest = spec.partition("=")
        files, _, optimizer = rest.rpartition(":")
        if not label or not files or not optimizer:
            parser.error(f"{spec!r}: expected LABEL=FILE[,FILE...]:OPTIMIZER")
        sides.append((label, paired_scores.scores(files, optimizer, calibration, budgets)[0]))
    for t in budgets:
        table = statistic(sides, seeds, t)
        print(f"\n{t} trials: {len(table['problems'])} problems, seeds {args.seeds}"
              + (f" (left out, incomplete: {', '.join(table['missing'])})"
                 if table["missing"] else ""))
        print("\n| problem | " + " | ".join(label for label, _ in sides) + " |")
        print("|---|" + "---:|" * len(sides))
        for i, p in enumerate(table["problems"]):
            print(f"| {p} | " + " | ".join(f"{table['medians'][label][i]:.1f}"
                                           for label, _ in sides) + " |")
        print("| **mean of medians** | " + " | ".join(
            f"**{table['means'][label]:.1f}**" for label, _ in sides) + " |")
        for label, rule, paired, se in table["differences"]:
            print(f"\n{sides[0][0]} - {label}: rule {rule:+.1f}; paired "
                  f"{paired:+.1f} ± {se:.1f} (mean over seeds ± SE)")

if __name__ == "__main__":
    main()
