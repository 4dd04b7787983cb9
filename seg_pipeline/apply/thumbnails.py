"""Personalised thumbnails: the middle frame of the segment this user is predicted to like most.

Choosing and writing are separate steps: `choose_frame` is pure arithmetic on scores and stream
facts (tested by hand), `write_thumbnail` decodes that one frame with decord (PyAV for files
decord cannot open) and saves it with Pillow.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from seg_pipeline.apply.errors import ApplyError
from seg_pipeline.video.frames import FrameDecodeError, read_frames
from seg_pipeline.video.segments import plan_segments

IMAGE_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}


@dataclass(frozen=True)
class ThumbnailChoice:
    segment_idx: int
    frame_index: int
    time_s: float
    score: float


def best_segment(segment_scores: np.ndarray) -> int:
    """Index of the highest-interest real segment; ties go to the earliest (the one seen first)."""
    scores = np.asarray(segment_scores, dtype=np.float64)
    if scores.ndim != 1 or scores.size == 0 or np.isnan(scores).any():
        raise ValueError("need one non-NaN score per real segment")
    return int(np.argmax(scores))


def choose_frame(segment_scores: np.ndarray, duration_ms: int, fps: float, n_frames: int) -> ThumbnailChoice:
    """The best segment's middle frame, by the same rule the embeddings sample it (k = 1)."""
    scores = np.asarray(segment_scores, dtype=np.float64)
    plans = plan_segments(int(duration_ms), float(fps), int(n_frames), k=1)
    if len(plans) != scores.size:
        raise ValueError(f"{scores.size} scores for a video of {len(plans)} segments")
    best = best_segment(scores)
    plan = plans[best]
    return ThumbnailChoice(segment_idx=best, frame_index=int(plan.frame_indices[0]),
                           time_s=(plan.start_s + plan.end_s) / 2, score=float(scores[best]))


def image_format(out: str | Path) -> str:
    suffix = Path(out).suffix.lower()
    if suffix not in IMAGE_FORMATS:
        raise ApplyError(f"cannot tell the image format of '{out}'",
                         "end the output file name with .jpg, .jpeg or .png")
    return IMAGE_FORMATS[suffix]


def write_thumbnail(video_path: str | Path, frame_index: int, out: str | Path, decoder: str = "decord") -> Path:
    """Decode one frame and save it as JPEG or PNG (chosen by the file suffix); returns the path."""
    fmt = image_format(out)
    video_path = Path(video_path)
    if not video_path.is_file():
        raise ApplyError(f"the video file {video_path} is missing",
                         "restore the file or re-materialise raw_videos so the warehouse matches the folder")
    try:
        frame = read_frames(video_path, [int(frame_index)], decoder if decoder in ("decord", "pyav") else "decord")[0]
    except FrameDecodeError as exc:
        raise ApplyError(f"could not decode frame {frame_index} of {video_path.name} ({exc})",
                         "check the file with `ffprobe`; re-materialise raw_videos to reject broken files") from exc
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    Image.fromarray(np.ascontiguousarray(frame)).save(tmp, format=fmt)
    tmp.replace(out)
    return out
