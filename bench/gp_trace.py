#!/usr/bin/env python3
"""What the newest Optuna's GPSampler (`optuna-gp`) does inside bench/'s harness.

    HPS_BENCH_NEWEST_OPTUNA=/tmp/optuna_new bench/gp_trace.py trace \\
        --problems torch_mlp7_diabetes --seeds 0,1 --trials 50 --out trace.json
    bench/gp_trace.py failures results/mlheld_torch_gp.json optuna-gp
    bench/gp_trace.py bounds trace.json

`trace` runs optuna-gp through the adapter run.py uses (optimizers.get("optuna-gp"),
the same Study, ask and tell), so that its trials are those of a bench run, and records
per trial the configuration, the value, whether the GP's sample_relative produced the
parameters (the model was used) or the independent random sampler did, and anything the
harness would hide: the adapter silences Python warnings around ask/tell and sets
Optuna's logging to ERROR, which would hide a kernel-fit fallback (logged as a warning);
here warnings are recorded and Optuna logs at WARNING. `--fail-as-worst` is a diagnostic,
not the protocol: a failed evaluation (NaN) is told as the worst value seen so far
instead of as a FAIL trial, which every built-in Optuna sampler ignores.

The trace file also holds run.py-shaped "problems" and "runs" (optimizer `optuna-gp`,
or `optuna-gp-fail-as-worst`), so paired_scores.py reads it as a results file.

`failures` reads results files of run.py: per run, how many trials after the start-up
failed, and from which trial on every trial failed (the sampler never left a region of
failures). `bounds` reads a trace: the share of modelled trials whose numeric parameters
sit exactly at a bound of their range, beside the same share for random configurations.

bench/ml_heldout.md ("The GPSampler reference checked") has the findings.
"""
import argparse
import json
import logging
import math
import os
import sys
import types
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import optimizers  # noqa: E402
import problems  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402

STARTUP = 10  # GPSampler's n_startup_trials default: trials before the model is used
STUCK_TAIL = 5  # failures in a row up to the run's end that count as a locked run


def failure_profile(values, startup=STARTUP):
    """(failures after the start-up, index of the first of them or None, index from
    which every trial failed or None) of one run's values (None = failed)."""
    after = [i for i in range(startup, len(values)) if values[i] is None]
    stuck = len(values)
    while stuck > startup and values[stuck - 1] is None:
        stuck -= 1
    return len(after), (after[0] if after else None), (
        stuck if stuck < len(values) else None)


def numeric_at_bound(config, space):
    """(numeric parameters of `space` exactly at a bound of their range, numeric
    parameters)."""
    nums = [p for p in space if p.kind in ("float", "int")]
    return sum(config[p.name] in (p.low, p.high) for p in nums), len(nums)


# ---- trace -----------------------------------------------------------------------------
class _Recorder:
    """Wraps GPSampler's sampling methods and Optuna's log to see what each ask did."""

    def __init__(self, optuna):
        self.relative = None
        self.independent = 0
        self.errors = []
        self.log = []
        gp_class = optuna.samplers.GPSampler
        relative, independent = gp_class.sample_relative, gp_class.sample_independent
        recorder = self

        def sample_relative(sampler, study, trial, search_space):
            try:
                out = relative(sampler, study, trial, search_space)
            except Exception as e:  # noqa: BLE001 - recorded, then raised as before
                recorder.errors.append(f"sample_relative: {e!r}")
                raise
            recorder.relative = out
            return out

        def sample_independent(sampler, study, trial, name, distribution):
            recorder.independent += 1
            return independent(sampler, study, trial, name, distribution)

        gp_class.sample_relative = sample_relative
        gp_class.sample_independent = sample_independent

        class Handler(logging.Handler):
            def emit(self, record):
                recorder.log.append(record.getMessage()[:300])

        self._undo = [lambda: setattr(gp_class, "sample_relative", relative),
                      lambda: setattr(gp_class, "sample_independent", independent)]
        verbosity = optuna.logging.get_verbosity()
        handler = Handler(level=logging.WARNING)
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        logging.getLogger("optuna").addHandler(handler)
        self._undo += [lambda: optuna.logging.set_verbosity(verbosity),
                       lambda: logging.getLogger("optuna").removeHandler(handler)]

    def reset(self):
        self.relative, self.independent = None, 0

    def close(self):
        """Puts back what __init__ wrapped: a later run in this process is a plain one."""
        for undo in self._undo:
            undo()


def trace_run(spec, recorder, problem, seed, trials, fail_as_worst):
    study = spec.start(problem, seed, trials, 1)
    rows = []
    recorder.log.clear()
    recorder.errors.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(trials):
            recorder.reset()
            trial, config = study.ask()
            value = problem.evaluate(config, seed)
            failed = value is None or not math.isfinite(value)
            told = value
            seen = [r["value"] for r in rows if r["value"] is not None]
            if fail_as_worst and failed and seen:
                told = (max if problem.direction == "minimize" else min)(seen)
            study.tell(trial, told)
            rows.append({"trial": i, "config": config,
                         "value": None if failed else float(value),
                         "told": None if told is None or not math.isfinite(told) else told,
                         "modelled": bool(recorder.relative),
                         "independent_params": recorder.independent})
    return {"problem": problem.name, "seed": seed, "fail_as_worst": fail_as_worst,
            "distinct_configs": len({json.dumps(r["config"], sort_keys=True) for r in rows}),
            "modelled_trials": sum(r["modelled"] for r in rows),
            "independent_params_after_startup": sum(r["independent_params"]
                                                    for r in rows[STARTUP:]),
            "warnings": sorted({f"{w.category.__name__}: {w.message}"[:300] for w in caught}),
            "log": sorted(set(recorder.log)), "errors": list(recorder.errors), "rows": rows}


def trace(args):
    spec = optimizers.get("optuna-gp")
    ok, why = spec.available()
    if not ok:
        sys.exit(f"optuna-gp unavailable: {why}")
    optuna = optimizers.engine_module(spec.engine)
    recorder = _Recorder(optuna)
    # The adapter silences warnings around ask/tell; keep its catch_warnings (which
    # restores the filters) but drop its simplefilter("ignore") so they are recorded.
    optimizers.warnings = types.SimpleNamespace(catch_warnings=warnings.catch_warnings,
                                                simplefilter=lambda *a, **k: None)
    out = []
    try:
        for name in args.problems.split(","):
            problem = problems.get(name)
            for seed in (int(s) for s in args.seeds.split(",")):
                record = trace_run(spec, recorder, problem, seed, args.trials,
                                   args.fail_as_worst)
                out.append(record)
                print(json.dumps({k: v for k, v in record.items() if k != "rows"}),
                      flush=True)
    finally:
        optimizers.warnings = warnings
        recorder.close()
    # "problems" and "runs" in run.py's shape, so that paired_scores.py scores a trace
    # as it scores a results file (the optimizer named after what was told)
    name = "optuna-gp-fail-as-worst" if args.fail_as_worst else "optuna-gp"
    names = sorted({t["problem"] for t in out})
    runs = [{"type": "run", "optimizer": name, "problem": t["problem"], "seed": t["seed"],
             "q": 1, "trials": len(t["rows"]), "values": [r["value"] for r in t["rows"]]}
            for t in out]
    with open(args.out, "w") as f:
        json.dump({"optuna": optuna.__version__,
                   "problems": {n: run._problem_info(problems.get(n)) for n in names},
                   "runs": runs, "traces": out}, f, indent=1)


# ---- summaries -------------------------------------------------------------------------
def failures(args):
    calibration = problems.load_calibration()
    total = modelled = runs = with_any = stuck_runs = 0
    for path in args.results.split(","):
        with open(path) as f:
            results = json.load(f)
        scorer = report.Scorer(results, calibration)
        for record in results["runs"]:
            if record.get("optimizer") != args.optimizer or "values" not in record:
                continue
            values = record["values"][:args.trials]
            count, first, stuck = failure_profile(values)
            curve = report.best_curve(record, scorer.info[record["problem"]]["sign"])
            scores = [scorer.score(record["problem"], t, curve[t - 1])
                      for t in (25, 50) if t <= len(curve)]
            where = "" if first is None else f" (first at trial number {first}" + (
                ")" if stuck is None else f", every trial failed from {stuck} on)")
            print(f"{record['problem']:<26} seed {record['seed']}  failures after the start-up "
                  f"{count:2d}{where}  score at 25 / 50: "
                  + " / ".join(f"{s:.1f}" for s in scores))
            total += count
            modelled += max(0, len(values) - STARTUP)
            runs += 1
            with_any += count > 0
            # a last trial that fails is bad luck; five in a row to the end is a lock
            stuck_runs += stuck is not None and len(values) - stuck >= STUCK_TAIL
    print(f"{args.optimizer}: {total} of {modelled} trials after the start-up failed; "
          f"{with_any} of {runs} runs had such a failure, {stuck_runs} ended in "
          f"{STUCK_TAIL} or more failures in a row")


def bounds(args):
    import numpy as np
    with open(args.trace) as f:
        traces = json.load(f)["traces"]
    by_problem = {}
    for t in traces:
        space = problems.get(t["problem"]).space
        for row in t["rows"]:
            if row["modelled"]:
                at, n = numeric_at_bound(row["config"], space)
                acc = by_problem.setdefault(t["problem"], [0, 0, 0])
                acc[0] += at
                acc[1] += n
                acc[2] += 1
    rng = np.random.default_rng(0)
    for name, (at, n, count) in by_problem.items():
        space = problems.get(name).space
        r_at = r_n = 0
        for _ in range(2000):
            a, b = numeric_at_bound({p.name: p.sample(rng) for p in space}, space)
            r_at += a
            r_n += b
        print(f"{name:<26} modelled trials {count:3d}: numeric parameters at a bound "
              f"{100 * at / n:3.0f} %  (random configurations: {100 * r_at / r_n:3.0f} %)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("trace", help="instrumented optuna-gp runs")
    t.add_argument("--problems", required=True)
    t.add_argument("--seeds", default="0")
    t.add_argument("--trials", type=int, default=50)
    t.add_argument("--out", required=True)
    t.add_argument("--fail-as-worst", action="store_true",
                   help="diagnostic: tell a failed evaluation as the worst value seen")
    f = sub.add_parser("failures", help="failures after the start-up in results files")
    f.add_argument("results", help="results file(s) of run.py, comma-separated")
    f.add_argument("optimizer")
    f.add_argument("--trials", type=int, default=50)
    b = sub.add_parser("bounds", help="modelled trials at the bounds, from a trace")
    b.add_argument("trace")
    args = parser.parse_args(argv)
    {"trace": trace, "failures": failures, "bounds": bounds}[args.command](args)


if __name__ == "__main__":
    main()
