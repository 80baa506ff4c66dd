"""Optimizer adapters: hpsearch's and Optuna's samplers behind one ask/tell interface.

    spec = get("optuna-tpe")
    run = spec.start(problem, seed=0, budget=100, q=1)
    for token, config in run.ask_batch(4): ...      # q configurations before any result
    run.tell_batch([(token, value), ...])

Every optimizer is an entry in a registry (`register`); a new hpsearch sampler is one
line (see the `_hps_model(...)` calls at the bottom). Both engines speak the
Optuna-style API (create_study / ask / suggest_* / tell), so one Study adapter drives
either; only the sampler construction differs.

Shared start: `start(..., start_configs=[config, ...])` enqueues the configurations
(Study.enqueue_trial in both engines) so that the first asks return them, in order; the
runner draws them once per (problem, seed) for every optimizer (run.py --shared-start).

Parallel mode (q > 1): q asks before any tell, as q concurrent workers would. Optuna's
TPE then runs with constant_liar=True (its documented setting for concurrent workers).
Samplers whose suggestions ignore results (random, grid, Sobol) give the same run for
every q, so the runner skips them in parallel mode (`adaptive=False`).

Grid samplers need a finite space: every parameter is discretized with
problems.space.grid_space (the same k levels per numeric parameter, cell midpoints of
the -- log where declared -- range, all categorical choices), k the largest that fits
the budget. The grid therefore depends on the budget, so grid runs are made once per
budget (`budget_specific=True`) instead of being read off the longest run.
"""
import importlib
import inspect
import math
import os
import sys
import warnings

from problems import space as spaces

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_HPSEARCH_PATH = os.path.join(HERE, "..", "build", "python")
# The newest Optuna (its GPSampler; Debian's 3.1 has none) is a source tree named by this
# variable: bench/gp.md, "The newest Optuna's GPSampler", says how to make one.
NEWEST_OPTUNA_ENV = "HPS_BENCH_NEWEST_OPTUNA"


class Spec:
    """One optimizer: a name, its engine and how to build its sampler."""

    def __init__(self, name, engine, make_sampler, description, adaptive=True,
                 budget_specific=False, available=None, counterpart=None, experiment=False):
        self.name = name
        self.engine = engine  # "optuna", "optuna-newest" or "hpsearch"
        self.make_sampler = make_sampler  # (problem, seed, budget, q) -> sampler
        self.description = description
        self.adaptive = adaptive
        self.budget_specific = budget_specific
        self._available = available
        # The Optuna optimizer this one is compared with for cost ratios.
        self.counterpart = counterpart
        # A variant kept for a recorded experiment: run only when named (--optimizers),
        # never by a preset that runs every optimizer.
        self.experiment = experiment

    def available(self):
        """(True, "") or (False, why)."""
        try:
            module = engine_module(self.engine)
        except ImportError as e:
            return False, f"{self.engine} not importable: {e}"
        if self._available is not None:
            return self._available(module)
        return True, ""

    def start(self, problem, seed, budget, q=1, start_configs=()):
        """A Study whose first asks return `start_configs` (the shared start), in order."""
        module = engine_module(self.engine)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Optuna's "experimental feature" notices
            # the sampler chooses what the shared start leaves of the budget (a grid is
            # sized for that)
            sampler = self.make_sampler(module, problem, seed, budget - len(start_configs), q)
        return Study(self, module, problem, sampler, budget, start_configs)


class Exhausted(Exception):
    """The optimizer has nothing left to suggest (a finished grid)."""


class Study:
    """One optimizer run on one problem, through the Optuna-style study API."""

    def __init__(self, spec, module, problem, sampler, budget, start_configs=()):
        self.spec = spec
        self.problem = problem
        self.budget = budget
        self.limit = getattr(sampler, "_bench_grid_size", None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.study = module.create_study(direction=problem.direction, sampler=sampler)
            # Both engines' enqueue_trial: the next asks return these trials, their
            # suggest calls these values, and the sampler learns from them once told as
            # from its own (a model-based sampler counts them in its startup trials).
            for config in start_configs:
                self.study.enqueue_trial(config)
        if self.limit is not None:
            self.limit += len(start_configs)  # the grid's cells come after them
        self.asked = 0

    def ask(self):
        """(trial, config); raises Exhausted when a grid has no cell left."""
        if self.limit is not None and self.asked >= self.limit:
            raise Exhausted()
        with warnings.catch_warnings():
            # Optuna warns on every fallback to independent sampling (CMA-ES and QMC
            # with categoricals, TPE multivariate is experimental): not news here.
            warnings.simplefilter("ignore")
            try:
                trial = self.study.ask()
            except Exception as e:  # noqa: BLE001 - engines signal "done" differently
                if _is_done(e):
                    raise Exhausted() from e
                raise
            config = spaces.suggest_all(self.problem.space, trial)
        self.asked += 1
        return trial, config

    def tell(self, trial, value):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if value is None or not math.isfinite(value):
                self._tell_failed(trial)
            else:
                self.study.tell(trial, float(value))

    def _tell_failed(self, trial):
        # A failed evaluation (an ML fit that diverged) is a FAIL trial, as a user's
        # crashed training run would be, not an invented number.
        if self.spec.engine in ("optuna", "optuna-newest"):
            import optuna  # the engine's: one Optuna per process
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
            return
        module = engine_module("hpsearch")
        states = getattr(module, "TrialState", None) or getattr(
            getattr(module, "trial", None), "TrialState", None)
        state = getattr(states, "FAIL", None)
        if state is not None:
            self.study.tell(trial, state=state)
        else:
            self.study.tell(trial, None)

    def ask_batch(self, q):
        out = []
        for _ in range(q):
            try:
                out.append(self.ask())
            except Exhausted:
                break
        return out

    def tell_batch(self, results):
        for trial, value in results:
            self.tell(trial, value)


def _is_done(exc):
    name = type(exc).__name__.lower()
    text = str(exc).lower()
    return ("exhausted" in name or "done" in name or "stopiteration" in name
            or "exhausted" in text or "nothing left" in text)


# ---- engines ------------------------------------------------------------------------
_MODULES = {}


def engine_module(engine):
    if engine in _MODULES:
        return _MODULES[engine]
    if engine == "optuna":
        _refuse_other_optuna(os.environ.get(NEWEST_OPTUNA_ENV), want_newest=False)
        import optuna
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        module = optuna
    elif engine == "optuna-newest":
        module = _newest_optuna()
    elif engine == "hpsearch":
        path = os.path.abspath(os.environ.get("HPSEARCH_PYTHONPATH", DEFAULT_HPSEARCH_PATH))
        if os.path.isdir(path) and path not in sys.path:
            sys.path.insert(0, path)
        module = importlib.import_module("hpsearch")
        if hasattr(module, "logging"):  # Optuna-style INFO line per study: noise here
            module.logging.set_verbosity(module.logging.WARNING)
    else:
        raise ImportError(f"unknown engine {engine}")
    _MODULES[engine] = module
    return module


def _is_under(module, path):
    where = os.path.realpath(getattr(module, "__file__", "") or "")
    return where.startswith(os.path.realpath(path) + os.sep)


def _refuse_other_optuna(newest_path, want_newest):
    """One process holds one Optuna (both are the package `optuna`): the engine that
    finds the other one loaded is unavailable here, and says how to run it."""
    loaded = sys.modules.get("optuna")
    if loaded is None or newest_path is None:
        return
    if _is_under(loaded, newest_path) != want_newest:
        which = "Optuna " + getattr(loaded, "__version__", "?")
        raise ImportError(f"{which} is loaded in this process already; run the newest "
                          f"Optuna's optimizers in a run.py invocation of their own and "
                          f"merge the results files with report.py")


def _newest_optuna():
    path = os.environ.get(NEWEST_OPTUNA_ENV)
    if not path:
        raise ImportError(f"the newest Optuna is not configured: set {NEWEST_OPTUNA_ENV} to "
                          f"its source tree (bench/gp.md, 'The newest Optuna's GPSampler')")
    if not os.path.isdir(os.path.join(path, "optuna")):
        raise ImportError(f"{NEWEST_OPTUNA_ENV}={path} holds no optuna package")
    _refuse_other_optuna(path, want_newest=True)
    if path not in sys.path:
        sys.path.insert(0, path)
    import optuna
    if not _is_under(optuna, path):
        raise ImportError(f"optuna was imported from {optuna.__file__}, not from {path}")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna


def engine_version(engine):
    try:
        module = engine_module(engine)
    except ImportError:
        return None
    return getattr(module, "__version__", "unknown")


def _accepts(callable_, name):
    try:
        params = inspect.signature(callable_).parameters
    except (TypeError, ValueError):
        return True  # a C type without a signature: assume the documented keyword
    return name in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


def _has_sampler(class_name):
    def check(module):
        samplers = getattr(module, "samplers", None)
        if samplers is None or not hasattr(samplers, class_name):
            return False, f"{module.__name__}.samplers.{class_name} does not exist yet"
        return True, ""
    return check


# ---- registry -----------------------------------------------------------------------
REGISTRY = {}


def register(spec):
    if spec.name in REGISTRY:
        raise ValueError(f"duplicate optimizer {spec.name}")
    REGISTRY[spec.name] = spec
    return spec


def get(name):
    if name not in REGISTRY:
        raise KeyError(f"unknown optimizer {name!r}; known: {', '.join(REGISTRY)}")
    return REGISTRY[name]


def names(experiments=False):
    return [n for n, s in REGISTRY.items() if experiments or not s.experiment]


def available_names():
    return [n for n, s in REGISTRY.items() if s.available()[0]]


def _grid_sampler(module, problem, seed, budget):
    grid = spaces.grid_space(problem.space, budget)
    cls = module.samplers.GridSampler
    kwargs = {"seed": seed}
    if _accepts(cls, "shuffle"):
        kwargs["shuffle"] = True  # a budget smaller than the grid covers a random part
    sampler = cls(grid, **kwargs)
    try:
        sampler._bench_grid_size = spaces.grid_size(grid)
    except AttributeError:  # a C type without __dict__: fall back on the engine's "done"
        pass
    return sampler


# Optuna (Debian's python3-optuna) --------------------------------------------------------
register(Spec("optuna-random", "optuna",
              lambda m, p, seed, b, q: m.samplers.RandomSampler(seed=seed),
              "Optuna RandomSampler", adaptive=False))
register(Spec("optuna-tpe", "optuna",
              lambda m, p, seed, b, q: m.samplers.TPESampler(seed=seed, constant_liar=q > 1),
              "Optuna TPESampler, defaults (constant_liar=True when q > 1)"))
register(Spec("optuna-tpe-mv", "optuna",
              lambda m, p, seed, b, q: m.samplers.TPESampler(
                  seed=seed, multivariate=True, constant_liar=q > 1),
              "Optuna TPESampler(multivariate=True) (constant_liar=True when q > 1)"))
register(Spec("optuna-tpe-group", "optuna",
              lambda m, p, seed, b, q: m.samplers.TPESampler(
                  seed=seed, multivariate=True, group=True, constant_liar=q > 1),
              "Optuna TPESampler(multivariate=True, group=True) (constant_liar=True when "
              "q > 1)"))
register(Spec("optuna-cmaes", "optuna",
              lambda m, p, seed, b, q: m.samplers.CmaEsSampler(seed=seed),
              "Optuna CmaEsSampler, defaults (categoricals sampled at random)",
              available=lambda m: _optional_module("cmaes")))
register(Spec("optuna-gp", "optuna-newest",
              lambda m, p, seed, b, q: m.samplers.GPSampler(seed=seed),
              f"newest Optuna GPSampler, defaults (source tree in ${NEWEST_OPTUNA_ENV})",
              available=_has_sampler("GPSampler")))
register(Spec("optuna-qmc", "optuna",
              lambda m, p, seed, b, q: m.samplers.QMCSampler(
                  qmc_type="sobol", scramble=True, seed=seed),
              "Optuna QMCSampler(qmc_type='sobol', scramble=True)", adaptive=False))


def _optional_module(name):
    try:
        importlib.import_module(name)
    except ImportError:
        return False, f"python module {name} missing (Debian python3-{name})"
    return True, ""


# hpsearch ------------------------------------------------------------------------------
register(Spec("hps-random", "hpsearch",
              lambda m, p, seed, b, q: m.samplers.RandomSampler(seed=seed),
              "hpsearch RandomSampler", adaptive=False, counterpart="optuna-random",
              available=_has_sampler("RandomSampler")))
register(Spec("hps-grid", "hpsearch",
              lambda m, p, seed, b, q: _grid_sampler(m, p, seed, b),
              "hpsearch GridSampler over a budget-sized grid (see module docstring)",
              adaptive=False, budget_specific=True, available=_has_sampler("GridSampler")))
register(Spec("hps-sobol", "hpsearch",
              lambda m, p, seed, b, q: m.samplers.QMCSampler(seed=seed, scramble=True),
              "hpsearch QMCSampler (scrambled Sobol)", adaptive=False,
              counterpart="optuna-qmc", available=_has_sampler("QMCSampler")))


def _hps_model(name, class_name, counterpart=None, **options):
    """Registers an hpsearch model-based sampler built as Class(seed=seed, **options)."""
    register(Spec(name, "hpsearch",
                  lambda m, p, seed, b, q: getattr(m.samplers, class_name)(seed=seed, **options),
                  f"hpsearch {class_name}", counterpart=counterpart,
                  available=_has_sampler(class_name)))


# Samplers still to come (issues 5 and 6): each becomes available the moment the binding
# exports the class; until then the runner lists them as unavailable and skips them.
_hps_model("hps-tpe", "TPESampler", counterpart="optuna-tpe")
_hps_model("hps-tpe-group", "TPESampler", counterpart="optuna-tpe-group", multivariate=True,
           group=True)
_hps_model("hps-gp", "GPSampler")
_hps_model("hps-cmaes", "CmaEsSampler", counterpart="optuna-cmaes")
_hps_model("hps-auto", "AutoSampler")


# Start-up variants of the GP (issue 22 item 1, bench/gp.md "The small-budget start"):
# the number of Sobol points before the model as a function of the problem's number of
# parameters d, passed as the sampler's n_startup_trials. The default is 2d + 1 in
# [4, 10]; these candidates model earlier. Run only when named.
def _clamp(n, lo, hi):
    return max(lo, min(hi, n))


def _hps_gp_startup(name, rule, text):
    register(Spec(name, "hpsearch",
                  lambda m, p, seed, b, q: m.samplers.GPSampler(
                      seed=seed, n_startup_trials=rule(len(p.space))),
                  f"hpsearch GPSampler, {text} start-up points",
                  available=_has_sampler("GPSampler"), experiment=True))


_hps_gp_startup("hps-gp-start-d1", lambda d: _clamp(d + 1, 3, 6), "d + 1 in [3, 6]")
_hps_gp_startup("hps-gp-start-3", lambda d: 3, "3")


# The GP without input warping (issue 22, the 7-parameter PyTorch MLP: bench/gp.md, "The
# PyTorch-MLP family at small budgets"): whether the warp's extra parameters, fitted from
# 10-25 trials, cost the small budgets there. Run only when named.
register(Spec("hps-gp-nowarp", "hpsearch",
              lambda m, p, seed, b, q: m.samplers.GPSampler(seed=seed, input_warping=False),
              "hpsearch GPSampler(input_warping=False)",
              available=_has_sampler("GPSampler"), experiment=True))
