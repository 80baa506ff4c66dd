#!/usr/bin/env python3
"""Pruning with two objectives: the hypervolume of the trade-off against epochs consumed.

The PyTorch MLP of examples/pytorch_mlp/train.py on digits (as bench/pruning.py), tuned
over learning rate and hidden size with up to EPOCHS epochs per trial, for two
objectives: validation accuracy (maximized) and the model's parameter count (minimized,
as examples/pytorch_mlp/tune_tradeoff.yaml trades them). Every epoch reports both
values (trial.report([acc, params], epoch)); the pruners rank the trials at their rungs
by non-dominated sorting (MOASHA). Methods differ by the pruner only:
  none            --trials trials, every one to EPOCHS epochs;
  asha-stop       SuccessiveHalvingPruner(min_resource=1, reduction_factor=3): a trial
                  not in the top third of its rung stops there;
  asha-promotion  the same rungs in mode promotion (max_resource=EPOCHS): every trial
                  pauses at its rung (its checkpoint kept) and the best paused one is
                  resumed to the next rung before a new trial starts;
  hyperband       HyperbandPruner(min_resource=1, max_resource=EPOCHS, reduction_factor=3);
  asha-stop-4x2   SuccessiveHalvingPruner(min_resource=4, reduction_factor=2): rungs at
                  epochs 4, 8, 16, the top half going on (chosen from
                  bench/pruning_mo_rungs.py's diagnosis, bench/multiobjective.md).
The pruning methods run until they have consumed --pruned-epochs epochs (default: half
of none's), finishing the trial or slice under way. Samplers (--samplers): auto (the
default AutoSampler: with two objectives its GP for the first 100 trials) and tpe
(MOTPE), each with the seed; none is run with each sampler, as its target.

    bench/pruning_mo.py [--trials 30] [--pruned-epochs N] [--seeds 0-9] [--jobs 2]
                        [--samplers auto,tpe] [--methods a,b] [--out FILE]

Printed per sampler and method: the median over seeds of the final hypervolume and of
the epochs consumed, and on how many seeds the method came within TOLERANCE of the final
hypervolume of none (same sampler, same seed) within half of none's epochs, with the
median epochs it took there. The bar (issue 18; bench/multiobjective.md states the
decision rule). Hypervolume: of the COMPLETE trials' (1 - accuracy,
parameters / PARAMS_SCALE), both minimized, against the reference point (1, 1)."""
import argparse
import contextlib
import io
import json
import multiprocessing
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "build", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "examples", "pytorch_mlp"))

# bench/pruning.py, beside this file
from pruning import _parse_seeds, epochs_to_reach, median  # noqa: E402

EPOCHS = 20
TOLERANCE = 0.002  # of hypervolume, on a scale whose whole square is 1
FEATURES, CLASSES = 64, 10
PARAMS_SCALE = 256 * (FEATURES + CLASSES) + 256 + CLASSES  # the largest model's

METHODS = {
    "none": None,
    "asha-stop": ("SuccessiveHalvingPruner", {"min_resource": 1, "reduction_factor": 3}),
    "asha-stop-4x2": ("SuccessiveHalvingPruner", {"min_resource": 4, "reduction_factor": 2}),
    "asha-promotion": ("SuccessiveHalvingPruner", {"min_resource": 1, "reduction_factor": 3,
                                                   "mode": "promotion",
                                                   "max_resource": EPOCHS}),
    "hyperband": ("HyperbandPruner", {"min_resource": 1, "max_resource": EPOCHS,
                                      "reduction_factor": 3}),
}
SAMPLERS = {"auto": "AutoSampler", "tpe": "TPESampler"}


def n_params(hidden):
    return hidden * (FEATURES + CLASSES) + hidden + CLASSES


def hypervolume(points):
    """Exact 2-D hypervolume of minimized points against (1, 1)."""
    inside = sorted(p for p in points if p[0] < 1 and p[1] < 1)
    volume, best_y = 0.0, 1.0
    for x, y in inside:
        if y < best_y:
            volume += (1 - x) * (best_y - y)
            best_y = y
    return volume


def complete_hypervolume(study):
    points = [(1 - t.values[0], t.values[1] / PARAMS_SCALE) for t in study.trials
              if t.state.name == "COMPLETE"]
    return hypervolume(points)


def run(method, sampler, seed, n_trials, epoch_budget):
    """One study: `n_trials` trials without pruning, else trials (or slices) until
    `epoch_budget` epochs are consumed. The history holds (epochs consumed, hypervolume
    of the COMPLETE trials) after each trial or slice."""
    import torch
    import hpsearch
    torch.set_num_threads(1)
    hpsearch.logging.set_verbosity(hpsearch.logging.ERROR)
    spec = METHODS[method]
    pruner = (hpsearch.pruners.NopPruner() if spec is None
              else getattr(hpsearch.pruners, spec[0])(**spec[1]))
    study = hpsearch.create_study(directions=["maximize", "minimize"], pruner=pruner,
                                  sampler=getattr(hpsearch.samplers, SAMPLERS[sampler])(seed=seed))
    start = time.time()
    if spec is not None and spec[1].get("mode") == "promotion":
        consumed, history = run_promotions(study, epoch_budget)
    else:
        consumed, history = run_trials(study, spec is not None, n_trials, epoch_budget)
    pruned = sum(1 for t in study.trials if t.state.name == "PRUNED")
    complete = sum(1 for t in study.trials if t.state.name == "COMPLETE")
    return {"method": method, "sampler": sampler, "seed": seed, "history": history,
            "epochs": consumed, "hypervolume": history[-1][1], "trials": len(study.trials),
            "complete": complete, "pruned": pruned, "seconds": time.time() - start}


def run_trials(study, prune, n_trials, epoch_budget):
    """study.optimize one trial at a time: `n_trials` of them without pruning, else
    until `epoch_budget` epochs are consumed."""
    import hpsearch
    import train
    consumed = 0
    history = []

    def objective(trial):
        nonlocal consumed
        lr = trial.suggest_float("lr", 1e-4, 3e-1, log=True)
        hidden = trial.suggest_int("hidden_size", 8, 256, log=True)
        params = n_params(hidden)
        state = {"pruned": False, "acc": 0.0}

        def on_epoch(epoch, acc, loss):
            nonlocal consumed
            consumed += 1
            state["acc"] = acc
            if not prune:
                return False
            trial.report([acc, params], epoch)
            if trial.should_prune():
                state["pruned"] = True
                return True
            return False

        train.train(lr, hidden, EPOCHS, 0, on_epoch)
        if state["pruned"]:
            raise hpsearch.TrialPruned()
        return state["acc"], params

    while (consumed < epoch_budget) if prune else (len(history) < n_trials):
        study.optimize(objective, n_trials=1)
        history.append((consumed, complete_hypervolume(study)))
    return consumed, history


def run_promotions(study, epoch_budget):
    """ASHA's promotion form in an ask-and-tell loop: each ask starts a trial or resumes
    a paused one from its checkpoint, which trains to the end of its slice
    (trial.max_step) and pauses there, or at the top rung runs to EPOCHS and is told;
    until `epoch_budget` epochs are consumed."""
    import hpsearch
    import train
    consumed = 0
    history = []
    with tempfile.TemporaryDirectory(prefix="pruning_mo-") as checkpoints:
        while consumed < epoch_budget:
            trial = study.ask()
            lr = trial.suggest_float("lr", 1e-4, 3e-1, log=True)
            hidden = trial.suggest_int("hidden_size", 8, 256, log=True)
            params = n_params(hidden)
            first = 1 if trial.resume_step is None else trial.resume_step + 1
            last = trial.max_step if trial.max_step is not None else EPOCHS
            state = {"pruned": False, "acc": 0.0}

            def on_epoch(epoch, acc, loss):
                nonlocal consumed
                if epoch < first:  # the checkpoint's own epoch, reported before its pause
                    return False
                consumed += 1
                state["acc"] = acc
                trial.report([acc, params], epoch)
                if trial.should_prune():  # promotion mode stops a diverged run only
                    state["pruned"] = True
                    return True
                return False

            checkpoint_dir = os.path.join(checkpoints, str(trial.number))
            os.makedirs(checkpoint_dir, exist_ok=True)
            with contextlib.redirect_stdout(io.StringIO()):  # "resumed from a checkpoint"
                train.train(lr, hidden, last, 0, on_epoch, checkpoint_dir=checkpoint_dir)
            if state["pruned"]:
                study.tell(trial, state=hpsearch.trial.TrialState.PRUNED)
            elif trial.max_step is not None:
                trial.pause(last)
            else:
                study.tell(trial, [state["acc"], params])
            history.append((consumed, complete_hypervolume(study)))
    return consumed, history


def _run_star(args):
    return run(*args)


def reach_within(run, target, budget):
    """Epochs at which the run's history came within TOLERANCE of target, when that was
    within `budget` epochs; else None."""
    reached = epochs_to_reach(run["history"], target, TOLERANCE)
    return reached if reached is not None and reached <= budget else None


def hypervolume_within(run, budget):
    """The hypervolume the run had once it had consumed at most `budget` epochs."""
    best = 0.0
    for consumed, hv in run["history"]:
        if consumed <= budget:
            best = hv
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--pruned-epochs", type=int, default=None,
                        help="epochs the pruning methods may consume (default: half of none's)")
    parser.add_argument("--seeds", default="0-9")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--samplers", default="auto,tpe")
    parser.add_argument("--methods", default="none,asha-stop,asha-promotion")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "pruning_mo.json"))
    parser.add_argument("--report", metavar="FILE", default=None,
                        help="print the tables of a results file (a partial one too) and exit")
    args = parser.parse_args()
    if args.report:
        with open(args.report) as f:
            saved = json.load(f)
        report(saved["runs"], saved["trials"], saved["pruned_epochs"])
        return
    methods = args.methods.split(",")
    samplers = args.samplers.split(",")
    for name, known, what in ((methods, METHODS, "method"), (samplers, SAMPLERS, "sampler")):
        for n in name:
            if n not in known:
                parser.error(f"unknown {what} {n!r}; known: {', '.join(known)}")
    if "none" not in methods:
        parser.error("--methods needs 'none': its final hypervolume is the target")
    seeds = _parse_seeds(args.seeds)
    budget = args.pruned_epochs or args.trials * EPOCHS // 2
    # seed by seed, so that a run stopped early has whole seeds of every sampler
    jobs = [(m, sp, s, args.trials, budget) for s in seeds for sp in samplers for m in methods]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    results = []
    with multiprocessing.Pool(args.jobs) as pool:
        for result in pool.imap(_run_star, jobs, chunksize=1):
            results.append(result)
            with open(args.out, "w") as f:  # after every run: a stopped run keeps its results
                json.dump({"trials": args.trials, "pruned_epochs": budget, "epochs": EPOCHS,
                           "tolerance": TOLERANCE, "seeds": seeds, "runs": results}, f,
                          indent=1)
    report(results, args.trials, budget)


def report(results, trials, budget):
    """The tables, over the seeds that every method finished with the sampler."""
    none_epochs = trials * EPOCHS
    half = none_epochs // 2
    methods = list(dict.fromkeys(r["method"] for r in results))
    samplers = list(dict.fromkeys(r["sampler"] for r in results))
    by = {(r["method"], r["sampler"], r["seed"]): r for r in results}
    print(f"none: {trials} trials of {EPOCHS} epochs ({none_epochs}); pruning methods: "
          f"up to {budget} epochs; medians over seeds")
    for sp in samplers:
        seeds = sorted({r["seed"] for r in results
                        if all((m, sp, r["seed"]) in by for m in methods)})
        print(f"sampler {sp}, seeds {','.join(map(str, seeds))}")
        print(f"  {'method':<15} {'final HV':>8} {'epochs':>7} {'trials':>7} {'complete':>8} "
              f"{'HV at half':>10} {'reached within half':>20} {'median epochs there':>20}")
        for m in methods:
            runs = [by[(m, sp, s)] for s in seeds]
            targets = [by[("none", sp, s)]["hypervolume"] for s in seeds]
            reach = [reach_within(r, t, half) for r, t in zip(runs, targets)]
            n_reached = "-" if m == "none" else f"{sum(r is not None for r in reach)}/{len(seeds)}"
            print(f"  {m:<15} {median([r['hypervolume'] for r in runs]):>8.4f} "
                  f"{median([r['epochs'] for r in runs]):>7} "
                  f"{median([r['trials'] for r in runs]):>7} "
                  f"{median([r['complete'] for r in runs]):>8} "
                  f"{median([hypervolume_within(r, half) for r in runs]):>10.4f} "
                  f"{n_reached:>20} {'-' if m == 'none' else str(median(reach)):>20}")
        print("  per seed: none's final HV; each method's HV within half the epochs "
              "(epochs to reach none's, '-' when not within half)")
        for s in seeds:
            target = by[("none", sp, s)]["hypervolume"]
            cells = [f"none {target:.4f}"]
            for m in methods:
                if m == "none":
                    continue
                r = by[(m, sp, s)]
                reached = reach_within(r, target, half)
                cells.append(f"{m} {hypervolume_within(r, half):.4f} "
                             f"({'-' if reached is None else reached})")
            print(f"    seed {s}: " + ", ".join(cells))


if __name__ == "__main__":
    main()
