"""Asset `demo_world`: the simulated videos, view log and ground truth under $SEG_PIPELINE_HOME/demo/.

It writes only when the run reads the demo (video_source or log_source set to "demo"), and reuses
a world whose world.json matches the configuration.
"""
from typing import Optional

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
from pydantic import Field, model_validator

from seg_pipeline.demo.config import GENERATOR_VERSION, PRESETS, WorldConfig, resolve_world_config
from seg_pipeline.demo.world import check_world_files, ensure_world, manifest_facts
from seg_pipeline.resources import DataHome, LogSource, VideoSource

NOT_USED = "the demo world is not used: video_source.video_dir and log_source.path both point elsewhere"


class DemoWorldConfig(Config):
    """Which world to simulate: a size preset, a seed, and optional overrides of the preset."""

    size: str = Field(WorldConfig.size, description=f"Preset, one of {sorted(PRESETS)}: 'default' runs the "
                      "whole pipeline in a few minutes on 2 CPU cores, 'tiny' is for tests and CI.")
    seed: int = Field(WorldConfig.seed, description="Seed of every random draw; equal configs give identical worlds.")
    n_videos: Optional[int] = Field(None, ge=1, description="Number of videos (empty: the preset's).")
    n_users: Optional[int] = Field(None, ge=1, description="Number of users (empty: the preset's).")
    views_per_user: Optional[int] = Field(None, ge=1, description="Mean views per user (empty: the preset's).")
    inject_bad_inputs: bool = Field(WorldConfig.inject_bad_inputs, description="Plant broken video files "
                                    "and invalid log rows so every run exercises the rejection paths.")
    force: bool = Field(False, description="Regenerate even when world.json already matches this configuration.")

    def world_config(self) -> WorldConfig:
        return resolve_world_config(size=self.size, seed=self.seed, n_videos=self.n_videos, n_users=self.n_users,
                                    views_per_user=self.views_per_user, inject_bad_inputs=self.inject_bad_inputs,
                                    field_prefix="ops.demo_world.config.")

    @model_validator(mode="after")
    def _valid_world(self) -> "DemoWorldConfig":
        self.world_config()  # a ConfigError naming the field, before the step does any work
        return self


def demo_is_used(video_source: VideoSource, log_source: LogSource) -> bool:
    return video_source.uses_demo or log_source.uses_demo


@asset(
    group_name="demo",
    code_version=GENERATOR_VERSION,
    kinds={"python"},
    description="Seeded simulated world: real H.264 videos of topic scenes, a view log from users with "
    "topic preferences and position decay, and the latent per-segment interest (ground truth).",
)
def demo_world(context: AssetExecutionContext, config: DemoWorldConfig, home: DataHome, video_source: VideoSource,
               log_source: LogSource) -> MaterializeResult:
    if not demo_is_used(video_source, log_source):
        return MaterializeResult(metadata={"demo_used": False, "note": NOT_USED},
                                 data_version=DataVersion("demo-not-used"))
    world_config, demo_dir = config.world_config(), home.layout.demo_dir
    manifest, action = ensure_world(world_config, demo_dir, config.force)
    context.log.info(f"demo world {action}: {demo_dir}")
    files = {name: MetadataValue.path(str(demo_dir / manifest["files"][name]))
             for name in ("interactions", "ground_truth", "catalog")}
    metadata = {"demo_used": True, "action": action, "size": world_config.size, "seed": world_config.seed,
                "fingerprint": world_config.fingerprint(), **manifest_facts(manifest),
                "demo_dir": MetadataValue.path(str(demo_dir)), **files}
    return MaterializeResult(metadata=metadata, data_version=DataVersion(world_config.fingerprint()))


@asset_check(asset=demo_world, description="Every catalog video has its file, clean log rows carry their "
             "video's real duration, and the planted bad inputs are all present.")
def demo_world_files_consistent(home: DataHome, video_source: VideoSource, log_source: LogSource) -> AssetCheckResult:
    if not demo_is_used(video_source, log_source):
        return AssetCheckResult(passed=True, metadata={"note": NOT_USED})
    problems = check_world_files(home.layout.demo_dir)
    return AssetCheckResult(passed=not problems,
                            metadata={"problems": MetadataValue.json(problems), "demo_dir": str(home.layout.demo_dir)})
