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
MAX_REQUEST_SIZE = 8
REDRAW_ROUNDS = 20


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
    """Time each view, group views into feed requests, fill each request with distinct videos.

    counts: views per user; weights: popularity per video; release: per video, the fraction of the
    log span before which it cannot be watched (so a late video gets views only near the end, at
    the rate its popularity earns in that short window, as a new upload does).
    """
    total = int(counts.sum())
    user_idx = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    moment = np.sort(user_idx + rng.random(total)) - user_idx  # sorted within each user

    new_user = np.ones(total, dtype=bool)
    new_user[1:] = user_idx[1:] != user_idx[:-1]
    new_request = new_user | (rng.random(total) < NEW_REQUEST_PROBABILITY)
    request = np.cumsum(new_request) - 1
    slot_in_request = np.arange(total) - np.flatnonzero(new_request)[request]
    new_request |= slot_in_request % MAX_REQUEST_SIZE == 0  # a feed page holds at most this many
    request = np.cumsum(new_request) - 1
    starts = np.flatnonzero(new_request)
    # A request happens at its last view's moment; every video it serves is released by then.
    request_moment = np.maximum.reduceat(moment, starts)[request]

    by_release = np.argsort(release, kind="stable")
    cdf = np.cumsum(weights[by_release])
    available = np.maximum(np.searchsorted(release[by_release], request_moment, side="right"), 1)

    def draw(which: np.ndarray) -> np.ndarray:
        pick = np.searchsorted(cdf, rng.random(len(which)) * cdf[available[which] - 1], side="right")
        return by_release[np.minimum(pick, available[which] - 1)]

    video_idx = draw(np.arange(total))
    for _ in range(REDRAW_ROUNDS):  # a feed never serves one video twice in a request
        repeated = _repeats_within_request(request, video_idx, len(weights))
        if not repeated.any():
            break
        video_idx[repeated] = draw(np.flatnonzero(repeated))
    # Rare leftovers (a full request among few released videos): the earliest unused released video.
    for view in np.flatnonzero(_repeats_within_request(request, video_idx, len(weights))):
        used = set(video_idx[request == request[view]].tolist())
        unused = [v for v in by_release[: available[view]].tolist() if v not in used]
        if unused:
            video_idx[view] = unused[0]

    raw_ms = LOG_START_MS + np.floor(request_moment * LOG_SPAN_MS).astype(np.int64)
    # Adding the request ordinal keeps a user's request times strictly increasing.
    return Schedule(user_idx=user_idx, video_idx=video_idx, time_ms=raw_ms + request)


def _repeats_within_request(request: np.ndarray, video_idx: np.ndarray, n_videos: int) -> np.ndarray:
    """True for every view whose video already appeared earlier in the same request."""
    key = request * n_videos + video_idx
    order = np.argsort(key, kind="stable")
    repeated = np.zeros(len(key), dtype=bool)
    repeated[order[1:]] = key[order[1:]] == key[order[:-1]]
    return repeated
