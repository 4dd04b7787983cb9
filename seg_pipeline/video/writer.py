"""Write frames to an H.264 mp4 with PyAV: the demo world and the tests make real video files."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Iterable

import av
import numpy as np


def write_mp4(path: str | Path, frames: Iterable[np.ndarray], fps: int, crf: int = 28) -> Path:
    """Encode RGB uint8 frames (H x W x 3, even H and W) as H.264 yuv420p; returns the path.

    Frames are streamed, so a long video never sits in memory at once.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = None
        for frame in frames:
            if stream is None:
                height, width = frame.shape[:2]
                if height % 2 or width % 2:
                    raise ValueError(f"H.264 yuv420p needs even frame sizes, got {width}x{height}")
                stream = container.add_stream("libx264", rate=Fraction(fps))
                stream.width, stream.height = width, height
                stream.pix_fmt = "yuv420p"
                stream.options = {"crf": str(crf), "preset": "veryfast"}
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        if stream is None:
            raise ValueError("write_mp4 needs at least one frame")
        for packet in stream.encode():
            container.mux(packet)
    return path
