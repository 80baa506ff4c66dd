"""The benchmark's problems: one registry, keyed by name.

    from problems import get, names
    p = get("branin"); p.evaluate({"x1": 0.0, "x2": 1.0}, seed=0)

Suites: "synthetic" (the classic test functions and the noisy Hartmann), "mixed",
"ml" (scikit-learn), "torch" (the PyTorch example and torch_mlp7.py's 7-parameter MLP),
"all"; "conditional": every problem with a conditional parameter (conditional.py's,
held out of the other suites and of "all", and ml.py's svm_breast_cancer); and
"conditional_heldout": conditional_heldout.py's problems, held out of every other suite
(issue 19's bar measured on problems written after auto's routing was chosen);
"conditional_heldout2": conditional_heldout2.py's, a second held-out set written after
the first was seen (by its diagnosis and by tuning on it), likewise held out of all;
"conditional_heldout3": conditional_heldout3.py's, a third held-out set written while
`auto` was being changed on the other three conditional suites, likewise held out of all;
"synthetic_heldout": synthetic_heldout.py's functions, held out of every other suite
(issue 22's synthetic bars measured on functions nobody tuned on); and "ml_heldout" and
"torch_heldout": ml_heldout.py's scikit-learn problems and torch_mlp7_heldout.py's
7-parameter PyTorch MLPs, held out of every other suite (issue 22's scikit-learn and
PyTorch-MLP bars; their kinds stay "ml" and "torch", so reports group them as those).
"""
import json
import os

from . import (base, conditional, conditional_heldout, conditional_heldout2,  # noqa: F401
               conditional_heldout3, mixed, ml, ml_heldout, space, synthetic,
               synthetic_heldout, torch_mlp, torch_mlp7, torch_mlp7_heldout)
from .base import Problem  # noqa: F401

CALIBRATION_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "calibration.json")

_REGISTRY = None


def _registry():
    global _REGISTRY  # built lazily once per process; problems are immutable
    if _REGISTRY is None:
        reg = {}
        for module in (synthetic, mixed, ml, torch_mlp, torch_mlp7, conditional,
                       conditional_heldout, conditional_heldout2, conditional_heldout3,
                       synthetic_heldout, ml_heldout, torch_mlp7_heldout):
            for p in module.problems():
                if p.name in reg:
                    raise ValueError(f"duplicate problem {p.name}")
                reg[p.name] = p
        cal = load_calibration()
        for name, entry in cal.get("problems", {}).items():
            p = reg.get(name)
            if p is not None and p.optimum is None and entry.get("best_known") is not None:
                p.optimum = entry["best_known"]
        _REGISTRY = reg
    return _REGISTRY


def load_calibration():
    if not os.path.exists(CALIBRATION_FILE):
        return {}
    with open(CALIBRATION_FILE) as f:
        return json.load(f)


def get(name):
    reg = _registry()
    if name not in reg:
        raise KeyError(f"unknown problem {name!r}; known: {', '.join(reg)}")
    return reg[name]


def all_problems():
    return list(_registry().values())


def names(suite="all"):
    held_out_conditional = (conditional_heldout.FAMILY, conditional_heldout2.FAMILY,
                            conditional_heldout3.FAMILY)
    held_out = (conditional.FAMILY, *held_out_conditional, synthetic_heldout.FAMILY,
                ml_heldout.FAMILY, torch_mlp7_heldout.FAMILY)
    if suite == "conditional":
        return [p.name for p in all_problems()
                if p.family not in held_out_conditional
                and any(q.condition is not None for q in p.space)]
    for module in (conditional_heldout, conditional_heldout2, conditional_heldout3,
                   synthetic_heldout, ml_heldout, torch_mlp7_heldout):
        if suite == module.FAMILY:
            return [p.name for p in all_problems() if p.family == module.FAMILY]
    kinds = {"synthetic": ("synthetic",), "mixed": ("mixed",), "ml": ("ml",),
             "torch": ("torch",), "all": ("synthetic", "mixed", "ml", "torch")}
    if suite not in kinds:
        raise KeyError(f"unknown suite {suite!r}")
    return [p.name for p in all_problems()
            if p.kind in kinds[suite] and p.family not in held_out]
