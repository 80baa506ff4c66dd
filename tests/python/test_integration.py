"""optuna.integration through `import hpsearch as optuna`: XGBoost and skorch pruning
callbacks, OptunaSearchCV, TorchDistributedTrial and DaskStorage, each on a tiny real model with
scikit-learn's bundled data, run the same way through Debian's Optuna (3.1, which has all
four) and compared on what a user sees."""
import os
import subprocess
import sys
import warnings

import pytest

import hpsearch
from conftest import PACKAGE_PARENT
from torch_ddp_worker import ddp_worker

optuna = pytest.importorskip("optuna")
ENGINES = [pytest.param(hpsearch, id="hpsearch"), pytest.param(optuna, id="optuna")]


@pytest.fixture(autouse=True)
def quiet_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna's ExperimentalWarning, sklearn's FitFailed
        yield


def test_import_hpsearch_imports_no_integration_library():
    code = ("import sys, hpsearch as optuna\n"
            "heavy = [m for m in ('xgboost', 'sklearn', 'skorch', 'torch') if m in sys.modules]\n"
            "assert not heavy, heavy\n"
            "assert 'XGBoostPruningCallback' in dir(optuna.integration)\n"
            "try:\n"
            "    optuna.integration.NoSuchCallback\n"
            "except AttributeError as e:\n"
            "    print(e)\n")
    env = dict(os.environ, PYTHONPATH=PACKAGE_PARENT)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert "has no attribute 'NoSuchCallback'" in out


@pytest.mark.parametrize("name, library, package", [
    ("XGBoostPruningCallback", "xgboost", "python3-xgboost"),
    ("SkorchPruningCallback", "skorch", "python3-skorch"),
    ("OptunaSearchCV", "sklearn", "python3-sklearn"),
    ("TorchDistributedTrial", "torch", "python3-torch"),
    ("DaskStorage", "distributed", "python3-distributed")])
def test_integration_without_its_library_names_the_package(name, library, package):
    code = (f"import sys\n"
            f"sys.modules[{library!r}] = None  # as if not installed\n"
            f"import hpsearch as optuna\n"
            f"try:\n"
            f"    optuna.integration.{name}\n"
            f"except ImportError as e:\n"
            f"    print(e)\n")
    env = dict(os.environ, PYTHONPATH=PACKAGE_PARENT)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith(f"{name} needs {library!r}, which could not be imported")
    assert f"apt-get install {package}" in out


# -- XGBoost -----------------------------------------------------------------------------
ROUNDS = 8


def xgboost_study(mod, api):
    xgb = pytest.importorskip("xgboost")
    from sklearn.datasets import load_breast_cancer
    X, y = load_breast_cancer(return_X_y=True)
    dtrain, dvalid = xgb.DMatrix(X[::2], label=y[::2]), xgb.DMatrix(X[1::2], label=y[1::2])
    logs = {}

    def objective(trial):
        params = {"objective": "binary:logistic", "eval_metric": "logloss", "nthread": 1,
                  "eta": trial.suggest_float("eta", 0.001, 1.0, log=True), "max_depth": 2}
        if api == "sklearn":
            key = "validation_0-logloss"
            callback = mod.integration.XGBoostPruningCallback(trial, key)
            model = xgb.XGBClassifier(n_estimators=ROUNDS, learning_rate=params["eta"],
                                      max_depth=2, n_jobs=1, eval_metric="logloss",
                                      callbacks=[callback])
            model.fit(X[::2], y[::2], eval_set=[(X[1::2], y[1::2])], verbose=False)
            logs[trial.number] = model.evals_result()["validation_0"]["logloss"]
        elif api == "cv":
            key = "test-logloss"
            callback = mod.integration.XGBoostPruningCallback(trial, key)
            result = xgb.cv(params, dtrain, ROUNDS, nfold=2, seed=0, callbacks=[callback])
            logs[trial.number] = list(result[key + "-mean"])
        else:
            key = "validation-logloss"
            callback = mod.integration.XGBoostPruningCallback(trial, key)
            log = {}
            xgb.train(params, dtrain, ROUNDS, evals=[(dvalid, "validation")],
                      evals_result=log, callbacks=[callback], verbose_eval=False)
            logs[trial.number] = log["validation"]["logloss"]
        return logs[trial.number][-1]

    # After 3 rounds a fast learner is below 0.6 logloss, a slow one is not: pruned.
    study = mod.create_study(pruner=mod.pruners.ThresholdPruner(upper=0.6, n_warmup_steps=3))
    study.enqueue_trial({"eta": 0.5})
    study.enqueue_trial({"eta": 0.001})
    study.optimize(objective, n_trials=2)
    return study, logs


@pytest.mark.parametrize("api", ["train", "cv", "sklearn"])
@pytest.mark.parametrize("mod", ENGINES)
def test_xgboost_pruning_callback(mod, api):
    study, logs = xgboost_study(mod, api)
    fast, slow = study.trials
    assert [fast.state.name, slow.state.name] == ["COMPLETE", "PRUNED"]
    assert list(fast.intermediate_values) == list(range(ROUNDS))
    assert [fast.intermediate_values[i] for i in range(ROUNDS)] == pytest.approx(logs[0])
    assert list(slow.intermediate_values) == [0, 1, 2, 3]  # stopped at the first check
    assert slow.intermediate_values[3] > 0.6


def test_xgboost_pruning_callback_names_a_missing_key():
    xgb = pytest.importorskip("xgboost")
    from sklearn.datasets import load_breast_cancer
    X, y = load_breast_cancer(return_X_y=True)
    d = xgb.DMatrix(X, label=y)
    trial = hpsearch.create_study().ask()
    callback = hpsearch.integration.XGBoostPruningCallback(trial, "valid-auc")
    with pytest.raises(KeyError, match="'valid-auc'.*'validation-logloss'"):
        xgb.train({"eval_metric": "logloss", "nthread": 1}, d, 2,
                  evals=[(d, "validation")], callbacks=[callback], verbose_eval=False)


# -- skorch ------------------------------------------------------------------------------
EPOCHS = 5


def skorch_study(mod):
    pytest.importorskip("skorch")
    import numpy as np
    import torch
    from skorch import NeuralNetClassifier
    from sklearn.datasets import load_iris
    torch.set_num_threads(1)
    X, y = load_iris(return_X_y=True)
    X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)

    def objective(trial):
        torch.manual_seed(0)
        net = NeuralNetClassifier(
            torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(),
                                torch.nn.Linear(16, 3), torch.nn.Softmax(dim=-1)),
            lr=trial.suggest_float("lr", 1e-5, 1.0, log=True), max_epochs=EPOCHS,
            optimizer=torch.optim.SGD, verbose=0,
            callbacks=[mod.integration.SkorchPruningCallback(trial, "valid_loss")])
        net.fit(X, y.astype(np.int64))
        return net.history[-1, "valid_acc"]

    # Plain SGD at lr 1e-5 stays at the initial loss (about log 3 = 1.1): pruned.
    study = mod.create_study(direction="maximize",
                             pruner=mod.pruners.ThresholdPruner(upper=0.9, n_warmup_steps=2))
    study.enqueue_trial({"lr": 0.5})
    study.enqueue_trial({"lr": 1e-5})
    study.optimize(objective, n_trials=2)
    return study


@pytest.mark.parametrize("mod", ENGINES)
def test_skorch_pruning_callback(mod):
    fast, slow = skorch_study(mod).trials
    assert [fast.state.name, slow.state.name] == ["COMPLETE", "PRUNED"]
    assert list(fast.intermediate_values) == list(range(EPOCHS))
    assert fast.value > 0.6  # chance is 1/3
    assert list(slow.intermediate_values) == [0, 1, 2]
    assert slow.intermediate_values[2] > 0.9


# -- OptunaSearchCV ----------------------------------------------------------------------
def search_cv(mod, **kwargs):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    X, y = load_iris(return_X_y=True)
    seen = []
    search = mod.integration.OptunaSearchCV(
        LogisticRegression(max_iter=200),
        {"C": mod.distributions.FloatDistribution(1e-3, 10.0, log=True)},
        cv=3, n_trials=4, random_state=0,
        callbacks=[lambda study, trial: seen.append(trial.number)], **kwargs)
    search.fit(X, y)
    return search, seen, X, y


@pytest.mark.parametrize("mod", ENGINES)
def test_optuna_search_cv(mod):
    search, seen, X, y = search_cv(mod)
    assert seen == [0, 1, 2, 3]
    assert search.n_trials_ == len(search.trials_) == 4
    assert search.study_.direction == mod.study.StudyDirection.MAXIMIZE
    assert search.n_splits_ == 3 and list(search.sample_indices_) == list(range(len(X)))
    assert list(search.best_params_) == ["C"]
    assert search.best_score_ == max(t.user_attrs["mean_test_score"] for t in search.trials_)
    best = search.best_trial_.user_attrs
    folds = [best[f"split{i}_test_score"] for i in range(3)]
    assert best["mean_test_score"] == pytest.approx(sum(folds) / 3)
    assert search.best_index_ == search.best_trial_.number
    assert search.best_estimator_.C == search.best_params_["C"]
    assert list(search.classes_) == [0, 1, 2]
    assert (search.predict(X) == search.best_estimator_.predict(X)).all()
    assert search.score(X, y) == search.best_estimator_.score(X, y)


@pytest.mark.parametrize("mod", ENGINES)
def test_optuna_search_cv_is_a_scikit_learn_estimator(mod):
    from sklearn.base import clone
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    X, y = load_iris(return_X_y=True)
    search = mod.integration.OptunaSearchCV(
        LogisticRegression(), {"C": mod.distributions.FloatDistribution(0.1, 1.0)},
        cv=2, n_trials=2, timeout=600)
    copy = clone(search)
    assert copy.get_params()["n_trials"] == 2 and copy.get_params()["timeout"] == 600
    pipeline = make_pipeline(StandardScaler(), copy).fit(X, y)
    assert len(copy.trials_) == 2 and not hasattr(search, "study_")
    assert pipeline.score(X, y) > 0.9


@pytest.mark.parametrize("mod", ENGINES)
def test_optuna_search_cv_without_refit_or_with_a_scorer(mod):
    search, _, X, _ = search_cv(mod, refit=False, scoring="neg_log_loss",
                                return_train_score=True, subsample=0.5)
    assert len(search.sample_indices_) == len(X) // 2
    assert search.best_score_ < 0  # a negated loss, still maximised
    assert "mean_train_score" in search.best_trial_.user_attrs
    with pytest.raises(AttributeError, match="best_estimator_"):
        search.predict(X)


@pytest.mark.parametrize("mod", ENGINES)
def test_optuna_search_cv_with_pruning(mod):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import SGDClassifier
    X, y = load_iris(return_X_y=True)
    search = mod.integration.OptunaSearchCV(
        SGDClassifier(random_state=0),
        {"alpha": mod.distributions.FloatDistribution(1e-5, 1e-1, log=True)},
        cv=3, n_trials=2, enable_pruning=True, max_iter=4, random_state=0)
    search.fit(X, y)
    assert [list(t.intermediate_values) for t in search.trials_] == [[0, 1, 2, 3]] * 2
    for trial in search.trials_:
        assert trial.intermediate_values[3] == pytest.approx(trial.value)


@pytest.mark.parametrize("mod", ENGINES)
def test_optuna_search_cv_error_score(mod):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import SGDClassifier
    X, y = load_iris(return_X_y=True)
    failing = {"loss": mod.distributions.CategoricalDistribution(["no-such-loss"])}
    search = mod.integration.OptunaSearchCV(SGDClassifier(), failing, n_trials=1, cv=3,
                                            enable_pruning=True, max_iter=2, refit=False,
                                            error_score=0.25)
    search.fit(X, y)  # every partial_fit fails: every fold scores error_score
    assert search.trials_[0].value == 0.25
    assert search.trials_[0].user_attrs["split2_test_score"] == 0.25
    search.set_params(error_score="raise")
    with pytest.raises(ValueError, match="no-such-loss"):
        search.fit(X, y)


@pytest.mark.parametrize("mod", ENGINES)
def test_optuna_search_cv_bad_arguments(mod):
    from sklearn.linear_model import LogisticRegression
    with pytest.raises(TypeError, match="param_distributions must be a dictionary"):
        mod.integration.OptunaSearchCV(LogisticRegression(), [("C", 1.0)])
    search = mod.integration.OptunaSearchCV(LogisticRegression(), {"C": 1.0})
    with pytest.raises(ValueError, match="Value of C must be a optuna distribution"):
        search.fit([[0.0], [1.0]], [0, 1])
    minimize = mod.create_study(direction="minimize")
    search = mod.integration.OptunaSearchCV(
        LogisticRegression(), {"C": mod.distributions.FloatDistribution(0.1, 1.0)},
        study=minimize)
    with pytest.raises(ValueError, match="direction of study must be 'maximize'"):
        search.fit([[0.0], [1.0]], [0, 1])


# -- TorchDistributedTrial ---------------------------------------------------------------
@pytest.fixture(scope="module")
def ddp_results(tmp_path_factory):
    """What each rank of a 2-process gloo job saw, per engine."""
    import pickle
    pytest.importorskip("torch.distributed")
    import torch.multiprocessing
    out_dir = tmp_path_factory.mktemp("ddp")
    try:
        torch.multiprocessing.spawn(ddp_worker, nprocs=2, join=True,
                                    args=(str(out_dir / "init"), str(out_dir)))
    except torch.multiprocessing.ProcessException as e:
        # spawn's own traceback is long, and a CI log cut in its middle loses the cause
        # (a failure under ASan once showed only spawn's source): the rank's error first,
        # and how far the job got.
        written = sorted(p.name for p in out_dir.glob("*.pickle"))
        pytest.fail(f"the 2-rank gloo job failed: {e}\nresults written: {written}",
                    pytrace=False)
    return {name: [pickle.loads((out_dir / f"{name}-rank{r}.pickle").read_bytes())
                   for r in (0, 1)] for name in ("hpsearch", "optuna")}


@pytest.mark.parametrize("engine_name", ["hpsearch", "optuna"])
def test_torch_distributed_trial(engine_name, ddp_results):
    rank0, rank1 = ddp_results[engine_name]
    assert rank0["seen"] == rank1["seen"]  # same numbers, parameters, pruning decisions
    numbers_states = [(number, state) for number, state, _, _ in rank0["trials"]]
    assert numbers_states[:2] == [(0, "COMPLETE"), (1, "PRUNED")]
    for (number, _, params, steps), seen in zip(rank0["trials"], rank0["seen"]):
        assert seen["number"] == number
        assert seen["params"] == params  # exactly what rank 0's trial stored
        assert steps == list(range(len(seen["decisions"])))
    good, bad = rank0["seen"][:2]
    assert good["params"] == {"optimizer": "Adam", "lr": 0.05, "hidden": 16}
    assert good["user_attrs"] == {"hidden_seen": 16}
    assert bad["decisions"] == [False] * 4 + [True]  # pruned at the first step it may be
    if engine_name == "hpsearch":
        assert rank0["errors"][0] == rank1["errors"][0]
        assert rank0["errors"][0].startswith("parameter 'x': low (1) is greater than high")
        assert rank0["errors"][1] == ("TorchDistributedTrial: another rank was given a "
                                      "wrong trial argument (rank 0 takes the Trial, the "
                                      "others None)")
        assert rank1["errors"][1] == ("Non-rank 0 node is supposed to receive None as the "
                                      "trial argument.")


@pytest.mark.parametrize("mod", ENGINES)
def test_torch_distributed_trial_needs_an_initialized_process_group(mod):
    dist = pytest.importorskip("torch.distributed")
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match="not initialized"):
        mod.integration.TorchDistributedTrial(None)


# -- Dask --------------------------------------------------------------------------------
def iris_tree_with_pid(trial):
    """A real model, and the process that trained it."""
    from sklearn.datasets import load_iris
    from sklearn.model_selection import cross_val_score
    from sklearn.tree import DecisionTreeClassifier
    trial.set_user_attr("pid", os.getpid())
    X, y = load_iris(return_X_y=True)
    depth = trial.suggest_int("max_depth", 1, 4)
    return cross_val_score(DecisionTreeClassifier(max_depth=depth), X, y, cv=3).mean()


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with distributed.Client(n_workers=2, threads_per_worker=1, processes=True,
                            dashboard_address=None) as client:
        yield client


@pytest.mark.parametrize("mod", [hpsearch, optuna], ids=["hpsearch", "optuna"])
def test_dask_storage_runs_trials_on_the_workers(mod, dask_client):
    # optuna-examples' dask/dask_simple.py: tasks that each run study.optimize
    from distributed import wait
    storage = mod.integration.dask.DaskStorage()
    study = mod.create_study(storage=storage, direction="maximize")
    futures = [dask_client.submit(study.optimize, iris_tree_with_pid, n_trials=3, pure=False)
               for _ in range(4)]
    wait(futures)
    for future in futures:
        future.result()  # re-raises a worker's error
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(12))
    assert all(t.state == mod.trial.TrialState.COMPLETE for t in trials)
    assert os.getpid() not in {t.user_attrs["pid"] for t in trials}  # ran on the workers
    assert study.best_value == max(t.value for t in trials) > 0.9
    assert 1 <= study.best_params["max_depth"] <= 4


def test_dask_storage_arguments(dask_client, tmp_path):
    DaskStorage = hpsearch.integration.DaskStorage
    url = f"sqlite:{tmp_path / 'shared.db'}"
    storage = DaskStorage(url, name="mine", client=dask_client)
    assert (storage.url, storage.name) == (url, "mine")
    assert storage.get_base_storage().url == url
    assert DaskStorage(hpsearch.storages.RDBStorage(url)).url == url
    assert DaskStorage(hpsearch.storages.InMemoryStorage()).url.startswith("sqlite:")
    with pytest.raises(TypeError, match="DaskStorage: storage must be None, a URL"):
        DaskStorage(42)


def test_dask_storage_without_a_client_raises_as_optuna_does():
    pytest.importorskip("distributed")
    code = ("import hpsearch as optuna\n"
            "try:\n"
            "    optuna.integration.DaskStorage()\n"
            "except ValueError as e:\n"
            "    print('ValueError', e)\n")
    env = dict(os.environ, PYTHONPATH=PACKAGE_PARENT)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith("ValueError No global client found")


def test_dask_storage_knows_the_addresses_of_this_machine():
    pytest.importorskip("distributed")
    from hpsearch.integration.dask import _is_this_machine
    assert _is_this_machine("127.0.0.1")
    assert not _is_this_machine("192.0.2.1")  # TEST-NET-1: never a local address
