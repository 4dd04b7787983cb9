"""Position priors: rank a view's slots by how often fit-split views left there (SPEC 4).

AllPosition uses the global per-slot leave frequency; UserPosition, ItemPosition and
DurationPosition use the frequency within the view's user, video, or segment count N, and back
off to the global frequency: for a group never seen in the fit splits, and to order slots the
group ties on (most slots of a sparse group have zero leaves). Interest = -frequency; the leave
distribution is that frequency renormalised over the view's slots 0..N (not a softmax of it).

A slot is a slot index, as the published code counts it: slot 3 pools "left in segment 3" of
long videos with "watched a 3-segment video to the end". DurationPosition separates the two, since
all views of a group share N; that is much of why it is the strongest prior on SegMM.
"""
from __future__ import annotations

from typing import ClassVar, Optional

import numpy as np
import pandas as pd

from seg_pipeline.baselines.base import FitData, SkipBaseline, check_views
from seg_pipeline.contract import N_SLOTS


def _global_frequency(priors: pd.DataFrame) -> np.ndarray:
    rows = priors[priors["prior"] == "all"]
    freq = np.zeros(N_SLOTS, dtype=np.float64)
    total = rows["skips"].sum()
    if total > 0:
        np.add.at(freq, rows["slot"].to_numpy(dtype=np.int64), rows["skips"].to_numpy(dtype=np.float64))
        freq /= total
    return freq


class PositionPrior(SkipBaseline):
    """Per-slot leave frequency within a group (`group_column`), backing off to the global one."""

    name: ClassVar[str] = "AllPosition"
    group_column: ClassVar[Optional[str]] = None

    def fit(self, data: FitData) -> "PositionPrior":
        priors = data.priors
        if (priors["slot"] < 0).any() or (priors["slot"] >= N_SLOTS).any():
            raise ValueError(f"position_priors slots must lie in 0..{N_SLOTS - 1}")
        self.global_frequency = _global_frequency(priors)
        self.groups = pd.Index([], dtype=object)
        self.group_counts = np.zeros((0, N_SLOTS))
        self.group_views = np.zeros(0)
        if self.group_column is not None:
            rows = priors[priors["prior"] == self.group_column]
            self.groups = pd.Index(sorted(rows["group_key"].unique()), dtype=object)
            index = self.groups.get_indexer(rows["group_key"])
            counts = np.zeros((len(self.groups), N_SLOTS))
            np.add.at(counts, (index, rows["slot"].to_numpy(dtype=np.int64)), rows["skips"].to_numpy(dtype=np.float64))
            self.group_counts = counts
            self.group_views = counts.sum(axis=1)
        return self

    def score(self, views: pd.DataFrame) -> np.ndarray:
        check_views(views)
        interest = np.tile(-self.global_frequency, (len(views), 1))
        if self.group_column is not None and len(views):
            keys = views[self.group_column].astype(str) if self.group_column != "n_segments" \
                else views[self.group_column].astype(np.int64).astype(str)
            index = self.groups.get_indexer(keys)
            seen = index >= 0
            counts = self.group_counts[index[seen]]
            n = self.group_views[index[seen]][:, None]
            # Group frequencies differ by multiples of 1/n; the global term stays below 1/(2n), so
            # it only orders slots the group ties on (lexicographic back-off, no tuning knob).
            interest[seen] = -(counts / n + self.global_frequency[None, :] / (2.0 * n))
        return interest.astype(np.float32)

    def leave_distribution(self, views: pd.DataFrame) -> np.ndarray:
        """The frequencies behind the scores (with the back-off term) renormalised over slots
        0..N; uniform over them where the frequencies are all 0 (no fit view left at any of them)."""
        n_segments = views["n_segments"].to_numpy(dtype=np.int64)
        candidate = np.arange(N_SLOTS)[None, :] <= n_segments[:, None]
        freq = np.where(candidate, np.maximum(-self.score(views).astype(np.float64), 0.0), 0.0)
        total = freq.sum(axis=1, keepdims=True)
        uniform = candidate / candidate.sum(axis=1, keepdims=True)
        return np.where(total > 0, freq / np.where(total > 0, total, 1.0), uniform)


class AllPosition(PositionPrior):
    name = "AllPosition"
    group_column = None


class UserPosition(PositionPrior):
    name = "UserPosition"
    group_column = "user_id"


class ItemPosition(PositionPrior):
    name = "ItemPosition"
    group_column = "video_id"


class DurationPosition(PositionPrior):
    name = "DurationPosition"
    group_column = "n_segments"
