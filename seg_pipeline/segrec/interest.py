"""Frozen per-segment scores that SegRec's weights come from, out-of-fold for train rows.

A score fit on the very views it scores knows where each of them was skipped, and the skip point
nearly determines the effective-view label (SPEC 7). So train views are cut into folds by
view_id % n_folds; the scores of fold k come from a prior / model fit on the other folds only.
Valid and test views use the statistic fit on all train views (for the segment-interest model:
the checkpoint the `segment_interest_model` asset trained). `score_interest` runs it all for the
segrec_interest_scores asset.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import duckdb
import numpy as np
import pandas as pd

from seg_pipeline.baselines.base import FitData
from seg_pipeline.baselines.position import ItemPosition
from seg_pipeline.contract import MAX_SEGMENTS, MODALITIES
from seg_pipeline.errors import ConfigError
from seg_pipeline.warehouse.db import connect, run_sql
from seg_pipeline.warehouse.fingerprint import frame_fingerprint
from seg_pipeline.warehouse.tables import read_trained_models

ALL_TRAIN = -1  # the fold id of scores fit on every train view (used for valid and test rows)
ITEM_POSITION = "ItemPosition"
WEIGHT_FLOOR = 1e-6  # smallest ItemPosition weight, so its logarithm stays finite


@dataclass
class InterestScores:
    """Scores for every row of a SegRecData (n, MAX_SEGMENTS) and the fold that produced each row."""

    source: str
    scores: np.ndarray
    fold: np.ndarray  # -1 = fit on all train views


def fold_of(view_ids: np.ndarray, splits: np.ndarray, n_folds: int) -> np.ndarray:
    """Fold of each train view (view_id % n_folds); ALL_TRAIN for valid/test views."""
    view_ids = np.asarray(view_ids, dtype=np.int64)
    return np.where(np.asarray(splits) == "train", view_ids % n_folds, ALL_TRAIN).astype(np.int64)


def item_position_scores(
    con: duckdb.DuckDBPyConnection, views: pd.DataFrame, folds: np.ndarray, n_folds: int
) -> InterestScores:
    """ItemPosition weights (SPEC 4) per view, fit without the view's own fold: the share of the
    prior's viewers still watching at each real segment (survival S_i = 1 - sum_{j<i} P(leave at j)),
    normalised over the real segments and stored as logs, so SegRec's softmax (temperature 1) gives
    them back. Like the model's interest, the weight is high where viewers stay. A softmax of the raw
    prior scores (-frequency, values in [0, 1]) was nearly uniform: the variant was SegSum in disguise.

    views: view_id, user_id, video_id, n_segments (the baselines' score() input).
    """
    run_sql(con, "segrec_fold_priors", {"n_folds": n_folds})
    priors = con.execute("SELECT fold, prior, group_key, slot, skips, views FROM segrec_fold_priors").df()
    scores = np.zeros((len(views), MAX_SEGMENTS), dtype=np.float32)
    for fold in np.unique(folds):
        rows = np.flatnonzero(folds == fold)
        fit = priors[priors["fold"] == fold].drop(columns="fold")
        prior = ItemPosition().fit(FitData(priors=fit))
        scores[rows] = np.log(segment_weights(prior.leave_distribution(views.iloc[rows]),
                                              views["n_segments"].to_numpy()[rows]))
    return InterestScores(ITEM_POSITION, scores, folds.copy())


def segment_weights(leave: np.ndarray, n_segments: np.ndarray) -> np.ndarray:
    """(k, MAX_SEGMENTS) weights from a leave distribution over slots 0..N: the probability of still
    watching at each real segment, renormalised over the real segments and floored at WEIGHT_FLOOR;
    1 on padding."""
    real = np.arange(MAX_SEGMENTS)[None, :] < np.asarray(n_segments)[:, None]
    leave = np.asarray(leave, dtype=np.float64)[:, :MAX_SEGMENTS]
    reach = np.clip(1.0 - (np.cumsum(leave, axis=1) - leave), 0.0, None)  # 1 - sum_{j<i} P(leave at j)
    p = np.where(real, reach, 0.0)
    total = p.sum(axis=1, keepdims=True)  # >= 1: every viewer reaches segment 0
    w = np.where(total > 0, p / np.where(total > 0, total, 1.0), real / real.sum(axis=1, keepdims=True))
    return np.where(real, np.maximum(w, WEIGHT_FLOOR), 1.0)


def model_scores(
    modality: str,
    view_ids: np.ndarray,
    folds: np.ndarray,
    score_all_train: Callable[[np.ndarray], np.ndarray],
    score_out_of_fold: Callable[[int, np.ndarray], np.ndarray],
) -> InterestScores:
    """Segment-interest scores per view: valid/test from the full model, train rows out of fold.

    score_all_train(view_ids) -> (k, N_SLOTS) scores from the model trained on every train view;
    score_out_of_fold(fold, view_ids) -> (k, N_SLOTS) scores of that fold's views from a model trained
    on the other folds. Both return rows in the order of the view ids given.
    """
    scores = np.zeros((len(view_ids), MAX_SEGMENTS), dtype=np.float32)
    for fold in np.unique(folds):
        rows = np.flatnonzero(folds == fold)
        ids = np.asarray(view_ids)[rows]
        got = score_all_train(ids) if fold == ALL_TRAIN else score_out_of_fold(int(fold), ids)
        scores[rows] = np.asarray(got, dtype=np.float32)[:, :MAX_SEGMENTS]
    return InterestScores(modality, scores, folds.copy())


def interest_frame(view_ids: np.ndarray, found: list[InterestScores], n_segments: np.ndarray) -> pd.DataFrame:
    """Long table for the warehouse: one row per (view, source) with the real segments' scores."""
    parts = []
    for item in found:
        parts.append(pd.DataFrame({
            "view_id": np.asarray(view_ids, dtype=np.int64),
            "source": item.source,
            "fold": item.fold,
            "scores": [row[:n].tolist() for row, n in zip(item.scores, n_segments)],
        }))
    if not parts:
        return pd.DataFrame({"view_id": pd.Series(dtype="int64"), "source": pd.Series(dtype="object"),
                             "fold": pd.Series(dtype="int64"), "scores": pd.Series(dtype="object")})
    return pd.concat(parts, ignore_index=True)


def attach_interest(data, frame: pd.DataFrame, sources: Optional[list[str]] = None) -> list[str]:
    """Put the stored score lists into data.interest (n, MAX_SEGMENTS) per source; returns the sources."""
    found = []
    position = pd.Index(data.view_id)
    for source, part in frame.groupby("source", sort=True):
        if sources is not None and source not in sources:
            continue
        rows = position.get_indexer(part["view_id"].to_numpy())
        if (rows < 0).any() or len(np.unique(rows)) != len(data.view_id):
            raise RuntimeError(f"segrec_interest_scores for '{source}' does not cover the labelled views; "
                               "rematerialise segrec_interest_scores")
        matrix = np.zeros((len(data.view_id), MAX_SEGMENTS), dtype=np.float32)
        for r, values in zip(rows, part["scores"]):
            matrix[r, : len(values)] = values
        data.interest[str(source)] = matrix
        found.append(str(source))
    return found


@dataclass(frozen=True)
class InterestSettings:
    """n_folds: train views fall into folds by view_id % n_folds. fold_epochs: epochs of the per-fold
    segment-interest models (0 = the checkpoint's best epoch). modalities: trained modalities to
    score with (empty = every one in trained_models)."""

    n_folds: int = 2
    fold_epochs: int = 0
    modalities: tuple[str, ...] = ()

    def validate(self) -> "InterestSettings":
        if self.n_folds < 2:
            raise ConfigError("n_folds", f"{self.n_folds} folds cannot give out-of-fold scores", "use 2 or more")
        if self.fold_epochs < 0:
            raise ConfigError("fold_epochs", "must be >= 0", "use 0 (the checkpoint's best epoch) or e.g. 10")
        unknown = [m for m in self.modalities if m not in MODALITIES]
        if unknown:
            raise ConfigError("modalities", f"unknown modalities {unknown}", f"use some of {MODALITIES}")
        return self


@dataclass
class InterestRun:
    """What segrec_interest_scores writes (`frame`, and `settings` for segrec_fold_settings) and reports."""

    frame: pd.DataFrame
    settings: pd.DataFrame
    sources: list[str]
    fold_sizes: dict[str, int]
    fold_models: dict = field(default_factory=dict)  # "<modality>/fold<k>" -> seconds, fit views, epochs

    def fingerprint(self) -> str:
        return frame_fingerprint(self.frame.assign(scores=self.frame["scores"].map(lambda s: np.round(s, 6).tolist())))


def score_interest(
    warehouse: Path,
    settings: InterestSettings = InterestSettings(),
    device: str = "cpu",
    log: Optional[Callable[[str], None]] = None,
) -> InterestRun:
    """Frozen interest scores of every labelled view: the ItemPosition prior and each trained
    segment-interest modality, out of fold for train views (see InterestSettings)."""
    n_folds, fold_epochs = settings.validate().n_folds, settings.fold_epochs
    with connect(warehouse) as con:
        views = con.execute(
            "SELECT view_id, user_id, video_id, n_segments, split FROM effective_views ORDER BY view_id").df()
        if views.empty:
            raise RuntimeError("effective_views is empty: nothing to score")
        folds = fold_of(views["view_id"].to_numpy(), views["split"].to_numpy(), n_folds)
        found = [item_position_scores(con, views, folds, n_folds)]
        trained = read_trained_models(con, best_seed_only=True)  # one model per modality: its best seed on valid
    available = list(trained["modality"].astype(str))
    wanted = list(settings.modalities) or available
    missing = [m for m in wanted if m not in available]
    if missing:
        raise ConfigError("modalities", f"{missing} not in trained_models ({available})",
                          "train them in segment_interest_model or drop them here")
    timings: dict = {}
    for row in trained.itertuples():
        if row.modality not in wanted:
            continue
        from seg_pipeline.segrec.fold_models import out_of_fold_model_scores  # torch only when needed

        path = Path(row.checkpoint_path)
        if not path.is_file():
            raise FileNotFoundError(f"trained_models lists {path} for '{row.modality}' but the file is missing; "
                                    "rematerialise segment_interest_model")
        if log:
            log(f"out-of-fold scores for modality '{row.modality}' ({n_folds} folds)")
        found.append(out_of_fold_model_scores(path, warehouse, views["view_id"].to_numpy(), folds,
                                              epochs=fold_epochs or None, device=device, timings=timings))
    return InterestRun(
        frame=interest_frame(views["view_id"].to_numpy(), found, views["n_segments"].to_numpy()),
        settings=pd.DataFrame({"n_folds": [n_folds], "fold_epochs": [fold_epochs]}),
        sources=[item.source for item in found],
        fold_sizes={str(k): int(v) for k, v in zip(*np.unique(folds, return_counts=True))},
        fold_models=timings,
    )
