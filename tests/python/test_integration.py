"""optuna.integration through `import hpsearch as optuna`: XGBoost and skorch pruning
callbacks, OptunaSearchCV and TorchDistributedTrial, each on a tiny real model with
scikit-learn's bundled data, run the same way through Debian's Optuna (3.1, which has all
four) and compared on what a user sees."""
import math
import os
import subprocess
import sys
import warnings

import pytest

import hpsearch
from conftest import PACKAGE_PARENT

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


# -- XGBoost -----------------------------------------------------------------------------
ROUNDS = 8


def xgboost_study(mod, use_cv):
    xgb = pytest.importorskip("xgboost")
    from sklearn.datasets import load_breast_cancer
    X, y = load_breast_cancer(return_X_y=True)
    dtrain, dvalid = xgb.DMatrix(X[::2], label=y[::2]), xgb.DMatrix(X[1::2], label=y[1::2])
    logs = {}

    def objective(trial):
        params = {"objective": "binary:logistic", "eval_metric": "logloss", "nthread": 1,
                  "eta": trial.suggest_float("eta", 0.001, 1.0, log=True), "max_depth": 2}
        if use_cv:
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


@pytest.mark.parametrize("use_cv", [False, True], ids=["train", "cv"])
@pytest.mark.parametrize("mod", ENGINES)
def test_xgboost_pruning_callback(mod, use_cv):
    study, logs = xgboost_study(mod, use_cv)
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
