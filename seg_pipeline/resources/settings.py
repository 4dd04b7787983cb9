"""Run settings every compute stage shares: which device and how many CPU threads.

One configurable resource instead of a `device` / `threads` field per stage, so a run config says
it once (`resources: run_settings: config: {device: cuda}`) and every stage follows.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

from dagster import ConfigurableResource
from pydantic import Field

from seg_pipeline.errors import ConfigError

DEVICES_HELP = "auto (CUDA when present, else CPU), cpu, cuda or cuda:<index>"


def check_device(device: str) -> str:
    if device in ("auto", "cpu") or device == "cuda" or (device.startswith("cuda:") and device[5:].isdigit()):
        return device
    raise ConfigError("run_settings.device", f"'{device}' is unknown", f"use {DEVICES_HELP}")


def resolve_device(device: str) -> str:
    """"auto" means CUDA when present, else CPU; an explicit CUDA request without CUDA fails fast."""
    import torch

    check_device(device)
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("run_settings.device", f"'{device}' was requested but CUDA is not available",
                          "use device: auto or cpu")
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


class RunSettings(ConfigurableResource):
    """Where tensors live and how many CPU threads torch may use, for every stage of the run."""

    device: str = Field(default="auto", description=f"Where encoders and models run: {DEVICES_HELP}.")
    threads: int = Field(default=1, ge=0, description="torch CPU threads while a stage computes "
                         "(0 = torch's default; 1 avoids thrashing on a small shared machine).")

    def resolved_device(self) -> str:
        return resolve_device(self.device)

    def torch_threads(self):
        return torch_threads(self.threads)
