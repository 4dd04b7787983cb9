"""Video assets: raw video files -> `videos` (+ `video_errors`) -> 5-s `segments`.

Thin wrappers over seg_pipeline.video; the warehouse is opened only to write each table. With
`video_source.video_dir: none` the visual tables are dropped and the pipeline runs on ids alone.
"""

import hashlib
import json
import time
from datetime import datetime, timezone

import duckdb
import pyarrow as pa
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

from seg_pipeline.assets.metadata import table_metadata
from seg_pipeline.errors import ConfigError
from seg_pipeline.resources import DataHome, VideoSource
from seg_pipeline.video import checks
from seg_pipeline.video.inventory import resolve_video_dir, take_inventory, videos_arrow
from seg_pipeline.video.rejections import write_stage_errors
from seg_pipeline.video.segments import check_frames_per_segment, plan_segments
from seg_pipeline.warehouse.db import connect, run_sql, table_exists

GROUP = "videos"
VIDEOS_OFF = "videos are off (video_source.video_dir = none): visual tables dropped, ids only"

# Fixed statements (no values): the visual tables disappear when videos are switched off.
_DROP = {
    "videos": "DROP TABLE IF EXISTS videos",
    "video_errors": "DROP TABLE IF EXISTS video_errors",
    "segments": "DROP TABLE IF EXISTS segments",
    "segment_embeddings": "DROP TABLE IF EXISTS segment_embeddings",
}


def drop_tables(con: duckdb.DuckDBPyConnection, *tables: str) -> list[str]:
    dropped = [t for t in tables if table_exists(con, t)]
    for table in tables:
        con.execute(_DROP[table])
    return dropped


def videos_off_result(home: DataHome, *tables: str) -> MaterializeResult:
    with connect(home.layout.warehouse) as con:
        dropped = drop_tables(con, *tables)
    return MaterializeResult(
        metadata={"videos_enabled": MetadataValue.bool(False), "note": MetadataValue.text(VIDEOS_OFF),
                  "dropped_tables": MetadataValue.json(dropped)},
        data_version=DataVersion("videos-off"),
    )


def content_version(*parts) -> DataVersion:
    """A data version from what the stage produced (not when), so unchanged inputs keep it."""
    payload = json.dumps(parts, sort_keys=True, default=str).encode()
    return DataVersion(hashlib.sha256(payload).hexdigest()[:24])


def markdown_rows(rows: list[dict], limit: int = 20) -> MetadataValue:
    if not rows:
        return MetadataValue.md("(none)")
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows[:limit]:
        lines.append("| " + " | ".join(str(row[c]).replace("|", "/")[:160] for c in columns) + " |")
    if len(rows) > limit:
        lines.append(f"\n... {len(rows) - limit} more rows in the warehouse table")
    return MetadataValue.md("\n".join(lines))


def check_result(out: dict) -> AssetCheckResult:
    return AssetCheckResult(passed=bool(out["passed"]),
                            metadata={k: v for k, v in out.items() if k != "passed" and v is not None})


# --------------------------------------------------------------------------- raw_videos


class RawVideosConfig(Config):
    """How files are probed; which folder and which durations are in scope is `video_source`."""

    decoder: str = "auto"  # "auto": decord, falling back to PyAV; or force "decord" / "pyav"
    recursive: bool = False  # also look in sub-folders
    truncation_tolerance_s: float = 0.5  # readable length may fall this far short of the declared one


@asset(
    deps=["demo_world"],
    group_name=GROUP,
    code_version="1",
    kinds={"duckdb"},
    description="Probe every video file (content hash, duration, fps, size, frames, decoder) into `videos`; "
    "unusable files into `video_errors` with the reason.",
)
def raw_videos(context: AssetExecutionContext, config: RawVideosConfig, home: DataHome,
               video_source: VideoSource) -> MaterializeResult:
    if not video_source.enabled:
        return videos_off_result(home, "videos", "video_errors", "segments", "segment_embeddings")
    layout = home.layout
    folder = resolve_video_dir(video_source.video_dir, layout.demo_videos_dir)
    if video_source.uses_demo and not folder.is_dir():
        raise ConfigError("video_source.video_dir", f"the demo world's videos are missing ({folder})",
                          "materialise demo_world first, or point video_dir at a folder of videos")
    inventory = take_inventory(folder, video_source.extensions, video_source.min_duration_s,
                               video_source.max_duration_s, config.decoder, config.recursive,
                               config.truncation_tolerance_s)
    recorded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    table = videos_arrow(inventory.videos)
    with connect(layout.warehouse) as con:
        con.register("probed_videos", table)
        try:
            run_sql(con, "videos", {"probed_at": recorded_at})
        finally:
            con.unregister("probed_videos")
        write_stage_errors(con, "raw_videos", inventory.rejections, recorded_at, context.run.run_id)
        tables = {**table_metadata(con, "videos"), **table_metadata(con, "video_errors", prefix="errors_")}

    seconds = max(inventory.seconds, 1e-9)
    decoders: dict[str, int] = {}
    for v in inventory.videos:
        decoders[v.info.decoder] = decoders.get(v.info.decoder, 0) + 1
    files = len(inventory.videos) + len(inventory.rejections)
    metadata = {
        "folder": MetadataValue.path(str(folder)),
        "files_examined": MetadataValue.int(files),
        "videos": MetadataValue.int(len(inventory.videos)),
        "rejected": MetadataValue.int(len(inventory.rejections)),
        "rejected_by_kind": MetadataValue.json(inventory.rejections_by_kind()),
        "rejections": markdown_rows([{"file": r.path.rsplit("/", 1)[-1], "kind": r.kind, "reason": r.reason}
                                     for r in inventory.rejections]),
        "ignored_non_video_files": MetadataValue.int(inventory.ignored_files),
        "decoders": MetadataValue.json(decoders),
        "total_video_hours": MetadataValue.float(round(sum(v.info.duration_s for v in inventory.videos) / 3600, 4)),
        "total_segments": MetadataValue.int(sum(v.n_segments for v in inventory.videos)),
        "seconds": MetadataValue.float(round(inventory.seconds, 3)),
        "videos_per_s": MetadataValue.float(round(files / seconds, 2)),
        "mb_per_s": MetadataValue.float(round(inventory.bytes_read / 1e6 / seconds, 2)),
        "videos_enabled": MetadataValue.bool(True),
        **tables,
    }
    version = content_version(table.to_pylist(),
                              [(r.path, r.kind) for r in inventory.rejections])
    return MaterializeResult(metadata=metadata, data_version=version)


# --------------------------------------------------------------------------- video_segments


class VideoSegmentsConfig(Config):
    """frames_per_segment: k frames per 5-s segment at the centres of k equal slices (1 = midpoint)."""

    frames_per_segment: int = 1


def plan_rows(videos: pa.Table, k: int) -> pa.Table:
    """One row per (video, segment) with its sampled frame indices."""
    columns: dict[str, list] = {"video_id": [], "segment_idx": [], "start_s": [], "end_s": [], "frame_indices": []}
    for video in videos.select(["video_id", "duration_ms", "fps", "n_frames"]).to_pylist():
        for seg in plan_segments(video["duration_ms"], video["fps"], video["n_frames"], k):
            columns["video_id"].append(video["video_id"])
            columns["segment_idx"].append(seg.segment_idx)
            columns["start_s"].append(seg.start_s)
            columns["end_s"].append(seg.end_s)
            columns["frame_indices"].append(list(seg.frame_indices))
    return pa.table({
        "video_id": pa.array(columns["video_id"], pa.string()),
        "segment_idx": pa.array(columns["segment_idx"], pa.int32()),
        "start_s": pa.array(columns["start_s"], pa.float64()),
        "end_s": pa.array(columns["end_s"], pa.float64()),
        "frame_indices": pa.array(columns["frame_indices"], pa.list_(pa.int32())),
    })


@asset(
    deps=[raw_videos],
    group_name=GROUP,
    code_version="1",
    kinds={"duckdb"},
    description="N = ceil(duration / 5 s) segments per video (SPEC 1) and the frame indices sampled for each.",
)
def video_segments(config: VideoSegmentsConfig, home: DataHome, video_source: VideoSource) -> MaterializeResult:
    k = check_frames_per_segment(config.frames_per_segment)
    if not video_source.enabled:
        return videos_off_result(home, "segments")
    started = time.perf_counter()
    with connect(home.layout.warehouse) as con:
        if not table_exists(con, "videos"):
            raise RuntimeError("table `videos` is missing: materialise raw_videos first")
        videos = con.table("videos").to_arrow_table()
        rows = plan_rows(videos, k)
        con.register("planned_segments", rows)
        try:
            run_sql(con, "segments", {"frames_per_segment": k})
        finally:
            con.unregister("planned_segments")
        tables = table_metadata(con, "segments")
    per_video = videos["n_segments"].to_pylist()
    metadata = {
        "videos": MetadataValue.int(videos.num_rows),
        "segments": MetadataValue.int(rows.num_rows),
        "frames_per_segment": MetadataValue.int(k),
        "sampled_frames": MetadataValue.int(rows.num_rows * k),
        "segments_per_video_min": MetadataValue.int(min(per_video, default=0)),
        "segments_per_video_mean": MetadataValue.float(round(sum(per_video) / max(len(per_video), 1), 3)),
        "segments_per_video_max": MetadataValue.int(max(per_video, default=0)),
        "seconds": MetadataValue.float(round(time.perf_counter() - started, 3)),
        **tables,
    }
    version = content_version(rows.to_pylist())
    return MaterializeResult(metadata=metadata, data_version=version)


@asset_check(asset=video_segments,
             description="Every video has N = ceil(duration/5 s) segments 0..N-1, each with k frames inside the video")
def every_video_has_n_segments(home: DataHome, video_source: VideoSource) -> AssetCheckResult:
    if not video_source.enabled:
        return AssetCheckResult(passed=True, metadata={"note": VIDEOS_OFF})
    with connect(home.layout.warehouse, read_only=True) as con:
        return check_result(checks.segments_per_video(con))
