"""The program each rank of test_integration.py's torch.distributed job runs: DDP
training on iris whose hyperparameters come from a TorchDistributedTrial. A module of its
own so that the spawned processes import no more than they need."""
import os

EPOCHS_DDP = 8


def ddp_objective(mod, trial, X, y):
    """Trains a small DDP network on this rank's shard of iris; what the rank saw."""
    import torch
    from torch.nn.parallel import DistributedDataParallel
    torch.manual_seed(0)
    optimizer_name = trial.suggest_categorical("optimizer", ["SGD", "Adam"])
    lr = trial.suggest_float("lr", 1e-5, 1.0, log=True)
    hidden = trial.suggest_int("hidden", 4, 16)
    model = DistributedDataParallel(torch.nn.Sequential(
        torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 3)))
    optimizer = getattr(torch.optim, optimizer_name)(model.parameters(), lr=lr)
    seen = {"number": trial.number, "params": dict(trial.params), "decisions": []}
    for epoch in range(EPOCHS_DDP):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()  # DDP averages the gradients of the ranks
        optimizer.step()
        trial.report(loss.item(), epoch)
        seen["decisions"].append(trial.should_prune())
        if seen["decisions"][-1]:
            return seen, mod.TrialPruned()
    trial.set_user_attr("hidden_seen", hidden)
    seen["user_attrs"] = dict(trial.user_attrs)
    return seen, loss.item()


def ddp_worker(rank, init_file, out_dir):
    """One rank of the job: the same program through each engine in turn (one spawn,
    since starting a process that imports torch takes seconds)."""
    import pickle
    import torch
    import torch.distributed as dist
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                            world_size=2)
    for engine_name in ("hpsearch", "optuna"):
        out = ddp_program(engine_name, rank)
        with open(os.path.join(out_dir, f"{engine_name}-rank{rank}.pickle"), "wb") as f:
            pickle.dump(out, f)
    # Both ranks done before either tears down: a rank that destroys the group while
    # the other is still in a collective makes gloo abort that one (SIGABRT,
    # "terminate called without an active exception"), as a loaded CI machine showed.
    dist.barrier()
    dist.destroy_process_group()


def ddp_program(engine_name, rank):
    import importlib
    import torch
    from sklearn.datasets import load_iris
    mod = importlib.import_module(engine_name)
    mod.logging.set_verbosity(mod.logging.WARNING)
    X, y = load_iris(return_X_y=True)
    X = torch.tensor(((X - X.mean(0)) / X.std(0))[rank::2], dtype=torch.float32)
    y = torch.tensor(y[rank::2], dtype=torch.int64)
    seen = []

    def objective(trial):
        saw, outcome = ddp_objective(mod, mod.integration.TorchDistributedTrial(trial), X, y)
        seen.append(saw)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    out = {}
    if rank == 0:
        study = mod.create_study(
            pruner=mod.pruners.ThresholdPruner(upper=1.0, n_warmup_steps=4))
        study.enqueue_trial({"optimizer": "Adam", "lr": 0.05, "hidden": 16})
        study.enqueue_trial({"optimizer": "SGD", "lr": 1e-5, "hidden": 16})
        study.optimize(objective, n_trials=3)
        out["trials"] = [(t.number, t.state.name, t.params, sorted(t.intermediate_values))
                         for t in study.trials]
    else:
        for _ in range(3):
            try:
                objective(None)
            except mod.TrialPruned:
                pass
    if engine_name == "hpsearch":
        out["errors"] = ddp_errors(mod, study if rank == 0 else None, rank)
    out["seen"] = seen
    return out


def ddp_errors(mod, study, rank):
    """What each rank raises for an error of rank 0 and for a wrong trial argument (in
    Optuna 3.1 both leave the ranks waiting for each other forever)."""
    errors = []
    trial = mod.integration.TorchDistributedTrial(study.ask() if rank == 0 else None)
    try:
        trial.suggest_float("x", 1.0, 0.0)
    except ValueError as e:
        errors.append(str(e))
    try:
        mod.integration.TorchDistributedTrial(study.ask() if rank == 0 else "not None")
    except ValueError as e:
        errors.append(str(e))
    return errors
