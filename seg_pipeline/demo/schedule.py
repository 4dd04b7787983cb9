"""Who watches what, and when: popularity-weighted picks, release times, request batches.

Real short-video logs stamp every video served by one feed request with the request's time, so
most rows share (user, time_ms) with another row; the schedule reproduces that.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOG_START_MS = 3_600_000
LOG_SPAN_MS = 14 * 24 * 3_600_000  # two weeks of activity
NEW_REQUEST_PROBABILITY = 0.3  # mean request batch ~3 videos


@dataclass(frozen=True)
class Schedule:
    """Views sorted by (user, time); arrays are aligned, one entry per view."""

    user_idx: np.ndarray
    video_idx: np.ndarray
    time_ms: np.ndarray


def views_per_user(n_users: int, mean_views: int, rng: np.random.Generator) -> np.ndarray:
    """Activity differs between users (0.5x to 1.5x the mean), every user has at least one view."""
    return np.maximum(1, np.round(mean_views * rng.uniform(0.5, 1.5, n_users))).astype(np.int64)


def popularity_weights(n_videos: int, rng: np.random.Generator) -> np.ndarray:
    """Zipf-like popularity over a random order of the catalog."""
    ranks = rng.permutation(n_videos)
    weights = (ranks + 10.0) ** -0.8
    return weights / weights.sum()


def schedule_views(
    counts: np.ndarray,
    weights: np.ndarray,
    release: np.ndarray,
    rng: np.random.Generator,
) -> Schedule:
    """Time each view, pick a video among those already released by popularity, group into requests.

    counts: views per user; weights: popularity per video; release: per video, the fraction of the
    log span before which it cannot be watched (so a late video gets views only near the end, at
    the rate its popularity earns in that short window, as a new upload does).
    """
    total = int(counts.sum())
    user_idx = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    moment = rng.random(total)
    by_release = np.argsort(release, kind="stable")
    cdf = np.cumsum(weights[by_release])
    available = np.maximum(np.searchsorted(release[by_release], moment, side="right"), 1)
    pick = np.searchsorted(cdf, rng.random(total) * cdf[available - 1], side="right")
    video_idx = by_release[np.minimum(pick, available - 1)]
    order = np.argsort(user_idx + moment, kind="stable")  # by user, then time (moment < 1)
    user_idx, video_idx, moment = user_idx[order], video_idx[order], moment[order]
    raw_ms = LOG_START_MS + np.floor(moment * LOG_SPAN_MS).astype(np.int64)

    new_user = np.ones(total, dtype=bool)
    new_user[1:] = user_idx[1:] != user_idx[:-1]
    new_request = new_user | (rng.random(total) < NEW_REQUEST_PROBABILITY)
    request = np.cumsum(new_request) - 1
    starts = np.flatnonzero(new_request)
    # A request is stamped with its last view's time (so never before any of its videos' release);
    # adding the request ordinal keeps a user's request times strictly increasing.
    request_ms = np.maximum.reduceat(raw_ms, starts) + np.arange(len(starts))
    return Schedule(user_idx=user_idx, video_idx=video_idx, time_ms=request_ms[request])
