"""Rejected files: one row per file a stage could not use, kept in the `video_errors` table.

Each stage owns its own rows: re-running a stage replaces that stage's rejections and keeps the
others', so the table always says why every missing video is missing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from seg_pipeline.warehouse.db import run_sql, table_exists


@dataclass(frozen=True)
class Rejection:
    path: str
    video_id: str | None
    kind: str
    reason: str
    size_bytes: int | None


ERROR_SCHEMA = pa.schema([
    ("path", pa.string()), ("video_id", pa.string()), ("stage", pa.string()), ("kind", pa.string()),
    ("reason", pa.string()), ("size_bytes", pa.int64()), ("recorded_at", pa.timestamp("us")),
    ("run_id", pa.string()),
])


def errors_arrow(rejections: list[Rejection], stage: str, recorded_at: datetime, run_id: str) -> pa.Table:
    rows = [{"path": r.path, "video_id": r.video_id, "stage": stage, "kind": r.kind, "reason": r.reason,
             "size_bytes": r.size_bytes, "recorded_at": recorded_at, "run_id": run_id} for r in rejections]
    return pa.Table.from_pylist(rows, schema=ERROR_SCHEMA)


def count_by_kind(rejections: list[Rejection]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in rejections:
        counts[r.kind] = counts.get(r.kind, 0) + 1
    return dict(sorted(counts.items()))


def write_stage_errors(con: duckdb.DuckDBPyConnection, stage: str, rejections: list[Rejection],
                       recorded_at: datetime, run_id: str) -> None:
    """Replace `stage`'s rows of video_errors with `rejections`, keeping other stages' rows."""
    new = errors_arrow(rejections, stage, recorded_at, run_id)
    if table_exists(con, "video_errors"):
        old = con.table("video_errors").to_arrow_table()
        if set(ERROR_SCHEMA.names) <= set(old.column_names):
            old = old.select(ERROR_SCHEMA.names).cast(ERROR_SCHEMA)
            new = pa.concat_tables([old.filter(pc.not_equal(old["stage"], stage)), new])
    con.register("video_error_rows", new)
    try:
        run_sql(con, "video_errors")
    finally:
        con.unregister("video_error_rows")
