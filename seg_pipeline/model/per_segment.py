"""Per-segment skip baselines (SPEC 4, issue 10): Wide & Deep and DIN trained on the skip task with
the segment-interest model's own inputs, loss and early stopping, but scoring every slot on its
own. Nothing here lets one segment see another: no attention across the video's slots, no
cross-attention between the user's history and the whole video. What the SPEC 3 model adds over
them is exactly that, so the comparison measures it.

Per slot i of a view both read the same features: [user ; video ; slot i (the end slot has its
own) ; video length N ; the segment's CLIP vector (visual modalities)] and a summary of the
history tokens (each: watched video + position + "left here" flag, and its CLIP vector).
* Wide & Deep (Cheng et al. 2016): deep = MLP over the slot features and the history's mean
  token; wide = a linear model over one-hot user, video, (N, slot) and a hashed user x slot
  cross, which memorises what DurationPosition and UserPosition count.
* DIN (Zhou et al. 2018): the history is pooled per slot, each token weighted by an activation
  unit comparing it with that slot's target (one hidden layer over h, t and their interaction, not
  softmax-normalised, so the pooled vector also says how much relevant history there is), then an
  MLP over [slot features ; pooled history].
"""
from __future__ import annotations

import math

import torch
from torch import nn

from seg_pipeline.contract import MAX_SEGMENTS, N_SLOTS, modality_parts
from seg_pipeline.model.batches import Batch
from seg_pipeline.model.config import ModelConfig
from seg_pipeline.model.layers import slot_positions
from seg_pipeline.model.network import SkipScorer

HIDDEN = (64, 32)  # the deep MLP, as SegRec's backbones (segrec/backbones/base.py)
ATTENTION_HIDDEN = 16  # DIN's activation unit (B x S x M x this many activations per batch)
CROSS_BUCKETS = 4096  # hashed user x slot cross of the wide part


def _mlp(width: int, hidden: tuple[int, ...], dropout: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, 1))


class SlotInputs(nn.Module):
    """The per-slot features, the per-slot target item and the history tokens both baselines read.

    Item = one video segment seen as [ID part ; visual part]: ID = video embedding + position
    embedding, visual = projected CLIP vector (rescaled to unit variance, as in VisualTokens).
    History tokens are items plus a learned "the earlier view ended here" vector.
    """

    def __init__(self, config: ModelConfig, n_users: int, n_videos: int, vector_dim: int):
        super().__init__()
        self.d = d = config.d
        parts = modality_parts(config.modality)
        self.use_id, self.use_visual = "id" in parts, "visual" in parts
        self.user = nn.Embedding(n_users, d, padding_idx=0)
        self.video = nn.Embedding(n_videos, d, padding_idx=0)
        self.slot = nn.Embedding(N_SLOTS, d)  # 0..39 segments, 40 = the end slot
        self.length = nn.Embedding(MAX_SEGMENTS + 1, d)
        if self.use_visual:
            self.scale = math.sqrt(vector_dim)
            self.visual = nn.Linear(vector_dim, d)
            self.end = nn.Parameter(torch.randn(d) * 0.02)
        self.left_flag = nn.Embedding(2, self.item_dim)

    @property
    def item_dim(self) -> int:
        """Width of an item (target slot or history token): d per modality part."""
        return self.d * (int(self.use_id) + int(self.use_visual))

    @property
    def feature_dim(self) -> int:
        """Width of slot_features: user, video, slot and length (4d), plus the CLIP part (d)."""
        return self.d * (5 if self.use_visual else 4)

    def _segment_vectors(self, batch: Batch) -> torch.Tensor:
        """(B, S, d) projected CLIP vector per slot; the end slot (and padding) get the end vector."""
        if batch.vectors is None:
            raise ValueError("the visual modality needs segment vectors (segment_embeddings)")
        seg = self.visual(batch.vectors[batch.seg_rows] * self.scale)  # (B, S - 1, d)
        seg = torch.cat([seg, seg.new_zeros(seg.shape[0], 1, seg.shape[2])], dim=1)
        is_end = torch.arange(batch.n_slots, device=seg.device)[None, :] >= batch.n_segments[:, None]
        return torch.where(is_end[..., None], self.end.to(seg.dtype).expand_as(seg), seg)

    def slots(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(slot features (B, S, feature_dim), target items (B, S, item_dim))."""
        b, s = batch.video_idx.shape[0], batch.n_slots
        video = self.video(batch.video_idx)[:, None, :].expand(b, s, -1)
        slot = self.slot(slot_positions(batch, position=True))
        user = self.user(batch.user_idx)[:, None, :].expand(b, s, -1)
        length = self.length(batch.n_segments)[:, None, :].expand(b, s, -1)
        features, target = [user, video, slot, length], []
        if self.use_id:
            target.append(video + slot)
        if self.use_visual:
            visual = self._segment_vectors(batch)
            features.append(visual)
            target.append(visual)
        return torch.cat(features, dim=-1), torch.cat(target, dim=-1)

    def history(self, batch: Batch) -> torch.Tensor:
        """(B, M, item_dim) history tokens (zero where hist_mask is False)."""
        parts = []
        if self.use_id:
            parts.append(self.video(batch.hist_video_idx) + self.slot(batch.hist_pos))
        if self.use_visual:
            parts.append(self.visual(batch.vectors[batch.hist_rows] * self.scale))
        tokens = torch.cat(parts, dim=-1)
        left = batch.hist_left if batch.hist_left is not None else torch.zeros_like(batch.hist_pos)
        return (tokens + self.left_flag(left)) * batch.hist_mask[..., None]


class WideDeepSkip(SkipScorer):
    """p_i = wide(user, video, (N, i), user x i) + MLP([slot features ; mean history token])."""

    def __init__(self, config: ModelConfig, n_users: int, n_videos: int, vector_dim: int = 0):
        super().__init__(config, vector_dim)
        self.inputs = SlotInputs(config, n_users, n_videos, vector_dim)
        item = self.inputs.item_dim
        self.deep = _mlp(self.inputs.feature_dim + item, HIDDEN, config.dropout)
        self.wide_user = nn.Embedding(n_users, 1)
        self.wide_video = nn.Embedding(n_videos, 1)
        self.wide_length_slot = nn.Embedding((MAX_SEGMENTS + 1) * N_SLOTS, 1)
        self.wide_cross = nn.Embedding(CROSS_BUCKETS, 1)
        for table in (self.wide_user, self.wide_video, self.wide_length_slot, self.wide_cross):
            nn.init.zeros_(table.weight)  # an id never trained adds nothing

    def slot_logits(self, batch: Batch) -> torch.Tensor:
        features, _ = self.inputs.slots(batch)
        tokens = self.inputs.history(batch)
        count = batch.hist_mask.sum(dim=1, keepdim=True).clamp(min=1)
        pooled = tokens.sum(dim=1) / count  # (B, item); zero without history
        pooled = pooled[:, None, :].expand(-1, features.shape[1], -1)
        deep = self.deep(torch.cat([features, pooled], dim=-1))[..., 0]
        slots = slot_positions(batch, position=True)
        user = batch.user_idx[:, None]
        wide = (self.wide_user(user) + self.wide_video(batch.video_idx[:, None])
                + self.wide_length_slot(batch.n_segments[:, None] * N_SLOTS + slots)
                + self.wide_cross((user * N_SLOTS + slots) % CROSS_BUCKETS))[..., 0]
        return deep + wide


class DINSkip(SkipScorer):
    """p_i = MLP([slot features ; sum_m a(h_m, t_i) h_m]), a(h, t) = w . relu(A h + B t + (P h) * (Q t)) + c."""

    def __init__(self, config: ModelConfig, n_users: int, n_videos: int, vector_dim: int = 0):
        super().__init__(config, vector_dim)
        self.inputs = SlotInputs(config, n_users, n_videos, vector_dim)
        item = self.inputs.item_dim
        # MLP([h, t, h - t, h * t]) has the first layer A h + B t + C (h * t) (h - t adds nothing). C (h * t)
        # costs B x S x M x item x hidden per batch (over 10 minutes for one demo-world fit); the
        # factorised (P h) * (Q t) keeps a learned interaction at B x S x M x hidden.
        self.attention_history = nn.Linear(item, ATTENTION_HIDDEN)
        self.attention_target = nn.Linear(item, ATTENTION_HIDDEN, bias=False)
        self.product_history = nn.Linear(item, ATTENTION_HIDDEN, bias=False)
        self.product_target = nn.Linear(item, ATTENTION_HIDDEN, bias=False)
        self.attention_out = nn.Linear(ATTENTION_HIDDEN, 1)
        self.deep = _mlp(self.inputs.feature_dim + item, HIDDEN, config.dropout)

    def slot_logits(self, batch: Batch) -> torch.Tensor:
        features, target = self.inputs.slots(batch)  # (B, S, F), (B, S, I)
        tokens = self.inputs.history(batch)  # (B, M, I)
        product = self.product_history(tokens)[:, None, :, :] * self.product_target(target)[:, :, None, :]
        hidden = torch.relu(self.attention_history(tokens)[:, None, :, :]
                            + self.attention_target(target)[:, :, None, :] + product)  # (B, S, M, hidden)
        weights = self.attention_out(hidden)[..., 0] * batch.hist_mask[:, None, :]  # (B, S, M)
        pooled = torch.einsum("bsm,bmi->bsi", weights, tokens)
        return self.deep(torch.cat([features, pooled], dim=-1))[..., 0]
