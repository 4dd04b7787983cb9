"""Backbones by name, so configuration picks which ones the comparison runs.

Adding a backbone: a class here (forward(batch) -> one logit per segment slot) and its knobs as a
dataclass in segrec/config.py BACKBONE_PARAMS (the names the run config accepts).
"""
from __future__ import annotations

from seg_pipeline.segrec.backbones.base import Backbone, BackboneSpec
from seg_pipeline.segrec.backbones.din import DIN
from seg_pipeline.segrec.backbones.widedeep import WideDeep
from seg_pipeline.segrec.config import backbone_params

BACKBONES: dict[str, type[Backbone]] = {cls.name: cls for cls in (WideDeep, DIN)}


def make_backbone(name: str, spec: BackboneSpec, params=None) -> Backbone:
    """Backbone `name` built from the shared sizes and its own knobs (None = its defaults)."""
    if name not in BACKBONES:
        raise KeyError(f"unknown backbone '{name}', expected one of {sorted(BACKBONES)}")
    return BACKBONES[name](spec, params if params is not None else backbone_params(name))
