"""Asset skip_prediction_report: every trained model modality and every position baseline, scored
on the test views with the same metric code, into the warehouse, MLflow, and a readable report."""

import re
from pathlib import Path

import mlflow
import numpy as np
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

from seg_pipeline.assets.metadata import table_metadata
from seg_pipeline.baselines.priors import build_position_priors
from seg_pipeline.baselines.registry import BASELINES, make_baseline
from seg_pipeline.errors import ConfigError
from seg_pipeline.evaluation.latent import latent_matrix
from seg_pipeline.evaluation.metrics import N_SLOTS, RANK_METRICS
from seg_pipeline.evaluation.report_doc import MODEL_METHOD, NO_MODALITY
from seg_pipeline.evaluation.skip_report import (
    ScoredMethod,
    evaluate_all,
    segment_score_frame,
    write_report,
)
from seg_pipeline.resources import DataHome, LogSource, MlflowTracking
from seg_pipeline.warehouse.db import connect, run_sql, table_exists
from seg_pipeline.warehouse.fingerprint import frame_fingerprint

EVAL_SPLIT = "test"
CONTRACT_BASELINES = ("Random", "AllPosition", "UserPosition", "ItemPosition")
MLFLOW_UI_PORT = 5000


class SkipPredictionReportConfig(Config):
    """Knobs of the evaluation; the metrics themselves are fixed by SPEC 4."""

    seed: int = 0  # tie-breaking draw and the Random baseline
    baselines: list[str] = list(BASELINES)
    fit_splits: list[str] = ["train", "valid"]  # where the baselines' statistics come from
    heatmap_views: int = 6
    device: str = "cpu"  # where trained models score the test views
    use_ground_truth: bool = True  # demo world only: correlation with the latent interest

    def validate(self) -> None:
        unknown = [b for b in self.baselines if b not in BASELINES]
        if unknown:
            raise ConfigError("baselines", f"unknown baseline(s) {unknown}", f"choose from {sorted(BASELINES)}")
        if EVAL_SPLIT in self.fit_splits or not self.fit_splits:
            raise ConfigError("fit_splits", f"{self.fit_splits} must be non-empty and exclude '{EVAL_SPLIT}'",
                              "use ['train', 'valid'] (test statistics would leak into the baselines)")
        if self.heatmap_views < 0:
            raise ConfigError("heatmap_views", "must be >= 0", "use 0 to skip the heatmap figure")


def _trained_models(con) -> pd.DataFrame:
    if not table_exists(con, "trained_models"):
        return pd.DataFrame(columns=["modality", "checkpoint_path", "mlflow_run_id"])
    return con.execute("SELECT * FROM trained_models ORDER BY modality").df()


def _score_models(trained: pd.DataFrame, warehouse: Path, view_ids: np.ndarray, device: str) -> list[ScoredMethod]:
    """Scores of each trained modality, aligned with `view_ids` (torch is imported only here)."""
    if trained.empty:
        return []
    from seg_pipeline.model.predict import score_views

    out = []
    order = {"id": 0, "visual": 1, "both": 2}
    for row in sorted(trained.itertuples(), key=lambda r: order.get(r.modality, 9)):
        path = Path(row.checkpoint_path)
        if not path.is_file():
            raise FileNotFoundError(f"trained_models lists {path} for modality '{row.modality}' but the file is "
                                    "missing; rematerialize segment_interest_model")
        result = score_views(path, warehouse, split=EVAL_SPLIT, view_ids=view_ids, device=device)
        index = pd.Index(np.asarray(result.view_ids)).get_indexer(view_ids)
        if (index < 0).any():
            raise RuntimeError(f"model '{row.modality}' did not score {(index < 0).sum()} of {len(view_ids)} test views")
        out.append(ScoredMethod(MODEL_METHOD, str(row.modality), result.scores[index], result.interest[index]))
    return out


def _ground_truth(home: DataHome, log_source: LogSource, enabled: bool) -> pd.DataFrame | None:
    """The demo world's latent interest, only when this run's log is that world's log."""
    path = home.layout.demo_dir / "ground_truth_interest.parquet"
    if not (enabled and log_source.uses_demo and path.is_file()):
        return None
    return pd.read_parquet(path)


def _mlflow_name(protocol: str, subset: str, method: str, modality: str, metric: str) -> str:
    who = method if modality == NO_MODALITY else f"{method}_{modality}"
    return re.sub(r"[^\w./\- :]", "_", f"{protocol}/{subset}/{who}/{metric.replace('@', '_at_')}")


@asset(
    group_name="model",
    deps=["segment_interest_model", "skip_labels", "splits"],
    code_version="1",
    description="HR@K / NDCG@K / watch-time MAE of the segment-interest model vs position baselines on "
                "test views (all, cold, warm; both protocols); tables skip_prediction_metrics and "
                "segment_scores; MLflow run with the report.",
)
def skip_prediction_report(
    context: AssetExecutionContext,
    config: SkipPredictionReportConfig,
    home: DataHome,
    tracking: MlflowTracking,
    log_source: LogSource,
) -> MaterializeResult:
    config.validate()
    layout = home.layout
    with connect(layout.warehouse) as con:
        views = run_sql(con, "eval_views", {"split": EVAL_SPLIT}).df()
        priors = build_position_priors(con, config.fit_splits)
        trained = _trained_models(con)
    view_ids = views["view_id"].to_numpy(dtype=np.int64)

    scored = _score_models(trained, layout.warehouse, view_ids, config.device)
    for name in config.baselines:
        scored.append(ScoredMethod(name, NO_MODALITY, make_baseline(name, config.seed).fit(priors).score(views)))
    truth = _ground_truth(home, log_source, config.use_ground_truth)
    latent = latent_matrix(views, truth) if truth is not None else None
    metrics = evaluate_all(views, scored, seed=config.seed, latent=latent)

    n_cold = int(views["cold_video"].fillna(False).astype(bool).sum())
    out_dir = layout.outputs_dir / "skip_prediction_report"
    with tracking.start_run("skip_prediction_report", dagster_run_id=context.run.run_id,
                            tags={"stage": "skip_prediction_report"}) as run:
        run_id, experiment_id = run.info.run_id, run.info.experiment_id
        mlflow.log_params({
            "seed": config.seed, "baselines": ",".join(config.baselines),
            "fit_splits": ",".join(config.fit_splits), "test_views": len(views), "cold_views": n_cold,
            "modalities": ",".join(trained["modality"].astype(str)) or "none",
            "ground_truth": truth is not None,
        })
        for row in trained.itertuples():
            mlflow.set_tag(f"model_run.{row.modality}", str(getattr(row, "mlflow_run_id", "")))
        mlflow.log_metrics({
            _mlflow_name(r.protocol, r.subset, r.method, r.modality, r.metric): r.value
            for r in metrics.itertuples()
        })
        facts = [
            f"test views: {len(views)} ({n_cold} cold, {len(views) - n_cold} warm)",
            f"methods: {', '.join(item.label for item in scored)}",
            "trained models: " + (", ".join(f"{r.modality} ({Path(r.checkpoint_path).name})" for r in trained.itertuples())
                                  or "none (baselines only)"),
            f"baseline statistics from splits: {', '.join(config.fit_splits)}; tie-breaking seed {config.seed}",
            f"latent ground truth: {'demo world' if truth is not None else 'not available (real data)'}",
            f"MLflow run {run_id}; Dagster run {context.run.run_id}",
        ]
        notes = [
            "Ranks sort a view's candidate slots by ascending interest (lowest = predicted leave), ties at "
            "random. MAE: expected watch time (softmax of negated scores over segments + end slot) vs true "
            "playing time, in seconds and in 5 s segments. spearman_latent: mean within-view rank correlation "
            "between scores and the demo world's latent interest over real segments.",
        ]
        files = write_report(out_dir, metrics, views, scored, facts, config.heatmap_views, config.seed,
                             latent, notes)
        mlflow.log_artifacts(str(out_dir), artifact_path="report")

    scores_frame = pd.concat(
        [segment_score_frame(views, item.scores, item.modality, item.interest)
         for item in scored if item.method == MODEL_METHOD]
        or [segment_score_frame(views.iloc[:0], np.zeros((0, N_SLOTS)), NO_MODALITY)],
        ignore_index=True,
    )
    with connect(layout.warehouse) as con:
        con.register("skip_prediction_metrics_input", metrics)
        run_sql(con, "skip_prediction_metrics", {"mlflow_run_id": run_id, "dagster_run_id": context.run.run_id})
        con.register("segment_scores_input", scores_frame)
        run_sql(con, "segment_scores", {"mlflow_run_id": run_id})
        con.unregister("skip_prediction_metrics_input")
        con.unregister("segment_scores_input")
        meta = {**table_metadata(con, "skip_prediction_metrics"),
                **table_metadata(con, "segment_scores", prefix="segment_scores_")}

    digest = frame_fingerprint(metrics.round(10))
    url = f"http://127.0.0.1:{MLFLOW_UI_PORT}/#/experiments/{experiment_id}/runs/{run_id}"
    meta.update({
        "comparison_all": MetadataValue.md(files.primary_table.to_markdown(floatfmt=".4f")
                                           if not files.primary_table.empty else "no test views"),
        "test_views": MetadataValue.int(len(views)),
        "cold_views": MetadataValue.int(n_cold),
        "modalities": MetadataValue.text(", ".join(trained["modality"].astype(str)) or "none (baselines only)"),
        "ground_truth": MetadataValue.bool(truth is not None),
        "mlflow_run_id": MetadataValue.text(run_id),
        "mlflow_run_url": MetadataValue.url(url),
        "mlflow_ui": MetadataValue.text(f"mlflow ui --backend-store-uri {tracking.tracking_uri} --port {MLFLOW_UI_PORT}"),
        "report_html": MetadataValue.path(str(files.html)),
        "report_markdown": MetadataValue.path(str(files.markdown)),
    })
    return MaterializeResult(metadata=meta, data_version=DataVersion(digest))


def _read(home: DataHome, query: str) -> pd.DataFrame:
    with connect(home.layout.warehouse, read_only=True) as con:
        return con.execute(query).df()


@asset_check(asset=skip_prediction_report, description="HR/NDCG in [0, 1], MAE >= 0, correlations in [-1, 1], no NaN.")
def metric_values_in_range(home: DataHome) -> AssetCheckResult:
    m = _read(home, "SELECT method, modality, protocol, subset, metric, value FROM skip_prediction_metrics")
    rank = m["metric"].isin(RANK_METRICS)
    corr = m["metric"].str.startswith("spearman")
    bad = m[m["value"].isna()
            | (rank & ((m["value"] < 0) | (m["value"] > 1)))
            | (m["metric"].str.startswith("MAE") & (m["value"] < 0))
            | (corr & ((m["value"] < -1) | (m["value"] > 1)))]
    return AssetCheckResult(passed=bad.empty and not m.empty, metadata={
        "rows": len(m), "out_of_range": len(bad),
        "examples": MetadataValue.md(bad.head(10).to_markdown(index=False) if not bad.empty else "none")})


@asset_check(asset=skip_prediction_report,
             description="The model (every trained modality) and each contract baseline have all rank metrics "
                         "for both protocols on all test views.")
def every_method_present(home: DataHome) -> AssetCheckResult:
    m = _read(home, "SELECT method, modality, protocol, metric FROM skip_prediction_metrics WHERE subset = 'all'")
    with connect(home.layout.warehouse, read_only=True) as con:
        modalities = _trained_models(con)["modality"].astype(str).tolist()
    expected = [(b, NO_MODALITY) for b in CONTRACT_BASELINES] + [(MODEL_METHOD, mod) for mod in modalities]
    missing = []
    for method, modality in expected:
        for protocol in ("segments_end", "slots40"):
            have = set(m[(m.method == method) & (m.modality == modality) & (m.protocol == protocol)]["metric"])
            missing += [f"{method}/{modality}/{protocol}/{k}" for k in RANK_METRICS if k not in have]
    return AssetCheckResult(passed=not missing, metadata={
        "expected_methods": len(expected), "missing": MetadataValue.text(", ".join(missing[:20]) or "none")})


@asset_check(asset=skip_prediction_report,
             description="segment_scores has one row per real segment of every test view for each trained modality.")
def segment_scores_cover_test_views(home: DataHome) -> AssetCheckResult:
    with connect(home.layout.warehouse, read_only=True) as con:
        modalities = _trained_models(con)["modality"].astype(str).tolist()
        expected = run_sql(con, "eval_views", {"split": EVAL_SPLIT}).df()["n_segments"].sum()
        counts = dict(con.execute("SELECT modality, count(*) FROM segment_scores GROUP BY modality").fetchall())
    short = {mod: int(counts.get(mod, 0)) for mod in modalities if counts.get(mod, 0) != expected}
    return AssetCheckResult(passed=not short, metadata={
        "expected_rows_per_modality": int(expected), "mismatched": MetadataValue.json(short)})


@asset_check(asset=skip_prediction_report,
             description="Warns when no trained modality beats the best position baseline on HR@1 and NDCG@5 "
                         "(primary protocol, all test views).")
def model_beats_position_baselines(home: DataHome) -> AssetCheckResult:
    m = _read(home, "SELECT method, modality, metric, value FROM skip_prediction_metrics "
                    "WHERE protocol = 'segments_end' AND subset = 'all' AND metric IN ('HR@1', 'NDCG@5')")
    models = m[m.method == MODEL_METHOD]
    baselines = m[(m.modality == NO_MODALITY) & (m.method != "Random")]
    if models.empty or baselines.empty:
        return AssetCheckResult(passed=False, severity=AssetCheckSeverity.WARN,
                                metadata={"reason": "no trained model or no position baseline in the report"})
    margins = {}
    for metric in ("HR@1", "NDCG@5"):
        best_model = models[models.metric == metric]["value"].max()
        best_base = baselines[baselines.metric == metric]["value"].max()
        margins[metric] = float(best_model - best_base)
    return AssetCheckResult(passed=all(v > 0 for v in margins.values()), severity=AssetCheckSeverity.WARN,
                            metadata={f"margin_{k}": v for k, v in margins.items()})
