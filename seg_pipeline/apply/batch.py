"""Downstream outputs for a batch of logged views, as table rows (the assets' pure core).

A batch is the first `max_pairs` views of a split (by view_id); each pair is scored at its own
time, so its history is exactly the one the model was evaluated with (`sql/apply_user_history.sql`).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import duckdb
import pandas as pd

from seg_pipeline.apply.edits import EditRule, low_interest_spans
from seg_pipeline.apply.errors import ApplyError
from seg_pipeline.apply.pairs import PairRequest
from seg_pipeline.apply.scoring import PairScore, Rejected
from seg_pipeline.apply.thumbnails import choose_frame, write_thumbnail
from seg_pipeline.warehouse.db import run_sql

THUMBNAIL_COLUMNS = ["view_id", "user_id", "video_id", "segment_idx", "start_s", "end_s", "frame_index",
                     "time_s", "score", "path", "width", "height", "history_views", "fallback", "modality",
                     "mlflow_run_id"]
SUGGESTION_COLUMNS = ["view_id", "user_id", "video_id", "span_idx", "first_segment", "last_segment", "start_s",
                      "end_s", "seconds", "mean_score", "leave_probability", "n_segments", "duration_s",
                      "history_views", "fallback", "modality", "mlflow_run_id"]
REJECTED_COLUMNS = ["view_id", "user_id", "video_id", "reason"]


def batch_requests(con: duckdb.DuckDBPyConnection, split: str, max_pairs: int) -> list[PairRequest]:
    rows = run_sql(con, "apply_batch_views", {"split": split, "limit": int(max_pairs)}).fetchall()
    return [PairRequest(str(u), str(v), int(t), int(view_id)) for view_id, u, v, t in rows]


def safe_name(text: str) -> str:
    """A file-name-safe rendering of an id (ids come from logs and may hold anything)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", str(text))[:80] or "_"


def rejected_frame(rejected: Sequence[Rejected]) -> pd.DataFrame:
    return pd.DataFrame([(r.request.view_id, r.request.user_id, r.request.video_id, r.reason) for r in rejected],
                        columns=REJECTED_COLUMNS)


def make_thumbnails(scored: Sequence[PairScore], out_dir: Path, suffix: str = ".jpg") -> tuple[pd.DataFrame, list[Rejected]]:
    """Write one thumbnail per scored pair; pairs without a readable file are rejected, not lost."""
    rows, rejected = [], []
    for s in scored:
        request = s.context.request
        if not s.video.has_file:
            rejected.append(Rejected(request, f"video '{s.video_id}' has no readable file in `videos` "
                                              "(see video_errors): nothing to take a frame from"))
            continue
        choice = choose_frame(s.interest, s.video.duration_ms, s.video.fps, s.video.n_frames)
        name = f"{safe_name(s.user_id)}__{safe_name(s.video_id)}__{s.view_id}{suffix}"
        try:
            path = write_thumbnail(s.video.path, choice.frame_index, out_dir / name, s.video.decoder or "decord")
        except ApplyError as exc:
            rejected.append(Rejected(request, exc.problem))
            continue
        from PIL import Image

        with Image.open(path) as image:
            width, height = image.size
        start_s, end_s = s.segment_bounds()[choice.segment_idx]
        rows.append((s.view_id, s.user_id, s.video_id, choice.segment_idx, start_s, end_s, choice.frame_index,
                     choice.time_s, choice.score, str(path), width, height, s.context.history_views, s.fallback,
                     s.modality, s.mlflow_run_id))
    return pd.DataFrame(rows, columns=THUMBNAIL_COLUMNS), rejected


def make_suggestions(scored: Sequence[PairScore], rule: EditRule) -> pd.DataFrame:
    """One row per suggested span; pairs without a low-interest span contribute no row."""
    rows = []
    for s in scored:
        spans = low_interest_spans(s.interest, s.video.duration_s, rule, s.leave_probability[: s.n_segments])
        for k, span in enumerate(spans):
            rows.append((s.view_id, s.user_id, s.video_id, k, span.first_segment, span.last_segment, span.start_s,
                         span.end_s, span.seconds, span.mean_score, span.leave_probability, s.n_segments,
                         s.video.duration_s, s.context.history_views, s.fallback, s.modality, s.mlflow_run_id))
    return pd.DataFrame(rows, columns=SUGGESTION_COLUMNS)
