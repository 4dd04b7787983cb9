"""Log-only mode: the demo world's user behaviour at KuaiRand scale, without any video files.

Whole-array numpy from start to end (no Python loop per view or per video), so 1.6 million views
over 700,000 videos take seconds; scale benchmarks of later stages import `simulate_log_only`.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from seg_pipeline.contract import SEGMENT_MS
from seg_pipeline.demo.behaviour import (
    continue_probability,
    draw_leave_slots,
    draw_playing_time_ms,
    draw_users,
    expand_views,
    segment_offsets,
)
from seg_pipeline.demo.catalog import draw_duration_frames
from seg_pipeline.demo.config import WorldConfig
from seg_pipeline.demo.schedule import popularity_weights, schedule_views
from seg_pipeline.demo.world import (
    INTERACTIONS_SCHEMA,
    STREAM_CATALOG,
    STREAM_OUTCOME,
    STREAM_SCHEDULE,
    STREAM_USERS,
    stream,
)
from seg_pipeline.demo.ids import user_id_array, video_id_array

TOPIC_CHANGE_PROBABILITY = 0.4  # per segment boundary: scenes outlast a segment about as often as not


def markov_segment_topics(n_segments: np.ndarray, n_topics: int, rng: np.random.Generator) -> np.ndarray:
    """Flat segment topics per video: each segment keeps the previous topic or jumps to a random one."""
    total = int(n_segments.sum())
    change = rng.random(total) < TOPIC_CHANGE_PROBABILITY
    change[segment_offsets(n_segments)] = True  # every video starts with a fresh topic
    fresh = rng.integers(0, n_topics, total)
    last_change = np.maximum.accumulate(np.where(change, np.arange(total), 0))
    return fresh[last_change]


def simulate_log_only(n_users: int, n_videos: int, n_views: int, seed: int = 0) -> pa.Table:
    """Interactions (user_id, video_id, time_ms, duration_ms, playing_time_ms) with no video files.

    Same behaviour model as the demo world (topic preferences, position decay, request batches);
    durations have millisecond precision, as real logs do.
    """
    for name, value in (("n_users", n_users), ("n_videos", n_videos), ("n_views", n_views)):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    defaults = WorldConfig()
    catalog_rng = stream(seed, STREAM_CATALOG)
    duration_ms = draw_duration_frames(
        n_videos, 1000, defaults.min_duration_s, defaults.max_duration_s, defaults.median_duration_s, catalog_rng
    )
    n_seg_video = -(-duration_ms // SEGMENT_MS)
    topic_table = markov_segment_topics(n_seg_video, defaults.n_topics, catalog_rng)
    quality = catalog_rng.normal(0.0, 0.4, n_videos)

    users = draw_users(n_users, defaults.n_topics, stream(seed, STREAM_USERS))
    sched_rng = stream(seed, STREAM_SCHEDULE)
    activity = sched_rng.uniform(0.5, 1.5, n_users)
    counts = sched_rng.multinomial(n_views, activity / activity.sum()).astype(np.int64)
    weights = popularity_weights(n_videos, sched_rng)
    schedule = schedule_views(counts, weights, np.zeros(n_videos), sched_rng)

    n_segments, topics, positions = expand_views(n_seg_video, topic_table, schedule.video_idx)
    p_continue = continue_probability(
        users,
        np.repeat(schedule.user_idx, n_segments),
        topics,
        positions,
        np.repeat(quality[schedule.video_idx], n_segments),
    )
    outcome_rng = stream(seed, STREAM_OUTCOME)
    slots = draw_leave_slots(p_continue, n_segments, outcome_rng)
    view_duration = duration_ms[schedule.video_idx]
    playing = draw_playing_time_ms(slots, n_segments, view_duration, outcome_rng)

    user_names = user_id_array(n_users)
    video_names = video_id_array(n_videos)
    return pa.table(
        {
            "user_id": user_names.take(pa.array(schedule.user_idx)),
            "video_id": video_names.take(pa.array(schedule.video_idx)),
            "time_ms": schedule.time_ms,
            "duration_ms": view_duration,
            "playing_time_ms": playing,
        },
        schema=INTERACTIONS_SCHEMA,
    )
