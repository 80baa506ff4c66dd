#!/usr/bin/env python3
"""Computes what the normalized score needs and stores it in problems/calibration.json.

For every problem:
  random_median[t-1]  the median over random-search runs of the best value after t
                      trials, t = 1..T_MAX -- score 0 at budget t. Computed from a pool
                      of M uniformly random configurations (the space's own
                      distributions, log-uniform where declared). Noise-free: the best
                      of t draws has median F^-1(1 - 2^(-1/t)), F the pool's empirical
                      distribution, interpolated between order statistics. Noisy:
                      sorting the pool by observed value, the incumbent of t draws is
                      the k-th best with probability ((M-k)/M)^t - ((M-k-1)/M)^t, and
                      R_t is the median of its noise-free value under those
                      probabilities. No run-to-run noise, any budget up to T_MAX.
  best_known          for problems without a known optimum (the ML ones): the best
                      value found by the pool and by a TPE search of --search-trials
                      trials, and later by any benchmark run folded in with
                      --from-results; the configuration and its provenance are stored.

    bench/calibrate.py                       # every problem (about 10 min on 2 cores)
    bench/calibrate.py --problems svm_digits --ml-pool 2000
    bench/calibrate.py --from-results bench/results/full.json   # fold in better values
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import multiprocessing  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import problems  # noqa: E402
from problems import space as spaces  # noqa: E402

T_MAX = 1000
POOL_SEED = 20240611
CHUNK = 250
SYNTHETIC_POOL = 50000
ML_POOL = 1000
TORCH_POOL = 300


def pool_chunk(task):
    """Evaluates configurations [start, start + count) of a problem's random pool."""
    name, chunk_index, count = task
    p = problems.get(name)
    rng = np.random.default_rng([POOL_SEED, chunk_index])
    out = []
    for _ in range(count):
        config = spaces.sample_config(p.space, rng)
        observed = p.evaluate(config, POOL_SEED)
        true = p.true_value(config) if p.noisy else observed
        out.append((observed, true, config))
    return name, chunk_index, out


def tpe_search(task):
    """Best (value, config) of an Optuna TPE run: a cheap way to a good best-known."""
    name, trials = task
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    p = problems.get(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = optuna.create_study(direction=p.direction,
                                    sampler=optuna.samplers.TPESampler(seed=0))
        best = None
        for _ in range(trials):
            trial = study.ask()
            config = spaces.suggest_all(p.space, trial)
            value = p.evaluate(config, 0)
            if math.isfinite(value):
                study.tell(trial, value)
                if best is None or p.sign() * value < p.sign() * best[0]:
                    best = (value, config)
            else:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return name, best, optuna.__version__


def refine(task):
    """Nelder-Mead on the float parameters of `config` (the others fixed), in the unit
    coordinates of each parameter (log where declared): polishes a best-known value
    that random and TPE search only got near."""
    name, config, evals = task
    from scipy.optimize import minimize
    p = problems.get(name)
    floats = [q for q in p.space if q.kind == "float" and q.name in config]
    if not floats:
        return name, None

    def to_unit(q, v):
        if q.log:
            return (math.log(v) - math.log(q.low)) / (math.log(q.high) - math.log(q.low))
        return (v - q.low) / (q.high - q.low)

    best = [p.sign() * p.evaluate(config, 0), dict(config)]

    def f(u):
        c = dict(config)
        for q, x in zip(floats, u):
            c[q.name] = q.from_unit(min(1.0, max(0.0, float(x))))
        v = p.sign() * p.evaluate(c, 0)
        if v < best[0]:
            best[0], best[1] = v, c
        return v if math.isfinite(v) else 1e300

    x0 = [to_unit(q, config[q.name]) for q in floats]
    minimize(f, x0, method="Nelder-Mead",
             options={"maxfev": evals, "initial_simplex": None, "xatol": 1e-4, "fatol": 0})
    return name, (p.sign() * best[0], best[1])


def random_median(observed, true, sign, t_max=T_MAX):
    """Median, over random searches of t trials, of the true value of the incumbent
    (the trial with the best observed value), for t = 1..t_max; values in the problem's
    own direction. `sign` is +1 to minimize, -1 to maximize."""
    obs = sign * np.asarray(observed, dtype=float)
    tru = sign * np.asarray(true, dtype=float)
    obs = np.where(np.isfinite(obs), obs, np.inf)  # failed evaluations rank last
    tru = np.where(np.isfinite(tru), tru, np.inf)
    m = len(obs)
    if np.array_equal(obs, tru):
        # Noise-free: the best of t draws is below v with probability 1 - (1 - F(v))^t,
        # so its median is F's quantile at 1 - 2^(-1/t). Interpolating between the
        # pool's order statistics keeps R_t smooth in t even for a pool of 1 000 (the
        # weighted median below would step from one order statistic to the next).
        srt = np.sort(obs)
        out = []
        for t in range(1, t_max + 1):
            pos = (1.0 - 0.5 ** (1.0 / t)) * (m - 1)
            lo = int(math.floor(pos))
            frac = pos - lo
            v = srt[lo] if frac == 0 or lo + 1 >= m else srt[lo] + frac * (srt[lo + 1] - srt[lo])
            out.append(float(sign * v))
        return out
    order = np.argsort(obs, kind="stable")
    tru_sorted = tru[order]
    k = np.arange(m)
    by_true = np.argsort(tru_sorted, kind="stable")
    out = []
    for t in range(1, t_max + 1):
        # P(incumbent is the k-th best observed) for t draws with replacement
        w = ((m - k) / m) ** t - ((m - k - 1) / m) ** t
        cum = np.cumsum(w[by_true])
        idx = int(np.searchsorted(cum, 0.5 - 1e-12))
        out.append(float(sign * tru_sorted[by_true[min(idx, m - 1)]]))
    return out


def refine_stored(names, args):
    cal = load()
    tasks = [(n, cal["problems"][n]["best_known_config"], args.refine_evals) for n in names
             if "best_known_config" in cal["problems"].get(n, {})]
    with multiprocessing.Pool(args.jobs) as workers:
        for name, found in workers.imap_unordered(refine, tasks):
            p, entry = problems.get(name), cal["problems"][name]
            old = entry["best_known"]
            if found is not None and p.sign() * found[0] < p.sign() * old:
                entry["best_known"], entry["best_known_config"] = found
                entry["best_known_source"] += (
                    f"; refined by Nelder-Mead over its float parameters "
                    f"({args.refine_evals} evaluations), {datetime.date.today().isoformat()}")
            print(f"calibrate.py: {name:24s} best {old:.6g} -> {entry['best_known']:.6g}")
    save(cal)


def _pool_size(p, args):
    if p.kind in ("synthetic", "mixed"):
        return args.pool
    return args.torch_pool if p.kind == "torch" else args.ml_pool


def _objective(p):
    """What identifies an ML objective: a stored best-known value is kept only while
    this is unchanged."""
    return getattr(p, "description", p.name)


def load():
    return problems.load_calibration() or {"problems": {}}


def save(cal):
    cal["t_max"] = T_MAX
    with open(problems.CALIBRATION_FILE + ".tmp", "w") as f:
        json.dump(cal, f, indent=1, sort_keys=True)
    os.replace(problems.CALIBRATION_FILE + ".tmp", problems.CALIBRATION_FILE)


def fold_in_results(path):
    """Updates best_known with better values benchmark runs found (ML problems)."""
    cal = load()
    with open(path) as f:
        results = json.load(f)
    changed = set()
    for rec in results["runs"]:
        name = rec["problem"]
        entry = cal["problems"].get(name)
        p = problems.get(name)
        if entry is None or rec.get("best_value") is None or p.kind not in ("ml", "torch"):
            continue
        if entry.get("objective") != _objective(p):
            continue
        # results keep 10 significant digits: smaller differences are rounding
        margin = 1e-9 * max(abs(entry["best_known"]), 1e-300)
        if p.sign() * rec["best_value"] < p.sign() * entry["best_known"] - margin:
            entry["best_known"] = rec["best_value"]
            entry["best_known_config"] = rec["best_config"]
            entry["best_known_source"] = (
                f"found by {rec['optimizer']} (seed {rec['seed']}, q {rec['q']}) in "
                f"benchmark run {os.path.basename(path)} of {results['date']}")
            changed.add(name)
    save(cal)
    print(f"calibrate.py: best-known values improved from {path}: "
          f"{', '.join(sorted(changed)) or 'none'}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", help="comma-separated names (default: all)")
    parser.add_argument("--pool", type=int, default=SYNTHETIC_POOL,
                        help="random pool size for synthetic and mixed problems")
    parser.add_argument("--ml-pool", type=int, default=ML_POOL)
    parser.add_argument("--torch-pool", type=int, default=TORCH_POOL)
    parser.add_argument("--search-trials", type=int, default=200,
                        help="TPE trials spent looking for ML best-known values")
    parser.add_argument("--refine-evals", type=int, default=150,
                        help="Nelder-Mead evaluations polishing each ML best-known value")
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--from-results", help="fold better values from a results file in")
    parser.add_argument("--refine-only", action="store_true",
                        help="only polish the stored ML best-known values (no pools)")
    args = parser.parse_args(argv)
    if args.from_results:
        fold_in_results(args.from_results)
        return 0

    names = args.problems.split(",") if args.problems else problems.names("all")
    if args.refine_only:
        refine_stored(names, args)
        return 0
    pool_tasks, search_tasks = [], []
    for name in names:
        p = problems.get(name)
        size = _pool_size(p, args)
        for c in range(0, (size + CHUNK - 1) // CHUNK):
            pool_tasks.append((name, c, min(CHUNK, size - c * CHUNK)))
        if p.kind in ("ml", "torch") and args.search_trials > 0:
            search_tasks.append((name, args.search_trials))
    pool_tasks.sort(key=lambda t: -problems.get(t[0]).cost * t[2])
    pools = {n: {} for n in names}
    searched = {}
    with multiprocessing.Pool(args.jobs) as workers:
        pending_search = workers.map_async(tpe_search, search_tasks, chunksize=1)
        for name, c, out in workers.imap_unordered(pool_chunk, pool_tasks, chunksize=1):
            pools[name][c] = out
        for name, best, version in pending_search.get():
            searched[name] = (best, version)

    cal = load()
    today = datetime.date.today().isoformat()
    entries = {}
    for name in names:
        p = problems.get(name)
        rows = [row for c in sorted(pools[name]) for row in pools[name][c]]
        observed = [r[0] for r in rows]
        true = [r[1] for r in rows]
        finite = [(p.sign() * v, i) for i, v in enumerate(true) if math.isfinite(v)]
        best_i = min(finite)[1]
        entry = {
            "pool_size": len(rows), "pool_seed": POOL_SEED, "date": today,
            "pool_best": true[best_i], "pool_failed": len(rows) - len(finite),
            "random_median": [float(f"{v:.10g}") for v in random_median(observed, true, p.sign())],
        }
        if p.kind in ("ml", "torch"):
            # small pools of costly evaluations are kept, so the baseline can be
            # recomputed (another estimator, more draws) without evaluating again
            entry["pool_values"] = sorted(float(f"{v:.10g}") for v in observed
                                          if math.isfinite(v))
        if p.kind in ("ml", "torch"):
            best, config = true[best_i], rows[best_i][2]
            source = f"best of {len(rows)} uniformly random configurations (seed {POOL_SEED})"
            old = cal["problems"].get(name, {})
            if old.get("objective") != _objective(p):
                old = {}  # the objective changed since: its old best means nothing
            if name in searched and searched[name][0] is not None:
                value, cfg = searched[name][0]
                if p.sign() * value < p.sign() * best:
                    best, config = value, cfg
                    source = (f"best of an Optuna {searched[name][1]} TPE search "
                              f"({args.search_trials} trials, seed 0)")
            if old.get("best_known") is not None and p.sign() * old["best_known"] < p.sign() * best:
                best, config, source = old["best_known"], old["best_known_config"], old["best_known_source"]
            entry.update({"objective": _objective(p), "best_known": best,
                          "best_known_config": config,
                          "best_known_source": f"{source}; bench/calibrate.py, {today}"})
        else:
            if p.sign() * entry["pool_best"] < p.sign() * p.optimum - 1e-9:
                raise SystemExit(f"{name}: random pool found {entry['pool_best']}, better "
                                 f"than the stated optimum {p.optimum}")
            entry.update({"best_known": p.optimum, "best_known_source": p.optimum_source})
        entries[name] = entry
    refine_tasks = [(n, e["best_known_config"], args.refine_evals) for n, e in entries.items()
                    if "best_known_config" in e and args.refine_evals > 0]
    if refine_tasks:
        with multiprocessing.Pool(args.jobs) as workers:
            for name, found in workers.imap_unordered(refine, refine_tasks):
                p, entry = problems.get(name), entries[name]
                if found is not None and p.sign() * found[0] < p.sign() * entry["best_known"]:
                    entry["best_known"], entry["best_known_config"] = found
                    entry["best_known_source"] = entry["best_known_source"].replace(
                        "; bench/calibrate.py", f", refined by Nelder-Mead over its float "
                        f"parameters ({args.refine_evals} evaluations); bench/calibrate.py")
    for name in names:
        entry = entries[name]
        cal["problems"][name] = entry
        print(f"calibrate.py: {name:24s} pool {entry['pool_size']:6d}  best {entry['best_known']:.6g}  "
              f"random median @25 {entry['random_median'][24]:.6g} @100 "
              f"{entry['random_median'][99]:.6g}")
    save(cal)
    return 0


if __name__ == "__main__":
    sys.exit(main())
