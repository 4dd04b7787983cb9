"""Best model vs best baseline, both chosen on valid, with a paired bootstrap interval on test.

Several trained seeds per model are expected (one trained_models row per (modality, seed)). The
best model is the (modality[, configuration]) with the best mean valid NDCG@5 over its seeds; the
best baseline the one with the best valid NDCG@5, its statistics fitted on train only (valid is
what it is judged on). Only then is test looked at: the model's per-view test metrics averaged over
its seeds against the baseline's, resampled view by view (evaluation/bootstrap.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from seg_pipeline.evaluation.bootstrap import RESAMPLES, SEED, paired_bootstrap, per_view_metrics
from seg_pipeline.evaluation.metrics import target_ranks
from seg_pipeline.evaluation.report_doc import MODEL_METHOD, NO_MODALITY

SELECT_METRIC = "NDCG@5"
COMPARED_METRICS = ("HR@1", "NDCG@5")
PROTOCOL, SUBSET = "segments_end", "all"
COMPARISON_COLUMNS = (
    "metric", "model_method", "model_modality", "model_configuration", "model_seeds", "baseline",
    "selected_on", "model_valid", "baseline_valid", "model_test", "baseline_test", "difference",
    "low", "high", "n_views", "resamples", "bootstrap_seed", "protocol", "subset",
)


@dataclass
class Candidate:
    """One scored run of a method: its per-view ranks on valid and test (segments_end, 1-based)."""

    method: str
    modality: str
    seed: Optional[int]
    valid_ranks: Optional[np.ndarray]
    test_ranks: np.ndarray
    configuration: str = ""

    @property
    def is_model(self) -> bool:
        return self.method == MODEL_METHOD

    @property
    def group(self) -> tuple[str, str, str]:
        return (self.method, self.modality, self.configuration)


def ranks_of(scores: np.ndarray, views: pd.DataFrame, seed: int) -> np.ndarray:
    """Primary-protocol ranks with the report's tie-breaking draw (the same as skip_eval's)."""
    return target_ranks(np.nan_to_num(scores, nan=np.inf), views["n_segments"].to_numpy(),
                        views["target_slot"].to_numpy(), PROTOCOL, seed=seed)


def model_seed(row) -> int:
    """A trained_models row's seed: its `seed` column, else the seed in its config_json (else 0)."""
    seed = getattr(row, "seed", None)
    if seed is not None and not pd.isna(seed):
        return int(seed)
    try:
        return int(json.loads(getattr(row, "config_json", None) or "{}").get("seed", 0))
    except (TypeError, ValueError):
        return 0


def valid_table(candidates: Sequence[Candidate]) -> pd.DataFrame:
    """Mean (and std) of valid HR@1 / NDCG@5 over seeds per method group: what the choice reads."""
    rows = []
    for c in candidates:
        if c.valid_ranks is None or not len(c.valid_ranks):
            continue
        per_view = per_view_metrics(c.valid_ranks)
        rows.append({"method": c.method, "modality": c.modality, "configuration": c.configuration,
                     "seed": c.seed, **{m: float(per_view[m].mean()) for m in COMPARED_METRICS}})
    frame = pd.DataFrame(rows, columns=["method", "modality", "configuration", "seed", *COMPARED_METRICS])
    if frame.empty:
        return frame
    return (frame.groupby(["method", "modality", "configuration"], sort=False)
            .agg(**{f"valid {m}": (m, "mean") for m in COMPARED_METRICS}, seeds=("seed", "size"))
            .reset_index())


def compare_best(candidates: Sequence[Candidate], resamples: int = RESAMPLES,
                 bootstrap_seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(skip_prediction_comparison rows, the valid table the choice was made on). No rows when there
    is no model, no baseline or no valid views to choose on."""
    valid = valid_table(candidates)
    empty = pd.DataFrame(columns=list(COMPARISON_COLUMNS))
    if valid.empty:
        return empty, valid
    key = f"valid {SELECT_METRIC}"
    models = valid[valid["method"] == MODEL_METHOD]
    baselines = valid[valid["modality"] == NO_MODALITY]
    if models.empty or baselines.empty:
        return empty, valid
    best_m = models.loc[models[key].idxmax()]
    best_b = baselines.loc[baselines[key].idxmax()]
    model_runs = [c for c in candidates if c.group == (best_m["method"], best_m["modality"], best_m["configuration"])]
    base_run = next(c for c in candidates if c.group == (best_b["method"], best_b["modality"], best_b["configuration"]))
    base_views = per_view_metrics(base_run.test_ranks)
    rows = []
    for metric in COMPARED_METRICS:
        model_views = np.mean([per_view_metrics(c.test_ranks)[metric] for c in model_runs], axis=0)
        ci = paired_bootstrap(model_views, base_views[metric], resamples, bootstrap_seed)
        rows.append({
            "metric": metric, "model_method": MODEL_METHOD, "model_modality": best_m["modality"],
            "model_configuration": best_m["configuration"], "model_seeds": len(model_runs),
            "baseline": best_b["method"], "selected_on": f"valid {SELECT_METRIC}",
            "model_valid": float(best_m[f"valid {metric}"]), "baseline_valid": float(best_b[f"valid {metric}"]),
            "model_test": float(model_views.mean()), "baseline_test": float(base_views[metric].mean()),
            "difference": ci.mean, "low": ci.low, "high": ci.high, "n_views": ci.n_views,
            "resamples": ci.resamples, "bootstrap_seed": int(bootstrap_seed), "protocol": PROTOCOL, "subset": SUBSET,
        })
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS)), valid
