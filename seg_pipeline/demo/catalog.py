"""The video catalog: durations, scenes (topic runs not aligned to 5-s segments), segment topics.

A segment's topic is the topic that covers most of its span, which is what a frame sampled near the
segment's middle will usually show.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seg_pipeline.contract import SEGMENT_MS
from seg_pipeline.demo.config import WorldConfig
from seg_pipeline.demo.ids import video_id
from seg_pipeline.demo.schedule import MAX_REQUEST_SIZE

DURATION_SIGMA = 0.75  # log-normal spread: most videos 10-60 s, a tail up to 200 s
MEAN_SCENE_S = 6.0
MIN_SCENE_S = 1.0
TOPICS_PER_VIDEO = (1, 3)
LATE_RELEASE = (0.9, 0.97)  # late videos appear in the last ~10% of the log: cold in valid/test


@dataclass(frozen=True)
class Scene:
    start_frame: int
    end_frame: int  # exclusive
    topic: int


@dataclass(frozen=True)
class VideoPlan:
    """One video as the renderer and the user model see it."""

    index: int
    video_id: str
    n_frames: int
    fps: int
    scenes: tuple[Scene, ...]
    segment_topics: np.ndarray  # (n_segments,) int
    quality: float  # per-video logit shift: some videos are simply better
    release: float  # fraction of the log's time span before which nobody can watch it

    @property
    def duration_ms(self) -> int:
        return self.n_frames * 1000 // self.fps

    @property
    def n_segments(self) -> int:
        return len(self.segment_topics)


def draw_duration_frames(
    n: int, fps: int, min_s: float, max_s: float, median_s: float, rng: np.random.Generator
) -> np.ndarray:
    """Log-normal durations truncated to [min_s, max_s] by redrawing, in whole frames."""
    seconds = np.exp(rng.normal(np.log(median_s), DURATION_SIGMA, n))
    for _ in range(50):
        bad = (seconds < min_s) | (seconds > max_s)
        if not bad.any():
            break
        seconds[bad] = np.exp(rng.normal(np.log(median_s), DURATION_SIGMA, int(bad.sum())))
    seconds = np.clip(seconds, min_s, max_s)
    frames = np.round(seconds * fps).astype(np.int64)
    return np.clip(frames, int(np.ceil(min_s * fps)), int(np.floor(max_s * fps)))


def plan_scenes(n_frames: int, fps: int, topic_pool: np.ndarray, rng: np.random.Generator) -> list[Scene]:
    """Scenes of random length (gamma, >= 1 s); consecutive scenes change topic when the pool allows."""
    scenes: list[Scene] = []
    start, previous = 0, -1
    while start < n_frames:
        length_s = MIN_SCENE_S + rng.gamma(2.0, (MEAN_SCENE_S - MIN_SCENE_S) / 2.0)
        end = min(n_frames, start + max(1, int(round(length_s * fps))))
        if n_frames - end < MIN_SCENE_S * fps:  # no sliver of a scene at the very end
            end = n_frames
        choices = topic_pool[topic_pool != previous] if len(topic_pool) > 1 else topic_pool
        topic = int(rng.choice(choices))
        scenes.append(Scene(start, end, topic))
        start, previous = end, topic
    return scenes


def segment_topics_of(scenes: list[Scene], n_frames: int, fps: int, n_topics: int) -> np.ndarray:
    """Majority topic of each 5-s segment (ties go to the lower topic id)."""
    frame_topic = np.empty(n_frames, dtype=np.int64)
    for scene in scenes:
        frame_topic[scene.start_frame:scene.end_frame] = scene.topic
    frames_per_segment = SEGMENT_MS * fps // 1000
    segment = np.arange(n_frames) // frames_per_segment
    counts = np.zeros((int(segment[-1]) + 1, n_topics), dtype=np.int64)
    np.add.at(counts, (segment, frame_topic), 1)
    return counts.argmax(axis=1)


def plan_catalog(config: WorldConfig, rng: np.random.Generator) -> list[VideoPlan]:
    """Durations, scenes and release times of every video in the world."""
    n = config.n_videos
    frames = draw_duration_frames(
        n, config.fps, config.min_duration_s, config.max_duration_s, config.median_duration_s, rng
    )
    quality = rng.normal(0.0, 0.4, n)
    # Late videos appear only near the end of the log, so they are cold in valid/test.
    n_late = int(round(config.late_video_share * n))
    if config.late_video_share > 0 and n >= 10:
        n_late = max(n_late, 1)
    late = np.zeros(n, dtype=bool)
    late[rng.permutation(n)[:n_late]] = True
    # About a third of the catalog exists when the log starts; the rest appears over its first half.
    release = np.where(late, rng.uniform(*LATE_RELEASE, n), np.maximum(0.0, rng.uniform(-0.25, 0.5, n)))
    release[np.argsort(release)[:MAX_REQUEST_SIZE]] = 0.0  # enough to fill the first feed request
    topic_weights = rng.dirichlet(np.full(config.n_topics, 4.0))
    plans = []
    for i in range(n):
        pool_size = int(rng.integers(TOPICS_PER_VIDEO[0], TOPICS_PER_VIDEO[1] + 1))
        pool = rng.choice(config.n_topics, size=pool_size, replace=False, p=topic_weights)
        scenes = plan_scenes(int(frames[i]), config.fps, pool, rng)
        plans.append(
            VideoPlan(
                index=i,
                video_id=video_id(i),
                n_frames=int(frames[i]),
                fps=config.fps,
                scenes=tuple(scenes),
                segment_topics=segment_topics_of(scenes, int(frames[i]), config.fps, config.n_topics),
                quality=float(quality[i]),
                release=float(release[i]),
            )
        )
    return plans
