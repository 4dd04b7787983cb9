"""Random: uniform interest per slot, seeded per view, the floor every method must clear."""
from __future__ import annotations

import numpy as np
import pandas as pd

from seg_pipeline.baselines.base import FitData, SkipBaseline, check_views
from seg_pipeline.contract import N_SLOTS


class RandomBaseline(SkipBaseline):
    """Each view's scores come from its own stream (seed, view_id), so a view scores the same
    whichever other views are evaluated with it."""

    name = "Random"
    seeded = True
    refit_to_select = False

    def fit(self, data: FitData) -> "RandomBaseline":
        return self

    def score(self, views: pd.DataFrame) -> np.ndarray:
        check_views(views)
        out = np.empty((len(views), N_SLOTS), dtype=np.float32)
        for row, view_id in enumerate(views["view_id"].to_numpy(dtype=np.int64)):
            out[row] = np.random.default_rng([self.seed, int(view_id)]).random(N_SLOTS)
        return out
