"""Optuna's ``optuna.visualization.matplotlib`` for hpsearch studies.

Every function takes a study (or, for the history, a list of studies) and returns the
matplotlib ``Axes`` it drew on (an array of Axes for several slices or contours), as
Optuna's do; ``target`` and ``target_name`` choose and name the number plotted, and a
multi-objective study needs a ``target``. ``plot_pareto_front`` draws the trade-off of
a study of 2 or 3 objectives and ``plot_hypervolume_history`` how its feasible front
grew (the engine's exact hypervolume); ``plot_terminator_improvement`` the terminator's
room for improvement after each trial. matplotlib is imported when a function is
first called, so ``import hpsearch`` stays light.
"""
from ._plots import (plot_contour, plot_intermediate_values, plot_optimization_history,
                     plot_parallel_coordinate, plot_param_importances, plot_slice)
from ._hypervolume_history import plot_hypervolume_history
from ._pareto_front import plot_pareto_front
from ._terminator_improvement import plot_terminator_improvement

__all__ = ["plot_optimization_history", "plot_param_importances", "plot_parallel_coordinate",
           "plot_slice", "plot_contour", "plot_intermediate_values", "plot_pareto_front",
           "plot_hypervolume_history", "plot_terminator_improvement"]
