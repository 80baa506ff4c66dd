"""Exceptions of hpsearch, named as in ``optuna.exceptions``.

Errors of the C engine arrive as these or as built-in exceptions: bad arguments as
:class:`ValueError` (or :class:`TypeError`), a missing study as :class:`KeyError`, a
study name taken as :class:`DuplicatedStudyError`, database trouble as
:class:`StorageInternalError`, exhausted memory as :class:`MemoryError`. The message is
the engine's own.
"""

__all__ = [
    "HpsearchError",
    "OptunaError",
    "TrialPruned",
    "CLIUsageError",
    "StorageInternalError",
    "DuplicatedStudyError",
    "StudyDone",
    "UpdateFinishedTrialError",
    "ExperimentalWarning",
]


class HpsearchError(Exception):
    """Base class of hpsearch's own errors (``optuna.exceptions.OptunaError``)."""


#: Optuna's name for the base class.
OptunaError = HpsearchError


class TrialPruned(HpsearchError):
    """Raise this from an objective to stop a trial the pruner gave up on.

    ``Study.optimize`` records the trial as PRUNED (its value is the last reported
    intermediate value) and goes on with the next one::

        for step in range(epochs):
            trial.report(accuracy, step)
            if trial.should_prune():
                raise hpsearch.TrialPruned()
    """


class CLIUsageError(HpsearchError):
    """Invalid use of a command-line tool (kept for Optuna compatibility)."""


class StorageInternalError(HpsearchError):
    """The storage failed: the database could not be read or written, or it holds data
    the engine cannot parse."""


class DuplicatedStudyError(HpsearchError):
    """A study of that name already exists in the storage (create it with
    ``load_if_exists=True`` to reuse it)."""


def _duplicated_study_message(name: str) -> str:
    """Optuna's text for a study name taken, word for word: programs match on it."""
    return ("Another study with name '{}' already exists. Please specify a different name, or "
            "reuse the existing one by setting `load_if_exists` (for Python API) or "
            "`--skip-if-exists` flag (for CLI).".format(name))


class StudyDone(HpsearchError):
    """``Study.ask`` has nothing left to hand out: the grid of a ``GridSampler`` has been
    exhausted (every cell is running or finished).

    ``Study.optimize`` stops quietly when this happens, as Optuna's grid search does.
    """


class UpdateFinishedTrialError(HpsearchError, RuntimeError):
    """A finished trial was written to. Raised, as in Optuna, by
    ``Trial.set_constraint`` after the trial was told (the engine itself lets a told
    trial's attributes be set)."""


class ExperimentalWarning(Warning):
    """Warning for features whose interface may still change."""


def _warn_experimental(name: str, version: str) -> None:
    """Optuna's warning for a class it marks experimental, word for word."""
    import warnings
    warnings.warn(f"{name} is experimental (supported from v{version}). The interface can "
                  "change in the future.", ExperimentalWarning, stacklevel=3)
