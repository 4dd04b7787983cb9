"""Train / valid / test splits: the default temporal rule and the published protocol (SPEC 1).

The rules themselves are written out in sql/splits.sql; this module checks the settings and
records them next to the table (split_settings, in the same transaction) so checks and readers
know how it was made.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

import duckdb

from seg_pipeline.contract import SPLITS
from seg_pipeline.errors import ConfigError
from seg_pipeline.warehouse.db import run_sql, transaction

PROTOCOLS = ("temporal", "published")
# Nominal (train, valid) fractions; test gets the rest.
DEFAULT_FRACTIONS = {"temporal": (0.8, 0.1), "published": (0.81, 0.09)}

FIELD = "ops.splits.config"


@dataclass(frozen=True)
class SplitSettings:
    protocol: str = "temporal"
    keep_full_watches: bool = True
    train_fraction: Optional[float] = None  # None: the protocol's default
    valid_fraction: Optional[float] = None
    seed: int = 2024
    min_user_views: int = 100
    history_only_views: int = 80
    tolerance: float = 0.05

    def resolved(self) -> "SplitSettings":
        """Fill the protocol's default fractions and reject impossible settings."""
        if self.protocol not in PROTOCOLS:
            raise ConfigError(f"{FIELD}.protocol", f"unknown protocol '{self.protocol}'", f"use one of {PROTOCOLS}")
        train_default, valid_default = DEFAULT_FRACTIONS[self.protocol]
        train = train_default if self.train_fraction is None else float(self.train_fraction)
        valid = valid_default if self.valid_fraction is None else float(self.valid_fraction)
        if not (0 < train < 1):
            raise ConfigError(f"{FIELD}.train_fraction", f"must be in (0, 1), got {train}", "e.g. 0.8")
        if not (0 <= valid < 1) or train + valid > 1:
            raise ConfigError(
                f"{FIELD}.valid_fraction",
                f"train_fraction + valid_fraction must be at most 1, got {train} + {valid}",
                "lower one of them (test gets 1 - train - valid)",
            )
        if self.min_user_views < 1 or self.history_only_views < 0:
            raise ConfigError(
                f"{FIELD}.min_user_views",
                "min_user_views must be >= 1 and history_only_views >= 0",
                "use the published 100 and 80",
            )
        if not (0 <= self.tolerance <= 1):
            raise ConfigError(f"{FIELD}.tolerance", f"must be in [0, 1], got {self.tolerance}", "e.g. 0.05")
        return SplitSettings(**{**asdict(self), "train_fraction": train, "valid_fraction": valid})

    def params(self) -> dict:
        return asdict(self.resolved())


def _targets(params: dict) -> tuple[float, float, float]:
    train, valid = params["train_fraction"], params["valid_fraction"]
    return train, valid, round(1 - train - valid, 9)


def build_splits(con: duckdb.DuckDBPyConnection, settings: SplitSettings) -> dict:
    """(Re)build splits and split_settings from skip_labels; returns counts and shares per split."""
    params = settings.params()
    with transaction(con):
        run_sql(con, "split_settings", params)
        run_sql(con, "splits", {k: v for k, v in params.items() if k != "tolerance"})
    rows = con.execute(
        "SELECT split, count(*), count(*) FILTER (WHERE cold_video) FROM splits GROUP BY split"
    ).fetchall()
    counts = {split: n for split, n, _ in rows}
    cold = {split: c for split, _, c in rows}
    total = sum(counts.values())
    evaluated = counts.get("valid", 0) + counts.get("test", 0)
    return {
        "protocol": params["protocol"],
        "keep_full_watches": params["keep_full_watches"],
        "examples": total,
        **{f"{s}_views": counts.get(s, 0) for s in SPLITS},
        # <split>_share is what the split got; <split>_fraction_target what the settings asked for.
        **{f"{s}_share": (counts.get(s, 0) / total if total else 0.0) for s in SPLITS},
        **{f"{s}_fraction_target": target for s, target in zip(SPLITS, _targets(params))},
        "cold_share": (sum(cold.values()) / evaluated) if evaluated else 0.0,
        "test_cold_share": (cold.get("test", 0) / counts["test"]) if counts.get("test") else 0.0,
        "settings": params,
    }
