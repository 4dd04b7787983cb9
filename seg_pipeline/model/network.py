"""The segment-interest model (SPEC 3) behind a two-method contract: `loss(batch)` for training and
`score(batch) -> (B, N_SLOTS)` interest scores for evaluation, so every variant and ablation is a
config switch and the trainer never looks inside.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from seg_pipeline.contract import N_SLOTS, modality_parts
from seg_pipeline.model.batches import Batch
from seg_pipeline.model.config import ModelConfig
from seg_pipeline.model.inputs import OOV_INDEX
from seg_pipeline.model.layers import (
    BilinearFusion,
    HistoryLeaveFlag,
    IdTokens,
    InterestEncoder,
    ScoreHead,
    SequencePositions,
    VisualTokens,
)
from seg_pipeline.model.losses import LOSSES

# Score of padding slots (> N): highest interest, so a ranking over all 40 slots (the published
# protocol) never proposes a slot the video does not have.
PAD_SCORE = 1.0e4


class SkipScorer(nn.Module):
    """What every network trained on the skip task shares (model/architectures.py lists them):
    `slot_logits(batch) -> (B, S)` is the only method a network writes; the loss, the skip scores,
    the padding contract and video-id dropout are the same for all, so an architecture comparison
    changes nothing but the architecture."""

    def __init__(self, config: ModelConfig, vector_dim: int = 0):
        super().__init__()
        self.config = config.validate()
        self.objective = LOSSES[config.loss]
        self.parts = modality_parts(config.modality)
        if "visual" in self.parts and vector_dim <= 0:
            raise ValueError(f"modality '{config.modality}' needs segment vectors (vector_dim > 0)")

    def interest(self, batch: Batch) -> torch.Tensor:
        """(B, S) interest p for the batch's slots; values on padding slots are meaningless."""
        return self.slot_logits(self.training_view(batch))

    def slot_logits(self, batch: Batch) -> torch.Tensor:  # pragma: no cover - interface
        """The network itself: (B, S) p from a batch as given (interest() applies training-time dropout)."""
        raise NotImplementedError

    def training_view(self, batch: Batch) -> Batch:
        """The batch a training step sees: video ids dropped when config.video_dropout is on."""
        if self.training and self.config.video_dropout > 0 and "id" in self.parts:
            return self._drop_video_ids(batch)
        return batch

    def _drop_video_ids(self, batch: Batch) -> Batch:
        """Training only: each view's video ids (target and history tokens) -> the OOV index with
        probability video_dropout, so the OOV embedding every cold video uses gets trained."""
        q = self.config.video_dropout
        video = batch.video_idx
        video = torch.where(torch.rand(video.shape, device=video.device) < q, torch.full_like(video, OOV_INDEX), video)
        hist = batch.hist_video_idx
        drop = (torch.rand(hist.shape, device=hist.device) < q) & (hist > 0)
        return batch.replace(video_idx=video, hist_video_idx=torch.where(drop, torch.full_like(hist, OOV_INDEX), hist))

    def loss(self, batch: Batch) -> torch.Tensor:
        p = self.interest(batch)
        return self.objective.compute(p, batch.target_slot, batch.n_segments, self.config.bpr_reg)

    def score(self, batch: Batch) -> torch.Tensor:
        """(B, N_SLOTS) skip scores with padding slots set to PAD_SCORE (lower = likelier skip): the
        interest p itself, or with the survival loss -log P(leave at slot) derived from it."""
        return self.outputs(batch)[0]

    def outputs(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(skip scores, segment interest), both (B, N_SLOTS) from one pass; slots without a value hold
        PAD_SCORE (for the interest: every slot from the end slot N on).

        They differ only under the survival loss. There p_i is the logit of watching on past
        segment i, the per-segment interest thumbnails, edits and SegRec weights need, while the
        skip score -log P(leave at i) also folds in the chance of reaching i at all, so it rises
        along the video whatever the content (late segments are rarely left because rarely reached).
        """
        p = self.interest(batch)
        skip = self.objective.skip_scores(p, batch.n_segments)
        slots = torch.arange(p.shape[1], device=p.device)[None, :]
        segments = slots < batch.n_segments[:, None]  # interest exists for real segments only

        def padded(x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
            x = torch.where(keep, x, torch.full_like(x, PAD_SCORE))
            return F.pad(x, (0, N_SLOTS - x.shape[1]), value=PAD_SCORE)

        return padded(skip, batch.slot_mask), padded(p, segments & batch.slot_mask)


class SegmentInterestModel(SkipScorer):
    """Hybrid representation -> per-modality cross-attention encoders -> score heads -> bilinear
    fusion -> position bias: p = tau * (o - 1/2) + (w_p * pos + b_p), pos = slot + 1, tau a
    learned scale (p = o + (w_p * pos + b_p), as published, when config.interest_scale is 0)."""

    def __init__(self, config: ModelConfig, n_users: int, n_videos: int, vector_dim: int = 0):
        super().__init__(config, vector_dim)
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
        if config.position_term == "duration":
            # one scalar per (N, slot), index N * N_SLOTS + slot; zero at start (= the linear model)
            self.duration_bias = nn.Embedding((N_SLOTS + 1) * N_SLOTS, 1)
            nn.init.zeros_(self.duration_bias.weight)
        if config.side_features > 0:
            self.side = nn.Sequential(nn.Linear(config.side_features, 32), nn.GELU(), nn.Linear(32, 1))
        if config.interest_scale > 0:
            self.log_scale = nn.Parameter(torch.tensor(math.log(config.interest_scale)))

    def slot_logits(self, batch: Batch) -> torch.Tensor:
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
        return self._levers(p, batch)

    def _levers(self, p: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Issue 10's optional terms on p (ModelConfig says why each exists)."""
        if self.config.position_term == "duration":
            slots = torch.arange(p.shape[1], device=p.device)[None, :]
            p = p + self.duration_bias(batch.n_segments[:, None] * N_SLOTS + slots).squeeze(-1)
        if self.config.side_features > 0:
            if batch.slot_features is None:
                raise ValueError("side_features is set but the inputs carry no slot_features (model/side_inputs.py)")
            p = p + self.side(batch.slot_features).squeeze(-1)
        if self.config.stacked:
            if batch.slot_offset is None:
                raise ValueError("stacked is set but the inputs carry no slot_offset (GBDT hazard logits)")
            p = p - batch.slot_offset
        return p
