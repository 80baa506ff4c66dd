#!/usr/bin/env python3
"""Optuna's own example and tutorial programs, run under Debian's Optuna and under
hpsearch with only the import lines changed: the drop-in rate of issue 23.

Usage:
    python3 bench/optuna_examples.py EXAMPLES_DIR [--build build] [--timeout 300]
                                     [--max-trials 20] [--jobs 2] [--only SUBSTRING ...]

EXAMPLES_DIR holds a checkout of optuna/optuna-examples with Optuna's tutorial/
directory (optuna/optuna) copied into it as EXAMPLES_DIR/tutorial. Every *.py under it
is a program, except the families in EXCLUDED below (each with the reason it cannot run
offline here). Each program runs twice, in a fresh working directory each time:
  - as it is, under /usr/bin/python3's Optuna;
  - as a copy whose import lines are rewritten (`import optuna` -> `import hpsearch as
    optuna`, `from optuna...` -> `from hpsearch...`, `import optuna.X` -> `import
    hpsearch.X`), with PYTHONPATH=<build>/python, the in-tree extension.
The programs themselves are not edited otherwise. Their trial counts are lowered the
same way for both: a small launcher runs the program with runpy after wrapping
Study.optimize of the library it imports so that n_trials is at most --max-trials
(0: no cap); it also makes a plotly figure's show() render the figure to HTML (there is
no browser here) and matplotlib draws with Agg. (None of the measured programs takes a
trial count of its own from argv or the environment.)

Per program it prints whether it ran under Optuna and under hpsearch, the trials each
finished and pruned (counted from the library's log lines, which is also how it checks
that logging logs), and the last line of the error; then the rate: of the programs that
run under Optuna, how many run under hpsearch.
"""
import argparse
import concurrent.futures
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
OPTUNA_PYTHON = "/usr/bin/python3"

#: Families (a directory, or one program's path) that cannot run offline on this
#: machine, and why. Everything else under EXAMPLES_DIR is measured.
EXCLUDED = {
    "aim": "needs the aim package (not in Debian)",
    "catboost": "needs catboost (not in Debian)",
    "comet": "needs comet_ml and its online service",
    "dashboard": "needs optuna-dashboard / streamlit (not in Debian), serves a web UI",
    "dask_ml": "needs dask-ml (not in Debian)",
    "fastai": "needs fastai (not in Debian) and downloads its dataset",
    "haiku": "needs jax/haiku (not in Debian) and downloads MNIST",
    "hydra": "needs hydra (not in Debian)",
    "keras": "needs keras/tensorflow (not in Debian) and downloads MNIST",
    "kubernetes": "runs inside a Kubernetes cluster against its PostgreSQL service",
    "lightgbm": "needs lightgbm (not in Debian for this Python)",
    "multi_objective/botorch_simple.py": "needs botorch (not in Debian)",
    "multi_objective/pytorch_simple.py": "needs fvcore/torchvision and downloads FashionMNIST",
    "openml": "downloads its dataset from OpenML",
    "pytorch": "needs torchvision / lightning / ignite / catalyst and downloads MNIST",
    "rapids": "needs RAPIDS (cuML, a GPU)",
    "ray": "needs ray (not in Debian)",
    "rl": "needs stable-baselines3 / gym (not in Debian)",
    "spark": "needs pyspark (not in Debian)",
    "tensorboard": "needs tensorflow (not in Debian) and downloads FashionMNIST",
    "tensorflow": "needs tensorflow (not in Debian) and downloads MNIST",
    "tfkeras": "needs tensorflow (not in Debian) and downloads MNIST",
    "transformers": "needs transformers/datasets and downloads a model and a dataset",
    "visualization/plot_study.py": "downloads Fashion-MNIST from OpenML",
    "tutorial/10_key_features/005_visualization.py": "needs torchvision, downloads FashionMNIST",
    "tutorial/20_recipes/002_multi_objective.py": "needs fvcore/torchvision, downloads FashionMNIST",
    "tutorial/20_recipes/008_specify_params.py": "needs lightgbm (not in Debian for this Python)",
}

#: Runs a program with Study.optimize capped; argv: library, cap, program, args...
LAUNCHER = r'''
import functools, importlib, runpy, sys
library, cap, program = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if cap > 0:
    study_class = importlib.import_module(library).Study
    optimize = study_class.optimize

    @functools.wraps(optimize)
    def capped(self, func, n_trials=None, *args, **kwargs):
        n_trials = cap if n_trials is None and kwargs.get("timeout") is None else n_trials
        return optimize(self, func, None if n_trials is None else min(n_trials, cap),
                        *args, **kwargs)

    study_class.optimize = capped
try:  # fig.show() renders the figure to HTML instead of opening a browser
    import plotly.basedatatypes
    plotly.basedatatypes.BaseFigure.show = lambda figure, *args, **kwargs: figure.to_html()
except ImportError:
    pass
sys.argv = [program] + sys.argv[4:]
sys.path.insert(0, str(__import__("pathlib").Path(program).parent))
runpy.run_path(program, run_name="__main__")
'''

_IMPORT_RULES = [
    (re.compile(r"^(\s*)import optuna\s*$", re.M), r"\1import hpsearch as optuna"),
    (re.compile(r"^(\s*)import optuna\.(\S+) as ", re.M), r"\1import hpsearch.\2 as "),
    (re.compile(r"^(\s*)import optuna\.(\S+)\s*$", re.M),
     r"\1import hpsearch as optuna; import hpsearch.\2"),
    (re.compile(r"^(\s*)from optuna(\.| )", re.M), r"\1from hpsearch\2"),
]


def rewrite_imports(source):
    """The program with its Optuna imports pointed at hpsearch, nothing else changed."""
    for pattern, replacement in _IMPORT_RULES:
        source = pattern.sub(replacement, source)
    return source


def excluded_reason(relative):
    """Why this program is not measured, or None."""
    for family, reason in EXCLUDED.items():
        if relative == family or relative.startswith(family + "/"):
            return reason
    return None


def find_programs(examples_dir):
    programs = []
    for path in sorted(examples_dir.rglob("*.py")):
        relative = path.relative_to(examples_dir).as_posix()
        if excluded_reason(relative) is None and "requirements" not in relative:
            programs.append(relative)
    return programs


_TRIAL_LINE = re.compile(r"Trial \d+ (finished|pruned)")
_LAST_ERROR = re.compile(r"^\w*(Error|Exception|Interrupt|Exit)\b.*$", re.M)


def _error_line(stderr, match):
    """The exception line. When its message starts on the next line (scikit-learn's
    "ValueError: \\nAll the 5 fits failed. ..."), that next non-empty line and the last
    one (there, the estimator's own error) are added."""
    line = match.group(0)
    if line.rstrip().endswith(":"):
        following = [rest.strip() for rest in stderr[match.end():].splitlines()
                     if rest.strip()]
        if following:
            line = line.rstrip() + " " + following[0]
        if len(following) > 1:
            line += " ... " + following[-1]
    return line


def summarize(returncode, stdout, stderr, timed_out):
    text = stdout + "\n" + stderr
    counts = {"finished": 0, "pruned": 0}
    for match in _TRIAL_LINE.finditer(text):
        counts[match.group(1)] += 1
    if timed_out:
        error = "timed out"
    elif returncode != 0:
        errors = list(_LAST_ERROR.finditer(stderr))
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        error = (_error_line(stderr, errors[-1]) if errors
                 else (lines[-1] if lines else f"exit {returncode}"))
    else:
        error = ""
    return {"ok": returncode == 0 and not timed_out, "error": error[:300], **counts}


def run_one(examples_dir, relative, library, args):
    """Run one program under `library` ("optuna" or "hpsearch") in a fresh directory."""
    source_path = examples_dir / relative
    with tempfile.TemporaryDirectory(prefix="optex-") as work:
        work = pathlib.Path(work)
        # the program's neighbours (helper modules, data files) come along
        shutil.copytree(source_path.parent, work / "program", dirs_exist_ok=True)
        program = work / "program" / source_path.name
        env = dict(os.environ, MPLBACKEND="Agg",
                   OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   PYTHONDONTWRITEBYTECODE="1")
        env.pop("PYTHONPATH", None)
        if library == "hpsearch":
            program.write_text(rewrite_imports(source_path.read_text()))
            env["PYTHONPATH"] = str((args.build / "python").resolve())
        launcher = work / "launcher.py"
        launcher.write_text(LAUNCHER)
        command = ["nice", OPTUNA_PYTHON, str(launcher), library,
                   str(args.max_trials), str(program)]
        try:
            proc = subprocess.run(command, cwd=work, env=env, capture_output=True,
                                  text=True, timeout=args.timeout)
            return summarize(proc.returncode, proc.stdout, proc.stderr, False)
        except subprocess.TimeoutExpired as timeout:
            out = timeout.stdout or b""
            err = timeout.stderr or b""
            return summarize(-1, out.decode(errors="replace") if isinstance(out, bytes)
                             else out, err.decode(errors="replace")
                             if isinstance(err, bytes) else err, True)


def describe(result):
    if result["ok"]:
        return f"ran ({result['finished']} finished, {result['pruned']} pruned)"
    return "FAILED"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("examples", type=pathlib.Path)
    parser.add_argument("--build", type=pathlib.Path, default=ROOT / "build")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--max-trials", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=[])
    args = parser.parse_args()
    if not (args.build / "python" / "hpsearch").is_dir():
        sys.exit(f"{args.build / 'python'}: no built hpsearch module (build the tree first)")
    programs = [p for p in find_programs(args.examples)
                if not args.only or any(s in p for s in args.only)]
    print(f"{len(programs)} programs; excluded families: {len(EXCLUDED)}", flush=True)

    runs_under_optuna = runs_under_both = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {(p, lib): pool.submit(run_one, args.examples, p, lib, args)
                   for p in programs for lib in ("optuna", "hpsearch")}
        for program in programs:
            under_optuna = futures[(program, "optuna")].result()
            under_hpsearch = futures[(program, "hpsearch")].result()
            print(f"{program}\n    optuna:   {describe(under_optuna)}"
                  + (f": {under_optuna['error']}" if not under_optuna["ok"] else "")
                  + f"\n    hpsearch: {describe(under_hpsearch)}"
                  + (f": {under_hpsearch['error']}" if not under_hpsearch["ok"] else ""),
                  flush=True)
            if under_optuna["ok"]:
                runs_under_optuna += 1
                runs_under_both += under_hpsearch["ok"]
    rate = 100.0 * runs_under_both / runs_under_optuna if runs_under_optuna else 0.0
    print(f"\nrate: {runs_under_both} of {runs_under_optuna} programs that run under "
          f"Optuna run under hpsearch ({rate:.0f}%)")


if __name__ == "__main__":
    main()
