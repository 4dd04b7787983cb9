"""Fit one (backbone, variant, seed) with BCE on the aggregated logit; early-stop on valid AUC.

Only the backbone (and SegAdjust's position weights) are optimised: interest scores are plain
arrays in SegRecData, detached inside the weighting, so the segment-interest model stays frozen.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from seg_pipeline.errors import ConfigError
from seg_pipeline.segrec.backbones import BACKBONES, make_backbone
from seg_pipeline.segrec.backbones.base import BackboneSpec
from seg_pipeline.segrec.config import TrainConfig
from seg_pipeline.segrec.data import SegRecData
from seg_pipeline.segrec.metrics import auc
from seg_pipeline.segrec.model import SegRecModel
from seg_pipeline.segrec.variants import Variant


@dataclass
class FitResult:
    valid_probs: np.ndarray
    test_probs: np.ndarray
    best_epoch: int
    epochs_run: int
    best_valid_auc: float
    train_losses: list[float]
    valid_aucs: list[float]
    seconds: float


def build_model(data: SegRecData, backbone: str, variant: Variant, cfg: TrainConfig) -> SegRecModel:
    if backbone not in BACKBONES:
        raise ConfigError("backbones", f"unknown backbone '{backbone}'", f"use any of {sorted(BACKBONES)}")
    spec = BackboneSpec(
        n_users=data.n_users,
        n_videos=data.n_videos,
        visual_dim=data.visual_dim if cfg.use_visual else 0,
        dim=cfg.dim,
        hidden=tuple(cfg.hidden),
        dropout=cfg.dropout,
    )
    return SegRecModel(make_backbone(backbone, spec, cfg.params_for(backbone)), variant, cfg.temperature)


def predict(model: SegRecModel, data: SegRecData, idx: np.ndarray, cfg: TrainConfig,
            batch_size: int = 4096) -> np.ndarray:
    """Probabilities of an effective view for rows idx."""
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(idx), batch_size):
            rows = idx[start:start + batch_size]
            batch = data.batch(rows, model.variant.interest, visual=cfg.use_visual)
            out.append(torch.sigmoid(model(batch)).numpy())
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def fit_variant(data: SegRecData, backbone: str, variant: Variant, seed: int, cfg: TrainConfig) -> FitResult:
    """Train on the train rows, keep the epoch with the best valid AUC, predict valid and test."""
    started = time.perf_counter()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = build_model(data, backbone, variant, cfg)
    optimiser = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    loss_fn = nn.BCEWithLogitsLoss()
    train, valid, test = data.rows("train"), data.rows("valid"), data.rows("test")
    if len(train) == 0 or len(valid) == 0:
        raise RuntimeError("SegRec needs train and valid rows (valid picks the epoch and the F1 threshold)")

    best_auc, best_state, best_epoch, stale = -np.inf, None, 0, 0
    losses: list[float] = []
    valid_aucs: list[float] = []
    epoch = 0
    for epoch in range(1, cfg.max_epochs + 1):
        model.train()
        order = rng.permutation(train)
        total = 0.0
        for start in range(0, len(order), cfg.batch_size):
            batch = data.batch(order[start:start + cfg.batch_size], variant.interest, visual=cfg.use_visual)
            loss = loss_fn(model(batch), batch.label)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch.label)
        losses.append(total / len(order))
        valid_auc = auc(data.label[valid], predict(model, data, valid, cfg))
        if np.isnan(valid_auc):
            valid_auc = -losses[-1]  # one-class valid split: fall back to the train loss
        valid_aucs.append(float(valid_auc))
        if valid_auc > best_auc:
            best_auc, best_state, best_epoch, stale = valid_auc, copy.deepcopy(model.state_dict()), epoch, 0
        else:
            stale += 1
            if stale >= cfg.patience:
                break
    model.load_state_dict(best_state)
    return FitResult(
        valid_probs=predict(model, data, valid, cfg),
        test_probs=predict(model, data, test, cfg),
        best_epoch=best_epoch,
        epochs_run=epoch,
        best_valid_auc=float(best_auc),
        train_losses=losses,
        valid_aucs=valid_aucs,
        seconds=time.perf_counter() - started,
    )
