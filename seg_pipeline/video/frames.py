"""Decode only the sampled frames of a video, in one batched call.

decord's `get_batch` seeks to the nearest keyframe before each requested index and decodes
forward from there, so a 60-s video sampled at 12 points decodes a fraction of its frames;
decoding every frame in Python and keeping a few is the slow baseline (benchmarks/bench_decode.py).
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import av
import decord
import numpy as np


class FrameDecodeError(Exception):
    """The sampled frames could not be read; the message says which decoder failed and how."""


def read_frames(path: str | Path, indices: Sequence[int], decoder: str = "decord") -> np.ndarray:
    """RGB uint8 frames (len(indices), H, W, 3) in the order asked, duplicates allowed."""
    if len(indices) == 0:
        raise ValueError("read_frames needs at least one frame index")
    if decoder == "decord":
        return _read_decord(Path(path), indices)
    if decoder == "pyav":
        return _read_pyav(Path(path), indices)
    raise ValueError(f"unknown decoder {decoder!r}")


def _read_decord(path: Path, indices: Sequence[int]) -> np.ndarray:
    try:
        # num_threads=1: decord's multi-threaded decoding is unsafe for some codecs (VP9 needs <= 2).
        reader = decord.VideoReader(str(path), num_threads=1)
        return reader.get_batch(list(indices)).asnumpy()
    except (decord.DECORDError, RuntimeError, IndexError) as exc:
        raise FrameDecodeError(f"decord could not read frames {list(indices)[:8]}...: {exc}") from exc


def _read_pyav(path: Path, indices: Sequence[int]) -> np.ndarray:
    """Fallback for files decord cannot open: one forward pass that keeps the wanted frames."""
    wanted = set(int(i) for i in indices)
    kept: dict[int, np.ndarray] = {}
    try:
        with av.open(str(path)) as container:
            for position, frame in enumerate(container.decode(video=0)):
                if position in wanted:
                    kept[position] = frame.to_ndarray(format="rgb24")
                    if len(kept) == len(wanted):
                        break
    except (av.error.FFmpegError, OSError) as exc:
        raise FrameDecodeError(f"pyav could not decode {path.name}: {exc}") from exc
    missing = sorted(i for i in wanted if i not in kept)
    if missing:
        raise FrameDecodeError(f"pyav found no frames {missing[:8]} in {path.name}")
    return np.stack([kept[int(i)] for i in indices])
