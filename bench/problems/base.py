"""What a benchmark problem is."""
import hashlib
import math

import numpy as np


class Problem:
    """A named objective over a declared space.

    Subclasses (or instances built with the constructor) provide:
      name        unique key used on the command line and in result files
      space       list of space.Param
      direction   "minimize" or "maximize"
      optimum     the known optimum (synthetic) or best-known value (ML), or None until
                  calibrated; `optimum_source` says where it comes from
      kind        "synthetic", "mixed", "ml" or "torch" (report groups by it)
      family      None, or "conditional" for the held-out conditional suite
      noisy       True when evaluate() adds observation noise; then true_value()
                  gives the noise-free value the benchmark scores
    and evaluate(config, seed) -> float, deterministic given both arguments.
    """

    kind = "synthetic"
    family = None  # "conditional": held out of the kind's suite (problems/conditional.py)
    noisy = False
    direction = "minimize"
    optimum_source = ""
    cost = 1e-4  # rough seconds per evaluation, used to schedule expensive runs first

    def __init__(self, name, space, fn=None, optimum=None, argmin=None, source="",
                 direction="minimize", kind=None, cost=None):
        self.name = name
        self.space = space
        self._fn = fn
        self.optimum = optimum
        self.argmin = argmin
        self.optimum_source = source
        self.direction = direction
        if kind is not None:
            self.kind = kind
        if cost is not None:
            self.cost = cost

    def evaluate(self, config, seed=0):
        return float(self._fn(config))

    def true_value(self, config):
        """The noise-free objective (what the benchmark scores); evaluate() for
        deterministic problems."""
        return self.evaluate(config, 0)

    def sign(self):
        """+1 for minimize, -1 for maximize: sign * value is always minimized."""
        return 1.0 if self.direction == "minimize" else -1.0

    def __repr__(self):
        return f"<Problem {self.name} ({len(self.space)} params, {self.kind})>"


def config_seed(config, seed):
    """A 64-bit seed from a configuration and a run seed, stable across processes and
    Python versions (hash() is salted per process, so it cannot be used)."""
    text = repr(sorted((k, float(v) if isinstance(v, (int, float)) and not isinstance(v, bool)
                        else str(v)) for k, v in config.items()))
    digest = hashlib.blake2b(f"{seed}|{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def vector(config, names):
    return np.array([config[n] for n in names], dtype=float)


def is_close(a, b, rel=1e-9, abs_tol=1e-9):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)
