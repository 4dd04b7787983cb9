"""Small hand-made logs for the warehouse tests, and one call that builds every table."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable, Sequence

import duckdb

from seg_pipeline.contract import DEFAULT_HISTORY_LENGTH, MAX_SEGMENTS, SEGMENT_MS
from seg_pipeline.paths import DataLayout
from seg_pipeline.warehouse.histories import build_user_histories
from seg_pipeline.warehouse.interactions import build_interactions
from seg_pipeline.warehouse.labels import build_skip_labels
from seg_pipeline.warehouse.logs import resolve_log
from seg_pipeline.warehouse.splits import SplitSettings, build_splits

DEMO_HEADER = ("user_id", "video_id", "time_ms", "duration_ms", "playing_time_ms")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    return path


def build_tables(
    con: duckdb.DuckDBPyConnection,
    layout: DataLayout,
    path: Path,
    fmt: str = "demo",
    *,
    columns: dict | None = None,
    check_videos: bool = False,
    history_length: int = DEFAULT_HISTORY_LENGTH,
    split_settings: SplitSettings | None = None,
    upto: str = "splits",
):
    """Build the warehouse tables from a log file, stopping after `upto`; returns interaction counts."""
    spec = resolve_log(con, layout, str(path), fmt, columns)
    counts = build_interactions(con, spec, min_duration_ms=SEGMENT_MS, max_duration_ms=MAX_SEGMENTS * SEGMENT_MS,
                                check_videos=check_videos)
    if upto == "interactions":
        return counts
    build_skip_labels(con)
    if upto == "skip_labels":
        return counts
    build_user_histories(con, history_length)
    if upto == "user_histories":
        return counts
    build_splits(con, split_settings or SplitSettings())
    return counts
