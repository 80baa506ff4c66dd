"""No memory growth across 10 000 trials: every object, snapshot and engine handle a
trial makes is released (checked with tracemalloc for Python objects and RSS for the
engine's C memory)."""
import gc
import os
import tracemalloc
import weakref

import hpsearch

import pytest

PAGE = os.sysconf("SC_PAGE_SIZE")
# AddressSanitizer keeps freed memory in quarantine: RSS says nothing under it.
SANITIZED = os.environ.get("HPS_SANITIZED") == "1"


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def run_trials(study, n):
    for i in range(n):
        trial = study.ask()
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        trial.suggest_int("hidden_size", 32, 256)
        trial.suggest_categorical("activation", ["relu", "tanh"])
        trial.report(lr, 0)
        trial.set_user_attr("i", i)
        _ = trial.params
        frozen = study.tell(trial, lr)
        _ = (frozen.params, frozen.distributions, frozen.user_attrs, frozen.datetime_start)


def one_study(n, storage=None):
    study = hpsearch.create_study(storage=storage, study_name="mem",
                                  sampler=hpsearch.samplers.RandomSampler(seed=0))
    run_trials(study, n)
    trials = study.trials
    assert len(trials) == n
    assert trials[-1].params.keys() == {"lr", "hidden_size", "activation"}
    _ = study.best_trial


def test_repeated_10000_trial_studies_do_not_grow():
    one_study(10000)  # warm-up: allocator arenas, caches, interned strings
    gc.collect()
    before_rss = rss_bytes()
    one_study(10000)
    one_study(10000)
    gc.collect()
    grown_rss = rss_bytes() - before_rss
    # a leaked engine record, snapshot or trial handle per trial would be megabytes
    if not SANITIZED:
        assert grown_rss < 2 * 1024 * 1024, f"RSS grew by {grown_rss} bytes"
    # tracemalloc's own bookkeeping costs RSS: measure Python objects separately
    tracemalloc.start()
    try:
        before_py = tracemalloc.get_traced_memory()[0]
        one_study(10000)
        gc.collect()
        grown_py = tracemalloc.get_traced_memory()[0] - before_py
    finally:
        tracemalloc.stop()
    # a leak of one small object per trial would be 10 000 objects here
    assert grown_py < 64 * 1024, f"Python memory grew by {grown_py} bytes"


@pytest.mark.skipif(SANITIZED, reason="RSS is meaningless under AddressSanitizer")
def test_one_study_of_10000_trials_stays_small():
    gc.collect()
    before = rss_bytes()
    study = hpsearch.create_study(sampler=hpsearch.samplers.RandomSampler(seed=1))
    run_trials(study, 10000)
    grown = rss_bytes() - before
    # the engine keeps every trial's record (about 0.5 kB each) and nothing per trial
    # in Python
    assert grown < 40 * 1024 * 1024, f"RSS grew by {grown} bytes for 10 000 trials"
    del study


def test_sqlite_trials_release_everything(tmp_path):
    url = "sqlite:" + str(tmp_path / "mem.db")
    # random: what is measured is the trials' memory, not a model's fit over 1300 of them
    study = hpsearch.create_study(storage=url, study_name="mem",
                                  sampler=hpsearch.samplers.RandomSampler(seed=0))
    run_trials(study, 300)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        run_trials(study, 1000)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024, f"Python memory grew by {grown} bytes"


def test_a_dropped_study_and_its_trials_are_freed_without_a_collection():
    gc.disable()
    try:
        study = hpsearch.create_study()
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        frozen = study.tell(trial, 1.0)
        refs = [weakref.ref(study), weakref.ref(trial), weakref.ref(frozen)]
        del study, trial, frozen
        assert [r() for r in refs] == [None, None, None]
        storage = hpsearch.storages.InMemoryStorage()
        kept = weakref.ref(hpsearch.create_study(storage=storage, study_name="kept"))
        assert kept() is not None  # its storage holds it, as Optuna's does
        del storage
        assert kept() is None
    finally:
        gc.enable()
