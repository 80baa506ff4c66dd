"""Shared fixtures of the Python tests.

They import the hpsearch the interpreter finds: the in-tree build when ctest runs them
(PYTHONPATH=<build>/python), else <repo>/build/python if it exists, else an installed
one. HPSEARCH names the command-line binary (default <repo>/build/hpsearch).
"""
import importlib.util
import os
import pathlib
import subprocess
import sys
import warnings

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _make_importable():
    if importlib.util.find_spec("hpsearch") is not None:
        return
    candidate = ROOT / "build" / "python"
    if (candidate / "hpsearch").is_dir():
        sys.path.insert(0, str(candidate))


_make_importable()

import hpsearch  # noqa: E402

#: The directory that holds the hpsearch package, for subprocesses.
PACKAGE_PARENT = str(pathlib.Path(hpsearch.__file__).resolve().parents[1])


@pytest.fixture(autouse=True)
def quiet_logging():
    hpsearch.logging.set_verbosity(hpsearch.logging.WARNING)
    try:
        import optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    except ImportError:
        pass
    yield


@pytest.fixture
def sqlite_url(tmp_path):
    """A fresh SQLite storage URL."""
    return "sqlite:" + str(tmp_path / "study.db")


@pytest.fixture
def hpsearch_bin():
    path = os.environ.get("HPSEARCH", str(ROOT / "build" / "hpsearch"))
    if not os.access(path, os.X_OK):
        pytest.skip(f"hpsearch binary not found at {path} (set HPSEARCH)")
    return path


def subprocess_env(**extra):
    """The environment for a Python subprocess that must import this hpsearch."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (PACKAGE_PARENT, env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


def run_python(code_or_args, timeout=120, **kwargs):
    """Runs the interpreter of the tests on a script (list of args) or code (str)."""
    args = [sys.executable, "-c", code_or_args] if isinstance(code_or_args, str) else \
        [sys.executable] + list(code_or_args)
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                          env=subprocess_env(), **kwargs)


def simple_objective(trial):
    x = trial.suggest_float("x", -10, 10)
    n = trial.suggest_int("n", 1, 5)
    c = trial.suggest_categorical("c", ["a", "b"])
    return (x - 2) ** 2 + n + (c == "b")


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
