"""hpsearch.artifacts as Optuna's optuna.artifacts (Optuna 3.3+; Debian's Optuna 3.1 has
none, so the calls are Optuna's documented ones and its own tests' checks): a model
written in the objective is uploaded, listed on the best trial of a reloaded study,
downloaded and still scores what the trial reported; the store refuses what it must."""
import io
import os
import pickle

import pytest

import hpsearch as optuna
from hpsearch.artifacts import (ArtifactMeta, Backoff, FileSystemArtifactStore,
                                download_artifact, get_all_artifact_meta, upload_artifact)
from hpsearch.artifacts.exceptions import ArtifactNotFound


@pytest.fixture
def store(tmp_path):
    base = tmp_path / "artifacts"
    base.mkdir()
    return FileSystemArtifactStore(base_path=str(base))


def test_the_best_trials_model_comes_back_from_a_reloaded_study(store, sqlite_url, tmp_path):
    """Optuna's artifact tutorial: each trial pickles its model and uploads it; another
    process loads the study, lists the best trial's artifacts and downloads its model,
    which scores the value the trial reported."""
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    X, y = load_iris(return_X_y=True)

    def objective(trial):
        model = LogisticRegression(C=trial.suggest_float("C", 1e-3, 10, log=True),
                                   max_iter=200).fit(X, y)
        path = tmp_path / f"model-{trial.number}.pkl"
        path.write_bytes(pickle.dumps(model))
        upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=trial)
        return model.score(X, y)

    study = optuna.create_study(storage=sqlite_url, study_name="iris", direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=3)

    again = optuna.load_study(study_name="iris", storage=sqlite_url)
    assert all(len(get_all_artifact_meta(t)) == 1 for t in again.trials)
    (meta,) = get_all_artifact_meta(again.best_trial, storage=sqlite_url)
    assert meta == ArtifactMeta(artifact_id=meta.artifact_id,
                                filename=f"model-{again.best_trial.number}.pkl",
                                mimetype="application/octet-stream", encoding=None)
    target = tmp_path / "best.pkl"
    download_artifact(artifact_store=store, file_path=str(target), artifact_id=meta.artifact_id)
    assert pickle.loads(target.read_bytes()).score(X, y) == again.best_value
    with pytest.raises(FileExistsError):  # never overwrites
        download_artifact(artifact_store=store, file_path=str(target),
                          artifact_id=meta.artifact_id)


def test_study_artifacts_are_the_studys_own(store, tmp_path, sqlite_url):
    """A study's artifacts are listed on the study, not on its trials; MIME type and
    encoding are guessed from the name unless given; the old positional form works
    with Optuna's FutureWarning; copy_study keeps them."""
    study = optuna.create_study(storage=sqlite_url)
    trial = study.ask()
    study.tell(trial, 1.0)
    report = tmp_path / "report.csv.gz"
    report.write_bytes(b"x")
    with pytest.warns(FutureWarning):
        first = upload_artifact(study, str(report), store)
    second = upload_artifact(artifact_store=store, file_path=str(report), study_or_trial=study,
                             mimetype="text/plain", encoding="identity")
    metas = get_all_artifact_meta(study)
    assert [(m.artifact_id, m.mimetype, m.encoding) for m in metas] == [
        (first, "text/csv", "gzip"), (second, "text/plain", "identity")]
    assert get_all_artifact_meta(study.trials[0]) == []
    optuna.copy_study(from_study_name=study.study_name, from_storage=sqlite_url,
                      to_storage=sqlite_url, to_study_name="copied")
    copied = optuna.load_study(study_name="copied", storage=sqlite_url)
    assert get_all_artifact_meta(copied) == metas  # Optuna's copy_study keeps them too


def test_bad_uses_are_refused(store, tmp_path):
    study = optuna.create_study()
    frozen = study.ask()
    study.tell(frozen, 0.0)
    path = tmp_path / "f.txt"
    path.write_text("x")
    with pytest.raises(ValueError, match="storage is required"):  # as Optuna
        upload_artifact(artifact_store=store, file_path=str(path),
                        study_or_trial=study.trials[0])
    with pytest.raises(NotImplementedError, match="live Trial"):  # documented difference
        upload_artifact(artifact_store=store, file_path=str(path),
                        study_or_trial=study.trials[0], storage=optuna.storages.InMemoryStorage())
    with pytest.raises(FileNotFoundError):  # nothing recorded for a file that is not there
        upload_artifact(artifact_store=store, file_path=str(tmp_path / "none"),
                        study_or_trial=study)
    assert get_all_artifact_meta(study) == []
    with pytest.raises(ArtifactNotFound):
        store.open_reader("no-such-id")
    with pytest.raises(ArtifactNotFound):
        store.remove("no-such-id")
    for bad in ("../escape", os.path.abspath(str(path))):
        with pytest.raises(ValueError, match="Invalid artifact_id"):
            store.write(bad, io.BytesIO(b"x"))
    assert not (tmp_path / "escape").exists()


class _Flaky:
    """A store whose first write fails, as a network store's may."""

    def __init__(self, backend):
        self.backend, self.failed = backend, False

    def write(self, artifact_id, body):
        if not self.failed:
            self.failed = True
            body.read(2)  # sent half, then the connection broke
            raise OSError("connection reset")
        self.backend.write(artifact_id, body)

    def open_reader(self, artifact_id):
        return self.backend.open_reader(artifact_id)


def test_backoff_retries_a_failed_write_from_the_start(store):
    flaky = _Flaky(store)
    retrying = Backoff(flaky, min_delay=0.001, max_delay=0.002)
    retrying.write("a", io.BytesIO(b"0123"))
    assert flaky.failed
    with store.open_reader("a") as f:
        assert f.read() == b"0123"  # the retry starts from the beginning
