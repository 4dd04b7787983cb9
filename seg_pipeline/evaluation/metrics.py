"""Video-skip prediction metrics (SPEC 4): rank the true leave slot among a view's candidates.

A score matrix is float32 (n_views, N_SLOTS): one *interest* score per slot, lower interest means
more likely to be the skip point. For a view of a video with N segments, slots 0..N-1 are its
segments and slot N is the end slot (a full watch leaves there); slots beyond N are padding.

Two candidate protocols:

* ``segments_end`` (primary): the N real segments plus the end slot, slots 0..N.
* ``slots40`` (published): slots 0..39 whatever N is, padding included, as the authors' code ranks
  them (their Random HR@1 is 1/40). That code has no slot for a full watch of a 40-segment video
  (the end slot is slot 40); here such a view ranks slots 0..40, so it is kept rather than dropped.

Ties are broken uniformly at random with a fixed seed, never by slot index: a model that scores
every slot the same must look like Random, not like a model that always guesses slot 0.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from seg_pipeline.contract import MAX_SEGMENTS, N_SLOTS, SEGMENT_SECONDS

PROTOCOLS = ("segments_end", "slots40")
RANK_METRICS = ("HR@1", "HR@5", "HR@10", "NDCG@5", "NDCG@10")


def _check_shapes(scores: np.ndarray, n_segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64)
    n_segments = np.asarray(n_segments, dtype=np.int64)
    if scores.ndim != 2 or scores.shape[1] != N_SLOTS:
        raise ValueError(f"scores must have shape (n_views, {N_SLOTS}), got {scores.shape}")
    if n_segments.shape != (scores.shape[0],):
        raise ValueError(f"n_segments must have shape ({scores.shape[0]},), got {n_segments.shape}")
    if n_segments.size and (n_segments.min() < 1 or n_segments.max() > MAX_SEGMENTS):
        raise ValueError(f"n_segments must lie in 1..{MAX_SEGMENTS}")
    return scores, n_segments


def candidate_mask(n_segments: np.ndarray, protocol: str) -> np.ndarray:
    """bool (n, N_SLOTS): which slots are ranked for each view under `protocol`."""
    n_segments = np.asarray(n_segments, dtype=np.int64)
    slots = np.arange(N_SLOTS)[None, :]
    if protocol == "segments_end":
        return slots <= n_segments[:, None]
    if protocol == "slots40":
        # A 40-segment full watch targets slot 40, outside the published 40 slots: rank 0..40.
        return slots <= np.maximum(n_segments[:, None], MAX_SEGMENTS - 1)
    raise ValueError(f"unknown protocol '{protocol}', expected one of {PROTOCOLS}")


def target_ranks(
    scores: np.ndarray,
    n_segments: np.ndarray,
    target_slot: np.ndarray,
    protocol: str = "segments_end",
    seed: int = 0,
) -> np.ndarray:
    """1-based rank of each view's target among its candidates sorted by ascending score.

    rank = 1 + (#candidates scored strictly lower) + U{0..#other candidates tied with it}, which is
    the target's position after a uniformly random permutation of the tied block.
    """
    scores, n_segments = _check_shapes(scores, n_segments)
    target_slot = np.asarray(target_slot, dtype=np.int64)
    mask = candidate_mask(n_segments, protocol)
    rows = np.arange(scores.shape[0])
    if target_slot.shape != rows.shape:
        raise ValueError(f"target_slot must have shape {rows.shape}, got {target_slot.shape}")
    if ((target_slot < 0) | (target_slot >= N_SLOTS)).any() or not mask[rows, target_slot].all():
        raise ValueError("every target_slot must be one of its view's candidate slots")
    if np.isnan(scores[mask]).any():
        raise ValueError("scores of candidate slots must not be NaN")
    target_score = scores[rows, target_slot][:, None]
    lower = ((scores < target_score) & mask).sum(axis=1)
    tied_others = ((scores == target_score) & mask).sum(axis=1) - 1
    rng = np.random.default_rng(seed)
    offset = rng.integers(0, tied_others + 1)
    return 1 + lower + offset


def metrics_from_ranks(ranks: np.ndarray, ks: tuple[int, ...] = (1, 5, 10)) -> dict[str, float]:
    """HR@K = [r <= K], NDCG@K = [r <= K] / log2(r + 1), averaged over views (NaN when empty).

    NDCG@1 equals HR@1 with one relevant slot, so it is not repeated.
    """
    ranks = np.asarray(ranks, dtype=np.float64)
    out: dict[str, float] = {}
    for k in ks:
        out[f"HR@{k}"] = float(np.mean(ranks <= k)) if ranks.size else float("nan")
    for k in ks:
        if k > 1:
            gain = np.where(ranks <= k, 1.0 / np.log2(ranks + 1.0), 0.0)
            out[f"NDCG@{k}"] = float(np.mean(gain)) if ranks.size else float("nan")
    return out


def ranking_metrics(
    scores: np.ndarray,
    n_segments: np.ndarray,
    target_slot: np.ndarray,
    protocol: str = "segments_end",
    ks: tuple[int, ...] = (1, 5, 10),
    seed: int = 0,
) -> dict[str, float]:
    """HR@K and NDCG@K of the true leave slot (keys 'HR@1', 'HR@5', 'HR@10', 'NDCG@5', 'NDCG@10')."""
    return metrics_from_ranks(target_ranks(scores, n_segments, target_slot, protocol, seed), ks)


def leave_distribution(scores: np.ndarray, n_segments: np.ndarray) -> np.ndarray:
    """P(leave at slot i) over slots 0..N: softmax of the negated interest; 0 on padding."""
    scores, n_segments = _check_shapes(scores, n_segments)
    mask = candidate_mask(n_segments, "segments_end")
    logits = np.where(mask, -scores, -np.inf)
    logits = logits - logits.max(axis=1, keepdims=True)
    weights = np.where(mask, np.exp(logits), 0.0)
    return weights / weights.sum(axis=1, keepdims=True)


def expected_watch_time_s(
    scores: np.ndarray, n_segments: np.ndarray, duration_ms: np.ndarray, probs: Optional[np.ndarray] = None
) -> np.ndarray:
    """Expected watch time in seconds: sum_i P(leave at i) * min(5(i + 0.5), duration).

    Leaving in segment i counts as its midpoint, the end slot as the full duration; each slot's
    time is capped at the duration so a short last segment cannot push the expectation past it.
    `probs`: the method's own leave distribution (a baseline's frequencies); default: softmax of
    the negated scores.
    """
    probs = leave_distribution(scores, n_segments) if probs is None else np.asarray(probs, dtype=np.float64)
    n_segments = np.asarray(n_segments, dtype=np.int64)
    duration_s = np.asarray(duration_ms, dtype=np.float64) / 1000.0
    slot_time = SEGMENT_SECONDS * (np.arange(N_SLOTS)[None, :] + 0.5)
    slot_time = np.where(np.arange(N_SLOTS)[None, :] == n_segments[:, None], duration_s[:, None], slot_time)
    slot_time = np.minimum(slot_time, duration_s[:, None])
    return (probs * slot_time).sum(axis=1)


def watch_time_mae(
    scores: np.ndarray,
    n_segments: np.ndarray,
    duration_ms: np.ndarray,
    playing_time_ms: np.ndarray,
    probs: Optional[np.ndarray] = None,
) -> dict[str, float]:
    """Mean absolute error of the expected watch time against the true playing time (capped at
    the duration, since replays count as full watches): 'MAE' in seconds, 'MAE_segments' in 5 s
    segments for comparison with the paper. `probs`: see expected_watch_time_s."""
    duration_ms = np.asarray(duration_ms, dtype=np.float64)
    predicted = expected_watch_time_s(scores, n_segments, duration_ms, probs)
    actual = np.minimum(np.asarray(playing_time_ms, dtype=np.float64), duration_ms) / 1000.0
    if predicted.size == 0:
        return {"MAE": float("nan"), "MAE_segments": float("nan")}
    mae = float(np.mean(np.abs(predicted - actual)))
    return {"MAE": mae, "MAE_segments": mae / SEGMENT_SECONDS}
