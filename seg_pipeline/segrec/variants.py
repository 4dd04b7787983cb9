"""How segment scores become one video prediction: the variants SegRec is compared with.

Every variant computes y = sum_i w_i z_i over the real segments (z_i: the backbone's logit for
segment i) and trains with BCE on sigmoid(y); only the weights w differ:

* Video: no segments; the backbone scores the video once (w = 1 on one pseudo-segment).
* SegSum: w_i = 1/N, the plain mean (a sum would scale the logit with the video length).
* SegAdjust: w = softmax(a[position]) with a learned per position, shared by all users.
* ItemPosition: w = the ItemPosition skip prior's leave frequencies over the real segments,
  normalised (SPEC 4); stored as their logarithms (segrec/interest.py) so the softmax returns them.
* SegRec_<modality>: w = softmax(p), p = the frozen segment-interest model's scores.

This module only names and chooses them (no torch, so the run config can list the names);
segrec/model.py turns a Variant into weights.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

from seg_pipeline.contract import MODALITIES
from seg_pipeline.errors import ConfigError

WEIGHTINGS = ("video", "uniform", "learned", "scores")


@dataclass(frozen=True)
class Variant:
    """name: the report's label; weights: one of WEIGHTINGS;
    interest: which frozen score matrix the 'scores' weights read ('ItemPosition', 'id', ...)."""

    name: str
    weights: str
    interest: Optional[str] = None


def segrec_variant(modality: str) -> Variant:
    return Variant(f"SegRec_{modality}", "scores", modality)


BASE_VARIANTS = (
    Variant("Video", "video"),
    Variant("SegSum", "uniform"),
    Variant("SegAdjust", "learned"),
    Variant("ItemPosition", "scores", "ItemPosition"),
)


def variant_names() -> tuple[str, ...]:
    """Every variant a run may ask for (SegRec_<m> needs scores of modality m)."""
    return tuple(v.name for v in BASE_VARIANTS) + tuple(segrec_variant(m).name for m in MODALITIES)


def choose_variants(requested: Sequence[str], sources: Sequence[str]) -> list[Variant]:
    """The requested variants ([] = every one the stored interest `sources` allow), in report order."""
    available = [v for v in BASE_VARIANTS if v.interest is None or v.interest in sources]
    available += [segrec_variant(m) for m in MODALITIES if m in sources]
    if not requested:
        return available
    by_name = {v.name: v for v in available}
    unknown = [name for name in requested if name not in by_name]
    if unknown:
        raise ConfigError("variants", f"{unknown} are not available (scores stored for {list(sources)})",
                          f"choose from {sorted(by_name)}")
    return [by_name[name] for name in requested]
