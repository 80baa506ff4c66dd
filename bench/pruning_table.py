#!/usr/bin/env python3
"""Pruning on a learning-curve table, with a budget in epochs (issue 20's 5x bar).

The trainer of bench/pruning.py (the PyTorch MLP of examples/pytorch_mlp/train.py on
digits, learning rate and hidden size, up to 20 epochs) read from its learning-curve
table (bench/results/torch_mlp_curves.json, bench/torch_mlp_curves.py): a trial's
configuration is looked up at its nearest cell and that cell's validation accuracies are
reported epoch by epoch, so a pruner sees what live training would show it, a paused
trial resumed at step k goes on with epoch k + 1 of its cell's curve, and a run costs
seconds instead of hours.

Each run asks trials until the epochs reported reach the budget (1 000): after every
trial (every slice, for the schedulers that pause) it records the epochs used so far and
the best accuracy of a COMPLETE trial. A trial that the budget cuts before its last
epoch is not COMPLETE and ends the run (its epochs up to the cut count).

    bench/pruning_table.py [--seeds 0-19] [--budget 1000] [--methods a,b,...] [--jobs 2]
                           [--table bench/results/torch_mlp_curves.json]
                           [--python build/python] [--out bench/results/pruning_table.json]
    bench/pruning_table.py --tabulate RESULTS.json [--table TABLE.json]

Printed: per method, the medians over seeds of the final best accuracy, of the epochs to
reach the target (the final best of Optuna's best method on the same seed) and to reach
the table's best cell, with the seeds reaching each; then the bar (bench/pruning.md,
"On the learning-curve table")."""
import argparse
import json
import math
import multiprocessing
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pruning  # noqa: E402  (the pruner settings and helpers; inserts ../build/python)
import torch_mlp_curves  # noqa: E402

BUDGET = 1000
BAR_EPOCHS = 200  # 1 000 / 5
# pruner: auto with the default sampler, the bar's subject: with successive halving, the
# default when the bar was first measured (bench/pruning.md, "On the learning-curve table")
SUBJECT = "hps-auto auto"
OPTUNA = ["optuna-none", "optuna-median", "optuna-sha", "optuna-hyperband"]
CONTEXT = ["hps-none auto", "hps-asha auto", "hps-asha-promotion auto",
           "hps-freeze-thaw auto", "hps-auto-hb auto"]
# issue 20's bar is also reported for these: pruner: auto with Hyperband, the default
# since 2026-12-07 (bench/pruning.md, "pruner: auto with Hyperband")
CANDIDATES = ["hps-auto-hb auto"]
NAMES = [SUBJECT] + OPTUNA + CONTEXT
METHODS = [m for name in NAMES for m in pruning.methods_for(torch_mlp_curves.EPOCHS)
           if m[0] == name]
SAME = 1e-9  # accuracies are the table's 5-digit numbers: equal ones compare equal


def engine_module(engine, python_dir):
    """Optuna 3.1, or hpsearch from python_dir (first on sys.path, whatever pruning.py
    put there: a copy of the build keeps a rebuild from changing a running benchmark).
    python_dir None: the hpsearch the environment imports (the tests: the build's)."""
    if engine == "optuna":
        import optuna
        return optuna
    if python_dir is None:
        import hpsearch
        return hpsearch
    if sys.path[0] != python_dir:
        sys.path.insert(0, python_dir)
    import hpsearch
    if not os.path.abspath(hpsearch.__file__).startswith(os.path.abspath(python_dir)):
        raise RuntimeError(f"hpsearch came from {hpsearch.__file__}, not {python_dir}")
    return hpsearch


def make_study(method, engine, spec, seed, python_dir):
    module = engine_module(engine, python_dir)
    module.logging.set_verbosity(module.logging.ERROR)
    if engine == "optuna":
        sampler = module.samplers.TPESampler(seed=seed)
    elif method.endswith(" auto"):
        sampler = module.samplers.AutoSampler(seed=seed)
    else:
        sampler = module.samplers.TPESampler(seed=seed)
    # a fixed name: Optuna's HyperbandPruner draws each trial's bracket from a hash of
    # the study's name, which is a random uuid when none is given
    return module, module.create_study(direction="maximize", sampler=sampler,
                                       pruner=pruning.make_pruner(module, spec),
                                       study_name=f"{method} seed {seed}")


def run_budget(module, study, table, budget, pausing, steps=None):
    """Asks trials until `budget` epochs are reported. Each trial reads its nearest
    cell's curve from the step after its checkpoint's (a resumed trial) up to the end of
    its slice (trial.max_step, when the scheduler pauses) or the last epoch, reporting
    every epoch; a stopping pruner is asked after each. `steps`, when given, collects the
    steps each trial number reported (the tests check that none repeats or is skipped).
    Returns the history -- (epochs used, best COMPLETE accuracy) after each trial or
    slice -- the epochs used, the best, the counts of pruned trials and resumes, and
    the last step of each trial that drew the table's best cell (why a method misses
    the optimum: it never draws it, or stops it early)."""
    epochs = table["epochs"]
    consumed, best, history = 0, -math.inf, []
    pruned = resumes = 0
    optimum = table_stats(table)["optimum"]
    at_best_cell = {}  # trial number -> the last step it reported
    while consumed < budget:
        trial = study.ask()
        resumed_at = getattr(trial, "resume_step", None) or 0  # Optuna has neither
        max_step = getattr(trial, "max_step", None)
        resumes += resumed_at > 0
        # bench/pruning.py's search space, which the table's grid spans
        lr = trial.suggest_float("lr", torch_mlp_curves.LR_LOW, torch_mlp_curves.LR_HIGH,
                                 log=True)
        hidden = trial.suggest_int("hidden_size", torch_mlp_curves.HIDDEN_LOW,
                                   torch_mlp_curves.HIDDEN_HIGH, log=True)
        curve = torch_mlp_curves.curve_at(table, lr, hidden)
        best_cell = curve[-1] >= optimum - SAME
        end = max_step if max_step is not None else epochs
        stopped = False
        for epoch in range(resumed_at + 1, end + 1):
            if consumed >= budget:  # cut by the budget: not COMPLETE, and the run ends
                return _result(history, consumed, best, pruned, resumes, at_best_cell)
            consumed += 1
            if best_cell:
                at_best_cell[trial.number] = epoch
            trial.report(curve[epoch - 1], epoch)
            if steps is not None:
                steps.setdefault(trial.number, []).append(epoch)
            if not pausing and trial.should_prune():
                stopped = True
                break
        if stopped:
            study.tell(trial, state=module.trial.TrialState.PRUNED)
            pruned += 1
        elif max_step is not None and end < epochs:
            trial.pause(end)
        else:
            study.tell(trial, curve[epochs - 1])
            best = max(best, curve[epochs - 1])
        history.append((consumed, best))
    return _result(history, consumed, best, pruned, resumes, at_best_cell)


def _result(history, consumed, best, pruned, resumes, at_best_cell):
    return {"history": history, "epochs": consumed, "best": best, "pruned": pruned,
            "resumes": resumes, "best_cell_steps": sorted(at_best_cell.values())}


def run(method, engine, spec, seed, table_path, budget, python_dir):
    table = torch_mlp_curves.load(table_path)
    module, study = make_study(method, engine, spec, seed, python_dir)
    start = time.time()
    result = run_budget(module, study, table, budget, pruning.pauses(spec))
    result.update(method=method, seed=seed, trials=len(study.trials),
                  seconds=round(time.time() - start, 1))
    return result


def _run_star(args):
    return run(*args)


def epochs_to(history, target):
    """Epochs used when a COMPLETE trial first reached `target` (None: never)."""
    return pruning.epochs_to_reach(history, target, SAME)


def best_within(history, epochs):
    """The best COMPLETE accuracy after at most `epochs` epochs."""
    done = [b for used, b in history if used <= epochs]
    return max(done) if done else -math.inf


def table_stats(table):
    finals = sorted((c[-1] for row in table["curves"] for c in row), reverse=True)
    image = 1.0 / table["validation_size"]  # one validation image more or less
    return {"optimum": finals[0],
            "cells_at_optimum": sum(f >= finals[0] - SAME for f in finals),
            "cells_within_one_image": sum(f >= finals[0] - image - 1e-6 for f in finals),
            "cells": len(finals)}


def best_optuna(by):
    """Optuna's best sampler+pruner (the rule of bench/pruning.md): the highest median
    over seeds of the final best accuracy at the budget; ties by the higher mean, then
    by the fewer median epochs to reach its own final."""
    def key(method):
        runs = by[method].values()
        finals = [r["best"] for r in runs]
        own = [epochs_to(r["history"], r["best"]) for r in runs]
        return (pruning.median(finals), sum(finals) / len(finals),
                -pruning.median([math.inf if e is None else e for e in own]))
    return max((m for m in OPTUNA if m in by), key=key, default=None)


def show(x):
    return "never" if x is None or not math.isfinite(x) else f"{x:g}"


def bar(by, name, target, stats, ref):
    """Issue 20's 5x bar for method `name` (the default's; a candidate's beside it):
    its median epochs to the target, and its median final best against the table's."""
    subject = by[name]
    seeds_both = [s for s in sorted(subject) if s in target]
    need = [epochs_to(subject[s]["history"], target[s]) for s in seeds_both]
    med = pruning.median([math.inf if e is None else e for e in need])
    at_opt = [subject[s]["best"] >= stats["optimum"] - SAME for s in seeds_both]
    final_med = pruning.median([subject[s]["best"] for s in seeds_both])
    verdict = {"reference": ref, "median_epochs_to_target": med,
               "seeds_within_bar": sum(e is not None and e <= BAR_EPOCHS for e in need),
               "first_clause": med <= BAR_EPOCHS,
               "median_final": final_med, "seeds_at_optimum": sum(at_opt),
               "second_clause": final_med >= stats["optimum"] - SAME}
    print(f"\nSeed by seed, {name} against the target ({ref}'s final best):")
    for s, e in zip(seeds_both, need):
        print(f"  seed {s}: target {target[s]:.4f}; {name} reaches it after {show(e)} "
              f"epochs; final {subject[s]['best']:.4f}")
    print(f"\n{name} against each Optuna method's final instead (not the bar's "
          "measure): median epochs, seeds within the bar")
    for other in (m for m in OPTUNA if m in by):
        e = [epochs_to(subject[s]["history"], by[other][s]["best"])
             for s in seeds_both if s in by[other]]
        print(f"  {other}: {show(pruning.median([math.inf if x is None else x for x in e]))}"
              f", {sum(x is not None and x <= BAR_EPOCHS for x in e)}/{len(e)}")
    print(f"\nBar for {name}, first clause (median epochs to the target <= {BAR_EPOCHS}): "
          f"{show(med)} -> {'met' if verdict['first_clause'] else 'not met'} "
          f"({verdict['seeds_within_bar']}/{len(seeds_both)} seeds within {BAR_EPOCHS})")
    print(f"Bar for {name}, second clause (median final best = the table's best "
          f"{stats['optimum']:.4f}): {final_med:.4f} -> "
          f"{'met' if verdict['second_clause'] else 'not met'} "
          f"({sum(at_opt)}/{len(seeds_both)} seeds at it)")
    return verdict


def report(by, seeds, table):
    stats = table_stats(table)
    ref = best_optuna(by)  # None when no Optuna method ran: no target then
    target = {s: by[ref][s]["best"] for s in seeds if s in by[ref]} if ref else {}
    print(f"\nTable: {stats['cells']} cells, best final accuracy {stats['optimum']:.4f} "
          f"({stats['cells_at_optimum']} cells at it, {stats['cells_within_one_image']} "
          f"within one validation image). Optuna's best method (highest median final): "
          f"{ref}.\n")
    print("| method | seeds | final best acc | total epochs | epochs to the target (seeds) | "
          f"target within {BAR_EPOCHS} epochs | best acc within {BAR_EPOCHS} epochs | "
          "epochs to the table's best (seeds) | epochs to its own final | pruned | resumes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    summary = {}
    for method, _, _ in METHODS:
        runs = by.get(method, {})
        if not runs:
            continue
        common = [s for s in sorted(runs) if s in target]
        reach = [epochs_to(runs[s]["history"], target[s]) for s in common]
        opt = [epochs_to(r["history"], stats["optimum"]) for r in runs.values()]
        row = {"seeds": len(runs),
               "best": pruning.median([r["best"] for r in runs.values()]),
               "epochs": pruning.median([r["epochs"] for r in runs.values()]),
               "reach": pruning.median([math.inf if e is None else e for e in reach]),
               "reached": sum(e is not None for e in reach),
               "within_bar": sum(e is not None and e <= BAR_EPOCHS for e in reach),
               "to_own_final": pruning.median([epochs_to(r["history"], r["best"])
                                               for r in runs.values()]),
               "best_at_bar": pruning.median([best_within(r["history"], BAR_EPOCHS)
                                              for r in runs.values()]),
               "to_optimum": pruning.median([math.inf if e is None else e for e in opt]),
               "at_optimum": sum(e is not None for e in opt),
               "pruned": pruning.median([r["pruned"] for r in runs.values()]),
               "resumes": pruning.median([r["resumes"] for r in runs.values()])}
        summary[method] = row
        print(f"| {method} | {row['seeds']} | {row['best']:.4f} | {row['epochs']:.0f} | "
              f"{show(row['reach'])} ({row['reached']}/{len(common)}) | "
              f"{row['within_bar']}/{len(common)} | "
              f"{row['best_at_bar']:.4f} | {show(row['to_optimum'])} "
              f"({row['at_optimum']}/{row['seeds']}) | {row['to_own_final']:g} | "
              f"{row['pruned']:.0f} | {row['resumes']:.0f} |")
    print(f"\nThe table's best cell{'s' if stats['cells_at_optimum'] > 1 else ''} (final "
          f"{stats['optimum']:.4f}): in how many seeds a method drew one, in how many a "
          "trial of one reached the last epoch, and the "
          "steps at which its other trials stopped (all seeds; a paused trial counts "
          "by the last step it reached).\n")
    print("| method | seeds drawing it | seeds finishing it | trials of it stopped early: "
          "count, steps (median, range) |")
    print("|---|---:|---:|---:|")
    for method, _, _ in METHODS:
        runs = by.get(method, {})
        if not runs:
            continue
        last = table["epochs"]
        steps = [r.get("best_cell_steps", []) for r in runs.values()]
        early = sorted(k for s in steps for k in s if k < last)
        drawn = sum(bool(s) for s in steps)
        finished = sum(last in s for s in steps)
        summary[method].update(best_cell_drawn=drawn, best_cell_finished=finished,
                               best_cell_stopped=len(early))
        span = (f", {pruning.median(early):.0f} ({early[0]}-{early[-1]})" if early else "")
        print(f"| {method} | {drawn}/{len(runs)} | {finished}/{len(runs)} | "
              f"{len(early)}{span} |")
    verdict = bar(by, SUBJECT, target, stats, ref) if SUBJECT in by and target else {}
    candidates = {name: bar(by, name, target, stats, ref)
                  for name in CANDIDATES if name in by and target}
    return {"table": stats, "target": target, "summary": summary, "verdict": verdict,
            "candidate_verdicts": candidates}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-19")
    parser.add_argument("--budget", type=int, default=BUDGET)
    parser.add_argument("--methods", help=f"comma-separated subset of {NAMES}")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--table", default=torch_mlp_curves.TABLE)
    parser.add_argument("--python", default=os.path.join(HERE, "..", "build", "python"),
                        help="the folder of the hpsearch binding (a copy of build/python "
                        "keeps a rebuild from changing a running benchmark)")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "pruning_table.json"))
    parser.add_argument("--tabulate", metavar="RESULTS",
                        help="run nothing: print the tables of an earlier results file "
                        "(with its --table)")
    args = parser.parse_args()
    if args.tabulate:
        with open(args.tabulate) as f:
            earlier = json.load(f)
        by = {}
        for r in earlier["runs"]:
            by.setdefault(r["method"], {})[r["seed"]] = r
        report(by, earlier["seeds"], torch_mlp_curves.load(args.table))
        return
    seeds = pruning._parse_seeds(args.seeds)
    methods = METHODS
    if args.methods:
        wanted = [m.strip() for m in args.methods.split(",") if m.strip()]
        unknown = sorted(set(wanted) - set(NAMES))
        if unknown:
            parser.error(f"unknown methods {unknown}; known: {NAMES}")
        methods = [m for m in METHODS if m[0] in wanted]
    if args.budget < 1:
        parser.error(f"--budget must be >= 1, not {args.budget}")
    table = torch_mlp_curves.load(args.table)
    python_dir = os.path.abspath(args.python)
    tasks = [(m, e, spec, seed, args.table, args.budget, python_dir)
             for seed in seeds for m, e, spec in methods]
    results = []
    with multiprocessing.Pool(args.jobs) as pool:
        for r in pool.imap_unordered(_run_star, tasks):
            results.append(r)
            print(f"{r['method']:24s} seed {r['seed']}: best {r['best']:.4f}, "
                  f"{r['epochs']} epochs, {r['trials']} trials, {r['pruned']} pruned, "
                  f"{r['resumes']} resumes, {r['seconds']:.0f} s", file=sys.stderr, flush=True)
    by = {}
    for r in results:
        by.setdefault(r["method"], {})[r["seed"]] = r
    print(f"\n## Pruning on the learning-curve table: budget {args.budget} epochs, "
          f"seeds {args.seeds}")
    summary = report(by, seeds, table)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"budget": args.budget, "seeds": seeds, "table": os.path.relpath(
            args.table, os.path.join(HERE, "..")), "runs": results, **summary}, f,
            separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
