"""Skip labels (SPEC 1) and the people-facing views over them."""
from __future__ import annotations

import duckdb

from seg_pipeline.warehouse.db import run_sql
from seg_pipeline.warehouse.interactions import SEGMENT_MS

PEOPLE_VIEWS = ("position_skip_rates", "video_skip_histogram")


def build_skip_labels(con: duckdb.DuckDBPyConnection) -> dict:
    """(Re)build skip_labels from interactions; returns a few summary numbers."""
    run_sql(con, "skip_labels", {"segment_ms": SEGMENT_MS})
    views, full, mean_target, mean_skip = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE full_watch), avg(target_slot), avg(skip_segment) "
        "FROM skip_labels"
    ).fetchall()[0]
    return {
        "views": views,
        "full_watches": full,
        "full_watch_share": (full / views) if views else 0.0,
        "mean_target_slot": float(mean_target or 0.0),
        "mean_skip_segment": float(mean_skip or 0.0),
    }


def build_people_view(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Create one of the views for people (always current: they read skip_labels when queried)."""
    if name not in PEOPLE_VIEWS:
        raise ValueError(f"unknown view {name}; expected one of {PEOPLE_VIEWS}")
    run_sql(con, name)
