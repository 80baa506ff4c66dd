"""Uploading, listing and downloading artifacts: a trial's or study's artifacts are
recorded in its system attributes, ``artifacts:<id>`` -> the JSON text of an
:class:`ArtifactMeta`, as Optuna records them."""
import json
import mimetypes
import os
import shutil
import uuid
from dataclasses import asdict, dataclass
from typing import Any, List, Optional

from ..study import Study, _positional_compat
from ..trial import FrozenTrial, Trial

__all__ = ["ArtifactMeta", "upload_artifact", "download_artifact", "get_all_artifact_meta"]

ARTIFACTS_ATTR_PREFIX = "artifacts:"
DEFAULT_MIME_TYPE = "application/octet-stream"


@dataclass
class ArtifactMeta:
    """What is recorded of an artifact: its id in the store, the uploaded file's name,
    its MIME type and its encoding (e.g. gzip, or None)."""

    artifact_id: str
    filename: str
    mimetype: str
    encoding: Optional[str]


def _frozen_refused() -> NotImplementedError:
    return NotImplementedError(
        "hpsearch records artifacts through the live Trial (upload from the objective) or "
        "the Study; the stored attributes of a FrozenTrial cannot be written")


@_positional_compat(["study_or_trial", "file_path", "artifact_store"])
def upload_artifact(*, artifact_store: Any, file_path: str, study_or_trial: Any,
                    storage: Any = None, mimetype: Optional[str] = None,
                    encoding: Optional[str] = None) -> str:
    """Copies `file_path` into `artifact_store` and records it on `study_or_trial` (a
    running Trial, or a Study). Returns the new artifact's id.

    The MIME type and encoding are guessed from the file name unless given. A
    FrozenTrial raises NotImplementedError: upload from the objective, with the Trial.
    """
    if isinstance(study_or_trial, FrozenTrial):
        if storage is None:
            raise ValueError("storage is required for FrozenTrial.")
        raise _frozen_refused()
    if not isinstance(study_or_trial, (Trial, Study)):
        raise TypeError("study_or_trial must be a Trial or a Study, not "
                        f"{type(study_or_trial).__name__}")
    filename = os.path.basename(file_path)
    artifact_id = str(uuid.uuid4())
    guess_mimetype, guess_encoding = mimetypes.guess_type(filename)
    meta = ArtifactMeta(artifact_id=artifact_id, filename=filename,
                        mimetype=mimetype or guess_mimetype or DEFAULT_MIME_TYPE,
                        encoding=encoding or guess_encoding)
    # the file first: a record must never name an artifact the store does not have
    with open(file_path, "rb") as f:
        artifact_store.write(artifact_id, f)
    study_or_trial._set_system_attr(ARTIFACTS_ATTR_PREFIX + artifact_id,
                                    json.dumps(asdict(meta)))
    return artifact_id


def get_all_artifact_meta(study_or_trial: Any, *, storage: Any = None) -> List[ArtifactMeta]:
    """The artifacts recorded on a Trial, a FrozenTrial or a Study (a study's own, not
    its trials'), in the order they were uploaded. `storage` is accepted for Optuna's
    sake; a FrozenTrial carries its attributes, so hpsearch does not need it."""
    if isinstance(study_or_trial, Study):
        attrs = study_or_trial._system_attrs()
    elif isinstance(study_or_trial, (Trial, FrozenTrial)):
        attrs = study_or_trial.system_attrs
    else:
        raise TypeError("study_or_trial must be a Trial, a FrozenTrial or a Study, not "
                        f"{type(study_or_trial).__name__}")
    metas = []
    for key, text in attrs.items():
        if not key.startswith(ARTIFACTS_ATTR_PREFIX):
            continue
        content = json.loads(text)
        metas.append(ArtifactMeta(artifact_id=content["artifact_id"],
                                  filename=content["filename"],
                                  mimetype=content["mimetype"],
                                  encoding=content["encoding"]))
    return metas


def download_artifact(*, artifact_store: Any, file_path: str, artifact_id: str) -> None:
    """Copies artifact `artifact_id` from the store to `file_path`, which must not exist
    (FileExistsError)."""
    if os.path.exists(file_path):
        raise FileExistsError(f"File already exists: {file_path}")
    with artifact_store.open_reader(artifact_id) as reader, open(file_path, "wb") as writer:
        shutil.copyfileobj(reader, writer)
