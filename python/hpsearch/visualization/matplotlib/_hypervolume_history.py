"""plot_hypervolume_history with matplotlib, as the newest Optuna's (3.3+; Debian's 3.1
has none): the hypervolume of the feasible COMPLETE trials so far against the trial
number."""
from typing import Any, Sequence

from .._hypervolume_history import hypervolume_history

__all__ = ["plot_hypervolume_history"]


def plot_hypervolume_history(study: Any, reference_point: Sequence[float]) -> Any:
    """One line with markers, the hypervolume after each COMPLETE trial w.r.t.
    `reference_point` (one coordinate per objective, in the objectives' own directions);
    infeasible trials leave it unchanged. Returns the matplotlib Axes. ValueError for a
    study of one objective or a reference point of another dimension."""
    numbers, volumes = hypervolume_history(study, reference_point)
    import matplotlib.pyplot as plt
    plt.style.use("ggplot")  # as Optuna's backend, close to its plotly figures
    _, ax = plt.subplots()
    ax.set_title("Hypervolume History Plot")
    ax.set_xlabel("Trial")
    ax.set_ylabel("Hypervolume")
    ax.plot(numbers, volumes, marker="o", color=plt.get_cmap("tab10")(0), alpha=0.5)
    return ax
