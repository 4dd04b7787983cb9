"""The segment-interest network plus a Wide & Deep branch, summed per slot (issue 10).

Why: trained on the skip task with the same inputs, the per-segment WideDeep baseline matched the
SPEC 3 network on the SegMM sample and beat it on the demo world. It sees what the attention
network only reaches through one cross-attention layer: the user embedding next to each
segment's CLIP vector in an MLP (a user's taste for a topic) and one-hot memorisation of user,
video and (N, slot). The sum keeps both: p = p_attention + p_widedeep, trained jointly with one
loss, so the attention branch has to explain only what a per-segment scorer cannot.
"""
from __future__ import annotations

import torch

from seg_pipeline.model.batches import Batch
from seg_pipeline.model.config import ModelConfig
from seg_pipeline.model.network import SegmentInterestModel, SkipScorer
from seg_pipeline.model.per_segment import WideDeepSkip


class HybridSkip(SkipScorer):
    """p = SegmentInterestModel's p + WideDeepSkip's p (both on the same, once-dropped batch)."""

    def __init__(self, config: ModelConfig, n_users: int, n_videos: int, vector_dim: int = 0):
        super().__init__(config, vector_dim)
        self.attention = SegmentInterestModel(config, n_users, n_videos, vector_dim)
        self.per_segment = WideDeepSkip(config, n_users, n_videos, vector_dim)

    def slot_logits(self, batch: Batch) -> torch.Tensor:
        return self.attention.slot_logits(batch) + self.per_segment.slot_logits(batch)
