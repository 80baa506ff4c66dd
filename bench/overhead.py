#!/usr/bin/env python3
"""Engine overhead per trial, hpsearch beside Optuna, in one run on one machine.

Runs the same loop -- ask, suggest a log-uniform float, an int and a categorical, tell
-- with the random sampler, instant objective, in memory and on an SQLite file, and
prints per-trial CPU time for both engines and their ratio, for the whole run and for
its last 10% (a cost that grows with the study shows there). Then the peak memory of a
100 000-trial study: hpsearch on SQLite beside Optuna in memory.

    bench/overhead.py [--build build] [--quick] [--json bench/results/overhead.json]

--quick uses 1 000 trials only and 10 000 for the memory check (about a minute).
Each measurement runs in its own process, so peak memory is that run's alone."""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure(binary, storage_kind, n, tmp):
    url = ":memory:" if storage_kind == "memory" else "sqlite:" + os.path.join(tmp, f"h{n}.db")
    ours = run_json([binary, url, str(n)])
    url = ":memory:" if storage_kind == "memory" else "sqlite:" + os.path.join(tmp, f"o{n}.db")
    theirs = run_json([PYTHON, os.path.join(HERE, "optuna_overhead.py"), url, str(n)])
    return ours, theirs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()
    binary = os.path.join(args.build, "bench_overhead")
    if not os.path.exists(binary):
        sys.exit(f"{binary} not found: build first (make build)")
    sizes = [1000] if args.quick else [1000, 10000]
    peak_n = 10000 if args.quick else 100000
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("memory", "sqlite"):
            for n in sizes:
                print(f"measuring {kind}, {n} trials ...", file=sys.stderr, flush=True)
                rows.append(measure(binary, kind, n, tmp))
        print(f"measuring peak memory, {peak_n} trials ...", file=sys.stderr, flush=True)
        peak_ours = run_json([binary, "sqlite:" + os.path.join(tmp, "peak.db"), str(peak_n)])
        peak_theirs = run_json([PYTHON, os.path.join(HERE, "optuna_overhead.py"), ":memory:",
                                str(peak_n)])

    print(f"\n## Engine overhead per trial (random sampler, instant objective)\n")
    print(f"{platform.node()}, {os.cpu_count()} cores, {datetime.date.today()}; "
          f"{rows[0][1]['engine']} from Debian\n")
    print("| storage | trials | hpsearch CPU ms/trial | Optuna CPU ms/trial | ratio "
          "| hpsearch last 10% | Optuna last 10% | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for ours, theirs in rows:
        print(f"| {ours['storage']} | {ours['trials']} | {ours['cpu_ms_per_trial']:.4f} "
              f"| {theirs['cpu_ms_per_trial']:.3f} "
              f"| **{theirs['cpu_ms_per_trial'] / ours['cpu_ms_per_trial']:.0f}x** "
              f"| {ours['tail_cpu_ms_per_trial']:.4f} | {theirs['tail_cpu_ms_per_trial']:.3f} "
              f"| {theirs['tail_cpu_ms_per_trial'] / ours['tail_cpu_ms_per_trial']:.0f}x |")
    print(f"\n## Peak memory of a {peak_n}-trial random study\n")
    print("| engine | storage | peak RSS MB |")
    print("|---|---|---:|")
    print(f"| hpsearch | sqlite (whole study read back at the end) | {peak_ours['peak_rss_mb']:.1f} |")
    print(f"| {peak_theirs['engine']} | memory | {peak_theirs['peak_rss_mb']:.1f} |")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"date": str(datetime.date.today()), "rows": rows,
                       "peak": [peak_ours, peak_theirs]}, f, indent=1)


if __name__ == "__main__":
    main()
