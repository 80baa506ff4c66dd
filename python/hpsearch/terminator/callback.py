"""Optuna's ``optuna.terminator.TerminatorCallback``: a Terminator for
``Study.optimize(callbacks=[...])``."""
from .. import logging as _hlogging
from .terminator import BaseTerminator, Terminator

__all__ = ["TerminatorCallback"]

_logger = _hlogging.get_logger(__name__)


class TerminatorCallback:
    """Stops ``study.optimize`` (``study.stop()``) after the trial at which
    `terminator` (default: a :class:`Terminator` with its default evaluators) says the
    study should terminate, logging "The study has been stopped by the terminator.".
    """

    def __init__(self, terminator: BaseTerminator = None) -> None:
        self._terminator = terminator or Terminator()

    def __call__(self, study, trial) -> None:
        if self._terminator.should_terminate(study=study):
            _logger.info("The study has been stopped by the terminator.")
            study.stop()
