"""Trials in threads: optimize(n_jobs=4), and ask/tell from many threads at once. The
engine runs with the GIL released, so trials that wait overlap in time."""
import threading
import time

import pytest

import hpsearch
from hpsearch.trial import TrialState


@pytest.mark.parametrize("storage_kind", ["memory", "sqlite"])
def test_optimize_n_jobs_runs_trials_concurrently(storage_kind, sqlite_url):
    storage = None if storage_kind == "memory" else sqlite_url
    study = hpsearch.create_study(storage=storage, study_name="threads")
    lock = threading.Lock()
    running = [0]
    peak = [0]
    threads = set()

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        n = trial.suggest_int("n", 0, 100)
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            threads.add(threading.get_ident())
        time.sleep(0.1)
        trial.report(x, 0)
        trial.set_user_attr("thread", threading.get_ident())
        with lock:
            running[0] -= 1
        return x + n

    study.optimize(objective, n_trials=16, n_jobs=4)
    trials = study.trials
    assert len(trials) == 16
    assert sorted(t.number for t in trials) == list(range(16))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert all(t.value == t.params["x"] + t.params["n"] for t in trials)
    assert all(t.intermediate_values == {0: t.params["x"]} for t in trials)
    # overlapped, not one after the other: seen as trials running at once, not as time
    # (a loaded machine stretches any timing)
    assert peak[0] >= 2 and len(threads) >= 2


def test_n_jobs_exception_propagates():
    study = hpsearch.create_study()

    def objective(trial):
        trial.suggest_float("x", 0, 1)
        if trial.number == 3:
            raise RuntimeError("thread boom")
        time.sleep(0.01)
        return 1.0

    with pytest.raises(RuntimeError, match="thread boom"):
        study.optimize(objective, n_trials=12, n_jobs=3)
    failed = study.get_trials(states=(TrialState.FAIL,))
    assert [t.number for t in failed] == [3]
    assert failed[0].system_attrs["fail_reason"] == "RuntimeError: thread boom"


def test_n_jobs_grid_stops_when_exhausted():
    space = {"a": list(range(5)), "b": [0, 1]}
    study = hpsearch.create_study(sampler=hpsearch.samplers.GridSampler(space))

    def objective(trial):
        time.sleep(0.01)
        return trial.suggest_int("a", 0, 4) + trial.suggest_int("b", 0, 1)

    study.optimize(objective, n_jobs=4)
    cells = [(t.params["a"], t.params["b"]) for t in study.trials]
    assert len(cells) == 10 and len(set(cells)) == 10


def test_raw_ask_tell_from_many_threads(sqlite_url):
    study = hpsearch.create_study(storage=sqlite_url, study_name="raw")
    errors = []

    def worker():
        try:
            for _ in range(25):
                trial = study.ask()
                v = trial.suggest_float("v", 0, 1)
                trial.suggest_categorical("c", ["a", "b", "c"])
                trial.report(v, 1)
                _ = trial.params
                study.tell(trial, v)
                _ = study.best_value
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    workers = [threading.Thread(target=worker) for _ in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    trials = study.trials
    assert len(trials) == 150 and sorted(t.number for t in trials) == list(range(150))
    assert all(t.state == TrialState.COMPLETE and t.value == t.params["v"] for t in trials)


def test_gil_is_released_while_the_engine_works(sqlite_url):
    """A Python thread keeps running while another thread is inside the engine."""
    study = hpsearch.create_study(storage=sqlite_url, study_name="gil")
    stop = threading.Event()
    ticks = [0]

    def spinner():
        while not stop.is_set():
            ticks[0] += 1

    thread = threading.Thread(target=spinner)
    thread.start()
    try:
        for _ in range(200):
            trial = study.ask()
            trial.suggest_float("x", 0, 1)
            study.tell(trial, 1.0)
    finally:
        stop.set()
        thread.join()
    assert ticks[0] > 1000
