"""Files that belong to a trial or a study -- a model, a plot, a checkpoint -- kept in
an artifact store and recorded on the trial, as Optuna's ``optuna.artifacts`` (the API
of Optuna 4; Optuna 3.1 has none):

    store = FileSystemArtifactStore("./artifacts")      # an existing directory

    def objective(trial):
        ...
        torch.save(model.state_dict(), "model.pt")
        upload_artifact(artifact_store=store, file_path="model.pt", study_or_trial=trial)
        return accuracy

    for meta in get_all_artifact_meta(study.best_trial):
        download_artifact(artifact_store=store, artifact_id=meta.artifact_id,
                          file_path=os.path.join("best", meta.filename))

The ``hpsearch`` command keeps files its trials write through its config's
``artifacts:`` key instead (docs/config.md). See docs/python.md.
"""
from . import exceptions
from ._meta import ArtifactMeta, download_artifact, get_all_artifact_meta, upload_artifact
from ._stores import Backoff, FileSystemArtifactStore

__all__ = ["ArtifactMeta", "FileSystemArtifactStore", "Backoff", "get_all_artifact_meta",
           "upload_artifact", "download_artifact", "exceptions"]
