"""The segment-interest model (SPEC 3) behind a two-method contract: `loss(batch)` for training and
`score(batch) -> (B, 41)` interest scores for evaluation, so every variant and ablation is a
config switch and the trainer never looks inside.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from seg_pipeline.evaluation.metrics import N_SLOTS
from seg_pipeline.model.batches import Batch
from seg_pipeline.model.config import ModelConfig, modality_parts
from seg_pipeline.model.layers import (
    BilinearFusion,
    HistoryLeaveFlag,
    IdTokens,
    InterestEncoder,
    ScoreHead,
    SequencePositions,
    VisualTokens,
)
from seg_pipeline.model.losses import (
    bce_loss,
    bpr_max_loss,
    intra_video_loss,
    softmax_loss,
    survival_log_leave,
    survival_loss,
)

# Score of padding slots (> N): highest interest, so a ranking over all 40 slots (the published
# protocol) never proposes a slot the video does not have.
PAD_SCORE = 1.0e4


class SegmentInterestModel(nn.Module):
    """Hybrid representation -> per-modality cross-attention encoders -> score heads -> bilinear
    fusion -> position bias: p = tau * (o - 1/2) + (w_p * pos + b_p), pos = slot + 1, tau a
    learned scale (p = o + (w_p * pos + b_p), as published, when config.interest_scale is 0)."""

    def __init__(self, config: ModelConfig, n_users: int, n_videos: int, vector_dim: int = 0):
        super().__init__()
        self.config = config.validate()
        self.parts = modality_parts(config.modality)
        if "visual" in self.parts and vector_dim <= 0:
            raise ValueError(f"modality '{config.modality}' needs segment vectors (vector_dim > 0)")
        d = config.d
        tokens = {}
        if "id" in self.parts:
            tokens["id"] = IdTokens(n_users, n_videos, d, config.position)
        if "visual" in self.parts:
            tokens["visual"] = VisualTokens(vector_dim, d)
        self.tokens = nn.ModuleDict(tokens)
        self.positions = nn.ModuleDict(
            {m: SequencePositions(d, config.max_history_tokens) for m in self.parts} if config.position else {}
        )
        self.leave_flags = nn.ModuleDict(
            {m: HistoryLeaveFlag(d) for m in self.parts} if config.history_leave_flag else {}
        )
        self.encoders = nn.ModuleDict({
            m: InterestEncoder(d, config.heads, config.layers, config.ffn_mult, config.dropout,
                               config.cross_attention)
            for m in self.parts
        })
        self.heads = nn.ModuleDict({m: ScoreHead(d, config.r, config.dropout) for m in self.parts})
        self.fusion = BilinearFusion(self.parts, config.r)
        if config.position:
            self.w_p = nn.Parameter(torch.zeros(()))
            self.b_p = nn.Parameter(torch.zeros(()))
        if config.interest_scale > 0:
            self.log_scale = nn.Parameter(torch.tensor(math.log(config.interest_scale)))

    def interest(self, batch: Batch) -> torch.Tensor:
        """(B, S) interest p for the batch's slots; values on padding slots are meaningless."""
        v_mask = batch.slot_mask
        x = {}
        for m in self.parts:
            u, u_mask, v = self.tokens[m](batch)
            if self.config.position:
                u, v = self.positions[m](u, v, batch)
            if self.config.history_leave_flag:
                u = self.leave_flags[m](u, batch)
            x[m] = self.heads[m](self.encoders[m](u, u_mask, v, v_mask))
        p = self.fusion(x)
        if self.config.interest_scale > 0:
            # Centred so an untrained model sits at p ~ 0 (even odds) rather than at tau / 2.
            p = (p - 0.5) * self.log_scale.exp()
        if self.config.position:
            pos = torch.arange(1, p.shape[1] + 1, device=p.device, dtype=p.dtype)[None, :]
            p = p + (self.w_p * pos + self.b_p)
        return p

    def loss(self, batch: Batch) -> torch.Tensor:
        p = self.interest(batch)
        kind = self.config.loss
        if kind == "intra_video":
            return intra_video_loss(p, batch.target_slot)
        if kind == "bce":
            return bce_loss(p, batch.target_slot)
        if kind == "bpr_max":
            return bpr_max_loss(p, batch.target_slot, batch.n_segments, self.config.bpr_reg)
        if kind == "survival":
            return survival_loss(p, batch.target_slot, batch.n_segments)
        return softmax_loss(p, batch.target_slot, batch.n_segments)

    def score(self, batch: Batch) -> torch.Tensor:
        """(B, 41) scores with padding slots set to PAD_SCORE (lower = likelier skip): the interest
        p itself, or with the survival loss -log P(leave at slot) derived from it."""
        p = self.interest(batch)
        if self.config.loss == "survival":
            p = -survival_log_leave(p, batch.n_segments)
        p = torch.where(batch.slot_mask, p, torch.full_like(p, PAD_SCORE))
        return F.pad(p, (0, N_SLOTS - p.shape[1]), value=PAD_SCORE)
