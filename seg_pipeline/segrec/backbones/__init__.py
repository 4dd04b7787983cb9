"""Backbones by name, so configuration picks which ones the comparison runs."""
from __future__ import annotations

from seg_pipeline.segrec.backbones.base import Backbone, BackboneSpec
from seg_pipeline.segrec.backbones.din import DIN
from seg_pipeline.segrec.backbones.widedeep import WideDeep

BACKBONES: dict[str, type[Backbone]] = {cls.name: cls for cls in (WideDeep, DIN)}


def make_backbone(name: str, spec: BackboneSpec) -> Backbone:
    if name not in BACKBONES:
        raise KeyError(f"unknown backbone '{name}', expected one of {sorted(BACKBONES)}")
    return BACKBONES[name](spec)
