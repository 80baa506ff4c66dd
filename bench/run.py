#!/usr/bin/env python3
"""Runs optimizers x problems x seeds (x batch sizes) and writes one results file.

    bench/run.py --quick                 # a few minutes on 2 cores (a check, 3 seeds)
    bench/run.py --full                  # every problem, 10 seeds, q = 1, 4, 8
    bench/run.py --challenge             # batches of 8, 16 rounds: GP, TPE, auto, Optuna TPE
    bench/run.py --smoke --out DIR       # one problem, one seed, tiny budget (the test)
    bench/run.py --problems branin,hartmann6 --optimizers optuna-tpe,hps-random --seeds 0-4
    bench/run.py --full --shared-start 10   # every optimizer starts from the same 10 trials

Each run asks for `max(budgets)` trials and records the objective value of every
trial, so the 25- and 50-trial results are prefixes of the 100-trial run (grid runs,
whose grid depends on the budget, are made once per budget). The time an optimizer
spends in ask (including the suggest calls, where independent samplers work) and in
tell is measured apart from the objective. A separate timing run with an instant
objective measures each optimizer's cost per trial at --overhead-trials trials.

--shared-start K enqueues the same K configurations (drawn at random from the space, by
a generator seeded with the problem and the seed) in every optimizer's study before its
first ask, so that on a (problem, seed) all optimizers evaluate the same first K trials
and differ only afterwards. They count against the budget: a budget is the number of
evaluations, shared ones included.

Results go to bench/results/<name>.json (see README.md for the format); finished runs
are also appended to <name>.partial.jsonl as they complete, so --resume continues an
interrupted run. bench/report.py turns a results file into tables and a plot.
"""
import os

# One thread per worker process: the runner already keeps every core busy, and BLAS
# thread pools read these once, at import (hence before numpy is imported).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import multiprocessing  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import zlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import optimizers  # noqa: E402
import problems  # noqa: E402
from problems import space as spaces  # noqa: E402

QUICK_PROBLEMS = ["branin", "hartmann6", "mixed_switch", "svm_digits", "logreg_breast_cancer"]
# A quality claim rests on 10 seeds (README.md, "Seeds and intervals"): the presets that make claims
# (full, challenge) run them; quick is a check and smoke a test.
CLAIM_SEEDS = list(range(10))
# The NeurIPS 2020 black-box optimization challenge: 16 rounds of 8 parallel
# suggestions, 128 evaluations.
CHALLENGE_Q, CHALLENGE_ROUNDS = 8, 16
PRESETS = {
    "smoke": {"problems": ["branin"], "seeds": [0], "budgets": [12], "q": [1],
              "optimizers": ["optuna-random", "optuna-tpe", "hps-random", "hps-grid",
                             "hps-sobol"],
              "overhead_trials": [20]},
    "quick": {"problems": QUICK_PROBLEMS, "seeds": [0, 1, 2], "budgets": [25, 50], "q": [1],
              "optimizers": None, "overhead_trials": [100, 1000]},
    "full": {"problems": None, "seeds": CLAIM_SEEDS, "budgets": [25, 50, 100],
             "q": [1, 4, 8], "optimizers": None, "overhead_trials": [100, 1000]},
    "challenge": {"problems": None, "seeds": CLAIM_SEEDS,
                  "budgets": [CHALLENGE_Q * r for r in (4, 8, CHALLENGE_ROUNDS)],
                  "q": [CHALLENGE_Q],
                  "optimizers": ["hps-gp", "hps-tpe", "hps-auto", "optuna-tpe"],
                  "overhead_trials": []},
}
PRESET_PURPOSE = {"smoke": "the test", "quick": "a check, the default",
                  "full": "quality claims",
                  "challenge": "the black-box challenge protocol, quality claims"}
SHARED_START_SEED = 20261207
OVERHEAD_PROBLEM = "overhead_mixed5"


def preset_help(name):
    """--help's line for a preset, made from the preset itself."""
    p = PRESETS[name]

    def listed(values, every=""):
        return every if values is None else ",".join(map(str, values))

    return (f"{PRESET_PURPOSE[name]}: problems {listed(p['problems'], 'all')}; seeds "
            f"{p['seeds'][0]}-{p['seeds'][-1]}; budgets {listed(p['budgets'])}; q "
            f"{listed(p['q'])}; optimizers {listed(p['optimizers'], 'all available')}")


# ---- one run --------------------------------------------------------------------------
def shared_start_configs(problem, seed, k):
    """The k configurations every optimizer starts from on (problem, seed): random
    search's draws (log scales, ints, categoricals and conditions as the space declares
    them) from a generator of their own, so they depend on nothing but the problem's
    name and the seed; the first k of k + 1 are the same k."""
    rng = np.random.default_rng([SHARED_START_SEED, zlib.crc32(problem.name.encode()), seed])
    return [spaces.sample_config(problem.space, rng) for _ in range(k)]


def run_one(task):
    """Runs one optimizer on one problem; returns the record stored in the results."""
    spec = optimizers.get(task["optimizer"])
    problem = problems.get(task["problem"])
    n, q = task["trials"], task["q"]
    record = dict(task)
    values, true_values, best_configs = [], [], []
    ask_s = tell_s = eval_s = 0.0
    ask_cum, tell_cum = [], []
    rounds = 0
    t_start = time.perf_counter()
    try:
        start = shared_start_configs(problem, task["seed"], task.get("shared_start", 0))
        run = spec.start(problem, task["seed"], n, q, start_configs=start)
        exhausted = False
        while len(values) < n and not exhausted:
            t0 = time.perf_counter()
            batch = run.ask_batch(min(q, n - len(values)))
            ask_s += time.perf_counter() - t0
            if len(batch) < min(q, n - len(values)):
                exhausted = True
            if not batch:
                break
            rounds += 1
            results = []
            for trial, config in batch:
                t0 = time.perf_counter()
                value = problem.evaluate(config, task["seed"])
                eval_s += time.perf_counter() - t0
                results.append((trial, value))
                values.append(value)
                true_values.append(problem.true_value(config) if problem.noisy else value)
                best_configs.append(config)
            t0 = time.perf_counter()
            run.tell_batch(results)
            tell_s += time.perf_counter() - t0
            # cost is attributed to the trials of the batch, for the per-budget sums
            for _ in batch:
                ask_cum.append(ask_s)
                tell_cum.append(tell_s)
        record["exhausted"] = exhausted
    except Exception:  # noqa: BLE001 - a crashing optimizer is a result, not a stop
        record["error"] = traceback.format_exc(limit=8)
    record["values"] = [_num(v) for v in values]
    if problem.noisy:
        record["true_values"] = [_num(v) for v in true_values]
    record["n_trials"] = len(values)
    record["rounds"] = rounds  # ask batches, each told only after all its asks
    record["ask_s"] = ask_s
    record["tell_s"] = tell_s
    record["eval_s"] = eval_s
    record["wall_s"] = time.perf_counter() - t_start
    # cumulative optimizer seconds after each budget (so cost per trial can be read at
    # every budget without storing per-trial timings)
    record["overhead_s_at"] = {str(b): ask_cum[b - 1] + tell_cum[b - 1]
                               for b in task["budgets"] if b <= len(ask_cum)}
    best = _incumbent(problem, values)
    if best is not None:
        record["best_config"] = best_configs[best]
        record["best_value"] = _num(true_values[best])
    return record


def _num(v):
    if v is None or not math.isfinite(v):
        return None  # JSON has no inf/nan; None means "failed evaluation"
    return float(f"{v:.10g}")


def _incumbent(problem, values):
    """Index of the best observed value (direction-aware), or None."""
    best, idx = None, None
    for i, v in enumerate(values):
        if v is None or not math.isfinite(v):
            continue
        s = problem.sign() * v
        if best is None or s < best:
            best, idx = s, i
    return idx


# ---- overhead run ---------------------------------------------------------------------
class _OverheadProblem(problems.Problem):
    """Instant objective over a 5-D mixed space (log float, log int, float, categorical,
    log float): what the overhead targets of the issues are quoted for."""

    kind = "overhead"

    def __init__(self):
        super().__init__(OVERHEAD_PROBLEM, [
            spaces.Float("lr", 1e-5, 1.0, log=True),
            spaces.Int("hidden", 8, 512, log=True),
            spaces.Float("dropout", 0.0, 0.8),
            spaces.Categorical("activation", ["relu", "tanh", "gelu"]),
            spaces.Float("weight_decay", 1e-6, 1e-1, log=True),
        ])

    def evaluate(self, config, seed=0):
        act = {"relu": 0.0, "tanh": 0.1, "gelu": 0.05}[config["activation"]]
        return ((math.log10(config["lr"]) + 3) ** 2 + (math.log2(config["hidden"]) - 7) ** 2 / 9
                + (config["dropout"] - 0.2) ** 2 + act
                + 0.1 * (math.log10(config["weight_decay"]) + 4) ** 2)


def overhead_one(task):
    """ask + suggest + tell cost per trial over `trials` trials, instant objective."""
    spec = optimizers.get(task["optimizer"])
    problem = _OverheadProblem()
    n = task["trials"]
    record = dict(task)
    try:
        run = spec.start(problem, 0, n, 1)
        costs = []
        for _ in range(n):
            t0 = time.perf_counter()
            try:
                trial, config = run.ask()
            except optimizers.Exhausted:
                break
            value = problem.evaluate(config)
            t1 = time.perf_counter()
            run.tell(trial, value)
            t2 = time.perf_counter()
            costs.append((t1 - t0) + (t2 - t1))
        tail = costs[len(costs) - max(1, len(costs) // 10):]
        record["n_trials"] = len(costs)
        record["ms_per_trial"] = 1e3 * sum(costs) / max(1, len(costs))
        record["tail_ms_per_trial"] = 1e3 * sum(tail) / max(1, len(tail))
    except Exception:  # noqa: BLE001
        record["error"] = traceback.format_exc(limit=8)
    return record


def _dispatch(task):
    return overhead_one(task) if task["type"] == "overhead" else run_one(task)


# ---- planning ---------------------------------------------------------------------------
def plan(opt_names, prob_names, seeds, budgets, qs, overhead_trials, shared_start=0):
    tasks = []
    longest = max(budgets)
    for q in qs:
        for name in opt_names:
            spec = optimizers.get(name)
            if q > 1 and not spec.adaptive:
                continue  # suggestions ignore results: identical to q = 1
            lengths = budgets if spec.budget_specific else [longest]
            for pname in prob_names:
                for seed in seeds:
                    for n in lengths:
                        tasks.append({"type": "run", "optimizer": name, "problem": pname,
                                      "seed": seed, "q": q, "trials": n,
                                      "per_budget": spec.budget_specific,
                                      "shared_start": shared_start,
                                      "budgets": [b for b in budgets if b <= n]})
    for name in opt_names:
        for n in overhead_trials:
            tasks.append({"type": "overhead", "optimizer": name, "trials": n})
    return tasks


def _task_key(t):
    if t["type"] == "overhead":
        return ("overhead", t["optimizer"], t["trials"])
    return ("run", t["optimizer"], t["problem"], t["seed"], t["q"], t["trials"],
            t.get("shared_start", 0))


def _cost(task):
    """Rough seconds, to start the longest tasks first (better packing on few cores)."""
    model = any(k in task["optimizer"] for k in ("tpe", "gp", "auto"))
    if task["type"] == "overhead":
        return task["trials"] ** 1.3 * (0.02 if model else 0.003) / 10
    p = problems.get(task["problem"])
    per = p.cost + (0.01 if model else 0.002)
    return task["trials"] * per


def parse_seeds(text):
    out = []
    for part in text.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            out.extend(range(int(lo), int(hi) + 1))
        elif part:
            out.append(int(part))
    return out


def machine_info():
    info = {"host": platform.node(), "cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "processor": platform.processor()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return info


def versions():
    out = {}
    for engine in ("optuna", "optuna-newest", "hpsearch"):
        out[engine] = optimizers.engine_version(engine)
    for mod in ("numpy", "scipy", "sklearn", "torch", "cmaes"):
        try:
            out[mod] = __import__(mod).__version__
        except ImportError:
            out[mod] = None
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    for name in PRESETS:
        mode.add_argument(f"--{name}", dest="preset", action="store_const", const=name,
                          help=preset_help(name))
    parser.add_argument("--problems", help="comma-separated names or suites (synthetic, "
                        "mixed, ml, torch, conditional, conditional_heldout, "
                        "conditional_heldout2, conditional_heldout3, synthetic_heldout, "
                        "ml_heldout, torch_heldout, all)")
    parser.add_argument("--optimizers", help="comma-separated names (default: every "
                        "available one; see --list)")
    parser.add_argument("--seeds", help="e.g. 0-4 or 0,3")
    parser.add_argument("--budgets", help="e.g. 25,50,100")
    parser.add_argument("--q", help="batch sizes, e.g. 1,4,8 (asks before any tell)")
    parser.add_argument("--overhead-trials", help="e.g. 100,1000; 0 to skip")
    parser.add_argument("--shared-start", type=int, default=0, metavar="K",
                        help="every optimizer starts from the same K random configurations "
                        "per (problem, seed), counted in the budget (default 0: off)")
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--name", help="results file name (default: the preset's name)")
    parser.add_argument("--out", default=os.path.join(HERE, "results"), help="results folder")
    parser.add_argument("--resume", action="store_true",
                        help="skip runs already in <name>.partial.jsonl")
    parser.add_argument("--list", action="store_true", help="list problems and optimizers")
    args = parser.parse_args(argv)

    if args.list:
        for p in problems.all_problems():
            print(f"problem   {p.name:24s} {p.kind:9s} {len(p.space)} params")
        for name, spec in optimizers.REGISTRY.items():
            ok, why = spec.available()
            print(f"optimizer {name:24s} {'available' if ok else 'unavailable: ' + why}")
        return 0

    preset = dict(PRESETS[args.preset or "quick"])
    prob_names = preset["problems"] or problems.names("all")
    if args.problems:
        prob_names = []
        for part in args.problems.split(","):
            try:
                prob_names.extend(problems.names(part))
            except KeyError:
                problems.get(part)
                prob_names.append(part)
    seeds = parse_seeds(args.seeds) if args.seeds else preset["seeds"]
    budgets = sorted(int(b) for b in args.budgets.split(",")) if args.budgets else preset["budgets"]
    qs = [int(x) for x in args.q.split(",")] if args.q else preset["q"]
    overhead_trials = ([int(x) for x in args.overhead_trials.split(",") if int(x) > 0]
                       if args.overhead_trials else preset["overhead_trials"])
    wanted = args.optimizers.split(",") if args.optimizers else (
        preset["optimizers"] or optimizers.names())
    opt_names, skipped = [], {}
    for name in wanted:
        ok, why = optimizers.get(name).available()
        if ok:
            opt_names.append(name)
        else:
            skipped[name] = why
    for name, why in skipped.items():
        print(f"run.py: skipping {name}: {why}", file=sys.stderr)
    if not opt_names:
        print("run.py: no optimizer available", file=sys.stderr)
        return 2
    if not 0 <= args.shared_start < min(budgets):
        parser.error(f"--shared-start {args.shared_start}: must be at least 0 and smaller "
                     f"than the smallest budget ({min(budgets)}), which it counts against")

    name = args.name or args.preset or "quick"
    os.makedirs(args.out, exist_ok=True)
    final_path = os.path.join(args.out, f"{name}.json")
    partial_path = os.path.join(args.out, f"{name}.partial.jsonl")
    tasks = plan(opt_names, prob_names, seeds, budgets, qs, overhead_trials, args.shared_start)
    done = {}
    planned = {_task_key(t) for t in tasks}
    if args.resume and os.path.exists(partial_path):
        with open(partial_path) as f:
            for line in f:
                if line.strip():
                    rec = json.loads(line)
                    # a run of another plan (another shared start, seed or budget) is
                    # not this file's: it would be reported under this file's settings
                    if _task_key(rec) in planned:
                        done[_task_key(rec)] = rec
    elif os.path.exists(partial_path):
        os.remove(partial_path)
    todo = [t for t in tasks if _task_key(t) not in done]
    todo.sort(key=_cost, reverse=True)
    print(f"run.py: {len(tasks)} runs ({len(todo)} to do) of {len(opt_names)} optimizers on "
          f"{len(prob_names)} problems, seeds {seeds}, budgets {budgets}, q {qs}, "
          f"{args.jobs} jobs", file=sys.stderr)

    started = time.time()
    records = list(done.values())
    with open(partial_path, "a") as partial:
        def take(rec):
            records.append(rec)
            partial.write(json.dumps(rec) + "\n")
            partial.flush()
            if "error" in rec:
                print(f"run.py: {rec['optimizer']} on {rec.get('problem', 'overhead')} "
                      f"failed:\n{rec['error']}", file=sys.stderr)
            n_done = len(records) - len(done)
            if n_done % 50 == 0 or n_done == len(todo):
                print(f"run.py: {n_done}/{len(todo)} runs, {time.time() - started:.0f} s",
                      file=sys.stderr, flush=True)

        if args.jobs <= 1:
            for task in todo:
                take(_dispatch(task))
        else:
            with multiprocessing.Pool(args.jobs, maxtasksperchild=200) as pool:
                for rec in pool.imap_unordered(_dispatch, todo, chunksize=1):
                    take(rec)

    result = {
        "name": name,
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "versions": versions(),
        "settings": {"problems": prob_names, "optimizers": opt_names, "seeds": seeds,
                     "budgets": budgets, "q": qs, "overhead_trials": overhead_trials,
                     "shared_start": args.shared_start,
                     "jobs": args.jobs, "skipped_optimizers": skipped,
                     "command": " ".join([os.path.basename(sys.argv[0])] + (argv or sys.argv[1:]))},
        "optimizers": {n: optimizers.get(n).description for n in opt_names},
        "problems": {n: _problem_info(problems.get(n)) for n in prob_names},
        "wall_s": time.time() - started,
        "runs": sorted((r for r in records if r["type"] == "run"), key=_task_key),
        "overhead": sorted((r for r in records if r["type"] == "overhead"), key=_task_key),
    }
    with open(final_path + ".tmp", "w") as f:
        json.dump(result, f, indent=None, separators=(",", ":"))
    os.replace(final_path + ".tmp", final_path)
    os.remove(partial_path)
    errors = sum(1 for r in records if "error" in r)
    print(f"run.py: wrote {final_path} ({len(records)} runs, {errors} failed) in "
          f"{time.time() - started:.0f} s", file=sys.stderr)
    return 1 if errors else 0


def _problem_info(p):
    return {"kind": p.kind, "direction": p.direction, "optimum": p.optimum,
            "optimum_source": p.optimum_source, "noisy": p.noisy,
            "space": spaces.describe(p.space)}


if __name__ == "__main__":
    sys.exit(main())
