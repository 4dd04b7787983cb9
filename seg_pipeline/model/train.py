"""Training loop: Adam on the train views, early stopping on valid NDCG@5, best weights kept.

Deterministic for a seed: the seed fixes initialisation, dropout and the batch order, and
deterministic kernels are requested while training (restored afterwards). The same code runs on
CPU and CUDA; only the device of the tensors changes.
"""
from __future__ import annotations

import contextlib
import copy
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional

import numpy as np
import torch

from seg_pipeline.contract import N_SLOTS, modality_parts
from seg_pipeline.devices import resolve_device
from seg_pipeline.evaluation.metrics import ranking_metrics
from seg_pipeline.model.batches import ViewTensors
from seg_pipeline.model.config import ModelConfig
from seg_pipeline.model.inputs import ViewInputs
from seg_pipeline.model.architectures import build_network
from seg_pipeline.model.network import SkipScorer
from seg_pipeline.model.predict import score_tensors

STOP_METRIC = "NDCG@5"


@dataclass
class EpochLog:
    epoch: int
    train_loss: float
    valid: dict
    train_seconds: float


@dataclass
class TrainResult:
    """The best model (on CPU, eval mode) and how training went."""

    model: SkipScorer
    config: ModelConfig
    best_epoch: int
    best_valid: dict
    random_valid: dict
    epochs: list[EpochLog] = field(default_factory=list)
    train_seconds: float = 0.0
    n_train: int = 0
    n_valid: int = 0
    device: str = "cpu"

    @property
    def views_per_s(self) -> float:
        """Training throughput: train views processed per second of optimisation."""
        seen = self.n_train * len(self.epochs)
        return seen / self.train_seconds if self.train_seconds > 0 else float("nan")


@contextlib.contextmanager
def _deterministic(seed: int) -> Iterator[None]:
    previous = torch.are_deterministic_algorithms_enabled()
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous)


def evaluate(model: SkipScorer, tensors: ViewTensors, inputs: ViewInputs, seed: int = 0) -> dict:
    """Ranking metrics (primary protocol) of the model's scores on `inputs`."""
    if len(inputs) == 0:
        return {}
    scores = score_tensors(model, tensors)
    return ranking_metrics(scores, inputs.n_segments, inputs.target_slot, "segments_end", seed=seed)


@torch.no_grad()
def valid_loss(model: SkipScorer, tensors: ViewTensors, batch_size: int) -> float:
    """The training objective averaged over the valid views (eval mode): stop_on="loss"."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for batch in tensors.batches(batch_size):
        total += float(model.loss(batch)) * batch.user_idx.shape[0]
        count += batch.user_idx.shape[0]
    model.train(was_training)
    return total / max(count, 1)


def train_model(
    config: ModelConfig,
    train: ViewInputs,
    valid: ViewInputs,
    on_epoch: Optional[Callable[[EpochLog], None]] = None,
    on_batch: Optional[Callable[[int], None]] = None,
) -> TrainResult:
    """Fit one model. Stops after `patience` epochs without a better valid NDCG@5 (or valid loss,
    config.stop_on) or after `epochs`; without valid views it keeps the last epoch."""
    config.validate()
    if len(train) == 0:
        raise ValueError("no train views: the split left nothing to train on")
    device = resolve_device(config.device, "device")
    vectors = train.vectors
    if "visual" in modality_parts(config.modality) and vectors is None:
        raise ValueError(f"modality '{config.modality}' needs segment_embeddings, which this run does not have")

    with _deterministic(config.seed):
        model = build_network(config, train.vocab.n_users, train.vocab.n_videos,
                                     vectors.dim if vectors is not None else 0).to(device)
        optimiser = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        order = torch.Generator().manual_seed(config.seed)
        train_t = ViewTensors(train, device)
        valid_t = ViewTensors(valid, device)
        random_valid = (ranking_metrics(np.zeros((len(valid), N_SLOTS), np.float32), valid.n_segments,
                                        valid.target_slot, "segments_end") if len(valid) else {})

        result = TrainResult(model=model, config=config, best_epoch=0, best_valid={},
                             random_valid=random_valid, n_train=len(train), n_valid=len(valid), device=device)
        best_value, best_state, stale = -math.inf, None, 0
        for epoch in range(1, config.epochs + 1):
            model.train()
            start = time.perf_counter()
            total, count = 0.0, 0
            for batch in train_t.batches(config.batch_size, generator=order):
                loss = model.loss(batch)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * batch.user_idx.shape[0]
                count += batch.user_idx.shape[0]
                if on_batch is not None:  # progress hook: views done in this batch
                    on_batch(batch.user_idx.shape[0])
            seconds = time.perf_counter() - start
            result.train_seconds += seconds
            metrics = evaluate(model, valid_t, valid)
            if config.stop_on == "loss" and len(valid):
                metrics = {**metrics, "loss": valid_loss(model, valid_t, config.batch_size)}
            log = EpochLog(epoch=epoch, train_loss=total / count, valid=metrics, train_seconds=seconds)
            result.epochs.append(log)
            if on_epoch is not None:
                on_epoch(log)
            value = _stop_value(config, metrics, epoch)
            if value > best_value:
                best_value, stale = value, 0
                best_state = copy.deepcopy(model.state_dict())
                result.best_epoch, result.best_valid = epoch, metrics
            else:
                stale += 1
                if stale >= config.patience:
                    break

    model.load_state_dict(best_state)
    result.model = model.cpu().eval()
    return result


def _stop_value(config: ModelConfig, metrics: dict, epoch: int) -> float:
    """Higher is better: valid NDCG@5, or minus the valid loss; the epoch number without valid views."""
    if not metrics:
        return float(epoch)
    if config.stop_on == "loss":
        return -metrics.get("loss", math.inf)
    return metrics.get(STOP_METRIC, -math.inf)
