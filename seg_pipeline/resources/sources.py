"""Which data a run reads: the video folder and the interaction log.

Both default to the simulated demo world, so a bare `dagster job execute` works on a fresh
machine; a run config points them at real data (see configs/).
"""
from __future__ import annotations

from typing import Literal, Optional

from dagster import ConfigurableResource
from pydantic import Field, model_validator

from seg_pipeline.contract import MAX_SEGMENTS, SEGMENT_SECONDS
from seg_pipeline.errors import ConfigError

DEMO = "demo"
MAX_DURATION_S = MAX_SEGMENTS * SEGMENT_SECONDS


class VideoSource(ConfigurableResource):
    """Where raw videos come from.

    video_dir: "demo" (the demo world's videos), a folder path, or "none" to run on IDs only
    (real logs usually come without the raw files; visual tables are then absent).
    """

    video_dir: str = DEMO
    extensions: list[str] = [".mp4", ".mkv", ".webm", ".mov", ".avi"]
    min_duration_s: float = Field(SEGMENT_SECONDS, ge=0, le=MAX_DURATION_S, description="Shorter videos (and "
                                  "views of them) are rejected as out of scope (SPEC 1: 5 s).")
    max_duration_s: float = Field(MAX_DURATION_S, ge=0, le=MAX_DURATION_S, description="Longer videos are "
                                  f"rejected; at most MAX_SEGMENTS x {SEGMENT_SECONDS:g} s (SPEC 1: 200 s).")

    @model_validator(mode="after")
    def _min_below_max(self) -> "VideoSource":
        if not self.min_duration_s < self.max_duration_s:
            raise ConfigError("video_source.min_duration_s / max_duration_s",
                              f"need min < max, got {self.min_duration_s} and {self.max_duration_s}",
                              f"use e.g. {SEGMENT_SECONDS:g} and {MAX_DURATION_S:g} (SPEC 1)")
        return self

    @property
    def enabled(self) -> bool:
        return self.video_dir.strip().lower() not in ("none", "")

    @property
    def uses_demo(self) -> bool:
        return self.video_dir == DEMO


class LogSource(ConfigurableResource):
    """Where interaction logs come from, and how their columns map onto ours.

    path: "demo" (the demo world's log) or a CSV/Parquet file (relative paths resolve against
    the current directory). format: "demo", "segmm" or "kuairand"; `columns` overrides the
    format's mapping {our_name: their_name} for other layouts.
    """

    path: str = DEMO
    format: str = DEMO
    columns: Optional[dict[str, str]] = None
    # Literal choices: Dagster checks them against its config schema when a run is launched.
    encoding: Literal["utf-8", "utf-16", "latin-1"] = Field(
        "utf-8", description="Text encoding of a CSV log; a line with bytes invalid in it is rejected as "
        "invalid_encoding (the rest of the log is read).")
    delimiter: Literal["auto", ",", ";", "|", "tab"] = Field(
        "auto", description="Field separator of a CSV log; 'auto': the one the header line uses. A line "
        "that does not split into the header's fields is rejected as malformed_line.")
    normalize_numeric_ids: bool = Field(
        False, description="Ids that read as the same number (100, 00100, 100.0, 1e2) become one id (100). "
        "Off: they stay distinct and interaction_id_collisions lists them.")

    @property
    def uses_demo(self) -> bool:
        return self.path == DEMO
