"""Optuna's ask + suggest + tell cost per trial, the same loop as overhead.c.

    optuna_overhead.py STORAGE N
STORAGE is ":memory:" or "sqlite:PATH" (recreated). Prints one JSON object."""
import json
import os
import resource
import sys
import time

import optuna


def main():
    url, n = sys.argv[1], int(sys.argv[2])
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = None
    if url.startswith("sqlite:"):
        path = url[len("sqlite:"):]
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        storage = "sqlite:///" + os.path.abspath(path)
    study = optuna.create_study(storage=storage, study_name="overhead",
                                sampler=optuna.samplers.RandomSampler(seed=1))
    tail_start = n - n // 10
    cpu0, wall0 = time.process_time(), time.perf_counter()
    cpu_tail, wall_tail = cpu0, wall0
    for i in range(n):
        if i == tail_start:
            cpu_tail, wall_tail = time.process_time(), time.perf_counter()
        trial = study.ask()
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        hidden = trial.suggest_int("hidden_size", 32, 256)
        trial.suggest_categorical("activation", ["relu", "tanh"])
        study.tell(trial, lr * hidden)
    cpu1, wall1 = time.process_time(), time.perf_counter()
    assert len(study.trials) == n
    tail = n - tail_start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({
        "engine": "optuna " + optuna.__version__,
        "storage": "sqlite" if storage else "memory",
        "trials": n,
        "cpu_ms_per_trial": (cpu1 - cpu0) * 1e3 / n,
        "wall_ms_per_trial": (wall1 - wall0) * 1e3 / n,
        "tail_cpu_ms_per_trial": (cpu1 - cpu_tail) * 1e3 / tail,
        "tail_wall_ms_per_trial": (wall1 - wall_tail) * 1e3 / tail,
        "peak_rss_mb": peak,
    }))


if __name__ == "__main__":
    main()
