"""GBDTHazard: a LightGBM discrete-time hazard model over (view, slot) rows (issue 10, SPEC 4).

Each train view contributes one row per slot it reached, 0..target (a full watch: 0..N-1, all
"continued"); the label is 1 at the slot where the user left. The hazard h_i = P(leave at i |
reached i) gives P(leave at i) = h_i prod_{j<i} (1 - h_j) and the end slot prod_{j<N} (1 - h_j);
scores = -log P (lower = likelier leave, the project's score contract). Fitted on the train rows of
FitData.features with early stopping on its valid rows; test is never touched. Features:
view_features.FEATURES, read from the views frame (view_features.FEATURE_COLUMNS).
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from seg_pipeline.baselines.base import FitData, SkipBaseline, check_views
from seg_pipeline.baselines.view_features import FEATURES, slot_rows
from seg_pipeline.contract import N_SLOTS

PAD_SCORE = 1.0e4  # padding slots (after the end slot): never a leave
PARAMS = dict(objective="binary", learning_rate=0.05, num_leaves=31, min_data_in_leaf=50,
              feature_fraction=0.9, bagging_fraction=0.9, bagging_freq=1, lambda_l2=1.0,
              verbose=-1, num_threads=1, deterministic=True, force_row_wise=True)
ROUNDS, PATIENCE = 1000, 50


def log_leave_from_hazard(hazard: np.ndarray, n_segments: np.ndarray) -> np.ndarray:
    """log P(leave at slot) (n, N_SLOTS) from per-slot hazards (n, N_SLOTS) (slots >= N ignored);
    -inf on padding slots > N."""
    n_segments = np.asarray(n_segments, dtype=np.int64)
    slots = np.arange(N_SLOTS)[None, :]
    segment = slots < n_segments[:, None]
    h = np.clip(hazard, 1e-7, 1 - 1e-7)
    log_cont = np.where(segment, np.log1p(-h), 0.0)
    survived = np.cumsum(log_cont, axis=1) - log_cont
    log_leave = np.where(segment, np.log(h) + survived, survived)
    return np.where(slots <= n_segments[:, None], log_leave, -np.inf)


class GBDTHazard(SkipBaseline):
    """Deterministic given its seed (LightGBM's bagging and feature sampling, one thread)."""

    name: ClassVar[str] = "GBDTHazard"
    seeded: ClassVar[bool] = True
    needs_features: ClassVar[bool] = True
    refit_to_select: ClassVar[bool] = False  # train rows + valid for early stopping, whatever fit_splits

    def __init__(self, seed: int = 0, rounds: int = ROUNDS, patience: int = PATIENCE):
        super().__init__(seed)
        self.rounds, self.patience = int(rounds), int(patience)
        self.params = {**PARAMS, "seed": self.seed}

    @staticmethod
    def _rows(views: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        target = views["target_slot"].to_numpy(dtype=np.int64)
        n_seg = views["n_segments"].to_numpy(dtype=np.int64)
        row, slot, x = slot_rows(views, np.minimum(target, n_seg - 1))
        return x, (slot == target[row]).astype(np.float32)

    def fit(self, data: FitData) -> "GBDTHazard":
        import lightgbm as lgb

        feats = data.features
        if feats.empty or "split" not in feats.columns:
            raise ValueError("GBDTHazard needs FitData.features (baselines.priors.load_fit_data(features=True))")
        train, valid = feats[feats["split"] == "train"], feats[feats["split"] == "valid"]
        if train.empty:
            raise ValueError("GBDTHazard has no train views to fit on")
        x_tr, y_tr = self._rows(train)
        dtrain = lgb.Dataset(x_tr, y_tr, feature_name=list(FEATURES), free_raw_data=True)
        sets, callbacks = [], []
        if not valid.empty:
            x_va, y_va = self._rows(valid)
            sets = [lgb.Dataset(x_va, y_va, reference=dtrain)]
            callbacks = [lgb.early_stopping(self.patience, verbose=False)]
        self.booster = lgb.train(self.params, dtrain, self.rounds, valid_sets=sets, callbacks=callbacks)
        self.best_iteration = int(self.booster.best_iteration or self.rounds)
        return self

    def hazard(self, views: pd.DataFrame) -> np.ndarray:
        """(n, N_SLOTS) hazards for slots 0..N-1 (0 elsewhere)."""
        check_views(views)
        row, slot, x = slot_rows(views, views["n_segments"].to_numpy(dtype=np.int64) - 1)
        out = np.zeros((len(views), N_SLOTS))
        if len(x):
            out[row, slot] = self.booster.predict(x, num_iteration=self.best_iteration)
        return out

    def leave_distribution(self, views: pd.DataFrame) -> np.ndarray:
        """P(leave at slot) over slots 0..N from the hazards (rows sum to 1; 0 on padding)."""
        return np.exp(log_leave_from_hazard(self.hazard(views), views["n_segments"]))

    def score(self, views: pd.DataFrame) -> np.ndarray:
        log_p = log_leave_from_hazard(self.hazard(views), views["n_segments"])
        return np.where(np.isfinite(log_p), -log_p, PAD_SCORE).astype(np.float32)

    def importance(self) -> pd.Series:
        """Gain per feature, largest first (for the report)."""
        gain = self.booster.feature_importance("gain", iteration=self.best_iteration)
        return pd.Series(gain, index=list(FEATURES)).sort_values(ascending=False)
