"""The SegRec report as plain functions: run the comparison, then build the Markdown table, the AUC
chart, the facts and the MLflow params and metrics. The segrec_report asset only reads the
warehouse (read_report_inputs), calls build_report, logs it to MLflow and writes the metrics."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import duckdb
import pandas as pd

from seg_pipeline.contract import SPLITS
from seg_pipeline.evaluation.report_doc import image_data_uri, mlflow_figure_line
from seg_pipeline.progress import Progress
from seg_pipeline.segrec.compare import run_comparison, summarise, summary_markdown
from seg_pipeline.segrec.config import ReportRequest
from seg_pipeline.segrec.data import SegRecData, load_segrec_data
from seg_pipeline.segrec.interest import attach_interest
from seg_pipeline.segrec.variants import Variant, choose_variants
from seg_pipeline.warehouse.db import run_sql, transaction, write_frame
from seg_pipeline.warehouse.fingerprint import frame_fingerprint
from seg_pipeline.warehouse.tables import read_history_length

REPORT_TITLE = "# SegRec: effective-view prediction on test"
ARTIFACT_PATH = "segrec_report"


@dataclass
class ReportInputs:
    """Everything segrec_report reads from the warehouse."""

    data: SegRecData
    stored_scores: pd.DataFrame  # segrec_interest_scores: view_id, source, scores
    degenerate_buckets: list[int]  # duration buckets whose train views all share one label


def read_report_inputs(con: duckdb.DuckDBPyConnection) -> ReportInputs:
    """The labelled views (with the history length user_histories was built with) and the stored scores."""
    data = load_segrec_data(con, read_history_length(con))
    stored = con.execute("SELECT view_id, source, scores FROM segrec_interest_scores").df()
    degenerate = [b for (b,) in con.execute(
        "SELECT bucket FROM effective_view_buckets WHERE train_positive_rate IN (0, 1) ORDER BY bucket").fetchall()]
    return ReportInputs(data, stored, degenerate)


@dataclass
class SegrecReport:
    """The comparison's rows (segrec_metrics), its summary, and the files written to out_dir."""

    results: pd.DataFrame
    summary: pd.DataFrame
    table: str  # Markdown: backbone x variant, mean ± std per metric
    facts: list[str]
    params: dict  # MLflow params
    metrics: dict  # MLflow metrics: <backbone>/<variant>/<metric>_{mean,std}
    counts: dict[str, int]  # views per split
    views_without_vectors: int
    seconds: float
    out_dir: Path
    markdown: Path
    chart: Path

    def fingerprint(self) -> str:
        return frame_fingerprint(self.results.drop(columns="seconds").round(10))


def build_report(inputs: ReportInputs, request: ReportRequest, out_dir: Path,
                 log: Optional[Callable[[str], None]] = None) -> SegrecReport:
    """Train every (backbone, variant, seed) of `request`, score test, write the report files."""
    request.validate()
    data = inputs.data
    sources = attach_interest(data, inputs.stored_scores)
    variants = choose_variants(request.variants, sources)
    seeds = request.seed_list
    started = time.perf_counter()
    fits = len(request.backbones) * len(variants) * len(seeds)
    with Progress(fits, "SegRec", log, unit="fits") as progress:
        def on_fit(line: str) -> None:  # run_comparison says one line per finished fit
            if log:
                log(line)
            progress.update(1)

        results = run_comparison(data, request.backbones, variants, seeds, request.train, log=on_fit)
    seconds = time.perf_counter() - started
    summary = summarise(results)
    table = summary_markdown(summary)
    counts = {s: int((data.split == s).sum()) for s in SPLITS}
    facts = report_facts(data, request, variants, sources, counts, inputs.degenerate_buckets, seconds)

    out_dir.mkdir(parents=True, exist_ok=True)
    results.to_csv(out_dir / "segrec_results.csv", index=False)
    chart = auc_bar_chart(summary, out_dir / "segrec_auc.png")
    markdown = out_dir / "segrec_report.md"
    markdown.write_text(report_markdown(table, facts, chart))
    return SegrecReport(
        results=results, summary=summary, table=table, facts=facts,
        params=mlflow_params(request, variants, data, counts), metrics=mlflow_metrics(summary),
        counts=counts, views_without_vectors=data.views_without_vectors, seconds=seconds,
        out_dir=out_dir, markdown=markdown, chart=chart,
    )


def report_markdown(table: str, facts: Sequence[str], chart: Path, figure_line: Optional[str] = None) -> str:
    """The report; the chart embedded (data URI), or inside an MLflow run a line naming its figure."""
    image = figure_line or f"![Test AUC per variant]({image_data_uri(chart)})\n\n(file: `{chart.name}`)"
    return f"{REPORT_TITLE}\n\n{table}\n\n" + "\n".join(f"- {f}" for f in facts) + f"\n\n{image}\n"


def report_facts(data: SegRecData, request: ReportRequest, variants: Sequence[Variant], sources: Sequence[str],
                 counts: dict[str, int], degenerate_buckets: Sequence[int], seconds: float) -> list[str]:
    """The lines under the report's table: what was compared, on what, and how."""
    cfg = request.train
    positives = {s: float(data.label[data.split == s].mean()) for s in SPLITS if counts[s]}
    visual = (f"CLIP vectors, dim {data.visual_dim}" if data.visual_dim and cfg.use_visual else "none (IDs only)")
    if data.views_without_vectors:
        visual += f" ({data.views_without_vectors} views of videos without vectors use zeros)"
    facts = [
        f"views: {counts} (effective-view positive rate {', '.join(f'{k} {v:.3f}' for k, v in positives.items())})",
        f"backbones: {', '.join(request.backbones)}; variants: {', '.join(v.name for v in variants)}; "
        f"seeds: {request.seed_list}",
        f"visual features: {visual}",
        f"interest score sources: {', '.join(sources)} (train views out of fold)",
        f"training: dim {cfg.dim}, hidden {list(cfg.hidden)}, lr {cfg.lr}, batch {cfg.batch_size}, "
        f"<= {cfg.max_epochs} epochs, early stop on valid AUC (patience {cfg.patience}); "
        f"softmax temperature {cfg.temperature}",
        "backbone knobs: " + "; ".join(f"{b} {asdict(cfg.params_for(b))}" for b in request.backbones),
        f"F1 threshold chosen on valid, applied to test; wall time {seconds:.1f} s",
    ]
    if degenerate_buckets:
        facts.append(f"duration buckets {list(degenerate_buckets)} have a single train label (e.g. a train median "
                     "that is a full watch under label_rule gt): their views are all negative; "
                     "see effective_view_buckets")
    return facts


def mlflow_params(request: ReportRequest, variants: Sequence[Variant], data: SegRecData,
                  counts: dict[str, int]) -> dict:
    cfg = request.train
    knobs = {f"{b}.{k}": v for b in request.backbones for k, v in asdict(cfg.params_for(b)).items()}
    return {
        "backbones": ",".join(request.backbones), "variants": ",".join(v.name for v in variants),
        "seeds": request.seeds, "first_seed": request.first_seed, "dim": cfg.dim,
        "hidden": ",".join(map(str, cfg.hidden)), "lr": cfg.lr, "batch_size": cfg.batch_size,
        "max_epochs": cfg.max_epochs, "patience": cfg.patience, "temperature": cfg.temperature,
        "use_visual": cfg.use_visual, "visual_dim": data.visual_dim, **knobs,
        **{f"{k}_views": v for k, v in counts.items()},
    }


def mlflow_metrics(summary: pd.DataFrame) -> dict[str, float]:
    return {f"{r.backbone}/{r.variant}/{r.metric}_{stat}": float(getattr(r, stat))
            for r in summary.itertuples() for stat in ("mean", "std")}


def log_to_mlflow(report: SegrecReport) -> None:
    """Params, metrics and the report folder into the active MLflow run."""
    import mlflow

    from PIL import Image

    from seg_pipeline.evaluation.figures import MLFLOW_FIGURES

    mlflow.log_params(report.params)
    mlflow.log_metrics(report.metrics)
    with Image.open(report.chart) as chart:  # previewed as an image in the MLflow UI
        mlflow.log_image(chart.convert("RGB"), f"{MLFLOW_FIGURES}/{report.chart.name}")
    # MLflow's Markdown preview shows no images: name the previewable figure instead.
    report.markdown.write_text(report_markdown(report.table, report.facts, report.chart,
                                               mlflow_figure_line(report.chart.name)))
    mlflow.log_artifacts(str(report.out_dir), artifact_path=ARTIFACT_PATH)


def auc_bar_chart(summary: pd.DataFrame, path: Path) -> Path:
    """Test AUC per variant (mean ± std over seeds), one panel per backbone (matplotlib's object
    API: no pyplot state inside a Dagster run)."""
    from matplotlib.figure import Figure

    auc_rows = summary[summary["metric"] == "AUC"]
    backbones = list(dict.fromkeys(auc_rows["backbone"]))
    fig = Figure(figsize=(5 * max(len(backbones), 1), 3.5), layout="tight")
    axes = fig.subplots(1, max(len(backbones), 1), squeeze=False)
    for ax, backbone in zip(axes[0], backbones):
        part = auc_rows[auc_rows["backbone"] == backbone]
        ax.bar(part["variant"], part["mean"], yerr=part["std"], capsize=3, color="#4C72B0")
        low = float((part["mean"] - part["std"]).min())
        ax.set_ylim(max(0.0, low - 0.02), min(1.0, float((part["mean"] + part["std"]).max()) + 0.02))
        ax.set_title(f"{backbone}: test AUC (mean ± std over seeds)")
        ax.tick_params(axis="x", rotation=30)
    fig.savefig(path, dpi=100)
    return path


def write_metrics(con: duckdb.DuckDBPyConnection, results: pd.DataFrame, mlflow_run_id: str,
                  dagster_run_id: str) -> pd.DataFrame:
    """segrec_metrics and its views (segrec_summary, segrec_vs_video) in one transaction; returns
    the AUC rows of segrec_vs_video for the asset's metadata."""
    with transaction(con):
        write_frame(con, "segrec_metrics", results, {"mlflow_run_id": mlflow_run_id, "dagster_run_id": dagster_run_id})
        run_sql(con, "segrec_summary")
        run_sql(con, "segrec_vs_video")
    return con.execute("SELECT * FROM segrec_vs_video WHERE metric = 'AUC'").df()
