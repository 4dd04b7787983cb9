"""Tabular statistics per view and per (view, slot), from the warehouse only: GBDTHazard's inputs.

Nothing here reads a view's own label or a label of a later split (sql/baseline_view_features.sql):

* view level: N, duration, the user's strictly-earlier history statistics and the video's
  statistics over earlier splits (train rows: leave-one-out over train), rates shrunk towards the
  global rate with `SHRINK` pseudo-views so a video seen once is not taken at face value;
* slot level: slot, segments left, slot / N, the per-(N, slot) hazard of DurationPosition
  (leaves at i / views that reached i among videos with N segments) and the video's own per-slot
  hazard shrunk towards it. The duration hazard of a train row is out-of-fold (N_FOLDS folds by
  view_id), not leave-one-out: within a group the features identify (N), a leave-one-out rate is
  lower exactly when the view left at that slot, and trees decode it (a target leak measured on
  SegMM: best iteration 6, test HR@1 0.403 vs 0.450 out-of-fold). The video hazard stays
  leave-one-out (video identity is no feature).

`view_features` returns one frame for every labelled view; its `slot_stats` column holds a float32
(N_SLOTS, len(SLOT_STATS)) array per view, so the features travel with the views frame.
"""
from __future__ import annotations

from typing import Sequence

import duckdb
import numpy as np
import pandas as pd

from seg_pipeline.contract import N_SLOTS
from seg_pipeline.warehouse.db import run_sql

SHRINK = 5.0  # pseudo-views of the global (or duration) rate in every shrunk rate
N_FOLDS = 5  # out-of-fold duration hazard for train views
SPLIT_RANK = {"train": 0, "valid": 1, "test": 2}

VIEW_FEATURES = (
    "n_segments", "duration_s", "video_views", "video_first_skip", "video_full", "video_frac",
    "user_views", "user_first_skip", "user_full", "user_frac",
)
SLOT_STATS = ("dp_hazard", "video_hazard", "video_reached")  # per slot, in the slot_stats column
SLOT_FEATURES = ("slot", "segments_left", "slot_frac") + SLOT_STATS
FEATURES = VIEW_FEATURES + SLOT_FEATURES
FEATURE_COLUMNS = VIEW_FEATURES[1:] + ("slot_stats",)  # what view_features adds to a views frame


def _shrunk(hits: np.ndarray, n: np.ndarray, prior: float | np.ndarray) -> np.ndarray:
    return (hits + SHRINK * prior) / (n + SHRINK)


def _slot_counts(codes: np.ndarray, n_groups: int, target: np.ndarray, n_segments: np.ndarray,
                 rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group: (leaves at slot i, views that reached slot i) over the views in `rows`, slots 0..N-1."""
    leaves = np.zeros((n_groups, N_SLOTS))
    left = rows & (target < n_segments)
    np.add.at(leaves, (codes[left], target[left]), 1.0)
    # reached slot i iff target >= i (and i < N): a difference array over slots 0..min(target, N-1)
    last = np.minimum(target, n_segments - 1)[rows]
    diff = np.zeros((n_groups, N_SLOTS + 1))
    np.add.at(diff, (codes[rows], np.zeros(rows.sum(), dtype=np.int64)), 1.0)
    np.add.at(diff, (codes[rows], last + 1), -1.0)
    return leaves, np.cumsum(diff, axis=1)[:, :N_SLOTS]


def _own_counts(target: np.ndarray, n_segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    slots = np.arange(N_SLOTS)[None, :]
    reached = ((slots <= target[:, None]) & (slots < n_segments[:, None])).astype(np.float64)
    leaves = ((slots == target[:, None]) & (target[:, None] < n_segments[:, None])).astype(np.float64)
    return leaves, reached


def _slot_rates(keys: np.ndarray, k: np.ndarray, target: np.ndarray, n_segments: np.ndarray,
                test_sees_valid: bool, folds: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(leaves, reached) per view and slot within its group, from the views it may see: valid views
    see train, test views train (+ valid when it is a fit split), train views the other train views
    (leave-one-out) or, with `folds`, the train views of the other folds."""
    codes, uniques = pd.factorize(keys)
    g = len(uniques)
    l_train, r_train = _slot_counts(codes, g, target, n_segments, k == 0)
    l_valid, r_valid = _slot_counts(codes, g, target, n_segments, k == 1)
    with_valid = ((k == 2) & test_sees_valid)[:, None]
    leaves = l_train[codes] + np.where(with_valid, l_valid[codes], 0.0)
    reached = r_train[codes] + np.where(with_valid, r_valid[codes], 0.0)
    train = (k == 0)[:, None]
    if folds is None:
        own_l, own_r = _own_counts(target, n_segments)
        return leaves - np.where(train, own_l, 0.0), reached - np.where(train, own_r, 0.0)
    for f in np.unique(folds[k == 0]):
        in_fold = (k == 0) & (folds == f)
        f_l, f_r = _slot_counts(codes, g, target, n_segments, in_fold)
        leaves = leaves - np.where(in_fold[:, None], f_l[codes], 0.0)
        reached = reached - np.where(in_fold[:, None], f_r[codes], 0.0)
    return leaves, reached


def view_features(con: duckdb.DuckDBPyConnection, fit_splits: Sequence[str] = ("train", "valid")) -> pd.DataFrame:
    """Every labelled view (view_id order): view_id, user_id, video_id, split, target_slot, full_watch and
    FEATURE_COLUMNS. Test rows see the labels of `fit_splits` only; train and valid rows never
    depend on it (train sees train, valid sees train)."""
    v = run_sql(con, "baseline_view_features", {"fit_splits": list(fit_splits)}).df()
    k = v["split"].map(SPLIT_RANK).to_numpy(dtype=np.int64)
    target = v["target_slot"].to_numpy(dtype=np.int64)
    n_seg = v["n_segments"].to_numpy(dtype=np.int64)
    full_watch = v["full_watch"].to_numpy(bool)
    train = k == 0
    n_train = max(int(train.sum()), 1)
    first = float(((target == 0) & ~full_watch)[train].sum()) / n_train
    full = float(full_watch[train].sum()) / n_train
    frac = float((np.where(full_watch, n_seg, target + 1) / n_seg)[train].sum()) / n_train

    out = v[["view_id", "user_id", "video_id", "split", "n_segments", "target_slot", "full_watch"]].copy()
    out["duration_s"] = v["duration_ms"].to_numpy(dtype=np.float64) / 1000.0
    for who in ("video", "user"):
        n = v[f"{who}_views"].to_numpy(dtype=np.float64)
        out[f"{who}_views"] = n
        out[f"{who}_first_skip"] = _shrunk(v[f"{who}_first_skips"].to_numpy(float), n, first)
        out[f"{who}_full"] = _shrunk(v[f"{who}_fulls"].to_numpy(float), n, full)
        out[f"{who}_frac"] = _shrunk(v[f"{who}_frac_sum"].to_numpy(float), n, frac)

    sees_valid = "valid" in fit_splits
    dp_l, dp_r = _slot_rates(n_seg, k, target, n_seg, sees_valid, folds=v["view_id"].to_numpy() % N_FOLDS)
    g_l, g_r = _slot_counts(np.zeros(len(v), dtype=np.int64), 1, target, n_seg, train)
    global_h = (g_l[0] + 1.0) / (g_r[0] + 2.0)  # the prior of the duration hazard
    dp_h = _shrunk(dp_l, dp_r, global_h[None, :])
    vid_l, vid_r = _slot_rates(v["video_id"].to_numpy(dtype=object), k, target, n_seg, sees_valid)
    stats = np.stack([dp_h, _shrunk(vid_l, vid_r, dp_h), vid_r], axis=-1).astype(np.float32)
    out["slot_stats"] = list(stats)
    return out


def slot_rows(views: pd.DataFrame, upto: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(view row index, slot, float32 feature matrix in FEATURES order) for slots 0..upto[v] of
    every view (upto < N); `views` carries VIEW_FEATURES and slot_stats."""
    missing = [c for c in VIEW_FEATURES + ("slot_stats",) if c not in views.columns]
    if missing:
        raise ValueError(f"views frame lacks feature columns {missing}: merge in baselines.view_features")
    counts = np.asarray(upto, dtype=np.int64) + 1
    row = np.repeat(np.arange(len(views)), counts)
    slot = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    view_part = views[list(VIEW_FEATURES)].to_numpy(dtype=np.float32)[row]
    stats = np.stack(views["slot_stats"].to_numpy()) if len(views) else np.zeros((0, N_SLOTS, len(SLOT_STATS)))
    n_seg = views["n_segments"].to_numpy(dtype=np.float32)[row]
    slot_f = slot.astype(np.float32)
    slot_part = np.column_stack([slot_f, n_seg - slot_f, slot_f / n_seg, stats[row, slot]])
    return row, slot, np.concatenate([view_part, slot_part], axis=1).astype(np.float32)
