"""Asset segment_embeddings: CLIP vectors of each segment's sampled frames, cached per video
(features.cached_run, or features.ray_engine on a Ray cluster), the table rebuilt from the cache
files of the current videos."""
from datetime import datetime, timezone
from typing import Literal

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    Config,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)
from pydantic import Field

from seg_pipeline.assets.checks import sql_check
from seg_pipeline.assets.metadata import markdown_table, table_metadata
from seg_pipeline.assets.videos.switched_off import videos_off_check, videos_off_result
from seg_pipeline.features.encoder import EncoderSettings
from seg_pipeline.features.engine import device_facts, load_driver_encoder, run_engine
from seg_pipeline.features.ray_engine import RaySettings
from seg_pipeline.resources import DataHome, RunSettings, VideoSource
from seg_pipeline.warehouse.db import connect
from seg_pipeline.warehouse.fingerprint import table_fingerprint
from seg_pipeline.warehouse.video_tables import read_required, write_segment_embeddings

NORM_TOLERANCE = 1e-3
DEFAULTS = EncoderSettings()
RAY = RaySettings()


class RayConfig(Config):
    """Where and how wide the `ray` engine runs (ignored by engine `local`)."""

    address: str = Field(RAY.address, description="'local' starts a Ray cluster on this machine for the run "
                         "(stopped afterwards); 'auto' joins the cluster `ray start` made here (or $RAY_ADDRESS); "
                         "'host:port' or 'ray://host:port' joins that cluster.")
    workers: int = Field(RAY.workers, ge=1, description="Encoder actors (each loads the encoder once).")
    num_gpus: float = Field(RAY.num_gpus, ge=0, description="GPUs per actor; > 0 runs the encoder on CUDA in "
                            "float16 (run_settings.device applies to engine local only).")
    cpus_per_worker: float = Field(RAY.cpus_per_worker, ge=0, description="CPUs Ray reserves per actor (decoding).")
    videos_per_task: int = Field(RAY.videos_per_task, ge=1, description="Videos per batch sent to an actor: a "
                                 "worker that dies loses (and Ray retries) at most this many.")
    local_cpus: int = Field(RAY.local_cpus, ge=0, description="CPUs of the cluster address 'local' starts "
                            "(0 = all of this machine's).")


class SegmentEmbeddingsConfig(Config):
    """The image encoder; the defaults are a tiny random-init CLIP that runs anywhere in seconds.
    Where it runs is the `run_settings` resource (device; CUDA runs in float16)."""

    model: str = Field(DEFAULTS.model, description="An open_clip architecture, e.g. 'ViT-B-32' (the default is "
                       "a 3.7 M-parameter CLIP shipped with seg_pipeline).")
    weights: str = Field(DEFAULTS.weights, description="'none' (seeded random init, recorded as weights=random), "
                         "an open_clip tag (e.g. 'openai'), a checkpoint file (.pt/.safetensors) or 'local-dir:PATH'.")
    batch_size: int = Field(DEFAULTS.batch_size, ge=1, description="Frames per encoder call; frames of "
                            "consecutive videos share batches (e.g. 64 on CPU, 256 on a GPU).")
    use_cache: bool = Field(True, description="False re-embeds every video (its cache files are overwritten).")
    engine: Literal["local", "ray"] = Field("local", description="'local': this process (the default); 'ray': "
                                            "a pool of encoder actors on a Ray cluster (needs the `ray` extra), "
                                            "writing the same cache files.")
    ray: RayConfig = Field(RayConfig(), description="Ray cluster settings for engine 'ray'.")


@asset(
    deps=["video_segments"],
    group_name="videos",
    code_version="1",
    kinds={"pytorch", "parquet", "duckdb"},
    description="One L2-normalised CLIP image embedding per (video, segment): k sampled frames decoded in one "
    "batched call, encoded with open_clip, mean-pooled; cached per video as Parquet, table in DuckDB.",
)
def segment_embeddings(context: AssetExecutionContext, config: SegmentEmbeddingsConfig, home: DataHome,
                       video_source: VideoSource, run_settings: RunSettings) -> MaterializeResult:
    if not video_source.enabled:
        return videos_off_result(home, "segment_embeddings")
    ray_settings = RaySettings(**config.ray.model_dump())
    settings = EncoderSettings(config.model, config.weights, run_settings.resolved_device(), config.batch_size)
    encoder = load_driver_encoder(config.engine, settings, ray_settings)
    with connect(home.layout.warehouse) as con:
        videos = read_required(con, "videos", "raw_videos").to_pylist()
        segments = read_required(con, "segments", "video_segments").select(
            ["video_id", "segment_idx", "frame_indices", "frames_per_segment"]).to_pylist()
    # torch's default thread count, as before RunSettings existed: the vectors' last bits depend on
    # it, and the same videos must keep giving the same table (run_settings.threads is for training).
    run = run_engine(config.engine, encoder, settings, ray_settings, videos, segments,
                     home.layout.embedding_cache_dir, config.use_cache, context.log.info)
    with connect(home.layout.warehouse) as con:
        write_segment_embeddings(con, run.cache_files, encoder.dim, run.rejections,
                                 datetime.now(timezone.utc).replace(tzinfo=None), context.run.run_id)
        tables = table_metadata(con, "segment_embeddings")
        version = table_fingerprint(con, "segment_embeddings")
    rejections = pd.DataFrame([(r.video_id, r.reason) for r in run.rejections], columns=["video_id", "reason"])
    metadata = {"model": encoder.model_name, "weights": encoder.weights_id, "weights_fingerprint": encoder.fingerprint,
                "embedding_dim": encoder.dim, **device_facts(config.engine, encoder, ray_settings),
                "batch_size": config.batch_size, "cache_dir": MetadataValue.path(str(run.cache_dir / run.key)), **run.facts(),
                "rejections": markdown_table(rejections, limit=20), **tables}
    return MaterializeResult(metadata=metadata, data_version=DataVersion(version))


@asset_check(asset=segment_embeddings, blocking=True, description="Every segment has exactly one embedding "
             "(videos rejected while embedding are listed in video_errors), and no embedding lacks its segment")
def every_segment_has_one_embedding(home: DataHome, video_source: VideoSource) -> AssetCheckResult:
    return sql_check(home, "segment_embedding_coverage") if video_source.enabled else videos_off_check()


@asset_check(asset=segment_embeddings, blocking=True,
             description=f"No NaN/inf; every embedding has unit L2 norm (within {NORM_TOLERANCE}); one encoder")
def embeddings_finite_unit_norm(home: DataHome, video_source: VideoSource) -> AssetCheckResult:
    if not video_source.enabled:
        return videos_off_check()
    return sql_check(home, "segment_embedding_norms", {"tolerance": NORM_TOLERANCE})
