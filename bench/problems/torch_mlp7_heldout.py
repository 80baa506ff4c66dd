"""Held-out 7-parameter PyTorch MLPs (issue 22's "PyTorch-MLP table" bars).

torch_mlp7.py's problem (digits) is the one the small-budget work looked at; these are
the same kind of problem on data nobody tuned on: the same seven parameters (lr, weight
decay, dropout, width, depth, batch size, AdamW or SGD with Nesterov momentum) and the
same training code (torch_mlp7.fit), on

    breast_cancer  426 / 143 samples, 30 features, 2 classes, 8 epochs, batch 16..256
    wine           133 /  45 samples, 13 features, 3 classes, 10 epochs, batch 8..128
                   (a third of the samples: smaller batches keep some steps per epoch)

each a fixed stratified 75/25 split (random_state 0), standardized with the training
part's mean and deviation. Objective: the validation cross-entropy (minimized), not the
accuracy torch_mlp7 uses: on these sets many configurations reach the same accuracy
(143 or 45 validation samples, 97-100 % reachable), so accuracy would give the
calibration's best-known value to a large share of random draws and leave the score
little to measure. A diverged run (non-finite outputs) is a failed trial (NaN).

Training uses a fixed seed, so the value is a deterministic function of the
configuration; a per-process cache answers repeated configurations, as torch_mlp7's.
The family is "torch_heldout": kept out of the `torch` suite, of "all" and of every
other suite (problems/__init__.py); the kind stays "torch".
"""
from .base import Problem
from .space import Categorical, Float, Int
from .torch_mlp7 import OPTIMIZERS, TRAIN_SEED, fit

FAMILY = "torch_heldout"
SPLIT_SEED = 0
EPOCHS = {"breast_cancer": 8, "wine": 10}

_DATA = {}


def load(dataset):
    """(x_train, x_val, y_train, y_val, classes) as torch tensors, once per process."""
    if dataset not in _DATA:
        import torch
        from sklearn import datasets
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import StandardScaler
        torch.set_num_threads(1)  # the runner already keeps every core busy
        d = {"breast_cancer": datasets.load_breast_cancer,
             "wine": datasets.load_wine}[dataset]()
        x_train, x_val, y_train, y_val = train_test_split(
            d.data, d.target, test_size=0.25, random_state=SPLIT_SEED, stratify=d.target)
        scaler = StandardScaler().fit(x_train)
        _DATA[dataset] = (torch.tensor(scaler.transform(x_train), dtype=torch.float32),
                          torch.tensor(scaler.transform(x_val), dtype=torch.float32),
                          torch.tensor(y_train, dtype=torch.long),
                          torch.tensor(y_val, dtype=torch.long),
                          int(d.target.max()) + 1)
    return _DATA[dataset]


def train(dataset, config, epochs=None, seed=TRAIN_SEED):
    """Validation cross-entropy of one configuration trained on `dataset`."""
    import torch
    x_train, x_val, y_train, y_val, classes = load(dataset)
    model = fit(config, x_train, y_train, classes,
                EPOCHS[dataset] if epochs is None else epochs, seed)
    with torch.no_grad():
        logits = model(x_val)
        if not torch.isfinite(logits).all():
            return float("nan")  # diverged: a failed trial
        return float(torch.nn.functional.cross_entropy(logits, y_val))


class TorchMLP7HeldOut(Problem):
    kind = "torch"
    family = FAMILY
    direction = "minimize"

    def __init__(self, dataset, batch_low, batch_high, cost):
        super().__init__(f"torch_mlp7_{dataset}", [
            Float("lr", 1e-4, 3e-1, log=True),
            Float("weight_decay", 1e-6, 1e-1, log=True),
            Float("dropout", 0.0, 0.6),
            Int("hidden_size", 16, 256, log=True),
            Int("n_layers", 1, 3),
            Int("batch_size", batch_low, batch_high, log=True),
            Categorical("optimizer", list(OPTIMIZERS)),
        ], kind="torch", cost=cost)
        self.dataset = dataset
        self.optimum_source = "best-known value, see problems/calibration.json"
        self.description = (f"7-parameter PyTorch MLP (torch_mlp7's space and training) "
                            f"on standardized {dataset}, validation cross-entropy after "
                            f"{EPOCHS[dataset]} epochs")
        self._cache = {}

    def evaluate(self, config, seed=0):
        # the run seed does not enter (training has its own fixed one): a repeated
        # configuration is answered from the cache
        key = tuple(sorted((k, str(v)) for k, v in config.items()))
        if key not in self._cache:
            self._cache[key] = train(self.dataset, config)
        return self._cache[key]


def problems():
    return [TorchMLP7HeldOut("breast_cancer", 16, 256, 0.15),
            TorchMLP7HeldOut("wine", 8, 128, 0.05)]
