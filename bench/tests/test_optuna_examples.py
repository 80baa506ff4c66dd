"""bench/optuna_examples.py: which programs it measures, and that the copy run under
hpsearch differs from Optuna's program in its import lines only."""
import os
import pathlib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import optuna_examples as ox  # noqa: E402

PROGRAM = '''"""Uses optuna.create_study; import optuna is how."""
import optuna
import optuna.integration.lightgbm as lgb
import optuna_dashboard
from optuna.trial import TrialState
from optuna import distributions


def upload():
    from optuna.artifacts import upload_artifact
    return optuna.create_study(), upload_artifact, TrialState, distributions, lgb
'''


def test_only_the_import_lines_change():
    rewritten = ox.rewrite_imports(PROGRAM)
    assert rewritten.splitlines() == [
        '"""Uses optuna.create_study; import optuna is how."""',
        "import hpsearch as optuna",
        "import hpsearch.integration.lightgbm as lgb",
        "import optuna_dashboard",  # another package, left alone
        "from hpsearch.trial import TrialState",
        "from hpsearch import distributions",
        "", "",
        "def upload():",
        "    from hpsearch.artifacts import upload_artifact",
        "    return optuna.create_study(), upload_artifact, TrialState, distributions, lgb",
    ]


def test_every_program_is_measured_unless_its_family_is_excluded(tmp_path):
    for relative in ["basic/pruning.py", "lightgbm/lightgbm_simple.py",
                     "visualization/plot_study.py", "visualization/plot_pareto_front.py",
                     "tutorial/10_key_features/001_first.py"]:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("import optuna\n")
    assert ox.find_programs(pathlib.Path(tmp_path)) == [
        "basic/pruning.py", "tutorial/10_key_features/001_first.py",
        "visualization/plot_pareto_front.py"]
    assert ox.excluded_reason("lightgbm/lightgbm_simple.py") == ox.EXCLUDED["lightgbm"]
    assert ox.excluded_reason("lightgbmx/a.py") is None  # a family is a whole folder name


def test_an_error_is_summarized_by_its_last_exception_line():
    stderr = ("Traceback (most recent call last):\n  File \"x.py\", line 1\n"
              "ModuleNotFoundError: No module named 'lightgbm'\n")
    result = ox.summarize(1, "[I] Trial 0 finished with value: 1.0\n"
                          "[I] Trial 1 pruned. \n", stderr, False)
    assert result == {"ok": False, "error": "ModuleNotFoundError: No module named 'lightgbm'",
                      "finished": 1, "pruned": 1}
    assert ox.summarize(0, "", "", True)["error"] == "timed out"
