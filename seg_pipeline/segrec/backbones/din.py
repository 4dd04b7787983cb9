"""Deep Interest Network (Zhou et al. 2018) scoring each segment of the target video.

The user's recent videos (from `user_histories`, strictly earlier views) are pooled with
weights from an activation unit that compares each history video with the target video:
MLP([h, t, h - t, h * t]). Its first layer is computed as A h + B t + C (h * t): a linear map of
[h, t, h - t] is a linear map of h plus one of t, so this is the same function class without
building the 4x wider concatenation for every (view, history item). As in DIN the weights are not softmax-normalised, so the pooled
vector also carries how much relevant history there is; an empty history pools to zero.
The pooled interest joins each real segment's features in the scoring MLP.
"""
from __future__ import annotations

import torch
from torch import nn

from seg_pipeline.segrec.backbones.base import Backbone, BackboneSpec, SharedEmbeddings, mlp, scatter_slots
from seg_pipeline.segrec.batch import SegBatch
from seg_pipeline.segrec.config import DINParams


class DIN(Backbone):
    name = "DIN"

    def __init__(self, spec: BackboneSpec, params: DINParams = DINParams()):
        super().__init__()
        attention_hidden = params.attention_hidden
        self.embed = SharedEmbeddings(spec)
        item = self.embed.item_dim
        self.attention_history = nn.Linear(item, attention_hidden)
        self.attention_target = nn.Linear(item, attention_hidden, bias=False)
        self.attention_product = nn.Linear(item, attention_hidden, bias=False)
        self.attention_out = nn.Linear(attention_hidden, 1)
        self.deep = mlp(item + self.embed.segment_dim, spec.hidden, spec.dropout)

    def pooled_history(self, batch: SegBatch) -> torch.Tensor:
        """(B, item_dim): history videos weighted by their activation for the target video."""
        target = self.embed.target_item(batch)  # (B, I)
        history = self.embed.history_items(batch)  # (B, H, I)
        hidden = torch.relu(self.attention_history(history) + self.attention_target(target)[:, None, :]
                            + self.attention_product(history * target[:, None, :]))
        weights = self.attention_out(hidden)[..., 0]
        weights = weights * batch.history_mask
        return (weights[..., None] * history).sum(dim=1)

    def forward(self, batch: SegBatch) -> torch.Tensor:
        rows, _ = batch.mask.nonzero(as_tuple=True)
        pooled = self.pooled_history(batch)[rows]
        logits = self.deep(torch.cat([pooled, self.embed.segments(batch)], dim=-1))[:, 0]
        return scatter_slots(logits, batch.mask)
