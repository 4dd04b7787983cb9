"""SegRec rows as arrays: read once from the warehouse, batched as tensors during training.

ID vocabularies come from the train rows only (targets and their history videos); anything else
maps to index 0, a zero embedding, so valid/test rows with cold ids are scored from the rest.
CLIP vectors (when `segment_embeddings` exists) are indexed separately: a cold video still has
its visual features, which is the point of the visual modality.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import duckdb
import numpy as np
import pandas as pd
import torch

from seg_pipeline.contract import DEFAULT_HISTORY_LENGTH, MAX_SEGMENTS
from seg_pipeline.segrec.batch import SegBatch
from seg_pipeline.warehouse.db import run_sql, table_exists


@dataclass
class SegRecData:
    """One entry per labelled view; vector tables have a zero row 0 for 'no vector'."""

    view_id: np.ndarray
    user_ids: np.ndarray  # raw ids (object)
    video_ids: np.ndarray
    split: np.ndarray
    user: np.ndarray  # vocabulary index, 0 = unseen in train
    video: np.ndarray
    n_segments: np.ndarray
    label: np.ndarray
    history_videos: np.ndarray  # (n, H)
    history_mask: np.ndarray  # (n, H)
    n_users: int
    n_videos: int
    video_rows: Optional[np.ndarray] = None  # (n,) row into segment_vectors
    history_rows: Optional[np.ndarray] = None  # (n, H)
    segment_vectors: Optional[np.ndarray] = None  # (R + 1, MAX_SEGMENTS, D)
    video_vectors: Optional[np.ndarray] = None  # (R + 1, D)
    interest: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (n, MAX_SEGMENTS)

    @property
    def views_without_vectors(self) -> int:
        """Views whose video has no CLIP vectors although the table exists (scored by IDs only)."""
        return 0 if self.video_rows is None else int((self.video_rows == 0).sum())

    def __len__(self) -> int:
        return len(self.view_id)

    @property
    def visual_dim(self) -> int:
        return 0 if self.segment_vectors is None else int(self.segment_vectors.shape[-1])

    def rows(self, split: str) -> np.ndarray:
        return np.flatnonzero(self.split == split)

    def _tables(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The vector tables as tensors, converted once (batches only carry row numbers)."""
        if getattr(self, "_torch_tables", None) is None:
            self._torch_tables = (torch.from_numpy(self.segment_vectors), torch.from_numpy(self.video_vectors))
        return self._torch_tables

    def batch(self, idx: np.ndarray, interest: Optional[str] = None, visual: bool = True) -> SegBatch:
        """Tensors for rows `idx`, segment slots trimmed to the longest video among them."""
        n_seg = self.n_segments[idx]
        s = int(n_seg.max())
        positions = np.arange(1, s + 1)[None, :].repeat(len(idx), axis=0)
        mask = positions <= n_seg[:, None]
        h_mask = self.history_mask[idx]
        h = max(int(h_mask.sum(axis=1).max()), 1)
        out = SegBatch(
            user=torch.from_numpy(self.user[idx]),
            video=torch.from_numpy(self.video[idx]),
            positions=torch.from_numpy(np.where(mask, positions, 0)),
            mask=torch.from_numpy(mask),
            history_videos=torch.from_numpy(self.history_videos[idx, :h]),
            history_mask=torch.from_numpy(h_mask[:, :h]),
            label=torch.from_numpy(self.label[idx]),
            n_segments=torch.from_numpy(n_seg),
        )
        if visual and self.segment_vectors is not None:
            out.segment_table, out.video_table = self._tables()
            out.video_rows = torch.from_numpy(self.video_rows[idx])
            out.history_rows = torch.from_numpy(self.history_rows[idx, :h])
        if interest is not None:
            out.interest = torch.from_numpy(self.interest[interest][idx, :s])
        return out


def _vocabulary(values) -> dict[str, int]:
    return {v: i + 1 for i, v in enumerate(sorted(set(values)))}


def load_vectors(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], np.ndarray, np.ndarray] | None:
    """Per video: (MAX_SEGMENTS, D) segment vectors and their mean over real segments; None without the table."""
    if not table_exists(con, "segment_embeddings"):
        return None
    frame = con.execute(
        "SELECT video_id, segment_idx, embedding FROM segment_embeddings "
        "WHERE segment_idx < $max ORDER BY video_id, segment_idx",
        {"max": MAX_SEGMENTS},
    ).df()
    if frame.empty:
        return None
    videos = _vocabulary(frame["video_id"].astype(str))
    dim = len(frame["embedding"].iloc[0])
    segment_vectors = np.zeros((len(videos) + 1, MAX_SEGMENTS, dim), dtype=np.float32)
    rows = frame["video_id"].astype(str).map(videos).to_numpy()
    segment_vectors[rows, frame["segment_idx"].to_numpy()] = np.stack(frame["embedding"].to_numpy())
    counts = np.bincount(rows, minlength=len(videos) + 1).astype(np.float32)
    video_vectors = segment_vectors.sum(axis=1) / np.maximum(counts, 1)[:, None]
    return videos, segment_vectors, video_vectors


def load_segrec_data(con: duckdb.DuckDBPyConnection, history_length: int = DEFAULT_HISTORY_LENGTH) -> SegRecData:
    """Every labelled view from `segrec_inputs` (effective_views + user_histories), as arrays."""
    for needed in ("effective_views", "user_histories"):
        if not table_exists(con, needed):
            raise RuntimeError(f"table '{needed}' is missing; materialise the upstream assets first")
    run_sql(con, "segrec_inputs")
    frame = con.execute("SELECT * FROM segrec_inputs ORDER BY view_id").df()
    if frame.empty:
        raise RuntimeError("effective_views is empty: there are no labelled views to train SegRec on")
    too_long = frame["n_segments"] > MAX_SEGMENTS
    if too_long.any():
        raise ValueError(
            f"{int(too_long.sum())} views have more than {MAX_SEGMENTS} segments; the interactions "
            "stage should have rejected them (videos over 200 s are out of scope)"
        )
    is_train = (frame["split"] == "train").to_numpy()
    histories = [list(h)[-history_length:] if history_length else [] for h in frame["history_video_ids"]]
    users = _vocabulary(frame.loc[is_train, "user_id"].astype(str))
    train_videos = set(frame.loc[is_train, "video_id"].astype(str))
    for h, train in zip(histories, is_train):
        if train:
            train_videos.update(str(v) for v in h)
    videos = _vocabulary(train_videos)

    n, width = len(frame), max(history_length, 1)
    history_ids = np.full((n, width), None, dtype=object)
    for i, h in enumerate(histories):
        if h:
            history_ids[i, : len(h)] = [str(v) for v in h]
    history_mask = history_ids != None  # noqa: E711 - element-wise comparison
    history_videos = np.zeros((n, width), dtype=np.int64)
    history_videos[history_mask] = [videos.get(v, 0) for v in history_ids[history_mask]]

    data = SegRecData(
        view_id=frame["view_id"].to_numpy(dtype=np.int64),
        user_ids=frame["user_id"].astype(str).to_numpy(dtype=object),
        video_ids=frame["video_id"].astype(str).to_numpy(dtype=object),
        split=frame["split"].astype(str).to_numpy(dtype=object),
        user=frame["user_id"].astype(str).map(users).fillna(0).to_numpy(dtype=np.int64),
        video=frame["video_id"].astype(str).map(videos).fillna(0).to_numpy(dtype=np.int64),
        n_segments=frame["n_segments"].to_numpy(dtype=np.int64),
        label=frame["label"].to_numpy(dtype=np.float32),
        history_videos=history_videos,
        history_mask=history_mask,
        n_users=len(users),
        n_videos=len(videos),
    )
    vectors = load_vectors(con)
    if vectors is not None:
        vector_rows, data.segment_vectors, data.video_vectors = vectors
        data.video_rows = pd.Series(data.video_ids).map(vector_rows).fillna(0).to_numpy(dtype=np.int64)
        data.history_rows = np.zeros((n, width), dtype=np.int64)
        data.history_rows[history_mask] = [vector_rows.get(v, 0) for v in history_ids[history_mask]]
    return data
