"""Everything the skip-prediction report computes, as plain functions over arrays and frames:
every method's scores and metrics, the segment_scores rows, the report files and the MLflow run.
The Dagster asset only reads the warehouse, calls `build_skip_report`, and writes the results."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager, Optional, Sequence

import mlflow
import numpy as np
import pandas as pd

from seg_pipeline.baselines.base import FitData
from seg_pipeline.baselines.registry import BASELINES, check_baselines, make_baseline
from seg_pipeline.contract import EVAL_SPLIT, N_SLOTS, SEGMENT_SECONDS
from seg_pipeline.errors import ConfigError
from seg_pipeline.evaluation.figures import HeatmapExample, interest_heatmaps, metrics_bar_chart
from seg_pipeline.evaluation.metrics import RANK_METRICS, leave_distribution, target_ranks
from seg_pipeline.evaluation.latent import latent_matrix
from seg_pipeline.evaluation.report_doc import MODEL_METHOD, NO_MODALITY, Report, comparison_table, method_label
from seg_pipeline.evaluation.skip_eval import SUBSETS, evaluate_method
from seg_pipeline.warehouse.fingerprint import frame_fingerprint

METRIC_COLUMNS = ["method", "modality", "protocol", "subset", "metric", "value", "n_views"]


@dataclass
class ScoredMethod:
    """One method's scores over the evaluated views (rows aligned with the views frame): `scores`
    rank the skip slots; `interest` is the per-segment interest when it differs (survival-loss
    models), else None and the scores serve as interest too."""

    method: str
    modality: str
    scores: np.ndarray
    interest: Optional[np.ndarray] = None

    @property
    def label(self) -> str:
        return method_label(self.method, self.modality)


def evaluate_all(views: pd.DataFrame, scored: Sequence[ScoredMethod], seed: int = 0,
                 latent: Optional[np.ndarray] = None) -> pd.DataFrame:
    """Long-format metric rows for every method (the skip_prediction_metrics schema)."""
    rows: list[dict] = []
    for item in scored:
        rows += evaluate_method(item.method, item.modality, item.scores, views, seed=seed, latent=latent,
                                interest=item.interest)
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


TARGET_KINDS = ("left in segment 0", "left in a later segment", "watched to the end")


def target_kind(views: pd.DataFrame) -> np.ndarray:
    """Where each view ended: the three cases a position prior or a loss can treat very differently."""
    target = views["target_slot"].to_numpy()
    end = target == views["n_segments"].to_numpy()
    return np.where(end, TARGET_KINDS[2], np.where(target == 0, TARGET_KINDS[0], TARGET_KINDS[1]))


def hit_rate_by_target_kind(views: pd.DataFrame, scored: Sequence[ScoredMethod], seed: int = 0) -> pd.DataFrame:
    """HR@1 (primary protocol) per method split by where the user left: shows whether a method only
    ever predicts one kind of leave (e.g. always the end slot)."""
    kinds = target_kind(views)
    present = [k for k in TARGET_KINDS if (kinds == k).any()]
    n, t = views["n_segments"].to_numpy(), views["target_slot"].to_numpy()
    hits = {item.label: target_ranks(item.scores, n, t, seed=seed) == 1 for item in scored}
    table = pd.DataFrame({label: [float(hit[kinds == k].mean()) for k in present] for label, hit in hits.items()},
                         index=present).T
    counts = pd.Series({k: int((kinds == k).sum()) for k in present})
    table.columns = [f"HR@1 {k} ({counts[k]} views)" for k in present]
    return table


def segment_score_frame(views: pd.DataFrame, scores: np.ndarray, modality: str,
                        interest: Optional[np.ndarray] = None) -> pd.DataFrame:
    """One row per real segment of each view; the end slot's score rides along as end_slot_score.
    `interest` defaults to the scores (see ScoredMethod)."""
    n_segments = views["n_segments"].to_numpy(dtype=np.int64)
    interest = scores if interest is None else interest
    probs = leave_distribution(np.nan_to_num(scores, nan=0.0), n_segments)
    rows, slots = np.nonzero(np.arange(N_SLOTS)[None, :] < n_segments[:, None])
    return pd.DataFrame({
        "user_id": views["user_id"].to_numpy()[rows],
        "video_id": views["video_id"].to_numpy()[rows],
        "view_id": views["view_id"].to_numpy()[rows],
        "segment_idx": slots,
        "score": scores[rows, slots].astype(np.float64),
        "interest": interest[rows, slots].astype(np.float64),
        "modality": modality,
        "leave_probability": probs[rows, slots],
        "end_slot_score": scores[rows, n_segments[rows]].astype(np.float64),
        "n_segments": n_segments[rows],
    })


def pick_heatmap_views(views: pd.DataFrame, count: int, seed: int = 0) -> np.ndarray:
    """Row indices of a few test views worth looking at: mid-length videos (4..20 segments) when
    there are any, half of them skips before the end, chosen with a fixed seed."""
    if count <= 0 or views.empty:
        return np.zeros(0, dtype=np.int64)
    n = views["n_segments"].to_numpy()
    skip = views["target_slot"].to_numpy() < n
    pool = np.flatnonzero((n >= 4) & (n <= 20))
    if pool.size == 0:
        pool = np.arange(len(views))
    rng = np.random.default_rng(seed)
    skips, rest = pool[skip[pool]], pool[~skip[pool]]
    take_skips = min(len(skips), max(count - len(rest), (count + 1) // 2))
    chosen = list(rng.choice(skips, take_skips, replace=False)) if take_skips else []
    take_rest = min(len(rest), count - len(chosen))
    chosen += list(rng.choice(rest, take_rest, replace=False)) if take_rest else []
    return np.sort(np.asarray(chosen, dtype=np.int64))


def _heat_row(item: ScoredMethod, row: int, n_segments: int) -> np.ndarray:
    """The interest a heatmap row shows: the model's per-segment interest where it has one (no
    value for the end slot), else the scores, which are the interest of a prior."""
    if item.interest is None:
        return item.scores[row]
    values = np.asarray(item.interest[row], dtype=np.float64).copy()
    values[n_segments:] = np.nan
    return values


def heatmap_examples(views: pd.DataFrame, scored: Sequence[ScoredMethod], rows: Sequence[int],
                     latent: Optional[np.ndarray] = None) -> list[HeatmapExample]:
    examples = []
    for row in rows:
        view = views.iloc[int(row)]
        n, target = int(view["n_segments"]), int(view["target_slot"])
        left = "watched to the end" if target == n else f"left in segment {target}"
        lines = [(item.label, _heat_row(item, int(row), n)) for item in scored if item.method != "Random"]
        if latent is not None:
            lines.append(("latent truth", latent[row]))
        examples.append(HeatmapExample(
            title=f"view {view['view_id']}: user {view['user_id']}, video {view['video_id']}, "
                  f"{n} segments, {left}",
            n_segments=n, target_slot=target, rows=lines))
    return examples


@dataclass
class ReportFiles:
    markdown: Path
    html: Path
    bar_chart: Path
    heatmaps: Optional[Path]
    metrics_csv: Path
    primary_table: pd.DataFrame


def write_report(out_dir: Path, metrics: pd.DataFrame, views: pd.DataFrame,
                 scored: Sequence[ScoredMethod], facts: list[str], heatmap_count: int = 6,
                 seed: int = 0, latent: Optional[np.ndarray] = None,
                 notes: Sequence[str] = ()) -> ReportFiles:
    """Markdown + HTML report, bar chart, heatmaps and the metrics CSV in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    order = [item.label for item in scored]
    sections = []
    for protocol, name in (("segments_end", "Primary protocol (real segments + end slot)"),
                           ("slots40", "Published protocol (40 slots, padding ranked)")):
        for subset in SUBSETS:
            table = comparison_table(metrics, protocol, subset, order)
            if protocol == "slots40":
                table = table[[c for c in table.columns if c in RANK_METRICS or c == "views"]]
            sections.append((f"{name}: {subset} test views", table))
    if len(views):
        sections.append(("HR@1 by where the user left (primary protocol, all test views)",
                         hit_rate_by_target_kind(views, scored, seed)))
    primary = sections[0][1]
    bar = metrics_bar_chart(primary, RANK_METRICS, out_dir / "metrics_bar.png",
                            "Skip prediction on all test views (primary protocol)")
    images = [("Metrics (primary protocol, all test views)", bar.name)]
    heat_path = None
    rows = pick_heatmap_views(views, heatmap_count, seed)
    if rows.size:
        heat_path = interest_heatmaps(heatmap_examples(views, scored, rows, latent),
                                      out_dir / "segment_interest_heatmaps.png")
        images.append(("Segment interest of sample test views (red box: true leave slot)", heat_path.name))
    report = Report(title="Skip prediction report", facts=facts, sections=sections, images=images,
                    notes=list(notes), image_dir=out_dir)
    md = out_dir / "skip_prediction_report.md"
    md.write_text(report.markdown())
    page = out_dir / "skip_prediction_report.html"
    page.write_text(report.html())
    csv = out_dir / "skip_prediction_metrics.csv"
    metrics.to_csv(csv, index=False)
    return ReportFiles(md, page, bar, heat_path, csv, primary)



# ---------------------------------------------------------------------------------------------
# The report as one call: what the skip_prediction_report asset runs.

STAGE = "skip_prediction_report"
StartRun = Callable[..., ContextManager[mlflow.ActiveRun]]  # start_run(run_name, tags=...)
RANKING_NOTE = (
    "Ranks sort a view's candidate slots by ascending interest (lowest = predicted leave), ties at "
    "random. MAE: expected watch time (softmax of negated scores over segments + end slot) vs true "
    f"playing time, in seconds and in {SEGMENT_SECONDS:g} s segments. spearman_latent: mean within-view "
    "rank correlation between scores and the demo world's latent interest over real segments."
)


@dataclass(frozen=True)
class SkipReportSettings:
    """Knobs of the evaluation; the metrics themselves are fixed by SPEC 4."""

    seed: int = 0  # tie-breaking draw and the Random baseline
    baselines: tuple[str, ...] = tuple(BASELINES)
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


@dataclass
class SkipReport:
    """What the report produced: rows for skip_prediction_metrics and segment_scores, the files,
    and the MLflow run they were logged to."""

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

    def fingerprint(self) -> str:
        return frame_fingerprint(self.metrics.round(10))


def score_models(trained: pd.DataFrame, warehouse: Path, view_ids: np.ndarray, device: str) -> list[ScoredMethod]:
    """Scores of each trained modality (trained_models rows), aligned with `view_ids`."""
    if trained.empty:
        return []
    from seg_pipeline.model.predict import score_views  # torch only when there is a model

    out = []
    for row in trained.itertuples():
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


def model_score_frame(views: pd.DataFrame, scored: Sequence[ScoredMethod]) -> pd.DataFrame:
    """segment_scores rows of every model modality (an empty frame of the right shape without one)."""
    frames = [segment_score_frame(views, item.scores, item.modality, item.interest)
              for item in scored if item.method == MODEL_METHOD]
    return pd.concat(frames or [segment_score_frame(views.iloc[:0], np.zeros((0, N_SLOTS)), NO_MODALITY)],
                     ignore_index=True)


def mlflow_metric_name(protocol: str, subset: str, method: str, modality: str, metric: str) -> str:
    who = method if modality == NO_MODALITY else f"{method}_{modality}"
    return re.sub(r"[^\w./\- :]", "_", f"{protocol}/{subset}/{who}/{metric.replace('@', '_at_')}")


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
) -> SkipReport:
    """Score the test `views` with every trained model (checkpoints in `trained`, scored from
    `warehouse` on `device`) and every configured baseline (fit on `fit`), evaluate them with the
    same code, write the report files to `out_dir` and log everything to one MLflow run.
    `truth`: the demo world's latent interest, or None for real data."""
    settings.validate()
    view_ids = views["view_id"].to_numpy(dtype=np.int64)
    scored = score_models(trained, warehouse, view_ids, device)
    for name in settings.baselines:
        scored.append(ScoredMethod(name, NO_MODALITY, make_baseline(name, settings.seed).fit(fit).score(views)))
    latent = latent_matrix(views, truth) if truth is not None else None
    metrics = evaluate_all(views, scored, seed=settings.seed, latent=latent)

    modalities = [str(m) for m in trained["modality"]]
    n_cold = int(views["cold_video"].fillna(False).astype(bool).sum())
    with start_run(STAGE, tags={"stage": STAGE}) as run:
        mlflow.log_params({
            "seed": settings.seed, "baselines": ",".join(settings.baselines),
            "fit_splits": ",".join(settings.fit_splits), "test_views": len(views), "cold_views": n_cold,
            "modalities": ",".join(modalities) or "none", "ground_truth": truth is not None,
        })
        for row in trained.itertuples():
            mlflow.set_tag(f"model_run.{row.modality}", str(getattr(row, "mlflow_run_id", "")))
        mlflow.log_metrics({mlflow_metric_name(r.protocol, r.subset, r.method, r.modality, r.metric): r.value
                            for r in metrics.itertuples()})
        facts = [
            f"test views: {len(views)} ({n_cold} cold, {len(views) - n_cold} warm)",
            f"methods: {', '.join(item.label for item in scored)}",
            "trained models: " + (", ".join(f"{r.modality} ({Path(r.checkpoint_path).name})" for r in trained.itertuples())
                                  or "none (baselines only)"),
            f"baseline statistics from splits: {', '.join(settings.fit_splits)}; tie-breaking seed {settings.seed}",
            f"latent ground truth: {'demo world' if truth is not None else 'not available (real data)'}",
            f"MLflow run {run.info.run_id}; Dagster run {run.data.tags.get('dagster_run_id')}",
        ]
        files = write_report(out_dir, metrics, views, scored, facts, settings.heatmap_views, settings.seed,
                             latent, [RANKING_NOTE])
        mlflow.log_artifacts(str(out_dir), artifact_path="report")
    return SkipReport(
        metrics=metrics, segment_scores=model_score_frame(views, scored), files=files, n_views=len(views),
        n_cold=n_cold, modalities=modalities, ground_truth=truth is not None, mlflow_run_id=run.info.run_id,
        mlflow_experiment_id=run.info.experiment_id, methods=[item.label for item in scored],
    )
