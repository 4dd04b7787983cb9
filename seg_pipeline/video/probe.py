"""Probe one video file: identity (content hash), stream facts, and whether it is whole.

A file that cannot be trusted raises `VideoRejected` with a short `kind` and a sentence a user can
act on; the caller records it instead of dropping the file. Decord is the reader the pipeline
samples frames with, so it is asked first; PyAV (the same FFmpeg, a different wrapper) reads the
container's own declarations and is the fallback for files decord cannot open (AV1, for one).
"""
from __future__ import annotations

import hashlib
import math
import stat
from dataclasses import dataclass
from pathlib import Path

import av
import decord

DECODERS = ("auto", "decord", "pyav")
_HASH_CHUNK = 1 << 20
# Magic bytes of the containers we accept: a file that starts like a video but cannot be opened
# is "corrupt" (usually cut short), anything else is "not_a_video".
_CONTAINER_MAGIC = (b"ftyp", b"\x1a\x45\xdf\xa3", b"RIFF", b"moov", b"mdat", b"free", b"wide")


class VideoRejected(Exception):
    """A file that cannot enter the pipeline: `kind` groups reasons, the message explains."""

    def __init__(self, kind: str, reason: str):
        self.kind = kind
        self.reason = reason
        super().__init__(f"{kind}: {reason}")


@dataclass(frozen=True)
class VideoInfo:
    """What later stages need to know about a readable video, without reopening it."""

    path: str
    size_bytes: int
    content_hash: str
    n_frames: int
    fps: float
    width: int
    height: int
    codec: str
    decoder: str
    declared_frames: int | None  # what the container says; None when it does not say

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fps

    @property
    def duration_ms(self) -> int:
        return int(round(self.n_frames * 1000.0 / self.fps))


def content_hash(path: Path) -> str:
    """SHA-256 of the file bytes: the cache key that survives renames and moves."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


@dataclass(frozen=True)
class _StreamFacts:
    n_frames: int
    fps: float
    width: int
    height: int
    codec: str
    declared_frames: int | None


def _declared_frames(container: av.container.InputContainer, stream, fps: float) -> int | None:
    """Frames the container claims: the sample count if stored, else duration x rate."""
    if stream.frames:
        return int(stream.frames)
    if stream.duration and stream.time_base:
        return int(round(float(stream.duration * stream.time_base) * fps))
    if container.duration:
        return int(round(container.duration / 1_000_000 * fps))
    return None


def _pyav_facts(path: Path, count_frames: bool) -> _StreamFacts:
    """Container declarations via PyAV; with count_frames, also count the packets actually there."""
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise VideoRejected("not_a_video", "the file has no video stream")
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 0)
        if fps <= 0:
            raise VideoRejected("corrupt", "the video stream declares no frame rate")
        declared = _declared_frames(container, stream, fps)
        counted = 0
        if count_frames:
            # Demuxing reads packets without decoding them: cheap, and a cut-short file has fewer.
            for packet in container.demux(stream):
                if packet.size:
                    counted += 1
        ctx = stream.codec_context
        return _StreamFacts(counted, fps, int(ctx.width), int(ctx.height), ctx.name, declared)


def _decord_facts(path: Path) -> _StreamFacts:
    """Frame count, rate and size as decord reads them, and proof that the last frame decodes."""
    reader = decord.VideoReader(str(path), num_threads=1)
    n_frames = len(reader)
    if n_frames == 0:
        raise VideoRejected("corrupt", "decord found no frames")
    last = reader.get_batch([n_frames - 1]).asnumpy()
    height, width = int(last.shape[1]), int(last.shape[2])
    return _StreamFacts(n_frames, float(reader.get_avg_fps()), width, height, "", None)


def _looks_like_container(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(12)
    return any(magic in head for magic in _CONTAINER_MAGIC)


def _unreadable(path: Path, errors: list[str], no_video_stream: bool) -> VideoRejected:
    kind = "corrupt" if _looks_like_container(path) and not no_video_stream else "not_a_video"
    what = ("starts like a video container but no decoder can open it (cut short or damaged)"
            if kind == "corrupt" else "is not a video any decoder can open")
    return VideoRejected(kind, f"the file {what}: " + "; ".join(errors))


def probe_video(path: str | Path, decoder: str = "auto", truncation_tolerance_s: float = 0.5) -> VideoInfo:
    """Facts about one file, or VideoRejected saying why it cannot be used.

    decoder: "auto" (decord, falling back to PyAV), "decord" or "pyav".
    A file whose readable frames fall short of the container's declared length by more than
    `truncation_tolerance_s` is rejected as truncated: decord would otherwise read it silently short.
    """
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise VideoRejected("unreadable_path", f"cannot stat the path: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise VideoRejected("unreadable_path", "not a regular file")
    if info.st_size == 0:
        raise VideoRejected("empty_file", "the file is empty (0 bytes)")
    try:
        digest = content_hash(path)
    except OSError as exc:
        raise VideoRejected("unreadable_path", f"cannot read the file: {exc.strerror or exc}") from exc

    errors: list[str] = []
    container: _StreamFacts | None = None
    no_video_stream = False
    try:
        # Demuxing counts the packets really present without decoding them (cheap).
        container = _pyav_facts(path, count_frames=True)
    except VideoRejected as rejected:
        errors.append(f"pyav: {rejected.reason}")
        no_video_stream = rejected.kind == "not_a_video"
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        errors.append(f"pyav: {_first_line(exc)}")

    facts: _StreamFacts | None = None
    used = ""
    if decoder in ("auto", "decord"):
        try:
            facts, used = _decord_facts(path), "decord"
        except VideoRejected as rejected:
            errors.append(f"decord: {rejected.reason}")
        except (decord.DECORDError, RuntimeError, IndexError, ValueError) as exc:
            # decord raises its own DECORDError for some failures and RuntimeError for others.
            errors.append(f"decord: {_first_line(exc)}")
    if facts is None and decoder in ("auto", "pyav") and container is not None:
        if container.n_frames > 0:
            facts, used = container, "pyav"
        else:
            errors.append("pyav: no video packets in the file")
    if facts is None:
        raise _unreadable(path, errors, no_video_stream)

    declared = container.declared_frames if container is not None else None
    codec = container.codec if container is not None else facts.codec
    if facts.fps <= 0 or not math.isfinite(facts.fps):
        raise VideoRejected("corrupt", f"{used} reports an invalid frame rate {facts.fps}")
    if declared is not None:
        missing = declared - facts.n_frames
        if missing > max(1, truncation_tolerance_s * facts.fps):
            raise VideoRejected(
                "truncated",
                f"{used} reads {facts.n_frames} frames ({facts.n_frames / facts.fps:.2f} s) but the "
                f"container declares {declared} ({declared / facts.fps:.2f} s): the file is cut short"
                + (f" ({'; '.join(errors)})" if errors else ""),
            )
    return VideoInfo(
        path=str(path),
        size_bytes=int(info.st_size),
        content_hash=digest,
        n_frames=facts.n_frames,
        fps=facts.fps,
        width=facts.width,
        height=facts.height,
        codec=codec,
        decoder=used,
        declared_frames=declared,
    )


def scope_problem(duration_s: float, min_duration_s: float, max_duration_s: float) -> str | None:
    """Why a duration is out of scope (SPEC 1: 5-200 s by default, bounds inclusive), or None."""
    if duration_s < min_duration_s:
        return f"duration {duration_s:.2f} s is shorter than the minimum {min_duration_s:g} s (video_source.min_duration_s)"
    if duration_s > max_duration_s:
        return f"duration {duration_s:.2f} s is longer than the maximum {max_duration_s:g} s (video_source.max_duration_s)"
    return None
