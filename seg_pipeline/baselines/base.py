"""The small contract every skip-prediction baseline follows (RecBole-like).

fit() takes statistics of the fit splits (train + valid, never test), score() turns views into an
interest matrix shaped like the model's, so baselines and model go through the same metric code.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
import pandas as pd

# Columns score() reads from the views frame.
VIEW_COLUMNS = ("view_id", "user_id", "video_id", "n_segments")


class SkipBaseline(ABC):
    """fit(position priors) -> self; score(views) -> float32 (n_views, N_SLOTS), lower = leave here."""

    name: ClassVar[str]

    @abstractmethod
    def fit(self, priors: pd.DataFrame) -> "SkipBaseline":
        """Learn from the `position_priors` table (prior, group_key, slot, skips, views)."""

    @abstractmethod
    def score(self, views: pd.DataFrame) -> np.ndarray:
        """Interest per slot for each view (columns VIEW_COLUMNS); deterministic."""


def check_views(views: pd.DataFrame) -> None:
    missing = [c for c in VIEW_COLUMNS if c not in views.columns]
    if missing:
        raise ValueError(f"views frame lacks columns {missing}; needs {list(VIEW_COLUMNS)}")
