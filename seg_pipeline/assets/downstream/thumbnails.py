"""Asset user_thumbnails: for each pair of the batch, the middle frame of the segment the user is
predicted to like most, as an image file and a row (seg_pipeline.apply.thumbnails)."""
# No `from __future__ import annotations`: Dagster reads the Config annotations at decoration time.
from typing import Literal

from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult, MetadataValue, asset, asset_check
from pydantic import Field

from seg_pipeline.apply.batch import write_batch
from seg_pipeline.apply.thumbnails import batch_thumbnails, preview_markdown, thumbnail_dir, thumbnail_file_problems
from seg_pipeline.assets.downstream.batch import GROUP, BatchConfig, batch_data_version, batch_metadata
from seg_pipeline.resources import DataHome, RunSettings, VideoSource
from seg_pipeline.warehouse.db import connect, row_count, run_sql, table_exists

SAMPLE_COLUMNS = ["view_id", "user_id", "video_id", "segment_idx", "frame_index", "score"]
PREVIEWS = 4


class UserThumbnailsConfig(BatchConfig):
    image_format: Literal["jpg", "jpeg", "png"] = Field("jpg", description="Format of the image files written "
                                                        "under $SEG_PIPELINE_HOME/outputs/thumbnails/.")


@asset(
    deps=["segment_interest_model", "video_segments", "user_histories", "splits"],
    group_name=GROUP,
    code_version="1",
    kinds={"pytorch", "duckdb"},
    description="Personalised thumbnails: for the first max_pairs views of a split, the middle frame of the "
    "segment the user is predicted to like most, as image files under outputs/thumbnails/ and the table "
    "user_thumbnails (pairs without one in user_thumbnails_rejected, with the reason).",
)
def user_thumbnails(context: AssetExecutionContext, config: UserThumbnailsConfig, home: DataHome,
                    video_source: VideoSource, run_settings: RunSettings) -> MaterializeResult:
    spec = config.spec("user_thumbnails")
    with connect(home.layout.warehouse, read_only=True) as con:
        videos_available = video_source.enabled and table_exists(con, "videos")
    with run_settings.torch_threads():
        result = batch_thumbnails(home.layout, spec, config.image_format, videos_available,
                                  run_settings.resolved_device())
    for caveat in result.scores.caveats:
        context.log.warning(caveat)
    context.log.info(f"{len(result.rows)} thumbnails written to {thumbnail_dir(home.layout)}, "
                     f"{len(result.rejected)} pairs rejected" + (f" ({result.scores.note})" if result.scores.note else ""))
    with connect(home.layout.warehouse) as con:
        write_batch(con, "user_thumbnails", result)
        metadata = batch_metadata(con, "user_thumbnails", result, spec, SAMPLE_COLUMNS)
    metadata.update({
        "thumbnails_written": len(result.rows),
        "thumbnail_dir": MetadataValue.path(str(thumbnail_dir(home.layout))),
        "preview": MetadataValue.md(preview_markdown(result.rows, PREVIEWS) or "(no thumbnails)"),
    })
    return MaterializeResult(metadata=metadata, data_version=batch_data_version(result, ["path"]))


@asset_check(asset=user_thumbnails, blocking=True, description="Every listed thumbnail file exists, is an "
             "image of its video's frame size, and shows a frame inside its segment.")
def user_thumbnail_files_match(home: DataHome) -> AssetCheckResult:
    with connect(home.layout.warehouse, read_only=True) as con:
        if not table_exists(con, "videos"):  # a run without videos lists no thumbnail
            listed = row_count(con, "user_thumbnails")
            return AssetCheckResult(passed=listed == 0, metadata={"thumbnails": listed})
        rows = run_sql(con, "checks/user_thumbnail_frames").df()
    problems = thumbnail_file_problems(rows)
    return AssetCheckResult(passed=not problems, metadata={
        "thumbnails": len(rows), "problems": MetadataValue.json(problems[:20])})
