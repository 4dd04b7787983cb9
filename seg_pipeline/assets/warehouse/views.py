"""Views for people over skip_labels (always current: they read skip_labels when queried)."""
from dagster import DataVersion, MaterializeResult, asset

from seg_pipeline.assets.metadata import markdown_table, table_metadata
from seg_pipeline.contract import N_SLOTS
from seg_pipeline.resources import DataHome
from seg_pipeline.warehouse.fingerprint import table_fingerprint
from seg_pipeline.warehouse.labels import build_people_view, distinct_videos, people_view_preview

HISTOGRAM_ROWS_SHOWN = 60


@asset(
    deps=["skip_labels"],
    group_name="warehouse",
    code_version="1",
    kinds={"duckdb"},
    description="View: per segment position, views reaching it, views leaving in it, and the skip rate.",
)
def position_skip_rates(home: DataHome) -> MaterializeResult:
    with home.connect() as con:
        build_people_view(con, "position_skip_rates")
        preview = people_view_preview(con, "position_skip_rates")
        metadata = {"preview": markdown_table(preview, limit=N_SLOTS), **table_metadata(con, "position_skip_rates")}
        version = table_fingerprint(con, "position_skip_rates")
    return MaterializeResult(metadata=metadata, data_version=DataVersion(version))


@asset(
    deps=["skip_labels"],
    group_name="warehouse",
    code_version="1",
    kinds={"duckdb"},
    description="View: per video, how many views ended in each slot (slot n_segments = full watch).",
)
def video_skip_histogram(home: DataHome) -> MaterializeResult:
    with home.connect() as con:
        build_people_view(con, "video_skip_histogram")
        preview = people_view_preview(con, "video_skip_histogram")
        metadata = {"videos": distinct_videos(con), **table_metadata(con, "video_skip_histogram"),
                    "most_viewed_videos": markdown_table(preview, limit=HISTOGRAM_ROWS_SHOWN)}
        version = table_fingerprint(con, "video_skip_histogram")
    return MaterializeResult(metadata=metadata, data_version=DataVersion(version))
