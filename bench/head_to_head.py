"""Two optimizers problem by problem: median normalized scores, wins, ties and losses.

    /usr/bin/python3 bench/head_to_head.py A B RESULTS.json... [--budgets 25,50,100]
                                           [--seeds 0-9] [--tie 0.1]

A and B are optimizer names as in the results files (e.g. hps-gp optuna-tpe); the files
are merged as report.py merges them, so runs of one optimizer may come from several
files (say seeds 0-4 from one run and 5-9 from another). Scores are report.py's: per
seed, then the median over the seeds both optimizers have. A problem counts as a win
for A when its median score is higher by more than --tie points (default 0.1, a
thousandth of the way from random search to the optimum: closer than that, both are at
the same value for any practical purpose, e.g. both at the best-known value or within
rounding of one another), a tie within that, a loss otherwise; problems random search
saturates are left out, as in report.py.
"""
import argparse
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import problems  # noqa: E402
import report  # noqa: E402


def seed_range(text):
    seeds = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds.update(range(int(lo), int(hi) + 1) if hi else [int(lo)])
    return seeds


def scores_of(results, optimizer, seeds, budget, calibration):
    runs = [r for r in results["runs"] if r.get("type", "run") == "run" and r["q"] == 1
            and r["optimizer"] == optimizer and (seeds is None or r["seed"] in seeds)]
    subset = dict(results, runs=runs)
    scorer = report.Scorer(subset, calibration)
    table = report.collect(subset, scorer)
    medians, _ = report.median_scores(table, scorer, budget, list(results["problems"]))
    return medians.get(optimizer, {})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("results", nargs="+")
    ap.add_argument("--budgets", default="25,50,100")
    ap.add_argument("--seeds", help="e.g. 0-9 (default: every seed in the files)")
    ap.add_argument("--tie", type=float, default=0.1,
                    help="score difference counted as a tie (default 0.1 points)")
    args = ap.parse_args()
    results = report.merge([report._load(path) for path in args.results])
    calibration = report._load(problems.CALIBRATION_FILE)
    seeds = seed_range(args.seeds) if args.seeds else None
    for budget in (int(b) for b in args.budgets.split(",")):
        a = scores_of(results, args.a, seeds, budget, calibration)
        b = scores_of(results, args.b, seeds, budget, calibration)
        both = [p for p in a if a[p] is not None and b.get(p) is not None]
        if not both:
            print(f"{budget} trials: no problem scored for both")
            continue
        wins = [p for p in both if a[p] > b[p] + args.tie]
        ties = [p for p in both if abs(a[p] - b[p]) <= args.tie]
        losses = [p for p in both if a[p] < b[p] - args.tie]
        n = len(both)
        print(f"\n## {budget} trials: {args.a} against {args.b}\n")
        print(f"wins {len(wins)}/{n} ({100 * len(wins) / n:.0f}%), ties {len(ties)}, "
              f"losses {len(losses)}; mean score {statistics.mean(a[p] for p in both):.1f} "
              f"against {statistics.mean(b[p] for p in both):.1f}\n")
        print(f"| problem | {args.a} | {args.b} | |")
        print("|---|---:|---:|---|")
        for p in both:
            mark = "win" if p in wins else ("tie" if p in ties else "loss")
            print(f"| {p} | {a[p]:.2f} | {b[p]:.2f} | {mark} |")


if __name__ == "__main__":
    main()
