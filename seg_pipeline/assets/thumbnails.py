"""Asset `user_thumbnails`: personalised thumbnails for a batch of (user, video) pairs.

A thin wrapper over seg_pipeline.apply: score the first `max_pairs` views of a split with the
latest trained segment-interest model, write each pair's best-segment frame under
$SEG_PIPELINE_HOME/outputs/thumbnails/, list them in `user_thumbnails` and the pairs that got none
in `user_thumbnails_rejected`. The batch config and scoring step are shared with
`editing_suggestions` (seg_pipeline/assets/editing.py).
"""

import hashlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    Config,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from seg_pipeline.apply.batch import batch_requests, make_thumbnails, rejected_frame
from seg_pipeline.apply.models import PREFERENCE, model_caveats
from seg_pipeline.apply.scoring import PairScore, Rejected, read_trained_models, score_requests
from seg_pipeline.apply.thumbnails import IMAGE_FORMATS
from seg_pipeline.assets.metadata import table_metadata
from seg_pipeline.errors import ConfigError
from seg_pipeline.resources import DataHome, VideoSource
from seg_pipeline.warehouse.db import connect, row_count, run_sql, table_exists

GROUP = "apply"
SPLITS = ("train", "valid", "test")


class ApplyBatchConfig(Config):
    """Which pairs and which model. split/max_pairs: the first max_pairs views of the split (by
    view_id), each scored with the history it had at its own time; modality: "auto" (both, else
    visual, else id: the first that was trained) or one of id / visual / both; history_length:
    past views per history (the pipeline's user_histories default, 20); device: where to score."""

    split: str = "test"
    max_pairs: int = 20
    modality: str = "auto"
    history_length: int = 20
    device: str = "cpu"

    def validate_batch(self, asset_name: str) -> None:
        field = f"ops.{asset_name}.config."
        if self.split not in SPLITS:
            raise ConfigError(field + "split", f"'{self.split}' is not a split", f"use one of {', '.join(SPLITS)}")
        if self.max_pairs < 0:
            raise ConfigError(field + "max_pairs", f"{self.max_pairs} is negative", "use 0 or more, e.g. 20")
        if self.modality not in ("auto", *PREFERENCE):
            raise ConfigError(field + "modality", f"'{self.modality}' is unknown", "use auto, both, visual or id")
        if self.history_length < 0:
            raise ConfigError(field + "history_length", f"{self.history_length} is negative",
                              "use the user_histories length (default 20)")


class UserThumbnailsConfig(ApplyBatchConfig):
    """image_format: "jpg" or "png"."""

    image_format: str = "jpg"


@dataclass
class BatchScores:
    """Scores of a batch, or why there are none (`note`)."""

    requested: int
    scored: list[PairScore]
    rejected: list[Rejected]
    note: Optional[str]
    modality: str = "none"
    mlflow_run_id: Optional[str] = None
    model_source: str = "none"
    seconds: float = 0.0
    caveats: tuple[str, ...] = ()


def score_batch(home: DataHome, config: ApplyBatchConfig) -> BatchScores:
    """Score the configured batch; no trained model or no views give an empty batch with a note."""
    layout = home.layout
    started = time.perf_counter()
    with connect(layout.warehouse, read_only=True) as con:
        trained = read_trained_models(con)
        requests = batch_requests(con, config.split, config.max_pairs) if table_exists(con, "splits") else []
    if trained.empty:
        return BatchScores(len(requests), [], [], "no trained segment-interest model (trained_models is empty)")
    if not requests:
        return BatchScores(0, [], [], f"no '{config.split}' views to work on")
    modality = None if config.modality == "auto" else config.modality
    scored, rejected, loaded = score_requests(layout, requests, modality=modality,
                                              history_length=config.history_length, device=config.device)
    return BatchScores(len(requests), scored, rejected, None, loaded.modality, loaded.ref.mlflow_run_id,
                       loaded.ref.source, time.perf_counter() - started, tuple(model_caveats(loaded)))


def write_tables(home: DataHome, table: str, rows: pd.DataFrame, rejected: pd.DataFrame,
                 params: Optional[dict] = None) -> dict:
    """Replace `table` and `<table>_rejected` from frames; returns their metadata."""
    with connect(home.layout.warehouse) as con:
        for name, frame, extra in ((table, rows, params or {}), (f"{table}_rejected", rejected, {})):
            con.register(f"{name}_input", frame)
            try:
                run_sql(con, name, extra)
            finally:
                con.unregister(f"{name}_input")
        return {**table_metadata(con, table), **table_metadata(con, f"{table}_rejected", prefix="rejected_")}


def content_version(*frames: pd.DataFrame) -> DataVersion:
    digest = hashlib.sha256()
    for frame in frames:
        digest.update(frame.round(9).to_csv(index=False).encode())
    return DataVersion(digest.hexdigest()[:16])


def batch_metadata(batch: BatchScores, config: ApplyBatchConfig) -> dict:
    history_free = sum(s.context.history_free for s in batch.scored)
    return {
        "split": MetadataValue.text(config.split),
        "pairs_requested": MetadataValue.int(batch.requested),
        "pairs_scored": MetadataValue.int(len(batch.scored)),
        "pairs_history_free": MetadataValue.int(history_free),
        "modality": MetadataValue.text(batch.modality),
        "model": MetadataValue.text(batch.model_source),
        "mlflow_run_id": MetadataValue.text(str(batch.mlflow_run_id)),
        "scoring_seconds": MetadataValue.float(round(batch.seconds, 3)),
        "model_caveats": MetadataValue.text(" ".join(batch.caveats) or "none"),
    }


def markdown(frame: pd.DataFrame, columns: list[str], limit: int = 10) -> MetadataValue:
    if frame.empty:
        return MetadataValue.md("(none)")
    return MetadataValue.md(frame[columns].head(limit).to_markdown(index=False, floatfmt=".3f"))


@asset(
    deps=["segment_interest_model", "video_segments", "user_histories", "splits"],
    group_name=GROUP,
    code_version="1",
    kinds={"pytorch", "duckdb"},
    description="Personalised thumbnails: for the first max_pairs views of a split, the middle frame of the "
    "segment the user is predicted to like most, as image files under outputs/thumbnails/ and the table "
    "user_thumbnails (pairs without one in user_thumbnails_rejected, with the reason).",
)
def user_thumbnails(context: AssetExecutionContext, config: UserThumbnailsConfig, home: DataHome,
                    video_source: VideoSource) -> MaterializeResult:
    config.validate_batch("user_thumbnails")
    suffix = "." + config.image_format.lower().lstrip(".")
    if suffix not in IMAGE_FORMATS:
        raise ConfigError("ops.user_thumbnails.config.image_format", f"'{config.image_format}' is not supported",
                          "use jpg or png")
    out_dir = home.layout.outputs_dir / "thumbnails"
    if out_dir.is_dir():  # stale images of an earlier batch would look like current output
        shutil.rmtree(out_dir)

    note = None
    with connect(home.layout.warehouse, read_only=True) as con:
        has_videos = table_exists(con, "videos")
    if not video_source.enabled or not has_videos:
        batch, note = BatchScores(0, [], [], None), "no videos in this run (video_source.video_dir is 'none' or " \
                                                    "no video was readable): no thumbnails written"
    else:
        batch = score_batch(home, config)
        note = batch.note
    for caveat in batch.caveats:
        context.log.warning(caveat)
    rows, rejected = make_thumbnails(batch.scored, out_dir, suffix)
    rejected = batch.rejected + rejected
    rejected_rows = rejected_frame(rejected)
    context.log.info(f"{len(rows)} thumbnails written to {out_dir}, {len(rejected)} pairs rejected"
                     + (f" ({note})" if note else ""))
    tables = write_tables(home, "user_thumbnails", rows, rejected_rows)
    metadata = {
        **tables,
        **batch_metadata(batch, config),
        "thumbnails_written": MetadataValue.int(len(rows)),
        "pairs_rejected": MetadataValue.int(len(rejected)),
        "rejections": markdown(rejected_rows, ["view_id", "video_id", "reason"]),
        "sample": markdown(rows, ["view_id", "user_id", "video_id", "segment_idx", "frame_index", "score"]),
        "thumbnail_dir": MetadataValue.path(str(out_dir)),
    }
    if note:
        metadata["note"] = MetadataValue.text(note)
    return MaterializeResult(metadata=metadata, data_version=content_version(rows.drop(columns="path"), rejected_rows))


@asset_check(asset=user_thumbnails, description="Every listed thumbnail file exists, is an image of its "
             "video's frame size, and shows a frame inside its segment.")
def user_thumbnail_files_match(home: DataHome) -> AssetCheckResult:
    from PIL import Image

    with connect(home.layout.warehouse, read_only=True) as con:
        if not table_exists(con, "videos"):  # a run without videos lists no thumbnail
            n = row_count(con, "user_thumbnails")
            return AssetCheckResult(passed=n == 0, metadata={"thumbnails": MetadataValue.int(n)})
        rows = run_sql(con, "checks/user_thumbnail_frames").df()
    problems = []
    for row in rows.itertuples():
        path = Path(row.path)
        if not path.is_file():
            problems.append(f"{path.name}: missing")
            continue
        with Image.open(path) as image:
            if (image.width, image.height) != (row.vw, row.vh):
                problems.append(f"{path.name}: {image.width}x{image.height}, video is {row.vw}x{row.vh}")
        shown_from, shown_to = row.frame_index / row.fps, (row.frame_index + 1) / row.fps
        if not (shown_from < row.end_s and shown_to > row.start_s):  # the frame is on screen in its segment
            problems.append(f"{path.name}: frame {row.frame_index} lies outside segment {row.segment_idx}")
    return AssetCheckResult(passed=not problems, metadata={
        "thumbnails": MetadataValue.int(len(rows)), "problems": MetadataValue.json(problems[:20])})
