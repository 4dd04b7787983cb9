"""Asset effective_views: the label SegRec predicts (SPEC 5), built in SQL by seg_pipeline.segrec.labels."""
# No `from __future__ import annotations`: Dagster reads the Config annotations at decoration time.

from dagster import AssetCheckResult, AssetExecutionContext, Config, DataVersion, MaterializeResult, MetadataValue
from dagster import asset, asset_check
from pydantic import Field, field_validator

from seg_pipeline.assets.checks import sql_check
from seg_pipeline.assets.metadata import markdown_table, table_metadata
from seg_pipeline.assets.segrec.choices import GROUP, LabelRule, plain
from seg_pipeline.resources import DataHome
from seg_pipeline.segrec.labels import DEFAULT_BUCKETS, LABEL_RULES, build_effective_views
from seg_pipeline.warehouse.db import connect


class EffectiveViewsConfig(Config):
    n_buckets: int = Field(default=DEFAULT_BUCKETS, ge=1,
                           description="Equal-frequency duration buckets over train views (the paper: 10).")
    label_rule: LabelRule = Field(default=LABEL_RULES[0], description=(
        "gt: positive when the view ratio exceeds its duration bucket's train median (SPEC 5); ge: ties "
        "count as positive too (only matters where the median is a full watch, e.g. very short videos)."))

    @field_validator("label_rule")
    @classmethod
    def as_plain_string(cls, value):
        return plain(value)


@asset(
    group_name=GROUP,
    deps=["interactions", "splits"],
    code_version="1",
    kinds={"duckdb"},
    description="Effective-view label per split view: view ratio above the train median of its duration "
                "bucket (SPEC 5). Tables effective_views, view effective_view_buckets.",
)
def effective_views(context: AssetExecutionContext, config: EffectiveViewsConfig, home: DataHome) -> MaterializeResult:
    with connect(home.layout.warehouse) as con:
        summary = build_effective_views(con, config.n_buckets, config.label_rule)
        meta = table_metadata(con, "effective_views")
    if summary.degenerate_buckets:
        context.log.warning(f"duration buckets {summary.degenerate_buckets} have a train positive rate of 0 or 1 "
                            f"under label_rule '{config.label_rule}' (see effective_view_buckets)")
    meta.update({
        "labelled_views": MetadataValue.int(summary.labelled),
        "views_without_split": MetadataValue.int(summary.unsplit_views),
        "positive_rate": MetadataValue.json(summary.positive_rate),
        "degenerate_buckets": MetadataValue.json(summary.degenerate_buckets),
        "buckets": markdown_table(summary.buckets),
        "n_buckets": MetadataValue.int(config.n_buckets),
        "label_rule": MetadataValue.text(config.label_rule),
    })
    return MaterializeResult(metadata=meta, data_version=DataVersion(summary.fingerprint))


@asset_check(asset=effective_views, blocking=True,
             description="Every train/valid/test view has exactly one 0/1 label, and each bucket's threshold "
                         "equals the median view ratio of its TRAIN views (no valid/test leakage).")
def effective_views_consistent(home: DataHome) -> AssetCheckResult:
    return sql_check(home, "effective_views_consistent")
