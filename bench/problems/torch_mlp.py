"""The PyTorch example's trainer (examples/pytorch_mlp/train.py) as a benchmark problem.

Objective: validation accuracy after EPOCHS epochs (maximized), for the learning rate
and hidden size the example tunes; model initialization and batch order use a fixed
seed, so the value is a deterministic function of the configuration. Epochs are the
fidelity: evaluate_curve() returns the per-epoch validation accuracy and loss, which the
pruning benchmark (issue 7) consumes -- a pruner sees the first k values of the curve.
"""
import os
import sys

from .base import Problem
from .space import Float, Int

EXAMPLE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                           "examples", "pytorch_mlp")
EPOCHS = 10      # the sampler benchmark's fixed budget per trial
MAX_EPOCHS = 30  # the fidelity's upper end, for pruning benchmarks
TRAIN_SEED = 0


def example_trainer():
    """examples/pytorch_mlp/train.py as a module, torch on one thread."""
    if EXAMPLE_DIR not in sys.path:
        sys.path.insert(0, EXAMPLE_DIR)
    import torch
    import train  # examples/pytorch_mlp/train.py
    torch.set_num_threads(1)  # the runner already keeps every core busy
    return train


class TorchMLP(Problem):
    kind = "torch"
    direction = "maximize"
    cost = 0.25

    def __init__(self):
        super().__init__("torch_mlp_digits", [
            Float("lr", 1e-4, 3e-1, log=True),
            Int("hidden_size", 8, 256, log=True),
        ], direction="maximize", kind="torch", cost=0.25)
        self.optimum_source = "best-known value, see problems/calibration.json"
        self.description = (f"PyTorch MLP of examples/pytorch_mlp/train.py on digits, "
                            f"validation accuracy after {EPOCHS} epochs")
        self.fidelity = {"name": "epochs", "min": 1, "max": MAX_EPOCHS, "default": EPOCHS}

    def evaluate_curve(self, config, seed=0, epochs=EPOCHS):
        """[(epoch, val_acc, val_loss), ...] for epochs 1..epochs."""
        train = example_trainer()
        curve = []

        def on_epoch(epoch, val_acc, val_loss):
            curve.append((epoch, float(val_acc), float(val_loss)))
            return False

        train.train(float(config["lr"]), int(config["hidden_size"]), int(epochs),
                    TRAIN_SEED, on_epoch)
        return curve

    def evaluate(self, config, seed=0):
        return self.evaluate_curve(config, seed, EPOCHS)[-1][1]


def problems():
    return [TorchMLP()]
