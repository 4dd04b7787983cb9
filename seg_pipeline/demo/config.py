"""Demo-world sizes and knobs: one frozen value that fully determines the generated world.

The fingerprint of this value (plus the generator version) is what decides whether an existing
world on disk can be reused or must be regenerated.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Optional

from seg_pipeline.contract import MAX_SEGMENTS, SEGMENT_SECONDS
from seg_pipeline.errors import ConfigError

# Bump when the generator's output changes for the same config, so stale worlds are rebuilt.
GENERATOR_VERSION = "demo-world-v3"
MAX_TOPICS = 8
MAX_DURATION_S = MAX_SEGMENTS * SEGMENT_SECONDS  # the pipeline's scope: 1 to MAX_SEGMENTS segments


@dataclass(frozen=True)
class WorldConfig:
    """Everything that shapes a demo world; two equal configs produce byte-identical logs."""

    size: str = "default"
    seed: int = 0
    n_videos: int = 160
    n_users: int = 150
    views_per_user: int = 100
    min_duration_s: float = SEGMENT_SECONDS
    max_duration_s: float = MAX_DURATION_S
    median_duration_s: float = 20.0
    fps: int = 10
    width: int = 160
    height: int = 120
    n_topics: int = 8
    late_video_share: float = 0.15
    inject_bad_inputs: bool = True

    def fingerprint(self) -> str:
        payload = json.dumps({"generator": GENERATOR_VERSION, **dataclasses.asdict(self)}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# "default": the whole pipeline in a few minutes on 2 CPU cores; "tiny": tests and CI, seconds.
PRESETS: dict[str, dict] = {
    "default": {},
    "tiny": dict(n_videos=20, n_users=20, views_per_user=30, max_duration_s=40.0, median_duration_s=15.0,
                 late_video_share=0.1),
}


def resolve_world_config(
    size: str = "default",
    seed: int = 0,
    n_videos: Optional[int] = None,
    n_users: Optional[int] = None,
    views_per_user: Optional[int] = None,
    inject_bad_inputs: bool = True,
    field_prefix: str = "",
    **other,
) -> WorldConfig:
    """A preset plus explicit overrides, validated; errors name the offending field."""
    if size not in PRESETS:
        raise ConfigError(f"{field_prefix}size", f"unknown size {size!r}", f"use one of {sorted(PRESETS)}")
    values = {**PRESETS[size], **other}
    for name, value in (("n_videos", n_videos), ("n_users", n_users), ("views_per_user", views_per_user)):
        if value is not None:
            values[name] = value
    unknown = set(values) - {f.name for f in dataclasses.fields(WorldConfig)}
    if unknown:
        raise ConfigError(f"{field_prefix}{sorted(unknown)[0]}", "not a demo-world setting",
                          "remove it or check the spelling")
    config = WorldConfig(size=size, seed=seed, inject_bad_inputs=inject_bad_inputs, **values)
    validate(config, field_prefix)
    return config


def validate(config: WorldConfig, field_prefix: str = "") -> None:
    def fail(field: str, problem: str, fix: str) -> None:
        raise ConfigError(f"{field_prefix}{field}", problem, fix)

    for name in ("n_videos", "n_users", "views_per_user"):
        if getattr(config, name) < 1:
            fail(name, f"must be at least 1, got {getattr(config, name)}", "use a positive count")
    if not SEGMENT_SECONDS <= config.min_duration_s < config.max_duration_s <= MAX_DURATION_S:
        fail("min_duration_s", f"need {SEGMENT_SECONDS:g} <= min < max <= {MAX_DURATION_S:g} s, "
             f"got {config.min_duration_s}..{config.max_duration_s}",
             f"keep durations inside the {SEGMENT_SECONDS:g}-{MAX_DURATION_S:g} s scope of the pipeline")
    if not config.min_duration_s <= config.median_duration_s <= config.max_duration_s:
        fail("median_duration_s", "must lie between min_duration_s and max_duration_s", "adjust it")
    if config.fps < 1 or 1000 % config.fps:
        fail("fps", f"{config.fps} does not divide 1000, so frame times are not whole milliseconds",
             "use e.g. 5, 8, 10, 20 or 25")
    if config.width % 2 or config.height % 2 or min(config.width, config.height) < 32:
        fail("width", f"frames must be even-sized and at least 32 px, got {config.width}x{config.height}",
             "use e.g. 160x120")
    if not 2 <= config.n_topics <= MAX_TOPICS:
        fail("n_topics", f"must be 2..{MAX_TOPICS}, got {config.n_topics}", f"there are {MAX_TOPICS} renderers")
    if not 0.0 <= config.late_video_share < 0.5:
        fail("late_video_share", f"must be in [0, 0.5), got {config.late_video_share}", "use e.g. 0.15")
