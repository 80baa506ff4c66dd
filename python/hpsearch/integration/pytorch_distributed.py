"""torch.distributed: Optuna's ``optuna.integration.TorchDistributedTrial``.

Every process of a distributed (DDP) training job runs the same objective. Rank 0 holds
the real trial; every call is made by all ranks together, runs on rank 0, and its result
(or its exception) is broadcast, so all ranks train with the same parameters and agree
on whether to prune. Objects travel pickled in a uint8 tensor over a CPU-capable group
(gloo), as in Optuna.

Where we differ from Optuna 3.1, on purpose: suggested floats reach the other ranks
exactly (Optuna sends them as float32), and an exception on rank 0 (a bad suggest
argument, a storage error) or a wrong ``trial`` argument on any rank is raised on every
rank instead of leaving the others waiting in a broadcast forever.
"""
import datetime
import pickle
from typing import Any, Callable, Dict, Optional, Sequence

from ..distributions import BaseDistribution
from ..trial import BaseTrial, Trial, _deprecated
from . import _require

_torch = _require("torch", "python3-torch", "TorchDistributedTrial")
_dist = _require("torch.distributed", "python3-torch", "TorchDistributedTrial")

# The group made for a default process group that cannot carry CPU tensors (nccl),
# created once per process as Optuna does.
_gloo_group_for_nccl = None


def _default_group() -> Any:
    global _gloo_group_for_nccl
    if not _dist.is_available() or not _dist.is_initialized():
        raise RuntimeError("TorchDistributedTrial: torch.distributed is not initialized "
                           "(call torch.distributed.init_process_group first)")
    if _dist.get_backend() != "nccl":
        return _dist.group.WORLD
    if _gloo_group_for_nccl is None:
        _gloo_group_for_nccl = _dist.new_group(backend="gloo")
    return _gloo_group_for_nccl


class _RemoteError:
    """An exception of rank 0 as it travels: itself if it pickles, else its text."""

    def __init__(self, error: BaseException) -> None:
        try:
            pickle.dumps(error)
            self.error = error
        except Exception:
            self.error = RuntimeError(f"{type(error).__name__} on rank 0: {error}")


class TorchDistributedTrial:
    """A trial shared by the processes of a torch.distributed job.

    Args:
        trial: the :class:`~hpsearch.Trial` on rank 0, ``None`` on every other rank.
        group: the process group to communicate over; it must carry CPU tensors. By
            default the default group, or a gloo group made from it if it is nccl.

    Every method must be called by all ranks in the same order (each is a collective).
    """

    def __init__(self, trial: Optional[Trial], group: Optional[Any] = None) -> None:
        self._group = group if group is not None else _default_group()
        self._rank = _dist.get_rank(self._group)
        self._check_trial_argument(trial)
        self._delegate = trial
        self._properties = self._broadcast(self._collect_properties() if self._rank == 0
                                           else None)

    def _check_trial_argument(self, trial: Optional[Trial]) -> None:
        if self._rank == 0:
            mine = None if isinstance(trial, Trial) else (
                "Rank 0 node expects an optuna.trial.Trial instance as the trial argument.")
        else:
            mine = None if trial is None else (
                "Non-rank 0 node is supposed to receive None as the trial argument.")
        # All ranks learn whether any rank is wrong, so none waits for the others.
        flag = _torch.tensor([0 if mine is None else 1], dtype=_torch.uint8)
        _dist.all_reduce(flag, op=_dist.ReduceOp.MAX, group=self._group)
        if mine is not None:
            raise ValueError(mine)
        if flag.item():
            raise ValueError("TorchDistributedTrial: another rank was given a wrong trial "
                             "argument (rank 0 takes the Trial, the others None)")

    # -- the collective calls -----------------------------------------------------------
    def suggest_float(self, name: str, low: float, high: float, *,
                      step: Optional[float] = None, log: bool = False) -> float:
        return self._on_rank0(lambda t: t.suggest_float(name, low, high, step=step, log=log))

    def suggest_int(self, name: str, low: int, high: int, step: int = 1,
                    log: bool = False) -> int:
        return self._on_rank0(lambda t: t.suggest_int(name, low, high, step=step, log=log))

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        return self._on_rank0(lambda t: t.suggest_categorical(name, choices))

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        _deprecated("suggest_uniform", "suggest_float(name, low, high)")
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        _deprecated("suggest_loguniform", "suggest_float(name, low, high, log=True)")
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        _deprecated("suggest_discrete_uniform", "suggest_float(name, low, high, step=q)")
        return self.suggest_float(name, low, high, step=q)

    def report(self, value: float, step: int) -> None:
        self._on_rank0(lambda t: t.report(value, step))

    def should_prune(self) -> bool:
        return self._on_rank0(lambda t: bool(t.should_prune()))

    def set_user_attr(self, key: str, value: Any) -> None:
        self._on_rank0(lambda t: t.set_user_attr(key, value))

    def set_system_attr(self, key: str, value: Any) -> None:
        self._on_rank0(lambda t: t.set_system_attr(key, value))

    # -- what every rank sees, as of the last call --------------------------------------
    @property
    def number(self) -> int:
        return self._properties["number"]

    @property
    def params(self) -> Dict[str, Any]:
        return self._properties["params"]

    @property
    def distributions(self) -> Dict[str, BaseDistribution]:
        return self._properties["distributions"]

    @property
    def user_attrs(self) -> Dict[str, Any]:
        return self._properties["user_attrs"]

    @property
    def system_attrs(self) -> Dict[str, Any]:
        return self._properties["system_attrs"]

    @property
    def datetime_start(self) -> Optional[datetime.datetime]:
        return self._properties["datetime_start"]

    # -- plumbing -----------------------------------------------------------------------
    def _collect_properties(self) -> Dict[str, Any]:
        t = self._delegate
        return {"number": t.number, "params": t.params, "distributions": t.distributions,
                "user_attrs": t.user_attrs, "system_attrs": t.system_attrs,
                "datetime_start": t.datetime_start}

    def _on_rank0(self, call: Callable[[Trial], Any]) -> Any:
        """Runs `call` on rank 0's trial; every rank returns its result (or raises its
        exception) and sees the trial's properties as they are afterwards."""
        message = None
        if self._rank == 0:
            try:
                result: Any = call(self._delegate)
            except Exception as e:
                result = _RemoteError(e)
            message = (result, self._collect_properties())
        result, self._properties = self._broadcast(message)
        if isinstance(result, _RemoteError):
            raise result.error
        return result

    def _broadcast(self, value: Any) -> Any:
        """Rank 0's `value` on every rank: its size, then its pickled bytes."""
        size = _torch.zeros(1, dtype=_torch.int64)
        payload = None
        if self._rank == 0:
            payload = _torch.frombuffer(bytearray(pickle.dumps(value)), dtype=_torch.uint8)
            size[0] = payload.numel()
        _dist.broadcast(size, src=self._global_rank0(), group=self._group)
        if self._rank != 0:
            payload = _torch.empty(int(size.item()), dtype=_torch.uint8)
        _dist.broadcast(payload, src=self._global_rank0(), group=self._group)
        return value if self._rank == 0 else pickle.loads(payload.numpy().tobytes())

    def _global_rank0(self) -> int:
        # broadcast's src is a global rank; rank 0 of a subgroup need not be global 0.
        if self._group is None or self._group is _dist.group.WORLD:
            return 0
        return _dist.get_global_rank(self._group, 0)


BaseTrial.register(TorchDistributedTrial)
