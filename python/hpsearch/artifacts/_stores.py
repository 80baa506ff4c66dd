"""Artifact stores: where the files live (Optuna's ArtifactStore protocol --
``open_reader``, ``write``, ``remove`` by artifact id), the file system's, and Optuna's
retrying middleware."""
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any, BinaryIO, Union

from .exceptions import ArtifactNotFound

__all__ = ["FileSystemArtifactStore", "Backoff"]

_logger = logging.getLogger(__name__)


class FileSystemArtifactStore:
    """Artifacts as files in the directory `base_path`, one per artifact id.

    An id that is an absolute path or leads out of `base_path` (``../x``) is refused
    with ValueError, so an id read from a study cannot name another file.
    """

    def __init__(self, base_path: Union[str, Path]) -> None:
        self._base_path = Path(base_path)

    def _get_filepath(self, artifact_id: str) -> Path:
        if os.path.isabs(artifact_id):
            raise ValueError(f"Invalid artifact_id: {artifact_id}")
        filepath = self._base_path / artifact_id
        base = os.path.abspath(self._base_path)
        if os.path.commonpath([base, os.path.abspath(filepath)]) != base:
            raise ValueError(f"Invalid artifact_id: {artifact_id}")
        return filepath

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """The artifact's content, opened for reading; ArtifactNotFound if there is none."""
        filepath = self._get_filepath(artifact_id)
        try:
            return open(filepath, "rb")
        except FileNotFoundError as e:
            raise ArtifactNotFound("not found") from e

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Stores `content_body` (read to its end) as the artifact."""
        filepath = self._get_filepath(artifact_id)
        with open(filepath, "wb") as f:
            shutil.copyfileobj(content_body, f)

    def remove(self, artifact_id: str) -> None:
        """Removes the artifact; ArtifactNotFound if there is none."""
        filepath = self._get_filepath(artifact_id)
        try:
            os.remove(filepath)
        except FileNotFoundError as e:
            raise ArtifactNotFound("not found") from e


class Backoff:
    """An artifact store's middleware that retries failed calls with exponential
    backoff (min_delay, doubling by `multiplier`, at most max_delay seconds; at most
    `max_retries` tries). ArtifactNotFound is never retried."""

    def __init__(self, backend: Any, *, max_retries: int = 10, multiplier: float = 2,
                 min_delay: float = 0.1, max_delay: float = 30) -> None:
        assert max_retries > 0
        assert multiplier > 0
        assert min_delay > 0
        assert max_delay > min_delay
        self._backend = backend
        self._max_retries = max_retries
        self._multiplier = multiplier
        self._min_delay = min_delay
        self._max_delay = max_delay

    def _get_sleep_secs(self, n_retry: int) -> float:
        return min(self._min_delay * self._multiplier ** n_retry, self._max_delay)

    def _retry(self, what: str, artifact_id: str, call: Any, rewind: Any = None) -> Any:
        for i in range(self._max_retries):
            try:
                return call()
            except ArtifactNotFound:
                raise
            except Exception as e:
                if i == self._max_retries - 1:
                    raise
                _logger.error(f"Failed to {what} artifact={artifact_id} n_retry={i}",
                              exc_info=e)
            if rewind is not None:
                rewind()
            time.sleep(self._get_sleep_secs(i))
        raise AssertionError("must not reach here")

    def open_reader(self, artifact_id: str) -> BinaryIO:
        return self._retry("open", artifact_id, lambda: self._backend.open_reader(artifact_id))

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        self._retry("write", artifact_id,
                    lambda: self._backend.write(artifact_id, content_body),
                    rewind=lambda: content_body.seek(0))

    def remove(self, artifact_id: str) -> None:
        self._retry("delete", artifact_id, lambda: self._backend.remove(artifact_id))
