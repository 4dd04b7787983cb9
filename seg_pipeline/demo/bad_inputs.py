"""Deliberately broken inputs, so every demo run exercises the pipeline's rejection paths.

Names say what is wrong, and world.json lists each one with the rejection it should cause.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from seg_pipeline.demo.catalog import Scene, VideoPlan
from seg_pipeline.demo.render import video_frames
from seg_pipeline.video.writer import write_mp4

UNKNOWN_VIDEO_ID = "no_such_video"


def write_broken_videos(videos_dir: Path, fps: int, height: int, width: int, seed) -> list[dict]:
    """Two truncated mp4s, a zero-byte mp4, a text file named .mp4, and a valid but too-short video."""
    videos_dir.mkdir(parents=True, exist_ok=True)

    def real_video(path: Path, seconds: float, faststart: bool = False) -> None:
        n_frames = int(seconds * fps)
        plan = VideoPlan(index=10**6, video_id=path.stem, n_frames=n_frames, fps=fps,
                         scenes=(Scene(0, n_frames, 0),), segment_topics=np.zeros(1, dtype=np.int64),
                         quality=0.0, release=0.0)
        write_mp4(path, video_frames(plan, height, width, seed), fps=fps, faststart=faststart,
                  preset="ultrafast", threads=1)

    def cut(path: Path, keep: float) -> None:
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])

    # Index first, data cut: the header promises 8 s that are not there (decord raises DECORDError
    # while reading, or a reader may silently return fewer frames).
    real_video(videos_dir / "broken_truncated.mp4", 8.0, faststart=True)
    cut(videos_dir / "broken_truncated.mp4", 0.5)
    # Index last (the writer's default), cut: the index is lost, so no decoder can open it
    # (decord raises RuntimeError).
    real_video(videos_dir / "broken_truncated_no_index.mp4", 8.0)
    cut(videos_dir / "broken_truncated_no_index.mp4", 0.5)
    (videos_dir / "broken_zero_bytes.mp4").write_bytes(b"")
    (videos_dir / "broken_not_a_video.mp4").write_text(
        "This is a text file with a video extension: the demo world plants it to test rejection.\n"
    )
    real_video(videos_dir / "out_of_scope_3s.mp4", 3.0)
    return [
        {"file": "broken_truncated.mp4", "kind": "truncated_index_intact",
         "expect": "rejected: truncated (decode error or fewer frames than the container promises)"},
        {"file": "broken_truncated_no_index.mp4", "kind": "truncated_index_lost",
         "expect": "rejected: cannot be opened (moov index missing)"},
        {"file": "broken_zero_bytes.mp4", "kind": "zero_bytes", "expect": "rejected: empty file"},
        {"file": "broken_not_a_video.mp4", "kind": "not_a_video", "expect": "rejected: not a video"},
        {"file": "out_of_scope_3s.mp4", "kind": "too_short", "expect": "rejected: duration below 5 s"},
    ]


def inject_bad_rows(log: pa.Table, rng: np.random.Generator) -> tuple[pa.Table, list[dict]]:
    """Insert five invalid rows, each right after a copy source drawn from the clean log.

    Returns the new table and, per bad row, its 0-based row number and what is wrong with it.
    """
    kinds = [
        ("exact_duplicate", "rejected: exact duplicate of the previous row"),
        ("negative_playing_time", "rejected: negative playing_time_ms"),
        ("unknown_video_id", "rejected: video id not in the videos table"),
        ("null_playing_time", "rejected: null playing_time_ms"),
        ("zero_duration", "rejected: duration_ms outside the 5-200 s scope"),
    ]
    n = log.num_rows
    sources = np.sort(rng.choice(n, size=len(kinds), replace=False))
    rows = log.to_pylist()
    out, records = [], []
    bad_after = dict(zip(sources.tolist(), kinds))
    for i, row in enumerate(rows):
        out.append(row)
        if i in bad_after:
            kind, expect = bad_after[i]
            bad = dict(row)
            if kind == "negative_playing_time":
                bad["playing_time_ms"] = -1234
            elif kind == "unknown_video_id":
                bad["video_id"] = UNKNOWN_VIDEO_ID
            elif kind == "null_playing_time":
                bad["playing_time_ms"] = None
            elif kind == "zero_duration":
                bad["duration_ms"] = 0
            records.append({"row": len(out), "kind": kind, "copy_of_clean_row": i, "expect": expect})
            out.append(bad)
    return pa.Table.from_pylist(out, schema=log.schema), records
