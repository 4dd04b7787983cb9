"""The inputs every SegRec backbone and weighting variant reads, as one batch of tensors.

Segment slots are padded to the batch's longest video; backbones compute only the real slots
(`mask`), so a batch with one 40-segment video costs no more than its real segments. CLIP
vectors are not copied per batch: the batch holds row numbers into shared tables.
Position ids: 0 = padding, 1..40 = segment position (1-based), VIDEO_POSITION = the whole video
(the Video variant scores one pseudo-segment per view). ID index 0 is shared by padding and ids
never seen in training (a zero, untrained embedding), so a cold user or video is scored from the
other features instead of a random vector.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Optional

import torch

from seg_pipeline.contract import MAX_SEGMENTS

VIDEO_POSITION = MAX_SEGMENTS + 1
N_POSITIONS = VIDEO_POSITION + 1


@dataclass
class SegBatch:
    """B views with S segment slots and H history slots; D is the CLIP width (visual optional)."""

    user: torch.Tensor  # (B,) long
    video: torch.Tensor  # (B,) long
    positions: torch.Tensor  # (B, S) long
    mask: torch.Tensor  # (B, S) bool: real segments
    history_videos: torch.Tensor  # (B, H) long
    history_mask: torch.Tensor  # (B, H) bool
    label: torch.Tensor  # (B,) float
    n_segments: torch.Tensor  # (B,) long: the video's length in segments (a video-level feature)
    video_rows: Optional[torch.Tensor] = None  # (B,) rows into the vector tables (0 = none)
    history_rows: Optional[torch.Tensor] = None  # (B, H)
    segment_table: Optional[torch.Tensor] = None  # (R, MAX_SEGMENTS, D) shared, row 0 zeros
    video_table: Optional[torch.Tensor] = None  # (R, D): mean of each video's segment vectors
    interest: Optional[torch.Tensor] = None  # (B, S): frozen scores the weights come from
    video_level: bool = False  # True: one pseudo-segment standing for the whole video

    @property
    def has_vectors(self) -> bool:
        return self.segment_table is not None

    def slot_vectors(self, rows: torch.Tensor, slots: torch.Tensor) -> torch.Tensor:
        """CLIP vectors of (view, slot) pairs, (T, D): the segment's, or the video mean at video level."""
        if self.video_level:
            return self.video_table[self.video_rows[rows]]
        return self.segment_table[self.video_rows[rows], slots]

    def as_video_level(self) -> "SegBatch":
        """The same views seen as one pseudo-segment each (the Video variant: no segments)."""
        b = self.user.shape[0]
        return replace(
            self,
            positions=torch.full((b, 1), VIDEO_POSITION, dtype=torch.long, device=self.user.device),
            mask=torch.ones((b, 1), dtype=torch.bool, device=self.user.device),
            interest=None,
            video_level=True,
        )

    def to(self, device: str) -> "SegBatch":
        moved = {}
        for f in fields(self):
            value = getattr(self, f.name)
            moved[f.name] = value.to(device) if isinstance(value, torch.Tensor) else value
        return SegBatch(**moved)
