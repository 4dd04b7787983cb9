"""The small contract every skip-prediction baseline follows (RecBole-like).

fit() receives what the fit splits (train + valid, never test) offer: the position priors and the
labelled fit views themselves, so a learned baseline can train on views while a position prior
reads its counts. score() turns views into an interest matrix shaped like the model's, so
baselines and model go through the same metric code; leave_distribution() gives the probabilities
watch-time MAE and the heatmaps use (a prior's own frequencies, a hazard model's P(leave at i)),
which a softmax of the scores would not (softmax(-frequency) is nearly uniform).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Optional

import numpy as np
import pandas as pd

# Columns score() reads from the views frame.
VIEW_COLUMNS = ("view_id", "user_id", "video_id", "n_segments")
# Columns of FitData.views (sql/labelled_views.sql), one row per labelled fit view.
FIT_VIEW_COLUMNS = ("view_id", "user_id", "video_id", "time_ms", "duration_ms", "playing_time_ms",
                    "n_segments", "skip_segment", "target_slot", "full_watch", "split", "cold_video")
PRIOR_COLUMNS = ("prior", "group_key", "slot", "skips", "views")


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(columns))


@dataclass(frozen=True)
class FitData:
    """What a baseline may learn from, all of it from the fit splits.

    priors: the `position_priors` rows (PRIOR_COLUMNS): per-slot leave counts per group.
    views: the labelled fit views (FIT_VIEW_COLUMNS, view_id order): where each view left
    (target_slot), when (time_ms), and its split, for baselines that learn from views.
    features: every labelled view of every split with the tabular features of
    baselines/view_features.py (train rows leave-one-out / out-of-fold, valid rows from train, test
    rows from the fit splits); empty unless a baseline `needs_features`.
    warehouse, device: for baselines that train on the model's own inputs (baselines/neural.py):
    the warehouse they read them from and the torch device they train on.
    """

    priors: pd.DataFrame = field(default_factory=lambda: _empty(PRIOR_COLUMNS))
    views: pd.DataFrame = field(default_factory=lambda: _empty(FIT_VIEW_COLUMNS))
    features: pd.DataFrame = field(default_factory=pd.DataFrame)
    warehouse: Optional[Path] = None
    device: str = "cpu"


class SkipBaseline(ABC):
    """fit(FitData) -> self; score(views) -> float32 (n_views, N_SLOTS), lower = leave here."""

    name: ClassVar[str]
    seeded: ClassVar[bool] = False  # scores depend on the seed (reported with it; else seed NULL)
    needs_features: ClassVar[bool] = False  # fit reads FitData.features, score the feature columns
    # Choosing on valid needs a refit on train-only statistics (False: the fit never reads valid labels
    # as statistics, e.g. only for early stopping, so one fit serves valid and test).
    refit_to_select: ClassVar[bool] = True

    def __init__(self, seed: int = 0):
        self.seed = int(seed)  # one constructor for every baseline; deterministic ones ignore it

    @abstractmethod
    def fit(self, data: FitData) -> "SkipBaseline":
        """Learn from the fit splits only."""

    @abstractmethod
    def score(self, views: pd.DataFrame) -> np.ndarray:
        """Interest per slot for each view (columns VIEW_COLUMNS); deterministic."""

    def interest(self, views: pd.DataFrame) -> Optional[np.ndarray]:
        """A per-segment interest that differs from the scores (a network's p, as a model's
        ScoredViews.interest), or None: then the scores serve as interest too."""
        return None

    def describe(self) -> Optional[str]:
        """One line for the report about the fit (a network's modality and best epoch), or None."""
        return None

    def leave_distribution(self, views: pd.DataFrame) -> np.ndarray:
        """float64 (n_views, N_SLOTS) P(leave at slot) over slots 0..N (rows sum to 1, 0 on padding).
        Default: softmax of the negated scores, the model's rule; baselines with probabilities of
        their own override it."""
        from seg_pipeline.evaluation.metrics import leave_distribution

        return leave_distribution(self.score(views), views["n_segments"].to_numpy())


def check_views(views: pd.DataFrame) -> None:
    missing = [c for c in VIEW_COLUMNS if c not in views.columns]
    if missing:
        raise ValueError(f"views frame lacks columns {missing}; needs {list(VIEW_COLUMNS)}")
