# hpsearch-wandb-standin -- this first line tells the stand-in apart from the real package
"""hpsearch's stand-in for the `wandb` module, for scripts run as hpsearch trials.

hpsearch compiles this file into its binary (src/runner/wandb_standin.py), writes it
once per run as <log_dir>/wandb-standin/wandb/__init__.py and puts that directory first
on every trial's PYTHONPATH. What `import wandb` then gives the trial:

* The real wandb, when one is installed further along sys.path: this module steps
  aside and loads it in its place, after giving it the trial's parameters the way
  `wandb agent` does (a config file named by WANDB_SWEEP_PARAM_PATH, W&B's
  `{name: {value: v}}` YAML) and WANDB_MODE=offline unless WANDB_MODE is set. It then
  follows the run's public API (wandb.init, run.log, run.summary at finish) and
  prints what is logged as metric lines.
* Otherwise this module is wandb: wandb.config holds the trial's parameters (from
  HPSEARCH_PARAMS), wandb.log and run.summary print the numbers as lines hpsearch's
  metric reader takes (docs/config.md, "Scripts that use the wandb module"):

      [wandb] loss=0.31 val_acc=0.91 step=3
      [wandb] summary val_acc=0.93 step=9

  W&B's step is the last pair of the line, so it wins over a logged key named "step"
  or "epoch". The rest of the API that does not matter to a search (watch, save,
  artifacts, media types, alerts...) is accepted and does nothing.

Every line this module prints itself, warnings included, holds no `name=number` or
`name: number` pair other than the metrics, so that nothing else reads as a metric.
"""

import atexit
import functools
import importlib.machinery
import importlib.util
import json
import numbers
import os
import sys
import time
import types
from collections.abc import Mapping

__version__ = "0.0.0+hpsearch.standin"
HPSEARCH_STANDIN = True  # a script can ask: getattr(wandb, "HPSEARCH_STANDIN", False)

_MARKER = b"hpsearch-wandb-standin"
# Longest metric line printed; longer logs are split over several lines (each with the
# step), so one write stays atomic on a pipe and far below the reader's 64 KiB cut.
_MAX_LINE = 4000


# ---- output ----------------------------------------------------------------------------

def _write_fd(fd, text):
    """Writes to the file descriptor itself: a script that redirects sys.stdout (to
    silence a library, say) must not hide its metrics from hpsearch."""
    stream = sys.stdout if fd == 1 else sys.stderr
    try:
        stream.flush()  # keep the order of the script's own output
    except Exception:
        pass
    data = text.encode("utf-8", "replace")
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:
        pass  # hpsearch is gone or the script closed the descriptor: nothing to tell


def _safe_name(name):
    """A name as it may appear in a message: quoted, with '=' and ':' escaped, so that
    a logged key such as 'acc=0.5' cannot read as a metric in a warning."""
    return ascii(str(name)).replace("=", "\\x3d").replace(":", "\\x3a")


def termwarn(message, repeat=True):
    _write_fd(2, "wandb: WARNING %s\n" % message)


def termlog(message="", newline=True, repeat=True):
    _write_fd(2, "wandb: %s%s" % (message, "\n" if newline else ""))


def termerror(message, repeat=True):
    _write_fd(2, "wandb: ERROR %s\n" % message)


# ---- the parameters hpsearch gives the trial -------------------------------------------

def _trial_params():
    """The trial's parameters (HPSEARCH_PARAMS, a JSON object), or None outside hpsearch."""
    text = os.environ.get("HPSEARCH_PARAMS")
    if text is None:
        return None
    try:
        params = json.loads(text)
    except ValueError as exc:
        raise RuntimeError("hpsearch's wandb stand-in: HPSEARCH_PARAMS is not valid JSON "
                           "(%s)" % exc) from None
    if not isinstance(params, dict):
        raise RuntimeError("hpsearch's wandb stand-in: HPSEARCH_PARAMS is not a JSON object")
    return params


# ---- metric lines ----------------------------------------------------------------------

def _is_key_start(c):
    return ("A" <= c <= "Z") or ("a" <= c <= "z") or c == "_"


def _is_key_char(c):
    return _is_key_start(c) or ("0" <= c <= "9") or c in "./-"


def _readable_name(name):
    """True when hpsearch's metric reader can find `name`: [A-Za-z_][A-Za-z0-9_./-]*."""
    return bool(name) and _is_key_start(name[0]) and all(_is_key_char(c) for c in name)


def _is_single_value(value):
    """A 0-d or one-element array or tensor (numpy, torch, jax...)."""
    shape = getattr(value, "shape", None)
    if shape is None:
        return False
    try:
        count = 1
        for dim in tuple(shape):
            count *= int(dim)
        return count == 1
    except Exception:
        return False


def _number_text(value):
    """The text of a number as the metric reader takes it, or None for anything that is
    not one number (strings, media, lists, bools)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        try:
            return repr(float(value))  # shortest exact form; nan, inf, -inf as the reader wants
        except (OverflowError, ValueError):
            return None
    item = getattr(value, "item", None)
    if callable(item) and _is_single_value(value):
        try:
            value = item()
        except Exception:
            return None
        if isinstance(value, numbers.Real) and not hasattr(value, "item"):
            return _number_text(value)
    return None


class _Reporter:
    """Prints what a run logs as metric lines, following W&B's step rules: a log without
    step= goes to the current step and (unless commit=False) moves to the next one; a
    log with step= goes to that step, and one below the current step is dropped with
    W&B's warning."""

    def __init__(self, warn_steps=True):
        self.warn_steps = warn_steps  # False when a real wandb warns itself
        self.step = 0                 # the step the next log without step= goes to
        self.last_logged = None       # step of the last log printed
        self.key_step = {}            # metric name -> step of its last log
        self.key_text = {}            # metric name -> text of its last logged value
        self.warned = set()           # names already warned about

    def log(self, data, step=None, commit=None):
        """Returns False when W&B would drop the data (a step below the current one)."""
        if step is not None:
            step = self._step_value(step)
            if step < self.step:
                if self.warn_steps:
                    termwarn("Tried to log to step %d that is less than the current step "
                             "%d. Steps must be monotonically increasing, so this data will "
                             "be ignored." % (step, self.step))
                return False
            self.step = step
            commit_now = bool(commit)
        else:
            commit_now = commit is None or bool(commit)
        pairs = self.pairs(data)
        for name, text in pairs:
            self.key_step[name] = self.step
            self.key_text[name] = text
        if pairs:
            self._print("[wandb]", pairs, self.step)
            self.last_logged = self.step
        if commit_now:
            self.step += 1
        return True

    def summary(self, data):
        """An explicit summary write: the last line for these metrics, so their values
        become the trial's result. Printed at the step each metric was last logged at,
        which hpsearch already has, so the learning curve keeps the logged values (a
        metric never logged: the step of the last log, or 0)."""
        by_step = {}
        for name, text in self.pairs(data):
            default = self.last_logged if self.last_logged is not None else 0
            by_step.setdefault(self.key_step.get(name, default), []).append((name, text))
            self.key_text[name] = text
        for step in sorted(by_step):
            self._print("[wandb] summary", by_step[step], step)

    @staticmethod
    def _step_value(step):
        if isinstance(step, numbers.Integral) and not isinstance(step, bool):
            step = int(step)
        elif isinstance(step, numbers.Real) and float(step).is_integer():
            step = int(step)
        else:
            raise ValueError("wandb.log: step must be an integer, not %r" % (step,))
        if step < 0:
            raise ValueError("wandb.log: step must be 0 or more, not %d" % step)
        return step

    def pairs(self, data, prefix=""):
        """(name, number text) for every number in data; nested mappings give dotted
        names, as W&B shows them. Names the reader cannot find are left out, with a
        warning once per name."""
        out = []
        for key, value in data.items():
            name = prefix + str(key)
            if _is_mapping(value):
                out.extend(self.pairs(value, name + "."))
                continue
            text = _number_text(value)
            if text is None:
                continue
            if not _readable_name(name):
                self._warn_name(name)
                continue
            out.append((name, text))
        return out

    def _warn_name(self, name):
        if name in self.warned:
            return
        self.warned.add(name)
        termwarn("metric %s is not reported to hpsearch: its metric names are letters, "
                 "digits and _ . / - (not starting with a digit, no spaces)" % _safe_name(name))

    def _print(self, head, pairs, step):
        if not pairs:
            return
        tail = " step=%d\n" % step
        line = head
        for name, text in pairs:
            item = " %s=%s" % (name, text)
            if len(line) > len(head) and len(line) + len(item) + len(tail) > _MAX_LINE:
                _write_fd(1, line + tail)
                line = head
            line += item
        _write_fd(1, line + tail)


def _is_mapping(value):
    return isinstance(value, Mapping)


# ---- errors (wandb.errors) -------------------------------------------------------------

class Error(Exception):
    """wandb.Error: the base of the errors below."""


class UsageError(Error):
    pass


class CommError(Error):
    pass


class ConfigError(Error):
    pass


errors = types.ModuleType(__name__ + ".errors")
errors.Error = Error
errors.UsageError = UsageError
errors.CommError = CommError
errors.ConfigError = ConfigError
sys.modules[errors.__name__] = errors  # `from wandb.errors import UsageError` works


# ---- config ----------------------------------------------------------------------------

def _config_dict(params, what):
    """A dict from what W&B accepts as a config: a mapping, a YAML file name, absl or
    TensorFlow flags, or any object with attributes (argparse.Namespace)."""
    if params is None:
        return {}
    if _is_mapping(params):
        return dict(params)
    if isinstance(params, str):
        return _config_file(params, must_exist=True)
    values = getattr(params, "flag_values_dict", None)
    if callable(values):
        return dict(values())
    if hasattr(params, "__dict__"):
        return {k: v for k, v in vars(params).items() if not k.startswith("_")}
    raise TypeError("%s must be a dict or have a __dict__ attribute." % what)


def _config_file(path, must_exist=False):
    """A W&B config file ({name: {value: v}}, as config-defaults.yaml), read as W&B does."""
    if not os.path.exists(path):
        if must_exist:
            raise ConfigError("config file %s doesn't exist" % path)
        return {}
    try:
        import yaml
    except ImportError:
        termwarn("%s is ignored: reading it needs PyYAML (python3-yaml)" % _safe_name(path))
        return {}
    with open(path) as f:
        loaded = yaml.safe_load(f)
    if not loaded:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError("%s is not a mapping" % path)
    loaded.pop("wandb_version", None)
    out = {}
    for key, entry in loaded.items():
        if key == "_wandb":
            continue
        if not isinstance(entry, dict) or "value" not in entry:
            raise ConfigError("%s: entry %s has no 'value'" % (path, _safe_name(key)))
        out[key] = entry["value"]
    return out


class Config:
    """wandb.config: a mapping with attribute access. Keys set by the sweep (the trial's
    parameters) are locked: a script's update of them is ignored with W&B's warning.
    Changing another key's value needs allow_val_change=True, as in W&B."""

    def __init__(self):
        object.__setattr__(self, "_items", {})
        object.__setattr__(self, "_locked", set())

    def _lock(self, params):
        self._items.update(params)
        self._locked.update(params)

    def _check_locked(self, key):
        if key in self._locked:
            termwarn("Config item %s was locked by 'sweep' (ignored update)." % _safe_name(key))
            return True
        return False

    def _sanitize(self, key, value, allow_val_change):
        key = str(key).strip("-")
        if not allow_val_change and key in self._items:
            old = self._items[key]
            try:
                changed = bool(value != old)
            except Exception:
                changed = value is not old
            if changed:
                raise ConfigError(
                    'Attempted to change value of key "%s" from %s to %s\nIf you really want '
                    "to do this, pass allow_val_change=True to config.update()" % (key, old, value))
        return key, value

    def __setitem__(self, key, value):
        if self._check_locked(str(key).strip("-")):
            return
        key, value = self._sanitize(key, value, None)
        self._items[key] = value

    __setattr__ = __setitem__

    def __getitem__(self, key):
        return self._items[key]

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self._items[key]
        except KeyError:
            raise AttributeError("%r object has no attribute %r" % (type(self), key)) from None

    def __contains__(self, key):
        return key in self._items

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def __repr__(self):
        return str(dict(self))

    def keys(self):
        return [k for k in self._items if not str(k).startswith("_")]

    def items(self):
        return [(k, v) for k, v in self._items.items() if not str(k).startswith("_")]

    def values(self):
        return [v for _, v in self.items()]

    def get(self, *args):
        return self._items.get(*args)

    def as_dict(self):
        return dict(self.items())

    def _as_dict(self):
        return self._items

    def update(self, d, allow_val_change=None):
        for key, value in _config_dict(d, "config.update()'s argument").items():
            if self._check_locked(str(key).strip("-")):
                continue
            key, value = self._sanitize(key, value, allow_val_change)
            self._items[key] = value

    def setdefaults(self, d):
        for key, value in _config_dict(d, "config.setdefaults()'s argument").items():
            key = str(key).strip("-")
            if key not in self._items:
                self._items[key] = value

    def persist(self):
        pass


# ---- summary ---------------------------------------------------------------------------

class Summary:
    """run.summary: the last logged value of every key, which explicit writes replace.
    An explicit write of a number prints a summary line at once, so it becomes the
    trial's value even if the script never calls finish (or dies later)."""

    def __init__(self, reporter):
        object.__setattr__(self, "_items", {})
        object.__setattr__(self, "_reporter", reporter)

    def _logged(self, data):
        self._items.update(data)

    def __setitem__(self, key, value):
        self._items[key] = value
        self._reporter.summary({key: value})

    __setattr__ = __setitem__

    def update(self, d=None, **kwargs):
        data = dict(d or {}, **kwargs)
        self._items.update(data)
        self._reporter.summary(data)

    def __getitem__(self, key):
        return self._items[key]

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self._items[key]
        except KeyError:
            raise AttributeError("summary has no key %r" % key) from None

    def __delitem__(self, key):
        del self._items[key]

    __delattr__ = __delitem__

    def __contains__(self, key):
        return key in self._items

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def __repr__(self):
        return repr(self._items)

    def get(self, *args):
        return self._items.get(*args)

    def keys(self):
        return self._items.keys()

    def items(self):
        return self._items.items()

    def values(self):
        return self._items.values()

    def _as_dict(self):
        return dict(self._items)


# ---- what does not matter to a search ----------------------------------------------------

class _Inert:
    """Accepts any construction and any method call, and does nothing: the media and
    chart types (Table, Image, Histogram, plot.*), Artifact, define_metric's result.
    Logged, it is not a number and is left out of the metric lines."""

    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _inert_call

    def __repr__(self):
        return "<%s (hpsearch's wandb stand-in: does nothing)>" % type(self).__name__


def _inert_call(*args, **kwargs):
    return None


def _inert_class(name):
    return type(name, (_Inert,), {})


Table = _inert_class("Table")
Image = _inert_class("Image")
Histogram = _inert_class("Histogram")
Audio = _inert_class("Audio")
Video = _inert_class("Video")
Html = _inert_class("Html")
Object3D = _inert_class("Object3D")
Molecule = _inert_class("Molecule")
Plotly = _inert_class("Plotly")
Graph = _inert_class("Graph")
Classes = _inert_class("Classes")
Artifact = _inert_class("Artifact")
Settings = _inert_class("Settings")
AlertLevel = types.SimpleNamespace(INFO="INFO", WARN="WARN", ERROR="ERROR")


def _inert_namespace(name):
    """A module whose every function returns an inert object (wandb.plot.line, ...)."""
    module = types.ModuleType(name)

    def module_getattr(attr):
        if attr.startswith("__"):
            raise AttributeError("module %r has no attribute %r" % (name, attr))
        return lambda *args, **kwargs: _Inert()

    module.__getattr__ = module_getattr
    sys.modules[name] = module
    return module


plot = _inert_namespace(__name__ + ".plot")
util = types.ModuleType(__name__ + ".util")
util.generate_id = lambda length=8: os.urandom(16).hex()[:length]
sys.modules[util.__name__] = util


# ---- the run ---------------------------------------------------------------------------

def _no_op(*args, **kwargs):
    return None


class Run:
    """The object wandb.init() returns. log, summary, config and finish do what a
    search needs; the methods listed in _NO_OPS accept anything and do nothing."""

    _NO_OPS = ("watch", "unwatch", "save", "restore", "log_artifact", "use_artifact",
                "upsert_artifact", "finish_artifact", "link_artifact", "log_code",
                "log_model", "use_model", "link_model", "alert", "mark_preempting",
                "display", "plot_table", "status", "get_url", "get_project_url",
                "get_sweep_url", "to_html")

    def __init__(self, config, kwargs):
        number = os.environ.get("HPSEARCH_TRIAL_NUMBER", "0")
        self._reporter = _Reporter()
        self._finished = False
        self._dir = kwargs.get("dir")
        self.config = config
        self.summary = Summary(self._reporter)
        self.id = kwargs.get("id") or "trial-%s" % number
        self.name = kwargs.get("name") or "trial-%s" % number
        self.project = kwargs.get("project") or os.environ.get("HPSEARCH_STUDY", "")
        self.entity = kwargs.get("entity") or ""
        self.group = kwargs.get("group")
        self.job_type = kwargs.get("job_type")
        self.notes = kwargs.get("notes")
        self.tags = tuple(kwargs.get("tags") or ())
        self.sweep_id = None
        self.url = None
        self.path = "%s/%s/%s" % (self.entity, self.project, self.id)
        self.offline = True
        self.disabled = False
        self.resumed = False
        self.start_time = time.time()
        self.settings = types.SimpleNamespace(mode="offline", _offline=True)
        for name in self._NO_OPS:
            setattr(self, name, _no_op)

    @property
    def step(self):
        return self._reporter.step

    @property
    def dir(self):
        """A directory for the run's files (W&B's run.dir), made when first asked for:
        next to the trial's log, or under init's dir=."""
        if self._dir is None:
            params_file = os.environ.get("HPSEARCH_PARAMS_FILE")
            if params_file:
                base = params_file[:-len(".params.json")] if params_file.endswith(
                    ".params.json") else params_file
                self._dir = base + ".wandb-files"
            else:
                self._dir = os.path.join(os.getcwd(), "wandb", "run-" + self.id, "files")
        os.makedirs(self._dir, exist_ok=True)
        return self._dir

    def project_name(self):
        return self.project

    def log(self, data, step=None, commit=None, sync=None):
        if self._finished:
            raise UsageError("wandb.log() was called on a finished run; call wandb.init() "
                             "to start a new one")
        if not _is_mapping(data):
            raise ValueError("wandb.log must be passed a dictionary")
        if any(not isinstance(key, str) for key in data.keys()):
            raise ValueError("Key values passed to `wandb.log` must be strings.")
        if self._reporter.log(data, step, commit):
            self.summary._logged(data)

    def define_metric(self, name, step_metric=None, step_sync=None, hidden=None,
                      summary=None, goal=None, overwrite=None, **kwargs):
        return _Inert()

    def finish(self, exit_code=None, quiet=None):
        if self._finished:
            return
        self._finished = True
        _set_globals(None)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.finish(exit_code=0 if exc_type is None else 1)
        return False

    def __repr__(self):
        return "<Run %s (hpsearch's wandb stand-in)>" % self.id


# ---- module-level API --------------------------------------------------------------------

class _PreInit:
    """wandb.config and wandb.summary before wandb.init(): every use is W&B's error."""

    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        raise Error("You must call wandb.init() before %s.%s" % (self._name, key))

    def __setattr__(self, key, value):
        raise Error("You must call wandb.init() before %s.%s" % (self._name, key))

    def __getitem__(self, key):
        raise Error("You must call wandb.init() before %s[%r]" % (self._name, key))

    __setitem__ = __getitem__


run = None
config = _PreInit("wandb.config")
summary = _PreInit("wandb.summary")
_announced = False


def _set_globals(new_run):
    global run, config, summary
    run = new_run
    config = new_run.config if new_run is not None else _PreInit("wandb.config")
    summary = new_run.summary if new_run is not None else _PreInit("wandb.summary")


def init(*args, **kwargs):
    """Starts the trial's run: its config is the script's config (config-defaults.yaml,
    then init's config=) with the trial's parameters over it, locked as W&B locks a
    sweep's. A second init returns the active run, unless reinit asks for a new one."""
    global _announced
    if args:
        kwargs.setdefault("job_type", args[0])
    if run is not None:
        if not kwargs.get("reinit"):
            return run
        run.finish()
    own = _config_dict(kwargs.get("config"), "wandb.init()'s config")
    include, exclude = kwargs.get("config_include_keys"), kwargs.get("config_exclude_keys")
    if include:
        own = {k: v for k, v in own.items() if k in include}
    if exclude:
        own = {k: v for k, v in own.items() if k not in exclude}
    cfg = Config()
    cfg.update(_config_file("config-defaults.yaml"), allow_val_change=True)
    cfg.update(own, allow_val_change=True)
    params = _trial_params()
    if params is not None:
        cfg._lock(params)
    if not _announced:
        _announced = True
        if params is None:
            termwarn("hpsearch's wandb stand-in runs outside an hpsearch trial "
                     "(HPSEARCH_PARAMS is not set): wandb.config holds only the script's "
                     "own values")
        else:
            termlog("hpsearch's stand-in for wandb (wandb is not installed): wandb.config "
                    "holds the trial's parameters, logged numbers go to hpsearch")
    new_run = Run(cfg, kwargs)
    _set_globals(new_run)
    return new_run


def _active_run(what):
    if run is None:
        raise Error("You must call wandb.init() before wandb.%s()" % what)
    return run


def log(data, step=None, commit=None, sync=None):
    _active_run("log").log(data, step=step, commit=commit)


def finish(exit_code=None, quiet=None):
    if run is not None:
        run.finish(exit_code=exit_code, quiet=quiet)


def define_metric(name, *args, **kwargs):
    return _active_run("define_metric").define_metric(name, *args, **kwargs)


def login(*args, **kwargs):
    return True


def setup(*args, **kwargs):
    return None


def teardown(*args, **kwargs):
    finish()


def require(*args, **kwargs):
    return None


watch = unwatch = save = restore = log_artifact = use_artifact = log_model = _no_op
use_model = link_model = alert = mark_preempting = _no_op


def _needs_server(what):
    def refuse(*args, **kwargs):
        raise Error("%s needs a W&B server, which hpsearch's wandb stand-in does not have: "
                    "hpsearch runs the search itself (give it the sweep file, and let the "
                    "script train one run)" % what)
    return refuse


sweep = _needs_server("wandb.sweep()")
agent = _needs_server("wandb.agent()")
controller = _needs_server("wandb.controller()")
Api = _needs_server("wandb.Api()")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError("module 'wandb' has no attribute %r: hpsearch's stand-in for wandb "
                         "(wandb is not installed) covers init, config, log, summary, finish "
                         "and accepts the rest of the run API as no-ops; install wandb for "
                         "more" % name)


# ---- a real wandb further along sys.path ---------------------------------------------

def _is_standin(origin):
    try:
        with open(origin, "rb") as f:
            return _MARKER in f.readline(200)
    except OSError:
        return False


def _find_real_wandb():
    """The spec of a real wandb package on sys.path, skipping stand-ins (this one, and
    one from an hpsearch run inside a trial) and folders without __init__.py (W&B's
    own ./wandb run folder is one)."""
    for entry in sys.path:
        try:
            spec = importlib.machinery.PathFinder.find_spec(__name__, [entry])
        except (ImportError, OSError, ValueError):
            continue
        if spec is None or spec.origin is None or not os.path.isfile(spec.origin):
            continue
        if _is_standin(spec.origin):
            continue
        return spec
    return None


def _write_sweep_params(params):
    """W&B's sweep config file for the trial's parameters, as `wandb agent` writes it
    (wandb_version: 1, then name: {value: v}), next to the trial's params file. Returns
    its path, or None when it cannot be written (with a warning)."""
    params_file = os.environ.get("HPSEARCH_PARAMS_FILE")
    if not params_file:
        return None
    base = params_file[:-len(".params.json")] if params_file.endswith(".params.json") \
        else params_file
    path = base + ".wandb-sweep.yaml"
    try:
        import yaml  # wandb itself needs PyYAML
        text = yaml.safe_dump(dict({"wandb_version": 1},
                                   **{k: {"value": v} for k, v in params.items()}),
                              default_flow_style=False, sort_keys=False)
        with open(path, "w") as f:
            f.write(text)
    except Exception as exc:
        termwarn("cannot write the sweep parameters for wandb (%s); wandb.config will "
                 "not hold the trial's parameters" % type(exc).__name__)
        return None
    return path


def _prepare_real_wandb():
    """What `wandb agent` gives a run, for the real wandb: the parameters through
    WANDB_SWEEP_PARAM_PATH, and offline mode (no W&B server) unless WANDB_MODE is set."""
    params = _trial_params()
    if params is None:
        return
    if "WANDB_SWEEP_PARAM_PATH" not in os.environ:
        path = _write_sweep_params(params)
        if path is not None:
            os.environ["WANDB_SWEEP_PARAM_PATH"] = path
    os.environ.setdefault("WANDB_MODE", "offline")


def _follow_real_run(real, wandb_run, reporter):
    """Prints what the real run logs, through its public API only: run.log (and the
    module's wandb.log, which init binds to it) and, at finish or exit, the summary
    values that differ from the last logged ones."""
    if wandb_run is None or getattr(wandb_run, "_hpsearch_followed", False):
        return
    real_log = wandb_run.log
    real_finish = wandb_run.finish

    def log(data, *args, **kwargs):
        result = real_log(data, *args, **kwargs)
        step = kwargs.get("step", args[0] if len(args) > 0 else None)
        commit = kwargs.get("commit", args[1] if len(args) > 1 else None)
        try:
            reporter.log(data, step, commit)
        except Exception:
            pass  # wandb accepted the data; what cannot be read is not a metric
        return result

    printed = []

    def print_summary():
        if printed:
            return
        printed.append(True)
        try:
            final = {}
            for key in list(wandb_run.summary.keys()):
                value = wandb_run.summary[key]
                text = _number_text(value)
                if text is not None and reporter.key_text.get(key) != text:
                    final[key] = value
            reporter.summary(final)
        except Exception:
            pass

    def finish(*args, **kwargs):
        print_summary()
        return real_finish(*args, **kwargs)

    wandb_run.log = functools.wraps(real_log)(log)
    wandb_run.finish = functools.wraps(real_finish)(finish)
    wandb_run._hpsearch_followed = True
    if getattr(real, "run", None) is wandb_run:
        real.log = wandb_run.log
    # Registered after wandb's own exit hooks, so it runs before them (atexit is LIFO).
    atexit.register(print_summary)


def _defer_to(spec):
    """Loads the real wandb as this module's replacement: the import that is running
    hands its caller whatever sys.modules holds when this file ends."""
    _prepare_real_wandb()
    real = importlib.util.module_from_spec(spec)
    sys.modules[__name__] = real
    for name in (errors.__name__, plot.__name__, util.__name__):
        sys.modules.pop(name, None)
    try:
        spec.loader.exec_module(real)
    except BaseException:
        sys.modules.pop(__name__, None)
        raise
    real_init = getattr(real, "init", None)
    if not callable(real_init):
        return
    reporter = _Reporter(warn_steps=False)

    def follow_init(*args, **kwargs):
        wandb_run = real_init(*args, **kwargs)
        try:
            _follow_real_run(real, wandb_run, reporter)
        except Exception as exc:
            termwarn("hpsearch cannot follow this wandb run (%s); print the metric for "
                     "hpsearch to see it" % type(exc).__name__)
        return wandb_run

    real.init = functools.wraps(real_init)(follow_init)


_real_spec = _find_real_wandb()
if _real_spec is not None:
    _defer_to(_real_spec)
