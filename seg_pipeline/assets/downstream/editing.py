"""Asset editing_suggestions: low-interest spans to cut, per pair of the batch; the rule that
defines "low" is seg_pipeline.apply.edits. Needs no video files, so ID-only runs get them too."""
# No `from __future__ import annotations`: Dagster reads the Config annotations at decoration time.
from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult, MetadataValue, asset, asset_check
from pydantic import Field

from seg_pipeline.apply.batch import write_batch
from seg_pipeline.apply.edits import EditRule, batch_suggestions
from seg_pipeline.assets.checks import sql_check
from seg_pipeline.assets.downstream.batch import GROUP, BatchConfig, batch_data_version, batch_metadata
from seg_pipeline.contract import SEGMENT_SECONDS
from seg_pipeline.resources import DataHome, RunSettings
from seg_pipeline.warehouse.db import connect

SAMPLE_COLUMNS = ["view_id", "user_id", "video_id", "start_s", "end_s", "mean_score", "leave_probability"]


class EditingSuggestionsConfig(BatchConfig):
    low_quantile: float = Field(EditRule.low_quantile, gt=0.0, le=1.0, description="A segment is low when its "
                                "score is at most this quantile of the video's segment scores ...")
    margin: float = Field(EditRule.margin, ge=0.0, description="... and below the video's median score minus "
                          "this margin (score units; 0 = any gap).")
    min_segments: int = Field(EditRule.min_segments, ge=1, description="Shortest span suggested, in "
                              f"{SEGMENT_SECONDS:g}-s segments.")


@asset(
    deps=["segment_interest_model", "user_histories", "splits"],
    group_name=GROUP,
    code_version="1",
    kinds={"pytorch", "duckdb"},
    description="Editing suggestions: contiguous low-interest spans (start/end seconds) for the first max_pairs "
    "views of a split, in table editing_suggestions (unscorable pairs in editing_suggestions_rejected).",
)
def editing_suggestions(context: AssetExecutionContext, config: EditingSuggestionsConfig, home: DataHome,
                        run_settings: RunSettings) -> MaterializeResult:
    spec = config.spec("editing_suggestions")
    rule = EditRule(config.low_quantile, config.margin, config.min_segments).validate(
        "ops.editing_suggestions.config.")
    with run_settings.torch_threads():
        result = batch_suggestions(home.layout, spec, rule, run_settings.resolved_device())
    rows = result.rows
    with_span = int(rows["view_id"].nunique())
    context.log.info(f"{len(rows)} spans for {with_span} of {len(result.scores.scored)} scored pairs"
                     + (f" ({result.scores.note})" if result.scores.note else ""))
    with connect(home.layout.warehouse) as con:
        write_batch(con, "editing_suggestions", result, rule.params())
        metadata = batch_metadata(con, "editing_suggestions", result, spec, SAMPLE_COLUMNS)
    metadata.update({
        "spans": len(rows),
        "pairs_with_spans": with_span,
        "seconds_suggested": round(float(rows["seconds"].sum()), 3),
        "rule": MetadataValue.json(rule.params()),
    })
    return MaterializeResult(metadata=metadata, data_version=batch_data_version(result))


@asset_check(asset=editing_suggestions, blocking=True, description="Spans lie inside their video, have "
             "positive length, and a pair's spans are in order without overlap.")
def editing_spans_within_video(home: DataHome) -> AssetCheckResult:
    return sql_check(home, "editing_spans_valid")
