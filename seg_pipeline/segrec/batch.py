"""The inputs every SegRec backbone and weighting variant reads, as one batch of tensors.

Segments are padded to the batch's longest video. Position ids: 0 = padding, 1..40 = segment
position (1-based), VIDEO_POSITION = the whole video (the Video variant scores one pseudo-segment).
ID index 0 is shared by padding and ids never seen in training (a zero, untrained embedding), so
a cold user or video falls back to the other features instead of to a random vector.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Optional

import torch

MAX_SEGMENTS = 40
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
    segment_vectors: Optional[torch.Tensor] = None  # (B, S, D)
    video_vectors: Optional[torch.Tensor] = None  # (B, D): mean of the video's segment vectors
    history_vectors: Optional[torch.Tensor] = None  # (B, H, D)
    interest: Optional[torch.Tensor] = None  # (B, S): frozen scores the weights come from

    def as_video_level(self) -> "SegBatch":
        """The same views seen as one pseudo-segment each (the Video variant: no segments)."""
        b = self.user.shape[0]
        return replace(
            self,
            positions=torch.full((b, 1), VIDEO_POSITION, dtype=torch.long, device=self.user.device),
            mask=torch.ones((b, 1), dtype=torch.bool, device=self.user.device),
            segment_vectors=None if self.video_vectors is None else self.video_vectors[:, None, :],
            interest=None,
        )

    def to(self, device: str) -> "SegBatch":
        moved = {
            f.name: (getattr(self, f.name).to(device) if getattr(self, f.name) is not None else None)
            for f in fields(self)
        }
        return SegBatch(**moved)
