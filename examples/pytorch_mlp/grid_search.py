#!/usr/bin/env python3
"""The seed article's grid search, as one hpsearch GridSampler study.

The article loops over every combination of

    learning_rates = [0.001, 0.01, 0.1]
    hidden_sizes = [32, 64, 128]
    epochs_list = [5, 10]

training the model for each. Here the grid is a GridSampler study: the 18 cells are
handed out once each (also across processes sharing --storage, which resumes an
interrupted run), every trial trains for real on scikit-learn's digits (train.py) and
reports its validation accuracy per epoch.

    python3 grid_search.py                       # the whole grid, in memory
    python3 grid_search.py --storage sqlite:grid.db --n-jobs 2
    python3 grid_search.py --trials 3            # a quick look at 3 cells
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hpsearch  # noqa: E402
from train import train  # noqa: E402

SEARCH_SPACE = {
    "lr": [0.001, 0.01, 0.1],
    "hidden_size": [32, 64, 128],
    "epochs": [5, 10],
}


def objective(trial):
    # The ranges the grid values lie in: the same objective runs with any sampler.
    lr = trial.suggest_float("lr", 1e-3, 1e-1, log=True)
    hidden_size = trial.suggest_int("hidden_size", 32, 128)
    epochs = trial.suggest_int("epochs", 5, 10)

    def on_epoch(epoch, val_acc, val_loss):
        trial.report(val_acc, epoch)
        return False

    return train(lr, hidden_size, epochs, seed=0, on_epoch=on_epoch)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int,
                        default=int(os.environ.get("HPS_EXAMPLE_TRIALS", "0")) or None,
                        help="stop after N trials (default: the whole grid)")
    parser.add_argument("--storage", default=None, help="e.g. sqlite:grid.db (default: memory)")
    parser.add_argument("--study-name", default="mlp-grid-python")
    parser.add_argument("--seed", type=int, default=0, help="order in which cells are visited")
    parser.add_argument("--n-jobs", type=int, default=1, help="trials at once (threads)")
    args = parser.parse_args()

    import torch
    torch.set_num_threads(1)  # small model: one thread per trial is fastest

    study = hpsearch.create_study(
        study_name=args.study_name, storage=args.storage, direction="maximize",
        sampler=hpsearch.samplers.GridSampler(SEARCH_SPACE, seed=args.seed),
        load_if_exists=True)
    study.optimize(objective, n_trials=args.trials, n_jobs=args.n_jobs)

    best = study.best_trial
    p = best.params
    print(f"Best hyperparameters: lr={p['lr']}, hidden_size={p['hidden_size']}, "
          f"epochs={p['epochs']}, accuracy={best.value:.4f} "
          f"(trial {best.number}, {len(study.trials)} of 18 cells run)")


if __name__ == "__main__":
    main()
