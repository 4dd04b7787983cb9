"""The visual tables: `videos` and `segments`, `segment_embeddings`, and `video_errors` beside them.

Each stage owns its rows of video_errors: re-running a stage replaces that stage's rejections and
keeps the others', so the table always says why every missing video is missing. A stage's table
and its error rows commit in one transaction. With videos switched off the tables are dropped.
"""
from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from seg_pipeline.features.cache import cache_schema
from seg_pipeline.video.inventory import KnownVideo
from seg_pipeline.video.rejections import ERROR_SCHEMA, Rejection, errors_arrow
from seg_pipeline.warehouse.db import table_exists, transaction, write_frame, write_frames

VISUAL_TABLES = ("videos", "video_errors", "segments", "segment_embeddings")

# Fixed statements (no values): identifiers cannot be bound parameters.
_DROP = {table: f"DROP TABLE IF EXISTS {table}" for table in VISUAL_TABLES}


def drop_tables(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> list[str]:
    """Drop the named visual tables; returns those that existed."""
    dropped = [t for t in tables if table_exists(con, t)]
    with transaction(con):
        for table in tables:
            con.execute(_DROP[table])
    return dropped


def read_required(con: duckdb.DuckDBPyConnection, table: str, made_by: str) -> pa.Table:
    """A whole visual table as Arrow, or an error naming the asset that makes it."""
    if not table_exists(con, table):
        raise RuntimeError(f"table `{table}` is missing: materialise {made_by} first")
    return con.table(table).to_arrow_table()


def _stage_errors(con: duckdb.DuckDBPyConnection, stage: str, rejections: list[Rejection],
                  recorded_at: datetime, run_id: str) -> pa.Table:
    """The video_errors rows after `stage` reports `rejections`: other stages' rows kept."""
    new = errors_arrow(rejections, stage, recorded_at, run_id)
    if table_exists(con, "video_errors"):
        old = con.table("video_errors").to_arrow_table()
        if set(ERROR_SCHEMA.names) <= set(old.column_names):
            old = old.select(ERROR_SCHEMA.names).cast(ERROR_SCHEMA)
            new = pa.concat_tables([old.filter(pc.not_equal(old["stage"], stage)), new])
    return new


def write_videos(con: duckdb.DuckDBPyConnection, videos: pa.Table, rejections: list[Rejection],
                 probed_at: datetime, run_id: str) -> None:
    """`videos` and the probe's rows of `video_errors`, together."""
    errors = _stage_errors(con, "raw_videos", rejections, probed_at, run_id)
    write_frames(con, [("videos", videos, {"probed_at": probed_at}), ("video_errors", errors, None)])


def write_segments(con: duckdb.DuckDBPyConnection, segments: pa.Table, frames_per_segment: int) -> None:
    write_frame(con, "segments", segments, {"frames_per_segment": int(frames_per_segment)})


def write_segment_embeddings(con: duckdb.DuckDBPyConnection, cache_files: list[str], dim: int,
                             rejections: list[Rejection], recorded_at: datetime, run_id: str) -> None:
    """`segment_embeddings` from the per-video cache files, and the stage's rows of `video_errors`."""
    errors = _stage_errors(con, "segment_embeddings", rejections, recorded_at, run_id)
    cached = ds.dataset(cache_files, schema=cache_schema(dim), format="parquet")
    write_frames(con, [("segment_embeddings", cached, None), ("video_errors", errors, None)])


def read_known_videos(con: duckdb.DuckDBPyConnection) -> dict[str, KnownVideo]:
    """video_id -> content hash and path of the previous run's `videos` rows (empty on a first run), so a
    new file with a taken stem never replaces a video already accepted."""
    if not table_exists(con, "videos"):
        return {}
    rows = con.execute("SELECT video_id, content_hash, path FROM videos").fetchall()
    return {video_id: KnownVideo(content_hash, path) for video_id, content_hash, path in rows}
