"""Dask: Optuna's ``optuna.integration.DaskStorage``, a storage the workers of a Dask
cluster share, so that ``client.submit(study.optimize, ...)`` runs trials on them."""
import atexit
import shutil
import socket
import tempfile
import uuid
from typing import Any, Optional

from ..storages import InMemoryStorage, RDBStorage
from . import _require

_distributed = _require("distributed", "python3-distributed", "DaskStorage")


class DaskStorage(RDBStorage):
    """A storage for the trials Dask workers run.

    A study pickles as where its storage is and opens it again on the worker, so the
    storage must be one every worker reaches: `storage` is a database URL (or an
    :class:`~hpsearch.storages.RDBStorage`) they all can open. Without one (None or an
    :class:`~hpsearch.storages.InMemoryStorage`), the study lives in an SQLite file in a
    temporary directory of this process, removed when it exits; that is only reachable
    when every worker of `client` runs on this machine (a ``LocalCluster``, what
    ``Client()`` starts), and ValueError says so otherwise. Optuna instead keeps an
    in-memory storage on the Dask scheduler; `name` is accepted as Optuna's is and kept.

    Args:
        storage: None, an InMemoryStorage, a URL or an RDBStorage.
        name: a name for the storage (default: a unique one).
        client: the Dask client whose workers run the trials (default: the current one,
            as ``distributed.get_client()`` finds it; ValueError without one).
    """

    def __init__(self, storage: Any = None, name: Optional[str] = None,
                 client: Any = None) -> None:
        self.name = name if name is not None else f"dask-storage-{uuid.uuid4().hex}"
        self.client = client if client is not None else _distributed.get_client()
        if storage is None or isinstance(storage, InMemoryStorage):
            _require_local_workers(self.client)
            self._base = RDBStorage(f"sqlite:{_temporary_database()}")
        elif isinstance(storage, str):
            self._base = RDBStorage(storage)
        elif isinstance(storage, RDBStorage):
            self._base = storage
        else:
            raise TypeError(f"DaskStorage: storage must be None, a URL, an RDBStorage or "
                            f"an InMemoryStorage, not {type(storage).__name__}")
        base = self._base
        super().__init__(base.url, base.engine_kwargs,
                         heartbeat_interval=base.heartbeat_interval,
                         grace_period=base.grace_period,
                         failed_trial_callback=base.failed_trial_callback)

    def get_base_storage(self) -> RDBStorage:
        """The storage the workers open (Optuna's method of the same name)."""
        return self._base


def _temporary_database() -> str:
    directory = tempfile.mkdtemp(prefix="hpsearch-dask-")
    atexit.register(shutil.rmtree, directory, True)
    return f"{directory}/study.db"


def _require_local_workers(client: Any) -> None:
    workers = client.scheduler_info().get("workers", {})
    remote = sorted(address for address, info in workers.items()
                    if not _is_this_machine(info.get("host") or
                                            _distributed.comm.get_address_host(address)))
    if remote:
        raise ValueError(
            f"DaskStorage: the workers {', '.join(remote)} do not run on this machine, so "
            "they cannot open a temporary SQLite file of this process; pass "
            "storage=<a database URL every worker reaches>")


def _is_this_machine(host: str) -> bool:
    """Whether `host` is an address of this machine: only those can be bound here."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, 0))
        return True
    except OSError:
        return False
