"""Storages, as in ``optuna.storages``: where studies live.

A storage is given as a URL or an object:

- ``None`` or :class:`InMemoryStorage`: in this process only, gone when it ends;
- ``"sqlite:PATH"``, or Optuna's ``"sqlite:///relative.db"`` / ``"sqlite:////abs.db"``:
  an SQLite file that any number of processes share (the ``hpsearch`` command too),
  made by ``create_study``. Reading never makes one: ``load_study`` and
  ``delete_study`` raise KeyError when there is no database, the listing functions
  return nothing. A file that is not an hpsearch database (an Optuna storage too)
  raises ValueError and is left as it was;
- :class:`RDBStorage` (url, heartbeat_interval, grace_period, failed_trial_callback):
  a URL with explicit heartbeat and retry settings;
- ``"journal:PATH"``, or Optuna's ``JournalStorage(JournalFileBackend(PATH))`` (also
  spelled ``JournalFileStorage``, and ``hpsearch.storages.journal.JournalFileBackend``):
  an append-only journal file that processes on several machines share through a
  network filesystem (NFS, Lustre) with no database server.

Every trial of a persistent study beats a heartbeat from a background thread of the
engine -- whether it runs inside ``optimize`` or was handed out by ``ask`` -- every
``heartbeat_interval`` seconds (default 10). A RUNNING trial whose heartbeat is older than
``grace_period`` (default 60 s; 2 x heartbeat_interval when only that is given), or whose
process on this machine is gone, is failed by the next ``ask`` of any worker and, with
``RetryFailedTrialCallback(max_retry=n)``, re-queued with the same parameters.
"""
import os
import sys
import types
from typing import Any, Callable, Dict, NamedTuple, Optional

from .exceptions import DuplicatedStudyError, _duplicated_study_message

__all__ = ["BaseStorage", "InMemoryStorage", "RDBStorage", "RetryFailedTrialCallback",
           "JournalStorage", "JournalFileStorage", "JournalFileBackend",
           "JournalFileSymlinkLock", "JournalFileOpenLock", "fail_stale_trials", "DEFAULT_HEARTBEAT_INTERVAL", "DEFAULT_GRACE_PERIOD"]

#: Seconds between heartbeats of a running trial (persistent storage).
DEFAULT_HEARTBEAT_INTERVAL = 10.0
#: Seconds without a heartbeat after which a RUNNING trial is failed.
DEFAULT_GRACE_PERIOD = 60.0
# The engine's cap on retries; Optuna's max_retry=None means "no limit".
_UNLIMITED_RETRIES = 1000000


class BaseStorage:
    """Base class of hpsearch's storage objects."""


class InMemoryStorage(BaseStorage):
    """Studies kept in this process. Several Study objects made with the same
    InMemoryStorage (``load_study``) share one study."""

    def __init__(self) -> None:
        self._studies: Dict[str, Any] = {}

    def _add(self, study: Any, load_if_exists: bool) -> Any:
        name = study.study_name
        if name in self._studies:
            if not load_if_exists:
                raise DuplicatedStudyError(_duplicated_study_message(name))
            return self._studies[name]
        self._studies[name] = study
        return study

    def _get(self, name: str) -> Any:
        if name not in self._studies:
            raise KeyError("No such study {}.".format(name))
        return self._studies[name]

    def _delete(self, name: str) -> None:
        if name not in self._studies:
            raise KeyError("No such study {}.".format(name))
        del self._studies[name]


class RetryFailedTrialCallback:
    """Re-queue a trial whose worker died (and any other failed trial) with the same
    parameters, at most `max_retry` times (None: without limit).

    Pass it as ``RDBStorage(..., failed_trial_callback=RetryFailedTrialCallback(2))``.
    The engine does the re-queueing itself: the new trial is WAITING with the failed
    one's parameters fixed, and its ``system_attrs`` hold ``retry_of`` (the first failed
    trial's number) and ``attempt``. Note that hpsearch re-queues trials whose objective
    raised as well, not only those failed by the heartbeat check as Optuna does.
    """

    def __init__(self, max_retry: Optional[int] = None,
                 inherit_intermediate_values: bool = False) -> None:
        if max_retry is not None and (not isinstance(max_retry, int) or max_retry < 0):
            raise ValueError(f"max_retry must be None or an int >= 0, got {max_retry!r}")
        if inherit_intermediate_values:
            raise NotImplementedError(
                "hpsearch does not carry intermediate values over to a retried trial")
        self._max_retry = max_retry

    def _retries(self) -> int:
        return _UNLIMITED_RETRIES if self._max_retry is None else min(self._max_retry,
                                                                      _UNLIMITED_RETRIES)

    def __call__(self, study: Any, trial: Any) -> None:
        """Nothing to do in Python: the engine re-queues failed trials."""

    @staticmethod
    def retried_trial_number(trial: Any) -> Optional[int]:
        """The number of the first failed trial this one retries, or None."""
        return trial.system_attrs.get("retry_of", None)


class RDBStorage(BaseStorage):
    """A database URL with heartbeat and retry settings.

    `url` is ``"sqlite:PATH"`` or Optuna's ``"sqlite:///PATH"``. `heartbeat_interval`
    and `grace_period` are seconds (> 0); `failed_trial_callback` may be a
    :class:`RetryFailedTrialCallback`. `engine_kwargs` and the other SQLAlchemy options
    of Optuna's RDBStorage are accepted and ignored.
    """

    def __init__(self, url: str, engine_kwargs: Optional[Dict[str, Any]] = None,
                 skip_compatibility_check: bool = False, *,
                 heartbeat_interval: Optional[float] = None,
                 grace_period: Optional[float] = None,
                 failed_trial_callback: Optional[Callable[[Any, Any], None]] = None,
                 skip_table_creation: bool = False) -> None:
        if not isinstance(url, str):
            raise TypeError(f"url must be a str, not {type(url).__name__}")
        if heartbeat_interval is not None and heartbeat_interval <= 0:
            raise ValueError("The value of `heartbeat_interval` should be a positive integer.")
        if grace_period is not None and grace_period <= 0:
            raise ValueError("The value of `grace_period` should be a positive integer.")
        if failed_trial_callback is not None and not isinstance(failed_trial_callback,
                                                                RetryFailedTrialCallback):
            raise ValueError(
                "hpsearch fails and re-queues stale trials in its engine; "
                "failed_trial_callback must be None or a RetryFailedTrialCallback")
        self.url = url
        self.engine_kwargs = engine_kwargs or {}
        self.heartbeat_interval = heartbeat_interval
        self.grace_period = grace_period
        self.failed_trial_callback = failed_trial_callback

    def get_heartbeat_interval(self) -> Optional[float]:
        """The heartbeat interval given, or None."""
        return self.heartbeat_interval

    def get_failed_trial_callback(self) -> Optional[Callable[[Any, Any], None]]:
        """The failed-trial callback given, or None."""
        return self.failed_trial_callback


class JournalFileBackend:
    """A journal file at `file_path` (Optuna's JournalFileBackend), for
    :class:`JournalStorage`. hpsearch always locks it with its own lock file beside it
    (PATH.lock, made with link(), which holds on NFS), so `lock_obj` is accepted and
    ignored."""

    def __init__(self, file_path: str, lock_obj: Any = None) -> None:
        if not isinstance(file_path, (str, os.PathLike)):
            raise TypeError(f"file_path must be a str, not {type(file_path).__name__}")
        self._file_path = os.fspath(file_path)
        self._lock = lock_obj


#: Optuna's name for JournalFileBackend before Optuna 4.0.
JournalFileStorage = JournalFileBackend


class JournalFileSymlinkLock:
    """Accepted for compatibility with Optuna (``lock_obj=``); hpsearch uses its own lock."""

    def __init__(self, filepath: str, grace_period: Optional[int] = 30) -> None:
        self._lock_file = filepath + ".lock"
        self.grace_period = grace_period


class JournalFileOpenLock(JournalFileSymlinkLock):
    """Accepted for compatibility with Optuna (``lock_obj=``); hpsearch uses its own lock."""


class JournalStorage(BaseStorage):
    """A study kept as a journal of operations (Optuna's JournalStorage): the same as
    the URL ``"journal:PATH"``. Only a :class:`JournalFileBackend` can back it."""

    def __init__(self, log_storage: Any) -> None:
        if not isinstance(log_storage, JournalFileBackend):
            raise TypeError(
                f"{type(log_storage).__name__} cannot back a JournalStorage in hpsearch; use "
                "JournalFileBackend(path) (a journal file), or a postgresql:// URL for a server")
        self._backend = log_storage
        self.url = "journal:" + log_storage._file_path


# Optuna has these in the module optuna.storages.journal: the same names are reachable
# as hpsearch.storages.journal without making this file a package.
journal = types.ModuleType(__name__ + ".journal",
                           "Journal storage classes, as in optuna.storages.journal.")
for _name in ("JournalStorage", "JournalFileBackend", "JournalFileStorage",
              "JournalFileSymlinkLock", "JournalFileOpenLock"):
    setattr(journal, _name, globals()[_name])
sys.modules[journal.__name__] = journal


class _Spec(NamedTuple):
    url: str
    heartbeat_interval: float
    grace_period: float
    retries: int
    memory: Optional[InMemoryStorage]


def _normalize_url(url: str) -> str:
    if url in ("sqlite:///:memory:", "sqlite://"):
        return ":memory:"
    return url


def _resolve(storage: Any) -> _Spec:
    """Turns what a user passed as `storage` into the engine's URL and options."""
    if storage is None:
        storage = InMemoryStorage()
    if isinstance(storage, InMemoryStorage):
        return _Spec(":memory:", 0.0, 0.0, 0, storage)
    if isinstance(storage, str):
        url = _normalize_url(storage)
        if url == ":memory:":
            return _Spec(url, 0.0, 0.0, 0, InMemoryStorage())
        return _Spec(url, DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_GRACE_PERIOD, 0, None)
    if isinstance(storage, RDBStorage):
        url = _normalize_url(storage.url)
        if url == ":memory:":
            return _Spec(url, 0.0, 0.0, 0, InMemoryStorage())
        interval = storage.heartbeat_interval
        grace = storage.grace_period
        if grace is None:
            grace = 2.0 * interval if interval is not None else DEFAULT_GRACE_PERIOD
        if interval is None:
            interval = min(DEFAULT_HEARTBEAT_INTERVAL, grace / 4.0)
        callback = storage.failed_trial_callback
        retries = callback._retries() if isinstance(callback, RetryFailedTrialCallback) else 0
        return _Spec(url, float(interval), float(grace), retries, None)
    if isinstance(storage, JournalStorage):
        return _Spec(storage.url, DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_GRACE_PERIOD, 0, None)
    raise TypeError(
        f"{type(storage).__module__}.{type(storage).__name__} is not a storage hpsearch can "
        "use; pass a URL (\"sqlite:PATH\", \"journal:PATH\"), hpsearch.storages.RDBStorage, "
        "JournalStorage or InMemoryStorage")


def fail_stale_trials(study: Any) -> None:
    """Fails the RUNNING trials of `study` whose heartbeat stopped or whose process on
    this machine is gone, now (``ask`` does this by itself every grace_period / 4)."""
    study._recover_stale()
