"""Asset user_histories: each view's strictly earlier views of the same user (SPEC 1), with the H
it was built with recorded in `history_settings` for later stages and the leak check."""
import time

from dagster import AssetCheckResult, Config, DataVersion, MaterializeResult, asset, asset_check
from pydantic import Field

from seg_pipeline.assets.checks import sql_check
from seg_pipeline.assets.metadata import table_metadata
from seg_pipeline.contract import DEFAULT_HISTORY_LENGTH
from seg_pipeline.resources import DataHome
from seg_pipeline.warehouse.fingerprint import table_fingerprint
from seg_pipeline.warehouse.histories import build_user_histories


MAX_HISTORY_LENGTH = 10_000  # far beyond any user's views in the logs we know; larger is a typo


class UserHistoriesConfig(Config):
    """How much of the past each view sees; later stages read it from `history_settings`."""

    history_length: int = Field(DEFAULT_HISTORY_LENGTH, ge=1, le=MAX_HISTORY_LENGTH, description="H: how many of the user's strictly "
                                f"earlier views each view's history holds (SPEC 1: {DEFAULT_HISTORY_LENGTH}).")


@asset(
    deps=["skip_labels"],
    group_name="warehouse",
    code_version="1",
    kinds={"duckdb"},
    description="Per view: the user's last H views with a strictly smaller time, oldest first, "
    "with their watched segment counts; H is recorded in history_settings.",
)
def user_histories(home: DataHome, config: UserHistoriesConfig) -> MaterializeResult:
    started = time.perf_counter()
    with home.connect() as con:
        summary = build_user_histories(con, config.history_length)
        metadata = {
            **{k: summary[k] for k in ("history_length", "mean_history_items", "views_without_history")},
            "seconds": round(time.perf_counter() - started, 3),
            **table_metadata(con, "user_histories"),
        }
        version = f"H{config.history_length}-" + table_fingerprint(con, "user_histories")
    return MaterializeResult(metadata=metadata, data_version=DataVersion(version))


@asset_check(
    asset=user_histories,
    blocking=True,
    description="One history per labelled view; none holds the view itself, another user's view, or a "
    "same-time/later view; items are in time order and at most H (history_settings) long",
)
def user_histories_no_leak(home: DataHome) -> AssetCheckResult:
    return sql_check(home, "user_histories_no_leak")
