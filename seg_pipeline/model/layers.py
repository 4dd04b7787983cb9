"""Building blocks of the segment-interest network (SPEC 3): per-modality token builders,
user-video cross-attention, score heads and the bilinear fusion.

Token builders return the user tokens U (B, M_u, d) with a mask and the video tokens V (B, S, d):
slots 0..N-1 are the video's segments, slot N is the end slot (a full watch leaves there) with its
own learned representation, later slots are padding that attention never reads. S is the batch's
slot width (its longest video + 1, at most N_SLOTS).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from seg_pipeline.contract import MAX_SEGMENTS, N_SLOTS
from seg_pipeline.model.batches import Batch

END_POSITION = MAX_SEGMENTS  # index of the end slot's own position embedding


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
        rec = self.recency(batch.hist_recency.clamp(max=self.recency.num_embeddings - 1))
        if u.shape[1] == rec.shape[1] + 1:  # id modality: the user token has no recency
            rec = torch.cat([torch.zeros_like(rec[:, :1]), rec], dim=1)
        return u + rec, v


class HistoryLeaveFlag(nn.Module):
    """Optional: a learned vector added to each history token where that earlier view ended, so
    the user side shows what made the user leave, not only what they watched."""

    def __init__(self, d: int):
        super().__init__()
        self.flag = nn.Embedding(2, d)

    def forward(self, u: torch.Tensor, batch: Batch) -> torch.Tensor:
        flag = self.flag(batch.hist_left if batch.hist_left is not None else torch.zeros_like(batch.hist_pos))
        if u.shape[1] == flag.shape[1] + 1:  # id modality: the user token carries no flag
            flag = torch.cat([torch.zeros_like(flag[:, :1]), flag], dim=1)
        return u + flag


class AttentionLayer(nn.Module):
    """One transformer layer whose queries may be a subset of the tokens it attends over:
    multi-head attention with separate query / key / value projections (padding keys masked,
    scaling before the mask, dropout only after the softmax), then residual + layer norm,
    feed-forward, residual + layer norm (post-norm, as in the original transformer)."""

    def __init__(self, d: int, heads: int, ffn_mult: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d)
        self.value = nn.Linear(d, d)
        self.out = nn.Linear(d, d)
        self.feed_forward = nn.Sequential(
            nn.Linear(d, ffn_mult * d), nn.GELU(), nn.Dropout(dropout), nn.Linear(ffn_mult * d, d)
        )
        self.norm1 = nn.LayerNorm(d)
        self.norm2 = nn.LayerNorm(d)
        self.dropout = nn.Dropout(dropout)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        return x.view(b, n, self.heads, d // self.heads).transpose(1, 2)

    def forward(self, queries: torch.Tensor, context: torch.Tensor, context_padding: torch.Tensor) -> torch.Tensor:
        q, k, v = self._split(self.query(queries)), self._split(self.key(context)), self._split(self.value(context))
        allowed = ~context_padding[:, None, None, :]  # (B, 1, 1, keys): True = attend
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        attended = attended.transpose(1, 2).reshape(queries.shape)
        h = self.norm1(queries + self.dropout(self.out(attended)))
        return self.norm2(h + self.dropout(self.feed_forward(h)))


class InterestEncoder(nn.Module):
    """L layers of user-video cross-attention (SPEC 3).

    Attention over the concatenation [U ; V] computes V' = softmax([A_VU ; A_VV]) [f(U) ; f(V)]
    and, symmetrically, U' = softmax([A_UV ; A_UU]) [f(U) ; f(V)] (keys concatenated, padding
    masked). The result is the last layer's V output; that layer skips the U queries, whose
    output nothing reads. With cross_attention=False the layers see V alone (self-attention).
    """

    def __init__(self, d: int, heads: int, layers: int, ffn_mult: int, dropout: float, cross_attention: bool):
        super().__init__()
        self.cross_attention = cross_attention
        self.layers = nn.ModuleList([AttentionLayer(d, heads, ffn_mult, dropout) for _ in range(layers)])

    def forward(self, u: torch.Tensor, u_mask: torch.Tensor, v: torch.Tensor, v_mask: torch.Tensor) -> torch.Tensor:
        if self.cross_attention:
            x, padding, n_user = torch.cat([u, v], dim=1), ~torch.cat([u_mask, v_mask], dim=1), u.shape[1]
        else:
            x, padding, n_user = v, ~v_mask, 0
        for layer in self.layers[:-1]:
            x = layer(x, x, padding)
        return self.layers[-1](x[:, n_user:], x, padding)


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
