"""Wide & Deep (Cheng et al. 2016) scoring each segment of the target video.

Wide: a linear model over one-hot user, video, position and the user x position cross (hashed),
so it can memorise "this user leaves long videos early". Deep: an MLP over dense embeddings that
generalises across users and videos. Logit = wide + deep, per segment.
"""
from __future__ import annotations

import torch
from torch import nn

from seg_pipeline.segrec.backbones.base import Backbone, BackboneSpec, SharedEmbeddings, mlp
from seg_pipeline.segrec.batch import N_POSITIONS, SegBatch


class WideDeep(Backbone):
    name = "WideDeep"

    def __init__(self, spec: BackboneSpec):
        super().__init__()
        self.embed = SharedEmbeddings(spec)
        self.wide_user = nn.Embedding(spec.n_users + 1, 1)
        self.wide_video = nn.Embedding(spec.n_videos + 1, 1)
        self.wide_position = nn.Embedding(N_POSITIONS, 1)
        self.wide_cross = nn.Embedding(spec.cross_buckets, 1)
        self.bias = nn.Parameter(torch.zeros(1))
        # Wide weights start at zero: unseen ids (index 0, untouched by training) then add nothing.
        for table in (self.wide_user, self.wide_video, self.wide_position, self.wide_cross):
            nn.init.zeros_(table.weight)
        self.deep = mlp(spec.dim + self.embed.segment_dim, spec.hidden, spec.dropout)

    def forward(self, batch: SegBatch) -> torch.Tensor:
        b, s = batch.positions.shape
        cross = (batch.user[:, None] * N_POSITIONS + batch.positions) % self.wide_cross.num_embeddings
        wide = (
            self.wide_user(batch.user) + self.wide_video(batch.video)  # (B, 1) broadcasts over S
            + self.wide_position(batch.positions)[..., 0]
            + self.wide_cross(cross)[..., 0]
        )
        user = self.embed.user(batch.user)[:, None, :].expand(b, s, -1)
        deep = self.deep(torch.cat([user, self.embed.segments(batch)], dim=-1))[..., 0]
        return wide + deep + self.bias
