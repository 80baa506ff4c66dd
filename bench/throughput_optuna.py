#!/usr/bin/env python3
"""One Optuna worker process of bench/throughput.py: the same loop as
bench/throughput_worker.c (random sampler, one float, instant objective) on Optuna's
RDB storage, stopping when the study holds MAX_TRIALS trials. A STORAGE_URL
"journal:PATH" means Optuna's JournalStorage(JournalFileStorage(PATH)).

    throughput_optuna.py STORAGE_URL STUDY MAX_TRIALS [--wait | --create]

Prints {"finished": N, "seconds": S, "first": T0, "last": T1} like the C worker.
--wait prints "ready" once the study is loaded and waits for a line on stdin;
--create only creates the study (and Optuna's tables)."""
import json
import sys
import time

import optuna
from optuna.study import MaxTrialsCallback


def main():
    if len(sys.argv) not in (4, 5) or (len(sys.argv) == 5 and sys.argv[4] not in ("--wait", "--create")):
        sys.exit(__doc__)
    url, name, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
    mode = sys.argv[4] if len(sys.argv) == 5 else ""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = url
    if url.startswith("journal:"):
        storage = optuna.storages.JournalStorage(
            optuna.storages.JournalFileStorage(url[len("journal:"):]))
    study = optuna.create_study(study_name=name, storage=storage, load_if_exists=True,
                                sampler=optuna.samplers.RandomSampler())
    if mode == "--create":
        return
    if mode == "--wait":
        print("ready", flush=True)
        if not sys.stdin.readline():
            sys.exit(1)
    stamps = {"finished": 0, "first": 0.0, "last": 0.0}

    def objective(trial):
        if stamps["first"] == 0.0:
            stamps["first"] = time.time()
        x = trial.suggest_float("x", -10.0, 10.0)
        return x * x

    def count(study_, trial):
        stamps["finished"] += 1
        stamps["last"] = time.time()

    # MaxTrialsCallback counts every trial of the study, whoever ran it: Optuna's own way
    # of sharing a budget between workers (it may overshoot by a few; the driver counts).
    study.optimize(objective, callbacks=[count, MaxTrialsCallback(total, states=None)])
    print(json.dumps({"finished": stamps["finished"],
                      "seconds": max(0.0, stamps["last"] - stamps["first"]),
                      "first": stamps["first"], "last": stamps["last"]}))


if __name__ == "__main__":
    main()
