"""Invariants of the video tables as numbers (queries in sql/checks/); asset checks wrap these."""
from __future__ import annotations

import duckdb

from seg_pipeline.warehouse.db import run_sql, table_exists


def _one_row(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> dict:
    cursor = run_sql(con, f"checks/{name}", params)
    columns = [d[0] for d in cursor.description]
    return dict(zip(columns, cursor.fetchall()[0]))


def segments_per_video(con: duckdb.DuckDBPyConnection) -> dict:
    """passed: every video has N = ceil(duration/5 s) segments 0..N-1 with valid frame lists."""
    if not (table_exists(con, "videos") and table_exists(con, "segments")):
        return {"passed": False, "missing_tables": True}
    out = _one_row(con, "segments_per_video")
    out["passed"] = (out["videos_with_wrong_segments"] == 0 and out["segments_with_bad_frames"] == 0
                     and out["orphan_segments"] == 0)
    return out


def embedding_coverage(con: duckdb.DuckDBPyConnection) -> dict:
    """passed: one embedding per segment (videos rejected while embedding excepted), no orphans."""
    if not all(table_exists(con, t) for t in ("segments", "segment_embeddings", "video_errors")):
        return {"passed": False, "missing_tables": True}
    out = _one_row(con, "segment_embedding_coverage")
    out["passed"] = (out["segments_without_embedding"] == 0 and out["segments_with_several_embeddings"] == 0
                     and out["orphan_embeddings"] == 0)
    return out


def embedding_norms(con: duckdb.DuckDBPyConnection, tolerance: float = 1e-3) -> dict:
    """passed: every vector finite with |norm - 1| <= tolerance, all from one encoder."""
    if not table_exists(con, "segment_embeddings"):
        return {"passed": False, "missing_tables": True}
    out = _one_row(con, "segment_embedding_norms", {"tolerance": float(tolerance)})
    out["tolerance"] = tolerance
    out["passed"] = out["non_finite"] == 0 and out["off_unit_norm"] == 0 and out["encoders"] <= 1
    return out
