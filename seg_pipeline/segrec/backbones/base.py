"""The backbone contract and the embeddings all backbones share.

A backbone maps a SegBatch to one logit per segment slot, (B, S), computing only the real slots
(padded slots are 0 and get zero weight from every variant). Swapping WideDeep for DIN (or adding
a backbone) never touches the variants or the trainer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from seg_pipeline.contract import MAX_SEGMENTS
from seg_pipeline.segrec.batch import N_POSITIONS, SegBatch


@dataclass(frozen=True)
class BackboneSpec:
    """Sizes every backbone is built from: vocabularies from the training rows, widths from config
    (a backbone's own knobs come separately, see segrec/config.py BACKBONE_PARAMS).

    visual_dim = 0 means no segment vectors (ID-only data such as SegMM logs without videos).
    """

    n_users: int
    n_videos: int
    visual_dim: int = 0
    dim: int = 16
    hidden: Sequence[int] = (64, 32)
    dropout: float = 0.0


def mlp(in_dim: int, hidden: Sequence[int], dropout: float) -> nn.Sequential:
    """ReLU layers ending in one output unit."""
    layers: list[nn.Module] = []
    width = in_dim
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


def scatter_slots(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(T,) values of the real slots back into a (B, S) grid with zeros on padding."""
    out = values.new_zeros(mask.shape)
    out[mask] = values
    return out


class SharedEmbeddings(nn.Module):
    """User, video, video-length and position embeddings, plus a projection of CLIP vectors.

    The length (segment count) is a video-level feature every variant sees, the Video variant
    included: the effective-view label is defined per duration bucket, and without it the
    segment variants would win merely by seeing how many positions a video has.
    """

    def __init__(self, spec: BackboneSpec):
        super().__init__()
        self.spec = spec
        self.user = nn.Embedding(spec.n_users + 1, spec.dim, padding_idx=0)
        self.video = nn.Embedding(spec.n_videos + 1, spec.dim, padding_idx=0)
        self.position = nn.Embedding(N_POSITIONS, spec.dim, padding_idx=0)
        self.length = nn.Embedding(MAX_SEGMENTS + 1, spec.dim, padding_idx=0)
        self.visual = nn.Linear(spec.visual_dim, spec.dim) if spec.visual_dim else None
        for table in (self.user, self.video, self.position, self.length):
            nn.init.normal_(table.weight, std=0.05)
            with torch.no_grad():
                table.weight[0].zero_()

    def _need_vectors(self, batch: SegBatch) -> None:
        if not batch.has_vectors:
            raise ValueError("this backbone was built with visual_dim > 0 but the batch has no CLIP vectors")

    @property
    def item_dim(self) -> int:
        """Width of a video's representation (ID, plus visual when present)."""
        return self.spec.dim * (2 if self.visual is not None else 1)

    def target_item(self, batch: SegBatch) -> torch.Tensor:
        """The target video as [ID embedding ; projected mean CLIP vector], (B, item_dim)."""
        parts = [self.video(batch.video)]
        if self.visual is not None:
            self._need_vectors(batch)
            parts.append(self.visual(batch.video_table[batch.video_rows]))
        return torch.cat(parts, dim=-1)

    def history_items(self, batch: SegBatch) -> torch.Tensor:
        """The history videos, (B, H, item_dim)."""
        parts = [self.video(batch.history_videos)]
        if self.visual is not None:
            self._need_vectors(batch)
            parts.append(self.visual(batch.video_table[batch.history_rows]))
        return torch.cat(parts, dim=-1)

    @property
    def segment_dim(self) -> int:
        return self.spec.dim * (5 if self.visual is not None else 4)

    def segments(self, batch: SegBatch) -> torch.Tensor:
        """Features of the real slots only, in mask order:
        [user ; video ; length ; position ; visual], (T, k * dim)."""
        rows, slots = batch.mask.nonzero(as_tuple=True)
        parts = [self.user(batch.user)[rows], self.video(batch.video)[rows], self.length(batch.n_segments)[rows],
                 self.position(batch.positions[rows, slots])]
        if self.visual is not None:
            self._need_vectors(batch)
            parts.append(self.visual(batch.slot_vectors(rows, slots)))
        return torch.cat(parts, dim=-1)


class Backbone(nn.Module):
    """forward(batch) -> (B, S) logits, one per segment slot (0 on padded slots)."""

    name = "backbone"

    def forward(self, batch: SegBatch) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError
