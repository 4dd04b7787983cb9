"""Wiring only: every asset and check under seg_pipeline.assets, one job, the resources, the
(stopped by default) source sensor and automation, and code versions computed from the code."""
from __future__ import annotations

import os

from dagster import (
    AssetSelection,
    AssetsDefinition,
    Definitions,
    in_process_executor,
    load_asset_checks_from_package_module,
    load_assets_from_package_module,
)

from seg_pipeline import assets
from seg_pipeline.automation import FRESH, SOURCE_ASSETS, keep_fresh, source_files_sensor
from seg_pipeline.code_version import code_version
from seg_pipeline.launch_checks import checked_at_launch
from seg_pipeline.resources import LogSource, MlflowTracking, VideoSource, default_resources

PLACEHOLDER_VERSIONS = (None, "1")  # an explicit version kept next to the code (demo_world's) wins


def _versioned(asset: AssetsDefinition) -> AssetsDefinition:
    """Code version = hash of the asset's module, the seg_pipeline modules it imports and its SQL
    files (seg_pipeline.code_version); automation condition on the assets `keep_fresh` targets."""
    version = code_version(asset.op.compute_fn.decorated_fn.__module__)
    def update(spec):
        changes = {}
        if spec.code_version in PLACEHOLDER_VERSIONS:
            changes["code_version"] = version
        if spec.key.to_user_string() not in SOURCE_ASSETS and spec.automation_condition is None:
            changes["automation_condition"] = FRESH
        return spec.replace_attributes(**changes) if changes else spec

    return asset.map_asset_specs(update)


def _resources() -> dict:
    """The defaults, with the sources and UI addresses from the environment when set (so the
    sensor and the runs it requests watch real data without a run config)."""
    resources = default_resources()
    env = os.environ.get
    if env("SEG_PIPELINE_VIDEO_DIR"):
        resources["video_source"] = VideoSource(video_dir=env("SEG_PIPELINE_VIDEO_DIR"))
    if env("SEG_PIPELINE_LOG_PATH"):
        resources["log_source"] = LogSource(path=env("SEG_PIPELINE_LOG_PATH"),
                                            format=env("SEG_PIPELINE_LOG_FORMAT", "demo"))
    tracking = {k: env(v) for k, v in (("ui_url", "SEG_PIPELINE_MLFLOW_UI_URL"),
                                        ("dagster_ui_url", "SEG_PIPELINE_DAGSTER_UI_URL")) if env(v)}
    if tracking:
        resources["tracking"] = MlflowTracking(**tracking)
    return resources


all_assets = [_versioned(a) for a in load_assets_from_package_module(assets)]
all_checks = load_asset_checks_from_package_module(assets)

# One process: stages share one DuckDB file (a single writer) and torch is imported once.
# Every config value (ranges and validators too) is checked when the run is launched (launch_checks).
full_pipeline = checked_at_launch(
    "full_pipeline", all_assets, all_checks, _resources(),
    selection=AssetSelection.all(),
    description="Raw videos and logs to segment embeddings, warehouse tables, model and reports.",
    executor_def=in_process_executor,
)

defs = Definitions(
    assets=all_assets,
    asset_checks=all_checks,
    jobs=[full_pipeline],
    sensors=[source_files_sensor, keep_fresh],
    resources=_resources(),
    # Ad-hoc materialisations from the UI or `dagster asset materialize` too: sibling assets in
    # separate processes would contend for the single DuckDB writer lock.
    executor=in_process_executor,
)
