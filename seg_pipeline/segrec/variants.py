"""How segment scores become one video prediction: the variants SegRec is compared with.

Every variant computes y = sum_i w_i z_i over the real segments (z_i: the backbone's logit for
segment i) and trains with BCE on sigmoid(y); only the weights w differ:

* Video: no segments; the backbone scores the video once (w = 1 on one pseudo-segment).
* SegSum: w_i = 1/N, the plain mean (a sum would scale the logit with the video length).
* SegAdjust: w = softmax(a[position]) with a learned per position, shared by all users.
* ItemPosition: w = softmax(prior) from the ItemPosition skip prior (SPEC 4).
* SegRec_<modality>: w = softmax(p), p = the frozen segment-interest model's scores.

Weights from frozen scores are detached: the loss trains the backbone only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch import nn

from seg_pipeline.segrec.backbones.base import Backbone
from seg_pipeline.segrec.batch import N_POSITIONS, SegBatch


@dataclass(frozen=True)
class Variant:
    """name: the report's label; weights: 'video' | 'uniform' | 'learned' | 'scores';
    interest: which frozen score matrix the 'scores' weights read ('ItemPosition', 'id', ...)."""

    name: str
    weights: str
    interest: Optional[str] = None


def segrec_variant(modality: str) -> Variant:
    return Variant(f"SegRec_{modality}", "scores", modality)


BASE_VARIANTS = (
    Variant("Video", "video"),
    Variant("SegSum", "uniform"),
    Variant("SegAdjust", "learned"),
    Variant("ItemPosition", "scores", "ItemPosition"),
)


def masked_softmax(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax over the real slots only; rows are never all-padding (every video has a segment)."""
    return torch.softmax(logits.masked_fill(~mask, float("-inf")), dim=-1)


class SegmentWeights(nn.Module):
    """weights(batch) -> (B, S), non-negative, summing to 1 over each view's real segments."""

    def __init__(self, kind: str, temperature: float = 1.0):
        super().__init__()
        if kind not in ("video", "uniform", "learned", "scores"):
            raise ValueError(f"unknown weighting '{kind}'")
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
