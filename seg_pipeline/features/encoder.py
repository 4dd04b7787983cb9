"""The CLIP image encoder: open_clip's vision tower, its own preprocessing, unit-length outputs.

Only the vision tower is kept (image embeddings never touch the text tower), and the fingerprint
covers exactly that tower, so two checkpoints that differ only in text weights share a cache.
"""
from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

import numpy as np
import open_clip
import torch
import torch.nn.functional as F

from seg_pipeline.devices import resolve_device
from seg_pipeline.errors import ConfigError
from seg_pipeline.features.models import TINY_MODEL, check_model_name, register_local_configs
from seg_pipeline.features.weights import RANDOM_SEED, WeightsChoice, resolve_weights, state_fingerprint


@dataclass(frozen=True)
class EncoderSettings:
    """model: an open_clip architecture; weights: "none" (seeded random init), an open_clip tag, a
    checkpoint file or "local-dir:PATH"; device: as RunSettings.device (CUDA runs in float16)."""

    model: str = TINY_MODEL
    weights: str = "none"
    device: str = "auto"
    batch_size: int = 64


class ImageEncoder:
    """encode(frames) -> (n, d) float32 rows of unit L2 norm; prepare + encode_prepared for batching."""

    def __init__(self, visual: torch.nn.Module, preprocess, device: torch.device, half: bool,
                 model_name: str, weights: WeightsChoice, fingerprint: str, dim: int):
        self.visual = visual.eval()
        self.preprocess = preprocess
        self.device = device
        self.half = half
        self.model_name = model_name
        self.weights_id = weights.weights_id
        self.weights_kind = weights.kind
        self.fingerprint = fingerprint
        self.dim = dim

    @property
    def precision(self) -> str:
        return "float16" if self.half else "float32"

    @property
    def device_label(self) -> str:
        """The device as a person wants to read it: the GPU's name, or the CPU threads in use."""
        if self.device.type == "cuda":
            return f"{self.device} ({torch.cuda.get_device_name(self.device)})"
        return f"cpu ({torch.get_num_threads()} threads)"

    def _autocast(self):
        if self.half:
            return torch.autocast(device_type=self.device.type, dtype=torch.float16)
        return contextlib.nullcontext()

    @torch.inference_mode()
    def prepare(self, frames: np.ndarray) -> torch.Tensor:
        """RGB uint8 frames (n, H, W, 3) of any size -> model-ready (n, 3, S, S) on the device."""
        x = torch.from_numpy(np.ascontiguousarray(frames)).to(self.device, non_blocking=True)
        x = x.permute(0, 3, 1, 2).float().div_(255.0)
        # open_clip's eval transform (resize, centre crop, normalise) accepts float tensors in [0, 1].
        return self.preprocess(x)

    @torch.inference_mode()
    def encode_prepared(self, x: torch.Tensor) -> np.ndarray:
        """Prepared images -> (n, d) float32 unit rows."""
        with self._autocast():
            out = self.visual(x)
        return F.normalize(out.float(), dim=-1).cpu().numpy()

    def encode(self, frames: np.ndarray) -> np.ndarray:
        """RGB uint8 frames (n, H, W, 3) -> (n, d) float32 embeddings of unit L2 norm."""
        if len(frames) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.encode_prepared(self.prepare(frames))


def load_encoder(settings: EncoderSettings, field_prefix: str = "segment_embeddings.config.") -> ImageEncoder:
    """Build the encoder named by the settings; every bad setting fails here, naming its field."""
    if not isinstance(settings.batch_size, int) or settings.batch_size < 1:
        raise ConfigError(f"{field_prefix}batch_size", f"must be >= 1, got {settings.batch_size!r}",
                          "use e.g. 64 on CPU or 256 on a GPU")
    register_local_configs()
    device = torch.device(resolve_device(settings.device))
    half = device.type == "cuda"
    weights = resolve_weights(settings.model, settings.weights, f"{field_prefix}weights")
    if weights.kind != "local_dir":
        check_model_name(settings.model, f"{field_prefix}model")
    model_name = weights.create_args["model_name"]
    try:
        # Seeded so that weights "none" gives the same encoder (and fingerprint) on every run;
        # fork_rng keeps the caller's random state untouched.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(RANDOM_SEED)
            model, _, preprocess = open_clip.create_model_and_transforms(**weights.create_args, device="cpu")
    except (RuntimeError, ValueError, KeyError, FileNotFoundError) as exc:
        raise ConfigError(f"{field_prefix}weights",
                          f"could not load {settings.weights!r} into {settings.model!r}: {str(exc)[:300]}",
                          "check that the checkpoint was saved for this architecture") from exc
    visual = model.visual
    del model
    fingerprint = state_fingerprint(visual)
    dim = int(visual.output_dim) if hasattr(visual, "output_dim") else int(
        visual(torch.zeros(1, 3, *_image_size(visual))).shape[-1])
    logging.getLogger(__name__).info("encoder %s weights=%s fingerprint=%s on %s", model_name,
                                     weights.weights_id, fingerprint[:12], device)
    recorded_model = settings.model if weights.kind != "local_dir" else weights.weights_id
    return ImageEncoder(visual.to(device), preprocess, device, half, recorded_model, weights, fingerprint, dim)


def _image_size(visual: torch.nn.Module) -> tuple[int, int]:
    size = getattr(visual, "image_size", 224)
    return (size, size) if isinstance(size, int) else tuple(size)
