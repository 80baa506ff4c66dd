#!/usr/bin/env python3
"""The verdict of bench/multiobjective.md's "ideal-point floor for three objectives or
more" protocol, from bench/multiobjective.py's --per-seed files (one JSON line a study).

    /usr/bin/python3 bench/mo_floor_verdict.py --without A.jsonl --with B.jsonl \
        [--others C.jsonl ...] [--budgets 50,100]

A holds hps-gp without the floor (the code before), B hps-gp with it, C anything else to
show beside them (Optuna's MOTPE, NSGA-II/III). Prints the median score per problem,
optimizer and budget, then the rule, applied as written before the run:
  - every two-objective study (zdt1, zdt2, constr) scores the same in A and B to the bit
    (and there is at least one);
  - DTLZ2's median rises at every budget;
  - no other problem with three or more objectives drops by more than 2 points at any
    budget.
Keep the floor only if all three hold."""
import argparse
import json
import statistics

TWO_OBJECTIVES = ["zdt1", "zdt2", "constr"]
DECIDING = "dtlz2"
GUARDS = ["dtlz5", "dtlz7", "dtlz2-4"]
TOLERANCE = 2.0


def load(path, label=None):
    """{(optimizer, problem, seed): {budget: score}}; label renames the optimizer."""
    rows = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            rows[label or r["optimizer"], r["problem"], r["seed"]] = r["scores"]
    return rows


def medians(rows, budgets):
    """{(optimizer, problem, budget): median over seeds}."""
    seeds = {}
    for (o, p, s) in rows:
        seeds.setdefault((o, p), []).append(s)
    return {(o, p, b): statistics.median(rows[o, p, s][b] for s in ss)
            for (o, p), ss in seeds.items() for b in budgets}


def verdict(without, with_floor, budgets):
    """(keep, reasons): the rule above on the two runs' per-seed rows."""
    reasons, keep, same = [], True, 0
    for (_, p, s), scores in without.items():
        if p not in TWO_OBJECTIVES:
            continue
        other = with_floor.get(("with", p, s))
        if other != scores:
            keep = False
            reasons.append(f"{p} seed {s} differs: {scores} against {other}")
        else:
            same += 1
    reasons.append(f"two-objective studies scoring the same to the bit: {same}")
    if same == 0:
        keep = False
    a, b = medians(without, budgets), medians(with_floor, budgets)
    for t in budgets:
        gain = b["with", DECIDING, t] - a["without", DECIDING, t]
        if not gain > 0:
            keep = False
        reasons.append(f"{DECIDING} @{t}: {gain:+.1f} ({'rises' if gain > 0 else 'does not rise'})")
        for p in GUARDS:
            if ("without", p, t) not in a or ("with", p, t) not in b:
                keep = False
                reasons.append(f"{p} @{t}: not run")
                continue
            change = b["with", p, t] - a["without", p, t]
            if change < -TOLERANCE:
                keep = False
            reasons.append(f"{p} @{t}: {change:+.1f}"
                           + (" (drops more than 2)" if change < -TOLERANCE else ""))
    return keep, reasons


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--without", required=True)
    ap.add_argument("--with", dest="with_floor", required=True)
    ap.add_argument("--others", nargs="*", default=[])
    ap.add_argument("--budgets", default="50,100")
    args = ap.parse_args()
    budgets = args.budgets.split(",")
    without = load(args.without, "without")
    with_floor = load(args.with_floor, "with")
    everything = {**without, **with_floor}
    for path in args.others:
        everything.update(load(path))
    table = medians(everything, budgets)
    optimizers = ["without", "with"] + sorted({o for (o, _, _) in everything} - {"without", "with"})
    problems = [p for p in [DECIDING] + GUARDS + TWO_OBJECTIVES
                if any((o, p, budgets[0]) in table for o in optimizers)]
    names = {"without": "hps-gp, no floor", "with": "hps-gp, floor for m >= 3"}
    for t in budgets:
        print(f"\n### {t} trials (median score over seeds)\n")
        print("| problem | " + " | ".join(names.get(o, o) for o in optimizers) + " |")
        print("|---|" + "---:|" * len(optimizers))
        for p in problems:
            cells = [f"{table[o, p, t]:.1f}" if (o, p, t) in table else "-" for o in optimizers]
            print(f"| {p} | " + " | ".join(cells) + " |")
    keep, reasons = verdict(without, with_floor, budgets)
    print("\nThe rule:")
    for r in reasons:
        print(f"- {r}")
    print(f"\nVerdict: {'KEEP the floor' if keep else 'do NOT keep the floor'}")


if __name__ == "__main__":
    main()
