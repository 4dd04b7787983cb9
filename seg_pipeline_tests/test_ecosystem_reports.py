"""Reports that render where they are viewed: plots embedded in the HTML and Markdown, and logged
as MLflow images; progress lines at a sane rate."""
from __future__ import annotations

import mlflow
import pandas as pd

from seg_pipeline.evaluation.figures import MLFLOW_FIGURES, metrics_bar_chart
from seg_pipeline.evaluation.report_doc import Report
from seg_pipeline.progress import Progress
from seg_pipeline.segrec.report import auc_bar_chart


def test_report_embeds_its_plots(tmp_path):
    table = pd.DataFrame({"HR@1": [0.5733333333333334, 0.2], "NDCG@5": [0.61, 0.3]}, index=["model", "Random"])
    chart = metrics_bar_chart(table, ["HR@1", "NDCG@5"], tmp_path / "metrics_bar.png", "test")
    report = Report("r", ["a fact"], [("Table", table)], images=[("Metrics", chart.name)], image_dir=tmp_path)
    page, text = report.html(), report.markdown()
    assert "src='data:image/png;base64,iVBOR" in page and "metrics_bar.png'" not in page
    assert "![Metrics](data:image/png;base64,iVBOR" in text and "0.5733" in text and "0.57333" not in text
    # Without the folder the old relative link stays (nothing to embed).
    assert "![Metrics](metrics_bar.png)" in Report("r", [], [], images=[("Metrics", "metrics_bar.png")]).markdown()


def test_figures_are_logged_as_mlflow_images_in_an_active_run(tmp_path):
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    summary = pd.DataFrame({"backbone": ["widedeep"] * 2, "variant": ["Video", "SegRec"], "metric": ["AUC"] * 2,
                            "mean": [0.6, 0.65], "std": [0.01, 0.02], "seeds": [2, 2]})
    experiment = mlflow.create_experiment("figures", artifact_location=(tmp_path / "artifacts").as_uri())
    with mlflow.start_run(experiment_id=experiment) as run:
        metrics_bar_chart(pd.DataFrame({"HR@1": [0.5]}, index=["m"]), ["HR@1"], tmp_path / "bar.png", "t")
    assert auc_bar_chart(summary, tmp_path / "auc.png").stat().st_size > 1000  # outside a run: just the file
    logged = [a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id, MLFLOW_FIGURES)]
    assert logged == [f"{MLFLOW_FIGURES}/bar.png"]
    # Markdown written inside a run names the run's figure (MLflow's Markdown preview shows no images).
    with mlflow.start_run(experiment_id=experiment):
        text = Report("r", [], [], images=[("Bar", "bar.png")], image_dir=tmp_path).markdown()
        page = Report("r", [], [], images=[("Bar", "bar.png")], image_dir=tmp_path).html()
    assert "Figure: `figures/bar.png` in this run's artifacts" in text and "![Bar]" not in text
    assert "data:image/png;base64," in page


def test_progress_lines_every_tenth_or_thirty_seconds():
    now, lines = [0.0], []
    progress = Progress(1000, "training", lines.append, unit="views", clock=lambda: now[0])
    for _ in range(1000):
        now[0] += 0.01
        progress.update(1)
    progress.close()
    assert len(lines) == 10 and lines[0].startswith("training: 100/1000 views (10%), 100.0 views/s")
    assert "ETA 9s" in lines[0] and lines[-1].endswith("ETA 0s")
    slow, lines = Progress(10 ** 6, "embedding", lines.append, clock=lambda: now[0]), []
    slow.log = lines.append
    now[0] += 31
    slow.update(5)  # far below 10 %, but 31 s since the last line
    assert len(lines) == 1 and "5/1000000 items" in lines[0]
