"""The seed article's three strategies (examples/pytorch_mlp) run for real at a small
budget: real training on scikit-learn's digits, real validation accuracy."""
import re
import subprocess
import sys

import pytest

from conftest import ROOT, subprocess_env

EXAMPLES = ROOT / "examples" / "pytorch_mlp"


def test_the_three_examples_train_and_report_real_accuracy(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    env = subprocess_env(HPS_EXAMPLE_TRIALS="2", OMP_NUM_THREADS="1")
    commands = {
        # a persistent grid study: a second run resumes it with the next cells
        "grid": [sys.executable, str(EXAMPLES / "grid_search.py"), "--storage",
                 "sqlite:" + str(tmp_path / "grid.db")],
        "random": [sys.executable, str(EXAMPLES / "random_search.py"), "--trials", "2"],
        "bayesian": [sys.executable, str(EXAMPLES / "bayesian.py")],
    }
    # in parallel: most of each run is importing torch
    procs = {name: subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, env=env, cwd=tmp_path)
             for name, cmd in commands.items()}
    outputs = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{name} failed:\n{err}"
        outputs[name] = (out, err)

    grid_out = outputs["grid"][0]
    m = re.search(r"lr=([\d.]+), hidden_size=(\d+), epochs=(\d+), accuracy=([\d.]+)", grid_out)
    assert m, grid_out
    assert float(m.group(1)) in (0.001, 0.01, 0.1)
    assert int(m.group(2)) in (32, 64, 128) and int(m.group(3)) in (5, 10)
    assert 0.5 < float(m.group(4)) <= 1.0  # digits: even 5 epochs beat chance (0.1)
    assert "2 of 18 cells run" in grid_out

    random_out = outputs["random"][0]
    m = re.search(r"lr=([\d.e-]+), hidden_size=(\d+), epochs=(\d+), accuracy=([\d.]+)",
                  random_out)
    assert m, random_out
    assert 1e-4 <= float(m.group(1)) <= 1e-1
    assert 32 <= int(m.group(2)) <= 256 and 5 <= int(m.group(3)) <= 25
    assert 0.5 < float(m.group(4)) <= 1.0

    bayes_out = outputs["bayesian"][0]
    m = re.search(r"Best hyperparameters: \{'lr': ([\d.e-]+), 'hidden_size': (\d+), "
                  r"'epochs': (\d+)\}, accuracy ([\d.]+)", bayes_out)
    assert m, bayes_out
    assert 0.5 < float(m.group(4)) <= 1.0
    # each trial was logged as Optuna logs it
    assert outputs["bayesian"][1].count("finished with value") == 2

    # the grid study resumes: two more cells, none repeated
    again = subprocess.run(commands["grid"], capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "4 of 18 cells run" in again.stdout


def test_train_py_applies_a_new_lr_over_its_checkpoint(tmp_path):
    """Population-based training (examples/pytorch_mlp/pbt.yaml) continues a member from a
    checkpoint with another learning rate: the optimizer must train with the lr given,
    not the one saved in its state."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    sys.path.insert(0, str(EXAMPLES))
    try:
        import train
    finally:
        sys.path.remove(str(EXAMPLES))
    torch.set_num_threads(1)
    train.train(0.05, 8, 1, checkpoint_dir=str(tmp_path), optimizer_name="sgd", momentum=0.5)
    saved = torch.load(tmp_path / "checkpoint.pt")
    assert saved["optimizer"]["param_groups"][0]["lr"] == 0.05
    train.train(0.004, 8, 2, checkpoint_dir=str(tmp_path), optimizer_name="sgd", momentum=0.9)
    resumed = torch.load(tmp_path / "checkpoint.pt")
    assert resumed["epoch"] == 2
    assert resumed["optimizer"]["param_groups"][0]["lr"] == 0.004
    assert resumed["optimizer"]["param_groups"][0]["momentum"] == 0.9
