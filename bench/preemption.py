#!/usr/bin/env python3
"""Preemption costs at most one checkpoint interval: measured with the PyTorch example.

Each round starts `hpsearch run` on a one-trial study of examples/pytorch_mlp/train.py
(which saves a checkpoint after every epoch and, on SIGTERM, finishes the epoch under
way, saves it and exits), sends the worker SIGTERM at a random moment of the trial's
training, as Slurm or Kubernetes do when they preempt it, and then runs `hpsearch run`
again in a new process, as the next worker would. The preempted trial was queued again
with the same parameters and checkpoint directory; the bench checks that the trial that
continues it has them and completes, and counts the epochs trained twice:

    redone = (epochs the preempted trial started) - (epoch its successor resumed after)

where an epoch cut off by SIGKILL counts as started (a whole epoch, an upper bound).
Two graces are measured: the default preempt_grace (the epoch under way ends and is
saved: nothing is redone), and 0 (SIGKILL at once: the epoch under way is lost, so at
most one is redone). The claim holds when no round redoes more than one epoch.

    /usr/bin/python3 bench/preemption.py                     # 10 rounds per grace
    /usr/bin/python3 bench/preemption.py --rounds 3 --epochs 30 --graces 0
    /usr/bin/python3 bench/preemption.py --out bench/results/preemption.json

Exit status 0 when the claim holds in every round, 1 when it does not, 2 when a round
could not be measured (a run failed, the trial did not resume).
"""
import argparse
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "pytorch_mlp")
EPOCH_LINE = re.compile(r"^epoch=(\d+) ", re.M)
RESUMED = re.compile(r"resumed from a checkpoint after epoch (\d+)")
STOPPED = "SIGTERM: stopping after epoch"


def write_config(path, study, epochs, python, seed):
    with open(path, "w") as f:
        f.write(f"""study: {study}
storage: sqlite:bench.db
direction: maximize
metric: val_acc
sampler: random
seed: {seed}
n_trials: 1
workdir: {EXAMPLE}
log_dir: logs/{study}
command: [{json.dumps(python)}, train.py, --lr, "{{lr}}", --hidden-size, "256", --epochs, "{epochs}"]
parameters:
  lr: {{type: float, low: 1.0e-3, high: 1.0e-1, log: true}}
""")


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def wait_for_epochs(log, n, proc, limit=600):
    """Waits until the log shows n epochs; returns the time each was first seen."""
    seen = []
    start = time.monotonic()
    while len(seen) < n:
        if proc.poll() is not None or time.monotonic() - start > limit:
            raise RuntimeError(f"the trial did not reach epoch {n}: {read(log)[-500:]}")
        count = len(EPOCH_LINE.findall(read(log)))
        while len(seen) < count:
            seen.append(time.monotonic())
        time.sleep(0.01)
    return seen


def lr_and_state(db, study, number):
    con = sqlite3.connect(db)
    try:
        row = con.execute("SELECT p.value, t.state FROM trial_params p JOIN trials t"
                          " USING (trial_id) JOIN studies s USING (study_id)"
                          " WHERE s.name = ? AND t.number = ? AND p.name = 'lr'",
                          (study, number)).fetchone()
    finally:
        con.close()
    return row if row is not None else (None, None)


class FinishedFirst(Exception):
    """The trial ended before the signal came: the round is run again."""


def one_round(args, work, grace, index, attempt, rng):
    study = f"pre-g{grace:g}-{index}-{attempt}"
    config = os.path.join(work, study + ".yaml")
    write_config(config, study, args.epochs, args.python, 1000 * index + int(grace))
    logs = os.path.join(work, "logs", study)
    first_log = os.path.join(logs, "trial-00000.log")
    run = [args.hpsearch, "run", config, "--no-progress", "-q", "--preempt-grace", f"{grace:g}"]
    worker = subprocess.Popen(run, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = wait_for_epochs(first_log, 2, worker)
    epoch_seconds = seen[1] - seen[0]
    # a random moment of the training still ahead, well before its end (epoch times vary)
    delay = rng.uniform(0, epoch_seconds * (args.epochs - 2) * 0.5)
    time.sleep(delay)
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate()
    if worker.returncode == 0:
        raise FinishedFirst()
    if worker.returncode != 128 + signal.SIGTERM:
        raise RuntimeError(f"the preempted worker exited {worker.returncode}: {err.decode()}")
    first = read(first_log)
    printed = [int(e) for e in EPOCH_LINE.findall(first)]
    graceful = STOPPED in first
    started = max(printed) + (0 if graceful else 1)

    # the next worker: another process on the same study
    resumed = subprocess.run(run[:4], cwd=work, capture_output=True, text=True)
    if resumed.returncode != 0:
        raise RuntimeError(f"the next worker exited {resumed.returncode}: {resumed.stderr}")
    db = os.path.join(work, "bench.db")
    lr0, state0 = lr_and_state(db, study, 0)
    lr1, state1 = lr_and_state(db, study, 1)
    second = read(os.path.join(logs, "trial-00001.log"))
    m = RESUMED.search(second)
    if state0 != 4 or state1 != 2 or lr0 != lr1 or m is None:
        raise RuntimeError(f"trial 1 did not continue trial 0 (states {state0}/{state1}, "
                           f"lr {lr0}/{lr1}): {second[:300]}")
    after = int(m.group(1))
    last = max(int(e) for e in EPOCH_LINE.findall(second))
    if last != args.epochs:
        raise RuntimeError(f"the resumed trial ended at epoch {last}, not {args.epochs}")
    return {"grace": grace, "round": index, "epoch_seconds": round(epoch_seconds, 3),
            "preempted_s_after_epoch_2": round(delay, 2),
            "epochs_printed": max(printed), "stopped_at_epoch_end": graceful,
            "epochs_started": started, "resumed_after": after,
            "redone": max(0, started - after)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="preemptions per grace")
    parser.add_argument("--epochs", type=int, default=40, help="epochs of each trial")
    parser.add_argument("--graces", default="25,0",
                        help="preempt_grace values in seconds, comma-separated")
    parser.add_argument("--seed", type=int, default=0, help="seed of the preemption moments")
    parser.add_argument("--hpsearch", default=os.path.join(ROOT, "build", "hpsearch"))
    parser.add_argument("--python", default=sys.executable, help="runs train.py")
    parser.add_argument("--out", help="write the rounds and the summary as JSON here")
    args = parser.parse_args()
    graces = [float(g) for g in args.graces.split(",")]
    rng = random.Random(args.seed)
    rounds = []
    with tempfile.TemporaryDirectory(prefix="hps-preempt-") as work:
        for grace in graces:
            for index in range(args.rounds):
                r = None
                for attempt in range(3):
                    try:
                        r = one_round(args, work, grace, index, attempt, rng)
                        break
                    except FinishedFirst:
                        continue
                    except RuntimeError as e:
                        print(f"grace {grace:g}s round {index}: {e}", file=sys.stderr)
                        return 2
                if r is None:
                    print(f"grace {grace:g}s round {index}: the trial finished before the "
                          f"signal three times; give more --epochs", file=sys.stderr)
                    return 2
                rounds.append(r)
                print(f"grace {grace:>4g}s round {index}: SIGTERM {r['preempted_s_after_epoch_2']:5.2f}s "
                      f"after epoch 2 ({r['epoch_seconds']:.2f}s/epoch), "
                      f"{'stopped at the end of' if r['stopped_at_epoch_end'] else 'killed in'} "
                      f"epoch {r['epochs_started']}, resumed after epoch {r['resumed_after']}: "
                      f"{r['redone']} epoch(s) redone", flush=True)
    summary = []
    for grace in graces:
        redone = [r["redone"] for r in rounds if r["grace"] == grace]
        summary.append({"grace": grace, "rounds": len(redone), "max_redone": max(redone),
                        "mean_redone": sum(redone) / len(redone)})
        print(f"preempt_grace {grace:g}s: {len(redone)} preemptions, epochs redone per "
              f"preemption: mean {sum(redone) / len(redone):.2f}, max {max(redone)} "
              f"(checkpoint interval: 1 epoch)")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"epochs": args.epochs, "seed": args.seed, "summary": summary,
                       "rounds": rounds}, f, indent=1)
            f.write("\n")
    holds = all(s["max_redone"] <= 1 for s in summary)
    print("claim holds: at most one checkpoint interval redone per preemption" if holds
          else "CLAIM FAILS: more than one epoch redone")
    return 0 if holds else 1


if __name__ == "__main__":
    sys.exit(main())
