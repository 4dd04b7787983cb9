"""Warehouse assets: interaction log -> interactions, skip labels, user histories, splits.

Thin wrappers over seg_pipeline.warehouse (SQL in sql/); each opens the DuckDB file only while it
builds its table, reports counts in metadata, and has its invariants checked beside it.
"""

import time
from typing import Optional

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    Config,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from seg_pipeline.assets.metadata import table_metadata
from seg_pipeline.resources import DataHome, LogSource, VideoSource
from seg_pipeline.warehouse import checks
from seg_pipeline.warehouse.db import connect, table_exists
from seg_pipeline.warehouse.fingerprint import table_fingerprint
from seg_pipeline.warehouse.histories import DEFAULT_HISTORY_LENGTH, build_user_histories
from seg_pipeline.warehouse.interactions import REJECTION_REASONS, build_interactions
from seg_pipeline.warehouse.labels import build_people_view, build_skip_labels
from seg_pipeline.warehouse.logs import resolve_log
from seg_pipeline.warehouse.splits import SplitSettings, build_splits

GROUP = "warehouse"


def _markdown(con, query: str, limit: int = 15) -> MetadataValue:
    frame = con.execute(query + " LIMIT $limit", {"limit": int(limit)}).df()
    return MetadataValue.md(frame.to_markdown(index=False) if len(frame) else "(no rows)")


def _check_result(out: dict, severity: AssetCheckSeverity = AssetCheckSeverity.ERROR) -> AssetCheckResult:
    metadata = {k: v for k, v in out.items() if k != "passed" and v is not None}
    return AssetCheckResult(passed=bool(out["passed"]), severity=severity, metadata=metadata)


# --------------------------------------------------------------------------- interactions


@asset(
    deps=["demo_world", "raw_videos"],
    group_name=GROUP,
    code_version="1",
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
        counts = build_interactions(
            con,
            spec,
            min_duration_ms=round(video_source.min_duration_s * 1000),
            max_duration_ms=round(video_source.max_duration_s * 1000),
            check_videos=video_source.enabled,
        )
        metadata = {
            "log": MetadataValue.text(spec.describe()),
            "column_mapping": MetadataValue.json(spec.mapping),
            "input_rows": MetadataValue.int(counts.input_rows),
            "accepted": MetadataValue.int(counts.accepted),
            "rejected": MetadataValue.int(counts.rejected),
            **{
                f"rejected_{reason}": MetadataValue.int(counts.rejected_by_reason.get(reason, 0))
                for reason in REJECTION_REASONS
            },
            "checked_against_videos": MetadataValue.bool(counts.checked_videos),
            "rejection_examples": _markdown(
                con,
                "SELECT source_row, reason, detail FROM rejected_interactions "
                "QUALIFY row_number() OVER (PARTITION BY reason ORDER BY source_row) <= 3 "
                "ORDER BY reason, source_row",
            ),
            "seconds": MetadataValue.float(round(time.perf_counter() - started, 3)),
            **table_metadata(con, "interactions"),
            **table_metadata(con, "rejected_interactions", prefix="rejected_table_"),
        }
        version = table_fingerprint(con, "interactions") + "/" + table_fingerprint(con, "rejected_interactions")
    return MaterializeResult(metadata=metadata, data_version=DataVersion(version))


@asset_check(asset=interactions, description="accepted + rejected = input rows; each input row lands exactly once")
def interactions_accounted_for(home: DataHome) -> AssetCheckResult:
    with connect(home.layout.warehouse, read_only=True) as con:
        return _check_result(checks.interactions_accounted(con))


# --------------------------------------------------------------------------- skip labels


@asset(
    deps=[interactions],
    group_name=GROUP,
    code_version="1",
    description="Per view: n_segments, skip_segment (NULL = full watch), target_slot (end slot N for a full watch), "
    "watched_segments, full_watch (SPEC 1).",
)
def skip_labels(home: DataHome) -> MaterializeResult:
    started = time.perf_counter()
    with connect(home.layout.warehouse) as con:
        summary = build_skip_labels(con)
        agreement = checks.source_label_agreement(con)
        metadata = {
            "views": MetadataValue.int(summary["views"]),
            "full_watches": MetadataValue.int(summary["full_watches"]),
            "full_watch_share": MetadataValue.float(summary["full_watch_share"]),
            "mean_target_slot": MetadataValue.float(summary["mean_target_slot"]),
            "views_with_source_label": MetadataValue.int(agreement["views_with_source_label"]),
            "source_label_matches": MetadataValue.int(agreement["matching"]),
            "seconds": MetadataValue.float(round(time.perf_counter() - started, 3)),
            **table_metadata(con, "skip_labels"),
        }
        version = table_fingerprint(con, "skip_labels")
    return MaterializeResult(metadata=metadata, data_version=DataVersion(version))


@asset_check(asset=skip_labels, description="skip_segment in [0, n_segments); full watches target the end slot n_segments")
def skip_labels_in_range(home: DataHome) -> AssetCheckResult:
    with connect(home.layout.warehouse, read_only=True) as con:
        return _check_result(checks.skip_labels_in_range(con))


@asset_check(
    asset=skip_labels,
    description="Where the log carries SegMM's label_1D, our labels reproduce it row for row (passes when absent)",
)
def skip_labels_match_source_label(home: DataHome) -> AssetCheckResult:
    with connect(home.layout.warehouse, read_only=True) as con:
        return _check_result(checks.source_label_agreement(con))


@asset(
    deps=[skip_labels],
    group_name=GROUP,
    code_version="1",
    description="View: per segment position, views reaching it, views leaving in it, and the skip rate.",
)
def position_skip_rates(home: DataHome) -> MaterializeResult:
    with connect(home.layout.warehouse) as con:
        build_people_view(con, "position_skip_rates")
        metadata = {
            "preview": _markdown(con, "SELECT * FROM position_skip_rates ORDER BY segment_idx", limit=41),
            **table_metadata(con, "position_skip_rates"),
        }
        version = table_fingerprint(con, "position_skip_rates")
    return MaterializeResult(metadata=metadata, data_version=DataVersion(version))


@asset(
    deps=[skip_labels],
    group_name=GROUP,
    code_version="1",
    description="View: per video, how many views ended in each slot (slot n_segments = full watch).",
)
def video_skip_histogram(home: DataHome) -> MaterializeResult:
    with connect(home.layout.warehouse) as con:
        build_people_view(con, "video_skip_histogram")
        metadata = {
            "videos": MetadataValue.int(
                con.execute("SELECT count(DISTINCT video_id) FROM video_skip_histogram").fetchall()[0][0]
            ),
            "most_viewed_videos": _markdown(
                con,
                "SELECT h.* FROM video_skip_histogram h JOIN (SELECT video_id, sum(views) AS n "
                "FROM video_skip_histogram GROUP BY video_id ORDER BY n DESC, video_id LIMIT 3) USING (video_id) "
                "ORDER BY video_id, target_slot",
                limit=60,
            ),
            **table_metadata(con, "video_skip_histogram"),
        }
        version = table_fingerprint(con, "video_skip_histogram")
    return MaterializeResult(metadata=metadata, data_version=DataVersion(version))


# --------------------------------------------------------------------------- user histories


class UserHistoriesConfig(Config):
    """history_length: how many of the user's strictly earlier views each view sees (SPEC 1: 20)."""

    history_length: int = DEFAULT_HISTORY_LENGTH


@asset(
    deps=[skip_labels],
    group_name=GROUP,
    code_version="1",
    description="Per view: the user's last H views with a strictly smaller time, oldest first, "
    "with their watched segment counts.",
)
def user_histories(home: DataHome, config: UserHistoriesConfig) -> MaterializeResult:
    started = time.perf_counter()
    with connect(home.layout.warehouse) as con:
        summary = build_user_histories(con, config.history_length)
        metadata = {
            "history_length": MetadataValue.int(summary["history_length"]),
            "mean_history_items": MetadataValue.float(summary["mean_history_length"]),
            "views_without_history": MetadataValue.int(summary["views_without_history"]),
            "seconds": MetadataValue.float(round(time.perf_counter() - started, 3)),
            **table_metadata(con, "user_histories"),
        }
        version = f"H{config.history_length}-" + table_fingerprint(con, "user_histories")
    return MaterializeResult(metadata=metadata, data_version=DataVersion(version))


def _recorded_history_length(context: AssetCheckExecutionContext) -> int:
    """The H the table was built with, from its latest materialization's metadata."""
    event = context.instance.get_latest_materialization_event(AssetKey("user_histories"))
    entry = event.asset_materialization.metadata.get("history_length") if event and event.asset_materialization else None
    return int(entry.value) if entry is not None else DEFAULT_HISTORY_LENGTH


@asset_check(
    asset=user_histories,
    description="No history holds the view itself, another user's view, or a same-time/later view; "
    "items are in time order and at most H long",
)
def user_histories_no_leak(context: AssetCheckExecutionContext, home: DataHome) -> AssetCheckResult:
    with connect(home.layout.warehouse, read_only=True) as con:
        return _check_result(checks.histories_no_leak(con, _recorded_history_length(context)))


# --------------------------------------------------------------------------- splits


class SplitsConfig(Config):
    """How views become train / valid / test examples (SPEC 1; the rules are in sql/splits.sql).

    protocol: "temporal" (per-user by time, 80/10/10, same-time batches kept together) or
    "published" (drop users with < min_user_views views, first history_only_views views are history
    only, the rest random within the user 81/9/10 from `seed`). keep_full_watches: full watches
    are examples targeting the end slot (SPEC 1 default); False drops them from the splits (they
    stay in histories). Fractions default to the protocol's; tolerance bounds the split check.
    """

    protocol: str = "temporal"
    keep_full_watches: bool = True
    train_fraction: Optional[float] = None
    valid_fraction: Optional[float] = None
    seed: int = 2024
    min_user_views: int = 100
    history_only_views: int = 80
    tolerance: float = 0.05

    def settings(self) -> SplitSettings:
        return SplitSettings(
            protocol=self.protocol,
            keep_full_watches=self.keep_full_watches,
            train_fraction=self.train_fraction,
            valid_fraction=self.valid_fraction,
            seed=self.seed,
            min_user_views=self.min_user_views,
            history_only_views=self.history_only_views,
            tolerance=self.tolerance,
        ).resolved()


@asset(
    deps=[skip_labels, user_histories],
    group_name=GROUP,
    code_version="1",
    description="Per example view: split (train/valid/test), cold_video (video unseen in train), protocol.",
)
def splits(home: DataHome, config: SplitsConfig) -> MaterializeResult:
    settings = config.settings()  # fails fast on bad settings, before the warehouse is opened
    with connect(home.layout.warehouse) as con:
        summary = build_splits(con, settings)
        metadata = {
            "protocol": MetadataValue.text(summary["protocol"]),
            "keep_full_watches": MetadataValue.bool(settings.keep_full_watches),
            "examples": MetadataValue.int(summary["examples"]),
            **{f"{s}_views": MetadataValue.int(n) for s, n in summary["counts"].items()},
            **{f"{s}_fraction": MetadataValue.float(f) for s, f in summary["fractions"].items()},
            "cold_share": MetadataValue.float(summary["cold_share"]),
            "test_cold_share": MetadataValue.float(summary["test_cold_share"]),
            "settings": MetadataValue.json(
                {k: v for k, v in settings.params().items()}
            ),
            **table_metadata(con, "splits"),
        }
        version = table_fingerprint(con, "splits")
    return MaterializeResult(metadata=metadata, data_version=DataVersion(version))


@asset_check(
    asset=splits,
    description="Shares of train/valid/test within the configured tolerance of the protocol's fractions",
)
def split_fractions_within_tolerance(home: DataHome) -> AssetCheckResult:
    with connect(home.layout.warehouse, read_only=True) as con:
        # WARN: tiny logs (a few views per user) cannot hit 80/10/10; that is worth a look, not a failure.
        return _check_result(checks.split_fractions(con), severity=AssetCheckSeverity.WARN)


@asset_check(asset=splits, description="Temporal protocol: per user, train < valid < test in time (no batch straddles)")
def splits_in_time_order(home: DataHome) -> AssetCheckResult:
    with connect(home.layout.warehouse, read_only=True) as con:
        return _check_result(checks.splits_time_order(con))
