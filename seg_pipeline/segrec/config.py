"""SegRec training knobs, kept free of torch so the Dagster run config can read its defaults here."""
from __future__ import annotations

from dataclasses import dataclass

from seg_pipeline.errors import ConfigError


@dataclass(frozen=True)
class TrainConfig:
    """Backbone width and optimiser knobs shared by every run of one comparison."""

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
        return self
