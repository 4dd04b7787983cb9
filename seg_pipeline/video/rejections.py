"""Rejected files: one row per file a stage could not use, as the `video_errors` table holds them
(warehouse.video_tables writes them, keeping other stages' rows).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa


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
