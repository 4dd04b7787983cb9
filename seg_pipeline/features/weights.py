"""Where the encoder's weights come from, and a fingerprint that says exactly which weights ran.

`weights` is one of: "none" (seeded random init, recorded as "random" so nobody mistakes it for a
trained encoder), an open_clip pretrained tag ("openai", "laion2b_s34b_b79k", ...), a checkpoint
file (.pt/.pth/.bin/.safetensors), or "local-dir:PATH" (a folder with open_clip_config.json and a
checkpoint). A tag that is not already cached needs the network; offline, open_clip would retry
for ~45 s before failing, so that case is detected up front and reported against the config field.
"""
from __future__ import annotations

import hashlib
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import open_clip
import torch
from open_clip.constants import HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME

from seg_pipeline.errors import ConfigError
from seg_pipeline.features.models import LOCAL_DIR_PREFIX

RANDOM = "random"
RANDOM_SEED = 0
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors", ".npz")
_NETWORK_PROBE = ("huggingface.co", 443)
_NETWORK_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class WeightsChoice:
    """How to build the model: `weights_id` is recorded on every row, `create_args` go to open_clip."""

    kind: str  # "random" | "tag" | "file" | "local_dir"
    weights_id: str
    create_args: dict[str, Any] = field(default_factory=dict)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def network_unavailable() -> str | None:
    """Why downloads cannot work (HF_HUB_OFFLINE set, or the hub unreachable), else None."""
    if _truthy(os.environ.get("HF_HUB_OFFLINE")) or _truthy(os.environ.get("TRANSFORMERS_OFFLINE")):
        return "HF_HUB_OFFLINE is set"
    outcome: list[str] = []

    def probe() -> None:
        try:
            socket.create_connection(_NETWORK_PROBE, timeout=_NETWORK_TIMEOUT_S).close()
            outcome.append("")
        except OSError as exc:
            outcome.append(str(exc) or type(exc).__name__)

    # A thread bounds the wait: name resolution ignores the socket timeout.
    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(_NETWORK_TIMEOUT_S + 0.5)
    if not outcome:
        return f"{_NETWORK_PROBE[0]} did not answer within {_NETWORK_TIMEOUT_S:g} s"
    return f"{_NETWORK_PROBE[0]} is unreachable ({outcome[0]})" if outcome[0] else None


def cached_tag_file(pretrained_cfg: dict) -> str | None:
    """The local file open_clip would download for this tag, if a previous download left it."""
    hub = pretrained_cfg.get("hf_hub", "")
    if hub:
        from huggingface_hub import try_to_load_from_cache

        # "org/repo/" means the default file names; "org/repo/file.bin" names one (open_clip's rule).
        repo_id, filename = os.path.split(hub)
        names = [filename] if filename else [HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME]
        if filename.endswith((".bin", ".pth")):
            names.insert(0, filename[:-4] + ".safetensors")
        for name in names:
            found = try_to_load_from_cache(repo_id, name)
            if isinstance(found, str) and os.path.isfile(found):
                return found
    url = pretrained_cfg.get("url", "")
    if url:
        candidate = Path("~/.cache/clip").expanduser() / os.path.basename(url)
        if candidate.is_file():
            return str(candidate)
    return None


def _tag_preprocess(pretrained_cfg: dict) -> dict[str, Any]:
    """The tag's own preprocessing (mean/std/interpolation), kept when loading its file directly."""
    args: dict[str, Any] = {}
    for ours, theirs in (("image_mean", "mean"), ("image_std", "std"),
                         ("image_interpolation", "interpolation"), ("image_resize_mode", "resize_mode")):
        if pretrained_cfg.get(theirs) is not None:
            args[ours] = pretrained_cfg[theirs]
    if pretrained_cfg.get("quick_gelu"):
        args["force_quick_gelu"] = True
    return args


def resolve_weights(model: str, weights: str, field: str = "segment_embeddings.config.weights") -> WeightsChoice:
    """Turn the `weights` setting into open_clip arguments, failing fast on anything unusable."""
    value = (weights or "").strip()
    fix_any = ("use 'none' (random init), an open_clip tag, a local checkpoint path "
               "(.pt/.safetensors), or local-dir:PATH")
    if value.lower() in ("none", RANDOM, ""):
        return WeightsChoice("random", RANDOM, {"model_name": model})
    if value.startswith(LOCAL_DIR_PREFIX):
        folder = Path(value[len(LOCAL_DIR_PREFIX):]).expanduser().resolve()
        if not (folder / "open_clip_config.json").is_file():
            raise ConfigError(field, f"{folder} has no open_clip_config.json",
                              "point local-dir: at a folder saved by open_clip (config + checkpoint)")
        return WeightsChoice("local_dir", f"{LOCAL_DIR_PREFIX}{folder}", {"model_name": f"{LOCAL_DIR_PREFIX}{folder}"})
    if value.lower().endswith(CHECKPOINT_SUFFIXES) or os.sep in value:
        path = Path(value).expanduser().resolve()
        if not path.is_file():
            raise ConfigError(field, f"no checkpoint file at {path}", fix_any)
        return WeightsChoice("file", str(path), {"model_name": model, "pretrained": str(path)})
    pretrained_cfg = open_clip.get_pretrained_cfg(model.replace("/", "-"), value)
    if not pretrained_cfg:
        tags = open_clip.list_pretrained_tags_by_model(model.replace("/", "-"))
        raise ConfigError(field, f"{value!r} is not a pretrained tag of {model!r} nor an existing file",
                          f"{fix_any}; tags for this model: {tags or 'none'}")
    cached = cached_tag_file(pretrained_cfg)
    if cached:
        return WeightsChoice("tag", value, {"model_name": model, "pretrained": cached,
                                            **_tag_preprocess(pretrained_cfg)})
    offline = network_unavailable()
    if offline:
        raise ConfigError(
            field,
            f"pretrained tag {value!r} for {model!r} is not in the local cache and downloads cannot work "
            f"({offline})",
            "download it once where a network exists (it is then cached), or set weights to a local "
            "checkpoint file or local-dir:PATH, or to 'none' for random init",
        )
    return WeightsChoice("tag", value, {"model_name": model, "pretrained": value})


def state_fingerprint(module: torch.nn.Module) -> str:
    """SHA-256 over parameter names, dtypes, shapes and bytes: equal fingerprints, equal weights."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        data = tensor.detach().cpu().contiguous()
        digest.update(f"{name}|{data.dtype}|{tuple(data.shape)}|".encode())
        digest.update(data.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()
