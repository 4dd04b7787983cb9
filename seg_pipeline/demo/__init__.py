"""The demo world: a seeded simulator of short videos and of users who skip them, with ground truth.

`write_world` writes real H.264 files, the view log and the latent per-segment interest under
$SEG_PIPELINE_HOME/demo/; `simulate_log_only` returns a large log with no videos, for benchmarks.
"""
from seg_pipeline.demo.config import PRESETS, WorldConfig, resolve_world_config
from seg_pipeline.demo.log_only import simulate_log_only
from seg_pipeline.demo.world import plan_world, read_manifest, world_is_current, write_world

__all__ = [
    "PRESETS",
    "WorldConfig",
    "plan_world",
    "read_manifest",
    "resolve_world_config",
    "simulate_log_only",
    "world_is_current",
    "write_world",
]
