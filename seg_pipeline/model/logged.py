"""The trained model as an MLflow model (PyTorch flavour) in the model registry, with a `champion`
alias on the version that ranks valid views best.

MLflow's PyTorch flavour feeds a model one float array, so `PackedScorer` wraps the trained
network behind a flat layout (one row per view; `packed_columns` names the columns): ids, segment
count, history tokens and, for the visual modalities, the segment and history vectors inline.
It returns the (views, N_SLOTS) skip scores, lower = likelier leave slot. The checkpoint (best.pt)
stays what the pipeline scores with; the logged model is the same weights for MLflow users.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
from torch import nn

from seg_pipeline.contract import N_SLOTS
from seg_pipeline.model.batches import Batch, ViewTensors
from seg_pipeline.model.inputs import ViewInputs
from seg_pipeline.model.network import SkipScorer

CHAMPION = "champion"
SCORE_TAG = "valid_ndcg5"  # model-version tag the champion is chosen by
DATA_TAG = "data_key"  # versions trained on other data are not compared
SEGMENT_COLUMNS = N_SLOTS - 1
HISTORY_FIELDS = ("hist_video_idx", "hist_pos", "hist_recency", "hist_left")


def registered_name(modality: str) -> str:
    return f"segment_interest_{modality}"


def packed_columns(history: int, dim: int) -> list[str]:
    """Column names of the packed input (history = history tokens kept, dim = vector size or 0)."""
    names = ["user_idx", "video_idx", "n_segments", "hist_len"]
    names += [f"{f}_{k}" for f in HISTORY_FIELDS for k in range(history)]
    names += [f"seg{j}_v{i}" for j in range(SEGMENT_COLUMNS) for i in range(dim)]
    names += [f"hist{k}_v{i}" for k in range(history) for i in range(dim)]
    return names


class PackedScorer(nn.Module):
    """forward(float32 (B, F) packed views) -> float32 (B, N_SLOTS) skip scores."""

    def __init__(self, model: SkipScorer, history: int, dim: int):
        super().__init__()
        self.model, self.history, self.dim = model.eval(), int(history), int(dim)

    def forward(self, packed: torch.Tensor) -> torch.Tensor:
        b, m, w, d = packed.shape[0], self.history, SEGMENT_COLUMNS, self.dim
        ids = packed[:, : 4 + 4 * m].round().long()
        n_segments, hist_len = ids[:, 2], ids[:, 3]
        hist = {f: ids[:, 4 + i * m: 4 + (i + 1) * m] for i, f in enumerate(HISTORY_FIELDS)}
        hist_mask = torch.arange(m, device=packed.device)[None, :] < hist_len[:, None]
        seg_real = torch.arange(w, device=packed.device)[None, :] < n_segments[:, None]
        vectors, seg_rows, hist_rows = None, torch.zeros(b, w, dtype=torch.long), torch.zeros(b, m, dtype=torch.long)
        if d:
            flat = packed[:, 4 + 4 * m:]
            seg_vectors = flat[:, : w * d].reshape(b * w, d)
            hist_vectors = flat[:, w * d:].reshape(b * m, d)
            vectors = torch.cat([torch.zeros(1, d, dtype=packed.dtype), seg_vectors, hist_vectors])
            seg_rows = torch.where(seg_real, 1 + torch.arange(b * w).reshape(b, w), 0)
            hist_rows = torch.where(hist_mask, 1 + b * w + torch.arange(b * m).reshape(b, m), 0)
        batch = Batch(user_idx=ids[:, 0], video_idx=ids[:, 1], n_segments=n_segments,
                      target_slot=n_segments.clone(), hist_video_idx=hist["hist_video_idx"],
                      hist_pos=hist["hist_pos"], hist_recency=hist["hist_recency"], hist_mask=hist_mask,
                      hist_rows=hist_rows, seg_rows=seg_rows, vectors=vectors, hist_left=hist["hist_left"])
        with torch.no_grad():
            return self.model.score(batch).float()


def pack(inputs: ViewInputs, index: np.ndarray, dim: int) -> np.ndarray:
    """The packed rows of some views of `inputs` (the input example and the tests use it)."""
    tensors = ViewTensors(inputs)
    idx = torch.as_tensor(index, dtype=torch.long)
    columns = [tensors.user_idx[idx, None], tensors.video_idx[idx, None], tensors.n_segments[idx, None],
               tensors.hist_len[idx, None]]
    columns += [getattr(tensors, f)[idx] for f in HISTORY_FIELDS]
    parts = [torch.cat(columns, dim=1).float()]
    if dim:
        seg = tensors.seg_rows[idx][:, :SEGMENT_COLUMNS]
        seg = torch.nn.functional.pad(seg, (0, SEGMENT_COLUMNS - seg.shape[1]))
        parts += [tensors.vectors[seg].reshape(len(idx), -1), tensors.vectors[tensors.hist_rows[idx]].reshape(len(idx), -1)]
    return torch.cat(parts, dim=1).numpy().astype(np.float32)


def data_key(inputs: ViewInputs) -> str:
    """What the model was trained on, coarsely: vocabularies and view counts per split."""
    text = "|".join(inputs.vocab.users) + "#" + "|".join(inputs.vocab.videos)
    text += "#" + ",".join(f"{s}:{int((inputs.split == s).sum())}" for s in sorted(set(inputs.split.tolist())))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Registered:
    name: str
    version: str
    champion_version: str
    is_champion: bool


def log_and_register(model: SkipScorer, train: ViewInputs, dim: int, modality: str,
                     valid_ndcg5: float, key: str, description: str, tags: Optional[dict] = None) -> Registered:
    """Log the PyTorch-flavour model into the active run, register a version (tagged with `tags`
    too, e.g. seed and configuration) and move `champion` to it when it beats the current champion
    on valid NDCG@5 (same data) or there is none: over several seeds the champion is the version
    with the best valid NDCG@5 (the first on ties)."""
    import mlflow
    from mlflow.models import ModelSignature
    from mlflow.types import Schema, TensorSpec

    history = int(train.hist_pos.shape[1])
    scorer = PackedScorer(model, history, dim)
    example = pack(train, np.arange(min(1, len(train))), dim)
    signature = ModelSignature(inputs=Schema([TensorSpec(np.dtype(np.float32), (-1, example.shape[1]))]),
                               outputs=Schema([TensorSpec(np.dtype(np.float32), (-1, N_SLOTS))]))
    name = registered_name(modality)
    info = mlflow.pytorch.log_model(
        scorer, name="segment_interest_model", signature=signature, input_example=example,
        pip_requirements=[f"torch=={torch.__version__.split('+')[0]}", f"mlflow=={mlflow.__version__}", "seg_pipeline"],
        registered_model_name=name, await_registration_for=0, serialization_format="pickle",  # loads seg_pipeline classes
        metadata={"input_columns": "seg_pipeline.model.logged.packed_columns(history, dim)", "history": history,
                  "dim": dim, "modality": modality})
    client = mlflow.MlflowClient()
    version = str(info.registered_model_version)
    client.update_model_version(name, version, description=description)
    for tag, value in {SCORE_TAG: repr(float(valid_ndcg5)), DATA_TAG: key, "modality": modality, **(tags or {})}.items():
        client.set_model_version_tag(name, version, tag, value)
    champion = champion_version(client, name)
    old = _score(champion) if champion is not None else float("nan")
    better = (champion is None or champion.tags.get(DATA_TAG) != key
              or (np.isfinite(valid_ndcg5) and not (np.isfinite(old) and old >= valid_ndcg5)))
    if better:
        client.set_registered_model_alias(name, CHAMPION, version)
    return Registered(name, version, version if better else str(champion.version), better)


def champion_version(client, name: str):
    """The version the `champion` alias points at, or None."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None


def _score(version) -> float:
    try:
        return float(version.tags.get(SCORE_TAG, "nan"))
    except ValueError:
        return float("nan")


def champion_run(client, modality: str) -> Optional[tuple[str, str]]:
    """(run id, version) behind models:/segment_interest_<modality>@champion, or None."""
    version = champion_version(client, registered_name(modality))
    return (version.run_id, str(version.version)) if version is not None and version.run_id else None
