"""Checkpoints that can score on their own: weights, config, id vocabularies and the encoder of
the segment vectors the model was trained on (so it refuses vectors from another encoder).

Only plain types are stored, so `torch.load(weights_only=True)` reads them safely.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import torch

from seg_pipeline.model.config import ModelConfig
from seg_pipeline.model.inputs import Vocab
from seg_pipeline.model.architectures import build_network
from seg_pipeline.model.network import SkipScorer

FORMAT_VERSION = 1


def save_checkpoint(
    path: str | os.PathLike,
    model: SkipScorer,
    vocab: Vocab,
    vector_dim: int,
    vector_encoder: Optional[tuple[str, str]],
    summary: Optional[dict] = None,
) -> Path:
    """Write atomically (temp file + rename) so a crash never leaves a half-written best.pt."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format_version": FORMAT_VERSION,
        "config": model.config.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "users": list(vocab.users),
        "videos": list(vocab.videos),
        "vector_dim": int(vector_dim),
        "vector_model": vector_encoder[0] if vector_encoder else None,
        "vector_weights": vector_encoder[1] if vector_encoder else None,
        "summary": dict(summary or {}),
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | os.PathLike, device: str = "cpu") -> tuple[SkipScorer, Vocab, dict]:
    """(model in eval mode on `device`, vocabularies, the rest of the stored fields)."""
    payload = torch.load(Path(path), map_location="cpu", weights_only=True)
    if payload.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: checkpoint format {payload.get('format_version')} is not {FORMAT_VERSION}; retrain")
    config = ModelConfig.from_dict(payload["config"])
    vocab = Vocab(users=tuple(payload["users"]), videos=tuple(payload["videos"]))
    model = build_network(config, vocab.n_users, vocab.n_videos, payload["vector_dim"])
    model.load_state_dict(payload["state_dict"])
    model.to(device).eval()
    meta = {k: v for k, v in payload.items() if k not in ("state_dict", "users", "videos")}
    return model, vocab, meta
