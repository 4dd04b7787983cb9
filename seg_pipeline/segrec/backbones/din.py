"""Deep Interest Network (Zhou et al. 2018) scoring each segment of the target video.

The user's recent videos (from `user_histories`, strictly earlier views) are pooled with
weights from an activation unit that compares each history video with the target video:
MLP([h, t, h - t, h * t]). As in DIN the weights are not softmax-normalised, so the pooled
vector also carries how much relevant history there is; an empty history pools to zero.
"""
from __future__ import annotations

import torch
from torch import nn

from seg_pipeline.segrec.backbones.base import Backbone, BackboneSpec, SharedEmbeddings, mlp
from seg_pipeline.segrec.batch import SegBatch


class DIN(Backbone):
    name = "DIN"

    def __init__(self, spec: BackboneSpec, attention_hidden: int = 32):
        super().__init__()
        self.embed = SharedEmbeddings(spec)
        item = self.embed.item_dim
        self.attention = nn.Sequential(
            nn.Linear(4 * item, attention_hidden), nn.ReLU(), nn.Linear(attention_hidden, 1)
        )
        self.deep = mlp(spec.dim + item + self.embed.segment_dim, spec.hidden, spec.dropout)

    def history_weights(self, batch: SegBatch) -> torch.Tensor:
        """(B, H) activation weights of the history videos for the target video, 0 on padding."""
        target = self.embed.item(batch.video, batch.video_vectors)  # (B, I)
        history = self.embed.item(batch.history_videos, batch.history_vectors)  # (B, H, I)
        t = target[:, None, :].expand_as(history)
        scores = self.attention(torch.cat([history, t, history - t, history * t], dim=-1))[..., 0]
        return scores * batch.history_mask

    def forward(self, batch: SegBatch) -> torch.Tensor:
        b, s = batch.positions.shape
        history = self.embed.item(batch.history_videos, batch.history_vectors)
        pooled = (self.history_weights(batch)[..., None] * history).sum(dim=1)  # (B, I)
        user = self.embed.user(batch.user)
        context = torch.cat([user, pooled], dim=-1)[:, None, :].expand(b, s, -1)
        return self.deep(torch.cat([context, self.embed.segments(batch)], dim=-1))[..., 0]
