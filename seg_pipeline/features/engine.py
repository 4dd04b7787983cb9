"""Which engine embeds the videos: `local` (this process, the default) or `ray` (a Ray cluster).

Both plan the same way and write the same cache files, so the table built from them is the same;
the asset calls these three functions and does not care which engine ran.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from seg_pipeline.features.cached_run import EmbeddingRun, embed_with_cache
from seg_pipeline.features.encoder import EncoderSettings, ImageEncoder, load_encoder
from seg_pipeline.features.ray_engine import RaySettings, check_settings, embed_on_ray, import_ray

ENGINES = ("local", "ray")


def load_driver_encoder(engine: str, settings: EncoderSettings, ray_settings: RaySettings) -> ImageEncoder:
    """The encoder of this process. With engine ray it only names the cache (model, weights,
    fingerprint), so it stays on the CPU; a missing Ray install fails here, before any work."""
    if engine == "ray":
        check_settings(ray_settings)
        import_ray()
        settings = EncoderSettings(settings.model, settings.weights, "cpu", settings.batch_size)
    return load_encoder(settings)


def run_engine(engine: str, encoder: ImageEncoder, settings: EncoderSettings, ray_settings: RaySettings,
               videos: list[dict], segments: list[dict], cache_dir: Path, use_cache: bool,
               log: Callable[[str], None]) -> EmbeddingRun:
    if engine == "ray":
        return embed_on_ray(encoder, settings, videos, segments, cache_dir, use_cache, ray_settings, log)
    return embed_with_cache(encoder, videos, segments, cache_dir, settings.batch_size, use_cache, log)


def device_facts(engine: str, encoder: ImageEncoder, ray_settings: RaySettings) -> dict:
    """Where the encoder ran and in which precision, for the asset's metadata."""
    if engine == "local":
        return {"device": encoder.device_label, "precision": encoder.precision}
    gpus = ray_settings.num_gpus
    return {"device": f"ray workers ({gpus:g} GPU each)" if gpus else "ray workers (cpu)",
            "precision": "float16" if gpus else "float32"}
