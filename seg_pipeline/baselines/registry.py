"""Baselines by name, so configuration picks which ones run; a new baseline is one class here.
The report runs DEFAULT_BASELINES unless its config names others."""
from __future__ import annotations

from seg_pipeline.baselines.base import SkipBaseline
from seg_pipeline.baselines.gbdt_hazard import GBDTHazard
from seg_pipeline.baselines.neural import DIN, WideDeep
from seg_pipeline.baselines.position import AllPosition, DurationPosition, ItemPosition, UserPosition
from seg_pipeline.baselines.random_scores import RandomBaseline
from seg_pipeline.errors import ConfigError

BASELINES: dict[str, type[SkipBaseline]] = {
    cls.name: cls for cls in (RandomBaseline, AllPosition, UserPosition, ItemPosition, DurationPosition,
                                GBDTHazard, WideDeep, DIN)
}
# DIN is opt-in: it is the costliest baseline (~50 s on the demo world with 2 threads, 6x WideDeep) and
# never the best on valid (README), and with it the default job no longer fits 8 minutes.
# configs/segmm_sample.yaml and benchmarks/bench_accuracy.py run it.
OPT_IN = ("DIN",)
DEFAULT_BASELINES = tuple(name for name in BASELINES if name not in OPT_IN)


def check_baselines(names: list[str], field: str = "baselines") -> None:
    """ConfigError naming the choices when a name is not a registered baseline."""
    unknown = [name for name in names if name not in BASELINES]
    if unknown:
        raise ConfigError(field, f"unknown baseline(s) {unknown}", f"choose from {sorted(BASELINES)}")


def make_baseline(name: str, seed: int = 0) -> SkipBaseline:
    check_baselines([name], "baseline")
    return BASELINES[name](seed=seed)
