"""Cut a video into 5-s segments (SPEC 1) and choose which frames represent each segment.

Durations are handled in whole milliseconds, as the logs carry them, so a video and its views
always agree on N = ceil(duration_ms / 5000).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from seg_pipeline.errors import ConfigError

SEGMENT_MS = 5000


@dataclass(frozen=True)
class SegmentPlan:
    segment_idx: int
    start_s: float
    end_s: float
    frame_indices: tuple[int, ...]


def n_segments(duration_ms: int) -> int:
    """N = ceil(duration_ms / 5000), in integer arithmetic so 5000 ms is exactly one segment."""
    return -(-int(duration_ms) // SEGMENT_MS)


def check_frames_per_segment(k: int, field: str = "video_segments.config.frames_per_segment") -> int:
    if not isinstance(k, int) or k < 1:
        raise ConfigError(field, f"must be a whole number >= 1, got {k!r}",
                          "use 1 (the segment midpoint) or more frames to mean-pool")
    return k


def sample_times(start_s: float, end_s: float, k: int) -> list[float]:
    """Centres of k equal slices of [start, end): k = 1 is the midpoint."""
    width = (end_s - start_s) / k
    return [start_s + (j + 0.5) * width for j in range(k)]


def frame_at(t_s: float, fps: float, n_frames: int) -> int:
    """The frame shown at time t for a constant-rate stream: frame i covers [i/fps, (i+1)/fps)."""
    # The small epsilon keeps t = i/fps (computed in floating point) on frame i, not i - 1.
    return min(max(int(math.floor(t_s * fps + 1e-6)), 0), n_frames - 1)


def plan_segments(duration_ms: int, fps: float, n_frames: int, k: int = 1) -> list[SegmentPlan]:
    """Segment i covers [5i, min(5i + 5, duration)) s; its k frames sit at the slice centres."""
    check_frames_per_segment(k)
    duration_s = duration_ms / 1000.0
    plans = []
    for i in range(n_segments(duration_ms)):
        start_s = i * SEGMENT_MS / 1000.0
        end_s = min(start_s + SEGMENT_MS / 1000.0, duration_s)
        frames = tuple(frame_at(t, fps, n_frames) for t in sample_times(start_s, end_s, k))
        plans.append(SegmentPlan(i, start_s, end_s, frames))
    return plans
