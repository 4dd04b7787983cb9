"""Asset skip_prediction_report: every trained model modality and every configured baseline,
scored on the test views with the same metric code (seg_pipeline.evaluation.skip_report), into the
warehouse, MLflow and a readable report."""
# No `from __future__ import annotations`: Dagster reads the Config annotations at decoration time.

import functools
from typing import Optional

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    Config,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)
from pydantic import Field

from seg_pipeline.assets.checks import sql_check
from seg_pipeline.assets.metadata import markdown_table, table_metadata
from seg_pipeline.baselines.priors import load_report_fit_data
from seg_pipeline.contract import EVAL_SPLIT
from seg_pipeline.evaluation.metrics import PROTOCOLS, RANK_METRICS
from seg_pipeline.evaluation.report_doc import MODEL_METHOD, NO_MODALITY
from seg_pipeline.evaluation.skip_report import SkipReportSettings, build_skip_report, comparison_section
from seg_pipeline.resources import DataHome, LogSource, MlflowTracking, RunSettings
from seg_pipeline.warehouse.db import connect, run_sql, write_frames
from seg_pipeline.warehouse.tables import read_labelled_views, read_trained_models

DEFAULTS = SkipReportSettings()
CONTRACT_BASELINES = ("Random", "AllPosition", "UserPosition", "ItemPosition")  # every report must have these


class SkipPredictionReportConfig(Config):
    """Knobs of the evaluation; the metrics themselves are fixed by SPEC 4. Trained models score
    the test views on the run_settings device."""

    seed: int = Field(default=DEFAULTS.seed, description="Tie-breaking draw of the ranks and the Random baseline.")
    baselines: list[str] = Field(default=list(DEFAULTS.baselines), description="Baselines to score "
                                 "(seg_pipeline.baselines.registry.BASELINES); the default leaves out DIN "
                                 "(opt-in: the costliest, registry.OPT_IN).")
    fit_splits: list[str] = Field(default=list(DEFAULTS.fit_splits), description="Splits the baselines' "
                                  f"statistics come from; never '{EVAL_SPLIT}'.")
    heatmap_views: int = Field(default=DEFAULTS.heatmap_views, ge=0, description="Test views shown in the "
                               "segment-interest heatmap figure (0 = no figure).")
    use_ground_truth: bool = Field(default=True, description="Demo world only: correlate scores with the "
                                   "latent interest the world was drawn from.")

    def settings(self) -> SkipReportSettings:
        return SkipReportSettings(seed=self.seed, baselines=tuple(self.baselines), fit_splits=tuple(self.fit_splits),
                                  heatmap_views=self.heatmap_views).validate()


def _ground_truth(home: DataHome, log_source: LogSource, enabled: bool) -> Optional[pd.DataFrame]:
    """The demo world's latent interest, only when this run's log is that world's log."""
    path = home.layout.demo_dir / "ground_truth_interest.parquet"
    if not (enabled and log_source.uses_demo and path.is_file()):
        return None
    return pd.read_parquet(path)


@asset(
    group_name="model",
    # user_histories (GBDT features, the neural baselines' history tokens) and segment_embeddings via the model
    deps=["segment_interest_model", "skip_labels", "splits"],
    code_version="1",
    kinds={"pytorch", "mlflow", "duckdb"},
    description="HR@K / NDCG@K / watch-time MAE of the segment-interest model (every trained seed) vs the "
                "baselines (position priors, GBDTHazard, the per-segment networks WideDeep and DIN) on test "
                "views (all, cold, warm; both protocols); "
                "best model vs best baseline chosen on valid with a paired bootstrap interval; tables "
                "skip_prediction_metrics, skip_prediction_summary (view), skip_prediction_comparison and "
                "segment_scores; MLflow run with the report.",
)
def skip_prediction_report(
    context: AssetExecutionContext,
    config: SkipPredictionReportConfig,
    home: DataHome,
    tracking: MlflowTracking,
    log_source: LogSource,
    run_settings: RunSettings,
) -> MaterializeResult:
    settings = config.settings()
    layout = home.layout
    with connect(layout.warehouse) as con:
        views = read_labelled_views(con, [EVAL_SPLIT])
        valid_views = read_labelled_views(con, ["valid"])
        # also (re)builds the position_priors table; select_fit: train-only statistics for the choice on valid
        fit, select_fit = load_report_fit_data(con, settings.fit_splits, features=settings.needs_features)
        trained = read_trained_models(con)
    with run_settings.torch_threads():
        report = build_skip_report(
            views, fit, trained, layout.warehouse, layout.outputs_dir / "skip_prediction_report",
            functools.partial(tracking.start_run, dagster_run_id=context.run.run_id), settings,
            device=run_settings.resolved_device(), truth=_ground_truth(home, log_source, config.use_ground_truth),
            valid_views=valid_views, select_fit=select_fit)

    run_ids = {"mlflow_run_id": report.mlflow_run_id, "dagster_run_id": context.run.run_id}
    with connect(layout.warehouse) as con:
        write_frames(con, [("skip_prediction_metrics", report.metrics, run_ids),
                           ("skip_prediction_comparison", report.comparison, run_ids),
                           ("segment_scores", report.segment_scores, {"mlflow_run_id": report.mlflow_run_id})])
        run_sql(con, "skip_prediction_summary")
        meta = {**table_metadata(con, "skip_prediction_metrics"),
                **table_metadata(con, "skip_prediction_comparison", prefix="comparison_"),
                **table_metadata(con, "segment_scores", prefix="segment_scores_")}
    meta.update({
        "comparison_all": markdown_table(report.files.primary_table, index=True)
        if not report.files.primary_table.empty else MetadataValue.md("no test views"),
        "best_model_vs_best_baseline": markdown_table(comparison_section(report.comparison), index=True)
        if not report.comparison.empty else MetadataValue.md("no comparison (no model, baseline or valid views)"),
        "test_views": MetadataValue.int(report.n_views),
        "cold_views": MetadataValue.int(report.n_cold),
        "modalities": MetadataValue.text(", ".join(report.modalities) or "none (baselines only)"),
        "ground_truth": MetadataValue.bool(report.ground_truth),
        "mlflow_run_id": MetadataValue.text(report.mlflow_run_id),
        "mlflow_run_url": MetadataValue.url(tracking.run_url(report.mlflow_experiment_id, report.mlflow_run_id)),
        "mlflow_ui": MetadataValue.text(tracking.ui_command()),
        "report_html": MetadataValue.path(str(report.files.html)),
        "report_markdown": MetadataValue.path(str(report.files.markdown)),
    })
    return MaterializeResult(metadata=meta, data_version=DataVersion(report.fingerprint()))


def _trained_modalities(home: DataHome) -> list[str]:
    with connect(home.layout.warehouse, read_only=True) as con:
        return list(dict.fromkeys(str(m) for m in read_trained_models(con)["modality"]))  # one per modality, not per seed


@asset_check(asset=skip_prediction_report, blocking=True,
             description="HR/NDCG in [0, 1], MAE >= 0, correlations in [-1, 1], no NaN.")
def metric_values_in_range(home: DataHome) -> AssetCheckResult:
    return sql_check(home, "metric_values_in_range")


@asset_check(asset=skip_prediction_report, blocking=True,
             description="The model (every trained modality) and each contract baseline have all rank metrics "
                         "for both protocols on all test views.")
def every_method_present(home: DataHome) -> AssetCheckResult:
    return sql_check(home, "every_method_present", {
        "baselines": list(CONTRACT_BASELINES), "modalities": _trained_modalities(home), "protocols": list(PROTOCOLS),
        "metrics": list(RANK_METRICS), "model_method": MODEL_METHOD, "no_modality": NO_MODALITY})


@asset_check(asset=skip_prediction_report, blocking=True,
             description="segment_scores has one row per real segment of every test view for each trained modality.")
def segment_scores_cover_test_views(home: DataHome) -> AssetCheckResult:
    return sql_check(home, "segment_scores_cover_test_views",
                     {"split": EVAL_SPLIT, "modalities": _trained_modalities(home)})


@asset_check(asset=skip_prediction_report,
             description="Warns unless the best model beats the best baseline (both chosen on valid) with the "
                         "paired bootstrap 95 % interval's lower bound above 0 for HR@1 and NDCG@5 "
                         "(skip_prediction_comparison).")
def model_beats_best_baseline(home: DataHome) -> AssetCheckResult:
    return sql_check(home, "model_beats_best_baseline", severity=AssetCheckSeverity.WARN)
