"""Views as tensors on the training device, cut into batches by index.

Segment vectors stay in one matrix; a batch carries row numbers into it, so a batch of 1024 views
never copies 1024 x 104 CLIP vectors, and the model projects each distinct row once. A batch is
cut to its longest video and longest history: padding that no view of the batch uses costs
attention time and changes nothing (the masking tests check that).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from seg_pipeline.model.inputs import ViewInputs


@dataclass
class Batch:
    """One batch of views; history tokens are left-aligned and `hist_mask` marks the real ones.

    The slot axis has `n_slots` = seg_rows.shape[1] + 1 entries (segments + end slot), at most N_SLOTS.
    """

    user_idx: torch.Tensor  # (B,)
    video_idx: torch.Tensor  # (B,)
    n_segments: torch.Tensor  # (B,)
    target_slot: torch.Tensor  # (B,)
    hist_video_idx: torch.Tensor  # (B, M)
    hist_pos: torch.Tensor  # (B, M)
    hist_recency: torch.Tensor  # (B, M)
    hist_mask: torch.Tensor  # (B, M) bool, True = real token
    hist_rows: torch.Tensor  # (B, M)
    seg_rows: torch.Tensor  # (B, S - 1), S <= N_SLOTS
    vectors: Optional[torch.Tensor]  # (rows, dim) shared matrix, row 0 = zeros
    hist_left: Optional[torch.Tensor] = None  # (B, M) 1 = an earlier view ended at this token
    slot_features: Optional[torch.Tensor] = None  # (B, S, k) side statistics per slot (model/side_inputs.py)
    slot_offset: Optional[torch.Tensor] = None  # (B, S) fixed logit offset of a stacked model

    @property
    def n_slots(self) -> int:
        return int(self.seg_rows.shape[1]) + 1

    @property
    def slot_mask(self) -> torch.Tensor:
        """(B, S) bool: the real segments 0..N-1 and the end slot N."""
        slots = torch.arange(self.n_slots, device=self.n_segments.device)
        return slots[None, :] <= self.n_segments[:, None]

    def replace(self, **changes) -> "Batch":
        values = dict(self.__dict__)
        values.update(changes)
        return Batch(**values)


class ViewTensors:
    """ViewInputs moved to `device` once; `batch(index)` gathers the views of one batch."""

    def __init__(self, inputs: ViewInputs, device: str | torch.device = "cpu"):
        def t(a: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.long, device=device)

        self.n = len(inputs)
        self.user_idx = t(inputs.user_idx)
        self.video_idx = t(inputs.video_idx)
        self.n_segments = t(inputs.n_segments)
        self.target_slot = t(inputs.target_slot)
        self.hist_video_idx = t(inputs.hist_video_idx)
        self.hist_pos = t(inputs.hist_pos)
        self.hist_recency = t(inputs.hist_recency)
        self.hist_rows = t(inputs.hist_rows)
        self.hist_len = t(inputs.hist_len)
        self.seg_rows = t(inputs.seg_rows)
        self.hist_left = t(inputs.hist_left if inputs.hist_left is not None else np.zeros_like(inputs.hist_pos))
        self.slot_features, self.slot_offset = (
            torch.as_tensor(a, dtype=torch.float32, device=device) if a is not None else None
            for a in (inputs.slot_features, inputs.slot_offset))
        self.vectors = (
            torch.as_tensor(inputs.vectors.matrix, dtype=torch.float32, device=device)
            if inputs.vectors is not None else None
        )
        self.device = device

    def __len__(self) -> int:
        return self.n

    def batch(self, index: torch.Tensor) -> Batch:
        index = index.to(self.user_idx.device)
        n_segments = self.n_segments[index]
        hist_len = self.hist_len[index]
        width = int(n_segments.max()) if index.numel() else 1
        m = int(hist_len.max()) if index.numel() else 0
        hist_mask = torch.arange(m, device=index.device)[None, :] < hist_len[:, None]
        return Batch(
            user_idx=self.user_idx[index], video_idx=self.video_idx[index],
            n_segments=n_segments, target_slot=self.target_slot[index],
            hist_video_idx=self.hist_video_idx[index, :m], hist_pos=self.hist_pos[index, :m],
            hist_recency=self.hist_recency[index, :m], hist_mask=hist_mask,
            hist_rows=self.hist_rows[index, :m], seg_rows=self.seg_rows[index, :width],
            vectors=self.vectors, hist_left=self.hist_left[index, :m],
            slot_features=self.slot_features[index, :width + 1] if self.slot_features is not None else None,
            slot_offset=self.slot_offset[index, :width + 1] if self.slot_offset is not None else None,
        )

    def batches(self, batch_size: int, generator: Optional[torch.Generator] = None, bucket_batches: int = 16):
        """Batches in order, or shuffled with `generator`.

        Shuffled batches are bucketed: views are drawn at random in chunks of `bucket_batches`
        batches, sorted by video length and history length inside the chunk, cut into batches,
        and the batches are shuffled. A batch then pads to a similar length instead of to the
        longest video in the data (40 segments), which saves most of the attention cost.
        """
        if generator is None:
            order = torch.arange(self.n)
            for start in range(0, self.n, batch_size):
                yield self.batch(order[start:start + batch_size])
            return
        order = torch.randperm(self.n, generator=generator)
        chunks = []
        step = batch_size * max(1, bucket_batches)
        length = (self.n_segments * (self.hist_pos.shape[1] + 1) + self.hist_len).cpu()
        for start in range(0, self.n, step):
            chunk = order[start:start + step]
            chunk = chunk[torch.argsort(length[chunk], stable=True)]
            chunks.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
        for k in torch.randperm(len(chunks), generator=generator).tolist():
            yield self.batch(chunks[k])
