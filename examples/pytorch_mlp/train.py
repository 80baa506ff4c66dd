#!/usr/bin/env python3
"""Train the seed article's model (Linear -> ReLU -> Linear) on scikit-learn's digits.

This is the training script the hpsearch examples tune. It trains for real on a fixed
train/validation split and prints one line per epoch:

    epoch=3 val_acc=0.9611 val_loss=0.1432

hpsearch reads `val_acc` from those lines (each one is an intermediate value, the last
one the trial's result). At the end it prints the model's size and the time training
took, which tune_tradeoff.yaml trades accuracy against:

    params=4810 train_seconds=1.73

Run it by hand:

    python3 train.py --lr 0.01 --hidden-size 64 --epochs 10

Paused trials (pruner asha with mode promotion, asha_promotion.yaml): hpsearch says in
HPSEARCH_MAX_STEP the last epoch of this slice of the trial's budget; the script trains up
to it, saves its checkpoint and exits 0, and hpsearch pauses the trial there. A resumed
trial finds HPSEARCH_RESUME_STEP (the epoch its checkpoint holds) and the same
HPSEARCH_CHECKPOINT_DIR, and goes on with the next epoch.

Preemption: on SIGTERM (hpsearch run being preempted by Slurm, Kubernetes or a spot
instance's notice) it finishes the epoch under way, saves it to the checkpoint and exits
with 143, so the trial that continues this run redoes no epoch when the epoch ends within
hpsearch's preempt_grace, and at most that one when it does not.
"""
import argparse
import os
import signal
import sys
import time

import torch
import torch.nn as nn
import torch.optim as optim
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

# The split is part of the problem definition: every trial sees the same data.
SPLIT_SEED = 0
BATCH_SIZE = 64
FEATURES, CLASSES = 64, 10  # digits: 8x8 images of 0-9


class SimpleModel(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


def parameter_count(hidden_size):
    return sum(p.numel() for p in SimpleModel(FEATURES, hidden_size, CLASSES).parameters())


def load_data():
    digits = load_digits()
    x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
    y = torch.tensor(digits.target, dtype=torch.long)
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=0.25, random_state=SPLIT_SEED, stratify=y)
    return x_train, x_val, y_train, y_val


def evaluate(model, x, y, criterion):
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = criterion(logits, y).item()
        acc = (logits.argmax(dim=1) == y).float().mean().item()
    model.train()
    return acc, loss


def train(lr, hidden_size, epochs, seed=0, on_epoch=None, checkpoint_dir=None,
          optimizer_name="adam", momentum=0.0):
    """Trains one configuration; returns the final validation accuracy.

    optimizer_name is "adam" or "sgd"; momentum applies to SGD only (conditional.yaml
    searches it only for SGD trials).

    on_epoch(epoch, val_acc, val_loss) is called after every epoch (the Python examples
    use it to report intermediate values); returning True from it stops training early.
    With checkpoint_dir, the model and optimizer are saved there after every epoch, and a
    run that finds a checkpoint continues from it. hpsearch hands each trial such a
    directory in HPSEARCH_CHECKPOINT_DIR: empty for a new run, and holding what an
    interrupted attempt saved when a trial takes that run over (the trial queued again
    after a preemption, a retry, or the re-run of a grid cell after Ctrl-C), so only
    those resume."""
    torch.manual_seed(seed)
    x_train, x_val, y_train, y_val = load_data()
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=BATCH_SIZE, shuffle=True)
    model = SimpleModel(FEATURES, hidden_size, CLASSES)
    criterion = nn.CrossEntropyLoss()
    if optimizer_name == "sgd":
        optimizer = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    else:
        optimizer = optim.Adam(model.parameters(), lr=lr)
    val_acc = 0.0
    first = 1
    path = os.path.join(checkpoint_dir, "checkpoint.pt") if checkpoint_dir else None
    if path and os.path.exists(path):
        state = torch.load(path)
        if state["epoch"] <= epochs:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            # The checkpoint's optimizer state carries the lr it was saved with; the lr
            # given now wins (population-based training changes it between rounds).
            for group in optimizer.param_groups:
                group["lr"] = lr
                if optimizer_name == "sgd":
                    group["momentum"] = momentum
            torch.set_rng_state(state["rng"])
            first = state["epoch"] + 1
            val_acc, val_loss = evaluate(model, x_val, y_val, criterion)
            print(f"resumed from a checkpoint after epoch {state['epoch']}", flush=True)
            if on_epoch is not None and on_epoch(state["epoch"], val_acc, val_loss):
                return val_acc
    for epoch in range(first, epochs + 1):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
        val_acc, val_loss = evaluate(model, x_val, y_val, criterion)
        if path:
            tmp = path + ".tmp"
            torch.save({"epoch": epoch, "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(), "rng": torch.get_rng_state()}, tmp)
            os.replace(tmp, path)  # a kill mid-save leaves the previous checkpoint whole
        if on_epoch is not None and on_epoch(epoch, val_acc, val_loss):
            break
    return val_acc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--hidden-size", "--hidden_size", dest="hidden_size", type=int,
                        required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    parser.add_argument("--momentum", type=float, default=0.0, help="SGD only")
    args = parser.parse_args()
    if args.optimizer != "sgd" and args.momentum != 0.0:
        parser.error("--momentum applies to --optimizer sgd only")
    if args.lr <= 0 or args.hidden_size < 1 or args.epochs < 1:
        parser.error("lr must be > 0, hidden-size and epochs >= 1")
    # Several trials share the machine: one thread each avoids oversubscription.
    torch.set_num_threads(int(os.environ.get("HPSEARCH_TORCH_THREADS", "1")))

    # SIGTERM stops training at the end of the epoch under way, after its checkpoint is
    # saved: killing at once would lose that epoch.
    preempted = []
    signal.signal(signal.SIGTERM, lambda signum, frame: preempted.append(signum))

    # The slice of a paused trial: epochs up to HPSEARCH_MAX_STEP, after the one a resumed
    # trial's checkpoint holds (reported already: not again).
    resumed_at = int(os.environ.get("HPSEARCH_RESUME_STEP", "0"))
    slice_end = min(args.epochs, int(os.environ.get("HPSEARCH_MAX_STEP", args.epochs)))

    def report(epoch, val_acc, val_loss):
        if epoch > resumed_at:
            print(f"epoch={epoch} val_acc={val_acc:.4f} val_loss={val_loss:.4f}", flush=True)
        if preempted:
            print(f"SIGTERM: stopping after epoch {epoch}", flush=True)
        return bool(preempted) or epoch >= slice_end

    start = time.perf_counter()
    train(args.lr, args.hidden_size, args.epochs, args.seed, report,
          os.environ.get("HPSEARCH_CHECKPOINT_DIR"), args.optimizer, args.momentum)
    if preempted:
        return 128 + signal.SIGTERM  # not finished: no result line
    if slice_end < args.epochs:
        return 0  # the checkpoint of epoch slice_end is saved: hpsearch pauses the trial
    # Wall time of train(): data, training and validation (and a resumed run's load).
    seconds = time.perf_counter() - start
    print(f"params={parameter_count(args.hidden_size)} train_seconds={seconds:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
