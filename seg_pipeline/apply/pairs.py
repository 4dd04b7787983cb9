"""Model inputs for arbitrary (user, video) pairs, which need not be logged views.

The model package builds inputs for the views in `splits`; a downstream question ("how would user
U watch video V?") has no such row. This module builds the same `ViewInputs` arrays for it:

* target: the video's N segments (SPEC 1), the duration taken from `videos` (runs with files) or
  else from the log (`interactions`); segment vectors from `segment_embeddings`;
* history: from the same statement the training inputs use (sql/model_history_tokens.sql via
  seg_pipeline.model.inputs.load_history): a logged view keeps its own `user_histories` row, any
  other pair gets the history a view logged at `before_ms` would have had (`before_ms=None`:
  after every logged view). So a pair asked at a logged view's own time gets exactly the inputs
  the model scored that view with.

Ids map through the checkpoint's train vocabularies; an unknown user or video maps to the shared
out-of-vocabulary index, as in training, and each pair records what was missing so the output can
say so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import duckdb
import numpy as np

from seg_pipeline.model.inputs import (
    OOV_INDEX,
    SegmentVectors,
    ViewInputs,
    Vocab,
    history_requests,
    load_history,
    target_segment_rows,
)
from seg_pipeline.contract import MAX_SEGMENTS
from seg_pipeline.video.segments import n_segments as count_segments
from seg_pipeline.warehouse.db import run_sql, table_exists


@dataclass(frozen=True)
class PairRequest:
    """One question: user, video, and the moment it is asked (None = after the whole log)."""

    user_id: str
    video_id: str
    before_ms: Optional[int] = None
    view_id: Optional[int] = None  # a logged view (batch outputs): its own user_histories row is the history


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


def build_pair_inputs(
    con: duckdb.DuckDBPyConnection,
    requests: Sequence[PairRequest],
    videos: dict[str, VideoFacts],
    vocab: Vocab,
    max_history_tokens: int,
    vectors: Optional[SegmentVectors],
) -> tuple[ViewInputs, list[PairContext]]:
    """ViewInputs (one row per request, in order) and what each row was built from.

    Every request's video must be in `videos` (the caller rejects unknown ones first).
    """
    n = len(requests)
    facts = [videos[str(r.video_id)] for r in requests]
    n_segments = np.array([f.n_segments for f in facts], dtype=np.int64)
    if n and (n_segments.min() < 1 or n_segments.max() > MAX_SEGMENTS):
        raise ValueError(f"videos must have 1..{MAX_SEGMENTS} segments")
    user_ids = np.array([str(r.user_id) for r in requests], dtype=object)
    video_ids = np.array([str(r.video_id) for r in requests], dtype=object)
    user_idx, video_idx = vocab.user_index(user_ids), vocab.video_index(video_ids)
    user_views = _user_view_counts(con, user_ids)
    history = load_history(con, history_requests([r.view_id for r in requests], user_ids,
                                                 [r.before_ms for r in requests]),
                           max_history_tokens, vocab, vectors)
    seg_rows = target_segment_rows(vectors, video_ids, n_segments)
    real = np.arange(MAX_SEGMENTS)[None, :] < n_segments[:, None]
    has_vectors = ((seg_rows > 0) | ~real).all(axis=1)

    contexts = [PairContext(
        request=request, video=facts[i], user_views=user_views.get(str(request.user_id), 0),
        history_views=int(history.views[i]), history_tokens=int(history.length[i]),
        user_in_vocab=bool(user_idx[i] != OOV_INDEX), video_in_vocab=bool(video_idx[i] != OOV_INDEX),
        video_has_vectors=bool(has_vectors[i]) if vectors is not None else None,
    ) for i, request in enumerate(requests)]
    inputs = ViewInputs(
        view_ids=np.array([r.view_id if r.view_id is not None else -1 for r in requests], dtype=np.int64),
        user_ids=user_ids, video_ids=video_ids, split=np.array(["apply"] * n, dtype=object),
        cold_video=np.array([not c.video_in_vocab for c in contexts], dtype=bool),
        user_idx=user_idx, video_idx=video_idx, n_segments=n_segments,
        target_slot=n_segments.copy(),  # unused when scoring; the end slot is always a valid slot
        duration_ms=np.array([f.duration_ms for f in facts], dtype=np.int64),
        playing_time_ms=np.zeros(n, dtype=np.int64),
        hist_video_idx=history.video_idx, hist_pos=history.pos, hist_recency=history.recency,
        hist_len=history.length, hist_rows=history.rows, seg_rows=seg_rows, vocab=vocab, vectors=vectors,
        hist_left=history.left,
    )
    return inputs, contexts
