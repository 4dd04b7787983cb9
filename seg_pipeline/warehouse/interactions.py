"""Validated interactions and the rows rejected on the way, cut from one per-row verdict.

Both tables come from the temporary table built by sql/interaction_validation.sql, so every input
row is accepted or rejected exactly once: accepted + rejected = input rows by construction. The
raw text log is only a temporary table (persisting 1.6 M rows of text costs more than the rest
of the build); what later checks need from it is kept: interaction_log (file, mapping, row count)
and source_labels (a label column the log carries, e.g. SegMM's label_1D). The four tables commit
in one transaction, so a reader never sees interactions of one log beside rejections of another.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from seg_pipeline.contract import SEGMENT_MS
from seg_pipeline.warehouse.db import run_sql, table_exists, transaction
from seg_pipeline.warehouse.logs import LogSpec, stage_log

REJECTION_REASONS = (
    "null_field",
    "non_numeric",
    "out_of_range",
    "negative_time",
    "duration_out_of_scope",
    "unknown_video",
    "duplicate",
)


@dataclass(frozen=True)
class InteractionCounts:
    input_rows: int
    accepted: int
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    checked_videos: bool = False

    @property
    def rejected(self) -> int:
        return sum(self.rejected_by_reason.values())

    def facts(self) -> dict:
        """Plain numbers for a person: rows in, accepted, rejected in total and per reason."""
        return {
            "input_rows": self.input_rows,
            "accepted": self.accepted,
            "rejected": self.rejected,
            **{f"rejected_{reason}": self.rejected_by_reason.get(reason, 0) for reason in REJECTION_REASONS},
            "checked_against_videos": self.checked_videos,
        }


def _prepare_known_videos(con: duckdb.DuckDBPyConnection, check_videos: bool) -> None:
    if check_videos:
        run_sql(con, "known_videos")
    else:
        # No video files in this run: an empty list that the validation never consults.
        con.execute("CREATE OR REPLACE TEMP TABLE known_videos (video_id VARCHAR)")


def build_interactions(
    con: duckdb.DuckDBPyConnection,
    spec: LogSpec,
    *,
    min_duration_ms: int,
    max_duration_ms: int,
    check_videos: bool,
) -> InteractionCounts:
    """Load the log and (re)build interactions, rejected_interactions, interaction_log, source_labels.

    check_videos: reject views of videos missing from the `videos` table; only meaningful when
    that table exists (runs on IDs alone have no video files to check against).
    """
    check_videos = bool(check_videos and table_exists(con, "videos"))
    input_rows = stage_log(con, spec)
    with transaction(con):
        run_sql(
            con,
            "interaction_log",
            {
                "path": str(spec.path),
                "format": spec.format,
                "file_kind": spec.kind,
                "column_mapping": json.dumps(spec.mapping),
            },
        )
        run_sql(con, "source_labels")
        _prepare_known_videos(con, check_videos)
        run_sql(
            con,
            "interaction_validation",
            {
                "min_duration_ms": int(min_duration_ms),
                "max_duration_ms": int(max_duration_ms),
                "check_videos": check_videos,
            },
        )
        run_sql(con, "interactions", {"segment_ms": SEGMENT_MS})
        run_sql(con, "rejected_interactions")
    for temporary in ("interaction_validation", "known_videos", "raw_interactions"):
        con.execute(f"DROP TABLE IF EXISTS temp.{temporary}")
    by_reason = dict(
        con.execute("SELECT reason, count(*) FROM rejected_interactions GROUP BY reason ORDER BY reason").fetchall()
    )
    accepted = con.execute("SELECT count(*) FROM interactions").fetchall()[0][0]
    return InteractionCounts(
        input_rows=input_rows, accepted=accepted, rejected_by_reason=by_reason, checked_videos=check_videos
    )


def rejection_examples(con: duckdb.DuckDBPyConnection, per_reason: int = 3, limit: int = 15) -> pd.DataFrame:
    """The first `per_reason` rejected rows of each reason (source_row, reason, detail), for people."""
    return con.execute(
        "SELECT source_row, reason, detail FROM rejected_interactions "
        "QUALIFY row_number() OVER (PARTITION BY reason ORDER BY source_row) <= $per_reason "
        "ORDER BY reason, source_row LIMIT $limit",
        {"per_reason": int(per_reason), "limit": int(limit)},
    ).df()
