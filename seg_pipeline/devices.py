"""Which device tensors live on and how many CPU threads torch uses: plain functions, no Dagster,
so the core packages and the `run_settings` resource (resources/settings.py) share one copy."""
from __future__ import annotations

import contextlib
from typing import Iterator

from seg_pipeline.errors import ConfigError

DEVICES_HELP = "auto (CUDA when present, else CPU), cpu, cuda or cuda:<index>"


def check_device(device: str, field: str = "run_settings.device") -> str:
    if device in ("auto", "cpu") or device == "cuda" or (device.startswith("cuda:") and device[5:].isdigit()):
        return device
    raise ConfigError(field, f"'{device}' is unknown", f"use {DEVICES_HELP}")


def resolve_device(device: str, field: str = "run_settings.device") -> str:
    """"auto" means CUDA when present, else CPU; an explicit CUDA request without CUDA fails fast."""
    import torch

    check_device(device, field)
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(field, f"'{device}' was requested but CUDA is not available", "use device: auto or cpu")
    return device


@contextlib.contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Use `threads` torch CPU threads inside the block (0 = leave torch's default), then restore."""
    import torch

    previous = torch.get_num_threads()
    if threads > 0:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
