"""The probe stage as one function: a folder in, accepted videos and rejected files out.

Nothing is dropped: every file with a video extension ends up either as a video or as a
rejection with its reason, and the two lists are what the `videos` and `video_errors` tables hold.
"""
from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import pyarrow as pa

from seg_pipeline.contract import MAX_SEGMENTS, SEGMENT_SECONDS
from seg_pipeline.errors import ConfigError
from seg_pipeline.video.probe import DECODERS, VideoInfo, VideoRejected, probe_video, scope_problem
from seg_pipeline.video.rejections import Rejection, count_by_kind
from seg_pipeline.video.scan import scan_video_dir
from seg_pipeline.video.segments import n_segments


@dataclass(frozen=True)
class AcceptedVideo:
    video_id: str
    info: VideoInfo

    @property
    def n_segments(self) -> int:
        return n_segments(self.info.duration_ms)


@dataclass
class Inventory:
    videos: list[AcceptedVideo] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    ignored_files: int = 0
    seconds: float = 0.0
    bytes_read: int = 0

    def rejections_by_kind(self) -> dict[str, int]:
        return count_by_kind(self.rejections)

    def nothing_accepted(self) -> str:
        """Why the folder gave no video, with the rejection counts."""
        if not self.rejections:
            return f"it holds no file with a video extension ({self.ignored_files} other files ignored)"
        by_kind = sorted(self.rejections_by_kind().items(), key=lambda kv: -kv[1])
        reasons = ", ".join(f"{kind} {n}" for kind, n in by_kind)
        return f"all {len(self.rejections)} video files were rejected ({reasons}); video_errors says why"

    def rejection_rows(self) -> list[dict]:
        """file, kind, reason of each rejected file, for a person."""
        return [{"file": Path(r.path).name, "kind": r.kind, "reason": r.reason} for r in self.rejections]

    def facts(self) -> dict:
        """What the probe saw and how fast, in plain numbers for a person."""
        seconds = max(self.seconds, 1e-9)
        decoders: dict[str, int] = {}
        for v in self.videos:
            decoders[v.info.decoder] = decoders.get(v.info.decoder, 0) + 1
        files = len(self.videos) + len(self.rejections)
        return {
            "files_examined": files,
            "videos": len(self.videos),
            "rejected": len(self.rejections),
            "rejected_by_kind": self.rejections_by_kind(),
            "ignored_non_video_files": self.ignored_files,
            "decoders": decoders,
            "total_video_hours": round(sum(v.info.duration_s for v in self.videos) / 3600, 4),
            "total_segments": sum(v.n_segments for v in self.videos),
            "seconds": round(self.seconds, 3),
            "videos_per_s": round(files / seconds, 2),
            "mb_per_s": round(self.bytes_read / 1e6 / seconds, 2),
        }


def check_probe_settings(min_duration_s: float, max_duration_s: float, decoder: str,
                         truncation_tolerance_s: float) -> None:
    """Fail fast on settings that would make every file look bad (or none)."""
    if not 0 <= min_duration_s < max_duration_s:
        raise ConfigError("video_source.min_duration_s / max_duration_s",
                          f"need 0 <= min < max, got {min_duration_s} and {max_duration_s}",
                          f"use e.g. {SEGMENT_SECONDS:g} and {MAX_SEGMENTS * SEGMENT_SECONDS:g} (SPEC 1)")
    if decoder not in DECODERS:
        raise ConfigError("raw_videos.config.decoder", f"unknown decoder {decoder!r}", f"use one of {DECODERS}")
    if truncation_tolerance_s < 0:
        raise ConfigError("raw_videos.config.truncation_tolerance_s", "must be >= 0", "use e.g. 0.5")


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


@dataclass(frozen=True)
class KnownVideo:
    """A video the previous run accepted (its `videos` row): the id keeps going to this content."""

    content_hash: str
    path: str


def _choose(video_id: str, contenders: list[AcceptedVideo], known: KnownVideo | None) -> tuple[AcceptedVideo, str]:
    """Which readable file gets a shared id, and the rule that chose it (said in the rejections)."""
    if known is not None:
        for v in contenders:
            if v.info.content_hash == known.content_hash:
                return v, "it has the content the previous run accepted for this id"
        for v in contenders:
            if v.info.path == known.path:
                return v, "it is the file the previous run accepted for this id (its content changed)"
    first = min(contenders, key=lambda v: v.info.path)
    return first, "no previous run accepted either, so the first path in sorted order was kept"


def resolve_ids(probed: list[AcceptedVideo],
                known: Mapping[str, KnownVideo]) -> tuple[list[AcceptedVideo], list[Rejection]]:
    """One readable file per video_id: the known content first, then the known path, then path order;
    the others are rejected as duplicate_video_id, naming both paths and the rule."""
    by_id: dict[str, list[AcceptedVideo]] = {}
    for v in probed:
        by_id.setdefault(v.video_id, []).append(v)
    kept: list[AcceptedVideo] = []
    rejected: list[Rejection] = []
    for video_id, contenders in by_id.items():
        winner, rule = _choose(video_id, contenders, known.get(video_id))
        kept.append(winner)
        for other in contenders:
            if other is not winner:
                reason = (f"video_id '{video_id}' is kept for {winner.info.path}, not {other.info.path}: {rule}; "
                          "rename one of the files to use both")
                rejected.append(Rejection(other.info.path, video_id, "duplicate_video_id", reason,
                                          other.info.size_bytes))
    kept.sort(key=lambda v: v.video_id)
    return kept, rejected


def take_inventory(folder: str | Path, extensions: Iterable[str], min_duration_s: float = SEGMENT_SECONDS,
                   max_duration_s: float = MAX_SEGMENTS * SEGMENT_SECONDS, decoder: str = "auto", recursive: bool = False,
                   truncation_tolerance_s: float = 0.5, known: Mapping[str, KnownVideo] | None = None) -> Inventory:
    """Probe every candidate file; accept readable, whole, in-scope videos, reject the rest.

    Ids are given after probing: an unreadable or out-of-scope file never claims one, and of two
    readable files with the same stem the one `known` from the previous run keeps it (resolve_ids).
    """
    check_probe_settings(min_duration_s, max_duration_s, decoder, truncation_tolerance_s)
    started = time.perf_counter()
    scan = scan_video_dir(folder, extensions, recursive=recursive)
    out = Inventory(ignored_files=scan.ignored)
    for candidate in scan.candidates:
        path = candidate.path
        try:
            info = probe_video(path, decoder=decoder, truncation_tolerance_s=truncation_tolerance_s)
        except VideoRejected as rejected:
            out.rejections.append(Rejection(str(path), candidate.video_id, rejected.kind, rejected.reason, _size(path)))
            continue
        out.bytes_read += info.size_bytes
        problem = scope_problem(info.duration_ms / 1000.0, min_duration_s, max_duration_s)
        if problem:
            out.rejections.append(Rejection(str(path), candidate.video_id, "out_of_scope", problem, info.size_bytes))
            continue
        out.videos.append(AcceptedVideo(candidate.video_id, info))
    out.videos, duplicates = resolve_ids(out.videos, known or {})
    out.rejections.extend(duplicates)
    out.rejections.sort(key=lambda r: r.path)
    out.seconds = time.perf_counter() - started
    return out


_VIDEO_SCHEMA = pa.schema([
    ("video_id", pa.string()), ("path", pa.string()), ("size_bytes", pa.int64()),
    ("content_hash", pa.string()), ("duration_ms", pa.int64()), ("n_segments", pa.int32()),
    ("fps", pa.float64()), ("width", pa.int32()), ("height", pa.int32()), ("n_frames", pa.int32()),
    ("declared_frames", pa.int32()), ("codec", pa.string()), ("decoder", pa.string()),
])

def videos_arrow(videos: list[AcceptedVideo]) -> pa.Table:
    rows = []
    for v in videos:
        info = asdict(v.info)
        rows.append({**{k: info[k] for k in ("path", "size_bytes", "content_hash", "fps", "width", "height",
                                             "n_frames", "declared_frames", "codec", "decoder")},
                     "video_id": v.video_id, "duration_ms": v.info.duration_ms, "n_segments": v.n_segments})
    return pa.Table.from_pylist(rows, schema=_VIDEO_SCHEMA)


def resolve_video_dir(video_dir: str, demo_videos_dir: Path) -> Path:
    """'demo' means the demo world's folder; anything else is a path (~ and $VARS expanded)."""
    if video_dir == "demo":
        return demo_videos_dir
    return Path(os.path.expandvars(video_dir)).expanduser().resolve()
