"""What the video assets do when the run has no videos (`video_source.video_dir: none`): drop their
tables, so later stages see ids only, and let their checks pass with a note."""
from dagster import AssetCheckResult, DataVersion, MaterializeResult

from seg_pipeline.resources import DataHome
from seg_pipeline.warehouse.db import connect
from seg_pipeline.warehouse.video_tables import drop_tables

VIDEOS_OFF = "videos are off (video_source.video_dir = none): visual tables dropped, ids only"


def videos_off_result(home: DataHome, *tables: str) -> MaterializeResult:
    with connect(home.layout.warehouse) as con:
        dropped = drop_tables(con, tables)
    return MaterializeResult(metadata={"videos_enabled": False, "note": VIDEOS_OFF, "dropped_tables": dropped},
                             data_version=DataVersion("videos-off"))


def videos_off_check() -> AssetCheckResult:
    return AssetCheckResult(passed=True, metadata={"note": VIDEOS_OFF})
