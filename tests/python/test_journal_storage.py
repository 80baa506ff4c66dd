"""Optuna's journal storage spelling -- JournalStorage(JournalFileBackend(path)), the
older JournalFileStorage, hpsearch.storages.journal -- maps to hpsearch's "journal:PATH":
a study written through one is read through the others, and by a second process."""
import subprocess
import sys

import hpsearch
from hpsearch.storages import JournalFileStorage, JournalStorage
from hpsearch.storages.journal import JournalFileBackend, JournalFileOpenLock

import pytest


def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    trial.report(x * x, 0)
    return (x - 1) ** 2


def test_journal_storage_round_trip(tmp_path):
    path = str(tmp_path / "study.journal")
    storage = JournalStorage(JournalFileBackend(path, lock_obj=JournalFileOpenLock(path)))
    study = hpsearch.create_study(study_name="j", storage=storage,
                                  sampler=hpsearch.samplers.RandomSampler(seed=3))
    study.optimize(objective, n_trials=6)
    again = hpsearch.load_study(study_name="j", storage=JournalStorage(JournalFileStorage(path)))
    by_url = hpsearch.load_study(study_name="j", storage="journal:" + path)
    for other in (again, by_url):
        assert [t.params for t in other.trials] == [t.params for t in study.trials]
        assert [t.value for t in other.trials] == [t.value for t in study.trials]
        assert other.trials[0].intermediate_values == study.trials[0].intermediate_values
    assert hpsearch.get_all_study_names(storage=storage) == ["j"]


def test_second_process_adds_to_the_same_study(tmp_path):
    path = str(tmp_path / "shared.journal")
    storage = JournalStorage(JournalFileBackend(path))
    hpsearch.create_study(study_name="shared", storage=storage)
    code = ("import hpsearch, sys\n"
            "s = hpsearch.load_study(study_name='shared', storage='journal:' + sys.argv[1])\n"
            "s.optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=4)\n")
    subprocess.run([sys.executable, "-c", code, path], check=True)
    study = hpsearch.load_study(study_name="shared", storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert sorted(t.number for t in study.trials) == list(range(6))


def test_only_a_file_backend(tmp_path):
    with pytest.raises(TypeError, match="JournalFileBackend"):
        JournalStorage(str(tmp_path / "x.journal"))
