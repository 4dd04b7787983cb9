"""Paired bootstrap interval of a difference between two methods on the same views (SPEC 4 "Noise").

Both methods are scored on the same test views, so the per-view differences d_v = a_v - b_v carry
the pairing; resampling views with replacement and averaging d gives the sampling distribution of
the mean difference. A claim "a beats b" needs the interval's lower bound above 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RESAMPLES = 1000
SEED = 0


@dataclass(frozen=True)
class PairedInterval:
    mean: float  # mean(a - b) over the views
    low: float  # 2.5 % quantile of the resampled means
    high: float  # 97.5 % quantile
    n_views: int
    resamples: int

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0.0 or self.high < 0.0


def paired_bootstrap(a: np.ndarray, b: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED,
                     level: float = 0.95) -> PairedInterval:
    """Percentile interval of mean(a - b) from `resamples` resamples of the views (fixed seed).

    `a` and `b` are per-view metric values (e.g. HR@1 in {0, 1}, NDCG@5) aligned view by view.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"a and b must be 1-d and aligned, got {a.shape} and {b.shape}")
    if a.size == 0:
        raise ValueError("no views to bootstrap")
    diff = a - b
    rng = np.random.default_rng(seed)
    index = rng.integers(0, diff.size, size=(resamples, diff.size))
    means = diff[index].mean(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return PairedInterval(mean=float(diff.mean()), low=float(low), high=float(high),
                          n_views=int(diff.size), resamples=int(resamples))


def per_view_metrics(ranks: np.ndarray) -> dict[str, np.ndarray]:
    """Per-view HR@1 and NDCG@5 from 1-based target ranks (metrics.target_ranks), the values the
    bootstrap pairs; their means equal metrics.metrics_from_ranks."""
    ranks = np.asarray(ranks, dtype=np.float64)
    return {"HR@1": (ranks <= 1).astype(np.float64),
            "NDCG@5": np.where(ranks <= 5, 1.0 / np.log2(ranks + 1.0), 0.0)}
