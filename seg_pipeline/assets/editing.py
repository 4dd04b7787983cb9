"""Asset `editing_suggestions`: low-interest spans to cut, per (user, video) pair of the batch.

The same batch and scoring as `user_thumbnails`; the rule that defines "low" lives in
seg_pipeline.apply.edits. Needs no video files, so ID-only runs get suggestions too.
"""

from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult, MetadataValue, asset, asset_check

from seg_pipeline.apply.batch import make_suggestions, rejected_frame
from seg_pipeline.apply.edits import EditRule
from seg_pipeline.assets.thumbnails import (
    GROUP,
    ApplyBatchConfig,
    batch_metadata,
    content_version,
    markdown,
    score_batch,
    write_tables,
)
from seg_pipeline.resources import DataHome
from seg_pipeline.warehouse.db import connect, run_sql


class EditingSuggestionsConfig(ApplyBatchConfig):
    """A segment is low when its score <= the video's low_quantile quantile of segment scores and
    < the video's median - margin (score units); spans shorter than min_segments are dropped."""

    low_quantile: float = 0.25
    margin: float = 0.0
    min_segments: int = 1


@asset(
    deps=["segment_interest_model", "user_histories", "splits"],
    group_name=GROUP,
    code_version="1",
    kinds={"pytorch", "duckdb"},
    description="Editing suggestions: contiguous low-interest spans (start/end seconds) for the first max_pairs "
    "views of a split, in table editing_suggestions (unscorable pairs in editing_suggestions_rejected).",
)
def editing_suggestions(context: AssetExecutionContext, config: EditingSuggestionsConfig,
                        home: DataHome) -> MaterializeResult:
    config.validate_batch("editing_suggestions")
    rule = EditRule(config.low_quantile, config.margin, config.min_segments).validate(
        "ops.editing_suggestions.config.")
    batch = score_batch(home, config)
    rows = make_suggestions(batch.scored, rule)
    rejected_rows = rejected_frame(batch.rejected)
    params = {"low_quantile": rule.low_quantile, "margin": rule.margin, "min_segments": rule.min_segments}
    tables = write_tables(home, "editing_suggestions", rows, rejected_rows, params)
    with_span = int(rows["view_id"].nunique()) if len(rows) else 0
    context.log.info(f"{len(rows)} spans for {with_span} of {len(batch.scored)} scored pairs"
                     + (f" ({batch.note})" if batch.note else ""))
    metadata = {
        **tables,
        **batch_metadata(batch, config),
        "spans": MetadataValue.int(len(rows)),
        "pairs_with_spans": MetadataValue.int(with_span),
        "seconds_suggested": MetadataValue.float(round(float(rows["seconds"].sum()) if len(rows) else 0.0, 3)),
        "pairs_rejected": MetadataValue.int(len(rejected_rows)),
        "rule": MetadataValue.json(params),
        "sample": markdown(rows, ["view_id", "user_id", "video_id", "start_s", "end_s", "mean_score",
                                  "leave_probability"]),
        "rejections": markdown(rejected_rows, ["view_id", "video_id", "reason"]),
    }
    if batch.note:
        metadata["note"] = MetadataValue.text(batch.note)
    return MaterializeResult(metadata=metadata, data_version=content_version(rows, rejected_rows))


@asset_check(asset=editing_suggestions, description="Spans lie inside their video, have positive length, "
             "and a pair's spans are in order without overlap.")
def editing_spans_within_video(home: DataHome) -> AssetCheckResult:
    with connect(home.layout.warehouse, read_only=True) as con:
        spans, bad = run_sql(con, "checks/editing_spans_valid").fetchone()
    return AssetCheckResult(passed=bad == 0, metadata={
        "spans": MetadataValue.int(int(spans)), "bad_spans": MetadataValue.int(int(bad))})
