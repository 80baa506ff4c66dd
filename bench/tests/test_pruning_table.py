"""bench/torch_mlp_curves.py's lookup and bench/pruning_table.py's epoch-budget loop, on
tiny hand-made tables: epochs are counted as reported, a pruned trial costs the epochs it
ran, the budget cuts the last trial, a resumed trial goes on from its step."""
import json
import math
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import pruning_table  # noqa: E402
import torch_mlp_curves  # noqa: E402

LRS = torch_mlp_curves.log_axis(1e-4, 3e-1, 3)
HIDDENS = torch_mlp_curves.log_axis(8, 256, 3)


def fake_table(epochs, value):
    """A 3 x 3 table whose cell (i, j) has the curve value(i, j, epoch) for epochs 1..epochs."""
    return {"lr": LRS, "hidden_size": HIDDENS, "epochs": epochs, "validation_size": 100,
            "curves": [[[value(i, j, e) for e in range(1, epochs + 1)] for j in range(3)]
                       for i in range(3)]}


def test_nearest_cell_in_log_space():
    table = fake_table(2, lambda i, j, e: 0.1 * i + 0.01 * j + 0.001 * e)
    assert torch_mlp_curves.nearest_cell(table, LRS[1], HIDDENS[2]) == (1, 2)
    # the lr axis is 1e-4, 5.5e-3, 0.3: 0.004 is nearest the middle in log, 5e-4 the first
    assert torch_mlp_curves.nearest_cell(table, 0.004, 8) == (1, 0)
    assert torch_mlp_curves.nearest_cell(table, 5e-4, 40) == (0, 1)
    assert torch_mlp_curves.curve_at(table, 0.3, 256) == pytest.approx([0.221, 0.222])


def test_load_names_the_file_of_a_ragged_table(tmp_path):
    table = fake_table(3, lambda i, j, e: 0.5)
    table["curves"][2][1] = [0.5, 0.5]  # one epoch short
    path = tmp_path / "curves.json"
    path.write_text(json.dumps(table))
    with pytest.raises(ValueError, match="curves.json"):
        torch_mlp_curves.load(str(path))


def test_load_refuses_the_10_epoch_table_by_name():
    path = os.path.join(pruning_table.HERE, "results", "torch_mlp_table.json")
    with pytest.raises(ValueError, match="torch_mlp_table.json: not a learning-curve table"):
        torch_mlp_curves.load(path)


def study_of(engine, pruner_name, **kwargs):
    if engine == "hpsearch":
        pytest.importorskip("hpsearch")
    module = pruning_table.engine_module(engine, None)
    module.logging.set_verbosity(module.logging.ERROR)
    pruner = getattr(module.pruners, pruner_name)(**kwargs)
    return module, module.create_study(direction="maximize", pruner=pruner,
                                       sampler=module.samplers.RandomSampler(seed=0))


@pytest.mark.parametrize("engine", ["hpsearch", "optuna"])
def test_a_trial_pruned_at_epoch_k_costs_k_epochs(engine):
    # every curve drops below the threshold at epoch 3: each trial is pruned there
    table = fake_table(6, lambda i, j, e: 0.3 if e == 3 else 0.9)
    module, study = study_of(engine, "ThresholdPruner", lower=0.5)
    steps = {}
    result = pruning_table.run_budget(module, study, table, 10, False, steps)
    # three trials of 3 epochs, then the fourth is cut by the budget after 1
    assert result["epochs"] == 10
    assert result["pruned"] == 3
    assert steps == {0: [1, 2, 3], 1: [1, 2, 3], 2: [1, 2, 3], 3: [1]}
    assert result["history"] == [(3, -math.inf), (6, -math.inf), (9, -math.inf)]
    assert result["best"] == -math.inf  # no COMPLETE trial
    # every cell has the same curve, so every trial drew a best cell
    assert result["best_cell_steps"] == [1, 3, 3, 3]


@pytest.mark.parametrize("budget, complete", [(8, 2), (10, 2), (12, 3)])
def test_only_a_trial_that_reaches_its_last_epoch_is_complete(budget, complete):
    table = fake_table(4, lambda i, j, e: 0.1 * i + 0.01 * j + 0.001 * e)
    module, study = study_of("optuna", "NopPruner")
    steps = {}
    result = pruning_table.run_budget(module, study, table, budget, False, steps)
    assert result["epochs"] == budget
    assert [used for used, _ in result["history"]] == [4 * (n + 1) for n in range(complete)]
    finals = [t.value for t in study.trials if t.state.name == "COMPLETE"]
    assert len(finals) == complete and result["best"] == max(finals)
    # each COMPLETE value is the last epoch of its nearest cell's curve
    for t in study.trials:
        if t.state.name == "COMPLETE":
            curve = torch_mlp_curves.curve_at(table, t.params["lr"], t.params["hidden_size"])
            assert t.value == curve[-1]


@pytest.mark.parametrize("pruner_name, kwargs", [
    ("SuccessiveHalvingPruner", {"min_resource": 1, "reduction_factor": 2,
                                 "mode": "promotion", "max_resource": 8}),
    ("ForecastPruner", {"max_step": 8, "mode": "freeze-thaw", "min_points": 4,
                        "first_slice_steps": 1, "slice_steps": 2}),
])
def test_a_resumed_trial_continues_its_curve_from_its_step(pruner_name, kwargs):
    # curves that rise at different rates by cell, so that some paused trials win
    table = fake_table(8, lambda i, j, e: 0.5 + 0.05 * (i + j) * (1 - 0.7 ** e))
    module, study = study_of("hpsearch", pruner_name, **kwargs)
    steps = {}
    result = pruning_table.run_budget(module, study, table, 60, True, steps)
    assert result["resumes"] > 0
    for number, reported in steps.items():  # every step once, none skipped
        assert reported == list(range(1, len(reported) + 1)), (number, reported)
    assert sum(len(s) for s in steps.values()) == result["epochs"] == 60
    for t in study.trials:  # what the study stored is the cell's curve, step by step
        curve = torch_mlp_curves.curve_at(table, t.params["lr"], t.params["hidden_size"])
        assert t.intermediate_values == {s: curve[s - 1] for s in steps[t.number]}


def test_optuna_hyperband_runs_the_same_twice():
    # its brackets come from a hash of the study's name: make_study fixes the name
    table = fake_table(9, lambda i, j, e: 0.5 + 0.04 * (i + 2 * j) * (1 - 0.6 ** e))
    method, engine, spec = next(m for m in pruning_table.METHODS if m[0] == "optuna-hyperband")
    histories = []
    for _ in range(2):
        module, study = pruning_table.make_study(method, engine, spec, 0, None)
        histories.append(pruning_table.run_budget(module, study, table, 300, False)["history"])
    assert histories[0] == histories[1]
