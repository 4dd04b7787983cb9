"""Report figures: a bar chart of the comparison and per-view segment-interest heatmaps.

Figures are drawn on matplotlib's object API (Figure + Agg canvas), never pyplot, so no global
backend state is touched inside a Dagster run.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle


CMAP = colormaps["viridis"].with_extremes(bad="lightgrey")  # grey: no value (e.g. truth at the end slot)
MLFLOW_FIGURES = "figures"  # artifact folder of the figures in the active MLflow run


def save_figure(fig: Figure, path: Path, dpi: int = 110) -> Path:
    """Write the PNG; inside an active MLflow run also log it as an image artifact (figures/),
    which the MLflow UI previews."""
    fig.savefig(path, dpi=dpi)
    import mlflow

    if mlflow.active_run() is not None:
        mlflow.log_figure(fig, f"{MLFLOW_FIGURES}/{Path(path).name}")
    return Path(path)


def metrics_bar_chart(table: pd.DataFrame, metrics: Sequence[str], path: Path, title: str) -> Path:
    """Grouped bars: one group per metric, one bar per method (the table's index)."""
    columns = [m for m in metrics if m in table.columns]
    fig = Figure(figsize=(max(6.0, 1.6 * len(columns) + 2), 4.2), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / max(len(table.index), 1)
    x = np.arange(len(columns))
    for i, (label, row) in enumerate(table[columns].iterrows()):
        ax.bar(x + (i - (len(table.index) - 1) / 2) * width, row.to_numpy(dtype=float), width, label=str(label))
    ax.set_xticks(x, columns)
    ax.set_ylim(0, 1)
    ax.set_ylabel("value")
    ax.set_title(title)
    ax.legend(fontsize=8, ncols=min(len(table.index), 4), loc="upper center", bbox_to_anchor=(0.5, -0.1))
    ax.grid(axis="y", alpha=0.3)
    return save_figure(fig, path)


@dataclass
class HeatmapExample:
    """One test view: rows of interest over slots 0..N (label, values of length N + 1)."""

    title: str
    n_segments: int
    target_slot: int
    rows: list[tuple[str, np.ndarray]]


def _row_normalise(values: np.ndarray) -> np.ndarray:
    """Min-max per row so methods on different scales share one colour map; NaN stays NaN."""
    out = np.full_like(values, np.nan, dtype=float)
    for i, row in enumerate(values):
        finite = np.isfinite(row)
        if finite.any():
            lo, hi = row[finite].min(), row[finite].max()
            out[i, finite] = (row[finite] - lo) / (hi - lo) if hi > lo else 0.5
    return out


def interest_heatmaps(examples: Sequence[HeatmapExample], path: Path) -> Path:
    """One panel per view: methods x slots, bright = high interest, the true leave slot boxed red."""
    fig = Figure(figsize=(10, 1.1 + 0.28 * sum(len(e.rows) + 2 for e in examples)), layout="constrained")
    axes = fig.subplots(len(examples), 1, squeeze=False)[:, 0] if examples else []
    for ax, example in zip(axes, examples):
        matrix = np.array([np.asarray(v, dtype=float)[: example.n_segments + 1] for _, v in example.rows])
        image = ax.imshow(np.ma.masked_invalid(_row_normalise(matrix)), aspect="auto", cmap=CMAP,
                          vmin=0, vmax=1, interpolation="nearest")
        ax.add_patch(Rectangle((example.target_slot - 0.5, -0.5), 1, len(example.rows), fill=False,
                               edgecolor="red", linewidth=2.5))
        ax.set_yticks(range(len(example.rows)), [label for label, _ in example.rows], fontsize=8)
        ticks = [str(i) for i in range(example.n_segments)] + ["end"]
        ax.set_xticks(range(example.n_segments + 1), ticks, fontsize=7)
        ax.set_title(example.title, fontsize=9, loc="left")
    if examples:
        fig.colorbar(image, ax=list(axes), shrink=0.6, label="interest (min-max per row)")
    return save_figure(fig, path)
