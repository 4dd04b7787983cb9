"""Names a SegRec run config accepts, as Dagster enums: an unknown backbone, variant or modality is
rejected when the run is launched (not at its step), and the Launchpad lists the choices."""
from __future__ import annotations

from enum import Enum
from typing import Iterable

from seg_pipeline.contract import MODALITIES
from seg_pipeline.segrec.config import BACKBONE_PARAMS
from seg_pipeline.segrec.labels import LABEL_RULES
from seg_pipeline.segrec.variants import variant_names

GROUP = "segrec"  # the UI group of every SegRec asset


def choice_enum(name: str, values: Iterable[str]) -> type[Enum]:
    """A str enum whose members are the allowed values (Dagster turns it into a config enum)."""
    return Enum(name, {v: v for v in values}, type=str)


def plain(value):
    """Enum members (what Dagster passes) and strings (defaults) alike as plain strings."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return str(getattr(value, "value", value))


BackboneName = choice_enum("SegrecBackbone", BACKBONE_PARAMS)
VariantName = choice_enum("SegrecVariant", variant_names())
ModalityName = choice_enum("SegrecModality", MODALITIES)
LabelRule = choice_enum("EffectiveViewLabelRule", LABEL_RULES)
