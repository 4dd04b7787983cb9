"""Asset segment_embeddings: CLIP vectors of each segment's sampled frames, cached per video.

Videos already embedded with the same (content hash, model, weights, sampling) are read from the
Parquet cache instead of being decoded again, so a new or broken video never forces the rest to be
recomputed; the warehouse table is rebuilt from the cache files of the current videos.
"""

import time
from datetime import datetime, timezone

import pyarrow.dataset as ds
import torch
from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from seg_pipeline.assets.metadata import table_metadata
from seg_pipeline.assets.videos import (
    GROUP,
    VIDEOS_OFF,
    check_result,
    content_version,
    markdown_rows,
    videos_off_result,
)
from seg_pipeline.errors import ConfigError
from seg_pipeline.features.cache import cache_path, cache_schema, encoder_key, read_cached_segments, write_cached
from seg_pipeline.features.embed import EmbedStats, embed_videos, jobs_from_rows
from seg_pipeline.features.encoder import EncoderSettings, load_encoder
from seg_pipeline.features.models import TINY_MODEL
from seg_pipeline.resources import DataHome, VideoSource
from seg_pipeline.video import checks
from seg_pipeline.video.rejections import Rejection, write_stage_errors
from seg_pipeline.warehouse.db import connect, run_sql, table_exists

NORM_TOLERANCE = 1e-3


class SegmentEmbeddingsConfig(Config):
    """The image encoder. Defaults: a tiny random-init CLIP that runs anywhere in seconds.

    model: an open_clip architecture (e.g. "ViT-B-32"); weights: "none" (seeded random init,
    recorded as "random"), an open_clip tag (e.g. "openai"), a checkpoint file (.pt/.safetensors)
    or "local-dir:PATH"; device: "auto" (CUDA in float16 when present, else CPU), "cpu", "cuda[:N]".
    """

    model: str = TINY_MODEL
    weights: str = "none"
    device: str = "auto"
    batch_size: int = 64  # frames per encoder call; frames of consecutive videos share batches
    use_cache: bool = True  # False re-embeds every video (the cache files are overwritten)


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"


@asset(
    deps=["video_segments"],
    group_name=GROUP,
    code_version="1",
    kinds={"pytorch", "parquet", "duckdb"},
    description="One L2-normalised CLIP image embedding per (video, segment): k sampled frames decoded in one "
    "batched call, encoded with open_clip, mean-pooled; cached per video as Parquet, table in DuckDB.",
)
def segment_embeddings(context: AssetExecutionContext, config: SegmentEmbeddingsConfig, home: DataHome,
                       video_source: VideoSource) -> MaterializeResult:
    if not video_source.enabled:
        return videos_off_result(home, "segment_embeddings")
    layout = home.layout
    encoder = load_encoder(EncoderSettings(config.model, config.weights, config.device, config.batch_size))

    with connect(layout.warehouse) as con:
        for table in ("videos", "segments"):
            if not table_exists(con, table):
                raise RuntimeError(f"table `{table}` is missing: materialise raw_videos and video_segments first")
        videos = con.table("videos").to_arrow_table().to_pylist()
        segments = con.table("segments").to_arrow_table().select(
            ["video_id", "segment_idx", "frame_indices", "frames_per_segment"]).to_pylist()
    k_values = {s["frames_per_segment"] for s in segments}
    if len(k_values) > 1:
        raise ConfigError("video_segments.config.frames_per_segment",
                          f"the segments table mixes {sorted(k_values)} frames per segment",
                          "re-materialise video_segments")
    k = k_values.pop() if k_values else 1
    jobs, owners = jobs_from_rows(videos, segments)
    key = encoder_key(encoder.model_name, encoder.weights_id, encoder.fingerprint, k)
    cache_dir = layout.embedding_cache_dir

    hits, todo = [], []
    for job in jobs:
        cached = read_cached_segments(cache_path(cache_dir, key, job.content_hash)) if config.use_cache else None
        (hits if cached == len(job.frame_indices) else todo).append(job)
    context.log.info(f"{len(jobs)} distinct videos: {len(hits)} cached, {len(todo)} to embed with "
                     f"{encoder.model_name} (weights={encoder.weights_id}) on {encoder.device}")

    stats = EmbedStats()
    rejections: list[Rejection] = []
    done_hashes = {job.content_hash for job in hits}
    started = time.perf_counter()
    for n, result in enumerate(embed_videos(todo, encoder.prepare, encoder.encode_prepared,
                                                   encoder.dim, config.batch_size, stats), 1):
        job = result.job
        if result.embeddings is None:
            for video in owners[job.content_hash]:
                rejections.append(Rejection(video["path"], video["video_id"], "decode_failed",
                                            result.error or "decoding failed", video["size_bytes"]))
            continue
        write_cached(cache_path(cache_dir, key, job.content_hash), job.content_hash, result.embeddings,
                     encoder.model_name, encoder.weights_id, encoder.fingerprint, k)
        done_hashes.add(job.content_hash)
        if n % 100 == 0:
            context.log.info(f"embedded {n}/{len(todo)} videos")
    seconds = time.perf_counter() - started

    embedded_ids = sorted(v["video_id"] for h in done_hashes for v in owners[h])
    files = [str(cache_path(cache_dir, key, h)) for h in sorted(done_hashes)]
    recorded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    with connect(layout.warehouse) as con:
        con.register("cached_embeddings", ds.dataset(files, schema=cache_schema(encoder.dim), format="parquet"))
        try:
            run_sql(con, "segment_embeddings")
        finally:
            con.unregister("cached_embeddings")
        write_stage_errors(con, "segment_embeddings", rejections, recorded_at, context.run.run_id)
        tables = table_metadata(con, "segment_embeddings")

    rate = max(seconds, 1e-9)
    metadata = {
        "model": MetadataValue.text(encoder.model_name),
        "weights": MetadataValue.text(encoder.weights_id),
        "weights_fingerprint": MetadataValue.text(encoder.fingerprint),
        "embedding_dim": MetadataValue.int(encoder.dim),
        "frames_per_segment": MetadataValue.int(k),
        "device": MetadataValue.text(_device_name(encoder.device)),
        "precision": MetadataValue.text(encoder.precision),
        "batch_size": MetadataValue.int(config.batch_size),
        "videos": MetadataValue.int(len(embedded_ids)),
        "distinct_contents": MetadataValue.int(len(jobs)),
        "cache_hits": MetadataValue.int(len(hits)),
        "cache_misses": MetadataValue.int(len(todo)),
        "cache_dir": MetadataValue.path(str(cache_dir / key)),
        "errors": MetadataValue.int(len(rejections)),
        "rejections": markdown_rows([{"video_id": r.video_id, "reason": r.reason} for r in rejections]),
        "embedded_videos": MetadataValue.int(stats.videos),
        "embedded_segments": MetadataValue.int(stats.segments),
        "decoded_frames": MetadataValue.int(stats.frames),
        "seconds": MetadataValue.float(round(seconds, 3)),
        "decode_seconds": MetadataValue.float(round(stats.decode_s, 3)),
        "encode_seconds": MetadataValue.float(round(stats.encode_s, 3)),
        "videos_per_s": MetadataValue.float(round(stats.videos / rate, 2)),
        "frames_per_s": MetadataValue.float(round(stats.frames / rate, 2)),
        "segments_per_s": MetadataValue.float(round(stats.segments / rate, 2)),
        **tables,
    }
    version = content_version(key, embedded_ids, sorted(done_hashes))
    return MaterializeResult(metadata=metadata, data_version=version)


@asset_check(asset=segment_embeddings, description="Every segment has exactly one embedding (videos rejected "
             "while embedding are listed in video_errors), and no embedding lacks its segment")
def every_segment_has_one_embedding(home: DataHome, video_source: VideoSource) -> AssetCheckResult:
    if not video_source.enabled:
        return AssetCheckResult(passed=True, metadata={"note": VIDEOS_OFF})
    with connect(home.layout.warehouse, read_only=True) as con:
        return check_result(checks.embedding_coverage(con))


@asset_check(asset=segment_embeddings,
             description=f"No NaN/inf; every embedding has unit L2 norm (within {NORM_TOLERANCE}); one encoder")
def embeddings_finite_unit_norm(home: DataHome, video_source: VideoSource) -> AssetCheckResult:
    if not video_source.enabled:
        return AssetCheckResult(passed=True, metadata={"note": VIDEOS_OFF})
    with connect(home.layout.warehouse, read_only=True) as con:
        return check_result(checks.embedding_norms(con, NORM_TOLERANCE))
