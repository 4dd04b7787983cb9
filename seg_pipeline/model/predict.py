"""Score views with a trained checkpoint: the entry point the report and downstream uses call."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch

from seg_pipeline.contract import EVAL_SPLIT, N_SLOTS, modality_parts
from seg_pipeline.devices import resolve_device
from seg_pipeline.model.batches import ViewTensors
from seg_pipeline.model.checkpoint import load_checkpoint
from seg_pipeline.model.inputs import check_vector_encoder, load_segment_vectors, load_view_inputs
from seg_pipeline.model.network import SkipScorer
from seg_pipeline.warehouse.db import connect


@dataclass
class ScoredViews:
    """For the views in `view_ids` (ascending), both (n, N_SLOTS) with padding slots = PAD_SCORE:
    `scores` rank the skip slots (lower = likelier leave; what the metrics use) and `interest` is
    the per-segment interest p (the same values unless the loss is survival; see
    SkipScorer.outputs)."""

    view_ids: np.ndarray
    scores: np.ndarray
    modality: str
    interest: np.ndarray


def load_model(checkpoint_path: str | os.PathLike, device: str = "cpu"):
    """(model in eval mode, vocabularies, stored metadata) from a checkpoint file."""
    return load_checkpoint(checkpoint_path, resolve_device(device, "device"))


@torch.no_grad()
def predict_tensors(model: SkipScorer, tensors: ViewTensors,
                    batch_size: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """float32 (n, N_SLOTS) skip scores and (n, N_SLOTS) segment interest, batch by batch in eval mode."""
    was_training = model.training
    model.eval()
    skip, interest = [], []
    for batch in tensors.batches(batch_size):
        s, p = model.outputs(batch)
        skip.append(s.float().cpu().numpy())
        interest.append(p.float().cpu().numpy())
    model.train(was_training)
    if not skip:
        empty = np.zeros((0, N_SLOTS), dtype=np.float32)
        return empty, empty.copy()
    return np.concatenate(skip).astype(np.float32), np.concatenate(interest).astype(np.float32)


def score_tensors(model: SkipScorer, tensors: ViewTensors, batch_size: int = 4096) -> np.ndarray:
    """float32 (n, N_SLOTS) skip scores, batch by batch in eval mode (no dropout)."""
    return predict_tensors(model, tensors, batch_size)[0]


def score_views(
    checkpoint_path: str | os.PathLike,
    warehouse_path: str | os.PathLike,
    split: str | Sequence[str] = EVAL_SPLIT,
    view_ids: Optional[np.ndarray] = None,
    device: str = "cpu",
    batch_size: int = 4096,
) -> ScoredViews:
    """Scores of the views of `split` (a name or several) read from the warehouse, optionally only
    `view_ids`. Ids map through the checkpoint's train vocabularies; the visual modality refuses
    segment vectors made by a different encoder than the one it was trained on."""
    model, vocab, meta = load_model(checkpoint_path, device)
    splits = [split] if isinstance(split, str) else list(split)
    needs_vectors = "visual" in modality_parts(model.config.modality)
    with connect(Path(warehouse_path), read_only=True) as con:
        vectors = load_segment_vectors(con) if needs_vectors else None
        if needs_vectors:
            check_vector_encoder(meta, vectors)  # a ValueError naming both encoders
        inputs = load_view_inputs(con, splits, model.config.max_history_tokens, vocab=vocab,
                                  vectors=vectors, use_vectors=needs_vectors, view_ids=view_ids)
    scores, interest = predict_tensors(model, ViewTensors(inputs, next(model.parameters()).device), batch_size)
    return ScoredViews(view_ids=inputs.view_ids, scores=scores, modality=model.config.modality, interest=interest)
