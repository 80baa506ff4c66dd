"""Versions, as ``optuna.version``.

Programs written for Optuna gate features on ``optuna.__version__`` (``version.parse(
optuna.__version__) >= version.parse("3.0")``, ``optuna.__version__.startswith("3.")``).
With ``import hpsearch as optuna`` they read this ``__version__``: the Optuna release
whose API hpsearch is checked against (tests/python/test_optuna_*.py run Debian's Optuna
and hpsearch on the same calls), with hpsearch's own version as a PEP 440 local label,
e.g. ``3.1.0+hpsearch.0.1.0``. So version gates take Optuna 3.1's branch, and
``hpsearch_version`` (or the label) says which hpsearch it is.
"""
from . import _core

#: The Optuna release whose everyday API hpsearch matches.
OPTUNA_API_VERSION = "3.1.0"

#: hpsearch's own version (the C engine's).
hpsearch_version: str = _core.ENGINE_VERSION

__version__ = f"{OPTUNA_API_VERSION}+hpsearch.{hpsearch_version}"
