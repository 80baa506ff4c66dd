"""Improvement evaluators of the terminator (``optuna.terminator.improvement``)."""
