"""Synthetic problems over mixed spaces (floats, log floats, ints, categoricals).

These are this benchmark's own constructions (no published source): each is built so
that its optimum is known exactly, and so that the categorical parameters matter the
way they do in real tuning -- in `mixed_switch` and `mixed_nn` the categorical decides
which continuous region is good, so an optimizer that models parameters independently
is misled.
"""
import math

import numpy as np

from .base import Problem
from .space import Categorical, Float, Int
from .synthetic import styblinski_tang


# ---- mixed_switch: three regimes, each with its own good region ----------------------
SWITCH_CENTERS = {  # (x, log10 lam, k) of each regime's minimum
    "a": (0.15, -3.0, 40),
    "b": (0.85, -1.0, 5),
    "c": (0.50, -2.0, 20),
}
SWITCH_OFFSET = {"a": 0.0, "b": 0.2, "c": 0.4}  # "a" holds the global optimum ...
SWITCH_WIDTH = {"a": 0.08, "b": 0.2, "c": 0.45}  # ... in the narrowest basin


def _switch_unit(x, lam, k):
    return np.array([x, (math.log10(lam) + 4.0) / 4.0, (k - 1) / 49.0])


def mixed_switch(config):
    regime = config["regime"]
    u = _switch_unit(config["x"], config["lam"], config["k"])
    c = _switch_unit(SWITCH_CENTERS[regime][0], 10 ** SWITCH_CENTERS[regime][1],
                     SWITCH_CENTERS[regime][2])
    r2 = float(np.sum((u - c) ** 2))
    basin = 1.0 - math.exp(-r2 / (2 * SWITCH_WIDTH[regime] ** 2))
    # Ripples (zero at the centre, non-negative) make each basin multimodal.
    ripple = 0.05 * float(np.mean(1.0 - np.cos(8 * math.pi * (u - c))))
    return SWITCH_OFFSET[regime] + basin + ripple


# ---- mixed_nn: a neural-network-training-like loss surface ------------------------
# The best learning rate depends on the optimizer and, through the linear (SGD) or
# square-root (Adam) scaling rule, on the batch size; weight decay and dropout have
# optimizer- and depth-dependent optima; too large a learning rate diverges.
NN_LR_BASE = {"sgd": -1.0, "momentum": -1.7, "adam": -3.0}  # log10 best lr at batch 128
NN_LR_SLOPE = {"sgd": 1.0, "momentum": 1.0, "adam": 0.5}
NN_WD_BEST = {"sgd": -3.5, "momentum": -4.0, "adam": -4.5}  # log10 best weight decay
NN_OFFSET = {"sgd": 0.12, "momentum": 0.08, "adam": 0.05}


def nn_best_log_lr(optimizer, batch_size):
    return NN_LR_BASE[optimizer] + NN_LR_SLOPE[optimizer] * math.log10(batch_size / 128.0)


def mixed_nn(config):
    opt = config["optimizer"]
    dlr = math.log10(config["lr"]) - nn_best_log_lr(opt, config["batch_size"])
    loss = NN_OFFSET[opt] + 0.15 * dlr ** 2
    if dlr > 1.0:  # divergence: past 10x the best rate training blows up
        loss += 1.0
    loss += 0.01 * (math.log2(config["batch_size"]) - 6.0) ** 2  # generalization gap
    loss += 0.02 * (math.log10(config["weight_decay"]) - NN_WD_BEST[opt]) ** 2
    loss += 0.03 * (config["layers"] - 4) ** 2
    loss += 0.8 * (config["dropout"] - 0.05 * config["layers"]) ** 2
    return loss


NN_ARGMIN = {"optimizer": "adam", "lr": 10 ** nn_best_log_lr("adam", 64),
             "batch_size": 64, "weight_decay": 10 ** NN_WD_BEST["adam"], "dropout": 0.2,
             "layers": 4}


# ---- mixed_discrete: Styblinski-Tang on integers plus an interaction table --------
DISCRETE_TABLE = {  # cost of (colour, shape); green is best only with triangle
    "red": {"circle": 4.0, "square": 6.0, "triangle": 9.0},
    "green": {"circle": 12.0, "square": 10.0, "triangle": 0.0},
    "blue": {"circle": 2.0, "square": 3.0, "triangle": 7.0},
    "yellow": {"circle": 5.0, "square": 1.5, "triangle": 8.0},
}


def mixed_discrete(config):
    x = [config["n1"], config["n2"], config["n3"]]
    return styblinski_tang(x) + DISCRETE_TABLE[config["color"]][config["shape"]]


def problems():
    return [
        Problem("mixed_switch", [
            Categorical("regime", ["a", "b", "c"]),
            Float("x", 0.0, 1.0),
            Float("lam", 1e-4, 1.0, log=True),
            Int("k", 1, 50),
        ], fn=mixed_switch, optimum=0.0,
            argmin={"regime": "a", "x": 0.15, "lam": 1e-3, "k": 40},
            source="constructed here (bench/problems/mixed.py); optimum by construction",
            kind="mixed"),
        Problem("mixed_nn", [
            Categorical("optimizer", ["sgd", "momentum", "adam"]),
            Float("lr", 1e-5, 1.0, log=True),
            Int("batch_size", 16, 1024, log=True),
            Float("weight_decay", 1e-7, 1e-1, log=True),
            Float("dropout", 0.0, 0.7),
            Int("layers", 1, 8),
        ], fn=mixed_nn, optimum=0.05, argmin=NN_ARGMIN,
            source="constructed here (bench/problems/mixed.py); optimum by construction",
            kind="mixed"),
        Problem("mixed_discrete", [
            Int("n1", -5, 5), Int("n2", -5, 5), Int("n3", -5, 5),
            Categorical("color", ["red", "green", "blue", "yellow"]),
            Categorical("shape", ["circle", "square", "triangle"]),
        ], fn=mixed_discrete, optimum=3 * -39.0,
            argmin={"n1": -3, "n2": -3, "n3": -3, "color": "green", "shape": "triangle"},
            source="Styblinski-Tang (Surjanovic & Bingham, VLSE) on integers, whose "
                   "integer minimum is -39 per coordinate at -3, plus a table; "
                   "constructed here", kind="mixed"),
    ]
