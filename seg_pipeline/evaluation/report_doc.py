"""The comparison tables and the Markdown / HTML report built from skip_prediction_metrics rows."""
from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import pandas as pd

from seg_pipeline.evaluation.metrics import RANK_METRICS

MODEL_METHOD = "segment_interest"
NO_MODALITY = "none"
TABLE_METRICS = RANK_METRICS + ("MAE", "MAE_segments", "spearman_latent")


def method_label(method: str, modality: str) -> str:
    return f"{method} ({modality})" if modality and modality != NO_MODALITY else method


def comparison_table(metrics: pd.DataFrame, protocol: str, subset: str,
                     method_order: Sequence[str]) -> pd.DataFrame:
    """Methods x metrics for one protocol and subset, plus the number of views."""
    part = metrics[(metrics["protocol"] == protocol) & (metrics["subset"] == subset)]
    if part.empty:
        return pd.DataFrame()
    part = part.assign(label=[method_label(m, d) for m, d in zip(part["method"], part["modality"])])
    table = part.pivot_table(index="label", columns="metric", values="value", aggfunc="first")
    table = table[[m for m in TABLE_METRICS if m in table.columns]]
    table["views"] = part.groupby("label")["n_views"].max().astype("Int64")
    order = [label for label in method_order if label in table.index]
    return table.loc[order]


def mlflow_figure_line(name: str) -> Optional[str]:
    """Inside an active MLflow run: a line pointing at figures/<name> of that run (save_figure logs
    it there). MLflow's Markdown preview shows no images at all (data URIs or links to the run's
    artifacts: checked on MLflow 3.17), so there the Markdown names the previewable figure and the
    HTML report embeds it."""
    import mlflow

    from seg_pipeline.evaluation.figures import MLFLOW_FIGURES

    if mlflow.active_run() is None:
        return None
    return (f"Figure: `{MLFLOW_FIGURES}/{name}` in this run's artifacts (the MLflow Markdown preview shows no "
            f"images; the HTML report embeds it).")


def image_data_uri(path: Path) -> str:
    """The image file as a data URI (embedded, so no link can break)."""
    kind = "png" if Path(path).suffix.lower() == ".png" else "jpeg"
    return f"data:image/{kind};base64,{base64.b64encode(Path(path).read_bytes()).decode('ascii')}"


@dataclass
class Report:
    title: str
    facts: list[str]
    sections: list[tuple[str, pd.DataFrame]]
    images: list[tuple[str, str]] = field(default_factory=list)  # (caption, file name in image_dir)
    notes: list[str] = field(default_factory=list)
    # Where the images are: the HTML embeds them as data URIs, so it renders wherever it is viewed;
    # the Markdown does too, except inside an MLflow run, where it links the run's figures/ artifact
    # (MLflow's Markdown preview drops data URIs and cannot follow a relative file link).
    image_dir: Optional[Path] = None

    def image_src(self, name: str) -> str:
        """A data URI of the image when its file is found, else the name as given."""
        path = Path(self.image_dir) / name if self.image_dir is not None else None
        return image_data_uri(path) if path is not None and path.is_file() else name

    def markdown(self) -> str:
        lines = [f"# {self.title}", ""] + [f"- {fact}" for fact in self.facts] + [""]
        for heading, table in self.sections:
            lines += [f"## {heading}", ""]
            lines += [table.to_markdown(floatfmt=".4f") if not table.empty else "_no views_", ""]
        for note in self.notes:
            lines += [note, ""]
        for caption, name in self.images:
            in_run = mlflow_figure_line(name)
            image = [in_run] if in_run else [f"![{caption}]({self.image_src(name)})", "", f"(file: `{name}`)"]
            lines += [f"## {caption}", "", *image, ""]
        return "\n".join(lines)

    def html(self) -> str:
        parts = [
            "<!doctype html><html><head><meta charset='utf-8'>",
            f"<title>{html.escape(self.title)}</title>",
            "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
            "img{max-width:100%}</style></head><body>",
            f"<h1>{html.escape(self.title)}</h1><ul>",
        ]
        parts += [f"<li>{html.escape(fact)}</li>" for fact in self.facts] + ["</ul>"]
        for heading, table in self.sections:
            parts.append(f"<h2>{html.escape(heading)}</h2>")
            parts.append(table.to_html(float_format=lambda v: f"{v:.4f}") if not table.empty else "<p>no views</p>")
        parts += [f"<p>{html.escape(note)}</p>" for note in self.notes]
        for caption, name in self.images:
            parts.append(f"<h2>{html.escape(caption)}</h2>"
                         f"<img src='{html.escape(self.image_src(name))}' alt='{html.escape(caption)}'>")
        parts.append("</body></html>")
        return "\n".join(parts)
