"""wandb_trainer.py -- a training script instrumented with W&B, for the CLI tests of
hpsearch's wandb stand-in: a linear classifier (SGD) on scikit-learn's digits, trained
epoch by epoch with partial_fit, its parameters read from wandb.config and its
validation accuracy logged with wandb.log.

Written as W&B users write them: `wandb agent` passes the parameters as --name=value
too, which the script ignores (wandb.config has them). Options:
  --step {implicit,explicit}  log without step= (W&B counts 0, 1, ...) or with
                              step=epoch (1, 2, ...)
  --summary {none,best,test}  set nothing (the last logged value is the result), the
                              best validation accuracy (run.summary[...] = ...), or the
                              accuracy on a held-out test set (run.summary.update)
  --finish {call,skip,context}  wandb.finish(), no finish at all, or `with wandb.init()`
  --no-op-apis                call the parts of the API that do not matter to a search
"""
import argparse
import json
import os

import numpy as np
import wandb
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

parser = argparse.ArgumentParser()
parser.add_argument("--step", choices=["implicit", "explicit"], default="implicit")
parser.add_argument("--summary", choices=["none", "best", "test"], default="none")
parser.add_argument("--finish", choices=["call", "skip", "context"], default="call")
parser.add_argument("--no-op-apis", action="store_true")
args, _ = parser.parse_known_args()  # the sweep's --alpha=... arrive through wandb.config

defaults = {"alpha": 1e-4, "eta0": 0.01, "epochs": 4, "loss": "hinge"}


def train(run):
    config = wandb.config
    alpha = config.alpha            # attribute access
    eta0 = config["eta0"]           # item access
    epochs = run.config.epochs      # through the run
    config.update({"scaler": "standard"})
    # what the script saw, for the test to compare with the trial's parameters
    with open(os.path.join(run.dir, "config.json"), "w") as f:
        json.dump(dict(config), f)

    X, y = load_digits(return_X_y=True)
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.3,
                                                      random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_val, X_test = (scaler.transform(a) for a in (X_train, X_val, X_test))
    model = SGDClassifier(loss=config.loss, alpha=alpha, learning_rate="constant", eta0=eta0,
                          random_state=0)
    if args.no_op_apis:
        wandb.watch(model, log="all")
        wandb.define_metric("val_acc", summary="max", goal="maximize")
        run.define_metric("epoch")
        table = wandb.Table(columns=["epoch", "acc"])
        table.add_data(0, 0.0)
        artifact = wandb.Artifact("digits-model", type="model")
        artifact.add_file(__file__)
        run.log_artifact(artifact)
        wandb.save(__file__)
        wandb.alert(title="started", text="training", level=wandb.AlertLevel.INFO)

    best = 0.0
    for epoch in range(1, epochs + 1):
        model.partial_fit(X_train, y_train, classes=np.unique(y))
        val_acc = model.score(X_val, y_val)
        best = max(best, val_acc)
        data = {"epoch": epoch, "val_acc": val_acc, "train_acc": model.score(X_train, y_train)}
        if args.no_op_apis:
            data["confusion"] = wandb.Table(data=[[0, 1]], columns=["a", "b"])
            data["weights"] = wandb.Histogram(model.coef_.ravel())
            data["sample"] = wandb.Image(X_val[0].reshape(8, 8))
            data["note"] = "text is not a metric"
        if args.step == "explicit":
            wandb.log(data, step=epoch)
        else:
            run.log(data)
    if args.summary == "best":
        run.summary["val_acc"] = best
    elif args.summary == "test":
        wandb.run.summary.update({"val_acc": model.score(X_test, y_test)})


if args.finish == "context":
    with wandb.init(project="digits", config=defaults) as run:
        train(run)
else:
    run = wandb.init(project="digits", config=defaults)
    train(run)
    if args.finish == "call":
        wandb.finish()
