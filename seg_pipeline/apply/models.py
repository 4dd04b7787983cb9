"""Which trained segment-interest model answers a downstream question, and loading it.

Ways to name one, most explicit first:
* a checkpoint file (`--checkpoint`);
* an MLflow run id (`--run-id`): the checkpoint the warehouse's `trained_models` lists for that
  run, else the run's own `.pt` artifact fetched from the MLflow store;
* nothing (default): the champion, `models:/segment_interest_<modality>@champion` in the MLflow
  model registry, of the modality asked for (default: the first of both > visual > id that
  `trained_models` lists); its checkpoint is that of the registered version's run, found as above;
* `--model latest` (run_id LATEST): the most recent finished MLflow run tagged
  stage=segment_interest_model of that modality (the behaviour before the registry).
Without a champion the latest run is used, and without an MLflow store the `trained_models` row.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pandas as pd

from seg_pipeline.apply.errors import ApplyError
from seg_pipeline.contract import MODALITIES, modality_parts
from seg_pipeline.paths import DataLayout

PREFERENCE = MODALITIES[::-1]  # "auto" takes the first trained of these: both, visual, id
MODEL_STAGE = "segment_interest_model"  # the tag segment_interest_model puts on its MLflow runs
LATEST = "latest"  # as a run id: the latest finished training run instead of the champion
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
        return "visual" in modality_parts(self.modality)

    @property
    def uses_ids(self) -> bool:
        return "id" in modality_parts(self.modality)


def model_caveats(loaded: LoadedModel) -> list[str]:
    """What a reader of thumbnails and edit suggestions must know about how the model was trained."""
    if loaded.model.config.loss == "intra_video":
        return ["trained with the intra-video loss (SPEC 3 eq. 8): a view that leaves in segment 0 adds no term "
                "and segment 0 only ever appears as a watched segment, so nothing pushes its interest down; "
                "thumbnails can lean to the first segment and cuts to the tail. Compare with loss: softmax or bce "
                "on the demo world: benchmarks/bench_apply.py --compare-losses"]
    return []


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
    return ModelRef(_local_artifact(client, layout, run_id, artifacts[0]), modality, run_id,
                    f"MLflow run {run_id} artifact {artifacts[0]}")


def _local_artifact(client, layout: DataLayout, run_id: str, artifact: str) -> Path:
    """The artifact file itself when the store is a local folder (the pipeline's), else a download."""
    uri = client.get_run(run_id).info.artifact_uri or ""
    if uri.startswith("file:"):
        from urllib.parse import unquote, urlparse

        local = Path(unquote(urlparse(uri).path)) / artifact
        if local.is_file():
            return local
    import mlflow

    target = Path(tempfile.mkdtemp(prefix="seg_pipeline_model_"))
    return Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=artifact, dst_path=str(target),
                                                    tracking_uri=layout.mlflow_tracking_uri))


def _latest_runs(layout: DataLayout) -> dict[str, str]:
    """modality -> id of its most recent finished segment_interest_model run in the MLflow store."""
    client = _mlflow_client(layout)
    if client is None:
        return {}
    experiments = [e.experiment_id for e in client.search_experiments()]
    if not experiments:
        return {}
    runs = client.search_runs(experiments, filter_string=f"tags.stage = '{MODEL_STAGE}' and "
                              "attributes.status = 'FINISHED'", order_by=["attributes.start_time DESC"],
                              max_results=500)
    latest: dict[str, str] = {}
    for run in runs:
        latest.setdefault(run.data.tags.get("modality", ""), run.info.run_id)
    return {m: r for m, r in latest.items() if m in MODALITIES}


def _champion(layout: DataLayout, modality: str) -> Optional[tuple[str, str]]:
    """(run id, version) of the registered champion of `modality`, or None."""
    client = _mlflow_client(layout)
    if client is None:
        return None
    from seg_pipeline.model.logged import champion_run

    return champion_run(client, modality)


def _listed_checkpoint(trained: pd.DataFrame, run_id: str) -> Optional[Path]:
    rows = trained[trained["mlflow_run_id"].astype(str) == str(run_id)]
    for path in rows["checkpoint_path"].astype(str):
        if Path(path).is_file():
            return Path(path)
    return None


def resolve_model(
    layout: DataLayout,
    trained: pd.DataFrame,
    modality: Optional[str] = None,
    run_id: Optional[str] = None,
    checkpoint: Optional[str] = None,
) -> ModelRef:
    """The model to use. `trained` is the warehouse's trained_models table (possibly empty).

    Default: the modality asked for, or the first of both > visual > id among the models the
    warehouse lists (those fit its current data), and of that modality the registered champion,
    else (or with run_id LATEST) the latest finished segment_interest_model run in MLflow;
    without an MLflow store, the warehouse's row.
    """
    modality = check_modality(modality)
    if checkpoint:
        path = Path(checkpoint).expanduser()
        if not path.is_file():
            raise ApplyError(f"checkpoint file {path} does not exist",
                             "pass a .pt file written by segment_interest_model, or omit --checkpoint")
        return ModelRef(path.resolve(), modality, None, f"checkpoint file {path}")

    if trained is None or trained.empty:
        trained = pd.DataFrame(columns=["modality", "checkpoint_path", "mlflow_run_id"])
    use_champion = run_id != LATEST
    run_id = None if run_id == LATEST else run_id
    if run_id:
        listed = _listed_checkpoint(trained, run_id)
        if listed is None:
            return _from_run_artifacts(layout, run_id, modality)
        kind = str(trained.loc[trained["mlflow_run_id"].astype(str) == str(run_id), "modality"].iloc[0])
        return ModelRef(listed, modality or kind, str(run_id), f"MLflow run {run_id}")

    runs = _latest_runs(layout)
    current = set(trained["modality"].astype(str))
    available = [m for m in PREFERENCE if m in (current or set(runs))]
    if not available:
        raise ApplyError(f"no trained segment-interest model in {layout.root} (no trained_models rows, no "
                         "finished segment_interest_model run in MLflow)", TRAIN_HINT)
    chosen = modality or available[0]
    if chosen not in current and chosen not in runs:
        raise ApplyError(f"no '{chosen}' model was trained (trained: {', '.join(available)})",
                         f"use --modality {available[0]}, or train '{chosen}' in segment_interest_model")
    champion = _champion(layout, chosen) if use_champion else None
    if champion is not None:
        run, version = champion
        where = f"champion models:/segment_interest_{chosen}@champion (version {version}, MLflow run {run})"
        path = _listed_checkpoint(trained, run)
        if path is not None:
            return ModelRef(path, chosen, run, where)
        ref = _from_run_artifacts(layout, run, chosen)
        return ModelRef(ref.checkpoint_path, chosen, run, f"{where}: {ref.source}")
    if chosen in runs:
        run = runs[chosen]
        path = _listed_checkpoint(trained, run)
        if path is not None:
            return ModelRef(path, chosen, run, f"latest '{chosen}' model: MLflow run {run}")
        ref = _from_run_artifacts(layout, run, chosen)
        return ModelRef(ref.checkpoint_path, chosen, run, f"latest '{chosen}' model: {ref.source}")
    row = trained[trained["modality"].astype(str) == chosen].iloc[0]
    path = Path(str(row["checkpoint_path"]))
    if not path.is_file():
        raise ApplyError(f"trained_models lists {path} for modality '{chosen}' but the file is missing",
                         "re-materialise segment_interest_model")
    run = None if pd.isna(row["mlflow_run_id"]) else str(row["mlflow_run_id"])
    return ModelRef(path, chosen, run, f"'{chosen}' model listed in trained_models (no MLflow store)")


def load_model_ref(ref: ModelRef, device: str = "cpu") -> LoadedModel:
    """Load the checkpoint; a modality asked for must match the one it was trained for."""
    from seg_pipeline.model.predict import load_model

    try:
        model, vocab, meta = load_model(ref.checkpoint_path, device)
    except (ValueError, KeyError, RuntimeError, OSError) as exc:
        detail = " ".join(str(exc).split())
        detail = detail if len(detail) <= 200 else detail[:200] + "..."
        raise ApplyError(f"could not load checkpoint {ref.checkpoint_path} ({type(exc).__name__}: {detail})",
                         "re-materialise segment_interest_model to write a checkpoint for the current code") from exc
    loaded = LoadedModel(model=model, vocab=vocab, meta=meta, ref=ref)
    if ref.modality is not None and ref.modality != loaded.modality:
        raise ApplyError(f"the checkpoint {ref.checkpoint_path.name} is a '{loaded.modality}' model, "
                         f"not '{ref.modality}'", f"use --modality {loaded.modality} or another checkpoint")
    return loaded
