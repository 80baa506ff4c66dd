#!/usr/bin/env python3
"""PBT against ASHA and random search on the PyTorch example, at the same compute.

The protocol (problem, compute, measure, verdict) is bench/pbt.md's. Every method gets
160 epochs of examples/pytorch_mlp/train.py per seed: pbt through `hpsearch run` (8
members, 4 rounds of 5 epochs), asha and random search through the Python binding with
the same trainer function. One JSON line per (method, seed) goes to <out>.partial.jsonl
as it finishes, so an interrupted run continues where it stopped (a PBT study that was
cut short is continued by `hpsearch run` itself); the table is printed at the end.

    nice -n 10 /usr/bin/python3 bench/pbt.py --seeds 0-4 --out bench/results/pbt.json
    nice -n 10 /usr/bin/python3 bench/pbt.py --methods asha,random --out /tmp/api.json &
        # the binding's methods beside pbt's run (then: cat /tmp/api.json.partial.jsonl
        # >> bench/results/pbt.json.partial.jsonl; bench/pbt.py writes the whole table)
    /usr/bin/python3 bench/pbt.py --report bench/results/pbt.json   # the table again
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(REPO, "examples", "pytorch_mlp")
METHODS = ("pbt", "asha", "random")
MEMBERS, EPOCHS, INTERVAL = 8, 20, 5
BUDGET = MEMBERS * EPOCHS  # epochs per method and seed
LR_RANGE, MOMENTUM_RANGE = (1.0e-4, 1.0), (0.0, 0.95)  # pbt.yaml's space
HIDDEN = 64
TRAINER_SEED = 0  # train.py's default torch seed, the same for every method
VALIDATION_IMAGES = 450  # digits' 1 797 images, a quarter held out

# One thread per trainer: the machine's cores are shared (the trainers of pbt's -j 2 too).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HPSEARCH_TORCH_THREADS", "1")


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        seeds.extend(range(int(low), int(high or low) + 1))
    return seeds


# ---- pbt: the CLI -----------------------------------------------------------------------

def pbt_config(seed, run_dir):
    return f"""study: pbt-bench-s{seed}
storage: sqlite:{run_dir}/pbt.db
log_dir: {run_dir}/logs
workdir: {EXAMPLE}
interpreter: {sys.executable}
direction: maximize
metric: val_acc
seed: {seed}
parallel: 2
pbt: {{population: {MEMBERS}, interval: {INTERVAL}}}
fidelity: epochs
command: ${{interpreter}} train.py --optimizer sgd --lr {{lr}} --momentum {{momentum}} --hidden-size {HIDDEN} --epochs {{epochs}}
parameters:
  lr: {{type: float, low: {LR_RANGE[0]}, high: {LR_RANGE[1]}, log: true}}
  momentum: {{type: float, low: {MOMENTUM_RANGE[0]}, high: {MOMENTUM_RANGE[1]}}}
  epochs: {{type: int, low: 1, high: {EPOCHS}}}
"""


def run_pbt(seed, args):
    run_dir = os.path.join(os.path.abspath(args.workdir), f"pbt-s{seed}")
    os.makedirs(run_dir, exist_ok=True)
    config = os.path.join(run_dir, "pbt.yaml")
    with open(config, "w") as f:
        f.write(pbt_config(seed, run_dir))
    with open(os.path.join(run_dir, "run.log"), "a") as log:
        code = subprocess.call([args.hpsearch, "run", config, "--no-progress"], stdout=log,
                               stderr=subprocess.STDOUT)
    if code != 0:
        sys.exit(f"pbt seed {seed}: hpsearch run exited {code}; see {run_dir}/run.log")
    listing = subprocess.run([args.hpsearch, "trials", f"pbt-bench-s{seed}", "--storage",
                              f"sqlite:{run_dir}/pbt.db", "--format", "json"],
                             check=True, capture_output=True, text=True).stdout
    return pbt_result(json.loads(listing))


def pbt_result(trials):
    """The best member's accuracy after the last epoch, the epochs trained, and each
    member's schedule (its hyperparameters round by round)."""
    rounds = [(t, t["system_attrs"]["pbt"]) for t in trials if "pbt" in t["system_attrs"]]
    last = [t["values"][0] for t, lineage in rounds
            if t["state"] == "COMPLETE" and lineage["stop_step"] == EPOCHS]
    epochs = sum(lineage["stop_step"] - lineage["start_step"] for t, lineage in rounds
                 if t["state"] in ("COMPLETE", "FAIL"))
    schedules = {}
    for t, lineage in sorted(rounds, key=lambda row: (row[1]["member"], row[1]["round"])):
        schedules.setdefault(str(lineage["member"]), []).append(
            {"round": lineage["round"], "parent_member": lineage.get("parent_member"),
             "exploited": lineage.get("exploited"), "after": lineage["after"],
             "value": t["values"][0] if t["values"] else None, "state": t["state"]})
    return {"final": max(last) if last else None, "epochs": epochs,
            "complete_members": len(last), "failed_rounds":
            sum(t["state"] == "FAIL" for t, _ in rounds), "schedules": schedules}


# ---- asha and random: the Python binding, the same trainer -----------------------------

def binding():
    sys.path.insert(0, os.environ.get("HPSEARCH_PYTHONPATH",
                                      os.path.join(REPO, "build", "python")))
    sys.path.insert(0, EXAMPLE)
    import hpsearch
    import torch
    from train import train
    torch.set_num_threads(1)
    hpsearch.logging.set_verbosity(hpsearch.logging.WARNING)
    return hpsearch, train


def suggest(trial):
    return (trial.suggest_float("lr", *LR_RANGE, log=True),
            trial.suggest_float("momentum", *MOMENTUM_RANGE))


def run_asha(seed, args):
    """Trials one after another while epochs are left; each trains until ASHA prunes it
    or it reaches 20 epochs. The trial the budget cuts short is not complete."""
    hps, train = binding()
    study = hps.create_study(
        direction="maximize", sampler=hps.samplers.RandomSampler(seed=seed),
        pruner=hps.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3))
    used, rows = 0, []
    while used < BUDGET:
        trial = study.ask()
        lr, momentum = suggest(trial)
        cap = min(EPOCHS, BUDGET - used)
        seen = {"epochs": 0, "pruned": False}

        def on_epoch(epoch, val_acc, val_loss):
            seen["epochs"] = epoch
            trial.report(val_acc, epoch)
            if trial.should_prune():
                seen["pruned"] = True
                return True
            return epoch >= cap

        val_acc = train(lr, HIDDEN, EPOCHS, TRAINER_SEED, on_epoch, None, "sgd", momentum)
        used += seen["epochs"]
        if seen["pruned"]:
            state = hps.TrialState.PRUNED
            study.tell(trial, state=state)
        elif seen["epochs"] < EPOCHS:
            state = hps.TrialState.FAIL  # cut short by the budget: not a result
            study.tell(trial, state=state)
        else:
            state = hps.TrialState.COMPLETE
            study.tell(trial, val_acc)
        rows.append({"lr": lr, "momentum": momentum, "epochs": seen["epochs"],
                     "state": state.name, "val_acc": val_acc})
    finals = [r["val_acc"] for r in rows if r["state"] == "COMPLETE"]
    return {"final": max(finals) if finals else None, "epochs": used,
            "trials": len(rows), "complete": len(finals), "rows": rows}


def run_random(seed, args):
    hps, train = binding()
    study = hps.create_study(direction="maximize",
                             sampler=hps.samplers.RandomSampler(seed=seed))
    rows = []
    for _ in range(MEMBERS):
        trial = study.ask()
        lr, momentum = suggest(trial)
        val_acc = train(lr, HIDDEN, EPOCHS, TRAINER_SEED, None, None, "sgd", momentum)
        study.tell(trial, val_acc)
        rows.append({"lr": lr, "momentum": momentum, "epochs": EPOCHS, "val_acc": val_acc})
    return {"final": max(r["val_acc"] for r in rows), "epochs": MEMBERS * EPOCHS,
            "trials": len(rows), "complete": len(rows), "rows": rows}


RUNNERS = {"pbt": run_pbt, "asha": run_asha, "random": run_random}


# ---- the table ---------------------------------------------------------------------------

def correct(result):
    """Validation images right: pbt's value is the accuracy as train.py prints it (4
    decimals), the binding's the exact one, so they are compared in images."""
    return None if result["final"] is None else round(result["final"] * VALIDATION_IMAGES)


def table(results, seeds):
    by = {(r["method"], r["seed"]): dict(r, correct=correct(r)) for r in results}
    lines = ["| seed | " + " | ".join(METHODS) + " |",
             "|---:|" + "---:|" * len(METHODS)]
    for seed in seeds:
        cells = []
        for method in METHODS:
            r = by.get((method, seed))
            cells.append("–" if r is None or r["final"] is None else
                         f"{r['correct'] / VALIDATION_IMAGES:.4f} ({r['correct']}/"
                         f"{VALIDATION_IMAGES}, {r['epochs']} ep)")
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    medians = {}
    for method in METHODS:
        finals = [by[(method, s)]["correct"] for s in seeds
                  if (method, s) in by and by[(method, s)]["final"] is not None]
        medians[method] = statistics.median(finals) if len(finals) == len(seeds) else None
    lines.append("| **median** | " + " | ".join(
        "–" if medians[m] is None else
        f"**{medians[m] / VALIDATION_IMAGES:.4f}** ({medians[m]:g}/{VALIDATION_IMAGES})"
        for m in METHODS) + " |")
    lines.append("")
    for other in METHODS[1:]:
        wins = sum(1 for s in seeds if (("pbt", s) in by and (other, s) in by and
                   by[("pbt", s)]["correct"] > by[(other, s)]["correct"]))
        ties = sum(1 for s in seeds if (("pbt", s) in by and (other, s) in by and
                   by[("pbt", s)]["correct"] == by[(other, s)]["correct"]))
        lines.append(f"- pbt against {other}, seed by seed: {wins} wins, {ties} ties "
                     f"of {len(seeds)} (for information)")
    if None in medians.values():
        lines.append("- verdict: not every seed finished; none claimed")
    else:
        met = all(medians["pbt"] > medians[m] for m in METHODS[1:])
        lines.append("- verdict: the bar is " + ("met" if met else "NOT met") + " (medians "
                     "in validation images right: " + ", ".join(
                         f"{m} {medians[m]:g}" for m in METHODS) + "; pbt's must be "
                     "strictly greater than both)")
    return "\n".join(lines)


def load(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-4")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--out", default=os.path.join(REPO, "bench", "results", "pbt.json"))
    parser.add_argument("--workdir", default="/tmp/hpsearch-pbt-bench",
                        help="PBT's studies, logs and checkpoints (not for git)")
    parser.add_argument("--hpsearch", default=os.path.join(REPO, "build", "hpsearch"))
    parser.add_argument("--report", metavar="RESULTS", help="print the table of a results file")
    args = parser.parse_args()
    seeds = parse_seeds(args.seeds)
    if args.report:
        with open(args.report) as f:
            saved = json.load(f)
        print(table(saved["results"], saved["seeds"]))
        return
    methods = args.methods.split(",")
    unknown = set(methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods {sorted(unknown)}; known: {', '.join(METHODS)}")
    partial = args.out + ".partial.jsonl"
    results = load(partial)
    done = {(r["method"], r["seed"]) for r in results}
    for seed in seeds:
        for method in methods:
            if (method, seed) in done:
                continue
            start = time.time()
            result = RUNNERS[method](seed, args)
            result.update(method=method, seed=seed, seconds=round(time.time() - start, 1))
            results.append(result)
            with open(partial, "a") as f:
                f.write(json.dumps(result) + "\n")
            print(f"{method} seed {seed}: final {result['final']} after "
                  f"{result['epochs']} epochs ({result['seconds']} s)", flush=True)
    with open(args.out, "w") as f:
        json.dump({"protocol": "bench/pbt.md", "seeds": seeds, "results": results}, f,
                  indent=1)
    print(table(results, seeds))


if __name__ == "__main__":
    main()
