"""Two optimizers problem by problem: median normalized scores, wins, ties and losses.

    /usr/bin/python3 bench/head_to_head.py A B RESULTS.json... [--budgets 25,50,100]
                                           [--seeds 0-9] [--tie 0.1] [--q 1]
                                           [--bootstrap 2000]

A and B are optimizer names as in the results files (e.g. hps-gp optuna-tpe); the files
are merged as report.py merges them, so runs of one optimizer may come from several
files (say seeds 0-4 from one run and 5-9 from another). Scores are report.py's: per
seed, then the median over the seeds both optimizers have. A problem counts as a win
for A when its median score is higher by more than --tie points (default 0.1, a
thousandth of the way from random search to the optimum: closer than that, both are at
the same value for any practical purpose, e.g. both at the best-known value or within
rounding of one another), a tie within that, a loss otherwise; problems random search
saturates are left out, as in report.py. --q picks the batch size whose runs are
compared (default 1; 8 for the runs of run.py --challenge).

--bootstrap N resamples the seeds (with replacement, the same draw for A and B) N times
and prints how the count of wins varies: with 10 or 20 seeds a problem or two near the
tie line can turn either way, and a wins count is only worth as much as that interval.
"""
import argparse
import os
import random
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bootstrap  # noqa: E402
import problems  # noqa: E402
import report  # noqa: E402


def seed_range(text):
    seeds = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds.update(range(int(lo), int(hi) + 1) if hi else [int(lo)])
    return seeds


def scores_of(results, optimizer, seeds, budget, calibration, q=1):
    runs = [r for r in results["runs"] if r.get("type", "run") == "run" and r["q"] == q
            and r["optimizer"] == optimizer and (seeds is None or r["seed"] in seeds)]
    subset = dict(results, runs=runs)
    scorer = report.Scorer(subset, calibration)
    table = report.collect(subset, scorer)
    medians, _ = report.median_scores(table, scorer, budget, list(results["problems"]))
    return medians.get(report.label(optimizer, q), {})


def per_seed_scores(results, optimizer, seeds, budget, calibration, q=1):
    """{problem: {seed: score}} for the seeds given (every seed in the results if None)."""
    if seeds is None:
        seeds = {r["seed"] for r in results["runs"] if r["optimizer"] == optimizer}
    out = {}
    for seed in sorted(seeds):
        for problem, score in scores_of(results, optimizer, {seed}, budget, calibration,
                                        q).items():
            if score is not None:
                out.setdefault(problem, {})[seed] = score
    return out


def classify(a, b, problems_, tie):
    """(wins, ties, losses) of A against B: lists of problems, by median score."""
    wins = [p for p in problems_ if a[p] > b[p] + tie]
    ties = [p for p in problems_ if abs(a[p] - b[p]) <= tie]
    losses = [p for p in problems_ if a[p] < b[p] - tie]
    return wins, ties, losses


def bootstrap_wins(a, b, problems_, tie, resamples, rng):
    """Counts of wins of A over `resamples` resamplings of the seeds both have for every
    problem (no counts when there is no such seed)."""
    seeds = sorted(set.intersection(*(set(a[p]) & set(b[p]) for p in problems_))
                   if problems_ else ())
    if not seeds:
        return [], 0
    counts = []
    for draw in bootstrap.resamples(seeds, resamples, rng):
        med_a = {p: statistics.median(a[p][s] for s in draw) for p in problems_}
        med_b = {p: statistics.median(b[p][s] for s in draw) for p in problems_}
        counts.append(len(classify(med_a, med_b, problems_, tie)[0]))
    return sorted(counts), len(seeds)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("results", nargs="+")
    ap.add_argument("--budgets", default="25,50,100")
    ap.add_argument("--seeds", help="e.g. 0-9 (default: every seed in the files)")
    ap.add_argument("--tie", type=float, default=0.1,
                    help="score difference counted as a tie (default 0.1 points)")
    ap.add_argument("--q", type=int, default=1,
                    help="the batch size whose runs are compared (default 1; 8 for the "
                    "runs of run.py --challenge)")
    ap.add_argument("--bootstrap", type=int, default=0, metavar="N",
                    help="resample the seeds N times and print the spread of the wins count")
    args = ap.parse_args()
    try:
        results = report.merge([report._load(path) for path in args.results])
    except ValueError as e:  # files of different protocols (shared starts)
        ap.error(str(e))
    calibration = report._load(problems.CALIBRATION_FILE)
    seeds = seed_range(args.seeds) if args.seeds else None
    for budget in (int(b) for b in args.budgets.split(",")):
        a = scores_of(results, args.a, seeds, budget, calibration, args.q)
        b = scores_of(results, args.b, seeds, budget, calibration, args.q)
        both = [p for p in a if a[p] is not None and b.get(p) is not None]
        if not both:
            print(f"{budget} trials: no problem scored for both")
            continue
        wins, ties, losses = classify(a, b, both, args.tie)
        n = len(both)
        batches = "" if args.q == 1 else f", q = {args.q}"
        print(f"\n## {budget} trials{batches}: {args.a} against {args.b}\n")
        print(f"wins {len(wins)}/{n} ({100 * len(wins) / n:.0f}%), ties {len(ties)}, "
              f"losses {len(losses)}; mean score {statistics.mean(a[p] for p in both):.1f} "
              f"against {statistics.mean(b[p] for p in both):.1f}\n")
        print(f"| problem | {args.a} | {args.b} | |")
        print("|---|---:|---:|---|")
        for p in both:
            mark = "win" if p in wins else ("tie" if p in ties else "loss")
            print(f"| {p} | {a[p]:.2f} | {b[p]:.2f} | {mark} |")
        if args.bootstrap > 0:
            pa = per_seed_scores(results, args.a, seeds, budget, calibration, args.q)
            pb = per_seed_scores(results, args.b, seeds, budget, calibration, args.q)
            scored = [p for p in both if p in pa and p in pb]
            counts, n_seeds = bootstrap_wins(pa, pb, scored, args.tie, args.bootstrap,
                                             random.Random(bootstrap.RNG_SEED))
            if not counts:
                print("\nbootstrap: no seed scored for both on every problem")
                continue
            lo, mid, hi = (bootstrap.quantile(counts, q) for q in (0.05, 0.5, 0.95))
            at_least = sum(c >= 0.75 * len(scored) for c in counts) / len(counts)
            print(f"\nbootstrap over {n_seeds} seeds ({args.bootstrap} resamples): wins "
                  f"median {mid}/{len(scored)}, 90% interval {lo}-{hi}; "
                  f"wins on at least 75% of problems in {100 * at_least:.0f}% of resamples")


if __name__ == "__main__":
    main()
