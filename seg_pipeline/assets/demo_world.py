"""Asset `demo_world`: the simulated videos, view log and ground truth under $SEG_PIPELINE_HOME/demo/.

A thin wrapper over seg_pipeline.demo. It writes only when the run reads the demo (video_source
or log_source set to "demo"), and reuses a world whose world.json matches the configuration.
"""

import time
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

from seg_pipeline.demo.config import GENERATOR_VERSION, resolve_world_config
from seg_pipeline.demo.world import check_world_files, read_manifest, world_is_current, write_world
from seg_pipeline.resources import DataHome, LogSource, VideoSource

GROUP = "demo"
NOT_USED = "the demo world is not used: video_source.video_dir and log_source.path both point elsewhere"


class DemoWorldConfig(Config):
    """size: "default" (whole pipeline in a few minutes on 2 CPU cores) or "tiny" (tests, CI).

    n_videos / n_users / views_per_user override the preset; inject_bad_inputs plants broken
    video files and invalid log rows so every run exercises the rejection paths; force
    regenerates even when world.json already matches this configuration.
    """

    size: str = "default"
    seed: int = 0
    n_videos: Optional[int] = None
    n_users: Optional[int] = None
    views_per_user: Optional[int] = None
    inject_bad_inputs: bool = True
    force: bool = False


def demo_is_used(video_source: VideoSource, log_source: LogSource) -> bool:
    return video_source.uses_demo or log_source.uses_demo


@asset(
    group_name=GROUP,
    code_version=GENERATOR_VERSION,
    kinds={"python", "parquet"},
    description="Seeded simulated world: real H.264 videos of topic scenes, a view log from users with "
    "topic preferences and position decay, and the latent per-segment interest (ground truth).",
)
def demo_world(
    context: AssetExecutionContext,
    config: DemoWorldConfig,
    home: DataHome,
    video_source: VideoSource,
    log_source: LogSource,
) -> MaterializeResult:
    if not demo_is_used(video_source, log_source):
        return MaterializeResult(
            metadata={"demo_used": MetadataValue.bool(False), "note": MetadataValue.text(NOT_USED)},
            data_version=DataVersion("demo-not-used"),
        )
    world_config = resolve_world_config(
        size=config.size,
        seed=config.seed,
        n_videos=config.n_videos,
        n_users=config.n_users,
        views_per_user=config.views_per_user,
        inject_bad_inputs=config.inject_bad_inputs,
        field_prefix="ops.demo_world.config.",
    )
    demo_dir = home.layout.demo_dir
    started = time.perf_counter()
    if not config.force and world_is_current(demo_dir, world_config):
        manifest, action = read_manifest(demo_dir), "reused (world.json matches the config)"
    else:
        manifest, action = write_world(world_config, demo_dir), "written"
    context.log.info(f"demo world {action}: {demo_dir}")
    counts = manifest["counts"]
    timings = manifest["timings_s"]
    metadata = {
        "demo_used": MetadataValue.bool(True),
        "action": MetadataValue.text(action),
        "size": MetadataValue.text(world_config.size),
        "seed": MetadataValue.int(world_config.seed),
        "fingerprint": MetadataValue.text(world_config.fingerprint()),
        "videos": MetadataValue.int(counts["videos"]),
        "users": MetadataValue.int(counts["users"]),
        "views": MetadataValue.int(counts["views"]),
        "video_segments": MetadataValue.int(counts["video_segments"]),
        "view_segments": MetadataValue.int(counts["view_segments"]),
        "ground_truth_rows": MetadataValue.int(counts["ground_truth_rows"]),
        "full_watch_share": MetadataValue.float(counts["full_watch_share"]),
        "first_segment_skip_share": MetadataValue.float(counts["first_segment_skip_share"]),
        "late_release_videos": MetadataValue.int(counts["late_release_videos"]),
        "video_seconds": MetadataValue.float(counts["video_seconds"]),
        "injected_bad_videos": MetadataValue.int(counts["injected_bad_videos"]),
        "injected_bad_log_rows": MetadataValue.int(counts["injected_bad_log_rows"]),
        "bad_inputs": MetadataValue.json(manifest["bad_inputs"]),
        "demo_dir": MetadataValue.path(str(demo_dir)),
        "interactions": MetadataValue.path(str(demo_dir / manifest["files"]["interactions"])),
        "ground_truth": MetadataValue.path(str(demo_dir / manifest["files"]["ground_truth"])),
        "catalog": MetadataValue.path(str(demo_dir / manifest["files"]["catalog"])),
        "generation_seconds": MetadataValue.float(timings["total"]),
        "video_write_seconds": MetadataValue.float(timings["videos"]),
        "video_frames_per_s": MetadataValue.float(timings["video_frames_per_s"]),
        "seconds_this_run": MetadataValue.float(round(time.perf_counter() - started, 3)),
    }
    return MaterializeResult(metadata=metadata, data_version=DataVersion(world_config.fingerprint()))


@asset_check(asset=demo_world, description="Every catalog video has its file, clean log rows carry their "
             "video's real duration, and the planted bad inputs are all present.")
def demo_world_files_consistent(
    home: DataHome, video_source: VideoSource, log_source: LogSource
) -> AssetCheckResult:
    if not demo_is_used(video_source, log_source):
        return AssetCheckResult(passed=True, metadata={"note": NOT_USED})
    problems = check_world_files(home.layout.demo_dir)
    return AssetCheckResult(
        passed=not problems,
        metadata={"problems": MetadataValue.json(problems), "demo_dir": str(home.layout.demo_dir)},
    )
