"""Plots of studies, as in ``optuna.visualization``.

The functions here draw with plotly and return ``plotly.graph_objects.Figure`` objects
built as Optuna's are (same trace kinds, titles and axis titles), with Optuna's
signatures: ``plot_optimization_history``, ``plot_intermediate_values``,
``plot_parallel_coordinate``, ``plot_contour``, ``plot_slice``,
``plot_param_importances``, ``plot_edf``, ``plot_rank``, ``plot_timeline``,
``plot_pareto_front``, ``plot_hypervolume_history`` and ``plot_terminator_improvement``.
plotly is imported when a function is first called; without it the call raises an
ImportError naming the package (``is_available()`` tells beforehand).

:mod:`hpsearch.visualization.matplotlib` has the matplotlib variants, returning Axes,
with ``plot_pareto_front``, ``plot_hypervolume_history`` and
``plot_terminator_improvement``.
For an interactive page without Python, ``hpsearch report STUDY -o report.html`` writes
one (docs/report.md).
"""
from . import matplotlib  # noqa: F401
from ._plotly import (is_available, plot_contour, plot_edf, plot_hypervolume_history,
                      plot_intermediate_values, plot_optimization_history,
                      plot_parallel_coordinate, plot_param_importances, plot_pareto_front,
                      plot_rank, plot_slice, plot_terminator_improvement, plot_timeline)

__all__ = ["is_available", "matplotlib", "plot_contour", "plot_edf", "plot_hypervolume_history",
           "plot_intermediate_values", "plot_pareto_front",
           "plot_optimization_history", "plot_parallel_coordinate", "plot_param_importances",
           "plot_rank", "plot_slice", "plot_terminator_improvement", "plot_timeline"]
