"""Validated interactions and the rows rejected on the way, cut from one per-row verdict.

Both tables come from the temporary table built by sql/interaction_validation.sql, so every input
row is accepted or rejected exactly once: accepted + rejected = input rows by construction. The
raw text log is only a temporary table (persisting 1.6 M rows of text costs more than the rest
of the build); what later checks need from it is kept: interaction_log (file, mapping, row count)
and source_labels (a label column the log carries, e.g. SegMM's label_1D). The four tables commit
in one transaction (with interaction_id_collisions), so a reader never sees interactions of one log
beside rejections of another.
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
    "malformed_line",
    "invalid_encoding",
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
    id_collisions: dict[str, int] = field(default_factory=dict)  # id column -> numbers spelled several ways
    id_collision_rows: int = 0
    normalized_ids: bool = False

    @property
    def rejected(self) -> int:
        return sum(self.rejected_by_reason.values())

    def nothing_accepted(self) -> str | None:
        """Why no row was accepted, with the reason counts, or None when some were."""
        if self.accepted:
            return None
        if not self.input_rows:
            return "the log has no rows (a header only, or an empty file)"
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(self.rejected_by_reason.items(),
                                                                   key=lambda kv: -kv[1]))
        return f"all {self.input_rows} rows of the log were rejected ({reasons})"

    def facts(self) -> dict:
        """Plain numbers for a person: rows in, accepted, rejected in total and per reason."""
        return {
            "input_rows": self.input_rows,
            "accepted": self.accepted,
            "rejected": self.rejected,
            **{f"rejected_{reason}": self.rejected_by_reason.get(reason, 0) for reason in REJECTION_REASONS},
            "checked_against_videos": self.checked_videos,
            "numeric_id_collisions": {c: self.id_collisions.get(c, 0) for c in ("user_id", "video_id")},
            "rows_with_colliding_numeric_ids": self.id_collision_rows,
            "normalize_numeric_ids": self.normalized_ids,
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
    normalize_numeric_ids: bool = False,
) -> InteractionCounts:
    """Load the log and (re)build interactions, rejected_interactions, interaction_log, source_labels
    and interaction_id_collisions, all in one transaction.

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
                "normalize_numeric_ids": bool(normalize_numeric_ids),
            },
        )
        run_sql(con, "interactions", {"segment_ms": SEGMENT_MS})
        run_sql(con, "rejected_interactions")
        run_sql(con, "interaction_id_collisions")
    for temporary in ("interaction_validation", "known_videos", "raw_interactions"):
        con.execute(f"DROP TABLE IF EXISTS temp.{temporary}")
    by_reason = dict(
        con.execute("SELECT reason, count(*) FROM rejected_interactions GROUP BY reason ORDER BY reason").fetchall()
    )
    accepted = con.execute("SELECT count(*) FROM interactions").fetchall()[0][0]
    collisions = dict(con.execute("SELECT id_column, count(*) FROM interaction_id_collisions GROUP BY 1").fetchall())
    collision_rows = con.execute("SELECT coalesce(sum(rows), 0) FROM interaction_id_collisions").fetchall()[0][0]
    return InteractionCounts(
        input_rows=input_rows, accepted=accepted, rejected_by_reason=by_reason, checked_videos=check_videos,
        id_collisions=collisions, id_collision_rows=int(collision_rows), normalized_ids=bool(normalize_numeric_ids),
    )


def rejection_examples(con: duckdb.DuckDBPyConnection, per_reason: int = 3, limit: int = 15) -> pd.DataFrame:
    """The first `per_reason` rejected rows of each reason (source_row, line, reason, detail), for people."""
    return con.execute(
        "SELECT source_row, line, reason, detail FROM rejected_interactions "
        "QUALIFY row_number() OVER (PARTITION BY reason ORDER BY source_row) <= $per_reason "
        "ORDER BY reason, source_row LIMIT $limit",
        {"per_reason": int(per_reason), "limit": int(limit)},
    ).df()


def id_collision_examples(con: duckdb.DuckDBPyConnection, limit: int = 10) -> pd.DataFrame:
    """The ids most used among those spelled as the same number several ways, for people."""
    return con.execute(
        "SELECT id_column, numeric_id, array_to_string(spellings, ' / ') AS spellings, rows "
        "FROM interaction_id_collisions ORDER BY rows DESC, id_column, numeric_id LIMIT $limit",
        {"limit": int(limit)},
    ).df()
