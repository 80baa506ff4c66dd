#!/usr/bin/env python3
"""A stand-in for a training script, for the CLI tests: fast, deterministic, and able
to misbehave on request. Prints `step=S score=V` lines; score = -(x-3)^2 - (y-1)^2 + step.

Options pick the misbehaviour: --every N (report every N-th step only), --sleep S per step, --exit-code N at the end,
--no-metric, --nan, --hang (sleep forever), --fail-if-x X (exit 3 when x == X),
--dump-env (print selected environment variables, argv and the working directory first), --steps N,
--graceful (on SIGTERM, finish the step, save it and exit, as a trainer that checkpoints
when it is preempted), --term-file FILE (on SIGTERM, write FILE and exit: a test's
witness that the process was asked to save). With --checkpoint it keeps the contract of paused trials: it
exits 4 when its checkpoint is not at $HPSEARCH_RESUME_STEP, and stops after saving
step $HPSEARCH_MAX_STEP; --slices FILE appends "trial first last" for each run."""
import argparse
import json
import os
import signal
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float, default=0.0)
parser.add_argument("--y", type=float, default=0.0)
parser.add_argument("--steps", type=int, default=3)
parser.add_argument("--sleep", type=float, default=0.0)
parser.add_argument("--exit-code", type=int, default=0)
parser.add_argument("--no-metric", action="store_true")
parser.add_argument("--nan", action="store_true")
parser.add_argument("--hang", action="store_true")
parser.add_argument("--fail-if-x", type=float, default=None)
parser.add_argument("--dump-env", action="store_true")
parser.add_argument("--checkpoint", action="store_true",
                    help="resume from and save to $HPSEARCH_CHECKPOINT_DIR/step")
parser.add_argument("--graceful", action="store_true",
                    help="on SIGTERM, finish the step, save it and exit")
parser.add_argument("--slices", default=None, help="append 'trial first last' to this file")
parser.add_argument("--every", type=int, default=1,
                    help="report only the steps that are multiples of N (a slice then ends "
                         "at the first of them at or past $HPSEARCH_MAX_STEP)")
parser.add_argument("--term-file", default=None,
                    help="on SIGTERM, write this file and exit")
args, unknown = parser.parse_known_args()


def note_sigterm(signum, frame):
    with open(args.term_file, "w") as f:
        f.write("SIGTERM\n")
    sys.exit(0)


if args.term_file:
    signal.signal(signal.SIGTERM, note_sigterm)

if args.dump_env:
    for key in ("HPSEARCH_TRIAL_NUMBER", "HPSEARCH_STUDY", "HPSEARCH_STORAGE",
                "CUDA_VISIBLE_DEVICES", "HPSEARCH_NUM_GPUS", "HPSEARCH_PARAMS"):
        print(f"env {key}={os.environ.get(key, '<unset>')}", flush=True)
    if "HPSEARCH_PARAMS_FILE" in os.environ:
        with open(os.environ["HPSEARCH_PARAMS_FILE"]) as f:
            print("params_file " + json.dumps(json.load(f), sort_keys=True), flush=True)
    print("argv " + " ".join(sys.argv[1:]), flush=True)
    print("cwd " + os.getcwd(), flush=True)

if args.hang:
    print("starting a very long step", flush=True)
    time.sleep(3600)

terminated = []
if args.graceful:
    signal.signal(signal.SIGTERM, lambda signum, frame: terminated.append(signum))

score = -((args.x - 3) ** 2) - (args.y - 1) ** 2
first = 0
ckpt = os.path.join(os.environ.get("HPSEARCH_CHECKPOINT_DIR", "."), "step")
if args.checkpoint and os.path.exists(ckpt):
    with open(ckpt) as f:
        first = int(f.read()) + 1
    print(f"resumed at step {first}", flush=True)
resume_step = os.environ.get("HPSEARCH_RESUME_STEP")
if args.checkpoint and resume_step is not None and int(resume_step) != first - 1:
    print(f"the checkpoint holds step {first - 1}, HPSEARCH_RESUME_STEP says {resume_step}",
          flush=True)
    sys.exit(4)
last = args.steps - 1
if args.checkpoint and "HPSEARCH_MAX_STEP" in os.environ:
    stop = int(os.environ["HPSEARCH_MAX_STEP"])
    last = min(last, -(-stop // args.every) * args.every)
if args.slices:
    with open(args.slices, "a") as f:
        f.write(f"{os.environ.get('HPSEARCH_TRIAL_NUMBER')} {first} {last}\n")
for step in range(first, last + 1):
    if args.sleep:
        time.sleep(args.sleep)
    value = float("nan") if args.nan else score + step
    if step % args.every != 0:
        pass
    elif not args.no_metric:
        print(f"step={step} score={value}", flush=True)
    else:
        print(f"step={step} loss=1.0", flush=True)
    if args.checkpoint:
        with open(ckpt + ".tmp", "w") as f:
            f.write(str(step))
        os.replace(ckpt + ".tmp", ckpt)
    if terminated:
        print(f"stopping after step {step}: SIGTERM", flush=True)
        sys.exit(0)

if args.fail_if_x is not None and args.x == args.fail_if_x:
    print("Traceback (most recent call last):\nValueError: x is cursed", file=sys.stderr, flush=True)
    sys.exit(3)
sys.exit(args.exit_code)
