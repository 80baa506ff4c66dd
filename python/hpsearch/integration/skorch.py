"""skorch pruning: Optuna's ``optuna.integration.SkorchPruningCallback``."""
from typing import Any

from ..exceptions import TrialPruned
from . import _require

_callbacks = _require("skorch.callbacks", "python3-skorch", "SkorchPruningCallback")


class SkorchPruningCallback(_callbacks.Callback):
    """Reports a metric of skorch's history to the trial after every epoch and stops the
    trial with :class:`~hpsearch.TrialPruned` when the pruner says so.

    Args:
        trial: the running trial.
        monitor: a key of ``net.history``'s epoch rows, e.g. ``"valid_loss"`` or
            ``"valid_acc"``.
    """

    def __init__(self, trial: Any, monitor: str) -> None:
        super().__init__()
        self._trial = trial
        self._monitor = monitor

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:
        history = net.history
        if not history:
            return
        epoch = len(history) - 1
        self._trial.report(history[-1, self._monitor], epoch)
        if self._trial.should_prune():
            raise TrialPruned(f"Trial was pruned at epoch {epoch}.")
