"""WideDeep and DIN: per-segment neural skip baselines (SPEC 4, issue 10).

Each trains the network of its named configuration (model/per_segment.py via
model/named_configs.py) exactly as the segment-interest model is trained: the same warehouse
inputs (user, video, slots, history tokens, CLIP vectors), the same loss, video-id dropout and
history budget, Adam with early stopping on valid NDCG@5 (model/train.py). Only the network
differs, so "model minus WideDeep" measures what attention across the video and the history adds.

The modality is the richest the warehouse allows: `both` when segment_embeddings has vectors,
else `id`. Like GBDTHazard, the fit reads train views and valid views for early stopping only,
whatever the fit splits, so one fit serves the choice on valid and the test scores.
"""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from seg_pipeline.baselines.base import FitData, SkipBaseline, check_views
from seg_pipeline.contract import SPLITS


class NeuralSkipBaseline(SkipBaseline):
    """A named per-segment configuration trained on the skip task; scores = the network's skip scores."""

    configuration: ClassVar[str]
    overrides: ClassVar[dict] = {}  # ModelConfig knobs over the named configuration (a subclass may set them)
    seeded: ClassVar[bool] = True
    refit_to_select: ClassVar[bool] = False

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self._scored: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def fit(self, data: FitData) -> "NeuralSkipBaseline":
        from seg_pipeline.model.config import ModelConfig  # torch only when a neural baseline runs
        from seg_pipeline.model.inputs import load_segment_vectors, load_view_inputs
        from seg_pipeline.model.named_configs import named_overrides
        from seg_pipeline.model.train import train_model
        from seg_pipeline.warehouse.db import connect

        if data.warehouse is None:
            raise ValueError(f"{self.name} trains on the model's inputs: FitData.warehouse must name the warehouse")
        with connect(Path(data.warehouse), read_only=True) as con:
            vectors = load_segment_vectors(con)
            modality = "both" if vectors is not None else "id"
            self.config = ModelConfig(**{**named_overrides(self.configuration), **self.overrides, "modality": modality,
                                         "seed": self.seed, "device": data.device}).validate()
            inputs = load_view_inputs(con, ["train", "valid"], self.config.max_history_tokens, vectors=vectors,
                                      use_vectors=vectors is not None)
        self.warehouse, self.vectors = Path(data.warehouse), inputs.vectors
        self.result = train_model(self.config, inputs.subset(inputs.split == "train"),
                                  inputs.subset(inputs.split == "valid"))
        self.vocab = inputs.vocab
        return self

    @property
    def modality(self) -> str:
        return self.config.modality

    def score(self, views: pd.DataFrame) -> np.ndarray:
        return self._outputs(views)[0]

    def interest(self, views: pd.DataFrame) -> np.ndarray:
        """The network's per-segment interest p (PAD_SCORE from the end slot on)."""
        return self._outputs(views)[1]

    def _outputs(self, views: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        check_views(views)
        ids = views["view_id"].to_numpy(dtype=np.int64)
        key = ids.tobytes()
        if key not in self._scored:  # the report asks for scores, interest and leave distribution in turn
            self._scored = {key: self._score_ids(ids)}
        return self._scored[key]

    def _score_ids(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from seg_pipeline.model.batches import ViewTensors
        from seg_pipeline.model.inputs import load_view_inputs
        from seg_pipeline.model.predict import predict_tensors
        from seg_pipeline.warehouse.db import connect

        with connect(self.warehouse, read_only=True) as con:
            inputs = load_view_inputs(con, SPLITS, self.config.max_history_tokens, vocab=self.vocab,
                                      vectors=self.vectors, use_vectors=self.vectors is not None, view_ids=ids)
        scores, interest = predict_tensors(self.result.model, ViewTensors(inputs))
        index = pd.Index(inputs.view_ids).get_indexer(ids)
        if (index < 0).any():
            raise ValueError(f"{self.name}: {int((index < 0).sum())} of {len(ids)} views are not labelled views of "
                             f"{self.warehouse}")
        return scores[index], interest[index]

    def describe(self) -> str:
        r = self.result
        return (f"{self.name}: {self.configuration} network, modality {self.modality}, seed {self.seed}, best epoch "
                f"{r.best_epoch}/{len(r.epochs)}, valid NDCG@5 {r.best_valid.get('NDCG@5', float('nan')):.4f}")


class WideDeep(NeuralSkipBaseline):
    name: ClassVar[str] = "WideDeep"
    configuration: ClassVar[str] = "widedeep"


class DIN(NeuralSkipBaseline):
    name: ClassVar[str] = "DIN"
    configuration: ClassVar[str] = "din"
