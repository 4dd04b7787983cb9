"""Write frames to an H.264 mp4 with PyAV: the demo world and the tests make real video files."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Iterable

import av
import numpy as np


# Encoder options per codec: libx264 is the default; libsvtav1 makes AV1 files, which decord
# cannot open, so tests can exercise the PyAV fallback with a real file.
_CODEC_OPTIONS = {
    "libx264": lambda crf: {"crf": str(crf), "preset": "veryfast"},
    "libsvtav1": lambda crf: {"crf": str(crf), "preset": "12"},
}


def write_mp4(
    path: str | Path,
    frames: Iterable[np.ndarray],
    fps: int,
    crf: int = 28,
    codec: str = "libx264",
    faststart: bool = False,
    preset: str | None = None,
    threads: int = 0,
    keyframe_interval: int | None = None,
) -> Path:
    """Encode RGB uint8 frames (H x W x 3, even H and W) as yuv420p (H.264 by default); returns the path.

    Frames are streamed, so a long video never sits in memory at once. `faststart` puts the
    container index (moov) before the data, as web-ready files do; such a file cut short still
    opens and silently yields fewer frames, the case the probe must catch. `preset` overrides
    the codec's speed preset (the demo world uses "ultrafast": ~3x less CPU per frame than
    "veryfast" at 160x120); `threads` is the encoder's thread count (0 = codec default; 1 is
    cheapest for tiny frames when the caller already encodes several files in parallel).
    `keyframe_interval` (frames between keyframes, the GOP length) bounds how far a seek must
    decode; None keeps the codec default (250 for libx264).
    """
    if codec not in _CODEC_OPTIONS:
        raise ValueError(f"unsupported codec {codec!r}; use one of {sorted(_CODEC_OPTIONS)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), mode="w", options=options) as container:
        stream = None
        for frame in frames:
            if stream is None:
                height, width = frame.shape[:2]
                if height % 2 or width % 2:
                    raise ValueError(f"H.264 yuv420p needs even frame sizes, got {width}x{height}")
                stream = container.add_stream(codec, rate=Fraction(fps))
                stream.width, stream.height = width, height
                stream.pix_fmt = "yuv420p"
                codec_options = _CODEC_OPTIONS[codec](crf)
                if preset is not None:
                    codec_options["preset"] = preset
                stream.options = codec_options
                if threads:
                    stream.codec_context.thread_count = threads
                if keyframe_interval:
                    stream.codec_context.gop_size = int(keyframe_interval)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        if stream is None:
            raise ValueError("write_mp4 needs at least one frame")
        for packet in stream.encode():
            container.mux(packet)
    return path
