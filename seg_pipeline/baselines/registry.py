"""Baselines by name, so configuration picks which ones run."""
from __future__ import annotations

from seg_pipeline.baselines.base import SkipBaseline
from seg_pipeline.baselines.position import AllPosition, DurationPosition, ItemPosition, UserPosition
from seg_pipeline.baselines.random_scores import RandomBaseline

BASELINES: dict[str, type[SkipBaseline]] = {
    cls.name: cls for cls in (RandomBaseline, AllPosition, UserPosition, ItemPosition, DurationPosition)
}


def make_baseline(name: str, seed: int = 0) -> SkipBaseline:
    if name not in BASELINES:
        raise KeyError(f"unknown baseline '{name}', expected one of {sorted(BASELINES)}")
    return BASELINES[name](seed=seed)
