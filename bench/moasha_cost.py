#!/usr/bin/env python3
"""MOASHA's rung order before and after a change, side by side: runs two builds of
bench/moasha_cost.c one after the other on the same machine and prints each case's CPU
time per rung order and the ratio before / after (bench/moasha_cost.md).

    /usr/bin/python3 bench/moasha_cost.py --before OLD/bench_moasha_cost \\
        --after build/bench_moasha_cost [--sizes 100,1000,5000]

A build of an older commit gets the benchmark by compiling this file against that
commit's library (asha_rung_order's signature is unchanged), as bench/moasha_cost.md
shows."""
import argparse
import subprocess


def measure(binary, sizes):
    out = subprocess.run([binary, *map(str, sizes)], check=True, capture_output=True,
                         text=True).stdout
    rows = {}
    for line in out.splitlines():
        fields = dict(part.split("=", 1) for part in line.split())
        rows[(fields["shape"], int(fields["m"]), int(fields["n"]))] = float(fields["ms"])
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="bench_moasha_cost of the old code")
    parser.add_argument("--after", required=True, help="bench_moasha_cost of the new code")
    parser.add_argument("--sizes", default="100,1000,5000", help="rung sizes, comma-separated")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    before = measure(args.before, sizes)
    after = measure(args.after, sizes)
    print(f"{'shape':8} {'m':>2} {'n':>6} {'before ms':>12} {'after ms':>12} {'before/after':>13}")
    for key in before:
        if key not in after:
            continue
        shape, m, n = key
        b, a = before[key], after[key]
        print(f"{shape:8} {m:>2} {n:>6} {b:>12.4g} {a:>12.4g} {b / a:>13.1f}")


if __name__ == "__main__":
    main()
