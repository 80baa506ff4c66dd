"""A 7-parameter mixed PyTorch MLP on digits (issue 22: the small-budget family).

The issue measured `auto` on a held-out "PyTorch-MLP table" of 7 mixed parameters; the
example problem of torch_mlp.py has 2. This one tunes what a user tunes on a small MLP:

    lr            log float  [1e-4, 0.3]
    weight_decay  log float  [1e-6, 1e-1]
    dropout       float      [0, 0.6]
    hidden_size   log int    [16, 256]   (every hidden layer)
    n_layers      int        [1, 3]
    batch_size    log int    [16, 256]
    optimizer     categorical  adamw | sgd (Nesterov momentum 0.9)

Objective: validation accuracy (maximized) after EPOCHS epochs on scikit-learn's digits,
the example's fixed stratified 75/25 split. Initialization, dropout masks and batch order
come from a fixed seed, so the value is a deterministic function of the configuration;
one evaluation takes a tenth of a second or so on one idle core (torch.set_num_threads(1))
and repeated configurations are answered from a per-process cache.
"""
from .base import Problem
from .space import Categorical, Float, Int
from .torch_mlp import example_trainer

EPOCHS = 4
TRAIN_SEED = 0
OPTIMIZERS = ("adamw", "sgd")

_DATA = None


def _data():
    global _DATA  # loaded once per process: every evaluation sees the same split
    if _DATA is None:
        _DATA = example_trainer().load_data()  # the example's split, torch on one thread
    return _DATA


def _model(hidden_size, n_layers, dropout, n_in, n_out):
    import torch.nn as nn
    layers, width = [], n_in
    for _ in range(n_layers):
        layers += [nn.Linear(width, hidden_size), nn.ReLU(), nn.Dropout(dropout)]
        width = hidden_size
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def _optimizer(name, params, lr, weight_decay):
    import torch
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True,
                               weight_decay=weight_decay)
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


def fit(config, x_train, y_train, n_out, epochs, seed, loss="cross_entropy"):
    """The model of one configuration trained for `epochs` epochs on (x_train,
    y_train), in eval mode, minimizing `loss` ("cross_entropy" for class labels, "mse"
    for an (n, 1) regression target). Initialization, dropout masks and batch order come
    from `seed`; torch_mlp7_heldout.py trains its problems with it too."""
    import torch
    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    model = _model(int(config["hidden_size"]), int(config["n_layers"]),
                   float(config["dropout"]), x_train.shape[1], n_out)
    opt = _optimizer(config["optimizer"], model.parameters(), float(config["lr"]),
                     float(config["weight_decay"]))
    loss_fn = {"cross_entropy": torch.nn.CrossEntropyLoss,
               "mse": torch.nn.MSELoss}[loss]()
    batch, n = int(config["batch_size"]), len(x_train)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=order)
        for start in range(0, n, batch):
            idx = perm[start:start + batch]
            opt.zero_grad()
            loss_fn(model(x_train[idx]), y_train[idx]).backward()
            opt.step()
    model.eval()
    return model


def train(config, epochs=EPOCHS, seed=TRAIN_SEED):
    """Validation accuracy of one configuration after `epochs` epochs."""
    import torch
    x_train, x_val, y_train, y_val = _data()
    model = fit(config, x_train, y_train, 10, epochs, seed)
    with torch.no_grad():
        logits = model(x_val)
    if not torch.isfinite(logits).all():
        return float("nan")  # diverged: a failed trial, as a user's NaN loss would be
    return float((logits.argmax(dim=1) == y_val).float().mean())


class TorchMLP7(Problem):
    kind = "torch"
    direction = "maximize"
    cost = 0.15

    def __init__(self):
        super().__init__("torch_mlp7_digits", [
            Float("lr", 1e-4, 3e-1, log=True),
            Float("weight_decay", 1e-6, 1e-1, log=True),
            Float("dropout", 0.0, 0.6),
            Int("hidden_size", 16, 256, log=True),
            Int("n_layers", 1, 3),
            Int("batch_size", 16, 256, log=True),
            Categorical("optimizer", list(OPTIMIZERS)),
        ], direction="maximize", kind="torch", cost=0.15)
        self.optimum_source = "best-known value, see problems/calibration.json"
        self.description = (f"7-parameter PyTorch MLP (lr, weight decay, dropout, width, "
                            f"depth, batch size, AdamW or SGD) on digits, validation "
                            f"accuracy after {EPOCHS} epochs")
        self._cache = {}

    def evaluate(self, config, seed=0):
        # The objective ignores the run seed (training uses its own fixed one), so a
        # configuration met again -- a grid cell, a shared start, a sampler repeating
        # an incumbent -- costs nothing.
        key = tuple(sorted((k, str(v)) for k, v in config.items()))
        if key not in self._cache:
            self._cache[key] = train(config)
        return self._cache[key]


def problems():
    return [TorchMLP7()]
