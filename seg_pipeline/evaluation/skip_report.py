"""Everything the skip-prediction report computes, as plain functions over arrays and frames:
every method's scores and metrics (evaluation/scored.py), the best model vs the best baseline
(evaluation/comparison.py), the segment_scores rows, the report files (evaluation/report_files.py)
and the MLflow run. The Dagster asset only reads the warehouse, calls `build_skip_report`, and
writes the results."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, ContextManager, Optional, Sequence

import mlflow
import numpy as np
import pandas as pd

from seg_pipeline.baselines.base import FitData
from seg_pipeline.baselines.registry import BASELINES, DEFAULT_BASELINES, check_baselines, make_baseline
from seg_pipeline.baselines.view_features import FEATURE_COLUMNS
from seg_pipeline.contract import EVAL_SPLIT, N_SLOTS, SEGMENT_SECONDS
from seg_pipeline.errors import ConfigError
from seg_pipeline.evaluation.bootstrap import RESAMPLES, SEED as BOOTSTRAP_SEED
from seg_pipeline.evaluation.comparison import COMPARISON_COLUMNS, Candidate, compare_best, model_seed, ranks_of
from seg_pipeline.evaluation.latent import latent_matrix
from seg_pipeline.evaluation.report_doc import MODEL_METHOD, NO_MODALITY, method_label
from seg_pipeline.evaluation.report_files import ReportFiles, segment_score_frame, write_report
from seg_pipeline.evaluation.scored import (
    ScoredMethod,
    evaluate_all,
    mean_over_seeds,
    one_per_label,
)
from seg_pipeline.evaluation.skip_eval import PADDING_SCORE
from seg_pipeline.warehouse.fingerprint import frame_fingerprint


# ---------------------------------------------------------------------------------------------
# The report as one call: what the skip_prediction_report asset runs.

STAGE = "skip_prediction_report"
StartRun = Callable[..., ContextManager[mlflow.ActiveRun]]  # start_run(run_name, tags=...)
RANKING_NOTE = (
    "Ranks sort a view's candidate slots by ascending interest (lowest = predicted leave), ties at "
    "random. MAE: expected watch time under each method's leave distribution over segments + end slot "
    "(position priors: their per-slot frequencies renormalised; GBDTHazard: h_i prod_{j<i}(1 - h_j); "
    "models, WideDeep and DIN: softmax of negated scores) vs true playing time, in seconds and in "
    f"{SEGMENT_SECONDS:g} s segments. spearman_latent: mean within-view rank correlation between scores "
    "and the demo world's latent interest over real segments. WideDeep and DIN score each segment on its own "
    "with the model's inputs (modality both when segment vectors exist, else id), loss and early stopping "
    "(model/per_segment.py)."
)
PADDING_NOTE = (
    "Published protocol (slots40): every method's padding slots (after the end slot) get the same fixed "
    f"score ({PADDING_SCORE:g}, the model's own padding score), so padding ranks after every real slot "
    "for every method; before, position priors put slot i's global frequency there. Random keeps its random "
    "draw on all 40 slots, so its row stays the protocol's calibration (HR@1 = 1/40 as in the paper)."
)
SEED_NOTE = (
    "Seeds: tables show the mean over a method's seeds (trained models: one run per trained_models row; "
    "GBDTHazard and Random: the report seed; position priors are deterministic, seed NULL). "
    "skip_prediction_summary has mean, std and n_seeds per metric."
)


def selection_note(fit_splits: Sequence[str]) -> str:
    return (
        "Best model vs best baseline: both chosen on valid NDCG@5 (primary protocol, all valid views), never "
        "on test; the model by the mean over its seeds. For that choice the position priors' statistics come "
        f"from train only (the test rows use {', '.join(fit_splits)}); GBDTHazard, WideDeep and DIN are fitted "
        "on train with early stopping on valid, so their valid scores are slightly optimistic (as the model's "
        "are). Interval: paired bootstrap over "
        f"test views ({RESAMPLES} resamples, seed {BOOTSTRAP_SEED}) of the model's per-view metric, averaged "
        "over seeds, minus the baseline's."
    )


@dataclass(frozen=True)
class SkipReportSettings:
    """Knobs of the evaluation; the metrics themselves are fixed by SPEC 4."""

    seed: int = 0  # tie-breaking draw, the Random baseline and GBDTHazard
    baselines: tuple[str, ...] = DEFAULT_BASELINES
    fit_splits: tuple[str, ...] = ("train", "valid")  # where the baselines' statistics come from
    heatmap_views: int = 6

    def validate(self) -> "SkipReportSettings":
        check_baselines(list(self.baselines))
        if EVAL_SPLIT in self.fit_splits or not self.fit_splits:
            raise ConfigError("fit_splits", f"{list(self.fit_splits)} must be non-empty and exclude "
                              f"'{EVAL_SPLIT}'", "use ['train', 'valid'] (test statistics would leak into the baselines)")
        if self.heatmap_views < 0:
            raise ConfigError("heatmap_views", "must be >= 0", "use 0 to skip the heatmap figure")
        return self

    @property
    def needs_features(self) -> bool:
        """Whether a configured baseline reads the view features (FitData.features)."""
        return any(BASELINES[name].needs_features for name in self.baselines)


@dataclass
class SkipReport:
    """What the report produced: rows for skip_prediction_metrics, skip_prediction_comparison and
    segment_scores, the files, and the MLflow run they were logged to."""

    metrics: pd.DataFrame
    segment_scores: pd.DataFrame
    files: ReportFiles
    n_views: int
    n_cold: int
    modalities: list[str]
    ground_truth: bool
    mlflow_run_id: str
    mlflow_experiment_id: str
    methods: list[str] = field(default_factory=list)
    comparison: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(COMPARISON_COLUMNS)))
    valid_choice: pd.DataFrame = field(default_factory=pd.DataFrame)

    def fingerprint(self) -> str:
        return frame_fingerprint(self.metrics.round(10))


def score_models(trained: pd.DataFrame, warehouse: Path, view_ids: np.ndarray, device: str,
                 valid_ids: Optional[np.ndarray] = None) -> list[ScoredMethod]:
    """Scores of every trained_models row (one per (modality, seed)), aligned with `view_ids`
    (test) and, when given, `valid_ids`; rows ordered by modality, then seed."""
    if trained.empty:
        return []
    from seg_pipeline.model.predict import score_views  # torch only when there is a model

    def scores_of(path: Path, modality: str, split: str, ids: np.ndarray):
        result = score_views(path, warehouse, split=split, view_ids=ids, device=device)
        index = pd.Index(np.asarray(result.view_ids)).get_indexer(ids)
        if (index < 0).any():
            raise RuntimeError(f"model '{modality}' did not score {(index < 0).sum()} of {len(ids)} {split} views")
        return result.scores[index], result.interest[index]

    out = []
    rows = sorted(trained.itertuples(), key=lambda r: (list(trained["modality"]).index(r.modality), model_seed(r)))
    for row in rows:
        path = Path(row.checkpoint_path)
        if not path.is_file():
            raise FileNotFoundError(f"trained_models lists {path} for modality '{row.modality}' but the file is "
                                    "missing; rematerialize segment_interest_model")
        scores, interest = scores_of(path, str(row.modality), EVAL_SPLIT, view_ids)
        valid = scores_of(path, str(row.modality), "valid", valid_ids)[0] \
            if valid_ids is not None and len(valid_ids) else None
        out.append(ScoredMethod(MODEL_METHOD, str(row.modality), scores, interest, seed=model_seed(row),
                                valid_scores=valid, configuration=str(getattr(row, "configuration", "") or "")))
    return out


def score_baselines(settings: SkipReportSettings, views: pd.DataFrame, fit: FitData,
                    valid_views: Optional[pd.DataFrame], select_fit: Optional[FitData],
                    log: Callable[[str], None] = print) -> list[ScoredMethod]:
    """Every configured baseline fitted on `fit` scores the test `views`; for the choice on valid,
    fitted on `select_fit` (train only) it scores `valid_views`. A baseline whose fit reads train
    (and valid for early stopping) only, whatever the fit splits, is fitted once. `log` gets one
    line per baseline that describes its fit (the neural ones: modality and best epoch)."""
    out = []
    for name in settings.baselines:
        cls = BASELINES[name]
        baseline = make_baseline(name, settings.seed).fit(fit)
        note = baseline.describe()
        if note is not None:
            log(note)
        valid = None
        if valid_views is not None and len(valid_views) and select_fit is not None:
            chooser = baseline if not cls.refit_to_select else make_baseline(name, settings.seed).fit(select_fit)
            valid = chooser.score(valid_views)
        out.append(ScoredMethod(name, NO_MODALITY, baseline.score(views), interest=baseline.interest(views),
                                leave_probs=baseline.leave_distribution(views),
                                seed=settings.seed if cls.seeded else None, valid_scores=valid))
    return out


def candidates_of(scored: Sequence[ScoredMethod], views: pd.DataFrame, valid_views: Optional[pd.DataFrame],
                  seed: int) -> list[Candidate]:
    return [Candidate(item.method, item.modality, item.seed,
                      ranks_of(item.valid_scores, valid_views, seed) if item.valid_scores is not None else None,
                      ranks_of(item.scores, views, seed), item.configuration) for item in scored]


def model_score_frame(views: pd.DataFrame, scored: Sequence[ScoredMethod]) -> pd.DataFrame:
    """segment_scores rows of every model modality, its first (lowest) seed (an empty frame of the
    right shape without one)."""
    frames = [segment_score_frame(views, item.scores, item.modality, item.interest)
              for item in one_per_label(scored) if item.method == MODEL_METHOD]
    return pd.concat(frames or [segment_score_frame(views.iloc[:0], np.zeros((0, N_SLOTS)), NO_MODALITY)],
                     ignore_index=True)


def with_features(views: Optional[pd.DataFrame], features: pd.DataFrame) -> Optional[pd.DataFrame]:
    """The views frame plus the feature columns learned baselines read (view_features), by view_id."""
    if views is None or features.empty:
        return views
    return views.merge(features[["view_id", *FEATURE_COLUMNS]], on="view_id", how="left", validate="one_to_one")


def mlflow_metric_name(protocol: str, subset: str, method: str, modality: str, metric: str) -> str:
    who = method if modality == NO_MODALITY else f"{method}_{modality}"
    return re.sub(r"[^\w./\- :]", "_", f"{protocol}/{subset}/{who}/{metric.replace('@', '_at_')}")


def comparison_section(comparison: pd.DataFrame) -> pd.DataFrame:
    """The comparison rows as the report shows them (one row per metric)."""
    if comparison.empty:
        return pd.DataFrame()
    shown = comparison.set_index("metric")
    shown.insert(0, "model", [method_label(m, d) + (f" [{c}]" if c else "") for m, d, c in
                              zip(shown["model_method"], shown["model_modality"], shown["model_configuration"])])
    return shown[["model", "model_seeds", "baseline", "model_valid", "baseline_valid", "model_test",
                  "baseline_test", "difference", "low", "high", "n_views"]]


def valid_choice_section(valid: pd.DataFrame) -> pd.DataFrame:
    """The valid table the choice read, one row per method label."""
    if valid.empty:
        return pd.DataFrame()
    labels = [method_label(m, d) + (f" [{c}]" if c else "") for m, d, c in
              zip(valid["method"], valid["modality"], valid["configuration"])]
    return valid.drop(columns=["method", "modality", "configuration"]).set_axis(pd.Index(labels, name="method"))


def build_skip_report(
    views: pd.DataFrame,
    fit: FitData,
    trained: pd.DataFrame,
    warehouse: Path,
    out_dir: Path,
    start_run: StartRun,
    settings: SkipReportSettings = SkipReportSettings(),
    device: str = "cpu",
    truth: Optional[pd.DataFrame] = None,
    valid_views: Optional[pd.DataFrame] = None,
    select_fit: Optional[FitData] = None,
) -> SkipReport:
    """Score the test `views` with every trained model (checkpoints in `trained`, scored from
    `warehouse` on `device`) and every configured baseline (fit on `fit`), evaluate them with the
    same code, compare the best model with the best baseline (chosen on `valid_views`, baselines
    fitted on `select_fit`), write the report files to `out_dir` and log everything to one MLflow
    run. `truth`: the demo world's latent interest, or None for real data."""
    settings.validate()
    views, valid_views = with_features(views, fit.features), with_features(valid_views, fit.features)
    view_ids = views["view_id"].to_numpy(dtype=np.int64)
    valid_ids = valid_views["view_id"].to_numpy(dtype=np.int64) if valid_views is not None else None
    scored = score_models(trained, warehouse, view_ids, device, valid_ids)
    # The neural baselines train on the model's inputs, read from the same warehouse on the same device.
    fit = replace(fit, warehouse=Path(warehouse), device=device)
    select_fit = replace(select_fit, warehouse=Path(warehouse), device=device) if select_fit is not None else None
    fit_notes: list[str] = []
    scored += score_baselines(settings, views, fit, valid_views, select_fit, log=fit_notes.append)
    latent = latent_matrix(views, truth) if truth is not None else None
    metrics = evaluate_all(views, scored, seed=settings.seed, latent=latent)
    comparison, valid_choice = compare_best(candidates_of(scored, views, valid_views, settings.seed))

    modalities = list(dict.fromkeys(str(m) for m in trained["modality"]))
    n_cold = int(views["cold_video"].fillna(False).astype(bool).sum())
    with start_run(STAGE, tags={"stage": STAGE}) as run:
        mlflow.log_params({
            "seed": settings.seed, "baselines": ",".join(settings.baselines),
            "fit_splits": ",".join(settings.fit_splits), "test_views": len(views), "cold_views": n_cold,
            "modalities": ",".join(modalities) or "none", "ground_truth": truth is not None,
            "model_runs": len(trained), "valid_views": 0 if valid_views is None else len(valid_views),
        })
        for row in trained.itertuples():
            mlflow.set_tag(f"model_run.{row.modality}.seed{model_seed(row)}", str(getattr(row, "mlflow_run_id", "")))
        mlflow.log_metrics({mlflow_metric_name(r.protocol, r.subset, r.method, r.modality, r.metric): r.value
                            for r in mean_over_seeds(metrics).itertuples()})
        mlflow.log_metrics({f"comparison/{r.metric.replace('@', '_at_')}/{part}": float(getattr(r, part))
                            for r in comparison.itertuples() for part in ("difference", "low", "high")})
        facts = [
            f"test views: {len(views)} ({n_cold} cold, {len(views) - n_cold} warm)",
            f"methods: {', '.join(item.label for item in one_per_label(scored))}",
            "trained models: " + (", ".join(f"{r.modality} seed {model_seed(r)} ({Path(r.checkpoint_path).name})"
                                            for r in trained.itertuples()) or "none (baselines only)"),
            f"baseline statistics from splits: {', '.join(settings.fit_splits)}; tie-breaking seed {settings.seed}",
            *fit_notes,
            f"latent ground truth: {'demo world' if truth is not None else 'not available (real data)'}",
            f"MLflow run {run.info.run_id}; Dagster run {run.data.tags.get('dagster_run_id')}",
        ]
        extra = [("Best model vs best baseline (chosen on valid; paired bootstrap 95 % interval on test)",
                  comparison_section(comparison)),
                 ("Choosing on valid (mean over seeds; baselines fitted on train)", valid_choice_section(valid_choice))]
        files = write_report(out_dir, metrics, views, scored, facts, settings.heatmap_views, settings.seed,
                             latent, [RANKING_NOTE, selection_note(settings.fit_splits), SEED_NOTE, PADDING_NOTE],
                             extra)
        mlflow.log_artifacts(str(out_dir), artifact_path="report")
    return SkipReport(
        metrics=metrics, segment_scores=model_score_frame(views, scored), files=files, n_views=len(views),
        n_cold=n_cold, modalities=modalities, ground_truth=truth is not None, mlflow_run_id=run.info.run_id,
        mlflow_experiment_id=run.info.experiment_id, methods=[item.label for item in one_per_label(scored)],
        comparison=comparison, valid_choice=valid_choice,
    )
