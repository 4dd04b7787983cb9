"""Run every (backbone, variant, seed), score test with AUC / F1 / logloss, and summarise.

F1 uses the threshold that maximises F1 on the valid split, applied unchanged to test.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np
import pandas as pd

from seg_pipeline.segrec.data import SegRecData
from seg_pipeline.segrec.metrics import auc, best_f1_threshold, f1, logloss
from seg_pipeline.segrec.config import TrainConfig
from seg_pipeline.segrec.train import fit_variant
from seg_pipeline.segrec.variants import Variant

METRICS = ("AUC", "F1", "logloss")
RESULT_COLUMNS = [
    "backbone", "variant", "seed", "metric", "value", "split", "f1_threshold", "best_epoch",
    "epochs_run", "valid_auc", "n_train", "n_test", "test_positive_rate", "seconds",
]


def test_metrics(labels: np.ndarray, probs: np.ndarray, threshold: float) -> dict[str, float]:
    return {"AUC": auc(labels, probs), "F1": f1(labels, probs, threshold), "logloss": logloss(labels, probs)}


def run_comparison(
    data: SegRecData,
    backbones: Sequence[str],
    variants: Sequence[Variant],
    seeds: Sequence[int],
    cfg: TrainConfig,
    log: Optional[Callable[[str], None]] = None,
) -> pd.DataFrame:
    """Long table: one row per (backbone, variant, seed, metric) on the test split."""
    valid, test = data.rows("valid"), data.rows("test")
    if len(test) == 0:
        raise RuntimeError("SegRec has no test rows to evaluate")
    rows = []
    for backbone in backbones:
        for variant in variants:
            for seed in seeds:
                fit = fit_variant(data, backbone, variant, seed, cfg)
                threshold = best_f1_threshold(data.label[valid], fit.valid_probs)
                values = test_metrics(data.label[test], fit.test_probs, threshold)
                for metric in METRICS:
                    rows.append({
                        "backbone": backbone, "variant": variant.name, "seed": int(seed), "metric": metric,
                        "value": values[metric], "split": "test", "f1_threshold": threshold,
                        "best_epoch": fit.best_epoch, "epochs_run": fit.epochs_run,
                        "valid_auc": fit.best_valid_auc, "n_train": int(len(data.rows("train"))),
                        "n_test": int(len(test)), "test_positive_rate": float(data.label[test].mean()),
                        "seconds": fit.seconds,
                    })
                if log:
                    log(f"SegRec {backbone}/{variant.name} seed {seed}: AUC {values['AUC']:.4f} "
                        f"F1 {values['F1']:.4f} logloss {values['logloss']:.4f} "
                        f"({fit.epochs_run} epochs, {fit.seconds:.1f} s)")
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and sample standard deviation over seeds, per (backbone, variant, metric)."""
    grouped = results.groupby(["backbone", "variant", "metric"], sort=False)["value"]
    out = grouped.agg(mean="mean", std="std", seeds="count").reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out


def summary_markdown(summary: pd.DataFrame) -> str:
    """Backbone x variant rows, one 'mean ± std' column per metric (lower logloss is better)."""
    lines = ["| backbone | variant | AUC | F1 | logloss | seeds |", "|---|---|---|---|---|---|"]
    for (backbone, variant), part in summary.groupby(["backbone", "variant"], sort=False):
        cells = {r.metric: f"{r.mean:.4f} ± {r.std:.4f}" for r in part.itertuples()}
        seeds = int(part["seeds"].max())
        lines.append(f"| {backbone} | {variant} | {cells.get('AUC', '')} | {cells.get('F1', '')} | "
                     f"{cells.get('logloss', '')} | {seeds} |")
    return "\n".join(lines)
