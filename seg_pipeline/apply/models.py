"""Which trained segment-interest model answers a downstream question, and loading it.

Three ways to name one, most explicit first:
* a checkpoint file (`--checkpoint`);
* an MLflow run id (`--run-id`): the checkpoint the warehouse's `trained_models` lists for that
  run, else the run's own `.pt` artifact fetched from the MLflow store;
* nothing: the latest trained model, i.e. the `trained_models` rows written by the last
  `segment_interest_model` run (ordered by their MLflow runs' start times when the store has
  them), choosing the modality asked for, or the first of both > visual > id that was trained.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pandas as pd

from seg_pipeline.apply.errors import ApplyError
from seg_pipeline.model.config import MODALITIES
from seg_pipeline.paths import DataLayout

PREFERENCE = ("both", "visual", "id")
DEFAULT_EXPERIMENT = "seg_pipeline"
TRAIN_HINT = ("materialise segment_interest_model (`dagster job execute -m seg_pipeline.definitions "
              "-j full_pipeline`), or pass --checkpoint PATH")


@dataclass(frozen=True)
class ModelRef:
    """A checkpoint file and where it came from (said in every output)."""

    checkpoint_path: Path
    modality: Optional[str]  # None until the checkpoint is read (explicit --checkpoint)
    mlflow_run_id: Optional[str]
    source: str


@dataclass
class LoadedModel:
    model: object  # seg_pipeline.model.network.SegmentInterestModel
    vocab: object  # seg_pipeline.model.inputs.Vocab
    meta: dict
    ref: ModelRef

    @property
    def modality(self) -> str:
        return self.model.config.modality

    @property
    def uses_vectors(self) -> bool:
        return self.modality in ("visual", "both")

    @property
    def uses_ids(self) -> bool:
        return self.modality in ("id", "both")


def check_modality(modality: Optional[str]) -> Optional[str]:
    if modality in (None, "", "auto"):
        return None
    if modality not in MODALITIES:
        raise ApplyError(f"unknown modality '{modality}'", f"use one of {', '.join(MODALITIES)} or auto")
    return modality


def _mlflow_client(layout: DataLayout):
    """A client on the data root's store, or None when no store was ever written (opening a
    SQLite URI would create an empty one)."""
    if not (layout.mlflow_dir / "mlflow.db").is_file():
        return None
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=layout.mlflow_tracking_uri)


def _start_times(client, run_ids: list[str]) -> dict[str, int]:
    from mlflow.exceptions import MlflowException

    times = {}
    for run_id in run_ids:
        try:
            times[run_id] = int(client.get_run(run_id).info.start_time or 0)
        except MlflowException:
            continue
    return times


def _checkpoint_artifacts(client, run_id: str, path: Optional[str] = None, depth: int = 3) -> list[str]:
    """Artifact paths of `.pt` files in a run, searched a few folders deep."""
    found = []
    for item in client.list_artifacts(run_id, path):
        if item.is_dir and depth > 0:
            found.extend(_checkpoint_artifacts(client, run_id, item.path, depth - 1))
        elif item.path.endswith(".pt"):
            found.append(item.path)
    return sorted(found)


def _from_run_artifacts(layout: DataLayout, run_id: str, modality: Optional[str]) -> ModelRef:
    client = _mlflow_client(layout)
    if client is None:
        raise ApplyError(f"no MLflow store at {layout.mlflow_dir / 'mlflow.db'} to look up run {run_id}",
                         "point --home at the data root of the run, or pass --checkpoint PATH")
    from mlflow.exceptions import MlflowException

    try:
        client.get_run(run_id)
    except MlflowException as exc:
        raise ApplyError(f"no MLflow run '{run_id}' in {layout.mlflow_tracking_uri}",
                         f"check the id (`mlflow ui --backend-store-uri {layout.mlflow_tracking_uri}`), "
                         "or omit --run-id to use the latest model") from exc
    artifacts = _checkpoint_artifacts(client, run_id)
    if modality is not None and len(artifacts) > 1:
        artifacts = [a for a in artifacts if modality in Path(a).stem] or artifacts
    if not artifacts:
        raise ApplyError(f"MLflow run '{run_id}' has no checkpoint artifact (.pt)",
                         "pass the run id of a segment_interest_model training run, or --checkpoint PATH")
    import mlflow

    target = Path(tempfile.mkdtemp(prefix="seg_pipeline_model_"))
    local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=artifacts[0], dst_path=str(target),
                                                tracking_uri=layout.mlflow_tracking_uri)
    return ModelRef(Path(local), modality, run_id, f"MLflow run {run_id} artifact {artifacts[0]}")


def resolve_model(
    layout: DataLayout,
    trained: pd.DataFrame,
    modality: Optional[str] = None,
    run_id: Optional[str] = None,
    checkpoint: Optional[str] = None,
) -> ModelRef:
    """The model to use. `trained` is the warehouse's trained_models table (possibly empty)."""
    modality = check_modality(modality)
    if checkpoint:
        path = Path(checkpoint).expanduser()
        if not path.is_file():
            raise ApplyError(f"checkpoint file {path} does not exist",
                             "pass a .pt file written by segment_interest_model, or omit --checkpoint")
        return ModelRef(path.resolve(), modality, None, f"checkpoint file {path}")

    rows = trained.copy() if trained is not None else pd.DataFrame(columns=["modality", "checkpoint_path", "mlflow_run_id"])
    if run_id:
        rows = rows[rows["mlflow_run_id"].astype(str) == str(run_id)]
        if rows.empty:
            return _from_run_artifacts(layout, run_id, modality)
    if rows.empty:
        raise ApplyError(f"no trained segment-interest model in {layout.root} (no trained_models rows)", TRAIN_HINT)

    available = [m for m in PREFERENCE if m in set(rows["modality"].astype(str))]
    chosen = modality or available[0]
    if chosen not in available:
        raise ApplyError(f"no '{chosen}' model was trained (trained: {', '.join(available)})",
                         f"use --modality {available[0]}, or train '{chosen}' in segment_interest_model")
    rows = rows[rows["modality"].astype(str) == chosen]
    client = _mlflow_client(layout) if len(rows) > 1 else None
    if client is not None:
        times = _start_times(client, rows["mlflow_run_id"].astype(str).tolist())
        rows = rows.assign(_t=rows["mlflow_run_id"].astype(str).map(times).fillna(0)).sort_values("_t", ascending=False)
    row = rows.iloc[0]
    path = Path(str(row["checkpoint_path"]))
    if not path.is_file():
        raise ApplyError(f"trained_models lists {path} for modality '{chosen}' but the file is missing",
                         "re-materialise segment_interest_model")
    run = None if pd.isna(row["mlflow_run_id"]) else str(row["mlflow_run_id"])
    how = f"MLflow run {run}" if run_id else f"latest trained '{chosen}' model (MLflow run {run})"
    return ModelRef(path, chosen, run, how)


def load_model_ref(ref: ModelRef, device: str = "cpu") -> LoadedModel:
    """Load the checkpoint; a modality asked for must match the one it was trained for."""
    from seg_pipeline.model.predict import load_model

    try:
        model, vocab, meta = load_model(ref.checkpoint_path, device)
    except (ValueError, KeyError, RuntimeError, OSError) as exc:
        raise ApplyError(f"could not load checkpoint {ref.checkpoint_path} ({exc})",
                         "re-materialise segment_interest_model to write a current checkpoint") from exc
    loaded = LoadedModel(model=model, vocab=vocab, meta=meta, ref=ref)
    if ref.modality is not None and ref.modality != loaded.modality:
        raise ApplyError(f"the checkpoint {ref.checkpoint_path.name} is a '{loaded.modality}' model, "
                         f"not '{ref.modality}'", f"use --modality {loaded.modality} or another checkpoint")
    return loaded
