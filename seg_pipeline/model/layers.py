"""Building blocks of the segment-interest network (SPEC 3): per-modality token builders,
user-video cross-attention, score heads and the bilinear fusion.

Token builders return the user tokens U (B, M_u, d) with a mask and the video tokens V (B, S, d):
slots 0..N-1 are the video's segments, slot N is the end slot (a full watch leaves there) with its
own learned representation, later slots are padding that attention never reads. S is the batch's
slot width (its longest video + 1, at most 41).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from seg_pipeline.evaluation.metrics import N_SEGMENTS_MAX, N_SLOTS
from seg_pipeline.model.batches import Batch

END_POSITION = N_SEGMENTS_MAX  # index of the end slot's own position embedding


def slot_positions(batch: Batch, position: bool) -> torch.Tensor:
    """(B, S) index into the position table: segment i -> i, the end slot (and padding) -> END.

    Without position inputs only two kinds remain: 0 = a segment, 1 = the end slot.
    """
    slots = torch.arange(batch.n_slots, device=batch.n_segments.device)[None, :].expand(batch.n_segments.shape[0], -1)
    is_end = slots >= batch.n_segments[:, None]
    if position:
        return torch.where(is_end, torch.full_like(slots, END_POSITION), slots)
    return is_end.long()


class IdTokens(nn.Module):
    """ID modality: U = [user embedding ; history tokens], V = Proj([video emb ; position emb]).

    History tokens are (video id, segment position) pairs projected by the same map as the target
    video's segments, so "this user watched segment 3 of video x" lives in the same space as V.
    """

    def __init__(self, n_users: int, n_videos: int, d: int, position: bool):
        super().__init__()
        self.position = position
        self.user = nn.Embedding(n_users, d, padding_idx=0)
        self.video = nn.Embedding(n_videos, d, padding_idx=0)
        self.slot = nn.Embedding(N_SLOTS if position else 2, d)
        self.proj = nn.Linear(2 * d, d)

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        b = batch.video_idx.shape[0]
        video = self.video(batch.video_idx)[:, None, :].expand(b, batch.n_slots, -1)
        v = self.proj(torch.cat([video, self.slot(slot_positions(batch, self.position))], dim=-1))
        hist_pos = batch.hist_pos if self.position else torch.zeros_like(batch.hist_pos)
        hist = self.proj(torch.cat([self.video(batch.hist_video_idx), self.slot(hist_pos)], dim=-1))
        u = torch.cat([self.user(batch.user_idx)[:, None, :], hist], dim=1)
        u_mask = torch.cat([torch.ones_like(batch.hist_mask[:, :1]), batch.hist_mask], dim=1)
        return u, u_mask, v


class VisualTokens(nn.Module):
    """Visual modality: U = Linear(history segment vectors), V = Linear(target segment vectors).

    CLIP vectors are unit length, so each coordinate is ~1/sqrt(dim); they are rescaled to unit
    variance before the linear maps. Each distinct vector row in a batch is projected once.
    """

    def __init__(self, vector_dim: int, d: int):
        super().__init__()
        self.scale = math.sqrt(vector_dim)
        self.segment = nn.Linear(vector_dim, d)
        self.history = nn.Linear(vector_dim, d)
        self.end = nn.Parameter(torch.randn(d) * 0.02)

    def _project(self, layer: nn.Linear, vectors: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        unique, inverse = torch.unique(rows, return_inverse=True)
        return layer(vectors[unique] * self.scale)[inverse]

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if batch.vectors is None:
            raise ValueError("the visual modality needs segment vectors (segment_embeddings)")
        segments = self._project(self.segment, batch.vectors, batch.seg_rows)  # (B, S - 1, d)
        b, _, d = segments.shape
        v = torch.cat([segments, torch.zeros(b, 1, d, device=segments.device, dtype=segments.dtype)], dim=1)
        is_end = torch.arange(batch.n_slots, device=v.device)[None, :] == batch.n_segments[:, None]
        v = torch.where(is_end[..., None], self.end.to(v.dtype).expand_as(v), v)
        u = self._project(self.history, batch.vectors, batch.hist_rows)
        return u, batch.hist_mask, v


class SequencePositions(nn.Module):
    """Learned sequence-position encodings: slot index for V, recency (0 = last seen) for history."""

    def __init__(self, d: int, max_history_tokens: int):
        super().__init__()
        self.slot = nn.Embedding(N_SLOTS, d)
        self.recency = nn.Embedding(max(max_history_tokens, 1), d)

    def forward(self, u: torch.Tensor, v: torch.Tensor, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        v = v + self.slot.weight[None, : v.shape[1], :]
        rec = self.recency(batch.hist_recency)
        if u.shape[1] == rec.shape[1] + 1:  # id modality: the user token has no recency
            rec = torch.cat([torch.zeros_like(rec[:, :1]), rec], dim=1)
        return u + rec, v


class InterestEncoder(nn.Module):
    """L layers of user-video cross-attention (SPEC 3).

    Attention over the concatenation [U ; V] with separate query/key/value projections computes
    V' = softmax([A_VU ; A_VV]) [f(U) ; f(V)] and, symmetrically, U' = softmax([A_UV ; A_UU]) [...]
    (keys concatenated, padding masked, dropout after the softmax); each layer adds the
    feed-forward block, residuals and layer norm. The output is the last layer's output. With
    cross_attention=False the layers see V alone (plain self-attention).
    """

    def __init__(self, d: int, heads: int, layers: int, ffn_mult: int, dropout: float, cross_attention: bool):
        super().__init__()
        self.cross_attention = cross_attention
        layer = nn.TransformerEncoderLayer(
            d_model=d, nhead=heads, dim_feedforward=ffn_mult * d, dropout=dropout,
            activation="gelu", batch_first=True,
        )
        # Dropout stays on the residual and feed-forward paths; on the attention weights it costs
        # a Bernoulli draw per query-key pair (the slowest op on CPU) for little regularisation.
        layer.self_attn.dropout = 0.0
        self.layers = nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False)

    def forward(self, u: torch.Tensor, u_mask: torch.Tensor, v: torch.Tensor, v_mask: torch.Tensor) -> torch.Tensor:
        if not self.cross_attention:
            return self.layers(v, src_key_padding_mask=~v_mask)
        x = torch.cat([u, v], dim=1)
        padding = ~torch.cat([u_mask, v_mask], dim=1)
        return self.layers(x, src_key_padding_mask=padding)[:, u.shape[1]:, :]


class ScoreHead(nn.Module):
    """MLP from each encoded video token to the modality's r-dim score vector x_m."""

    def __init__(self, d: int, r: int, dropout: float):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Dropout(dropout), nn.Linear(d, r))

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return self.mlp(v)


class BilinearFusion(nn.Module):
    """o = sigmoid(b_f + sum_m Proj_m(x_m) + sum_{m<n} Proj_mn(x_m * x_n)) (SPEC 3 decoder).

    The pairwise terms are element-wise products of score vectors, so two modalities can gate each
    other; with one modality only the linear term remains.
    """

    def __init__(self, modalities: tuple[str, ...], r: int):
        super().__init__()
        self.modalities = modalities
        self.single = nn.ModuleDict({m: nn.Linear(r, 1, bias=False) for m in modalities})
        self.pairs = [(a, b) for i, a in enumerate(modalities) for b in modalities[i + 1:]]
        self.pair = nn.ModuleDict({f"{a}_{b}": nn.Linear(r, 1, bias=False) for a, b in self.pairs})
        self.bias = nn.Parameter(torch.zeros(()))

    def forward(self, x: dict[str, torch.Tensor]) -> torch.Tensor:
        total = self.bias + sum(self.single[m](x[m]).squeeze(-1) for m in self.modalities)
        for a, b in self.pairs:
            total = total + self.pair[f"{a}_{b}"](x[a] * x[b]).squeeze(-1)
        return torch.sigmoid(total)
