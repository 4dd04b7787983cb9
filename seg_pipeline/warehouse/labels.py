"""Skip labels (SPEC 1) and the people-facing views over them."""
from __future__ import annotations

import duckdb
import pandas as pd

from seg_pipeline.contract import SEGMENT_MS
from seg_pipeline.warehouse.checks import check_row
from seg_pipeline.warehouse.db import run_sql

PEOPLE_VIEWS = ("position_skip_rates", "video_skip_histogram")


def build_skip_labels(con: duckdb.DuckDBPyConnection) -> dict:
    """(Re)build skip_labels from interactions; returns summary numbers, with how many of the labels
    the log itself carries (SegMM's label_1D) ours reproduce."""
    run_sql(con, "skip_labels", {"segment_ms": SEGMENT_MS})
    views, full, mean_target, mean_skip = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE full_watch), avg(target_slot), avg(skip_segment) "
        "FROM skip_labels"
    ).fetchall()[0]
    agreement = check_row(con, "skip_labels_source_label")
    return {
        "views": views,
        "full_watches": full,
        "full_watch_share": (full / views) if views else 0.0,
        "mean_target_slot": float(mean_target or 0.0),
        "mean_skip_segment": float(mean_skip or 0.0),
        "views_with_source_label": agreement["views_with_source_label"],
        "source_label_matches": agreement["matching"],
    }


def build_people_view(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Create one of the views for people (always current: they read skip_labels when queried)."""
    if name not in PEOPLE_VIEWS:
        raise ValueError(f"unknown view {name}; expected one of {PEOPLE_VIEWS}")
    run_sql(con, name)


def people_view_preview(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    """A few rows of one of the views, for a person to glance at."""
    return _PREVIEWS[name](con)


def _position_preview(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every position (at most MAX_SEGMENTS + 1 rows)."""
    return con.execute("SELECT * FROM position_skip_rates ORDER BY segment_idx").df()


def _histogram_preview(con: duckdb.DuckDBPyConnection, videos: int = 3) -> pd.DataFrame:
    """The histograms of the `videos` most viewed videos."""
    return con.execute(
        "SELECT h.* FROM video_skip_histogram h JOIN (SELECT video_id, sum(views) AS n "
        "FROM video_skip_histogram GROUP BY video_id ORDER BY n DESC, video_id LIMIT $videos) USING (video_id) "
        "ORDER BY video_id, target_slot",
        {"videos": int(videos)},
    ).df()


_PREVIEWS = {"position_skip_rates": _position_preview, "video_skip_histogram": _histogram_preview}


def distinct_videos(con: duckdb.DuckDBPyConnection) -> int:
    """How many videos video_skip_histogram covers."""
    return con.execute("SELECT count(DISTINCT video_id) FROM video_skip_histogram").fetchall()[0][0]
