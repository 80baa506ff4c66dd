"""hpsearch's stand-in for wandb (src/runner/wandb_standin.py), as trials import it: a
copy as <dir>/wandb/__init__.py with <dir> first on PYTHONPATH, the trial's parameters
in HPSEARCH_PARAMS. Each case runs a real script in a fresh interpreter and checks
what it printed (the metric lines hpsearch reads) and what wandb.config held.
tests/cli/test_wandb_standin.sh runs such scripts through `hpsearch run`."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
STANDIN = ROOT / "src" / "runner" / "wandb_standin.py"
PARAMS = {"lr": 1e-05, "epochs": 5, "act": "relu", "use_bn": True}


def install(directory):
    (directory / "wandb").mkdir(parents=True)
    shutil.copy(STANDIN, directory / "wandb" / "__init__.py")
    return directory


@pytest.fixture
def standin(tmp_path):
    return install(tmp_path / "standin")


def run_script(tmp_path, path, code, params=PARAMS, env=None, check=True):
    """Runs `code` as a script with `path` (directories) as PYTHONPATH, as hpsearch runs
    trial 7; returns the CompletedProcess."""
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(code))
    child_env = {k: v for k, v in os.environ.items()
                 if not k.startswith(("WANDB_", "HPSEARCH_", "PYTHON"))}
    child_env["PYTHONPATH"] = os.pathsep.join(str(p) for p in path)
    child_env["PYTHONDONTWRITEBYTECODE"] = "1"
    if params is not None:
        child_env["HPSEARCH_PARAMS"] = json.dumps(params)
        child_env["HPSEARCH_PARAMS_FILE"] = str(tmp_path / "trial-00007.params.json")
        child_env["HPSEARCH_TRIAL_NUMBER"] = "7"
    child_env.update(env or {})
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=child_env,
                            capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def metric_lines(stdout):
    return [line for line in stdout.splitlines() if line.startswith("[wandb]")]


# ---- config ------------------------------------------------------------------------------

def test_config_holds_the_trial_parameters_over_the_script_defaults(tmp_path, standin):
    result = run_script(tmp_path, [standin], """
        import json, wandb
        run = wandb.init(project="p", config={"lr": 0.5, "epochs": 3, "batch": 32})
        c = wandb.config
        print(json.dumps({
            "dict": dict(c), "attr": c.lr, "item": c["epochs"], "run": run.config.act,
            "same": run.config is c, "in": "use_bn" in c, "get": c.get("nope", 9),
            "getattr": getattr(c, "nope", "absent"), "keys": sorted(c.keys()),
        }))
    """)
    seen = json.loads(result.stdout.splitlines()[-1])
    assert seen["dict"] == {"lr": 1e-05, "epochs": 5, "batch": 32, "act": "relu",
                            "use_bn": True}
    assert (seen["attr"], seen["item"], seen["run"]) == (1e-05, 5, "relu")
    assert seen["same"] and seen["in"]
    assert (seen["get"], seen["getattr"]) == (9, "absent")
    assert seen["keys"] == ["act", "batch", "epochs", "lr", "use_bn"]
    assert "wandb.config holds the trial's parameters" in result.stderr


def test_updating_a_trial_parameter_is_ignored_with_wandbs_warning(tmp_path, standin):
    result = run_script(tmp_path, [standin], """
        import argparse, wandb
        wandb.init()
        wandb.config.update({"lr": 0.9, "extra": 1})
        wandb.config.epochs = 50
        wandb.config["act"] = "tanh"
        wandb.config.update(argparse.Namespace(batch=64, lr=0.3))
        print(wandb.config.lr, wandb.config.epochs, wandb.config.act, wandb.config.extra,
              wandb.config.batch)
    """)
    assert result.stdout.split() == ["1e-05", "5", "relu", "1", "64"]
    for key in ("lr", "epochs", "act"):
        assert f"Config item '{key}' was locked by 'sweep' (ignored update)." in result.stderr


def test_changing_a_value_needs_allow_val_change_as_in_wandb(tmp_path, standin):
    result = run_script(tmp_path, [standin], """
        import wandb
        from wandb.errors import ConfigError
        wandb.init(config={"width": 8})
        try:
            wandb.config.update({"width": 16})
        except ConfigError as exc:
            print("refused:", str(exc).splitlines()[0])
        wandb.config.update({"width": 16}, allow_val_change=True)
        wandb.config.update({"--depth": 3})
        print(wandb.config.width, wandb.config.depth)
    """)
    assert 'refused: Attempted to change value of key "width" from 8 to 16' in result.stdout
    assert result.stdout.splitlines()[-1] == "16 3"


def test_config_defaults_file_is_read_like_wandb(tmp_path, standin):
    (tmp_path / "config-defaults.yaml").write_text(
        "wandb_version: 1\nepochs:\n  value: 2\nwidth:\n  desc: units\n  value: 8\n")
    result = run_script(tmp_path, [standin], """
        import wandb
        wandb.init(config={"width": 16})
        print(wandb.config.epochs, wandb.config.width)
    """)
    assert result.stdout.split() == ["5", "16"]  # the trial's epochs, init's width


# ---- metric lines ------------------------------------------------------------------------

def test_logs_become_lines_with_wandbs_steps(tmp_path, standin):
    result = run_script(tmp_path, [standin], """
        import wandb
        run = wandb.init()
        wandb.log({"loss": 0.5, "val_acc": 0.25})          # step 0
        run.log({"loss": 0.25})                            # step 1
        wandb.log({"lr": 0.1}, commit=False)               # still step 2
        wandb.log({"loss": 0.125})                         # step 2, then 3
        wandb.log({"val_acc": 0.5}, step=10)               # jumps to 10
        wandb.log({"val_acc": 0.75}, step=10)              # same row
        wandb.log({"val_acc": 0.875}, step=4)              # below 10: dropped
        wandb.log({"step": 99, "epoch": 3, "val_acc": 1})  # W&B's step 10 wins
        print("step now", run.step)
    """)
    assert metric_lines(result.stdout) == [
        "[wandb] loss=0.5 val_acc=0.25 step=0",
        "[wandb] loss=0.25 step=1",
        "[wandb] lr=0.1 step=2",
        "[wandb] loss=0.125 step=2",
        "[wandb] val_acc=0.5 step=10",
        "[wandb] val_acc=0.75 step=10",
        "[wandb] step=99 epoch=3 val_acc=1 step=10",
    ]
    assert "step now 11" in result.stdout
    assert ("Tried to log to step 4 that is less than the current step 10. Steps must be "
            "monotonically increasing, so this data will be ignored.") in result.stderr


def test_only_numbers_are_printed_and_nested_names_are_dotted(tmp_path, standin):
    result = run_script(tmp_path, [standin], """
        import numpy as np, wandb
        wandb.init()
        wandb.log({
            "f32": np.float32(0.5), "i64": np.int64(7), "zero_d": np.array(2.5),
            "one": np.array([3.0]), "nan": float("nan"), "inf": float("inf"),
            "neg": -1e-07, "big": 1e16, "val": {"acc": 0.9, "top5": {"acc": 1.0}},
            "flag": True, "np_flag": np.bool_(False), "text": "fast", "list": [1, 2],
            "vector": np.arange(3), "image": wandb.Image(np.zeros((2, 2))),
            "table": wandb.Table(columns=["a"]), "hist": wandb.Histogram([1, 2]),
        })
    """)
    assert metric_lines(result.stdout) == [
        "[wandb] f32=0.5 i64=7 zero_d=2.5 one=3.0 nan=nan inf=inf neg=-1e-07 big=1e+16 "
        "val.acc=0.9 val.top5.acc=1.0 step=0"
    ]


def test_names_hpsearch_cannot_read_are_left_out_with_one_warning(tmp_path, standin):
    result = run_script(tmp_path, [standin], """
        import wandb
        wandb.init()
        for i in range(2):
            wandb.log({"val acc": 0.5, "acc=0.5": 1, "2nd": 2, "ok": i})
    """)
    assert metric_lines(result.stdout) == ["[wandb] ok=0 step=0", "[wandb] ok=1 step=1"]
    warnings = [l for l in result.stderr.splitlines() if "is not reported to hpsearch" in l]
    assert len(warnings) == 3
    assert "'val acc'" in warnings[0]
    # the warning names the key without a pair the metric reader would take
    assert "acc=0.5" not in result.stderr and "'acc\\x3d0.5'" in warnings[1]


def test_long_logs_are_split_into_lines_with_the_step(tmp_path, standin):
    result = run_script(tmp_path, [standin], """
        import wandb
        wandb.init()
        wandb.log({"metric_%04d" % i: i for i in range(600)})
    """)
    lines = metric_lines(result.stdout)
    assert len(lines) > 1 and all(len(l) < 4100 and l.endswith(" step=0") for l in lines)
    names = [m for l in lines for m in re.findall(r"(metric_\d+)=", l)]
    assert names == ["metric_%04d" % i for i in range(600)]


def test_summary_writes_are_the_last_line_at_the_metrics_last_step(tmp_path, standin):
    result = run_script(tmp_path, [standin], """
        import wandb
        run = wandb.init()
        for epoch in range(3):
            wandb.log({"val_acc": 0.5 + epoch / 10, "loss": 1.0 / (epoch + 1)})
        wandb.log({"other": 1})                       # step 3
        run.summary["val_acc"] = 0.95
        wandb.run.summary.update({"test_acc": 0.8, "note": "text"})
        wandb.summary.best = {"acc": 0.97}
        print("summary loss", run.summary["loss"], run.summary.val_acc)
    """)
    assert metric_lines(result.stdout)[-3:] == [
        "[wandb] summary val_acc=0.95 step=2",
        "[wandb] summary test_acc=0.8 step=3",
        "[wandb] summary best.acc=0.97 step=3",
    ]
    assert "summary loss 0.3333333333333333 0.95" in result.stdout


def test_a_run_that_never_finishes_still_reports(tmp_path, standin):
    result = run_script(tmp_path, [standin], """
        import wandb
        run = wandb.init()
        wandb.log({"val_acc": 0.5})
        run.summary["val_acc"] = 0.6
    """)
    assert metric_lines(result.stdout) == ["[wandb] val_acc=0.5 step=0",
                                           "[wandb] summary val_acc=0.6 step=0"]


# ---- errors as W&B raises them -----------------------------------------------------------

@pytest.mark.parametrize("call, error", [
    ("wandb.init(); wandb.log([1, 2])", "ValueError: wandb.log must be passed a dictionary"),
    ("wandb.init(); wandb.log({1: 2})",
     "ValueError: Key values passed to `wandb.log` must be strings."),
    ("wandb.log({'a': 1})", "You must call wandb.init() before wandb.log()"),
    ("print(wandb.config.lr)", "You must call wandb.init() before wandb.config.lr"),
    ("wandb.init(); wandb.log({'a': 1}, step='x')", "step must be an integer"),
    ("wandb.init(); wandb.finish(); wandb.log({'a': 1})",
     "You must call wandb.init() before wandb.log()"),
    ("wandb.sweep({})", "wandb.sweep() needs a W&B server"),
    ("wandb.Api()", "wandb.Api() needs a W&B server"),
    ("wandb.no_such_thing", "module 'wandb' has no attribute 'no_such_thing'"),
])
def test_misuse_fails_with_wandbs_message(tmp_path, standin, call, error):
    result = run_script(tmp_path, [standin], "import wandb\n" + call + "\n", check=False)
    assert result.returncode == 1
    assert error in result.stderr.strip().splitlines()[-1]


# ---- what does not matter to a search ----------------------------------------------------

def test_the_rest_of_the_api_is_accepted_and_does_nothing(tmp_path, standin):
    result = run_script(tmp_path, [standin], """
        import os, wandb
        from wandb.errors import CommError, UsageError
        assert wandb.login(key="x") is True
        wandb.setup(settings=wandb.Settings(start_method="thread"))
        with wandb.init(project="p", entity="e", name="n", tags=["a"], group="g",
                        job_type="train", mode="online", reinit=False,
                        settings=wandb.Settings(silent=True)) as run:
            wandb.watch(object(), log="all", log_freq=10)
            wandb.unwatch()
            wandb.define_metric("val_acc", summary="max", goal="maximize")
            run.define_metric("loss", step_metric="epoch").anything()
            wandb.save("*.pt"); run.save("model.pt", policy="end"); wandb.restore("x")
            art = wandb.Artifact("model", type="model")
            art.add_file(__file__); art.add_dir("."); art.new_file("x")
            run.log_artifact(art); wandb.use_artifact("model:latest"); run.log_code(".")
            wandb.alert(title="t", text="x", level=wandb.AlertLevel.WARN)
            run.mark_preempting()
            wandb.log({"table": wandb.Table(data=[[1]], columns=["a"]),
                       "plot": wandb.plot.line(None, "x", "y", title="t"),
                       "val_acc": 0.5})
            assert os.path.isdir(run.dir) and run.dir.endswith("trial-00007.wandb-files")
            assert run.id == "trial-7" and run.name == "n" and wandb.run is run
            assert wandb.init() is run  # a second init returns the active run
        assert wandb.run is None
        wandb.teardown()
        print("done")
    """)
    assert metric_lines(result.stdout) == ["[wandb] val_acc=0.5 step=0"]
    assert result.stdout.splitlines()[-1] == "done"


def test_reinit_starts_a_new_run(tmp_path, standin):
    result = run_script(tmp_path, [standin], """
        import wandb
        first = wandb.init()
        wandb.log({"a": 1})
        second = wandb.init(reinit=True)
        wandb.log({"a": 2})
        print(first is not second, second.step)
    """)
    assert metric_lines(result.stdout) == ["[wandb] a=1 step=0", "[wandb] a=2 step=0"]
    assert result.stdout.splitlines()[-1] == "True 1"


def test_outside_hpsearch_the_config_is_the_scripts_own(tmp_path, standin):
    result = run_script(tmp_path, [standin], """
        import wandb
        wandb.init(config={"lr": 0.5})
        print(dict(wandb.config))
    """, params=None)
    assert result.stdout.splitlines()[-1] == "{'lr': 0.5}"
    assert "HPSEARCH_PARAMS is not set" in result.stderr


# ---- a real wandb ------------------------------------------------------------------------

# What the real wandb does that matters here, through its public API: it reads the
# sweep parameters from WANDB_SWEEP_PARAM_PATH at init, and init binds wandb.log to
# the run's log. (The real package is not installable on this machine; this stands
# for it, so the test covers hpsearch's side of the contract only.)
FAKE_REAL_WANDB = '''
import os
import yaml

print("real wandb, mode", os.environ.get("WANDB_MODE"), flush=True)
run = None


class Run:
    def __init__(self, config):
        self.config = dict(config or {})
        path = os.environ.get("WANDB_SWEEP_PARAM_PATH")
        if path:
            with open(path) as f:
                loaded = yaml.safe_load(f)
            assert loaded.pop("wandb_version") == 1
            self.config.update({k: v["value"] for k, v in loaded.items()})
        self.summary = {}

    def log(self, data, step=None, commit=None, sync=None):
        self.summary.update(data)

    def finish(self, exit_code=None, quiet=None):
        print("real finish", flush=True)


def init(config=None, **kwargs):
    global run, log
    run = Run(config)
    log = run.log
    return run


def finish():
    if run is not None:
        run.finish()
'''


def test_a_real_wandb_further_on_the_path_is_used_with_the_sweep_contract(tmp_path, standin):
    site = tmp_path / "site"
    (site / "wandb").mkdir(parents=True)
    (site / "wandb" / "__init__.py").write_text(FAKE_REAL_WANDB)
    (tmp_path / "wandb").mkdir()  # W&B's own run folder in the working directory
    code = """
        import wandb
        print("module", wandb.__file__)
        run = wandb.init(config={"lr": 0.5, "width": 8})
        print("config", sorted(run.config.items()))
        wandb.log({"val_acc": 0.5, "text": "x"})
        run.log({"val_acc": 0.7}, step=3)
        run.summary["val_acc"] = 0.9
        {finish}
    """
    result = run_script(tmp_path, [standin, site], code.replace("{finish}", ""))
    out = result.stdout.splitlines()
    assert out[0] == "real wandb, mode offline"
    assert out[1] == "module " + str(site / "wandb" / "__init__.py")
    assert out[2] == ("config [('act', 'relu'), ('epochs', 5), ('lr', 1e-05), "
                      "('use_bn', True), ('width', 8)]")
    assert metric_lines(result.stdout) == ["[wandb] val_acc=0.5 step=0",
                                           "[wandb] val_acc=0.7 step=3",
                                           "[wandb] summary val_acc=0.9 step=3"]
    sweep_file = tmp_path / "trial-00007.wandb-sweep.yaml"
    assert sweep_file.read_text().startswith("wandb_version: 1\n")

    # finish prints the summary before wandb finishes; the user's WANDB_MODE stays
    result = run_script(tmp_path, [standin, site], code.replace("{finish}", "wandb.finish()"),
                        env={"WANDB_MODE": "online"})
    out = result.stdout.splitlines()
    assert out[0] == "real wandb, mode online"
    assert out[-2:] == ["[wandb] summary val_acc=0.9 step=3", "real finish"]


def test_a_broken_real_wandb_fails_as_it_would_without_hpsearch(tmp_path, standin):
    site = tmp_path / "site"
    (site / "wandb").mkdir(parents=True)
    (site / "wandb" / "__init__.py").write_text("import no_such_dependency\n")
    result = run_script(tmp_path, [standin, site], "import wandb\n", check=False)
    assert result.returncode == 1
    assert "No module named 'no_such_dependency'" in result.stderr


def test_a_second_standin_on_the_path_is_not_taken_for_the_real_wandb(tmp_path, standin):
    other = install(tmp_path / "outer-run")
    result = run_script(tmp_path, [standin, other], """
        import wandb
        wandb.init()
        wandb.log({"a": 1})
        print("module", wandb.__file__)
    """)
    assert metric_lines(result.stdout) == ["[wandb] a=1 step=0"]
    assert result.stdout.splitlines()[-1] == "module " + str(standin / "wandb" / "__init__.py")
