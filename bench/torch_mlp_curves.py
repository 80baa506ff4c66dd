#!/usr/bin/env python3
"""The learning-curve table of the PyTorch example's trainer: build it, read it.

The trainer of bench/problems/torch_mlp.py (the MLP of examples/pytorch_mlp/train.py on
digits, train seed 0: a deterministic function of the configuration) runs once per cell
of the grid bench/priors.py uses for its 10-epoch table -- 21 learning rates x 11 hidden
sizes, evenly spaced in log lr and log hidden -- and every cell keeps its validation
accuracy after each of epochs 1..EPOCHS (the fidelity bench/pruning.py uses). A
benchmark then looks a configuration up at its nearest cell and reads its curve epoch by
epoch (bench/pruning_table.py): pruners and pausing schedulers see what live training
would show them, at table speed.

`--dataset breast_cancer` builds the held-out table of the same kind: the same trainer
(model, optimizer, batches, seed) on scikit-learn's breast cancer data instead of
digits -- a fixed stratified 75/25 split (random_state 0) with the features
standardized by the training part's mean and deviation (digits' pixels are divided by
16 for the same reason), 30 inputs and 2 classes -- in
bench/results/torch_mlp_curves_breast_cancer.json.

    OMP_NUM_THREADS=1 nice /usr/bin/python3 bench/torch_mlp_curves.py [--jobs 2] \
        [--dataset digits|breast_cancer] [--out FILE]

Rebuilding prints a line per finished cell. The file records how it was built (grid,
epochs, trainer seed, torch version)."""
import argparse
import json
import math
import multiprocessing
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "results", "torch_mlp_curves.json")
LR_LOW, LR_HIGH = 1e-4, 3e-1
HIDDEN_LOW, HIDDEN_HIGH = 8, 256
N_LR, N_HIDDEN = 21, 11  # bench/priors.py's grid
EPOCHS = 20              # bench/pruning.py's fidelity
DIGITS = 5               # an accuracy is a multiple of 1/450 on digits: 5 digits keep it
DATASETS = {"digits": TABLE,
            "breast_cancer": os.path.join(HERE, "results",
                                          "torch_mlp_curves_breast_cancer.json")}


def log_axis(low, high, n):
    return [math.exp(math.log(low) + i * (math.log(high) - math.log(low)) / (n - 1))
            for i in range(n)]


def grid():
    return log_axis(LR_LOW, LR_HIGH, N_LR), log_axis(HIDDEN_LOW, HIDDEN_HIGH, N_HIDDEN)


def use_breast_cancer(train):
    """Points the example's trainer (module `train`) at the breast cancer data: its
    train() builds SimpleModel(FEATURES, hidden, CLASSES) from load_data()'s split."""
    import torch
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    data = load_breast_cancer()
    x_train, x_val, y_train, y_val = train_test_split(
        data.data, data.target, test_size=0.25, random_state=0, stratify=data.target)
    scaler = StandardScaler().fit(x_train)
    split = (torch.tensor(scaler.transform(x_train), dtype=torch.float32),
             torch.tensor(scaler.transform(x_val), dtype=torch.float32),
             torch.tensor(y_train, dtype=torch.long), torch.tensor(y_val, dtype=torch.long))
    train.load_data = lambda: split
    train.FEATURES, train.CLASSES = x_train.shape[1], 2


def validation_size(dataset):
    sys.path.insert(0, HERE)
    from problems.torch_mlp import example_trainer
    train = example_trainer()
    if dataset == "breast_cancer":
        use_breast_cancer(train)
    return len(train.load_data()[3])


def _curve(cell):
    """One cell's validation accuracies after epochs 1..EPOCHS (a worker process)."""
    dataset, i, j, lr, hidden = cell
    sys.path.insert(0, HERE)
    from problems.torch_mlp import TorchMLP, example_trainer
    if dataset == "breast_cancer":
        use_breast_cancer(example_trainer())
    curve = TorchMLP().evaluate_curve({"lr": lr, "hidden_size": hidden}, epochs=EPOCHS)
    return i, j, [round(acc, DIGITS) for _, acc, _ in curve]


def build(out, jobs, dataset="digits"):
    import torch
    lrs, hs = grid()
    # the trainer takes an int width: a cell's curve is its rounded width's
    cells = [(dataset, i, j, lr, int(round(h)))
             for i, lr in enumerate(lrs) for j, h in enumerate(hs)]
    curves = [[None] * len(hs) for _ in lrs]
    start = time.time()
    with multiprocessing.Pool(jobs) as pool:
        for done, (i, j, curve) in enumerate(pool.imap_unordered(_curve, cells), 1):
            curves[i][j] = curve
            print(f"  cell {done}/{len(cells)} (lr={lrs[i]:.3g}, hidden={round(hs[j])}): "
                  f"epoch {EPOCHS} {curve[-1]:.4f} ({time.time() - start:.0f} s)",
                  file=sys.stderr, flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"lr": lrs, "hidden_size": hs, "epochs": EPOCHS, "curves": curves,
                   "validation_size": validation_size(dataset),
                   "source": {"trainer": "bench/problems/torch_mlp.py evaluate_curve "
                                         f"(examples/pytorch_mlp/train.py, {dataset})",
                              "train_seed": 0, "grid": f"{N_LR} lr log-spaced "
                              f"{LR_LOW:g}..{LR_HIGH:g} x {N_HIDDEN} hidden log-spaced "
                              f"{HIDDEN_LOW}..{HIDDEN_HIGH} (rounded to int)",
                              "value": f"validation accuracy after each epoch, "
                                       f"{DIGITS} digits",
                              "torch": torch.__version__, "processes": jobs,
                              "seconds": round(time.time() - start)}},
                  f, separators=(",", ":"))
        f.write("\n")


def load(path=TABLE):
    with open(path) as f:
        table = json.load(f)
    missing = [k for k in ("lr", "hidden_size", "epochs", "curves", "validation_size")
               if k not in table]
    if missing:
        raise ValueError(f"{path}: not a learning-curve table (no {', '.join(missing)}; "
                         "bench/torch_mlp_curves.py builds one)")
    lrs, hs, curves = table["lr"], table["hidden_size"], table["curves"]
    if (len(curves) != len(lrs) or any(len(row) != len(hs) for row in curves)
            or any(len(c) != table["epochs"] for row in curves for c in row)):
        raise ValueError(f"{path}: curves are not {len(lrs)} x {len(hs)} x "
                         f"{table['epochs']} epochs")
    return table


def nearest_cell(table, lr, hidden):
    """(i, j) of the cell nearest to (lr, hidden) in (log lr, log hidden): every value a
    benchmark reads is one the trainer produced (as bench/priors.py's lookup)."""
    def nearest(x, axis):
        return min(range(len(axis)), key=lambda k: abs(math.log(axis[k]) - math.log(x)))
    return nearest(lr, table["lr"]), nearest(hidden, table["hidden_size"])


def curve_at(table, lr, hidden):
    """The nearest cell's accuracies after epochs 1..table["epochs"] (index epoch - 1)."""
    i, j = nearest_cell(table, lr, hidden)
    return table["curves"][i][j]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="digits")
    parser.add_argument("--out", help="default: results/torch_mlp_curves.json, or "
                        "results/torch_mlp_curves_breast_cancer.json")
    args = parser.parse_args()
    build(args.out or DATASETS[args.dataset], args.jobs, args.dataset)


if __name__ == "__main__":
    main()
