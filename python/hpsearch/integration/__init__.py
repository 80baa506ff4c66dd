"""Optuna's ``optuna.integration`` for the libraries hpsearch users train with.

``import hpsearch as optuna`` makes ``optuna.integration.XGBoostPruningCallback`` and the
others below work as in Optuna. Each lives in a submodule named after the library it
serves, imported on first use (PEP 562), so ``import hpsearch`` never imports xgboost,
scikit-learn, skorch or torch. Using one without its library installed raises
ImportError naming the Debian package to install.
"""
import importlib
from typing import Any, List

# Public name -> submodule that defines it (and imports the library it needs).
_SUBMODULE_OF = {
    "DaskStorage": "dask",
    "OptunaSearchCV": "sklearn",
    "SkorchPruningCallback": "skorch",
    "TorchDistributedTrial": "pytorch_distributed",
    "XGBoostPruningCallback": "xgboost",
}

__all__ = sorted(_SUBMODULE_OF)


def __getattr__(name: str) -> Any:
    if name in set(_SUBMODULE_OF.values()):  # optuna.integration.dask.DaskStorage
        return importlib.import_module(f"{__name__}.{name}")
    if name not in _SUBMODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_SUBMODULE_OF[name]}")
    value = getattr(module, name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(__all__))


def _require(module: str, debian_package: str, user: str) -> Any:
    """Imports `module` for `user`, or raises ImportError saying what to install."""
    library = module.split(".")[0]
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"{user} needs {library!r}, which could not be imported ({e}); "
                          f"install it (Debian: apt-get install {debian_package}, or "
                          f"pip install {library})") from e
