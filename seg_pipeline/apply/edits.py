"""Editing suggestions: contiguous runs of low-interest segments in one (user, video) pair.

"Low" is relative to the video's own scores, because interest scores have no absolute scale
(each model, modality and user shifts them). Over the N real segments (the end slot is not
content, so it takes no part), with m the median and t the `low_quantile` quantile (linear
interpolation, numpy's default) of the N scores, segment i is low when

    score_i <= t   and   score_i < m - margin.

The first condition keeps suggestions to the bottom of the video; the second means a flat video
(every score equal, or a one-segment video) gets no suggestion at all, and `margin` (in score
units, default 0) asks for a clearer gap. Maximal runs of consecutive low segments become spans;
spans shorter than `min_segments` segments are dropped. A span covers [t first, min(t (last + 1),
duration)) seconds with t = SEGMENT_SECONDS, the same segment boundaries as the rest of the
pipeline (SPEC 1). `batch_suggestions` applies the rule to a scored batch (the
`editing_suggestions` asset).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from seg_pipeline.apply.batch import BatchResult, BatchSpec, rejected_frame, score_batch
from seg_pipeline.apply.scoring import PairScore
from seg_pipeline.contract import SEGMENT_SECONDS
from seg_pipeline.errors import ConfigError
from seg_pipeline.paths import DataLayout

SUGGESTION_COLUMNS = ["view_id", "user_id", "video_id", "span_idx", "first_segment", "last_segment", "start_s",
                      "end_s", "seconds", "mean_score", "leave_probability", "n_segments", "duration_s",
                      "history_views", "fallback", "modality", "mlflow_run_id"]


@dataclass(frozen=True)
class EditRule:
    """The knobs of the definition above, validated so a typo fails before any scoring."""

    low_quantile: float = 0.25
    margin: float = 0.0
    min_segments: int = 1

    def validate(self, prefix: str = "") -> "EditRule":
        if not 0.0 < self.low_quantile <= 1.0:
            raise ConfigError(f"{prefix}low_quantile", f"{self.low_quantile} is outside (0, 1]",
                              "use e.g. 0.25 (the bottom quarter of the video's segments)")
        if self.margin < 0.0:
            raise ConfigError(f"{prefix}margin", f"{self.margin} is negative",
                              "use 0 or a positive gap below the median, in score units")
        if self.min_segments < 1:
            raise ConfigError(f"{prefix}min_segments", f"{self.min_segments} is below 1",
                              f"use 1 or more {SEGMENT_SECONDS:g}-s segments")
        return self

    def params(self) -> dict:
        """The rule as bound parameters of sql/editing_suggestions.sql (each row says how it was found)."""
        return asdict(self)


@dataclass(frozen=True)
class Span:
    """One suggested cut: segments first..last (inclusive) and their time range in seconds."""

    first_segment: int
    last_segment: int
    start_s: float
    end_s: float
    mean_score: float
    leave_probability: float  # predicted P(the viewer leaves inside the span), NaN if not given

    @property
    def seconds(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict:
        return {**asdict(self), "seconds": self.seconds}


def low_interest_mask(segment_scores: np.ndarray, rule: EditRule = EditRule()) -> np.ndarray:
    """bool (N,): which real segments are low under `rule` (see the module docstring)."""
    scores = np.asarray(segment_scores, dtype=np.float64)
    if scores.ndim != 1 or scores.size == 0:
        raise ValueError(f"need the scores of at least one segment as a 1-d array, got shape {scores.shape}")
    if np.isnan(scores).any():
        raise ValueError("segment scores must not be NaN")
    rule.validate()
    threshold = np.quantile(scores, rule.low_quantile)
    return (scores <= threshold) & (scores < np.median(scores) - rule.margin)


def low_interest_spans(
    segment_scores: np.ndarray,
    duration_s: float,
    rule: EditRule = EditRule(),
    leave_probability: np.ndarray | None = None,
) -> list[Span]:
    """Spans of consecutive low segments, in video order.

    `leave_probability` (optional, per real segment) is summed over each span: the share of
    predicted leaves that fall inside it, which says how much a cut there could matter.
    """
    scores = np.asarray(segment_scores, dtype=np.float64)
    low = low_interest_mask(scores, rule)
    n = scores.size
    if duration_s <= SEGMENT_SECONDS * (n - 1) or duration_s > SEGMENT_SECONDS * n:
        raise ValueError(f"a video of {duration_s} s has {int(np.ceil(duration_s / SEGMENT_SECONDS))} "
                         f"segments, not {n}")
    leave = None if leave_probability is None else np.asarray(leave_probability, dtype=np.float64)
    if leave is not None and leave.shape != scores.shape:
        raise ValueError(f"leave_probability must have shape {scores.shape}, got {leave.shape}")
    spans: list[Span] = []
    i = 0
    while i < n:
        if not low[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and low[j + 1]:
            j += 1
        if j - i + 1 >= rule.min_segments:
            spans.append(Span(
                first_segment=i,
                last_segment=j,
                start_s=SEGMENT_SECONDS * i,
                end_s=min(SEGMENT_SECONDS * (j + 1), float(duration_s)),
                mean_score=float(scores[i:j + 1].mean()),
                leave_probability=float(leave[i:j + 1].sum()) if leave is not None else float("nan"),
            ))
        i = j + 1
    return spans


def suggestion_rows(scored: Sequence[PairScore], rule: EditRule) -> pd.DataFrame:
    """One row per suggested span of each scored pair; pairs without a low-interest span add none."""
    rows = []
    for s in scored:
        spans = low_interest_spans(s.interest, s.video.duration_s, rule, s.leave_probability[: s.n_segments])
        for k, span in enumerate(spans):
            rows.append((s.view_id, s.user_id, s.video_id, k, span.first_segment, span.last_segment, span.start_s,
                         span.end_s, span.seconds, span.mean_score, span.leave_probability, s.n_segments,
                         s.video.duration_s, s.context.history_views, s.fallback, s.modality, s.mlflow_run_id))
    return pd.DataFrame(rows, columns=SUGGESTION_COLUMNS)


def batch_suggestions(layout: DataLayout, spec: BatchSpec, rule: EditRule, device: str = "cpu") -> BatchResult:
    """Score the batch and list each pair's low-interest spans."""
    scores = score_batch(layout, spec, device)
    return BatchResult(scores, suggestion_rows(scores.scored, rule), rejected_frame(scores.rejected))
