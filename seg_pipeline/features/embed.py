"""Segment embeddings for a stream of videos, with memory bounded by one batch plus one video.

Each video's sampled frames are decoded in one batched call; frames from consecutive videos share
encoder batches (a GPU wants hundreds of images per call, a video has a dozen segments), and a
video's result is yielded as soon as its last frame is encoded. k frames of a segment are
mean-pooled and the mean is re-normalised, so every segment vector has unit length.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
import torch

from seg_pipeline.video.frames import FrameDecodeError, read_frames


@dataclass(frozen=True)
class VideoJob:
    video_id: str
    path: str
    decoder: str
    content_hash: str
    frame_indices: Sequence[Sequence[int]]  # per segment, in segment order


@dataclass
class VideoEmbedding:
    job: VideoJob
    embeddings: np.ndarray | None  # (n_segments, d) float32, unit rows; None when decoding failed
    error: str | None = None
    frames_decoded: int = 0


@dataclass
class EmbedStats:
    videos: int = 0
    segments: int = 0
    frames: int = 0
    failed: int = 0
    decode_s: float = 0.0
    encode_s: float = 0.0


@dataclass
class _Pending:
    job: VideoJob
    inverse: np.ndarray  # maps each (segment, j) sample to a row of `vectors`
    vectors: np.ndarray
    remaining: int
    frames_decoded: int = 0


def jobs_from_rows(videos: list[dict], segments: list[dict]) -> tuple[list[VideoJob], dict[str, list[dict]]]:
    """One job per distinct content hash (duplicate files are embedded once), plus hash -> videos.

    videos: rows with video_id, path, decoder, content_hash; segments: video_id, segment_idx,
    frame_indices. Videos without segments get no job.
    """
    by_video: dict[str, list[tuple[int, list[int]]]] = {}
    for seg in segments:
        by_video.setdefault(seg["video_id"], []).append((seg["segment_idx"], list(seg["frame_indices"])))
    jobs: list[VideoJob] = []
    owners: dict[str, list[dict]] = {}
    for video in sorted(videos, key=lambda v: v["video_id"]):
        planned = by_video.get(video["video_id"])
        if not planned:
            continue
        first = video["content_hash"] not in owners
        owners.setdefault(video["content_hash"], []).append(video)
        if first:
            frames = [indices for _, indices in sorted(planned)]
            jobs.append(VideoJob(video["video_id"], video["path"], video["decoder"], video["content_hash"], frames))
    return jobs, owners


def pool_segments(vectors: np.ndarray, n_segments: int, k: int) -> np.ndarray:
    """Mean of each segment's k unit vectors, re-normalised to unit length."""
    pooled = vectors.reshape(n_segments, k, -1).mean(axis=1)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


@dataclass
class _Batcher:
    """Prepared images of several videos (sizes already made equal) waiting for a full batch."""

    encode: Callable[[torch.Tensor], np.ndarray]
    batch_size: int
    stats: EmbedStats
    images: list = field(default_factory=list)  # (pending, row, image tensor)

    def add(self, pending: _Pending, prepared: torch.Tensor) -> None:
        for row in range(prepared.shape[0]):
            self.images.append((pending, row, prepared[row]))

    def run(self, flush: bool) -> None:
        while len(self.images) >= self.batch_size or (flush and self.images):
            chunk, self.images = self.images[: self.batch_size], self.images[self.batch_size:]
            started = time.perf_counter()
            out = self.encode(torch.stack([image for _, _, image in chunk]))
            self.stats.encode_s += time.perf_counter() - started
            for (pending, row, _), vector in zip(chunk, out):
                pending.vectors[row] = vector
                pending.remaining -= 1


def embed_videos(
    jobs: Iterable[VideoJob],
    prepare: Callable[[np.ndarray], torch.Tensor],
    encode: Callable[[torch.Tensor], np.ndarray],
    dim: int,
    batch_size: int = 64,
    stats: EmbedStats | None = None,
    reader: Callable[[str, Sequence[int], str], np.ndarray] = read_frames,
) -> Iterator[VideoEmbedding]:
    """Yield one VideoEmbedding per job, in job order; a video that fails to decode is reported.

    prepare: uint8 frames (n, H, W, 3) -> model-ready tensor (n, 3, S, S), applied per video
    (videos differ in frame size); encode: a batch of prepared images -> (n, dim) unit rows.
    """
    stats = stats if stats is not None else EmbedStats()
    batcher = _Batcher(encode, batch_size, stats)
    queue: deque[_Pending | VideoEmbedding] = deque()

    def finished() -> Iterator[VideoEmbedding]:
        while queue:
            head = queue[0]
            if isinstance(head, _Pending):
                if head.remaining:
                    return
                n, k = len(head.job.frame_indices), len(head.job.frame_indices[0])
                stats.videos += 1
                stats.segments += n
                head = VideoEmbedding(head.job, pool_segments(head.vectors[head.inverse], n, k),
                                      frames_decoded=head.frames_decoded)
            queue.popleft()
            yield head

    for job in jobs:
        samples = np.asarray(job.frame_indices, dtype=np.int64).reshape(-1)
        # Each distinct frame is decoded and encoded once, even if two samples land on it.
        unique, inverse = np.unique(samples, return_inverse=True)
        started = time.perf_counter()
        try:
            frames = reader(job.path, unique.tolist(), job.decoder)
        except FrameDecodeError as exc:
            stats.failed += 1
            queue.append(VideoEmbedding(job, None, error=str(exc)))
            frames = None
        stats.decode_s += time.perf_counter() - started
        if frames is not None:
            stats.frames += len(unique)
            pending = _Pending(job, inverse, np.empty((len(unique), dim), dtype=np.float32),
                               remaining=len(unique), frames_decoded=len(unique))
            queue.append(pending)
            started = time.perf_counter()
            batcher.add(pending, prepare(frames))
            stats.encode_s += time.perf_counter() - started
            del frames
        batcher.run(flush=False)
        yield from finished()
    batcher.run(flush=True)
    yield from finished()
