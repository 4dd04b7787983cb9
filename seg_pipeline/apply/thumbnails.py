"""Personalised thumbnails: the middle frame of the segment this user is predicted to like most.

Choosing and writing are separate steps: `choose_frame` is pure arithmetic on scores and stream
facts (tested by hand), `write_thumbnail` decodes that one frame with decord (PyAV for files
decord cannot open) and saves it with Pillow. `batch_thumbnails` does both for a scored batch
(the `user_thumbnails` asset), `thumbnail_file_problems` checks the files it listed.
"""
from __future__ import annotations

import base64
import io
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from PIL import Image

from seg_pipeline.apply.batch import BatchResult, BatchScores, BatchSpec, rejected_frame, score_batch
from seg_pipeline.apply.errors import ApplyError
from seg_pipeline.apply.scoring import PairScore, Rejected
from seg_pipeline.errors import ConfigError
from seg_pipeline.paths import DataLayout
from seg_pipeline.video.frames import FrameDecodeError, read_frames
from seg_pipeline.video.segments import plan_segments

IMAGE_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}
THUMBNAIL_COLUMNS = ["view_id", "user_id", "video_id", "segment_idx", "start_s", "end_s", "frame_index",
                     "time_s", "score", "path", "width", "height", "history_views", "fallback", "modality",
                     "mlflow_run_id"]
NO_VIDEOS = "no videos in this run (video_source.video_dir is 'none' or no video was readable): no thumbnails written"
PREVIEW_PIXELS = 160  # longest side of the previews shown in asset metadata


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


def thumbnail_dir(layout: DataLayout) -> Path:
    return layout.outputs_dir / "thumbnails"


def safe_name(text: str) -> str:
    """A file-name-safe rendering of an id (ids come from logs and may hold anything)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", str(text))[:80] or "_"


def image_suffix(image_format: str, field: str = "image_format") -> str:
    suffix = "." + image_format.lower().lstrip(".")
    if suffix not in IMAGE_FORMATS:
        raise ConfigError(field, f"'{image_format}' is not supported", "use jpg or png")
    return suffix


def thumbnail_rows(scored: Sequence[PairScore], out_dir: Path, suffix: str = ".jpg") -> tuple[pd.DataFrame, list[Rejected]]:
    """Write one thumbnail per scored pair; pairs without a readable file are rejected, not lost."""
    rows, rejected = [], []
    for s in scored:
        request = s.context.request
        if not s.video.has_file:
            rejected.append(Rejected(request, f"video '{s.video_id}' has no readable file in `videos` "
                                              "(see video_errors): nothing to take a frame from"))
            continue
        choice = choose_frame(s.interest, s.video.duration_ms, s.video.fps, s.video.n_frames)
        name = f"{safe_name(s.user_id)}__{safe_name(s.video_id)}__{s.view_id}{suffix}"
        try:
            path = write_thumbnail(s.video.path, choice.frame_index, out_dir / name, s.video.decoder or "decord")
        except ApplyError as exc:
            rejected.append(Rejected(request, exc.problem))
            continue
        with Image.open(path) as image:
            width, height = image.size
        start_s, end_s = s.segment_bounds()[choice.segment_idx]
        rows.append((s.view_id, s.user_id, s.video_id, choice.segment_idx, start_s, end_s, choice.frame_index,
                     choice.time_s, choice.score, str(path), width, height, s.context.history_views, s.fallback,
                     s.modality, s.mlflow_run_id))
    return pd.DataFrame(rows, columns=THUMBNAIL_COLUMNS), rejected


def batch_thumbnails(layout: DataLayout, spec: BatchSpec, image_format: str = "jpg", videos_available: bool = True,
                     device: str = "cpu") -> BatchResult:
    """Score the batch and write each pair's thumbnail under outputs/thumbnails/, emptied first (stale
    images of an earlier batch would look like current output)."""
    suffix = image_suffix(image_format)
    out_dir = thumbnail_dir(layout)
    if out_dir.is_dir():
        shutil.rmtree(out_dir)
    scores = score_batch(layout, spec, device) if videos_available else BatchScores(0, [], [], NO_VIDEOS)
    rows, rejected = thumbnail_rows(scores.scored, out_dir, suffix)
    return BatchResult(scores, rows, rejected_frame(scores.rejected + rejected))


def thumbnail_file_problems(listed: pd.DataFrame) -> list[str]:
    """What is wrong with listed thumbnails (rows of sql/checks/user_thumbnail_frames.sql): a missing
    file, an image not of its video's frame size, a frame not on screen inside its segment."""
    problems = []
    for row in listed.itertuples():
        path = Path(row.path)
        if not path.is_file():
            problems.append(f"{path.name}: missing")
            continue
        with Image.open(path) as image:
            if (image.width, image.height) != (row.vw, row.vh):
                problems.append(f"{path.name}: {image.width}x{image.height}, video is {row.vw}x{row.vh}")
        shown_from, shown_to = row.frame_index / row.fps, (row.frame_index + 1) / row.fps
        if not (shown_from < row.end_s and shown_to > row.start_s):
            problems.append(f"{path.name}: frame {row.frame_index} lies outside segment {row.segment_idx}")
    return problems


def preview_markdown(rows: pd.DataFrame, limit: int = 4) -> str:
    """The first `limit` thumbnails as small inline JPEGs (Markdown images with data: URIs)."""
    images = []
    for row in rows.head(limit).itertuples():
        with Image.open(row.path) as image:
            small = image.convert("RGB")
            small.thumbnail((PREVIEW_PIXELS, PREVIEW_PIXELS))
        buffer = io.BytesIO()
        small.save(buffer, format="JPEG", quality=75)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        images.append(f"![user {row.user_id}, video {row.video_id}, segment {row.segment_idx}]"
                      f"(data:image/jpeg;base64,{data})")
    return " ".join(images)
