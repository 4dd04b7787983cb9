"""Agreement with the demo world's latent interest: does the learned score recover the truth?

Only the simulated world has ground truth (`demo/ground_truth_interest.parquet`); real logs do not,
and the report then omits these metrics.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata, spearmanr

from seg_pipeline.contract import MAX_SEGMENTS, N_SLOTS


def latent_matrix(views: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    """float (n_views, N_SLOTS): the true interest of each view's (user, video, segment), NaN where
    the ground truth has no value (the end slot, padding, unknown pairs)."""
    out = np.full((len(views), N_SLOTS), np.nan)
    if not len(views) or not len(truth):
        return out
    keyed = pd.DataFrame({
        "row": np.arange(len(views)),
        "user_id": views["user_id"].astype(str).to_numpy(),
        "video_id": views["video_id"].astype(str).to_numpy(),
    })
    truth = truth.assign(user_id=truth["user_id"].astype(str), video_id=truth["video_id"].astype(str))
    joined = keyed.merge(truth[["user_id", "video_id", "segment_idx", "interest"]], on=["user_id", "video_id"])
    joined = joined[(joined["segment_idx"] >= 0) & (joined["segment_idx"] < MAX_SEGMENTS)]
    out[joined["row"].to_numpy(), joined["segment_idx"].to_numpy(dtype=np.int64)] = joined["interest"].to_numpy()
    return out


def spearman_latent(scores: np.ndarray, latent: np.ndarray, n_segments: np.ndarray) -> dict[str, float]:
    """'spearman_latent': mean over views of the within-view Spearman correlation between scores
    and latent interest over the real segments (views with N >= 2, complete truth, and variation in
    both); 'spearman_latent_pooled': one Spearman correlation over every (view, segment) pair."""
    scores = np.asarray(scores, dtype=np.float64)
    n_segments = np.asarray(n_segments, dtype=np.int64)
    per_view: list[np.ndarray] = []
    for n in np.unique(n_segments):
        if n < 2:
            continue
        rows = n_segments == n
        s, t = scores[rows, :n], latent[rows, :n]
        complete = np.isfinite(t).all(axis=1) & np.isfinite(s).all(axis=1)
        if not complete.any():
            continue
        rs = rankdata(s[complete], axis=1)
        rt = rankdata(t[complete], axis=1)
        rs -= rs.mean(axis=1, keepdims=True)
        rt -= rt.mean(axis=1, keepdims=True)
        denom = np.sqrt((rs**2).sum(axis=1) * (rt**2).sum(axis=1))
        varied = denom > 0
        per_view.append((rs * rt).sum(axis=1)[varied] / denom[varied])
    within = np.concatenate(per_view) if per_view else np.zeros(0)
    real = np.arange(N_SLOTS)[None, :] < n_segments[:, None]
    pairs = real & np.isfinite(latent) & np.isfinite(scores)
    pooled = float("nan")
    if pairs.sum() >= 2 and np.ptp(scores[pairs]) > 0 and np.ptp(latent[pairs]) > 0:
        pooled = float(spearmanr(scores[pairs], latent[pairs]).statistic)
    return {
        "spearman_latent": float(within.mean()) if within.size else float("nan"),
        "spearman_latent_pooled": pooled,
    }
