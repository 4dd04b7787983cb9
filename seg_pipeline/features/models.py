"""Which open_clip architectures exist: open_clip's own plus the configs shipped in model_configs/."""
from __future__ import annotations

from pathlib import Path

import open_clip

from seg_pipeline.errors import ConfigError

TINY_MODEL = "seg-tiny-vit"
CONFIG_DIR = Path(__file__).with_name("model_configs")
LOCAL_DIR_PREFIX = "local-dir:"


def register_local_configs() -> None:
    """Make our shipped configs known to open_clip (idempotent; add_model_config rescans)."""
    if TINY_MODEL not in open_clip.list_models():
        open_clip.add_model_config(CONFIG_DIR)


def check_model_name(model: str, field: str = "segment_embeddings.config.model") -> str:
    """An architecture open_clip can build, else ConfigError listing a few that it can."""
    register_local_configs()
    if model.startswith(LOCAL_DIR_PREFIX):
        return model
    if open_clip.get_model_config(model.replace("/", "-")) is None:
        known = open_clip.list_models()
        examples = [m for m in ("ViT-B-32", "ViT-B-16", "ViT-L-14-336", TINY_MODEL) if m in known]
        raise ConfigError(field, f"unknown open_clip model {model!r}",
                          f"use one of open_clip.list_models() ({len(known)} names), e.g. {examples}")
    return model
