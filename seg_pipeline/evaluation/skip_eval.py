"""Evaluate one method's score matrix on the test views: every protocol, subset and metric as
long-format rows, the shape of the warehouse table skip_prediction_metrics."""
from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from seg_pipeline.contract import N_SLOTS
from seg_pipeline.evaluation.latent import spearman_latent
from seg_pipeline.evaluation.metrics import (
    PROTOCOLS,
    metrics_from_ranks,
    target_ranks,
    watch_time_mae,
)

SUBSETS = ("all", "cold", "warm")
# Under 'slots40' every method's padding slots (after the end slot) get this one score, the model's
# own PAD_SCORE (model/network.py), so no method gains or loses by what it happens to put there
# (position priors used to put the global frequency of slot i there, Random a random draw).
PADDING_SCORE = 1.0e4
# Random keeps its own draw on padding: it is the protocol's calibration row (the authors' Random
# HR@1 = 1/40 comes from ranking 40 random slots), not a method that could game padding.
OWN_PADDING_METHODS = ("Random",)
# Columns the evaluation reads from the test-view frame (one row per view, aligned with scores).
EVAL_COLUMNS = ("view_id", "user_id", "video_id", "n_segments", "target_slot", "duration_ms",
                "playing_time_ms", "cold_video")


def subset_masks(views: pd.DataFrame) -> dict[str, np.ndarray]:
    """all / cold / warm; a view with unknown coldness (NULL) counts in 'all' only."""
    cold = views["cold_video"]
    known = cold.notna().to_numpy()
    is_cold = cold.fillna(False).astype(bool).to_numpy()
    return {"all": np.ones(len(views), dtype=bool), "cold": known & is_cold, "warm": known & ~is_cold}


def sanitize(scores: np.ndarray, n_segments: np.ndarray) -> np.ndarray:
    """NaN in padding (slots after the end slot, which only the 40-slot protocol ranks) becomes the
    highest interest, so it is never taken for a leave; NaN in a real slot stays an error."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or scores.shape[1] != N_SLOTS:
        raise ValueError(f"scores must have {N_SLOTS} slots, got shape {scores.shape}")
    padding = np.arange(N_SLOTS)[None, :] > np.asarray(n_segments)[:, None]
    return np.where(padding & np.isnan(scores), np.inf, scores)


def pad_fixed(scores: np.ndarray, n_segments: np.ndarray) -> np.ndarray:
    """The same padding for every method: slots after the end slot scored PADDING_SCORE."""
    padding = np.arange(N_SLOTS)[None, :] > np.asarray(n_segments)[:, None]
    return np.where(padding, PADDING_SCORE, scores)


def evaluate_method(
    method: str,
    modality: str,
    scores: np.ndarray,
    views: pd.DataFrame,
    seed: int = 0,
    latent: Optional[np.ndarray] = None,
    interest: Optional[np.ndarray] = None,
    leave_probs: Optional[np.ndarray] = None,
) -> list[dict]:
    """Rows (method, modality, protocol, subset, metric, value, n_views).

    `scores` rank the skip slots; `interest` (default: the scores) is the per-segment interest the
    latent correlation judges, which differs for a survival-loss model (see ScoredViews);
    `leave_probs` (default: softmax of the negated scores) is the method's P(leave at slot) that
    watch-time MAE uses (a baseline's own frequencies or hazards). Under 'slots40' every method's
    padding slots score PADDING_SCORE, except Random's (OWN_PADDING_METHODS).

    Ranks are drawn once per protocol over all views (one tie-breaking draw) and then averaged per
    subset. Watch-time MAE and the latent correlation do not depend on the candidate protocol;
    they are reported under 'segments_end'. Empty subsets give no rows.
    """
    if len(scores) != len(views):
        raise ValueError(f"{method}: {len(scores)} score rows for {len(views)} views")
    n_segments = views["n_segments"].to_numpy(dtype=np.int64)
    scores = sanitize(scores, n_segments)
    interest = scores if interest is None else sanitize(interest, n_segments)
    if len(interest) != len(views):
        raise ValueError(f"{method}: {len(interest)} interest rows for {len(views)} views")
    target = views["target_slot"].to_numpy(dtype=np.int64)
    masks = subset_masks(views)
    rows: list[dict] = []

    def add(protocol: str, subset: str, values: dict[str, float], n: int) -> None:
        for metric, value in values.items():
            if np.isfinite(value):
                rows.append(dict(method=method, modality=modality, protocol=protocol, subset=subset,
                                 metric=metric, value=float(value), n_views=int(n)))

    for protocol in PROTOCOLS:
        fixed = protocol == "slots40" and method not in OWN_PADDING_METHODS
        ranked = pad_fixed(scores, n_segments) if fixed else scores
        ranks = target_ranks(ranked, n_segments, target, protocol, seed=seed)
        for subset in SUBSETS:
            mask = masks[subset]
            if mask.any():
                add(protocol, subset, metrics_from_ranks(ranks[mask]), mask.sum())
    for subset in SUBSETS:
        mask = masks[subset]
        if not mask.any():
            continue
        add("segments_end", subset, watch_time_mae(
            scores[mask], n_segments[mask], views["duration_ms"].to_numpy()[mask],
            views["playing_time_ms"].to_numpy()[mask],
            None if leave_probs is None else leave_probs[mask]), mask.sum())
        if latent is not None:
            add("segments_end", subset, spearman_latent(interest[mask], latent[mask], n_segments[mask]), mask.sum())
    return rows
