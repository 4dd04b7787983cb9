"""Asset skip_labels: where each view left (SPEC 1), checked against SegMM's own label_1D when the
log carries it."""
import time

from dagster import AssetCheckResult, DataVersion, MaterializeResult, asset, asset_check

from seg_pipeline.assets.checks import sql_check
from seg_pipeline.assets.metadata import rounded, table_metadata
from seg_pipeline.resources import DataHome
from seg_pipeline.warehouse.fingerprint import table_fingerprint
from seg_pipeline.warehouse.labels import build_skip_labels


@asset(
    deps=["interactions"],
    group_name="warehouse",
    code_version="1",
    kinds={"duckdb"},
    description="Per view: n_segments, skip_segment (NULL = full watch), target_slot (end slot N for a full watch), "
    "watched_segments, full_watch (SPEC 1).",
)
def skip_labels(home: DataHome) -> MaterializeResult:
    started = time.perf_counter()
    with home.connect() as con:
        summary = build_skip_labels(con)
        metadata = {
            **{k: rounded(summary[k]) for k in ("views", "full_watches", "full_watch_share", "mean_target_slot",
                                       "views_with_source_label", "source_label_matches")},
            "seconds": round(time.perf_counter() - started, 3),
            **table_metadata(con, "skip_labels"),
        }
        version = table_fingerprint(con, "skip_labels")
    return MaterializeResult(metadata=metadata, data_version=DataVersion(version))


@asset_check(asset=skip_labels, blocking=True,
             description="skip_segment in [0, n_segments); full watches target the end slot n_segments")
def skip_labels_in_range(home: DataHome) -> AssetCheckResult:
    return sql_check(home, "skip_labels_in_range")


@asset_check(asset=skip_labels, blocking=True,
             description="Where the log carries SegMM's label_1D, our labels reproduce it row for row (passes when absent)")
def skip_labels_match_source_label(home: DataHome) -> AssetCheckResult:
    return sql_check(home, "skip_labels_source_label")
