"""hpsearch: hyperparameter search with Optuna's Python API over a C engine.

Switching from Optuna is a change of the import line::

    import hpsearch as optuna

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        hidden = trial.suggest_int("hidden_size", 32, 256)
        return train(lr, hidden)

    study = optuna.create_study(direction="maximize", storage="sqlite:tune.db",
                                study_name="mlp", load_if_exists=True)
    study.optimize(objective, n_trials=20)
    print(study.best_params, study.best_value)

Studies in an SQLite file are shared with the ``hpsearch`` command and with other
processes; every running trial keeps a heartbeat, so trials of a process that died are
failed and, if asked, retried with the same parameters. See docs/python.md.
"""
import json as _json

from . import _core
from . import distributions
from . import exceptions
from . import importance
from . import logging
from . import pruners
from . import samplers
from . import search_space
from . import storages
from . import trial
from . import study
from . import version
from . import visualization
from .distributions import _adjust_discrete_uniform_high
from .exceptions import DuplicatedStudyError, StorageInternalError, StudyDone, TrialPruned
from .study import (Study, copy_study, create_study, delete_study, get_all_study_names,
                    get_all_study_summaries, load_study, _json_dumps)
from .trial import FixedTrial, FrozenTrial, Trial, TrialState, create_trial, _ENGINE_STATES
from .distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from .study import StudyDirection

from .version import __version__

__all__ = [
    "Study", "Trial", "FrozenTrial", "FixedTrial", "TrialState", "StudyDirection",
    "TrialPruned", "create_study", "load_study", "delete_study", "copy_study",
    "get_all_study_summaries", "get_all_study_names", "create_trial", "distributions",
    "exceptions", "importance", "logging", "pruners", "samplers", "search_space",
    "storages", "study", "trial", "version", "visualization", "__version__",
]

_core._register(
    trial_class=Trial,
    frozen_class=FrozenTrial,
    states=_ENGINE_STATES,
    float_dist=FloatDistribution,
    int_dist=IntDistribution,
    cat_dist=CategoricalDistribution,
    adjust_float_high=_adjust_discrete_uniform_high,
    json_dumps=_json_dumps,
    json_loads=_json.loads,
    storage_error=StorageInternalError,
    duplicated_error=DuplicatedStudyError,
    done_error=StudyDone,
)
del _json
