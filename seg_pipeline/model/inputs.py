"""Model inputs from the warehouse: per-view arrays built with DuckDB and numpy, no per-token loop.

Every view becomes fixed-size integer arrays (ids, positions, rows into one flat matrix of segment
vectors) so a batch is a handful of gathers. Ids map through vocabularies built from *train* views
only; anything else (a cold video, a user first seen in test) maps to one shared OOV index, so the
`id` model cannot memorise videos it should not know.

History tokens come from one statement, sql/model_history_tokens.sql, for training and for one-off
scoring of any (user, video, moment) alike (`load_history`), so the two cannot drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import duckdb
import numpy as np
import pandas as pd

from seg_pipeline.contract import MAX_SEGMENTS, SPLITS
from seg_pipeline.warehouse.db import run_sql, sql_text, table_exists
from seg_pipeline.warehouse.tables import read_history_length

PAD_INDEX = 0
OOV_INDEX = 1


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

        `segment_idx` may carry extra trailing axes (e.g. (n, MAX_SEGMENTS) for n videos).
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
    seg_rows: np.ndarray  # (n, MAX_SEGMENTS) rows of the target video's segments (0 = none)
    vocab: Vocab
    vectors: Optional[SegmentVectors] = None
    notes: dict = field(default_factory=dict)
    hist_left: Optional[np.ndarray] = None  # (n, M) 1 where that earlier view ended (not a full watch)
    slot_features: Optional[np.ndarray] = None  # (n, N_SLOTS, k) side statistics (model/side_inputs.py)
    slot_offset: Optional[np.ndarray] = None  # (n, N_SLOTS) fixed logit offset of a stacked model

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
        optional = {name: (getattr(self, name)[mask] if getattr(self, name) is not None else None)
                    for name in ("hist_left", "slot_features", "slot_offset")}
        return ViewInputs(**per_view, vocab=self.vocab, vectors=self.vectors, notes=dict(self.notes), **optional)


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
    np.maximum.at(count, codes, np.minimum(segment_idx, MAX_SEGMENTS - 1) + 1)
    base = 1 + np.concatenate([[0], np.cumsum(count)[:-1]])
    matrix = np.zeros((1 + int(count.sum()), vectors.shape[1]), dtype=np.float32)
    keep = segment_idx < MAX_SEGMENTS
    matrix[base[codes[keep]] + segment_idx[keep]] = vectors[keep]
    return SegmentVectors(matrix=matrix, video_ids=pd.Index(uniques), base=base, count=count,
                          model=str(model), weights=str(weights))


class VectorMismatchError(ValueError):
    """Segment vectors a checkpoint cannot use: none at all, or made by another encoder than the
    one it was trained on (a CLIP model's vectors mean nothing to a model trained on another's)."""

    def __init__(self, problem: str, fix: str):
        self.problem, self.fix = problem, fix
        super().__init__(f"{problem}. Fix: {fix}")


def check_vector_encoder(meta: dict, vectors: Optional[SegmentVectors]) -> SegmentVectors:
    """The vectors, if they come from the encoder (model, weights, dim) the checkpoint's `meta`
    records; the one check before a visual model scores (training inputs and one-off scoring)."""
    if vectors is None:
        raise VectorMismatchError("the warehouse has no segment_embeddings for this visual model",
                                  "materialise segment_embeddings, or use an id model")
    trained_on = (meta.get("vector_model"), meta.get("vector_weights"), meta.get("vector_dim"))
    if (vectors.model, vectors.weights, vectors.dim) != trained_on:
        raise VectorMismatchError(f"segment vectors come from {vectors.model}/{vectors.weights} (dim {vectors.dim}) "
                                  f"but the model was trained on {trained_on[0]}/{trained_on[1]} (dim {trained_on[2]})",
                                  "re-materialise segment_interest_model on the current embeddings")
    return vectors


@dataclass
class HistoryArrays:
    """History tokens of n requests as left-aligned (n, M) arrays, padded with 0."""

    video_idx: np.ndarray  # vocabulary index of each token's video
    pos: np.ndarray  # segment index of each token
    recency: np.ndarray  # 0 = the segment seen last
    rows: np.ndarray  # rows into vectors.matrix (0 = none)
    left: np.ndarray  # 1 where that earlier view ended (not a full watch)
    length: np.ndarray  # (n,) tokens kept
    views: np.ndarray  # (n,) past views in the history (before the token cut)


def history_requests(view_ids=None, user_ids=None, before_ms=None) -> pd.DataFrame:
    """The relation sql/model_history_tokens.sql reads: request_id = row number; a logged view gives
    its view_id, any other pair its user and moment (before_ms None = after the whole log)."""
    n = len(view_ids if view_ids is not None else user_ids)

    def column(values, dtype: str):
        return pd.array([None] * n if values is None else values, dtype=dtype)

    return pd.DataFrame({"request_id": np.arange(n, dtype=np.int64), "view_id": column(view_ids, "Int64"),
                         "user_id": column(user_ids, "string"), "before_ms": column(before_ms, "Int64")})


def load_history(con: duckdb.DuckDBPyConnection, requests: pd.DataFrame, max_tokens: int, vocab: Vocab,
                 vectors: Optional[SegmentVectors]) -> HistoryArrays:
    """History tokens of each request (see `history_requests`) through sql/model_history_tokens.sql."""
    n, m = len(requests), max_tokens
    arrays = {name: np.zeros((n, m), dtype=np.int64) for name in ("video_idx", "pos", "recency", "rows", "left")}
    length, views = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    if n == 0 or m == 0 or not table_exists(con, "user_histories"):
        return HistoryArrays(**arrays, length=length, views=views)
    # H matters only for pairs that are not logged views (their history is assembled from user_histories).
    # A cursor: the reader's fetchone() would leave this connection with an unfinished result.
    history_length = read_history_length(con.cursor()) if requests["view_id"].isna().any() else 0
    con.register("history_requests", requests)
    try:
        tokens = run_sql(con, "model_history_tokens", {"max_tokens": m, "max_segments": MAX_SEGMENTS,
                                                       "history_length": history_length}).fetchnumpy()
    finally:
        con.unregister("history_requests")
    r = np.asarray(tokens["request_id"]).astype(np.int64)
    t = np.asarray(tokens["token_idx"]).astype(np.int64)
    token_videos = np.asarray(tokens["video_id"]).astype(object)
    token_segments = np.asarray(tokens["segment_idx"]).astype(np.int64)
    arrays["video_idx"][r, t] = vocab.video_index(token_videos)
    arrays["pos"][r, t] = token_segments
    arrays["recency"][r, t] = np.asarray(tokens["recency"]).astype(np.int64)
    arrays["left"][r, t] = np.asarray(tokens["left_here"]).astype(np.int64)
    if vectors is not None:
        arrays["rows"][r, t] = vectors.rows_for(token_videos, token_segments)
    np.add.at(length, r, 1)
    views[r] = np.asarray(tokens["history_views"]).astype(np.int64)
    return HistoryArrays(**arrays, length=length, views=views)


def target_segment_rows(vectors: Optional[SegmentVectors], video_ids: np.ndarray, n_segments: np.ndarray) -> np.ndarray:
    """(n, MAX_SEGMENTS) rows of each target video's real segments (0 = no vector, or padding)."""
    n = len(video_ids)
    if vectors is None:
        return np.zeros((n, MAX_SEGMENTS), dtype=np.int64)
    slots = np.arange(MAX_SEGMENTS)[None, :]
    rows = vectors.rows_for(np.asarray(video_ids, dtype=object), np.broadcast_to(slots, (n, MAX_SEGMENTS)))
    return np.where(slots < np.asarray(n_segments)[:, None], rows, 0).astype(np.int64)


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
    if n and (n_segments.min() < 1 or n_segments.max() > MAX_SEGMENTS):
        raise ValueError(f"skip_labels has n_segments outside 1..{MAX_SEGMENTS}; "
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

    history = load_history(con, history_requests(view_ids=cols["view_id"]), max_history_tokens, vocab, vectors)
    seg_rows = target_segment_rows(vectors, video_ids, n_segments)
    notes: dict = {}
    if vectors is not None:
        missing = (seg_rows == 0) & (np.arange(MAX_SEGMENTS)[None, :] < n_segments[:, None])
        notes["views_missing_segment_vectors"] = int(missing.any(axis=1).sum())

    return ViewInputs(
        view_ids=cols["view_id"].astype(np.int64), user_ids=user_ids, video_ids=video_ids, split=split,
        cold_video=cols["cold_video"].astype(bool), user_idx=vocab.user_index(user_ids),
        video_idx=vocab.video_index(video_ids), n_segments=n_segments, target_slot=target,
        duration_ms=cols["duration_ms"].astype(np.int64),
        playing_time_ms=cols["playing_time_ms"].astype(np.int64), hist_video_idx=history.video_idx,
        hist_pos=history.pos, hist_recency=history.recency, hist_len=history.length, hist_rows=history.rows,
        seg_rows=seg_rows, vocab=vocab, vectors=vectors, notes=notes, hist_left=history.left,
    )
