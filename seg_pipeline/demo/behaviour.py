"""How simulated users watch: latent interest per segment, the leave draw, and the playing time.

Everything here works on flat arrays (one entry per (view, segment)), so the same code serves the
small world with real videos and the multi-million-view log-only mode.

The continue probability of user u in segment i (topic k) of video v is
    sigmoid(base_u + pref_u[k] + quality_v - decay_u * i + hook * [i == 0]).
Strong personal dislikes in pref_u make skips depend on *which* topic a segment shows, so a model
that sees the segments' content can beat per-video and per-position priors.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seg_pipeline.contract import SEGMENT_MS

# Real short-video logs leave most often in the first segment; this extra logit reproduces that.
FIRST_SEGMENT_HOOK = -0.7
DISLIKED_TOPICS_PER_USER = 2
DISLIKE_STRENGTH = -3.5
LOVED_TOPIC_BOOST = 1.0
REPLAY_SHARE = 0.8  # full watches whose playing time runs past the end (real logs record replays)


@dataclass(frozen=True)
class Users:
    """Latent per-user parameters (never written to the logs; ground truth derives from them)."""

    base: np.ndarray  # (n_users,) continue logit before topic and position effects
    topic_pref: np.ndarray  # (n_users, n_topics) additive logit per topic
    decay: np.ndarray  # (n_users,) logit lost per segment of position

    @property
    def n_users(self) -> int:
        return len(self.base)


def draw_users(n_users: int, n_topics: int, rng: np.random.Generator) -> Users:
    """Users share a mild global taste per topic, then differ strongly: each dislikes a few topics."""
    global_taste = rng.normal(0.0, 0.4, n_topics)
    pref = global_taste[None, :] + rng.normal(0.0, 0.5, (n_users, n_topics))
    order = np.argsort(rng.random((n_users, n_topics)), axis=1)  # a random topic ranking per user
    rows = np.arange(n_users)[:, None]
    n_disliked = min(DISLIKED_TOPICS_PER_USER, n_topics - 1)
    pref[rows, order[:, :n_disliked]] += DISLIKE_STRENGTH
    pref[rows[:, 0], order[:, -1]] += LOVED_TOPIC_BOOST
    base = rng.normal(2.7, 0.5, n_users)
    decay = np.exp(rng.normal(np.log(0.06), 0.4, n_users))
    return Users(base=base, topic_pref=pref, decay=decay)


def continue_probability(
    users: Users,
    user_idx: np.ndarray,
    topics: np.ndarray,
    positions: np.ndarray,
    video_quality: np.ndarray,
) -> np.ndarray:
    """The latent interest: probability of watching past each (view, segment) entry."""
    # In-place steps: at log-only scale these arrays hold ~10 million entries each.
    n_topics = users.topic_pref.shape[1]
    logit = users.topic_pref.ravel()[user_idx * n_topics + topics]
    logit += users.base[user_idx]
    logit += video_quality
    logit -= users.decay[user_idx] * positions
    logit[positions == 0] += FIRST_SEGMENT_HOOK
    np.negative(logit, out=logit)
    np.exp(logit, out=logit)
    logit += 1.0
    return np.reciprocal(logit, out=logit)


def segment_offsets(n_segments: np.ndarray) -> np.ndarray:
    """Start of each view's run in the flat (view, segment) arrays."""
    offsets = np.zeros(len(n_segments), dtype=np.int64)
    np.cumsum(n_segments[:-1], out=offsets[1:])
    return offsets


def flat_positions(n_segments: np.ndarray) -> np.ndarray:
    """0..N-1 for each view, concatenated."""
    total = int(n_segments.sum())
    starts = np.repeat(segment_offsets(n_segments), n_segments)
    return np.arange(total, dtype=np.int64) - starts


def expand_views(
    n_segments_per_video: np.ndarray, topic_table: np.ndarray, video_idx: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per view its segment count, and flat (topic, position) for every (view, segment).

    topic_table holds all videos' segment topics back to back, in video order.
    """
    topic_start = segment_offsets(n_segments_per_video)
    n_segments = n_segments_per_video[video_idx]
    positions = flat_positions(n_segments)
    topics = topic_table[np.repeat(topic_start[video_idx], n_segments) + positions]
    return n_segments, topics, positions


def draw_leave_slots(p_continue: np.ndarray, n_segments: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """First segment whose Bernoulli draw says leave; N (the end slot) when every draw says stay."""
    leaves = rng.random(len(p_continue)) >= p_continue
    positions = flat_positions(n_segments)
    never = np.repeat(n_segments, n_segments)
    first = np.where(leaves, positions, never)
    return np.minimum.reduceat(first, segment_offsets(n_segments)).astype(np.int64)


def draw_playing_time_ms(
    slots: np.ndarray, n_segments: np.ndarray, duration_ms: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A playing time anywhere inside the leave segment, so SPEC 1's rule maps it back to `slots`.

    Segment s holds playing times in (5000 s, 5000 (s + 1)] and below the duration; a full watch
    plays to the end, and most full watches replay part of the video, as real logs record.
    """
    slots = slots.astype(np.int64)
    duration_ms = duration_ms.astype(np.int64)
    low = SEGMENT_MS * slots + 1
    high = np.minimum(SEGMENT_MS * (slots + 1), duration_ms - 1)
    skip_time = low + np.floor(rng.random(len(slots)) * (high - low + 1)).astype(np.int64)
    replay = rng.random(len(slots)) < REPLAY_SHARE
    extra = np.where(replay, 1 + np.floor(rng.random(len(slots)) * duration_ms).astype(np.int64), 0)
    full = slots >= n_segments
    return np.where(full, duration_ms + extra, skip_time)


def skip_segment_of(playing_time_ms: np.ndarray, duration_ms: np.ndarray) -> np.ndarray:
    """SPEC 1's label rule (the inverse of draw_playing_time_ms); -1 marks a full watch."""
    seg = np.maximum(np.ceil(playing_time_ms / SEGMENT_MS), 1).astype(np.int64) - 1
    return np.where(playing_time_ms >= duration_ms, -1, seg)
