#!/usr/bin/env python3
"""Does a rung's order predict the final front? The diagnosis behind bench/pruning_mo.py.

Runs bench/pruning_mo.py's study without pruning (every trial to EPOCHS epochs, the
sampler drawing the same trials as its `none` method) and records every trial's
validation accuracy after each epoch. Then, for each epoch k, it orders the trials as
MOASHA orders a rung at step k (non-dominated rank of (1 - accuracy at k, parameters),
then crowding distance within a rank, base/pareto.h's order) and measures what a cut at
k would keep:
  spearman   rank correlation of the accuracy at k with the final accuracy (parameters
             do not change with the epochs, so only accuracy can reorder);
  recall     of the trials on the final front (by final accuracy), the share that the
             top 1/rf at k keeps;
  HV kept    hypervolume of the final points of the kept trials over that of all trials.
The cut is static (all trials of the study at once), not ASHA's asynchronous one (each
trial against those that reached the rung before it): a proxy for how well the step's
order can pick, not a replay of the pruner.

--replay R:F,... replays asha's stop form (min_resource R, reduction_factor F) over each
study's recorded trials in their order, as if it had pruned them, until BUDGET epochs
are consumed: the gap between none's final hypervolume and that of the replay's COMPLETE
trials, the epochs and COMPLETE trials. The trials stay those none drew (a real run's
sampler would draw others after a pruning), and a replay that prunes hard runs out of
trials before its budget: only a rough ranking of configurations.

    bench/pruning_mo_rungs.py [--samplers auto,tpe] [--seeds 0-3] [--jobs 2] [--out FILE]
    bench/pruning_mo_rungs.py --report FILE [--replay 1:3,4:2 [--budget 300]]"""
import argparse
import json
import multiprocessing
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from pruning_mo import (EPOCHS, PARAMS_SCALE, SAMPLERS, TOLERANCE,  # noqa: E402
                        hypervolume, n_params, _parse_seeds, median)


def curves(sampler, seed, n_trials):
    """The `none` study of bench/pruning_mo.py, keeping each trial's accuracies."""
    import torch
    import hpsearch
    import train
    torch.set_num_threads(1)
    hpsearch.logging.set_verbosity(hpsearch.logging.ERROR)
    study = hpsearch.create_study(directions=["maximize", "minimize"],
                                  pruner=hpsearch.pruners.NopPruner(),
                                  sampler=getattr(hpsearch.samplers, SAMPLERS[sampler])(seed=seed))
    trials = []

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 3e-1, log=True)
        hidden = trial.suggest_int("hidden_size", 8, 256, log=True)
        accs = []

        def on_epoch(epoch, acc, loss):
            accs.append(acc)
            return False  # never stop: the whole curve is the point

        train.train(lr, hidden, EPOCHS, 0, on_epoch)
        trials.append({"lr": lr, "hidden": hidden, "params": n_params(hidden), "acc": accs})
        return accs[-1], n_params(hidden)

    study.optimize(objective, n_trials=n_trials)
    return {"sampler": sampler, "seed": seed, "trials": trials}


def _curves_star(args):
    return curves(*args)


def moasha_order(points):
    """Indices of minimized 2-D points by non-dominated rank, then crowding distance
    (largest first; ties: the older trial), as the pruner orders a rung."""
    n = len(points)
    rank = [None] * n
    left, front = set(range(n)), 0
    while left:
        current = [i for i in left
                   if not any(points[j][0] <= points[i][0] and points[j][1] <= points[i][1]
                              and points[j] != points[i] for j in left)]
        for i in current:
            rank[i] = front
        left -= set(current)
        front += 1
    crowd = [0.0] * n
    for f in range(front):
        members = [i for i in range(n) if rank[i] == f]
        for axis in (0, 1):
            members.sort(key=lambda i: points[i][axis])
            span = points[members[-1]][axis] - points[members[0]][axis]
            crowd[members[0]] = crowd[members[-1]] = float("inf")
            for a in range(1, len(members) - 1):
                if span > 0:
                    crowd[members[a]] += (points[members[a + 1]][axis]
                                          - points[members[a - 1]][axis]) / span
    return sorted(range(n), key=lambda i: (rank[i], -crowd[i], i))


def spearman(xs, ys):
    def ranks(v):
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        i = 0
        while i < len(order):  # ties share their mean rank
            j = i
            while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2
            i = j + 1
        return r
    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx = sum((a - mx) ** 2 for a in rx) ** 0.5
    vy = sum((b - my) ** 2 for b in ry) ** 0.5
    return cov / (vx * vy) if vx > 0 and vy > 0 else float("nan")


def judge(study, epoch, rf):
    """(spearman, recall, HV kept) of a cut keeping the top 1/rf at `epoch` (1-based)."""
    trials = study["trials"]
    final = [(1 - t["acc"][-1], t["params"] / PARAMS_SCALE) for t in trials]
    at = [(1 - t["acc"][epoch - 1], t["params"] / PARAMS_SCALE) for t in trials]
    keep = set(moasha_order(at)[:max(1, len(trials) // rf)])
    on_front = {i for i in range(len(final))
        if not any(final[j][0] <= final[i][0] and final[j][1] <= final[i][1]
                   and final[j] != final[i] for j in range(len(final)))}
    recall = len(on_front & keep) / len(on_front)
    kept = hypervolume([final[i] for i in keep]) / hypervolume(final)
    rho = spearman([t["acc"][epoch - 1] for t in trials], [t["acc"][-1] for t in trials])
    return rho, recall, kept


def report(studies):
    names = ", ".join(f"{s['sampler']} {s['seed']}" for s in studies)
    print(f"{len(studies)} studies ({names}),"
          f" {median([len(s['trials']) for s in studies])} trials each; medians over studies")
    print(f"  {'epoch':>5} {'spearman':>8} | {'rf=3: recall':>12} {'HV kept':>8} {'HV lost':>8}"
          f" | {'rf=2: recall':>12} {'HV kept':>8} {'HV lost':>8}")
    for epoch in range(1, EPOCHS + 1):
        row = [f"  {epoch:>5}"]
        three = [judge(s, epoch, 3) for s in studies]
        two = [judge(s, epoch, 2) for s in studies]
        row.append(f"{median([j[0] for j in three]):>8.3f} |")
        for cut in (three, two):
            hv_all = [hypervolume([(1 - t['acc'][-1], t['params'] / PARAMS_SCALE)
                                   for t in s['trials']]) for s in studies]
            lost = [a * (1 - j[2]) for a, j in zip(hv_all, cut)]
            row.append(f"{median([j[1] for j in cut]):>12.2f} {median([j[2] for j in cut]):>8.4f}"
                       f" {median(lost):>8.4f} |")
        print(" ".join(row).rstrip(" |"))


def final_points(trials):
    return [(1 - t["acc"][-1], t["params"] / PARAMS_SCALE) for t in trials]


def replay(study, min_resource, rf, budget):
    """asha's stop form over the study's trials in order: (epochs, COMPLETE, HV gap)."""
    trials = study["trials"]
    rungs, step = [], min_resource
    while step <= EPOCHS:  # a rung at the last epoch prunes there, as the pruner does
        rungs.append(step)
        step *= rf
    reached = {step: [] for step in rungs}
    used, complete = 0, []
    for i, t in enumerate(trials):
        if used >= budget:
            break
        stopped = None
        for step in rungs:
            members = reached[step] + [i]
            order = moasha_order([(1 - trials[j]["acc"][step - 1],
                                   trials[j]["params"] / PARAMS_SCALE) for j in members])
            reached[step].append(i)
            if order.index(len(members) - 1) >= max(1, len(members) // rf):
                stopped = step
                break
        used += stopped if stopped is not None else EPOCHS
        if stopped is None:
            complete.append(t)
    gap = hypervolume(final_points(trials)) - hypervolume(final_points(complete))
    return used, len(complete), gap


def report_replays(studies, configs, budget):
    print(f"replay of asha stop over the recorded trials, budget {budget} epochs; "
          "per study: HV gap to none's final (epochs, COMPLETE)")
    for config in configs:
        r, f = (int(x) for x in config.split(":"))
        cells = [replay(s, r, f, budget) for s in studies]
        within = sum(c[2] <= TOLERANCE for c in cells)
        print(f"  min_resource {r}, rf {f}: within {TOLERANCE} on {within}/{len(cells)}, "
              f"median gap {median([c[2] for c in cells]):.4f}: "
              + ", ".join(f"{c[2]:.4f} ({c[0]}, {c[1]})" for c in cells))
    first_half = [hypervolume(final_points(s["trials"]))
                  - hypervolume(final_points(s["trials"][:len(s["trials"]) // 2]))
                  for s in studies]
    print(f"  none after half its trials: within {TOLERANCE} on "
          f"{sum(g <= TOLERANCE for g in first_half)}/{len(first_half)}, median gap "
          f"{median(first_half):.4f}: " + ", ".join(f"{g:.4f}" for g in first_half))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seeds", default="0-3")
    parser.add_argument("--samplers", default="auto,tpe")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=os.path.join(HERE, "results", "pruning_mo_rungs.json"))
    parser.add_argument("--report", metavar="FILE", default=None)
    parser.add_argument("--replay", default=None, metavar="R:F,...",
                        help="with --report: replay asha stop (min_resource:reduction_factor)")
    parser.add_argument("--budget", type=int, default=300)
    args = parser.parse_args()
    if args.report:
        with open(args.report) as f:
            studies = json.load(f)["studies"]
        report(studies)
        if args.replay:
            report_replays(studies, args.replay.split(","), args.budget)
        return
    jobs = [(sp, s, args.trials) for s in _parse_seeds(args.seeds)
            for sp in args.samplers.split(",")]
    studies = []
    with multiprocessing.Pool(args.jobs) as pool:
        for study in pool.imap(_curves_star, jobs, chunksize=1):
            studies.append(study)
            with open(args.out, "w") as f:
                json.dump({"epochs": EPOCHS, "studies": studies}, f, indent=1)
    report(studies)


if __name__ == "__main__":
    main()
