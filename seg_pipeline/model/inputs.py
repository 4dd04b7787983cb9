"""Model inputs from the warehouse: per-view arrays built with DuckDB and numpy, no per-token loop.

Every view becomes fixed-size integer arrays (ids, positions, rows into one flat matrix of segment
vectors) so a batch is a handful of gathers. Ids map through vocabularies built from *train* views
only; anything else (a cold video, a user first seen in test) maps to one shared OOV index, so the
`id` model cannot memorise videos it should not know.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import duckdb
import numpy as np
import pandas as pd

from seg_pipeline.evaluation.metrics import N_SEGMENTS_MAX
from seg_pipeline.warehouse.db import run_sql, sql_text, table_exists

PAD_INDEX = 0
OOV_INDEX = 1
SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class Vocab:
    """Id -> index maps learnt from train views (0 = padding, 1 = out of vocabulary)."""

    users: tuple[str, ...]
    videos: tuple[str, ...]

    @property
    def n_users(self) -> int:
        return len(self.users) + 2

    @property
    def n_videos(self) -> int:
        return len(self.videos) + 2

    @staticmethod
    def _lookup(known: Sequence[str], ids: np.ndarray) -> np.ndarray:
        found = pd.Index(known).get_indexer(pd.Index(np.asarray(ids, dtype=object)))
        return np.where(found < 0, OOV_INDEX, found + 2).astype(np.int64)

    def user_index(self, ids: np.ndarray) -> np.ndarray:
        return self._lookup(self.users, ids)

    def video_index(self, ids: np.ndarray) -> np.ndarray:
        return self._lookup(self.videos, ids)

    @classmethod
    def from_train(cls, user_ids: np.ndarray, video_ids: np.ndarray) -> "Vocab":
        return cls(users=tuple(sorted(set(map(str, user_ids)))),
                   videos=tuple(sorted(set(map(str, video_ids)))))


@dataclass(frozen=True)
class SegmentVectors:
    """All segment embeddings as one matrix; row 0 is a zero vector used for padding and gaps.

    A video's segment i lives at row `base[video] + i`; `count[video]` rows exist for it.
    """

    matrix: np.ndarray  # float32 (rows, dim), L2-normalised rows (row 0 zero)
    video_ids: pd.Index
    base: np.ndarray  # int64 per video
    count: np.ndarray  # int64 per video
    model: str
    weights: str

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    def rows_for(self, video_ids: np.ndarray, segment_idx: np.ndarray) -> np.ndarray:
        """Row of each (video, segment), 0 when the video or that segment has no vector.

        `segment_idx` may carry extra trailing axes (e.g. (n, 40) for n videos).
        """
        which = self.video_ids.get_indexer(pd.Index(np.asarray(video_ids, dtype=object)))
        segment_idx = np.asarray(segment_idx, dtype=np.int64)
        which = which.reshape(which.shape + (1,) * (segment_idx.ndim - which.ndim))
        known = which >= 0
        safe = np.where(known, which, 0)
        inside = known & (segment_idx < self.count[safe]) & (segment_idx >= 0)
        return np.where(inside, self.base[safe] + segment_idx, 0).astype(np.int64)


@dataclass
class ViewInputs:
    """Fixed-size arrays for n views; history tokens are left-aligned, padded with index 0."""

    view_ids: np.ndarray
    user_ids: np.ndarray
    video_ids: np.ndarray
    split: np.ndarray
    cold_video: np.ndarray
    user_idx: np.ndarray
    video_idx: np.ndarray
    n_segments: np.ndarray
    target_slot: np.ndarray
    duration_ms: np.ndarray
    playing_time_ms: np.ndarray
    hist_video_idx: np.ndarray  # (n, M) vocabulary index of each token's video
    hist_pos: np.ndarray  # (n, M) segment index of each token
    hist_recency: np.ndarray  # (n, M) 0 = the segment seen last
    hist_len: np.ndarray  # (n,)
    hist_rows: np.ndarray  # (n, M) rows into vectors.matrix (0 = none)
    seg_rows: np.ndarray  # (n, N_SEGMENTS_MAX) rows of the target video's segments (0 = none)
    vocab: Vocab
    vectors: Optional[SegmentVectors] = None
    notes: dict = field(default_factory=dict)
    hist_left: Optional[np.ndarray] = None  # (n, M) 1 where that earlier view ended (not a full watch)

    def __len__(self) -> int:
        return int(self.view_ids.shape[0])

    def subset(self, mask: np.ndarray) -> "ViewInputs":
        """The views selected by a boolean mask or index array (vectors and vocab shared)."""
        per_view = {
            name: getattr(self, name)[mask]
            for name in (
                "view_ids", "user_ids", "video_ids", "split", "cold_video", "user_idx", "video_idx",
                "n_segments", "target_slot", "duration_ms", "playing_time_ms", "hist_video_idx",
                "hist_pos", "hist_recency", "hist_len", "hist_rows", "seg_rows",
            )
        }
        hist_left = self.hist_left[mask] if self.hist_left is not None else None
        return ViewInputs(**per_view, vocab=self.vocab, vectors=self.vectors, notes=dict(self.notes),
                          hist_left=hist_left)


def load_segment_vectors(con: duckdb.DuckDBPyConnection) -> Optional[SegmentVectors]:
    """The segment_embeddings table packed into one matrix, or None when the table is absent."""
    if not table_exists(con, "segment_embeddings"):
        return None
    # A fresh cursor: the relation API refuses a connection with an unfinished execute() result.
    table = con.cursor().sql(sql_text("model_segment_vectors")).to_arrow_table()
    if table.num_rows == 0:
        return None
    encoders = {(m, w) for m, w in zip(table.column("model").to_pylist(), table.column("weights").to_pylist())}
    if len(encoders) != 1:
        raise ValueError(f"segment_embeddings mixes encoders {sorted(encoders)}; rebuild it with one encoder")
    (model, weights), = encoders
    flat = table.column("embedding").combine_chunks().flatten().to_numpy(zero_copy_only=False)
    vectors = np.asarray(flat, dtype=np.float32).reshape(table.num_rows, -1)
    # CLIP vectors are compared by direction; re-normalising guards against L1-scaled inputs (SPEC 7).
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms > 0, norms, 1.0)

    codes, uniques = pd.factorize(np.asarray(table.column("video_id").to_pylist(), dtype=object))
    segment_idx = table.column("segment_idx").to_numpy().astype(np.int64)
    count = np.zeros(len(uniques), dtype=np.int64)
    np.maximum.at(count, codes, np.minimum(segment_idx, N_SEGMENTS_MAX - 1) + 1)
    base = 1 + np.concatenate([[0], np.cumsum(count)[:-1]])
    matrix = np.zeros((1 + int(count.sum()), vectors.shape[1]), dtype=np.float32)
    keep = segment_idx < N_SEGMENTS_MAX
    matrix[base[codes[keep]] + segment_idx[keep]] = vectors[keep]
    return SegmentVectors(matrix=matrix, video_ids=pd.Index(uniques), base=base, count=count,
                          model=str(model), weights=str(weights))


def _history_tokens(con, splits: Sequence[str], max_tokens: int) -> dict[str, np.ndarray]:
    if max_tokens == 0 or not table_exists(con, "user_histories"):
        empty = np.zeros(0, dtype=np.int64)
        return {"view_id": empty, "video_id": np.zeros(0, dtype=object), "segment_idx": empty,
                "left_here": np.zeros(0, dtype=bool), "recency": empty, "token_idx": empty}
    cols = run_sql(con, "model_history_tokens", {"splits": list(splits), "max_tokens": max_tokens}).fetchnumpy()
    return {k: np.asarray(v) for k, v in cols.items()}


def load_view_inputs(
    con: duckdb.DuckDBPyConnection,
    splits: Sequence[str] = SPLITS,
    max_history_tokens: int = 64,
    vocab: Optional[Vocab] = None,
    vectors: Optional[SegmentVectors] = None,
    use_vectors: bool = True,
    view_ids: Optional[np.ndarray] = None,
) -> ViewInputs:
    """Arrays for every view in `splits` (optionally only `view_ids`).

    Without `vocab` the vocabularies are built from the train views, which must then be among
    the requested splits. Segment vectors are read from `segment_embeddings` when `use_vectors`
    and the table exists.
    """
    cols = run_sql(con, "model_views", {"splits": list(splits)}).fetchnumpy()
    cols = {k: np.asarray(v) for k, v in cols.items()}
    if view_ids is not None:
        keep = np.isin(cols["view_id"], np.asarray(view_ids, dtype=np.int64))
        cols = {k: v[keep] for k, v in cols.items()}
    n = cols["view_id"].shape[0]
    n_segments = cols["n_segments"].astype(np.int64)
    target = cols["target_slot"].astype(np.int64)
    if n and (n_segments.min() < 1 or n_segments.max() > N_SEGMENTS_MAX):
        raise ValueError(f"skip_labels has n_segments outside 1..{N_SEGMENTS_MAX}; "
                         "out-of-scope videos must be rejected upstream")
    if n and ((target < 0) | (target > n_segments)).any():
        raise ValueError("skip_labels has a target_slot outside 0..n_segments")

    user_ids = cols["user_id"].astype(object)
    video_ids = cols["video_id"].astype(object)
    split = cols["split"].astype(object)
    if vocab is None:
        train = split == "train"
        if not train.any():
            raise ValueError("no train views to build the id vocabularies from; include 'train' in splits")
        vocab = Vocab.from_train(user_ids[train], video_ids[train])

    if use_vectors and vectors is None:
        vectors = load_segment_vectors(con)
    if not use_vectors:
        vectors = None

    m = max_history_tokens
    hist_video_idx = np.zeros((n, m), dtype=np.int64)
    hist_pos = np.zeros((n, m), dtype=np.int64)
    hist_recency = np.zeros((n, m), dtype=np.int64)
    hist_rows = np.zeros((n, m), dtype=np.int64)
    hist_left = np.zeros((n, m), dtype=np.int64)
    hist_len = np.zeros(n, dtype=np.int64)
    tokens = _history_tokens(con, splits, m)
    row_of_view = pd.Index(cols["view_id"]).get_indexer(tokens["view_id"])
    present = row_of_view >= 0
    r = row_of_view[present]
    t = tokens["token_idx"][present].astype(np.int64)
    token_videos = tokens["video_id"][present].astype(object)
    token_segments = tokens["segment_idx"][present].astype(np.int64)
    hist_video_idx[r, t] = vocab.video_index(token_videos)
    hist_pos[r, t] = token_segments
    hist_recency[r, t] = tokens["recency"][present].astype(np.int64)
    hist_left[r, t] = tokens["left_here"][present].astype(np.int64)
    np.add.at(hist_len, r, 1)
    if vectors is not None:
        hist_rows[r, t] = vectors.rows_for(token_videos, token_segments)

    seg_rows = np.zeros((n, N_SEGMENTS_MAX), dtype=np.int64)
    notes: dict = {}
    if vectors is not None:
        slots = np.arange(N_SEGMENTS_MAX)[None, :]
        rows = vectors.rows_for(video_ids, np.broadcast_to(slots, (n, N_SEGMENTS_MAX)))
        seg_rows = np.where(slots < n_segments[:, None], rows, 0)
        missing = (seg_rows == 0) & (slots < n_segments[:, None])
        notes["views_missing_segment_vectors"] = int(missing.any(axis=1).sum())

    return ViewInputs(
        view_ids=cols["view_id"].astype(np.int64), user_ids=user_ids, video_ids=video_ids, split=split,
        cold_video=cols["cold_video"].astype(bool), user_idx=vocab.user_index(user_ids),
        video_idx=vocab.video_index(video_ids), n_segments=n_segments, target_slot=target,
        duration_ms=cols["duration_ms"].astype(np.int64),
        playing_time_ms=cols["playing_time_ms"].astype(np.int64), hist_video_idx=hist_video_idx,
        hist_pos=hist_pos, hist_recency=hist_recency, hist_len=hist_len, hist_rows=hist_rows,
        seg_rows=seg_rows, vocab=vocab, vectors=vectors, notes=notes, hist_left=hist_left,
    )

