"""XGBoost pruning: Optuna's ``optuna.integration.XGBoostPruningCallback``."""
from typing import Any

from ..exceptions import TrialPruned
from . import _require

_xgb = _require("xgboost", "python3-xgboost", "XGBoostPruningCallback")


class XGBoostPruningCallback(_xgb.callback.TrainingCallback):
    """Reports an evaluation metric of XGBoost training to the trial after every boosting
    round and stops the trial with :class:`~hpsearch.TrialPruned` when the pruner says so.

    Args:
        trial: the running trial.
        observation_key: ``"<dataset>-<metric>"`` as in XGBoost's evaluation log, e.g.
            ``"validation-logloss"`` for ``evals=[(dvalid, "validation")]``, or
            ``"validation_0-logloss"`` with the scikit-learn API's ``eval_set``; with
            ``xgboost.cv``, ``"test-logloss"`` (the mean over folds).
    """

    def __init__(self, trial: Any, observation_key: str) -> None:
        super().__init__()
        self._trial = trial
        self._observation_key = observation_key
        self._is_cv = False

    def before_training(self, model: Any) -> Any:
        # xgboost.cv trains a packed set of boosters whose log holds (mean, std) pairs.
        self._is_cv = not isinstance(model, _xgb.Booster)
        return model

    def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
        score = self._latest_score(evals_log)
        self._trial.report(score, step=epoch)
        if self._trial.should_prune():
            raise TrialPruned(f"Trial was pruned at iteration {epoch}.")
        return False  # never stops training itself: early stopping is XGBoost's

    def _latest_score(self, evals_log: dict) -> float:
        latest = {}
        for dataset, metrics in evals_log.items():
            for metric, scores in metrics.items():
                last = scores[-1]
                latest[f"{dataset}-{metric}"] = last[0] if self._is_cv else last
        if self._observation_key not in latest:
            raise KeyError(f"XGBoostPruningCallback: observation_key "
                           f"{self._observation_key!r} is not in XGBoost's evaluation log "
                           f"(it has {sorted(latest)})")
        return latest[self._observation_key]
