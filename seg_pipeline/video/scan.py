"""Find the video files in a folder and give each its id (the file name stem, ARCHITECTURE.md).

Two files may share a stem; which of them gets the id is decided after probing
(video.inventory.resolve_ids), so an unreadable file never takes the id of a good one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from seg_pipeline.errors import ConfigError


@dataclass(frozen=True)
class Candidate:
    video_id: str
    path: Path


@dataclass
class ScanResult:
    candidates: list[Candidate] = field(default_factory=list)
    ignored: int = 0  # files whose extension is not a video extension


def normalise_extensions(extensions: Iterable[str], field_name: str = "video_source.extensions") -> tuple[str, ...]:
    out = tuple(sorted({("." + e.lstrip(".")).lower() for e in extensions if e.strip(".")}))
    if not out:
        raise ConfigError(field_name, "no file extensions given", "list at least one, e.g. ['.mp4']")
    return out


def scan_video_dir(folder: str | Path, extensions: Iterable[str], recursive: bool = False,
                   field_name: str = "video_source.video_dir") -> ScanResult:
    """Every file with a video extension (broken links included, so they get reported), sorted;
    files sharing a stem are all listed (the id is resolved after probing)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(field_name, f"{folder} is not an existing directory",
                          "point it at the folder holding the videos, or set it to 'demo' or 'none'")
    wanted = normalise_extensions(extensions)
    entries = folder.rglob("*") if recursive else folder.iterdir()
    result = ScanResult()
    for path in sorted(entries):
        if path.name.startswith("."):
            continue
        if path.suffix.lower() not in wanted:
            if not path.is_dir():
                result.ignored += 1
            continue
        result.candidates.append(Candidate(path.stem, path))
    return result
