"""Shared fixtures: every test gets its own data root; videos are real files made on the fly."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seg_pipeline.paths import HOME_ENV_VAR, DataLayout
from seg_pipeline.video.writer import write_mp4


@pytest.fixture
def data_home(tmp_path, monkeypatch) -> DataLayout:
    """A fresh $SEG_PIPELINE_HOME for one test."""
    root = tmp_path / "seg_home"
    monkeypatch.setenv(HOME_ENV_VAR, str(root))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return DataLayout(root).ensure()


@pytest.fixture
def make_video(tmp_path):
    """make_video(name, seconds, fps=10, size=(64, 48)) -> path of a real H.264 mp4.

    Each frame's colour encodes its index so tests can check which frames were decoded.
    """

    def _make(name: str, seconds: float, fps: int = 10, size: tuple[int, int] = (64, 48),
              folder: Path | None = None) -> Path:
        width, height = size
        n_frames = int(round(seconds * fps))

        def frames():
            for i in range(n_frames):
                frame = np.zeros((height, width, 3), dtype=np.uint8)
                frame[..., 0] = i % 256
                frame[..., 1] = (i * 7) % 256
                yield frame

        return write_mp4((folder or tmp_path / "videos") / name, frames(), fps=fps)

    return _make
