"""SegRec knobs, kept free of torch so the Dagster run config can read its defaults and names here.

Each backbone declares its own knobs as a small dataclass beside the shared TrainConfig
(BACKBONE_PARAMS, the registry of backbone names the launch-time choices come from); a run
overrides them with `backbone_params: {DIN: {attention_hidden: 64}}`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

from seg_pipeline.errors import ConfigError


@dataclass(frozen=True)
class WideDeepParams:
    """cross_buckets: hash buckets of the wide part's user x position cross."""

    cross_buckets: int = 1 << 17


@dataclass(frozen=True)
class DINParams:
    """attention_hidden: width of DIN's activation unit (history video vs target video)."""

    attention_hidden: int = 32


# Backbone name -> its knobs; every knob is a positive size. The torch classes are in backbones/.
BACKBONE_PARAMS: dict[str, type] = {"WideDeep": WideDeepParams, "DIN": DINParams}


def backbone_params(name: str, overrides: Mapping[str, Any] | None = None):
    """The knobs of backbone `name`: its defaults with `overrides` applied, checked."""
    if name not in BACKBONE_PARAMS:
        raise ConfigError("backbone_params", f"unknown backbone '{name}'", f"use some of {sorted(BACKBONE_PARAMS)}")
    kind = BACKBONE_PARAMS[name]
    known = [f.name for f in fields(kind)]
    overrides = dict(overrides or {})
    for knob, value in overrides.items():
        if knob not in known:
            raise ConfigError(f"backbone_params.{name}", f"unknown knob '{knob}'",
                              f"{name} takes {known or 'no knobs'}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"backbone_params.{name}.{knob}", f"{value!r} is not a positive integer",
                              f"use e.g. {getattr(kind(), knob)}")
    return replace(kind(), **overrides)


@dataclass(frozen=True)
class TrainConfig:
    """Backbone width and optimiser knobs shared by every run of one comparison, plus each
    backbone's own knobs (backbone_params: name -> {knob: value}, defaults in BACKBONE_PARAMS)."""

    dim: int = 16
    hidden: tuple[int, ...] = (64, 32)
    dropout: float = 0.0
    lr: float = 1e-2
    weight_decay: float = 1e-6
    batch_size: int = 1024
    max_epochs: int = 10
    patience: int = 3
    temperature: float = 1.0
    use_visual: bool = True
    backbone_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def params_for(self, backbone: str):
        return backbone_params(backbone, self.backbone_params.get(backbone))

    def validate(self) -> "TrainConfig":
        checks = [
            (self.dim >= 1, "dim", "use e.g. 16"),
            (all(h >= 1 for h in self.hidden), "hidden", "use positive layer widths, e.g. [64, 32]"),
            (0 <= self.dropout < 1, "dropout", "use a value in [0, 1)"),
            (self.lr > 0, "lr", "use e.g. 0.003"),
            (self.weight_decay >= 0, "weight_decay", "use 0 or more"),
            (self.batch_size >= 1, "batch_size", "use e.g. 512"),
            (self.max_epochs >= 1, "max_epochs", "use at least 1"),
            (self.patience >= 1, "patience", "use at least 1"),
            (self.temperature > 0, "temperature", "use 1.0 (softmax of the raw scores, as the paper)"),
        ]
        for ok, name, fix in checks:
            if not ok:
                raise ConfigError(name, f"invalid value {getattr(self, name)!r}", fix)
        for name in self.backbone_params:
            self.params_for(name)
        return self


@dataclass(frozen=True)
class ReportRequest:
    """What one segrec_report run compares: backbones x variants x seeds first_seed.. with `train`.

    variants: names (see variants.variant_names); empty = every variant the stored scores allow.
    """

    backbones: tuple[str, ...] = tuple(BACKBONE_PARAMS)
    variants: tuple[str, ...] = ()
    seeds: int = 3
    first_seed: int = 0
    train: TrainConfig = field(default_factory=TrainConfig)

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.seeds))

    def validate(self) -> "ReportRequest":
        self.train.validate()
        if self.seeds < 1:
            raise ConfigError("seeds", f"{self.seeds}", "use at least 1 (3 for a spread)")
        unknown = [b for b in self.backbones if b not in BACKBONE_PARAMS]
        if not self.backbones or unknown:
            raise ConfigError("backbones", f"{list(self.backbones)} is empty or names an unknown backbone",
                              f"use some of {sorted(BACKBONE_PARAMS)}")
        return self
