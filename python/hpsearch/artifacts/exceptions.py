"""Errors of ``hpsearch.artifacts`` (``optuna.artifacts.exceptions``)."""
from ..exceptions import HpsearchError

__all__ = ["ArtifactNotFound"]


class ArtifactNotFound(HpsearchError):
    """An artifact store has no artifact of that id (``open_reader``, ``remove``)."""
