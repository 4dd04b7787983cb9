"""Asset raw_videos: probe every file of the video folder into `videos`, the unusable ones into
`video_errors` with the reason."""
from datetime import datetime, timezone
from typing import Literal

import pandas as pd
from dagster import AssetExecutionContext, Config, DataVersion, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from seg_pipeline.assets.metadata import markdown_table, table_metadata
from seg_pipeline.assets.videos.switched_off import videos_off_result
from seg_pipeline.errors import ConfigError
from seg_pipeline.resources import DataHome, VideoSource
from seg_pipeline.video.inventory import resolve_video_dir, take_inventory, videos_arrow
from seg_pipeline.video.probe import DECODERS
from seg_pipeline.warehouse.fingerprint import frame_fingerprint
from seg_pipeline.warehouse.video_tables import VISUAL_TABLES, read_known_videos, write_videos


class RawVideosConfig(Config):
    """How files are probed; which folder and which durations are in scope is `video_source`."""

    decoder: Literal["auto", "decord", "pyav"] = Field("auto", description=f"One of {DECODERS}: 'auto' tries "
                                                       "decord, falling back to PyAV for files decord cannot open.")
    recursive: bool = Field(False, description="Also look in sub-folders of the video folder.")
    truncation_tolerance_s: float = Field(0.5, ge=0, le=60, description="How far (s) the readable length may "
                                          "fall short of the length the container declares before a file counts "
                                          "as truncated.")


@asset(
    deps=["demo_world"],
    group_name="videos",
    code_version="1",
    kinds={"python", "duckdb"},
    description="Probe every video file (content hash, duration, fps, size, frames, decoder) into `videos`; "
    "unusable files into `video_errors` with the reason.",
)
def raw_videos(context: AssetExecutionContext, config: RawVideosConfig, home: DataHome,
               video_source: VideoSource) -> MaterializeResult:
    if not video_source.enabled:
        return videos_off_result(home, *VISUAL_TABLES)
    folder = resolve_video_dir(video_source.video_dir, home.layout.demo_videos_dir)
    if video_source.uses_demo and not folder.is_dir():
        raise ConfigError("video_source.video_dir", f"the demo world's videos are missing ({folder})",
                          "materialise demo_world first, or point video_dir at a folder of videos")
    known = {}
    if home.layout.warehouse.exists():  # the previous run's ids keep their content (issue 11)
        with home.connect(read_only=True) as con:
            known = read_known_videos(con)
    inventory = take_inventory(folder, video_source.extensions, video_source.min_duration_s,
                               video_source.max_duration_s, config.decoder, config.recursive,
                               config.truncation_tolerance_s, known=known)
    videos = videos_arrow(inventory.videos)
    with home.connect() as con:
        write_videos(con, videos, inventory.rejections, datetime.now(timezone.utc).replace(tzinfo=None),
                     context.run.run_id)
        tables = {**table_metadata(con, "videos"), **table_metadata(con, "video_errors", prefix="errors_")}
    rejections = pd.DataFrame(inventory.rejection_rows(), columns=["file", "kind", "reason"])
    gone = sorted(set(known) - {v.video_id for v in inventory.videos})
    metadata = {"folder": MetadataValue.path(str(folder)), **inventory.facts(),
                "videos_gone_since_last_run": len(gone), "gone_video_ids": ", ".join(gone[:20]) or "(none)",
                "rejections": markdown_table(rejections, limit=20), "videos_enabled": True, **tables}
    # From what was probed, not when: unchanged files keep the version (probed_at is left out).
    version = frame_fingerprint(videos.to_pandas()) + "-" + frame_fingerprint(rejections[["file", "kind"]])
    if not inventory.videos:
        # video_errors says why each file was refused; with no video nothing downstream can run.
        raise Failure(description=f"raw_videos: no video accepted from {folder}: {inventory.nothing_accepted()}. "
                      "Fix the files or video_source (video_dir: none runs on ids alone).",
                      metadata={k: v for k, v in metadata.items() if not k.startswith(("dagster/", "errors_"))})
    return MaterializeResult(metadata=metadata, data_version=DataVersion(version))
