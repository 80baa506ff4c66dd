"""Plots of studies, as in ``optuna.visualization``.

hpsearch draws with matplotlib: :mod:`hpsearch.visualization.matplotlib` has Optuna's
``plot_optimization_history``, ``plot_param_importances``, ``plot_parallel_coordinate``,
``plot_slice``, ``plot_contour``, ``plot_intermediate_values`` and
``plot_pareto_front`` with Optuna's signatures, each returning matplotlib Axes. For an interactive page without Python,
``hpsearch report STUDY -o report.html`` writes one (docs/report.md).
"""
from . import matplotlib  # noqa: F401

__all__ = ["matplotlib"]
