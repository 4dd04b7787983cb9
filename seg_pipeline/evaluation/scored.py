"""One method's scores as the report carries them (ScoredMethod), and their long-format metric rows."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from seg_pipeline.evaluation.report_doc import method_label
from seg_pipeline.evaluation.skip_eval import evaluate_method

METRIC_COLUMNS = ["method", "modality", "protocol", "subset", "metric", "value", "n_views", "seed"]


@dataclass
class ScoredMethod:
    """One method's scores over the evaluated views (rows aligned with the views frame): `scores`
    rank the skip slots; `interest` is the per-segment interest when it differs (survival-loss
    models), else None and the scores serve as interest too; `leave_probs` the method's own
    P(leave at slot) (baselines), else None: softmax of the negated scores. `seed`: the run's seed
    (None for deterministic methods); `valid_scores`: the same method on the valid views, for
    choosing the best model and baseline (see evaluation/comparison.py)."""

    method: str
    modality: str
    scores: np.ndarray
    interest: Optional[np.ndarray] = None
    leave_probs: Optional[np.ndarray] = None
    seed: Optional[int] = None
    valid_scores: Optional[np.ndarray] = None
    configuration: str = ""

    @property
    def label(self) -> str:
        return method_label(self.method, self.modality)


def evaluate_all(views: pd.DataFrame, scored: Sequence[ScoredMethod], seed: int = 0,
                 latent: Optional[np.ndarray] = None) -> pd.DataFrame:
    """Long-format metric rows for every method (the skip_prediction_metrics schema); `seed` is the
    tie-breaking draw, the rows' seed column each method's own seed."""
    rows: list[dict] = []
    for item in scored:
        rows += [dict(row, seed=item.seed) for row in evaluate_method(
            item.method, item.modality, item.scores, views, seed=seed, latent=latent, interest=item.interest,
            leave_probs=item.leave_probs)]
    frame = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    frame["seed"] = frame["seed"].astype("Int64")
    return frame


def mean_over_seeds(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per (method, modality, protocol, subset, metric): the mean over seeds (the tables)."""
    keys = ["method", "modality", "protocol", "subset", "metric"]
    return metrics.groupby(keys, sort=False, as_index=False).agg(value=("value", "mean"), n_views=("n_views", "max"))


def one_per_label(scored: Sequence[ScoredMethod]) -> list[ScoredMethod]:
    """The first run (lowest seed first, as scored) of each method label: heatmaps and per-kind hit rates."""
    seen, out = set(), []
    for item in scored:
        if item.label not in seen:
            seen.add(item.label)
            out.append(item)
    return out
