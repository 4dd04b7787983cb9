"""One tiny real world for the downstream tests (test_apply_world.py, test_cli.py), built once per
test session: the demo world's real mp4 files and log run through the real Dagster assets into
DuckDB, then two tiny segment-interest models (`id`, `both`) trained by the real segment_interest_model
asset: checkpoints, MLflow runs in the SQLite store, rows in `trained_models`.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterInstance, materialize

from seg_pipeline.paths import DataLayout
from seg_pipeline.resources import DataHome, LogSource, MlflowTracking, RunSettings, VideoSource
from seg_pipeline.warehouse.db import connect

WORLD = {"size": "tiny", "n_videos": 8, "n_users": 6, "views_per_user": 15, "seed": 0}
MODALITIES = ("id", "both")
MODEL = {"d": 8, "layers": 1, "heads": 1, "r": 2, "epochs": 2, "batch_size": 256, "max_history_tokens": 16,
         "dropout": 0.0}
_CACHE: dict[str, "ApplyWorld"] = {}


@dataclass(frozen=True)
class ApplyWorld:
    layout: DataLayout
    checkpoints: dict  # modality -> Path
    run_ids: dict  # modality -> MLflow run id

    def resources(self, **overrides) -> dict:
        root = str(self.layout.root)
        return {"home": DataHome(root=root), "tracking": MlflowTracking(root=root), "log_source": LogSource(),
                "video_source": VideoSource(), "run_settings": RunSettings(device="cpu"), **overrides}


def _materialize_world(root: Path) -> None:
    from seg_pipeline.assets.demo.world import demo_world
    from seg_pipeline.assets.model.training import segment_interest_model
    from seg_pipeline.assets.videos.raw_videos import raw_videos
    from seg_pipeline.assets.videos.segment_embeddings import segment_embeddings
    from seg_pipeline.assets.videos.video_segments import video_segments
    from seg_pipeline.assets.warehouse.interactions import interactions
    from seg_pipeline.assets.warehouse.skip_labels import skip_labels
    from seg_pipeline.assets.warehouse.splits import splits
    from seg_pipeline.assets.warehouse.user_histories import user_histories

    root_s = str(root)
    resources = {"home": DataHome(root=root_s), "log_source": LogSource(), "video_source": VideoSource(),
                 "tracking": MlflowTracking(root=root_s), "run_settings": RunSettings(device="cpu")}
    result = materialize(
        [demo_world, raw_videos, video_segments, segment_embeddings, interactions, skip_labels, user_histories,
         splits, segment_interest_model],
        resources=resources,
        run_config={"ops": {"demo_world": {"config": WORLD},
                            "segment_interest_model": {"config": {"modalities": list(MODALITIES), **MODEL}}}},
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success


def _trained(layout: DataLayout) -> tuple[dict, dict]:
    with connect(layout.warehouse, read_only=True) as con:
        rows = con.execute("SELECT modality, checkpoint_path, mlflow_run_id FROM trained_models").fetchall()
    return {m: Path(p) for m, p, _ in rows}, {m: r for m, _, r in rows}


def apply_world(tmp_path_factory) -> ApplyWorld:
    """The session's world (built on first use)."""
    if "world" not in _CACHE:
        os.environ["HF_HUB_OFFLINE"] = "1"
        root = tmp_path_factory.mktemp("apply_world") / "home"
        _materialize_world(root)
        layout = DataLayout(root)
        checkpoints, run_ids = _trained(layout)
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
