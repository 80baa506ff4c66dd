#!/usr/bin/env python3
"""The seed article's random search, as one hpsearch RandomSampler study.

The article draws learning rates log-uniformly from [1e-4, 1e-1], hidden sizes from
[32, 256] and epochs from [5, 25]. Here a RandomSampler does the drawing, each trial
trains for real on scikit-learn's digits (train.py), and the study keeps every result.

    python3 random_search.py --trials 20
    python3 random_search.py --trials 20 --storage sqlite:random.db   # resumable
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hpsearch  # noqa: E402
from train import train  # noqa: E402


def objective(trial):
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    hidden_size = trial.suggest_int("hidden_size", 32, 256)
    epochs = trial.suggest_int("epochs", 5, 25)

    def on_epoch(epoch, val_acc, val_loss):
        trial.report(val_acc, epoch)
        return False

    return train(lr, hidden_size, epochs, seed=0, on_epoch=on_epoch)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int,
                        default=int(os.environ.get("HPS_EXAMPLE_TRIALS", "10")))
    parser.add_argument("--storage", default=None, help="e.g. sqlite:random.db (default: memory)")
    parser.add_argument("--study-name", default="mlp-random-python")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--n-jobs", type=int, default=1, help="trials at once (threads)")
    args = parser.parse_args()

    import torch
    torch.set_num_threads(1)  # small model: one thread per trial is fastest

    study = hpsearch.create_study(
        study_name=args.study_name, storage=args.storage, direction="maximize",
        sampler=hpsearch.samplers.RandomSampler(seed=args.seed), load_if_exists=True)
    study.optimize(objective, n_trials=args.trials, n_jobs=args.n_jobs)

    best = study.best_trial
    p = best.params
    print(f"Best hyperparameters: lr={p['lr']:.6g}, hidden_size={p['hidden_size']}, "
          f"epochs={p['epochs']}, accuracy={best.value:.4f} "
          f"(trial {best.number} of {len(study.trials)})")


if __name__ == "__main__":
    main()
