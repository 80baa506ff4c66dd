"""Declarative search spaces that every optimizer adapter turns into suggest calls.

A space is a list of parameters. Each parameter knows how to
  - suggest itself through an Optuna-style trial (`trial.suggest_float(...)` etc.; the
    hpsearch binding exposes the same calls, so one code path serves both engines);
  - draw a uniform random value (log-uniform where log=True), for the random-search
    baseline that defines score 0;
  - list a small set of grid values, for grid samplers that need a finite space.

Parameters may carry a condition `(parent_name, allowed_values)`: the parameter exists
only when the parent took one of those values. Conditions must refer to an earlier
parameter; inactive parameters are absent from the configuration dict.
"""
import math


class Param:
    """Common part of all parameter kinds."""

    kind = "abstract"

    def __init__(self, name, condition=None):
        self.name = name
        self.condition = condition

    def active(self, config):
        if self.condition is None:
            return True
        parent, allowed = self.condition
        return parent in config and config[parent] in allowed

    def describe(self):
        raise NotImplementedError


class Float(Param):
    kind = "float"

    def __init__(self, name, low, high, log=False, condition=None):
        super().__init__(name, condition)
        if not low < high:
            raise ValueError(f"{name}: low must be < high")
        if log and low <= 0:
            raise ValueError(f"{name}: a log range needs low > 0")
        self.low, self.high, self.log = float(low), float(high), bool(log)

    def suggest(self, trial):
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)

    def from_unit(self, u):
        """Maps u in [0, 1] to the range (geometrically when log)."""
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            return min(self.high, max(self.low, math.exp(lo + u * (hi - lo))))
        return min(self.high, max(self.low, self.low + u * (self.high - self.low)))

    def sample(self, rng):
        return self.from_unit(rng.random())

    def grid(self, levels):
        # Cell midpoints, not the range ends: a grid that includes the corners wastes
        # most of its points on the boundary, where optima rarely are.
        return [self.from_unit((i + 0.5) / levels) for i in range(levels)]

    def n_values(self):
        return math.inf

    def describe(self):
        return {"type": "float", "low": self.low, "high": self.high, "log": self.log}


class Int(Param):
    kind = "int"

    def __init__(self, name, low, high, log=False, step=1, condition=None):
        super().__init__(name, condition)
        if not low < high:
            raise ValueError(f"{name}: low must be < high")
        if log and (low <= 0 or step != 1):
            raise ValueError(f"{name}: a log int range needs low > 0 and step 1")
        if (high - low) % step:
            raise ValueError(f"{name}: high - low must be a multiple of step")
        self.low, self.high, self.log, self.step = int(low), int(high), bool(log), int(step)

    def suggest(self, trial):
        if self.log:
            return trial.suggest_int(self.name, self.low, self.high, log=True)
        return trial.suggest_int(self.name, self.low, self.high, step=self.step)

    def values(self):
        return list(range(self.low, self.high + 1, self.step))

    def n_values(self):
        return (self.high - self.low) // self.step + 1

    def sample(self, rng):
        if self.log:
            # Optuna's and hpsearch's log-int sampling: log-uniform on [low-0.5, high+0.5]
            # rounded, so every integer gets the mass of its cell.
            lo, hi = math.log(self.low - 0.5), math.log(self.high + 0.5)
            v = round(math.exp(lo + rng.random() * (hi - lo)))
            return min(self.high, max(self.low, v))
        return self.low + self.step * int(rng.integers(0, self.n_values()))

    def grid(self, levels):
        n = self.n_values()
        if levels >= n:
            return self.values()
        out = []
        for i in range(levels):
            u = (i + 0.5) / levels
            if self.log:
                lo, hi = math.log(self.low), math.log(self.high)
                v = round(math.exp(lo + u * (hi - lo)))
            else:
                v = self.low + self.step * int(round(u * (n - 1)))
            v = min(self.high, max(self.low, v))
            if v not in out:
                out.append(v)
        return out

    def describe(self):
        return {"type": "int", "low": self.low, "high": self.high, "log": self.log,
                "step": self.step}


class Categorical(Param):
    kind = "categorical"

    def __init__(self, name, choices, condition=None):
        super().__init__(name, condition)
        if len(choices) < 1 or len(set(choices)) != len(choices):
            raise ValueError(f"{name}: choices must be distinct and non-empty")
        self.choices = list(choices)

    def suggest(self, trial):
        return trial.suggest_categorical(self.name, self.choices)

    def sample(self, rng):
        return self.choices[int(rng.integers(0, len(self.choices)))]

    def grid(self, levels):
        # A categorical has no order to thin out: all choices always.
        return list(self.choices)

    def n_values(self):
        return len(self.choices)

    def describe(self):
        return {"type": "categorical", "choices": list(self.choices)}


def suggest_all(space, trial):
    """Asks `trial` for every active parameter in declaration order; returns the config."""
    config = {}
    for p in space:
        if p.active(config):
            config[p.name] = p.suggest(trial)
    return config


def sample_config(space, rng):
    """One configuration drawn as random search draws it (numpy Generator `rng`)."""
    config = {}
    for p in space:
        if p.active(config):
            config[p.name] = p.sample(rng)
    return config


def grid_levels(space, budget):
    """The per-parameter number of grid levels for a grid of at most `budget` cells.

    Categoricals always keep all their choices and ints never get more levels than
    values; every float and int gets the same number of levels k >= 2, the largest k
    whose grid still fits the budget. When even k = 2 does not fit (many dimensions, a
    small budget), k = 2 and the budget covers a (seeded, shuffled) part of the grid --
    what a practitioner with that budget would get from a grid search too."""
    def size(k):
        total = 1
        for p in space:
            total *= len(p.grid(k))
        return total

    k = 2
    while size(k + 1) <= budget and k < 1000:
        if size(k + 1) == size(k):  # every parameter exhausted its values
            break
        k += 1
    return k


def grid_space(space, budget):
    """{name: [values]} for a grid of about `budget` cells (see grid_levels)."""
    k = grid_levels(space, budget)
    return {p.name: p.grid(k) for p in space}


def grid_size(grid):
    total = 1
    for values in grid.values():
        total *= len(values)
    return total


def describe(space):
    out = []
    for p in space:
        d = {"name": p.name, **p.describe()}
        if p.condition is not None:
            d["condition"] = {"parent": p.condition[0], "values": list(p.condition[1])}
        out.append(d)
    return out
