"""Asset video_segments: cut every video into SEGMENT_SECONDS segments and pick the frames that
represent each; its check verifies N = ceil(duration / SEGMENT_SECONDS) per video."""
import time

from dagster import AssetCheckResult, Config, DataVersion, MaterializeResult, asset, asset_check
from pydantic import Field, field_validator

from seg_pipeline.assets.checks import sql_check
from seg_pipeline.assets.metadata import table_metadata
from seg_pipeline.assets.videos.raw_videos import raw_videos
from seg_pipeline.assets.videos.switched_off import videos_off_check, videos_off_result
from seg_pipeline.contract import SEGMENT_MS, SEGMENT_SECONDS
from seg_pipeline.resources import DataHome, VideoSource
from seg_pipeline.video.segments import check_frames_per_segment, segment_facts, segment_rows
from seg_pipeline.warehouse.fingerprint import table_fingerprint
from seg_pipeline.warehouse.video_tables import read_required, write_segments


class VideoSegmentsConfig(Config):
    """How each segment is represented by frames."""

    frames_per_segment: int = Field(1, le=100, description=f"k frames per {SEGMENT_SECONDS:g}-s segment, at the centres "
                                    "of k equal slices (1 = the midpoint); k > 1 frames are mean-pooled.")

    @field_validator("frames_per_segment")
    @classmethod
    def _at_least_one(cls, k: int) -> int:
        return check_frames_per_segment(k)


@asset(
    deps=[raw_videos],
    group_name="videos",
    code_version="1",
    kinds={"python", "duckdb"},
    description=f"N = ceil(duration / {SEGMENT_SECONDS:g} s) segments per video (SPEC 1) and the frame indices "
    "sampled for each.",
)
def video_segments(config: VideoSegmentsConfig, home: DataHome, video_source: VideoSource) -> MaterializeResult:
    if not video_source.enabled:
        return videos_off_result(home, "segments")
    k = config.frames_per_segment
    started = time.perf_counter()
    with home.connect() as con:
        videos = read_required(con, "videos", "raw_videos")
        segments = segment_rows(videos, k)
        write_segments(con, segments, k)
        tables = table_metadata(con, "segments")
        version = table_fingerprint(con, "segments")
    metadata = {**segment_facts(videos, segments, k), "seconds": round(time.perf_counter() - started, 3), **tables}
    return MaterializeResult(metadata=metadata, data_version=DataVersion(version))


@asset_check(asset=video_segments, blocking=True, description=f"Every video has N = ceil(duration / "
             f"{SEGMENT_SECONDS:g} s) segments 0..N-1, each with k frames inside the video")
def every_video_has_n_segments(home: DataHome, video_source: VideoSource) -> AssetCheckResult:
    if not video_source.enabled:
        return videos_off_check()
    return sql_check(home, "segments_per_video", {"segment_ms": SEGMENT_MS})
