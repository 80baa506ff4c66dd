"""hpsearch's logger, controlled as Optuna's is (``optuna.logging``).

hpsearch logs Optuna's messages to the ``hpsearch`` logger, by default at INFO level on
stderr, one line per finished trial like Optuna. Quieten it with
``hpsearch.logging.set_verbosity(hpsearch.logging.WARNING)``.

Programs written for Optuna keep their log handlers: ``get_logger("optuna")`` (and
``"optuna.<module>"``) is hpsearch's logger, and handlers a program attached to the
standard library's ``logging.getLogger("optuna")`` receive hpsearch's records too
(except Optuna's own stderr handler, should Optuna be imported as well).
"""
import logging as _logging
import sys
import threading
from logging import CRITICAL, DEBUG, ERROR, FATAL, INFO, WARN, WARNING  # noqa: F401
from typing import Optional

__all__ = [
    "CRITICAL", "DEBUG", "ERROR", "FATAL", "INFO", "WARN", "WARNING",
    "get_logger", "get_verbosity", "set_verbosity", "disable_default_handler",
    "enable_default_handler", "disable_propagation", "enable_propagation",
]

_lock = threading.Lock()
_default_handler: Optional[_logging.Handler] = None
_ROOT = "hpsearch"
_OPTUNA = "optuna"


class _ToOptunaHandlers(_logging.Handler):
    """Passes hpsearch's records to the handlers a program attached to Optuna's logger."""

    def emit(self, record: _logging.LogRecord) -> None:
        optuna_logging = sys.modules.get("optuna.logging")
        optunas_own = getattr(optuna_logging, "_default_handler", None)
        for handler in _logging.getLogger(_OPTUNA).handlers:
            if handler is not optunas_own and record.levelno >= handler.level:
                handler.handle(record)


def _root_logger() -> _logging.Logger:
    return _logging.getLogger(_ROOT)


def _configure() -> None:
    global _default_handler
    with _lock:
        if _default_handler is not None:
            return
        _default_handler = _logging.StreamHandler(sys.stderr)
        _default_handler.setFormatter(
            _logging.Formatter("[%(levelname)1.1s %(asctime)s] %(message)s"))
        root = _root_logger()
        root.addHandler(_default_handler)
        root.addHandler(_ToOptunaHandlers())
        root.setLevel(_logging.INFO)
        root.propagate = False


def get_logger(name: str) -> _logging.Logger:
    """The logger `name` (a child of ``hpsearch``), with the default handler set up.
    Optuna's names ``"optuna"`` and ``"optuna.<module>"`` give hpsearch's loggers."""
    _configure()
    if name == _OPTUNA or name.startswith(_OPTUNA + "."):
        name = _ROOT + name[len(_OPTUNA):]
    return _logging.getLogger(name)


def get_verbosity() -> int:
    """The level of hpsearch's logger (``hpsearch.logging.INFO`` by default)."""
    _configure()
    return _root_logger().getEffectiveLevel()


def set_verbosity(verbosity: int) -> None:
    """Sets the level of hpsearch's logger, e.g. ``set_verbosity(hpsearch.logging.WARNING)``."""
    _configure()
    _root_logger().setLevel(verbosity)


def disable_default_handler() -> None:
    """Stops hpsearch's own stderr handler (add your own, or enable propagation)."""
    _configure()
    assert _default_handler is not None
    _root_logger().removeHandler(_default_handler)


def enable_default_handler() -> None:
    """Restores hpsearch's stderr handler."""
    _configure()
    assert _default_handler is not None
    _root_logger().addHandler(_default_handler)


def disable_propagation() -> None:
    """Keeps hpsearch's records away from the root logger (the default)."""
    _configure()
    _root_logger().propagate = False


def enable_propagation() -> None:
    """Passes hpsearch's records on to the root logger's handlers."""
    _configure()
    _root_logger().propagate = True
