"""The backbone contract and the embeddings all backbones share.

A backbone maps a SegBatch to one logit per segment slot, (B, S); padded slots are ignored
downstream by the weighting variant, so backbones need not mask their outputs. Swapping
WideDeep for DIN (or adding a backbone) never touches the variants or the trainer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from seg_pipeline.segrec.batch import N_POSITIONS, SegBatch


@dataclass(frozen=True)
class BackboneSpec:
    """Sizes a backbone is built from: vocabularies from the training rows, widths from config.

    visual_dim = 0 means no segment vectors (ID-only data such as SegMM logs without videos).
    """

    n_users: int
    n_videos: int
    visual_dim: int = 0
    dim: int = 16
    hidden: Sequence[int] = (64, 32)
    dropout: float = 0.0
    cross_buckets: int = 1 << 17


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


class SharedEmbeddings(nn.Module):
    """User, video and position embeddings, plus a projection of CLIP vectors when present."""

    def __init__(self, spec: BackboneSpec):
        super().__init__()
        self.spec = spec
        self.user = nn.Embedding(spec.n_users + 1, spec.dim, padding_idx=0)
        self.video = nn.Embedding(spec.n_videos + 1, spec.dim, padding_idx=0)
        self.position = nn.Embedding(N_POSITIONS, spec.dim, padding_idx=0)
        self.visual = nn.Linear(spec.visual_dim, spec.dim) if spec.visual_dim else None
        for table in (self.user, self.video, self.position):
            nn.init.normal_(table.weight, std=0.05)
            with torch.no_grad():
                table.weight[0].zero_()

    @property
    def item_dim(self) -> int:
        """Width of a video's representation (ID, plus visual when present)."""
        return self.spec.dim * (2 if self.visual is not None else 1)

    def item(self, video_ids: torch.Tensor, vectors: torch.Tensor | None) -> torch.Tensor:
        """Video representation [ID embedding ; projected mean CLIP vector], (..., item_dim)."""
        parts = [self.video(video_ids)]
        if self.visual is not None:
            if vectors is None:
                raise ValueError("this backbone was built with visual_dim > 0 but the batch has no vectors")
            parts.append(self.visual(vectors))
        return torch.cat(parts, dim=-1)

    def segments(self, batch: SegBatch) -> torch.Tensor:
        """Per-slot features [video ID ; position ; projected segment vector], (B, S, k * dim)."""
        b, s = batch.positions.shape
        parts = [self.video(batch.video)[:, None, :].expand(b, s, -1), self.position(batch.positions)]
        if self.visual is not None:
            if batch.segment_vectors is None:
                raise ValueError("this backbone was built with visual_dim > 0 but the batch has no vectors")
            parts.append(self.visual(batch.segment_vectors))
        return torch.cat(parts, dim=-1)

    @property
    def segment_dim(self) -> int:
        return self.spec.dim * (3 if self.visual is not None else 2)


class Backbone(nn.Module):
    """forward(batch) -> (B, S) logits, one per segment slot."""

    name = "backbone"

    def forward(self, batch: SegBatch) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError
