"""Segment-interest scores for SegRec: the trained checkpoint for valid/test views, and models
refit per fold (with the checkpoint's own config) for out-of-fold scores of train views.

SegRec weights segments by softmax(p), p the model's per-segment interest (ScoredViews.interest),
not its skip-ranking scores: under the survival loss those also encode how likely a segment is
to be reached, which would tilt every weight towards the tail of the video.

A thin adapter over seg_pipeline.model: its train_model() takes any set of train views, so a
fold model is the same model fit on the other folds' train views. By default a fold model trains
for the epoch count the full model's early stopping chose (its checkpoint's best_epoch), the usual
way to reuse a tuned iteration count in cross-fitting; that also bounds the extra cost at about
one more training run of the full model per modality.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from seg_pipeline.contract import modality_parts
from seg_pipeline.model.batches import ViewTensors
from seg_pipeline.model.config import ModelConfig
from seg_pipeline.model.inputs import load_segment_vectors, load_view_inputs
from seg_pipeline.model.predict import load_model, predict_tensors, score_views
from seg_pipeline.model.train import train_model
from seg_pipeline.segrec.interest import ALL_TRAIN, InterestScores, model_scores
from seg_pipeline.warehouse.db import connect


def _aligned(view_ids: np.ndarray, scored_ids: np.ndarray, scores: np.ndarray, what: str) -> np.ndarray:
    index = pd.Index(np.asarray(scored_ids, dtype=np.int64)).get_indexer(np.asarray(view_ids, dtype=np.int64))
    if (index < 0).any():
        raise RuntimeError(f"{what} left {(index < 0).sum()} of {len(view_ids)} views unscored")
    return scores[index]


def out_of_fold_model_scores(
    checkpoint_path: str | Path,
    warehouse_path: str | Path,
    view_ids: np.ndarray,
    folds: np.ndarray,
    epochs: Optional[int] = None,
    device: str = "cpu",
    timings: Optional[dict] = None,
) -> InterestScores:
    """Scores (n, MAX_SEGMENTS) for SegRec rows: fold ALL_TRAIN rows from the checkpoint, fold k rows from a
    model of the same config trained on the train views of the other folds, for `epochs` epochs
    (None: the checkpoint's best epoch; the valid split may still stop it earlier)."""
    model, _, meta = load_model(checkpoint_path, device)
    base = ModelConfig.from_dict(meta["config"])
    chosen = int((meta.get("summary") or {}).get("best_epoch") or base.epochs)
    config = dataclasses.replace(base, device=device, epochs=epochs or chosen)
    use_vectors = "visual" in modality_parts(base.modality)
    timings = timings if timings is not None else {}

    def score_all_train(ids: np.ndarray) -> np.ndarray:
        got = score_views(checkpoint_path, warehouse_path, split=["valid", "test"], view_ids=ids, device=device)
        return _aligned(ids, got.view_ids, got.interest, f"the {base.modality} checkpoint")

    def score_out_of_fold(fold: int, ids: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        fit_ids = view_ids[(folds != fold) & (folds != ALL_TRAIN)]
        with connect(Path(warehouse_path), read_only=True) as con:
            vectors = load_segment_vectors(con) if use_vectors else None
            train = load_view_inputs(con, ["train"], config.max_history_tokens, vectors=vectors,
                                     use_vectors=use_vectors, view_ids=fit_ids)
            valid = load_view_inputs(con, ["valid"], config.max_history_tokens, vocab=train.vocab,
                                     vectors=vectors, use_vectors=use_vectors)
            held_out = load_view_inputs(con, ["train"], config.max_history_tokens, vocab=train.vocab,
                                        vectors=vectors, use_vectors=use_vectors, view_ids=ids)
        result = train_model(config, train, valid)
        _, interest = predict_tensors(result.model, ViewTensors(held_out, "cpu"))
        timings[f"{base.modality}/fold{fold}"] = {
            "seconds": time.perf_counter() - started, "fit_views": int(len(train)),
            "best_epoch": int(result.best_epoch), "epochs": len(result.epochs),
        }
        return _aligned(ids, held_out.view_ids, interest, f"the {base.modality} fold-{fold} model")

    del model  # only its config and vocabularies were needed here
    return model_scores(base.modality, view_ids, folds, score_all_train, score_out_of_fold)
