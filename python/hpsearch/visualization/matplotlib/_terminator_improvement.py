"""plot_terminator_improvement with matplotlib, as the newest Optuna's (3.2+; Debian's
3.1 has none): the terminator's room for improvement after each trial and, when asked,
the error it is compared with."""
from typing import Any

from ...exceptions import _warn_experimental
from ...logging import get_logger
from ...terminator.improvement.evaluator import DEFAULT_MIN_N_TRIALS
from .. import _terminator_improvement as ti

__all__ = ["plot_terminator_improvement"]

_logger = get_logger(__name__)


def plot_terminator_improvement(study: Any, plot_error: bool = False,
                                improvement_evaluator: Any = None, error_evaluator: Any = None,
                                min_n_trials: int = DEFAULT_MIN_N_TRIALS) -> Any:
    """The values and arguments of :func:`hpsearch.visualization.plot_terminator_improvement`
    on a matplotlib Axes, as Optuna draws them: the first ``min_n_trials + 1``
    improvements as a faint line, the rest in full colour, the errors in red, a legend;
    without a COMPLETE trial, an empty Axes and a warning. Same warning and errors."""
    # Optuna names an experimental function by its qualified name
    _warn_experimental(__name__ + ".plot_terminator_improvement", "3.2.0")
    import matplotlib.pyplot as plt
    info = ti.improvement_info(study, plot_error, improvement_evaluator, error_evaluator)
    plt.style.use("ggplot")  # as Optuna's backend, close to its plotly figures
    _, ax = plt.subplots()
    ax.set_title("Terminator Improvement Plot")
    ax.set_xlabel("Trial")
    ax.set_ylabel("Terminator Improvement")
    cmap = plt.get_cmap("tab10")
    n_trials = len(info.trial_numbers)
    if n_trials == 0:
        _logger.warning("There are no complete trials.")
        return ax
    # faint until the terminator may act; the legend once, on the full-colour part
    ax.plot(info.trial_numbers[:min_n_trials + 1], info.improvements[:min_n_trials + 1],
            marker="o", color=cmap(0), alpha=ti.OPACITY,
            label="Terminator Improvement" if n_trials <= min_n_trials else None)
    if n_trials > min_n_trials:
        ax.plot(info.trial_numbers[min_n_trials:], info.improvements[min_n_trials:],
                marker="o", color=cmap(0), label="Terminator Improvement")
    if info.errors is not None:
        ax.plot(info.trial_numbers, info.errors, marker="o", color=cmap(3), label="Error")
    ax.legend()
    ax.set_ylim(ti.y_range(info, min_n_trials))
    return ax
