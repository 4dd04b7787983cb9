"""One tiny real world for the downstream tests (test_apply_world.py, test_cli.py), built once per
test session: the demo world's real mp4 files and log run through the real Dagster assets into
DuckDB, then two tiny segment-interest models (`id`, `both`) trained on it, saved as checkpoints,
logged to the MLflow SQLite store and listed in `trained_models`, as segment_interest_model does.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterInstance, materialize

from seg_pipeline.paths import DataLayout
from seg_pipeline.resources import DataHome, LogSource, MlflowTracking, VideoSource
from seg_pipeline.warehouse.db import connect

WORLD = {"size": "tiny", "n_videos": 8, "n_users": 6, "views_per_user": 15, "seed": 0}
MODALITIES = ("id", "both")
_CACHE: dict[str, "ApplyWorld"] = {}


@dataclass(frozen=True)
class ApplyWorld:
    layout: DataLayout
    checkpoints: dict  # modality -> Path
    run_ids: dict  # modality -> MLflow run id

    def resources(self, **overrides) -> dict:
        root = str(self.layout.root)
        return {"home": DataHome(root=root), "tracking": MlflowTracking(root=root), "log_source": LogSource(),
                "video_source": VideoSource(), **overrides}


def _materialize_world(root: Path) -> None:
    from seg_pipeline.assets import demo_world as dw, embeddings as em, videos as vd, warehouse as wh

    resources = {"home": DataHome(root=str(root)), "log_source": LogSource(), "video_source": VideoSource()}
    result = materialize(
        [dw.demo_world, vd.raw_videos, vd.video_segments, em.segment_embeddings, wh.interactions, wh.skip_labels,
         wh.user_histories, wh.splits],
        resources=resources, run_config={"ops": {"demo_world": {"config": WORLD}}},
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success


def _train_models(layout: DataLayout) -> tuple[dict, dict]:
    import mlflow

    from seg_pipeline.model.checkpoint import save_checkpoint
    from seg_pipeline.model.config import ModelConfig
    from seg_pipeline.model.inputs import load_segment_vectors, load_view_inputs
    from seg_pipeline.model.train import train_model

    with connect(layout.warehouse) as con:
        vectors = load_segment_vectors(con)
        train = load_view_inputs(con, ["train"], 16, vectors=vectors)
        valid = load_view_inputs(con, ["valid"], 16, vocab=train.vocab, vectors=vectors)
    tracking = MlflowTracking(root=str(layout.root))
    checkpoints, run_ids = {}, {}
    for modality in MODALITIES:
        config = ModelConfig(modality=modality, d=8, layers=1, heads=1, r=2, epochs=2, batch_size=256,
                             max_history_tokens=16, device="cpu", dropout=0.0)
        result = train_model(config, train, valid)
        path = save_checkpoint(layout.root / "models" / modality / "best.pt", result.model,
                               train.vocab, vectors.dim, (vectors.model, vectors.weights))
        with tracking.start_run(f"segment_interest_{modality}",
                                tags={"stage": "segment_interest_model", "modality": modality}) as run:
            mlflow.log_param("modality", modality)
            mlflow.log_artifact(str(path), artifact_path="model")
        checkpoints[modality], run_ids[modality] = path, run.info.run_id
    with connect(layout.warehouse) as con:
        con.execute("CREATE OR REPLACE TABLE trained_models (modality VARCHAR, checkpoint_path VARCHAR, "
                    "mlflow_run_id VARCHAR)")
        for modality in MODALITIES:
            con.execute("INSERT INTO trained_models VALUES ($m, $p, $r)",
                        {"m": modality, "p": str(checkpoints[modality]), "r": run_ids[modality]})
    return checkpoints, run_ids


def apply_world(tmp_path_factory) -> ApplyWorld:
    """The session's world (built on first use)."""
    if "world" not in _CACHE:
        os.environ["HF_HUB_OFFLINE"] = "1"
        root = tmp_path_factory.mktemp("apply_world") / "home"
        _materialize_world(root)
        layout = DataLayout(root)
        checkpoints, run_ids = _train_models(layout)
        _CACHE["world"] = ApplyWorld(layout, checkpoints, run_ids)
    return _CACHE["world"]


def copy_without_models(world: ApplyWorld, root: Path, keep_mlflow: bool = False) -> DataLayout:
    """A new data root with the world's warehouse minus trained_models (and its MLflow store if asked)."""
    layout = DataLayout(root).ensure()
    shutil.copy(world.layout.warehouse, layout.warehouse)
    with connect(layout.warehouse) as con:
        con.execute("DROP TABLE trained_models")
    if keep_mlflow:
        shutil.copytree(world.layout.mlflow_dir, layout.mlflow_dir)
    return layout
