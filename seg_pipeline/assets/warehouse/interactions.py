"""Asset interactions: the log validated into `interactions`, every bad row into
`rejected_interactions` with its reason (warehouse.interactions, SQL in sql/)."""
import time

import duckdb
from dagster import AssetCheckResult, DataVersion, MaterializeResult, asset, asset_check

from seg_pipeline.assets.checks import sql_check
from seg_pipeline.assets.metadata import markdown_table, table_metadata
from seg_pipeline.resources import DataHome, LogSource, VideoSource
from seg_pipeline.warehouse.db import connect
from seg_pipeline.warehouse.fingerprint import table_fingerprint
from seg_pipeline.warehouse.interactions import build_interactions, rejection_examples
from seg_pipeline.warehouse.logs import resolve_log


@asset(
    deps=["demo_world", "raw_videos"],
    group_name="warehouse",
    code_version="1",
    kinds={"duckdb"},
    description="Validated views (view_id = row in the log) plus rejected_interactions with a reason per bad row.",
)
def interactions(home: DataHome, log_source: LogSource, video_source: VideoSource) -> MaterializeResult:
    layout = home.layout
    started = time.perf_counter()
    # Check the log's configuration on a scratch in-memory connection first: a wrong path or
    # mapping fails fast, before the warehouse is opened (or found busy).
    with duckdb.connect() as scratch:
        spec = resolve_log(scratch, layout, log_source.path, log_source.format, log_source.columns)
    with connect(layout.warehouse) as con:
        counts = build_interactions(con, spec, min_duration_ms=round(video_source.min_duration_s * 1000),
                                    max_duration_ms=round(video_source.max_duration_s * 1000),
                                    check_videos=video_source.enabled)
        metadata = {
            "log": spec.describe(),
            "column_mapping": spec.mapping,
            **counts.facts(),
            "rejection_examples": markdown_table(rejection_examples(con)),
            "seconds": round(time.perf_counter() - started, 3),
            **table_metadata(con, "interactions"),
            **table_metadata(con, "rejected_interactions", prefix="rejected_table_"),
        }
        version = table_fingerprint(con, "interactions") + "/" + table_fingerprint(con, "rejected_interactions")
    return MaterializeResult(metadata=metadata, data_version=DataVersion(version))


@asset_check(asset=interactions, blocking=True,
             description="accepted + rejected = input rows; each input row lands exactly once")
def interactions_accounted_for(home: DataHome) -> AssetCheckResult:
    return sql_check(home, "interactions_accounted")
