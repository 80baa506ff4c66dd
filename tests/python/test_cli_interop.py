"""A study written from Python is the study the hpsearch command sees, and the other
way round: `hpsearch trials` / `best` list it, `hpsearch run` continues it."""
import json
import subprocess
import sys
import textwrap

import pytest

import hpsearch
from hpsearch.trial import TrialState


def cli(binary, *args, cwd=None):
    result = subprocess.run([binary, *args], capture_output=True, text=True, timeout=120,
                            cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("url_form", ["sqlite:{path}", "sqlite:///{path}"])
def test_cli_lists_a_python_study(tmp_path, hpsearch_bin, url_form):
    path = str(tmp_path / "shared.db")  # absolute: sqlite:///{abs} is sqlite:////...
    url = url_form.format(path=path)
    study = hpsearch.create_study(study_name="py-study", storage=url, direction="maximize")

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        hidden = trial.suggest_int("hidden_size", 32, 256)
        act = trial.suggest_categorical("act", ["relu", "tanh"])
        trial.report(0.5, 0)
        return hidden / 256 + (act == "relu") - lr

    study.optimize(objective, n_trials=4)
    running = study.ask()
    running.suggest_float("lr", 1e-4, 1e-1, log=True)

    listed = json.loads(cli(hpsearch_bin, "trials", "py-study", "--storage", url,
                            "--format", "json"))
    assert [t["number"] for t in listed] == [0, 1, 2, 3, 4]
    assert [t["state"] for t in listed] == ["COMPLETE"] * 4 + ["RUNNING"]
    for ours, theirs in zip(study.trials, listed):
        assert theirs["params"] == ours.params
        if ours.state == TrialState.COMPLETE:
            assert theirs["values"] == ours.values
    assert listed[4]["params"] == {"lr": running.params["lr"]}  # flushed at suggest

    best = cli(hpsearch_bin, "best", "py-study", "--storage", url)
    assert f"trial {study.best_trial.number}" in best
    studies = cli(hpsearch_bin, "studies", "--storage", "sqlite:" + path)
    assert "py-study" in studies and "maximize" in studies


def test_cli_run_continues_a_python_study(tmp_path, hpsearch_bin):
    url = "sqlite:" + str(tmp_path / "cont.db")
    study = hpsearch.create_study(study_name="cont", storage=url, direction="minimize")
    study.optimize(lambda t: (t.suggest_float("x", 0.0, 1.0) - 0.3) ** 2, n_trials=2)

    (tmp_path / "objective.py").write_text(textwrap.dedent("""
        import sys
        x = float(sys.argv[1])
        print(f"loss={(x - 0.3) ** 2}")
    """))
    (tmp_path / "cont.yaml").write_text(textwrap.dedent(f"""
        study: cont
        storage: {url}
        direction: minimize
        metric: loss
        sampler: random
        n_trials: 5
        parallel: 1
        interpreter: {sys.executable}
        command: ${{interpreter}} objective.py {{x}}
        parameters:
          x: {{type: float, low: 0.0, high: 1.0}}
    """))
    cli(hpsearch_bin, "run", str(tmp_path / "cont.yaml"), "--quiet", "--no-progress",
        cwd=tmp_path)
    again = hpsearch.load_study(study_name="cont", storage=url)
    trials = again.trials
    assert len(trials) == 5
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert all(abs(t.value - (t.params["x"] - 0.3) ** 2) < 1e-9 for t in trials)
    # and Python continues what the command wrote
    again.optimize(lambda t: (t.suggest_float("x", 0.0, 1.0) - 0.3) ** 2, n_trials=1)
    assert len(hpsearch.load_study(study_name="cont", storage=url).trials) == 6
