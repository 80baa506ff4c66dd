#!/usr/bin/env python3
"""What a GP ask costs from Python against the same ask in C, idle and with the other
core busy (issue 23, item 8).

    bench/gp_python.py [--sizes 100,200] [--asks 10] [--repeats 3]
                       [--python-path build/python] [--c-bench build/bench_gp_cost]

The problem is bench_gp_cost's "mixed5": an in-memory study filled with n - 1 random
trials (seed 1) of a 5-parameter mixed space, then the `gp` sampler (seed 1); the cost is
ask + suggestions of the following `asks` trials (the first, cold one left out).

- C: bench_gp_cost with OPENBLAS_NUM_THREADS=1, which is what the hpsearch command ran
  with (it pinned OpenBLAS to one thread before the library did so itself).
- Python: the same study through `import hpsearch` in a process that imported numpy and
  torch first and leaves OpenBLAS's thread count to them (no environment variable), as
  a user's training script does.

Each (size, load) runs C and Python alternately `repeats` times and keeps the median of
the per-ask means. "loaded" runs one busy process beside them for the whole measurement
(the machine has two cores: the other one is taken). Prints wall-clock and CPU ms per ask
(CPU: the whole process, every thread) and the Python / C ratios.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mixed5(trial):
    """bench/gp_cost.c's mixed5, suggestion for suggestion."""
    x = trial.suggest_float("x", 0, 1)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    depth = trial.suggest_int("depth", 0, 10)
    width = trial.suggest_int("width", 1, 256, log=True)
    act = ["relu", "tanh", "gelu"].index(trial.suggest_categorical("act", ["relu", "tanh", "gelu"]))
    l, w = math.log10(lr) + 3, math.log2(width) - 5
    return (x - 0.3) ** 2 + l * l / 4 + w * w / 16 + (depth - 7) ** 2 / 20 + 0.1 * act


def worker(n, asks):
    """The Python side, in its own process: numpy and torch first, as in a user's script."""
    import numpy  # noqa: F401
    import torch  # noqa: F401
    import hpsearch
    hpsearch.logging.set_verbosity(hpsearch.logging.WARNING)
    study = hpsearch.create_study(sampler=hpsearch.samplers.RandomSampler(seed=1))
    study.optimize(mixed5, n_trials=n - 1)
    study.sampler = hpsearch.samplers.GPSampler(seed=1)
    wall, cpu = [], []
    for i in range(asks + 1):
        w0, c0 = time.perf_counter(), time.process_time()
        trial = study.ask()
        value = mixed5(trial)
        w1, c1 = time.perf_counter(), time.process_time()
        study.tell(trial, value)
        if i > 0:  # the first ask is the cold one, left out as in bench_gp_cost's mean
            wall.append((w1 - w0) * 1e3)
            cpu.append((c1 - c0) * 1e3)
    print(json.dumps({"wall": statistics.fmean(wall), "cpu": statistics.fmean(cpu)}))


def run_python(args, n):
    env = dict(os.environ, PYTHONPATH=args.python_path)
    for key in [k for k in env if k.startswith(("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"))]:
        del env[key]
    out = subprocess.run([sys.executable, __file__, "--worker", str(n), str(args.asks)],
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_c(args, n):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([args.c_bench, "--sizes", str(n), "--spaces", "mixed5",
                          "--asks", str(args.asks)], env=env, check=True, capture_output=True,
                         text=True).stdout
    row = [line for line in out.splitlines() if line.startswith("mixed5")][-1]
    cells = row.replace("|", " ").split()
    # space trials asks | cold median mean max (wall) | cold median mean max (CPU) | ...
    return {"wall": float(cells[5]), "cpu": float(cells[9])}


def measure(args, n, loaded):
    busy = None
    if loaded:
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        c_runs, py_runs = [], []
        for _ in range(args.repeats):
            c_runs.append(run_c(args, n))
            py_runs.append(run_python(args, n))
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()

    def median(runs, key):
        return statistics.median(r[key] for r in runs)

    return {k: (median(c_runs, k), median(py_runs, k)) for k in ("wall", "cpu")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,200")
    parser.add_argument("--asks", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--python-path", default=os.path.join(ROOT, "build", "python"))
    parser.add_argument("--c-bench", default=os.path.join(ROOT, "build", "bench_gp_cost"))
    parser.add_argument("--worker", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    print(f"{'trials':>6} {'load':>6} | {'C wall':>7} {'Py wall':>7} {'ratio':>5} | "
          f"{'C CPU':>7} {'Py CPU':>7} {'ratio':>5}   (ms per ask, median of "
          f"{args.repeats} runs of {args.asks} asks)")
    for n in [int(s) for s in args.sizes.split(",")]:
        for loaded in (False, True):
            r = measure(args, n, loaded)
            (cw, pw), (cc, pc) = r["wall"], r["cpu"]
            print(f"{n:6d} {'loaded' if loaded else 'idle':>6} | {cw:7.2f} {pw:7.2f} "
                  f"{pw / cw:5.2f} | {cc:7.2f} {pc:7.2f} {pc / cc:5.2f}", flush=True)


if __name__ == "__main__":
    main()
