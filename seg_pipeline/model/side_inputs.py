"""Side inputs of the segment-interest model (issue 10 levers, benchmark-only): per-slot tabular
statistics (ModelConfig.side_features) and the fixed GBDTHazard logits a stacked model adds its
residual to (ModelConfig.stacked), attached to ViewInputs row by row (by view_id).

Both come from baselines/view_features.py, the same statistics GBDTHazard learns from, so the
model sees exactly the information the baseline does. Train views get out-of-fold GBDT logits: a
residual trained on in-sample logits would learn to undo the GBDT's own overfit of train rows.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from seg_pipeline.baselines.view_features import FEATURES, SLOT_STATS, VIEW_FEATURES
from seg_pipeline.contract import N_SLOTS
from seg_pipeline.model.inputs import ViewInputs

OOF_FOLDS = 5  # folds (by view_id) of the out-of-fold GBDT logits of train views
COUNT_FEATURES = ("video_views", "user_views", "video_reached")  # log1p before standardising


def model_slot_features(views: pd.DataFrame) -> np.ndarray:
    """float32 (n, N_SLOTS, len(FEATURES)) in FEATURES order, standardised with the statistics of
    the train views' real segments; `views` is a baselines.view_features.view_features frame."""
    n = len(views)
    view_part = np.broadcast_to(views[list(VIEW_FEATURES)].to_numpy(dtype=np.float32)[:, None, :],
                                (n, N_SLOTS, len(VIEW_FEATURES)))
    n_seg = views["n_segments"].to_numpy(dtype=np.float32)[:, None]
    slot = np.broadcast_to(np.arange(N_SLOTS, dtype=np.float32)[None, :], (n, N_SLOTS))
    stats = np.stack(views["slot_stats"].to_numpy()) if n else np.zeros((0, N_SLOTS, len(SLOT_STATS)), np.float32)
    slot_part = np.stack([slot, n_seg - slot, slot / n_seg], axis=-1)
    full = np.concatenate([view_part, slot_part, stats], axis=-1).astype(np.float64)
    for c, name in enumerate(FEATURES):
        if name in COUNT_FEATURES:
            full[..., c] = np.log1p(np.maximum(full[..., c], 0))
    real = np.arange(N_SLOTS)[None, :] < views["n_segments"].to_numpy()[:, None]
    train = views["split"].to_numpy() == "train"
    ref = full[train][real[train]]
    mean, std = ref.mean(axis=0), ref.std(axis=0) + 1e-6
    return ((full - mean) / std).astype(np.float32)


def hazard_logits(model, views: pd.DataFrame) -> np.ndarray:
    """(n, N_SLOTS) log(h / (1 - h)) of a fitted GBDTHazard for slots 0..N-1, 0 elsewhere."""
    h = np.clip(model.hazard(views), 1e-7, 1 - 1e-7)
    real = np.arange(N_SLOTS)[None, :] < views["n_segments"].to_numpy()[:, None]
    return np.where(real, np.log(h) - np.log1p(-h), 0.0).astype(np.float32)


def gbdt_offsets(views: pd.DataFrame, seed: int, out_of_fold: bool = True) -> np.ndarray:
    """GBDTHazard logits for every row of `views` (fitted on its train rows, early-stopped on
    valid); with `out_of_fold`, train rows come from models fitted without their fold."""
    from seg_pipeline.baselines.base import FitData
    from seg_pipeline.baselines.gbdt_hazard import GBDTHazard

    model = GBDTHazard(seed=seed).fit(FitData(features=views))
    out = hazard_logits(model, views)
    if not out_of_fold:
        return out
    fold = views["view_id"].to_numpy() % OOF_FOLDS
    train = views["split"].to_numpy() == "train"
    for f in range(OOF_FOLDS):
        held = train & (fold == f)
        if held.any():
            part = GBDTHazard(seed=seed).fit(FitData(features=views[~held]))
            out[held] = hazard_logits(part, views[held])
    return out


def attach_side_inputs(inputs: ViewInputs, views: pd.DataFrame, slot_features: Optional[np.ndarray] = None,
                       slot_offset: Optional[np.ndarray] = None) -> ViewInputs:
    """`inputs` with slot_features / slot_offset taken from the rows of `views` (a frame with
    view_id, aligned with the arrays) that match its view_ids; every view must be found."""
    where = pd.Index(views["view_id"].to_numpy()).get_indexer(inputs.view_ids)
    if (where < 0).any():
        raise ValueError(f"{int((where < 0).sum())} views have no side inputs")
    if slot_features is not None:
        inputs.slot_features = np.ascontiguousarray(slot_features[where], dtype=np.float32)
    if slot_offset is not None:
        inputs.slot_offset = np.ascontiguousarray(slot_offset[where], dtype=np.float32)
    return inputs
