"""Model inputs for arbitrary (user, video) pairs, which need not be logged views.

The model package builds inputs only for views in `splits`; a downstream question ("how would
user U watch video V?") has no such row. This module builds the same `ViewInputs` arrays for it:

* target: the video's N = ceil(duration / 5 s) segments, the duration taken from `videos` (runs
  with files) or else from the log (`interactions`); segment vectors from `segment_embeddings`;
* history: the user's 20 (`history_length`) most recent logged views in `skip_labels` with time
  before `before_ms`, each contributing its viewed segments, oldest first, cut to the model's
  `max_history_tokens` most recent segments: the rule of `user_histories` and
  `sql/model_history_tokens.sql`. `before_ms=None` means "now": after every logged view. A request
  at a logged view's own time therefore gets exactly the inputs the model scored it with.

Ids map through the checkpoint's train vocabularies; an unknown user or video maps to the shared
out-of-vocabulary index, as in training, and each pair records what was missing so the output can
say so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import duckdb
import numpy as np
import pandas as pd

from seg_pipeline.evaluation.metrics import N_SEGMENTS_MAX
from seg_pipeline.model.inputs import OOV_INDEX, SegmentVectors, ViewInputs, Vocab
from seg_pipeline.video.segments import n_segments as count_segments
from seg_pipeline.warehouse.db import run_sql, table_exists
from seg_pipeline.warehouse.histories import DEFAULT_HISTORY_LENGTH


@dataclass(frozen=True)
class PairRequest:
    """One question: user, video, and the moment it is asked (None = after the whole log)."""

    user_id: str
    video_id: str
    before_ms: Optional[int] = None
    view_id: Optional[int] = None  # set when the pair is a logged view (batch outputs keep it)


@dataclass(frozen=True)
class VideoFacts:
    """What the warehouse knows about a video; path/fps/n_frames only when its file was probed."""

    video_id: str
    duration_ms: int
    n_segments: int
    source: str  # "videos" or "interactions"
    path: Optional[str] = None
    fps: Optional[float] = None
    n_frames: Optional[int] = None
    decoder: Optional[str] = None

    @property
    def duration_s(self) -> float:
        return self.duration_ms / 1000.0

    @property
    def has_file(self) -> bool:
        return self.path is not None


@dataclass
class PairContext:
    """What went into one pair's inputs, for the output and its notes."""

    request: PairRequest
    video: VideoFacts
    user_views: int  # logged views of the user in the whole warehouse
    history_views: int  # views in this request's history
    history_tokens: int
    user_in_vocab: bool
    video_in_vocab: bool
    video_has_vectors: Optional[bool]  # None when the model does not use vectors
    notes: list[str] = field(default_factory=list)

    @property
    def history_free(self) -> bool:
        """No history token reached the model: the cold-user fallback."""
        return self.history_tokens == 0


def load_video_facts(con: duckdb.DuckDBPyConnection, video_ids: Sequence[str]) -> dict[str, VideoFacts]:
    """Facts for each requested video the warehouse knows; unknown ids are simply absent."""
    ids = sorted({str(v) for v in video_ids})
    facts: dict[str, VideoFacts] = {}
    if table_exists(con, "interactions"):
        for video_id, duration_ms, _ in run_sql(con, "apply_video_durations", {"video_ids": ids}).fetchall():
            facts[video_id] = VideoFacts(video_id, int(duration_ms), count_segments(duration_ms), "interactions")
    if table_exists(con, "videos"):
        rows = run_sql(con, "apply_video_files", {"video_ids": ids}).fetchall()
        for video_id, duration_ms, n_seg, path, fps, n_frames, decoder in rows:
            facts[video_id] = VideoFacts(video_id, int(duration_ms), int(n_seg), "videos", str(path),
                                         float(fps), int(n_frames), str(decoder) if decoder else None)
    return facts


def _user_view_counts(con: duckdb.DuckDBPyConnection, user_ids: Sequence[str]) -> dict[str, int]:
    if not table_exists(con, "skip_labels"):
        return {}
    rows = run_sql(con, "apply_known_users", {"user_ids": sorted({str(u) for u in user_ids})}).fetchall()
    return {u: int(n) for u, n in rows}


def _histories(con: duckdb.DuckDBPyConnection, requests: Sequence[PairRequest], history_length: int) -> pd.DataFrame:
    """Rows (request_idx, view_id, video_id, watched_segments), oldest first within a request."""
    empty = pd.DataFrame({"request_idx": pd.Series([], dtype="int64"), "video_id": pd.Series([], dtype=object),
                          "watched_segments": pd.Series([], dtype="int64")})
    if not requests or history_length == 0 or not table_exists(con, "skip_labels"):
        return empty
    frame = pd.DataFrame({
        "request_idx": np.arange(len(requests), dtype=np.int64),
        "user_id": [str(r.user_id) for r in requests],
        "before_ms": pd.array([r.before_ms for r in requests], dtype="Int64"),
    })
    con.register("apply_requests", frame)
    try:
        return run_sql(con, "apply_user_history", {"history_length": int(history_length)}).df()
    finally:
        con.unregister("apply_requests")


def history_tokens(past_videos: Sequence[str], past_watched: Sequence[int], max_tokens: int) -> tuple[list[str], list[int]]:
    """(video, segment) tokens of past views given oldest first: every viewed segment (at most 40 per
    view), keeping the `max_tokens` most recent, oldest first."""
    videos: list[str] = []
    segments: list[int] = []
    for video, watched in zip(past_videos, past_watched):
        k = min(int(watched), N_SEGMENTS_MAX)
        videos.extend([str(video)] * k)
        segments.extend(range(k))
    if max_tokens <= 0:
        return [], []
    return videos[-max_tokens:], segments[-max_tokens:]


def history_left_flags(past_watched: Sequence[int], past_full_watch: Sequence[bool], max_tokens: int) -> list[int]:
    """Per history token (aligned with `history_tokens`), 1 where that earlier view ended without a full
    watch: the model's optional history leave flag, built exactly as sql/model_history_tokens.sql does."""
    flags: list[int] = []
    for watched, full in zip(past_watched, past_full_watch):
        k = min(int(watched), N_SEGMENTS_MAX)
        if k:
            flags.extend([0] * (k - 1) + [0 if bool(full) else 1])
    if max_tokens <= 0:
        return []
    return flags[-max_tokens:]


def build_pair_inputs(
    con: duckdb.DuckDBPyConnection,
    requests: Sequence[PairRequest],
    videos: dict[str, VideoFacts],
    vocab: Vocab,
    max_history_tokens: int,
    vectors: Optional[SegmentVectors],
    history_length: int = DEFAULT_HISTORY_LENGTH,
) -> tuple[ViewInputs, list[PairContext]]:
    """ViewInputs (one row per request, in order) and what each row was built from.

    Every request's video must be in `videos` (the caller rejects unknown ones first).
    """
    n = len(requests)
    user_views = _user_view_counts(con, [r.user_id for r in requests])
    hist = _histories(con, requests, history_length)
    by_request = {int(k): g for k, g in hist.groupby("request_idx", sort=False)} if len(hist) else {}

    m = max_history_tokens
    arrays = {name: np.zeros((n, m), dtype=np.int64) for name in ("hist_video_idx", "hist_pos", "hist_recency", "hist_rows", "hist_left")}
    hist_len = np.zeros(n, dtype=np.int64)
    seg_rows = np.zeros((n, N_SEGMENTS_MAX), dtype=np.int64)
    facts = [videos[str(r.video_id)] for r in requests]
    n_segments = np.array([f.n_segments for f in facts], dtype=np.int64)
    if n and (n_segments.min() < 1 or n_segments.max() > N_SEGMENTS_MAX):
        raise ValueError(f"videos must have 1..{N_SEGMENTS_MAX} segments")
    user_ids = np.array([str(r.user_id) for r in requests], dtype=object)
    video_ids = np.array([str(r.video_id) for r in requests], dtype=object)
    user_idx = vocab.user_index(user_ids)
    video_idx = vocab.video_index(video_ids)

    contexts = []
    for i, request in enumerate(requests):
        past = by_request.get(i)
        past_videos = past["video_id"].tolist() if past is not None else []
        past_watched = past["watched_segments"].tolist() if past is not None else []
        past_full = past["full_watch"].tolist() if past is not None else []
        tok_videos, tok_segments = history_tokens(past_videos, past_watched, m)
        k = len(tok_videos)
        hist_len[i] = k
        if k:
            arrays["hist_video_idx"][i, :k] = vocab.video_index(np.array(tok_videos, dtype=object))
            arrays["hist_pos"][i, :k] = tok_segments
            arrays["hist_recency"][i, :k] = np.arange(k - 1, -1, -1)
            arrays["hist_left"][i, :k] = history_left_flags(past_watched, past_full, m)
            if vectors is not None:
                arrays["hist_rows"][i, :k] = vectors.rows_for(np.array(tok_videos, dtype=object),
                                                              np.array(tok_segments, dtype=np.int64))
        has_vectors = None
        if vectors is not None:
            slots = np.arange(n_segments[i])
            rows = vectors.rows_for(np.array([request.video_id] * n_segments[i], dtype=object), slots)
            seg_rows[i, :n_segments[i]] = rows
            has_vectors = bool((rows > 0).all())
        contexts.append(PairContext(
            request=request, video=facts[i], user_views=user_views.get(str(request.user_id), 0),
            history_views=len(past_videos), history_tokens=k,
            user_in_vocab=bool(user_idx[i] != OOV_INDEX), video_in_vocab=bool(video_idx[i] != OOV_INDEX),
            video_has_vectors=has_vectors,
        ))

    inputs = ViewInputs(
        view_ids=np.array([r.view_id if r.view_id is not None else -1 for r in requests], dtype=np.int64),
        user_ids=user_ids, video_ids=video_ids, split=np.array(["apply"] * n, dtype=object),
        cold_video=np.array([not c.video_in_vocab for c in contexts], dtype=bool),
        user_idx=user_idx, video_idx=video_idx, n_segments=n_segments,
        target_slot=n_segments.copy(),  # unused when scoring; the end slot is always a valid slot
        duration_ms=np.array([f.duration_ms for f in facts], dtype=np.int64),
        playing_time_ms=np.zeros(n, dtype=np.int64),
        hist_video_idx=arrays["hist_video_idx"], hist_pos=arrays["hist_pos"],
        hist_recency=arrays["hist_recency"], hist_len=hist_len, hist_rows=arrays["hist_rows"],
        seg_rows=seg_rows, vocab=vocab, vectors=vectors, hist_left=arrays["hist_left"],
    )
    return inputs, contexts
