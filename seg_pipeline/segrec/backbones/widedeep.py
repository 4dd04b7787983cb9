"""Wide & Deep (Cheng et al. 2016) scoring each segment of the target video.

Wide: a linear model over one-hot user, video, video length, position and the user x position
cross (hashed), so it can memorise "this user leaves long videos early". Deep: an MLP over dense
embeddings [user ; video ; length ; position ; projected CLIP vector] that generalises across
users and videos.
Logit = wide + deep, per real segment.
"""
from __future__ import annotations

import torch
from torch import nn

from seg_pipeline.contract import MAX_SEGMENTS
from seg_pipeline.segrec.backbones.base import Backbone, BackboneSpec, SharedEmbeddings, mlp, scatter_slots
from seg_pipeline.segrec.batch import N_POSITIONS, SegBatch
from seg_pipeline.segrec.config import WideDeepParams


class WideDeep(Backbone):
    name = "WideDeep"

    def __init__(self, spec: BackboneSpec, params: WideDeepParams = WideDeepParams()):
        super().__init__()
        self.embed = SharedEmbeddings(spec)
        self.wide_user = nn.Embedding(spec.n_users + 1, 1)
        self.wide_video = nn.Embedding(spec.n_videos + 1, 1)
        self.wide_position = nn.Embedding(N_POSITIONS, 1)
        self.wide_length = nn.Embedding(MAX_SEGMENTS + 1, 1)
        self.wide_cross = nn.Embedding(params.cross_buckets, 1)
        self.bias = nn.Parameter(torch.zeros(1))
        # Wide weights start at zero: unseen ids (index 0, untouched by training) then add nothing.
        for table in (self.wide_user, self.wide_video, self.wide_position, self.wide_length, self.wide_cross):
            nn.init.zeros_(table.weight)
        self.deep = mlp(self.embed.segment_dim, spec.hidden, spec.dropout)

    def forward(self, batch: SegBatch) -> torch.Tensor:
        rows, slots = batch.mask.nonzero(as_tuple=True)
        user, position = batch.user[rows], batch.positions[rows, slots]
        cross = (user * N_POSITIONS + position) % self.wide_cross.num_embeddings
        wide = (self.wide_user(user) + self.wide_video(batch.video[rows]) + self.wide_length(batch.n_segments[rows])
                + self.wide_position(position) + self.wide_cross(cross))[:, 0]
        deep = self.deep(self.embed.segments(batch))[:, 0]
        return scatter_slots(wide + deep + self.bias, batch.mask)
