"""One embedding run over the current videos, reusing the per-video cache.

Videos already embedded with the same (content hash, model, weights, sampling) are read from the
Parquet cache instead of being decoded again, so a new or broken video never forces the rest to be
recomputed; videos that fail to decode become rejections. The warehouse table is then rebuilt from
the cache files of the current videos (`EmbeddingRun.cache_files`).

`plan_run` decides what to embed; `embed_with_cache` embeds it in this process, and
`features.ray_engine.embed_on_ray` on a Ray cluster: both write the same cache files.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from seg_pipeline.errors import ConfigError
from seg_pipeline.features.cache import cache_path, encoder_key, read_cached_segments, write_cached
from seg_pipeline.features.embed import EmbedStats, VideoJob, embed_videos, jobs_from_rows
from seg_pipeline.features.encoder import ImageEncoder
from seg_pipeline.progress import Progress
from seg_pipeline.video.rejections import Rejection



@dataclass
class EmbeddingRun:
    key: str  # the cache folder of this encoder and sampling
    cache_dir: Path
    frames_per_segment: int
    jobs: list[VideoJob]  # one per distinct content
    cached: list[VideoJob]
    to_embed: list[VideoJob]
    owners: dict[str, list[dict]]  # content hash -> the videos with that content
    stats: EmbedStats = field(default_factory=EmbedStats)
    rejections: list[Rejection] = field(default_factory=list)
    done_hashes: set[str] = field(default_factory=set)
    seconds: float = 0.0
    engine: dict = field(default_factory=lambda: {"engine": "local"})  # where it ran (Ray: cluster facts)

    @property
    def cache_files(self) -> list[str]:
        return [str(cache_path(self.cache_dir, self.key, h)) for h in sorted(self.done_hashes)]

    @property
    def embedded_ids(self) -> list[str]:
        return sorted(v["video_id"] for h in self.done_hashes for v in self.owners[h])

    def reject(self, job: VideoJob, error: str | None) -> None:
        """Every video with this content becomes a decode_failed rejection."""
        for video in self.owners[job.content_hash]:
            self.rejections.append(Rejection(video["path"], video["video_id"], "decode_failed",
                                             error or "decoding failed", video["size_bytes"]))

    def facts(self) -> dict:
        """What was embedded, what came from the cache, and how fast, in plain numbers."""
        stats, rate = self.stats, max(self.seconds, 1e-9)
        return {
            "frames_per_segment": self.frames_per_segment,
            "videos": len(self.embedded_ids),
            "distinct_contents": len(self.jobs),
            "cache_hits": len(self.cached),
            "cache_misses": len(self.to_embed),
            "errors": len(self.rejections),
            "embedded_videos": stats.videos,
            "embedded_segments": stats.segments,
            "decoded_frames": stats.frames,
            "seconds": round(self.seconds, 3),
            "decode_seconds": round(stats.decode_s, 3),
            "encode_seconds": round(stats.encode_s, 3),
            "videos_per_s": round(stats.videos / rate, 2),
            "frames_per_s": round(stats.frames / rate, 2),
            "segments_per_s": round(stats.segments / rate, 2),
            **self.engine,
        }


def frames_per_segment_of(segments: list[dict]) -> int:
    """The one k the segments table was planned with (1 for an empty table)."""
    k_values = {s["frames_per_segment"] for s in segments}
    if len(k_values) > 1:
        raise ConfigError("video_segments.config.frames_per_segment",
                          f"the segments table mixes {sorted(k_values)} frames per segment",
                          "re-materialise video_segments")
    return k_values.pop() if k_values else 1


def plan_run(encoder: ImageEncoder, videos: list[dict], segments: list[dict], cache_dir: Path,
             use_cache: bool = True, log: Callable[[str], None] = lambda message: None) -> EmbeddingRun:
    """Split the distinct videos into cache hits and videos to embed (all of them when not use_cache).

    videos: `videos` rows; segments: `segments` rows (video_id, segment_idx, frame_indices,
    frames_per_segment).
    """
    k = frames_per_segment_of(segments)
    jobs, owners = jobs_from_rows(videos, segments)
    key = encoder_key(encoder.model_name, encoder.weights_id, encoder.fingerprint, k)
    cached, to_embed = [], []
    for job in jobs:
        hit = read_cached_segments(cache_path(cache_dir, key, job.content_hash)) if use_cache else None
        (cached if hit == len(job.frame_indices) else to_embed).append(job)
    log(f"{len(jobs)} distinct videos: {len(cached)} cached, {len(to_embed)} to embed with "
        f"{encoder.model_name} (weights={encoder.weights_id})")
    return EmbeddingRun(key, Path(cache_dir), k, jobs, cached, to_embed, owners,
                        done_hashes={job.content_hash for job in cached})


def embed_with_cache(encoder: ImageEncoder, videos: list[dict], segments: list[dict], cache_dir: Path,
                     batch_size: int, use_cache: bool = True,
                     log: Callable[[str], None] = lambda message: None) -> EmbeddingRun:
    """Embed, in this process, every video not in the cache and write its cache file."""
    run = plan_run(encoder, videos, segments, cache_dir, use_cache, log)
    log(f"embedding {len(run.to_embed)} videos in this process on {encoder.device}")
    started = time.perf_counter()
    results = embed_videos(run.to_embed, encoder.prepare, encoder.encode_prepared, encoder.dim, batch_size, run.stats)
    progress = Progress(len(run.to_embed), "embedding", log, unit="videos")
    for result in results:
        job = result.job
        progress.update(1)
        if result.embeddings is None:
            run.reject(job, result.error)
            continue
        write_cached(cache_path(cache_dir, run.key, job.content_hash), job.content_hash, result.embeddings,
                     encoder.model_name, encoder.weights_id, encoder.fingerprint, run.frames_per_segment)
        run.done_hashes.add(job.content_hash)
    progress.close()
    run.seconds = time.perf_counter() - started
    return run
