"""The hypervolume's cost, hpsearch (src/base/hypervolume.c) beside Optuna 3.1, in one run.

    /usr/bin/python3 bench/hypervolume.py [--build DIR] [--timeout S] [--sizes 100,1000]
                                          [--objectives 2,3,4,5]

On the same fronts -- n points on the unit sphere's positive orthant (DTLZ2's front: all
non-dominated, the hard case), reference point 1.1 in every objective, seed 0 -- it
times one hypervolume and one set of contributions (each point's exclusive
hypervolume, what MOTPE weights its good group by):
  hpsearch  build/bench_hypervolume_cost: hps_hypervolume, hps_hypervolume_contributions;
  Optuna    optuna._hypervolume.WFG().compute (Optuna 3.1's only hypervolume), and the
            contributions as MOTPE computes them: HV(S) - HV(S without p) for each p.
First, correctness: on 96 small random fronts (2 to 5 objectives; 5, 12 and 30 points;
uniform points in the unit cube, dominated ones included, and points on the sphere; 4
seeds each) hpsearch's hypervolume must equal Optuna's WFG to 1e-12 relative, and every
contribution HV(S) - HV(S without p) Optuna's to 1e-12 of HV(S); the script stops at
the first disagreement. Then the cost. Figures are CPU seconds per call: the median of 5 (hpsearch) or 3 (Optuna) timings of
as many calls as fill 0.1 s (0.2 s), or a single call when one takes longer. An Optuna
call that needs more than --timeout CPU seconds (default 60) is stopped and shown as
"> timeout" (a CPU limit, not a wall-clock one, so that a loaded machine does not cut
the measurement short). The hypervolumes of both must agree to 1e-12.
Prints a markdown table (bench/hypervolume.md keeps the last one).
"""
import argparse
import math
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
LINE = re.compile(r"m=(\d+) n=(\d+) hv_ms=([0-9.]+) contrib_ms=([0-9.]+) hv=(\S+)")
REF = 1.1


def sphere_front(n, m, rng):
    x = np.abs(rng.standard_normal((n, m)))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def write_fronts(path, fronts):
    with open(path, "w") as f:
        for points in fronts:
            n, m = points.shape
            f.write(f"{m} {n}\n")
            for row in points:
                f.write(" ".join(float(v).hex() for v in row) + "\n")
            f.write(" ".join(float(REF).hex() for _ in range(m)) + "\n")


def read_fronts(path):
    with open(path) as f:
        words = iter(f.read().split())
    fronts = []
    for m in words:
        m, n = int(m), int(next(words))
        values = [float.fromhex(next(words)) for _ in range((n + 1) * m)]
        fronts.append(np.asarray(values[: n * m]).reshape(n, m))
    return fronts


def uniform_front(n, m, rng):
    return rng.random((n, m))


def check_fronts():
    """The correctness fronts: (m, n, kind, seed) and the points, in a fixed order."""
    cases = []
    for m in (2, 3, 4, 5):
        for n in (5, 12, 30):
            for kind, make in (("uniform", uniform_front), ("sphere", sphere_front)):
                for seed in range(4):
                    points = make(n, m, np.random.default_rng([m, n, seed]))
                    cases.append(((m, n, kind, seed), points))
    return cases


def check_against_optuna(binary, tmp):
    """Compares hpsearch's hypervolumes and contributions with Optuna's on check_fronts."""
    import optuna

    cases = check_fronts()
    path = os.path.join(tmp, "check.txt")
    write_fronts(path, [points for _, points in cases])
    lines = subprocess.run([binary, "--values", path], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    if len(lines) != len(cases):
        sys.exit(f"hypervolume.py: {binary} --values printed {len(lines)} lines, "
                 f"expected {len(cases)}")
    worst_hv = worst_contribution = 0.0
    for (name, points), line in zip(cases, lines):
        hv_word, c_word = line.split()
        ours = float.fromhex(hv_word[len("hv="):])
        our_c = [float.fromhex(w) for w in c_word[len("c="):].split(",")]
        ref = np.full(points.shape[1], REF)
        theirs = optuna._hypervolume.WFG().compute(points, ref)
        keep = ~np.eye(len(points), dtype=bool)
        their_c = [theirs - optuna._hypervolume.WFG().compute(points[keep[i]], ref)
                   for i in range(len(points))]
        hv_error = abs(ours - theirs) / theirs
        c_error = max(abs(a - b) for a, b in zip(our_c, their_c)) / theirs
        if hv_error > 1e-12 or c_error > 1e-12:
            sys.exit(f"hypervolume.py: front {name} disagrees with Optuna: hypervolume "
                     f"{ours!r} vs {theirs!r}, largest contribution error {c_error:.3g} "
                     "of the hypervolume")
        worst_hv = max(worst_hv, hv_error)
        worst_contribution = max(worst_contribution, c_error)
    print(f"Correctness: {len(cases)} random fronts (2-5 objectives, 5-30 points) agree with "
          f"Optuna's WFG: hypervolume to {worst_hv:.2g} relative, contributions to "
          f"{worst_contribution:.2g} of the hypervolume")
    print()


def per_call(fn, budget=0.2, repeat=3):
    """CPU seconds per call: the median of `repeat` timings of as many calls as fill budget."""
    start = time.process_time()
    result = fn()
    once = time.process_time() - start
    if once > budget:
        return once, result
    calls = int(budget / max(once, 1e-7)) + 1
    timings = []
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(calls):
            fn()
        timings.append((time.process_time() - start) / calls)
    return statistics.median(timings), result


def optuna_measure(path, index, what, timeout):
    """Child process: one Optuna figure for front `index`, printed as 'seconds value'; the
    process is killed (SIGXCPU) once the measurement has used `timeout` CPU seconds."""
    import optuna

    used = time.process_time()
    resource.setrlimit(resource.RLIMIT_CPU,
                       (int(math.ceil(used + timeout)), resource.RLIM_INFINITY))

    points = read_fronts(path)[index]
    ref = np.full(points.shape[1], REF)

    def hypervolume():
        return optuna._hypervolume.WFG().compute(points, ref)

    def contributions():
        total = hypervolume()
        keep = ~np.eye(len(points), dtype=bool)
        return [total - optuna._hypervolume.WFG().compute(points[keep[i]], ref)
                for i in range(len(points))]

    seconds, result = per_call(hypervolume if what == "hv" else contributions)
    print(seconds, float(result).hex() if what == "hv" else "-")


def optuna_figure(path, index, what, timeout):
    cmd = [sys.executable, __file__, "--optuna-child", path, str(index), what, repr(timeout)]
    child = subprocess.run(cmd, capture_output=True, text=True)
    if child.returncode == -signal.SIGXCPU:
        return None, None
    if child.returncode != 0:
        sys.exit(f"hypervolume.py: the Optuna measurement failed:\n{child.stderr}")
    out = child.stdout.split()
    return float(out[0]), (float.fromhex(out[1]) if what == "hv" else None)


def cell(ms):
    return f"{ms:.3g}" if ms is not None else "-"


def ratio(theirs, ours, timeout):
    if theirs is None:
        return f"> {timeout * 1e3 / ours:.0f}x"
    return f"{theirs / ours:.0f}x"


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "--optuna-child":
        optuna_measure(sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5]))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--sizes", default="100,1000")
    ap.add_argument("--objectives", default="2,3,4,5")
    args = ap.parse_args()
    binary = os.path.join(args.build, "bench_hypervolume_cost")
    if not os.access(binary, os.X_OK):
        sys.exit(f"hypervolume.py: {binary} not found: build first "
                 "(cmake --build build --target bench_hypervolume_cost)")
    rng = np.random.default_rng(0)
    shapes = [(int(m), int(n)) for m in args.objectives.split(",")
              for n in args.sizes.split(",")]
    fronts = [sphere_front(n, m, rng) for m, n in shapes]
    with tempfile.TemporaryDirectory() as tmp:
        check_against_optuna(binary, tmp)
        path = os.path.join(tmp, "fronts.txt")
        write_fronts(path, fronts)
        ours = subprocess.run([binary, path], check=True, capture_output=True,
                              text=True).stdout.splitlines()
        if len(ours) != len(fronts):
            sys.exit(f"hypervolume.py: unexpected output from {binary}:\n" + "\n".join(ours))
        timeout = args.timeout
        print(f"Optuna {__import__('optuna').__version__}, CPU limit {timeout:g} s per figure; "
              "CPU ms per call")
        print()
        print("| objectives | points | hpsearch HV (ms) | Optuna HV (ms) | ratio | agree | "
              "hpsearch contributions (ms) | Optuna contributions (ms) | ratio |")
        print("|---:|---:|---:|---:|---:|:---:|---:|---:|---:|")
        for index, ((m, n), line) in enumerate(zip(shapes, ours)):
            found = LINE.fullmatch(line)
            if found is None:
                sys.exit(f"hypervolume.py: unexpected line from {binary}: {line}")
            hv_ms, contrib_ms = float(found.group(3)), float(found.group(4))
            our_hv = float.fromhex(found.group(5))
            their_hv_s, their_hv = optuna_figure(path, index, "hv", timeout)
            their_c_s, _ = optuna_figure(path, index, "contrib", timeout)
            agree = "-" if their_hv is None else (
                "yes" if abs(our_hv - their_hv) <= 1e-12 * abs(their_hv) else
                f"NO ({our_hv!r} vs {their_hv!r})")
            their_hv_ms = None if their_hv_s is None else their_hv_s * 1e3
            their_c_ms = None if their_c_s is None else their_c_s * 1e3
            print(f"| {m} | {n} | {cell(hv_ms)} | "
                  f"{cell(their_hv_ms) if their_hv_ms is not None else f'> {timeout:g} s'} | "
                  f"{ratio(their_hv_ms, hv_ms, timeout)} | {agree} | {cell(contrib_ms)} | "
                  f"{cell(their_c_ms) if their_c_ms is not None else f'> {timeout:g} s'} | "
                  f"{ratio(their_c_ms, contrib_ms, timeout)} |", flush=True)


if __name__ == "__main__":
    main()
