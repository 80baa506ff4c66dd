"""The problems bench/pruning.py tunes, each a PyTorch MLP trained epoch by epoch.

A problem gives the search space three ways -- `suggest(trial)` (the study's trial
asks for each parameter), `draw(rng)` (a random configuration, for the shared start and
the calibration of bench/curve_ranks.py) -- and `train(config, on_epoch, checkpoint_dir)`,
which trains for real, calls on_epoch(epoch, val_acc, val_loss) after every epoch (True
stops it) and, with a checkpoint directory, saves every epoch there and continues from
what it finds (the pausing schedulers resume trials that way).

    digits-adam  examples/pytorch_mlp/train.py as it is: Adam, learning rate and hidden
                 size, 20 epochs. The problem of every table in bench/pruning.md before
                 "Freeze-thaw where curves cross"; its results reproduce unchanged.
    digits-sgd   the same model and split with dropout, trained by SGD with momentum
                 over the knobs a PyTorch user tunes for it (learning rate over three
                 decades, momentum, weight decay, dropout, batch size, constant or cosine
                 learning rate, epochs of linear warm-up), 30 epochs. Chosen, among the
                 spaces calibrated with bench/curve_ranks.py, as the realistic one whose
                 early ranks mislead most (bench/pruning.md, "Freeze-thaw where curves
                 cross").
"""
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "examples", "pytorch_mlp")


def _log_uniform(rng, lo, hi):
    """A float log-uniform in [lo, hi] from a numpy Generator (numpy's log and exp, as
    the first shared start drew them: its stored results reproduce to the bit)."""
    import numpy as np
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _log_int(rng, lo, hi):
    """An integer log-uniform in [lo, hi], as a sampler's log int draws it (the
    interval widened by half a unit on both sides, then rounded)."""
    return int(min(hi, max(lo, round(_log_uniform(rng, lo - 0.5, hi + 0.5)))))


class DigitsAdam:
    """examples/pytorch_mlp/train.py: Adam on digits, learning rate and hidden size."""
    name = "digits-adam"
    epochs = 20
    description = "PyTorch MLP on digits (Adam; lr, hidden size)"

    def suggest(self, trial):
        return {"lr": trial.suggest_float("lr", 1e-4, 3e-1, log=True),
                "hidden_size": trial.suggest_int("hidden_size", 8, 256, log=True)}

    def draw(self, rng):
        # the draws (and their order) of bench/pruning.py's first shared start, so that
        # its stored results reproduce
        return {"lr": _log_uniform(rng, 1e-4, 3e-1), "hidden_size": _log_int(rng, 8, 256)}

    def train(self, config, on_epoch, checkpoint_dir=None):
        import train
        return train.train(config["lr"], config["hidden_size"], self.epochs, 0, on_epoch,
                           checkpoint_dir)


class DigitsSGD:
    """train.py's model (Linear -> ReLU -> Linear) with dropout after the ReLU, on the
    same split, trained by SGD with momentum. The space is wide the way a user's first
    search is: learning rates from far too small to nearly divergent, heavy and light
    regularization, small and large batches, with or without a cosine decay of the
    learning rate to zero at the last epoch, with 0-10 epochs of warm-up (the modern
    SGD recipe). A warm-up or a high learning rate makes a slow start that can still
    end on top: the early ranks mislead. Training is seeded (initialization, dropout
    masks, batch order), so a configuration's curve is a deterministic function of it,
    and a trial resumed from its checkpoint continues the same curve."""
    name = "digits-sgd"
    epochs = 30
    description = ("PyTorch MLP on digits (SGD with momentum; lr, momentum, weight decay, "
                   "dropout, batch size, schedule, warm-up)")
    SEED = 0
    MAX_BATCH = 512
    HIDDEN = 128
    SCHEDULES = ("constant", "cosine")
    MAX_WARMUP = 10

    def suggest(self, trial):
        return {
            "lr": trial.suggest_float("lr", 1e-3, 1.0, log=True),
            "momentum": trial.suggest_float("momentum", 0.0, 0.99),
            "weight_decay": trial.suggest_float("weight_decay", 1e-6, 1e-1, log=True),
            "dropout": trial.suggest_float("dropout", 0.0, 0.7),
            "batch_size": trial.suggest_int("batch_size", 16, self.MAX_BATCH, log=True),
            "schedule": trial.suggest_categorical("schedule", list(self.SCHEDULES)),
            "warmup_epochs": trial.suggest_int("warmup_epochs", 0, self.MAX_WARMUP),
        }

    def draw(self, rng):
        return {"lr": _log_uniform(rng, 1e-3, 1.0),
                "momentum": float(rng.uniform(0.0, 0.99)),
                "weight_decay": _log_uniform(rng, 1e-6, 1e-1),
                "dropout": float(rng.uniform(0.0, 0.7)),
                "batch_size": _log_int(rng, 16, self.MAX_BATCH),
                "schedule": self.SCHEDULES[int(rng.integers(len(self.SCHEDULES)))],
                "warmup_epochs": int(rng.integers(0, self.MAX_WARMUP + 1))}

    def lr_at(self, config, epoch):
        """The learning rate of epoch `epoch` (1-based): constant, or cosine from lr at
        epoch 1 down to near zero at the last epoch, times a linear warm-up over the
        first warmup_epochs epochs (epoch e of w: e / (w + 1)). Set per epoch, so a
        resumed trial needs no scheduler state."""
        warmup = config["warmup_epochs"]
        factor = epoch / (warmup + 1) if epoch <= warmup else 1.0
        if config["schedule"] == "cosine":
            factor *= 0.5 * (1.0 + math.cos(math.pi * (epoch - 1) / self.epochs))
        return config["lr"] * factor

    def train(self, config, on_epoch, checkpoint_dir=None):
        import torch
        import torch.nn as nn
        import train as example
        x_train, x_val, y_train, y_val = _digits()
        torch.manual_seed(self.SEED)
        model = nn.Sequential(nn.Linear(example.FEATURES, self.HIDDEN), nn.ReLU(),
                              nn.Dropout(config["dropout"]),
                              nn.Linear(self.HIDDEN, example.CLASSES))
        optimizer = torch.optim.SGD(model.parameters(), lr=config["lr"],
                                    momentum=config["momentum"],
                                    weight_decay=config["weight_decay"])
        criterion = nn.CrossEntropyLoss()
        path = os.path.join(checkpoint_dir, "checkpoint.pt") if checkpoint_dir else None
        first, val_acc = 1, 0.0
        if path and os.path.exists(path):
            state = torch.load(path)
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            torch.set_rng_state(state["rng"])
            first = state["epoch"] + 1
            val_acc, val_loss = _evaluate(model, x_val, y_val, criterion)
            if on_epoch is not None and on_epoch(state["epoch"], val_acc, val_loss):
                return val_acc
        batch, n = config["batch_size"], len(x_train)
        for epoch in range(first, self.epochs + 1):
            for group in optimizer.param_groups:
                group["lr"] = self.lr_at(config, epoch)
            order = torch.randperm(n, generator=torch.Generator().manual_seed(
                self.SEED * 1000 + epoch))
            model.train()
            for start in range(0, n, batch):
                idx = order[start:start + batch]
                optimizer.zero_grad()
                criterion(model(x_train[idx]), y_train[idx]).backward()
                optimizer.step()
            val_acc, val_loss = _evaluate(model, x_val, y_val, criterion)
            if path:
                tmp = path + ".tmp"
                torch.save({"epoch": epoch, "model": model.state_dict(),
                            "optimizer": optimizer.state_dict(),
                            "rng": torch.get_rng_state()}, tmp)
                os.replace(tmp, path)
            if on_epoch is not None and on_epoch(epoch, val_acc, val_loss):
                break
        return val_acc


_DIGITS = None


def _digits():
    global _DIGITS  # loaded once per process: every trial sees the same split
    if _DIGITS is None:
        import train as example
        _DIGITS = example.load_data()
    return _DIGITS


def _evaluate(model, x, y, criterion):
    """Validation accuracy and loss; a diverged model (non-finite outputs) scores the
    accuracy its argmax gives and an infinite loss, as a user's NaN loss would show."""
    import torch
    model.eval()
    with torch.no_grad():
        logits = model(x)
        finite = bool(torch.isfinite(logits).all())
        loss = criterion(logits, y).item() if finite else math.inf
        acc = (logits.argmax(dim=1) == y).float().mean().item() if finite else 0.0
    return acc, loss


PROBLEMS = {p.name: p for p in (DigitsAdam(), DigitsSGD())}


def get(name):
    if name not in PROBLEMS:
        raise KeyError(f"unknown pruning problem {name!r}; known: {sorted(PROBLEMS)}")
    return PROBLEMS[name]
