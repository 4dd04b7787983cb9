"""Asset interactions: the log validated into `interactions`, every bad row or line into
`rejected_interactions` with its reason (warehouse.interactions, SQL in sql/)."""
import time

import duckdb
from dagster import AssetCheckResult, DataVersion, Failure, MaterializeResult, asset, asset_check

from seg_pipeline.assets.checks import sql_check
from seg_pipeline.assets.metadata import markdown_table, table_metadata
from seg_pipeline.resources import DataHome, LogSource, VideoSource
from seg_pipeline.warehouse.fingerprint import table_fingerprint
from seg_pipeline.warehouse.interactions import build_interactions, id_collision_examples, rejection_examples
from seg_pipeline.warehouse.logs import delimiter_hint, resolve_log


@asset(
    deps=["demo_world", "raw_videos"],
    group_name="warehouse",
    code_version="1",
    kinds={"duckdb"},
    description="Validated views (view_id = row in the log) plus rejected_interactions with a reason and line "
    "number per bad row; ids spelled as the same number are listed in interaction_id_collisions.",
)
def interactions(home: DataHome, log_source: LogSource, video_source: VideoSource) -> MaterializeResult:
    layout = home.layout
    started = time.perf_counter()
    # Check the log's configuration on a scratch in-memory connection first: a wrong path or
    # mapping fails fast, before the warehouse is opened (or found busy).
    with duckdb.connect() as scratch:
        spec = resolve_log(scratch, layout, log_source.path, log_source.format, log_source.columns,
                           delimiter=log_source.delimiter, encoding=log_source.encoding)
    with home.connect() as con:
        counts = build_interactions(con, spec, min_duration_ms=round(video_source.min_duration_s * 1000),
                                    max_duration_ms=round(video_source.max_duration_s * 1000),
                                    check_videos=video_source.enabled,
                                    normalize_numeric_ids=log_source.normalize_numeric_ids)
        examples = rejection_examples(con)
        metadata = {
            "log": spec.describe(),
            "column_mapping": spec.mapping,
            **counts.facts(),
            "rejection_examples": markdown_table(examples),
            "numeric_id_collision_examples": markdown_table(id_collision_examples(con)),
            "seconds": round(time.perf_counter() - started, 3),
            **table_metadata(con, "interactions"),
            **table_metadata(con, "rejected_interactions", prefix="rejected_table_"),
        }
        version = table_fingerprint(con, "interactions") + "/" + table_fingerprint(con, "rejected_interactions")
    empty = counts.nothing_accepted()
    if empty:
        # The tables are written (rejected_interactions shows every reason); nothing downstream may run.
        raise Failure(description=f"interactions: no row accepted from {spec.describe()}: {empty}."
                      + delimiter_hint(spec, counts.rejected_by_reason) + " See rejected_interactions.",
                      metadata={k: v for k, v in metadata.items() if not k.startswith(("dagster/", "rejected_table_"))})
    return MaterializeResult(metadata=metadata, data_version=DataVersion(version))


@asset_check(asset=interactions, blocking=True,
             description="accepted + rejected = input rows; each input row lands exactly once")
def interactions_accounted_for(home: DataHome) -> AssetCheckResult:
    return sql_check(home, "interactions_accounted")
