"""A backbone plus a weighting (segrec/variants.py): the model one SegRec run trains.

Weights from frozen scores are detached: the loss trains the backbone only.
"""
from __future__ import annotations

import torch
from torch import nn

from seg_pipeline.segrec.backbones.base import Backbone
from seg_pipeline.segrec.batch import N_POSITIONS, SegBatch
from seg_pipeline.segrec.variants import WEIGHTINGS, Variant


def masked_softmax(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax over the real slots only; rows are never all-padding (every video has a segment)."""
    return torch.softmax(logits.masked_fill(~mask, float("-inf")), dim=-1)


class SegmentWeights(nn.Module):
    """weights(batch) -> (B, S), non-negative, summing to 1 over each view's real segments."""

    def __init__(self, kind: str, temperature: float = 1.0):
        super().__init__()
        if kind not in WEIGHTINGS:
            raise ValueError(f"unknown weighting '{kind}', expected one of {WEIGHTINGS}")
        self.kind = kind
        self.temperature = temperature
        self.position_logits = nn.Parameter(torch.zeros(N_POSITIONS)) if kind == "learned" else None

    def forward(self, batch: SegBatch) -> torch.Tensor:
        mask = batch.mask
        if self.kind in ("video", "uniform"):
            w = mask.float()
            return w / w.sum(dim=-1, keepdim=True)
        if self.kind == "learned":
            return masked_softmax(self.position_logits[batch.positions], mask)
        if batch.interest is None:
            raise ValueError("score weights need batch.interest (frozen interest scores)")
        return masked_softmax(batch.interest.detach() / self.temperature, mask)


class SegRecModel(nn.Module):
    """A backbone plus a weighting: forward(batch) -> (B,) logits of an effective view."""

    def __init__(self, backbone: Backbone, variant: Variant, temperature: float = 1.0):
        super().__init__()
        self.backbone = backbone
        self.variant = variant
        self.weighting = SegmentWeights(variant.weights, temperature)

    def segment_logits_and_weights(self, batch: SegBatch) -> tuple[torch.Tensor, torch.Tensor]:
        if self.variant.weights == "video":
            batch = batch.as_video_level()
        return self.backbone(batch), self.weighting(batch)

    def forward(self, batch: SegBatch) -> torch.Tensor:
        z, w = self.segment_logits_and_weights(batch)
        return (w * z.masked_fill(w == 0, 0.0)).sum(dim=-1)
