"""The batch scaffold every downstream use shares: which pairs, scoring them once, the tables.

A batch is the first `max_pairs` views of a split (by view_id). Each pair is scored as the logged
view it is, with its own `user_histories` row, i.e. exactly the inputs the model was evaluated
with. A downstream use adds one function that turns a `BatchScores` into its rows
(`thumbnails.batch_thumbnails`, `edits.batch_suggestions`), one SQL file for its table (plus
`<table>_rejected`), and a thin asset that calls it and `write_batch`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import duckdb
import pandas as pd

from seg_pipeline.apply.models import PREFERENCE, model_caveats
from seg_pipeline.apply.pairs import PairRequest
from seg_pipeline.apply.scoring import PairScore, Rejected, score_requests
from seg_pipeline.contract import EVAL_SPLIT, SPLITS
from seg_pipeline.errors import ConfigError
from seg_pipeline.paths import DataLayout
from seg_pipeline.warehouse.db import connect, run_sql, table_exists, write_frames
from seg_pipeline.warehouse.tables import read_trained_models

REJECTED_COLUMNS = ["view_id", "user_id", "video_id", "reason"]
MODALITY_CHOICES = ("auto", *PREFERENCE)


@dataclass(frozen=True)
class BatchSpec:
    """Which pairs and which model: the first `max_pairs` views of `split`, scored with the
    `modality` model ("auto": both, else visual, else id: the first that was trained)."""

    split: str = EVAL_SPLIT
    max_pairs: int = 20
    modality: str = "auto"

    def validate(self, prefix: str = "") -> "BatchSpec":
        if self.split not in SPLITS:
            raise ConfigError(prefix + "split", f"'{self.split}' is not a split", f"use one of {', '.join(SPLITS)}")
        if self.max_pairs < 0:
            raise ConfigError(prefix + "max_pairs", f"{self.max_pairs} is negative", "use 0 or more, e.g. 20")
        if self.modality not in MODALITY_CHOICES:
            raise ConfigError(prefix + "modality", f"'{self.modality}' is unknown", "use auto, both, visual or id")
        return self


@dataclass
class BatchScores:
    """Scores of a batch, or why there are none (`note`)."""

    requested: int
    scored: list[PairScore]
    rejected: list[Rejected]
    note: Optional[str]
    modality: str = "none"
    mlflow_run_id: Optional[str] = None
    model_source: str = "none"
    seconds: float = 0.0
    caveats: tuple[str, ...] = ()

    def summary(self, spec: BatchSpec) -> dict:
        """Plain values for the asset's metadata (the same keys for every downstream use)."""
        return {
            "split": spec.split,
            "pairs_requested": self.requested,
            "pairs_scored": len(self.scored),
            "pairs_history_free": sum(s.context.history_free for s in self.scored),
            "modality": self.modality,
            "model": self.model_source,
            "mlflow_run_id": str(self.mlflow_run_id),
            "scoring_seconds": round(self.seconds, 3),
            "model_caveats": " ".join(self.caveats) or "none",
        }


@dataclass
class BatchResult:
    """A downstream use's rows for a batch, the pairs it could not serve, and the scores behind them."""

    scores: BatchScores
    rows: pd.DataFrame
    rejected: pd.DataFrame


def batch_requests(con: duckdb.DuckDBPyConnection, split: str, max_pairs: int) -> list[PairRequest]:
    rows = run_sql(con, "apply_batch_views", {"split": split, "limit": int(max_pairs)}).fetchall()
    return [PairRequest(str(u), str(v), int(t), int(view_id)) for view_id, u, v, t in rows]


def score_batch(layout: DataLayout, spec: BatchSpec, device: str = "cpu") -> BatchScores:
    """Score the batch; no trained model or no views give an empty batch with a note."""
    started = time.perf_counter()
    with connect(layout.warehouse, read_only=True) as con:
        trained = read_trained_models(con)
        requests = batch_requests(con, spec.split, spec.max_pairs) if table_exists(con, "splits") else []
    if trained.empty:
        return BatchScores(len(requests), [], [], "no trained segment-interest model (trained_models is empty)")
    if not requests:
        return BatchScores(0, [], [], f"no '{spec.split}' views to work on")
    modality = None if spec.modality == "auto" else spec.modality
    scored, rejected, loaded = score_requests(layout, requests, modality=modality, device=device)
    return BatchScores(len(requests), scored, rejected, None, loaded.modality, loaded.ref.mlflow_run_id,
                       loaded.ref.source, time.perf_counter() - started, tuple(model_caveats(loaded)))


def rejected_frame(rejected: Sequence[Rejected]) -> pd.DataFrame:
    return pd.DataFrame([(r.request.view_id, r.request.user_id, r.request.video_id, r.reason) for r in rejected],
                        columns=REJECTED_COLUMNS)


def write_batch(con: duckdb.DuckDBPyConnection, table: str, result: BatchResult,
                params: Optional[Mapping] = None) -> None:
    """Replace `table` (sql/<table>.sql, with `params`) and `<table>_rejected` in one transaction."""
    write_frames(con, [(table, result.rows, params), (f"{table}_rejected", result.rejected, None)])
