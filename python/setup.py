"""Builds hpsearch._core for pip: the engine (../src/{base,engine,samplers,pruners,storage}) and
the extension (src/*.c) compiled into one self-contained module that exports only
PyInit__core. The other metadata lives in pyproject.toml.

Needs a C11 compiler, the Python headers (python3-dev), SQLite and jansson
(libsqlite3-dev, libjansson-dev). Also works in place for development:
    python3 setup.py build_ext --inplace
"""
import glob
import os
import shutil
import subprocess

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ENGINE_PARTS = ("base", "engine", "plugin", "samplers", "pruners", "storage")


def relative(paths):
    # setuptools wants source paths relative to this directory
    return [os.path.relpath(p, HERE) for p in paths]


def engine_sources():
    sources = []
    for part in ENGINE_PARTS:
        sources += sorted(glob.glob(os.path.join(ROOT, "src", part, "**", "*.c"),
                                    recursive=True))
    if not sources or not os.path.exists(os.path.join(ROOT, "include", "hpsearch.h")):
        raise SystemExit("hpsearch: the engine's sources (../src, ../include) are missing; "
                         "build from a checkout of the repository: pip install ./python")
    return relative(sources)


def pkg_config(package, *args):
    """Flags of a pkg-config package; None when pkg-config or the package is missing."""
    if shutil.which("pkg-config") is None:
        return None
    result = subprocess.run(["pkg-config", *args, package], capture_output=True, text=True)
    return result.stdout.split() if result.returncode == 0 else None


# Required, and what the model-based samplers use (linked when installed; the linker
# drops any the engine does not need).
# The engine's libraries (Debian: libsqlite3-dev libjansson-dev liblapacke-dev
# libopenblas-dev libnlopt-dev libpq-dev): the GP sampler needs LAPACKE, OpenBLAS and
# NLopt; the PostgreSQL storage needs libpq.
REQUIRED = {"sqlite3": ["sqlite3"], "jansson": ["jansson"], "lapacke": ["lapacke"],
            "openblas": ["openblas"], "nlopt": ["nlopt"], "libpq": ["pq"]}
OPTIONAL = {}

include_dirs = [os.path.join(ROOT, "include"), os.path.join(ROOT, "src"),
                os.path.join(HERE, "src")]
library_dirs = []
libraries = []
for package, fallback in list(REQUIRED.items()) + list(OPTIONAL.items()):
    libs = pkg_config(package, "--libs-only-l")
    if libs is None and package in OPTIONAL:
        continue
    include_dirs += [f[2:] for f in pkg_config(package, "--cflags-only-I") or []]
    library_dirs += [f[2:] for f in pkg_config(package, "--libs-only-L") or []]
    libraries += [f[2:] for f in libs] if libs else fallback
libraries += ["m", "pthread"]

extension = Extension(
    "hpsearch._core",
    sources=relative(sorted(glob.glob(os.path.join(HERE, "src", "*.c")))) + engine_sources(),
    include_dirs=include_dirs,
    library_dirs=library_dirs,
    libraries=libraries,
    # every optional part of the engine is in (its packages are required above)
    define_macros=[("_POSIX_C_SOURCE", "200809L"), ("_DEFAULT_SOURCE", None),
                   ("HPS_HAVE_LAPACK", "1"), ("HPS_HAVE_POSTGRES", "1")],
    extra_compile_args=["-std=c11", "-fvisibility=hidden"],
    extra_link_args=["-Wl,--version-script=" + os.path.join(HERE, "hpsearch.map")],
)

setup(ext_modules=[extension],
      packages=["hpsearch", "hpsearch.integration", "hpsearch.samplers", "hpsearch.visualization",
                "hpsearch.visualization.matplotlib", "hpsearch.artifacts", "hpsearch.terminator",
                "hpsearch.terminator.improvement"],
      package_data={"hpsearch": ["*.pyi", "py.typed"]}, zip_safe=False)
