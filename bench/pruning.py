#!/usr/bin/env python3
"""Pruning benchmark: best validation accuracy against epochs consumed.

The PyTorch MLP of examples/pytorch_mlp/train.py on digits, tuned over learning rate and
hidden size with up to 20 epochs per trial (--problem digits-adam, the default), or
its sibling trained by SGD with momentum over seven parameters for 30 epochs
(--problem digits-sgd; bench/pruning_problems.py); every epoch reports its validation
accuracy and asks the pruner whether to stop. For each pruner (none, hpsearch's median,
percentile, asha, hyperband, threshold, patient, forecast, auto; Optuna's Median, SuccessiveHalving and
Hyperband; and the schedulers that pause and resume trials, asha's promotion form and
forecast's freeze-thaw, driven by an ask-and-tell loop with checkpoints), with the engine's own TPE sampler -- and for hpsearch also with its default
sampler (AutoSampler, the methods named "... auto") -- it records after every trial the
epochs consumed so far and the best accuracy of a COMPLETE trial. Same machine, same run.

    bench/pruning.py [--problem digits-adam] [--trials 40] [--seeds 0-9]
                     [--methods a,b,...] [--shared-start N] [--jobs 2]
                     [--reuse EARLIER.json] [--out bench/results/pruning.json]

Printed: per method, the median over seeds of the final best accuracy, the total epochs,
and the epochs needed to reach the target accuracy -- the accuracy both engines' runs
without pruning end with (the lower of the two finals, per seed, within 0.005) -- and
that as a share of the epochs its engine's no-pruning run consumed; then, seed by seed,
each hpsearch pruner against Optuna's best one, with a sign test. --shared-start N
begins every study of a seed with the same N random configurations in both engines,
so that the luck of the first trials is shared (bench/pruning.md). Last, the pausing
schedulers against ASHA (--against): the epochs each needs until a COMPLETE trial
reaches ASHA's final accuracy, as a share of the epochs ASHA took (issue 20's bar)."""
import argparse
import contextlib
import io
import json
import math
import multiprocessing
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "build", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "examples", "pytorch_mlp"))
sys.path.insert(1, HERE)

import pruning_problems  # noqa: E402

EPOCHS = pruning_problems.DigitsAdam.epochs  # the default problem's budget
TOLERANCE = 0.005


def methods_for(epochs):
    """The methods, (name, engine, pruner spec), for a problem of `epochs` epochs (the
    budget Hyperband, ASHA's promotion form and the forecast are told)."""
    return [
        ("hps-none", "hpsearch", None),
        ("hps-median", "hpsearch", ("MedianPruner", {"n_startup_trials": 5, "n_warmup_steps": 2})),
        ("hps-percentile", "hpsearch", ("PercentilePruner", {"percentile": 33.0, "n_startup_trials": 5,
                                                              "n_warmup_steps": 2})),
        ("hps-asha", "hpsearch", ("SuccessiveHalvingPruner", {"min_resource": 1, "reduction_factor": 3})),
        ("hps-hyperband", "hpsearch", ("HyperbandPruner", {"min_resource": 1, "max_resource": epochs,
                                                            "reduction_factor": 3})),
        ("hps-threshold", "hpsearch", ("ThresholdPruner", {"lower": 0.5, "n_warmup_steps": 2})),
        ("hps-patient", "hpsearch", ("PatientPruner", {"patience": 3, "min_delta": 0.002})),
        # the same pruners with hpsearch's default sampler (AutoSampler: Sobol, then the GP)
        ("hps-none auto", "hpsearch", None),
        ("hps-median auto", "hpsearch", ("MedianPruner", {"n_startup_trials": 5, "n_warmup_steps": 2})),
        ("hps-asha auto", "hpsearch", ("SuccessiveHalvingPruner", {"min_resource": 1,
                                                                  "reduction_factor": 3})),
        ("hps-hyperband auto", "hpsearch", ("HyperbandPruner", {"min_resource": 1,
                                                                "max_resource": epochs,
                                                                "reduction_factor": 3})),
        # the learning-curve forecast (bench/pruning.md), told the budget
        ("hps-forecast auto", "hpsearch", ("ForecastPruner", {"max_step": epochs})),
        # pruner: auto with successive halving (asha or forecast), with the default
        # sampler: hpsearch's defaults until 2026-12-07 (the results files before then)
        ("hps-auto auto", "hpsearch", ("AutoPruner", {"max_step": epochs, "stopping": "asha"})),
        # the same with Hyperband's brackets in successive halving's place (issue 20):
        # hpsearch's defaults since (bench/pruning.md, "pruner: auto with Hyperband")
        ("hps-auto-hb auto", "hpsearch", ("AutoPruner", {"max_step": epochs,
                                                         "stopping": "hyperband"})),
        # the schedulers that pause and resume trials (run_sliced; bench/pruning.md,
        # "Freeze-thaw against ASHA"): ASHA's promotion form and the forecast's freeze-thaw
        ("hps-asha-promotion auto", "hpsearch", ("SuccessiveHalvingPruner", {
            "min_resource": 1, "reduction_factor": 3, "mode": "promotion", "max_resource": epochs})),
        # freeze-thaw with a one-epoch first slice (bench/pruning.md, second protocol)
        ("hps-freeze-thaw-first1 auto", "hpsearch", ("ForecastPruner", {
            "max_step": epochs, "mode": "freeze-thaw", "first_slice_steps": 1})),
        # and with a new trial priced by the better half of the final values (third protocol)
        ("hps-freeze-thaw-first1-upper auto", "hpsearch", ("ForecastPruner", {
            "max_step": epochs, "mode": "freeze-thaw", "first_slice_steps": 1,
            "new_trial_estimate": "upper-half"})),
        ("hps-freeze-thaw auto", "hpsearch", ("ForecastPruner", {"max_step": epochs,
                                                                "mode": "freeze-thaw"})),
        ("optuna-none", "optuna", None),
        ("optuna-median", "optuna", ("MedianPruner", {"n_startup_trials": 5, "n_warmup_steps": 2})),
        ("optuna-sha", "optuna", ("SuccessiveHalvingPruner", {"min_resource": 1, "reduction_factor": 3})),
        ("optuna-hyperband", "optuna", ("HyperbandPruner", {"min_resource": 1, "max_resource": epochs,
                                                            "reduction_factor": 3})),
    ]


METHODS = methods_for(EPOCHS)


def make_pruner(module, spec):
    if spec is None:
        return module.pruners.NopPruner()
    name, kwargs = spec
    cls = getattr(module.pruners, name)
    if name == "PatientPruner":
        return cls(None, **kwargs)
    if name == "PercentilePruner":
        kwargs = dict(kwargs)
        return cls(kwargs.pop("percentile"), **kwargs)
    return cls(**kwargs)


def shared_start(seed, n, problem=pruning_problems.DigitsAdam()):
    """n configurations drawn from the problem's search space by a generator of their
    own, the same for both engines and every method (--shared-start): the trials every
    sampler starts from."""
    import numpy as np
    rng = np.random.default_rng(1000 + seed)
    return [problem.draw(rng) for _ in range(n)]


def pauses(spec):
    """Whether the pruner schedules trials in slices (pause and resume) instead of
    stopping them."""
    return spec is not None and spec[1].get("mode", "stop") != "stop"


def run_sliced(method, spec, seed, n_trials, n_shared, problem):
    """The ask-and-tell loop of a scheduler that pauses trials: each ask starts a new
    trial or resumes a paused one from its checkpoint (a file per trial, as a CLI trial
    keeps in HPSEARCH_CHECKPOINT_DIR) for the slice trial.max_step ends; only the epochs
    trained count. The run ends when the scheduler asks for trial n_trials + 1 (a new
    one) -- the same number of configurations as the stopping pruners' runs -- or when
    it has nothing left."""
    import tempfile
    import torch
    import hpsearch as module
    torch.set_num_threads(1)
    module.logging.set_verbosity(module.logging.ERROR)
    study = module.create_study(direction="maximize",
                                sampler=module.samplers.AutoSampler(seed=seed),
                                pruner=make_pruner(module, spec))
    for params in shared_start(seed, n_shared, problem):
        study.enqueue_trial(params)
    consumed = 0
    best = -math.inf
    history = []  # (epochs consumed, best COMPLETE accuracy) after each slice
    resumes = 0
    start = time.time()
    with tempfile.TemporaryDirectory(prefix="hps-bench-") as checkpoints:
        while True:
            trial = study.ask()
            if trial.resume_step is None and trial.number >= n_trials:
                break
            resumes += trial.resume_step is not None
            config = problem.suggest(trial)
            resumed_at = trial.resume_step or 0
            end = trial.max_step if trial.max_step is not None else problem.epochs
            state = {"acc": 0.0}

            def on_epoch(epoch, acc, loss):
                nonlocal consumed
                if epoch > resumed_at:  # the checkpoint's own epoch is reported already
                    consumed += 1
                    state["acc"] = acc
                    trial.report(acc, epoch)
                return epoch >= end

            directory = os.path.join(checkpoints, str(trial.number))
            os.makedirs(directory, exist_ok=True)
            with contextlib.redirect_stdout(io.StringIO()):  # its "resumed from" lines
                problem.train(config, on_epoch, directory)
            if trial.max_step is not None:
                trial.pause(end)
            else:
                study.tell(trial, state["acc"])
                best = max(best, state["acc"])
            history.append((consumed, best))
    pruned = sum(1 for t in study.trials if t.state.name == "PRUNED")
    return {"method": method, "seed": seed, "history": history, "epochs": consumed,
            "best": best, "pruned": pruned, "resumes": resumes,
            "seconds": time.time() - start}


def run(method, engine, spec, seed, n_trials, n_shared=0, problem_name="digits-adam"):
    problem = pruning_problems.get(problem_name)
    if pauses(spec):
        return run_sliced(method, spec, seed, n_trials, n_shared, problem)
    import torch
    torch.set_num_threads(1)
    if engine == "optuna":
        import optuna as module
        module.logging.set_verbosity(module.logging.ERROR)
        sampler = module.samplers.TPESampler(seed=seed)
    else:
        import hpsearch as module
        module.logging.set_verbosity(module.logging.ERROR)
        if method.endswith(" auto"):
            sampler = module.samplers.AutoSampler(seed=seed)
        else:
            sampler = module.samplers.TPESampler(seed=seed)
    study = module.create_study(direction="maximize", sampler=sampler,
                                pruner=make_pruner(module, spec))
    for params in shared_start(seed, n_shared, problem):
        study.enqueue_trial(params)
    consumed = 0
    best = -math.inf
    history = []  # (epochs consumed, best COMPLETE accuracy) after each trial

    def objective(trial):
        nonlocal consumed
        config = problem.suggest(trial)
        state = {"pruned": False, "acc": 0.0}

        def on_epoch(epoch, acc, loss):
            nonlocal consumed
            consumed += 1
            state["acc"] = acc
            trial.report(acc, epoch)
            if trial.should_prune():
                state["pruned"] = True
                return True
            return False

        problem.train(config, on_epoch)
        if state["pruned"]:
            raise module.TrialPruned()
        return state["acc"]

    start = time.time()
    for _ in range(n_trials):
        study.optimize(objective, n_trials=1)
        complete = [t.value for t in study.trials if t.state.name == "COMPLETE"]
        if complete:
            best = max(best, max(complete))
        history.append((consumed, best))
    pruned = sum(1 for t in study.trials if t.state.name == "PRUNED")
    return {"method": method, "seed": seed, "history": history, "epochs": consumed,
            "best": best, "pruned": pruned, "seconds": time.time() - start}


def _run_star(args):
    return run(*args)


def epochs_to_reach(history, target, tolerance=TOLERANCE):
    """The epochs consumed when the history's running best first came within `tolerance`
    of `target` (None: never)."""
    for consumed, best in history:
        if best >= target - tolerance:
            return consumed
    return None


def sign_test(fewer, more):
    """Two-sided sign test: the chance of a split at least this uneven if neither side
    needed fewer epochs more often (ties left out)."""
    n, k = fewer + more, min(fewer, more)
    if n == 0:
        return 1.0
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n)


def median(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    n = len(values)
    return values[n // 2] if n % 2 else 0.5 * (values[n // 2 - 1] + values[n // 2])


def against_asha(by, methods, ref):
    """The freeze-thaw bar (issue 20): per seed, the epochs each pausing scheduler needs
    until a COMPLETE trial reaches the final best accuracy of the ASHA run `ref` (no
    tolerance), against the epochs ASHA itself needed to first reach it; the bar is a
    median ratio of at most 0.5."""
    sliced = [m for m, _, spec in methods if pauses(spec) and m in by]
    if ref not in by or not sliced:
        return
    print(f"\nAgainst {ref}: epochs until a COMPLETE trial reaches {ref}'s final best "
          "accuracy (per seed, no tolerance), and the ratio to the epochs it took "
          f"{ref} itself (bar: median ratio <= 0.5)\n")
    print("| method | seeds | ASHA final acc | ASHA epochs to it | ASHA total epochs | "
          "epochs to it | ratio | seeds at <= 0.5 | resumes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for method in sliced:
        seeds = sorted(s for s in by[method] if s in by[ref])
        finals, own, total, theirs, ratios = [], [], [], [], []
        for s in seeds:
            final = by[ref][s]["best"]
            e_ref = epochs_to_reach(by[ref][s]["history"], final, 0.0)
            e_m = epochs_to_reach(by[method][s]["history"], final, 0.0)
            finals.append(final)
            own.append(e_ref)
            total.append(by[ref][s]["epochs"])
            theirs.append(math.inf if e_m is None else e_m)
            ratios.append(math.inf if e_m is None else e_m / e_ref)
            print(f"  {method} seed {s}: ASHA {final:.4f} after {e_ref} of "
                  f"{by[ref][s]['epochs']} epochs; this {e_m} epochs "
                  f"(of {by[method][s]['epochs']})", file=sys.stderr)
        med = median(ratios)
        resumes = median([by[method][s].get("resumes", 0) for s in seeds])
        print(f"| {method} | {len(seeds)} | {median(finals):.4f} | {median(own):.0f} | "
              f"{median(total):.0f} | {median(theirs):.0f} | {med:.2f} | "
              f"{sum(r <= 0.5 for r in ratios)}/{len(seeds)} | {resumes:.0f} |")


def _parse_seeds(text):
    """"0,1,2" or "0-9" (or a mix: "0-4,7")."""
    seeds = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds.extend(range(int(lo), int(hi) + 1) if hi else [int(lo)])
    return seeds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", default="digits-adam",
                        choices=sorted(pruning_problems.PROBLEMS),
                        help="what is tuned (bench/pruning_problems.py)")
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seeds", default="0-9")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--methods", help="comma-separated subset of the methods (the "
                        "targets need hps-none and optuna-none)")
    parser.add_argument("--shared-start", type=int, default=0, metavar="N",
                        help="begin every study with the same N random configurations "
                        "(enqueued), so that both engines share the luck of the start")
    parser.add_argument("--reuse", metavar="FILE", action="append",
                        help="take the runs of the methods not run now from an earlier "
                        "result file of the same protocol (--trials, --shared-start): the "
                        "no-pruning runs that set the targets cost the most (repeatable; "
                        "the first file with a method's seed wins)")
    parser.add_argument("--against", default="hps-asha auto", metavar="METHOD",
                        help="the ASHA run whose final accuracy the pausing schedulers are "
                        "timed to (bench/pruning.md, \"Freeze-thaw against ASHA\")")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "pruning.json"))
    args = parser.parse_args()
    seeds = _parse_seeds(args.seeds)
    problem = pruning_problems.get(args.problem)
    catalogue = methods_for(problem.epochs)
    methods = catalogue
    if args.methods is not None:  # "" with --reuse: run nothing, tabulate the files
        wanted = [m.strip() for m in args.methods.split(",") if m.strip()]
        unknown = sorted(set(wanted) - {m for m, _, _ in catalogue})
        if unknown:
            parser.error(f"unknown methods {unknown}; known: {[m for m, _, _ in catalogue]}")
        methods = [m for m in catalogue if m[0] in wanted]
    # seed by seed, so that a run stopped early has whole seeds
    tasks = [(m, e, spec, seed, args.trials, args.shared_start, args.problem)
             for seed in seeds for m, e, spec in methods]
    results = []
    run_now = {m for m, _, _ in methods}
    for path in args.reuse or []:
        with open(path) as f:
            earlier = json.load(f)
        # files written before --problem existed are digits-adam's
        ran = (earlier.get("problem", "digits-adam"), earlier.get("trials"),
               earlier.get("shared_start", 0))
        if ran != (args.problem, args.trials, args.shared_start):
            parser.error(f"{path} ran problem {ran[0]}, {ran[1]} trials with shared start "
                         f"{ran[2]}, not {args.problem}, {args.trials} and "
                         f"{args.shared_start}")
        have = {(r["method"], r["seed"]) for r in results}
        results += [r for r in earlier["runs"] if r["method"] not in run_now
                    and r["seed"] in seeds and (r["method"], r["seed"]) not in have]
    reused = {r["method"] for r in results}
    methods = [m for m in catalogue if m[0] in run_now or m[0] in reused]
    with multiprocessing.Pool(args.jobs) as pool:
        for r in pool.imap_unordered(_run_star, tasks):
            results.append(r)
            with open(args.out + ".partial", "w") as f:  # what a stopped run had
                json.dump({"problem": args.problem, "trials": args.trials,
                           "shared_start": args.shared_start, "runs": results}, f, separators=(",", ":"))
            print(f"{r['method']:18s} seed {r['seed']}: best {r['best']:.4f}, "
                  f"{r['epochs']} epochs, {r['pruned']} pruned, {r['seconds']:.0f} s",
                  file=sys.stderr, flush=True)
    by = {}
    for r in results:
        by.setdefault(r["method"], {})[r["seed"]] = r
    print(f"\n## Pruning: {problem.description}, {args.trials} trials of up to "
          f"{problem.epochs} epochs, seeds {seeds}\n")
    print("Epochs to reach = epochs consumed until a COMPLETE trial is within "
          f"{TOLERANCE} of the target: the lower of the two engines' no-pruning final best "
          "accuracies (same seed). 'vs no pruning' divides by the epochs the same engine's "
          "no-pruning run consumed in all.\n")
    print("| method | final best acc | total epochs | epochs to reach target | "
          "vs no pruning | pruned trials |")
    print("|---|---:|---:|---:|---:|---:|")
    summary = {}
    hps_none, optuna_none = by.get("hps-none", {}), by.get("optuna-none", {})
    target = {s: min(hps_none[s]["best"], optuna_none[s]["best"])
              for s in seeds if s in hps_none and s in optuna_none}
    for method, engine, _ in methods:
        runs = by.get(method, {})
        base = hps_none if engine == "hpsearch" else optuna_none
        reach = [epochs_to_reach(runs[s]["history"], target[s]) if s in target else None
                 for s in runs]
        base_epochs = median([base[s]["epochs"] for s in base])
        row = {"best": median([r["best"] for r in runs.values()]),
               "epochs": median([r["epochs"] for r in runs.values()]),
               "reach": median([x if x is not None else math.inf for x in reach]),
               "reached": sum(x is not None for x in reach),
               "pruned": median([r["pruned"] for r in runs.values()])}
        ratio = row["reach"] / base_epochs if base_epochs and math.isfinite(row["reach"]) else None
        summary[method] = dict(row, ratio=ratio)
        reach_text = f"{row['reach']:.0f}" if math.isfinite(row["reach"]) else "not reached"
        ratio_text = f"{ratio:.2f}x" if ratio is not None else "-"
        print(f"| {method} | {row['best']:.4f} | {row['epochs']:.0f} | {reach_text} "
              f"({row['reached']}/{len(runs)} seeds) | {ratio_text} | {row['pruned']:.0f} |")
    # seed by seed, each hpsearch pruner against Optuna's best (lowest median) pruner
    optuna_pruners = [m for m, e, spec in methods if e == "optuna" and spec is not None
                      and math.isfinite(summary[m]["reach"])]
    if optuna_pruners:
        ref = min(optuna_pruners, key=lambda m: summary[m]["reach"])
        print(f"\nSeed by seed against {ref} (Optuna's best here), epochs to the target:\n")
        for method, engine, spec in methods:
            if engine != "hpsearch" or spec is None:
                continue
            common = [s for s in by.get(method, {}) if s in by[ref] and s in target]
            pairs = [(epochs_to_reach(by[method][s]["history"], target[s]),
                      epochs_to_reach(by[ref][s]["history"], target[s])) for s in common]
            pairs = [(math.inf if a is None else a, math.inf if b is None else b)
                     for a, b in pairs]
            fewer = sum(a < b for a, b in pairs)
            more = sum(a > b for a, b in pairs)
            print(f"- {method}: fewer on {fewer} seeds, more on {more}, equal on "
                  f"{len(pairs) - fewer - more} (sign test p = {sign_test(fewer, more):.3f})")
    against_asha(by, methods, args.against)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"problem": args.problem, "trials": args.trials, "epochs": problem.epochs,
                   "shared_start": args.shared_start,
                   "reused": args.reuse or [], "seeds": seeds, "target": target, "runs": results,
                   "summary": summary}, f, separators=(",", ":"))
        f.write("\n")
    if os.path.exists(args.out + ".partial"):
        os.remove(args.out + ".partial")


if __name__ == "__main__":
    main()
