"""Cut a video into SEGMENT_SECONDS segments (SPEC 1) and choose which frames represent each one.

Durations are handled in whole milliseconds, as the logs carry them, so a video and its views
always agree on N = ceil(duration_ms / SEGMENT_MS).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pyarrow as pa

from seg_pipeline.contract import SEGMENT_MS
from seg_pipeline.errors import ConfigError


@dataclass(frozen=True)
class SegmentPlan:
    segment_idx: int
    start_s: float
    end_s: float
    frame_indices: tuple[int, ...]


def n_segments(duration_ms: int) -> int:
    """N = ceil(duration_ms / SEGMENT_MS), in integer arithmetic so SEGMENT_MS is exactly one segment."""
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
    """Segment i covers [t i, min(t (i + 1), duration)) s with t = SEGMENT_SECONDS; its k frames sit
    at the slice centres."""
    check_frames_per_segment(k)
    duration_s = duration_ms / 1000.0
    plans = []
    for i in range(n_segments(duration_ms)):
        start_s = i * SEGMENT_MS / 1000.0
        end_s = min(start_s + SEGMENT_MS / 1000.0, duration_s)
        frames = tuple(frame_at(t, fps, n_frames) for t in sample_times(start_s, end_s, k))
        plans.append(SegmentPlan(i, start_s, end_s, frames))
    return plans


def segment_rows(videos: pa.Table, k: int) -> pa.Table:
    """The `segments` rows of every video (video_id, duration_ms, fps, n_frames): one per
    (video, segment) with its k sampled frame indices."""
    columns: dict[str, list] = {"video_id": [], "segment_idx": [], "start_s": [], "end_s": [], "frame_indices": []}
    for video in videos.select(["video_id", "duration_ms", "fps", "n_frames"]).to_pylist():
        for seg in plan_segments(video["duration_ms"], video["fps"], video["n_frames"], k):
            columns["video_id"].append(video["video_id"])
            columns["segment_idx"].append(seg.segment_idx)
            columns["start_s"].append(seg.start_s)
            columns["end_s"].append(seg.end_s)
            columns["frame_indices"].append(list(seg.frame_indices))
    return pa.table({
        "video_id": pa.array(columns["video_id"], pa.string()),
        "segment_idx": pa.array(columns["segment_idx"], pa.int32()),
        "start_s": pa.array(columns["start_s"], pa.float64()),
        "end_s": pa.array(columns["end_s"], pa.float64()),
        "frame_indices": pa.array(columns["frame_indices"], pa.list_(pa.int32())),
    })


def segment_facts(videos: pa.Table, segments: pa.Table, k: int) -> dict:
    """How the videos were cut, in plain numbers for a person."""
    per_video = videos["n_segments"].to_pylist()
    return {
        "videos": videos.num_rows,
        "segments": segments.num_rows,
        "frames_per_segment": k,
        "sampled_frames": segments.num_rows * k,
        "segments_per_video_min": min(per_video, default=0),
        "segments_per_video_mean": round(sum(per_video) / max(len(per_video), 1), 3),
        "segments_per_video_max": max(per_video, default=0),
    }
