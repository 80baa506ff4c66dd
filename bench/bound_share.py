#!/usr/bin/env python3
"""How often an optimizer puts a float parameter on (or near) the edge of its range.

    bench/bound_share.py TRIALS.jsonl [TRIALS2.jsonl ...] [--from 11] [--to 50]

Reads bench/cond_trials.py's output (one run per line, every trial's configuration)
and counts, per problem and pooled, the active float parameter values of trials
--from to --to whose position in the range (in log space for log parameters) is
within 0.1 % of a bound -- conditional_heldout.md's "exactly on a bound" -- and
within 2 %, which a search box shrunk by less than that cannot empty. Integers are left
out: a small range (n_layers 1..3) sits on a bound most of the time by construction.
Used for bench/gp.md's "Proposals on the range bounds".
"""
import argparse
import collections
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import problems  # noqa: E402
from problems.space import Float  # noqa: E402

NEAR = (1e-3, 0.02)


def position(param, value):
    """The value's place in [0, 1] along the parameter's range (log range if log)."""
    if param.log:
        return (math.log(value) - math.log(param.low)) / (math.log(param.high) - math.log(param.low))
    return (value - param.low) / (param.high - param.low)


def count(path, first, last):
    """{problem: [values, within 0.1 %, within 2 %]} over trials first..last."""
    table = collections.defaultdict(lambda: [0] * (1 + len(NEAR)))
    with open(path) as f:
        for line in f:
            run = json.loads(line)
            space = problems.get(run["problem"]).space
            for number, (config, _value) in enumerate(run["trials"], start=1):
                if not first <= number <= last:
                    continue
                for param in space:
                    if not isinstance(param, Float) or config.get(param.name) is None:
                        continue
                    u = position(param, config[param.name])
                    edge = min(u, 1 - u)
                    row = table[run["problem"]]
                    row[0] += 1
                    for k, width in enumerate(NEAR):
                        row[1 + k] += edge <= width
    return dict(table)


def line(name, row):
    cells = "  ".join(f"{n:4d} ({100 * n / row[0]:4.1f} %)" for n in row[1:])
    return f"| {name} | {row[0]} | {cells} |"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--from", dest="first", type=int, default=11)
    ap.add_argument("--to", dest="last", type=int, default=50)
    a = ap.parse_args()
    for path in a.files:
        table = count(path, a.first, a.last)
        print(f"{path}, trials {a.first}-{a.last}: values, within 0.1 % and 2 % of a bound")
        pooled = [0] * (1 + len(NEAR))
        for name, row in sorted(table.items()):
            print(line(name, row))
            pooled = [x + y for x, y in zip(pooled, row)]
        if pooled[0]:
            print(line("pooled", pooled))


if __name__ == "__main__":
    main()
