"""Bad input raises a clear ValueError/TypeError/KeyError -- never a crash -- and leaves
the trial usable."""
import gc
import hashlib
import math

import pytest

import hpsearch
from hpsearch.trial import TrialState


@pytest.fixture
def trial():
    study = hpsearch.create_study()
    t = study.ask()
    yield t
    # the trial survived whatever the test did to it
    assert study.tell(t, 1.0).state == TrialState.COMPLETE


BAD_SUGGESTIONS = [
    # (call, exception, message fragment)
    (lambda t: t.suggest_float("a", 2.0, 1.0), ValueError, "low (2) is greater than high (1)"),
    (lambda t: t.suggest_int("a", 5, 1), ValueError, "greater than high"),
    (lambda t: t.suggest_float("a", 0.0, 1.0, log=True), ValueError, "log distribution needs"),
    (lambda t: t.suggest_float("a", -1.0, 1.0, log=True), ValueError, "low > 0"),
    (lambda t: t.suggest_int("a", 0, 10, log=True), ValueError, "low > 0"),
    (lambda t: t.suggest_float("a", 0, 1, step=0.1, log=True), ValueError, "`step` is not"),
    (lambda t: t.suggest_int("a", 1, 10, step=2, log=True), ValueError, "step is 1"),
    (lambda t: t.suggest_float("a", 0, 1, step=0), ValueError, "non-zero positive"),
    (lambda t: t.suggest_float("a", 0, 1, step=-0.5), ValueError, "non-zero positive"),
    (lambda t: t.suggest_int("a", 0, 10, step=0), ValueError, "non-zero positive"),
    (lambda t: t.suggest_float("a", float("nan"), 1.0), ValueError, "finite"),
    (lambda t: t.suggest_float("a", 0.0, math.inf), ValueError, "finite"),
    (lambda t: t.suggest_int("a", 0, 2**70), ValueError, "64 bits"),
    (lambda t: t.suggest_int("a", 0, 2**60), ValueError, "2^53"),
    (lambda t: t.suggest_float("a", "zero", 1.0), TypeError, ""),
    (lambda t: t.suggest_int("a", "0", 1), TypeError, "must be an int"),
    (lambda t: t.suggest_float(3, 0.0, 1.0), TypeError, "name must be a str"),
    (lambda t: t.suggest_float("", 0.0, 1.0), ValueError, "name is empty"),
    (lambda t: t.suggest_float("a", 0.0), TypeError, "missing required argument 'high'"),
    (lambda t: t.suggest_float("a", 0.0, 1.0, 0.1), TypeError, "positional"),
    (lambda t: t.suggest_float("a", 0.0, 1.0, stepp=0.1), TypeError, "unexpected keyword"),
    (lambda t: t.suggest_categorical("a", []), ValueError, "choices must not be empty"),
    (lambda t: t.suggest_categorical("a", [[1, 2], [3]]), TypeError, "of type list"),
    (lambda t: t.suggest_categorical("a", [{"k": 1}]), TypeError, "of type dict"),
    (lambda t: t.suggest_categorical("a", [object()]), TypeError, "str, int, float and bool"),
    (lambda t: t.suggest_categorical("a", [None, "x"]), ValueError, "None"),
    (lambda t: t.suggest_categorical("a", [float("nan")]), ValueError, "NaN"),
    (lambda t: t.suggest_categorical("a", [2**64]), ValueError, "64 bits"),
    (lambda t: t.suggest_categorical("a", ["a\0b"]), ValueError, "NUL"),
    (lambda t: t.suggest_categorical("a", "abc"), TypeError, "not a string"),
    (lambda t: t.suggest_categorical("a", 5), TypeError, "sequence"),
    (lambda t: t.report("high", 0), TypeError, "supposed to be a float"),
    (lambda t: t.report(1.0, -1), ValueError, "cannot be negative"),
    (lambda t: t.report(1.0, 1.5), TypeError, "must be an int"),
    (lambda t: t.set_user_attr("k", object()), TypeError, "JSON serializable"),
    (lambda t: t.set_user_attr(1, 1), TypeError, "key must be a str"),
    (lambda t: t.set_user_attr("", 1), ValueError, "empty"),
]


@pytest.mark.parametrize("call,exc,fragment", BAD_SUGGESTIONS)
def test_bad_suggestions_raise(trial, call, exc, fragment):
    with pytest.raises(exc) as info:
        call(trial)
    assert fragment in str(info.value)


def test_resuggest_with_another_distribution(trial):
    trial.suggest_float("x", 0, 1)
    with pytest.raises(ValueError, match="already suggested .* another distribution"):
        trial.suggest_int("x", 0, 1)
    with pytest.raises(ValueError, match="another distribution"):
        trial.suggest_categorical("x", [0, 1])
    with pytest.raises(ValueError, match="another distribution"):
        trial.suggest_float("x", 0.5, 1, log=True)
    trial.suggest_categorical("c", ["a", "b"])
    with pytest.raises(ValueError, match="another distribution"):
        trial.suggest_categorical("c", ["a", "b", "c"])


def test_numpy_values_are_accepted(trial):
    np = pytest.importorskip("numpy")
    assert trial.suggest_float("f", np.float32(0.5), np.float64(1.0)) >= 0.5
    assert trial.suggest_int("i", np.int64(1), np.int32(3)) in (1, 2, 3)
    choice = trial.suggest_categorical("c", [np.int64(4), np.float64(2.5), np.bool_(True)])
    assert choice in (4, 2.5, True)
    trial.report(np.float32(0.25), np.int64(0))
    trial.set_user_attr("n", np.int64(7))
    assert trial.user_attrs["n"] == 7


def test_telling_a_finished_trial():
    study = hpsearch.create_study()
    t = study.ask()
    study.tell(t, 1.0)
    for args in [(t, 2.0), (t.number, 2.0), (t, None, TrialState.FAIL)]:
        with pytest.raises(ValueError, match="Cannot tell a COMPLETE trial"):
            study.tell(*args)
    study.enqueue_trial({"x": 1.0})
    with pytest.raises(ValueError, match="Cannot tell a WAITING trial"):
        study.tell(1, 1.0)
    with pytest.raises(ValueError, match="Cannot tell a WAITING trial"):
        study.tell(1, 1.0, skip_if_finished=True)


def test_missing_study(tmp_path):
    path = tmp_path / "none.db"
    url = "sqlite:" + str(path)
    # as Optuna's load_study: KeyError -- but no database is made to find that out
    with pytest.raises(KeyError, match="does not exist"):
        hpsearch.load_study(study_name="absent", storage=url)
    with pytest.raises(KeyError):
        hpsearch.Study("absent", url)
    with pytest.raises(KeyError):
        hpsearch.delete_study(study_name="absent", storage=url)
    with pytest.raises(ValueError, match="exactly 1 study"):
        hpsearch.load_study(study_name=None, storage=url)
    assert hpsearch.get_all_study_names(url) == []
    assert hpsearch.get_all_study_summaries(url) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    with pytest.raises(KeyError):
        hpsearch.load_study(study_name="absent", storage=hpsearch.storages.InMemoryStorage())
    hpsearch.create_study(study_name="made", storage=url)
    assert hpsearch.get_all_study_names(url) == ["made"]


def test_storage_errors_are_storage_internal_errors(tmp_path):
    path = tmp_path / "damaged.db"
    url = "sqlite:" + str(path)
    hpsearch.create_study(storage=url, study_name="x").optimize(
        lambda t: t.suggest_float("a", 0, 1), n_trials=2)
    gc.collect()
    with open(path, "r+b") as f:  # the table of tables, right after the file header
        f.seek(100)
        f.write(b"\xff" * 200)
    with pytest.raises(hpsearch.exceptions.StorageInternalError, match="malformed"):
        hpsearch.load_study(storage=url, study_name="x")


def _files(directory):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir()}


def _refused_untouched(directory, url, error, match):
    """Every way in raises `error` and leaves the directory's files as they were."""
    before = _files(directory)
    for call in (lambda: hpsearch.load_study(study_name="s", storage=url),
                 lambda: hpsearch.create_study(study_name="s", storage=url, load_if_exists=True),
                 lambda: hpsearch.get_all_study_names(url),
                 lambda: hpsearch.delete_study(study_name="s", storage=url)):
        with pytest.raises(error, match=match):
            call()
    assert _files(directory) == before


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"epoch,loss\n1,0.5\n")
    _refused_untouched(tmp_path, "sqlite:" + str(path), ValueError, "is not an SQLite database")


def test_an_optuna_storage_is_refused_untouched(tmp_path):
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = tmp_path / "optuna.db"
    study = optuna.create_study(study_name="s", storage="sqlite:///" + str(path))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    del study
    gc.collect()
    _refused_untouched(tmp_path, "sqlite:///" + str(path), ValueError,
                       "not an hpsearch one .*Optuna storage")
    assert len(optuna.load_study(study_name="s", storage="sqlite:///" + str(path)).trials) == 2
    with pytest.raises(hpsearch.exceptions.StorageInternalError):
        hpsearch.create_study(storage="sqlite:" + str(tmp_path / "no" / "such" / "dir.db"))


def test_bad_storage_arguments():
    with pytest.raises(ValueError):
        hpsearch.storages.RDBStorage("sqlite:x.db", heartbeat_interval=0)
    with pytest.raises(ValueError):
        hpsearch.storages.RDBStorage("sqlite:x.db", grace_period=-1)
    with pytest.raises(ValueError, match="RetryFailedTrialCallback"):
        hpsearch.storages.RDBStorage("sqlite:x.db", failed_trial_callback=lambda s, t: None)
    with pytest.raises(ValueError):
        hpsearch.storages.RetryFailedTrialCallback(max_retry=-1)
    with pytest.raises(NotImplementedError):
        hpsearch.storages.RetryFailedTrialCallback(inherit_intermediate_values=True)


def test_trials_cannot_be_built_directly():
    with pytest.raises(TypeError, match="created by Study.ask"):
        hpsearch.Trial()
    with pytest.raises(TypeError, match="created by Study.ask"):
        hpsearch._core.Trial()
