#!/usr/bin/env python3
"""A stand-in for a training script under population-based training (tests/cli/test_pbt.sh).

Its "model" is a JSON checkpoint in HPSEARCH_CHECKPOINT_DIR: the step it reached, a score
that grows each step by an amount the learning rate decides (best at lr = 0.1), and its
history -- one entry per round: the trial that trained it and the lr it used. So a
checkpoint says whose work it carries, and the test can check who copied whom.

    pbt_trainer.py --lr LR --steps STOP [--stepless] [--fall-after STEP]

--fall-after makes the score fall by as much each step after STEP (a model that overfits).

PBT_FAIL_ROUND=pbt-m001-r001 makes that round fail; PBT_PREEMPT_ROUND=... preempts the run
in that round (SIGTERM), PBT_KILL_ROUND=... kills it (SIGKILL).
"""
import argparse
import json
import math
import os
import signal
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--steps", type=int, required=True)
parser.add_argument("--tag", default="")
parser.add_argument("--stepless", action="store_true", help="print score lines without their step")
parser.add_argument("--fall-after", type=int, default=None)
args = parser.parse_args()

directory = os.environ["HPSEARCH_CHECKPOINT_DIR"]
# The test's stand-ins for trouble in one round: a failure, and a preemption of the run
# (SIGTERM to hpsearch, which ends this trainer with SIGTERM before it saved anything).
if os.path.basename(directory) == os.environ.get("PBT_FAIL_ROUND"):
    sys.exit(1)
if os.path.basename(directory) == os.environ.get("PBT_KILL_ROUND"):
    os.kill(os.getppid(), signal.SIGKILL)
    time.sleep(60)
if os.path.basename(directory) == os.environ.get("PBT_PREEMPT_ROUND"):
    os.kill(os.getppid(), signal.SIGTERM)
    time.sleep(60)
path = os.path.join(directory, "model.json")
state = {"step": 0, "score": 0.0, "history": []}
if os.path.exists(path):
    with open(path) as f:
        state = json.load(f)
start = int(os.environ.get("HPSEARCH_RESUME_STEP", "0"))
stop = int(os.environ["HPSEARCH_MAX_STEP"])
if state["step"] != start or stop != args.steps:
    print(f"checkpoint at step {state['step']}, asked to go from {start} to {stop} "
          f"(--steps {args.steps})", file=sys.stderr)
    sys.exit(3)
gain = math.exp(-(math.log10(args.lr) + 1) ** 2)
for step in range(start + 1, stop + 1):
    falling = args.fall_after is not None and step > args.fall_after
    state["score"] += -gain if falling else gain
    print(("" if args.stepless else f"step={step} ") + f"score={state['score']:.6f}")
state["step"] = stop
state["history"].append({"trial": int(os.environ["HPSEARCH_TRIAL_NUMBER"]), "lr": args.lr})
with open(path + ".tmp", "w") as f:
    json.dump(state, f)
os.replace(path + ".tmp", path)
