"""Which network a ModelConfig builds: the one place that maps `config.architecture` to a class,
so training, checkpoints and scoring never name a network themselves."""
from __future__ import annotations

from seg_pipeline.model.config import ARCHITECTURES, ModelConfig
from seg_pipeline.model.hybrid import HybridSkip
from seg_pipeline.model.network import SegmentInterestModel, SkipScorer
from seg_pipeline.model.per_segment import DINSkip, WideDeepSkip

NETWORKS: dict[str, type[SkipScorer]] = {
    "segment_interest": SegmentInterestModel,
    "widedeep": WideDeepSkip,
    "din": DINSkip,
    "hybrid": HybridSkip,
}
assert tuple(NETWORKS) == ARCHITECTURES, "model/config.py ARCHITECTURES and NETWORKS must list the same names"


def build_network(config: ModelConfig, n_users: int, n_videos: int, vector_dim: int = 0) -> SkipScorer:
    """The untrained network of `config` (validated first)."""
    return NETWORKS[config.validate().architecture](config, n_users, n_videos, vector_dim)
