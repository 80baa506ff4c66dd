"""TPE's cost per ask + suggest + tell, hpsearch beside Optuna in one run, as ratios.

    /usr/bin/python3 bench/tpe_cost.py [--build DIR] [--repeat K] [N ...]

For each N (default 100 and 1000 trials; 5000 adds about 15 minutes of Optuna) it runs
build/bench_tpe_cost (hpsearch's `tpe`: multivariate, constant liar) and
bench/tpe_optuna.py's cost loop with Optuna's TPESampler in the same configuration
(multivariate=True, constant_liar=True) and in its default one, on the same 5-D mixed
space and objective. Each figure is CPU time per trial over the last 10% of the N
trials, the median of K runs (default 3); both sides run single-threaded
(OPENBLAS_NUM_THREADS=1, as the hpsearch command sets for itself).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIGURE = re.compile(r"ms_per_ask_tell\(last 10%\)=([0-9.]+)")


def measure(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    found = FIGURE.findall(out)
    if len(found) != 1:
        sys.exit(f"tpe_cost.py: unexpected output from {' '.join(cmd)}:\n{out}")
    return float(found[0])


def median_of(cmd, env, repeat):
    return statistics.median(measure(cmd, env) for _ in range(repeat))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("sizes", nargs="*", type=int, default=[100, 1000])
    args = ap.parse_args()
    binary = os.path.join(args.build, "bench_tpe_cost")
    if not os.access(binary, os.X_OK):
        sys.exit(f"tpe_cost.py: {binary} not found: build first (make -C build bench_tpe_cost)")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    optuna_cmd = [sys.executable, os.path.join(HERE, "tpe_optuna.py"), "cost"]
    print("| trials | hpsearch tpe (ms) | Optuna mv+liar (ms) | ratio | Optuna default (ms) | ratio |")
    print("|---:|---:|---:|---:|---:|---:|")
    previous = None
    for n in args.sizes:
        hps = median_of([binary, str(n)], env, args.repeat)
        mv = median_of(optuna_cmd + [str(n), "--multivariate", "--liar"], env, args.repeat)
        default = median_of(optuna_cmd + [str(n)], env, args.repeat)
        print(f"| {n} | {hps:.3f} | {mv:.2f} | {mv / hps:.0f}x | {default:.2f} | "
              f"{default / hps:.0f}x |", flush=True)
        if previous is not None:
            growth = (hps / previous[1]) / (n / previous[0])
            print(f"|  | growth vs {previous[0]}: x{hps / previous[1]:.2f} for "
                  f"x{n / previous[0]:g} trials ({growth:.2f} of linear) | | | | |")
        previous = (n, hps)


if __name__ == "__main__":
    main()
