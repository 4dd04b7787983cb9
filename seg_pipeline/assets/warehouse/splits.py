"""Asset splits: which views are train / valid / test examples (SPEC 1; the rules are in
sql/splits.sql), with the settings recorded beside them in `split_settings`."""
from typing import Literal, Optional

from dagster import AssetCheckResult, AssetCheckSeverity, Config, DataVersion, MaterializeResult, asset, asset_check
from pydantic import Field, model_validator

from seg_pipeline.assets.checks import sql_check
from seg_pipeline.assets.metadata import table_metadata
from seg_pipeline.resources import DataHome
from seg_pipeline.warehouse.fingerprint import table_fingerprint
from seg_pipeline.warehouse.splits import DEFAULT_FRACTIONS, PROTOCOLS, SplitSettings, build_splits

DEFAULTS = SplitSettings()


class SplitsConfig(Config):
    """How views become train / valid / test examples. The protocol is a choice Dagster checks at
    launch; SplitSettings.resolved() checks the ranges, at launch too (seg_pipeline.launch_checks)."""

    protocol: Literal["temporal", "published"] = Field(DEFAULTS.protocol, description=f"One of {PROTOCOLS}. 'temporal': per user by time, "
                          "80/10/10, same-time batches kept together; 'published': the paper's protocol (drop users "
                          "with < min_user_views views, the first history_only_views are history only, the rest "
                          "random within the user, 81/9/10 from `seed`).")
    keep_full_watches: bool = Field(DEFAULTS.keep_full_watches, description="Full watches are examples targeting "
                                    "the end slot (SPEC 1); false drops them from the splits (they stay in histories).")
    train_fraction: Optional[float] = Field(DEFAULTS.train_fraction, description="Share of each user's "
                                            f"examples for train (empty: the protocol's, {DEFAULT_FRACTIONS}).")
    valid_fraction: Optional[float] = Field(DEFAULTS.valid_fraction, description="Share for valid "
                                            "(empty: the protocol's); test gets 1 - train - valid.")
    seed: int = Field(DEFAULTS.seed, description="Published protocol: seed of the within-user random order.")
    min_user_views: int = Field(DEFAULTS.min_user_views, description="Published protocol: users with fewer "
                                "views are dropped.")
    history_only_views: int = Field(DEFAULTS.history_only_views, description="Published protocol: each "
                                    "user's first views that serve as history only.")
    tolerance: float = Field(DEFAULTS.tolerance, description="How far a split's share may be from its "
                             "nominal fraction before the split_fractions check warns.")

    def settings(self) -> SplitSettings:
        return SplitSettings(**self.model_dump()).resolved()

    @model_validator(mode="after")
    def _valid_settings(self) -> "SplitsConfig":
        self.settings()  # a ConfigError naming the field, before the step does any work
        return self


@asset(
    deps=["skip_labels", "user_histories"],
    group_name="warehouse",
    code_version="1",
    kinds={"duckdb"},
    description="Per example view: split (train/valid/test), cold_video (video unseen in train), protocol.",
)
def splits(home: DataHome, config: SplitsConfig) -> MaterializeResult:
    with home.connect() as con:
        metadata = {**build_splits(con, config.settings()), **table_metadata(con, "splits")}
        version = table_fingerprint(con, "splits")
    return MaterializeResult(metadata=metadata, data_version=DataVersion(version))


@asset_check(asset=splits,
             description="Shares of train/valid/test within the configured tolerance of the protocol's fractions")
def split_fractions_within_tolerance(home: DataHome) -> AssetCheckResult:
    # WARN: tiny logs (a few views per user) cannot hit 80/10/10; that is worth a look, not a failure.
    return sql_check(home, "split_fractions", severity=AssetCheckSeverity.WARN)


@asset_check(asset=splits, blocking=True,
             description="Temporal protocol: per user, train < valid < test in time (no batch straddles)")
def splits_in_time_order(home: DataHome) -> AssetCheckResult:
    return sql_check(home, "splits_time_order")
