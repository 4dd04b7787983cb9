"""Wiring only: every asset and check under seg_pipeline.assets, one job, the resources."""
from __future__ import annotations

from dagster import (
    AssetSelection,
    Definitions,
    define_asset_job,
    in_process_executor,
    load_asset_checks_from_package_module,
    load_assets_from_package_module,
)

from seg_pipeline import assets
from seg_pipeline.resources import default_resources

all_assets = load_assets_from_package_module(assets)
all_checks = load_asset_checks_from_package_module(assets)

# One process: stages share one DuckDB file (a single writer) and torch is imported once.
full_pipeline = define_asset_job(
    "full_pipeline",
    selection=AssetSelection.all(),
    description="Raw videos and logs to segment embeddings, warehouse tables, model and reports.",
    executor_def=in_process_executor,
)

defs = Definitions(
    assets=all_assets,
    asset_checks=all_checks,
    jobs=[full_pipeline],
    resources=default_resources(),
    # Ad-hoc materialisations from the UI or `dagster asset materialize` too: sibling assets in
    # separate processes would contend for the single DuckDB writer lock.
    executor=in_process_executor,
)
