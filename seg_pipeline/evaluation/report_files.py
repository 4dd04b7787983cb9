"""The skip-prediction report's files: comparison tables, hit rates by where users left, the bar
chart and segment-interest heatmaps, rendered through report_doc.Report."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from seg_pipeline.contract import N_SLOTS
from seg_pipeline.evaluation.figures import HeatmapExample, interest_heatmaps, metrics_bar_chart
from seg_pipeline.evaluation.metrics import RANK_METRICS, leave_distribution, target_ranks
from seg_pipeline.evaluation.report_doc import Report, comparison_table
from seg_pipeline.evaluation.scored import ScoredMethod, mean_over_seeds, one_per_label
from seg_pipeline.evaluation.skip_eval import SUBSETS

TARGET_KINDS = ("left in segment 0", "left in a later segment", "watched to the end")


def target_kind(views: pd.DataFrame) -> np.ndarray:
    """Where each view ended: the three cases a position prior or a loss can treat very differently."""
    target = views["target_slot"].to_numpy()
    end = target == views["n_segments"].to_numpy()
    return np.where(end, TARGET_KINDS[2], np.where(target == 0, TARGET_KINDS[0], TARGET_KINDS[1]))


def hit_rate_by_target_kind(views: pd.DataFrame, scored: Sequence[ScoredMethod], seed: int = 0) -> pd.DataFrame:
    """HR@1 (primary protocol) per method split by where the user left: shows whether a method only
    ever predicts one kind of leave (e.g. always the end slot)."""
    kinds = target_kind(views)
    present = [k for k in TARGET_KINDS if (kinds == k).any()]
    n, t = views["n_segments"].to_numpy(), views["target_slot"].to_numpy()
    hits = {item.label: target_ranks(item.scores, n, t, seed=seed) == 1 for item in scored}
    table = pd.DataFrame({label: [float(hit[kinds == k].mean()) for k in present] for label, hit in hits.items()},
                         index=present).T
    counts = pd.Series({k: int((kinds == k).sum()) for k in present})
    table.columns = [f"HR@1 {k} ({counts[k]} views)" for k in present]
    return table


def segment_score_frame(views: pd.DataFrame, scores: np.ndarray, modality: str,
                        interest: Optional[np.ndarray] = None) -> pd.DataFrame:
    """One row per real segment of each view; the end slot's score rides along as end_slot_score.
    `interest` defaults to the scores (see ScoredMethod)."""
    n_segments = views["n_segments"].to_numpy(dtype=np.int64)
    interest = scores if interest is None else interest
    probs = leave_distribution(np.nan_to_num(scores, nan=0.0), n_segments)
    rows, slots = np.nonzero(np.arange(N_SLOTS)[None, :] < n_segments[:, None])
    return pd.DataFrame({
        "user_id": views["user_id"].to_numpy()[rows],
        "video_id": views["video_id"].to_numpy()[rows],
        "view_id": views["view_id"].to_numpy()[rows],
        "segment_idx": slots,
        "score": scores[rows, slots].astype(np.float64),
        "interest": interest[rows, slots].astype(np.float64),
        "modality": modality,
        "leave_probability": probs[rows, slots],
        "end_slot_score": scores[rows, n_segments[rows]].astype(np.float64),
        "n_segments": n_segments[rows],
    })


def pick_heatmap_views(views: pd.DataFrame, count: int, seed: int = 0) -> np.ndarray:
    """Row indices of a few test views worth looking at: mid-length videos (4..20 segments) when
    there are any, half of them skips before the end, chosen with a fixed seed."""
    if count <= 0 or views.empty:
        return np.zeros(0, dtype=np.int64)
    n = views["n_segments"].to_numpy()
    skip = views["target_slot"].to_numpy() < n
    pool = np.flatnonzero((n >= 4) & (n <= 20))
    if pool.size == 0:
        pool = np.arange(len(views))
    rng = np.random.default_rng(seed)
    skips, rest = pool[skip[pool]], pool[~skip[pool]]
    take_skips = min(len(skips), max(count - len(rest), (count + 1) // 2))
    chosen = list(rng.choice(skips, take_skips, replace=False)) if take_skips else []
    take_rest = min(len(rest), count - len(chosen))
    chosen += list(rng.choice(rest, take_rest, replace=False)) if take_rest else []
    return np.sort(np.asarray(chosen, dtype=np.int64))


def _heat_row(item: ScoredMethod, row: int, n_segments: int) -> np.ndarray:
    """The interest a heatmap row shows: the model's per-segment interest where it has one (no
    value for the end slot), a baseline's negated leave distribution, else the scores."""
    if item.interest is None and item.leave_probs is not None:
        values = -np.asarray(item.leave_probs[row], dtype=np.float64)
        values[n_segments + 1:] = np.nan
        return values
    if item.interest is None:
        return item.scores[row]
    values = np.asarray(item.interest[row], dtype=np.float64).copy()
    values[n_segments:] = np.nan
    return values


def heatmap_examples(views: pd.DataFrame, scored: Sequence[ScoredMethod], rows: Sequence[int],
                     latent: Optional[np.ndarray] = None) -> list[HeatmapExample]:
    examples = []
    for row in rows:
        view = views.iloc[int(row)]
        n, target = int(view["n_segments"]), int(view["target_slot"])
        left = "watched to the end" if target == n else f"left in segment {target}"
        lines = [(item.label, _heat_row(item, int(row), n)) for item in scored if item.method != "Random"]
        if latent is not None:
            lines.append(("latent truth", latent[row]))
        examples.append(HeatmapExample(
            title=f"view {view['view_id']}: user {view['user_id']}, video {view['video_id']}, "
                  f"{n} segments, {left}",
            n_segments=n, target_slot=target, rows=lines))
    return examples


@dataclass
class ReportFiles:
    markdown: Path
    html: Path
    bar_chart: Path
    heatmaps: Optional[Path]
    metrics_csv: Path
    primary_table: pd.DataFrame


def write_report(out_dir: Path, metrics: pd.DataFrame, views: pd.DataFrame,
                 scored: Sequence[ScoredMethod], facts: list[str], heatmap_count: int = 6,
                 seed: int = 0, latent: Optional[np.ndarray] = None,
                 notes: Sequence[str] = (), extra_sections: Sequence[tuple[str, pd.DataFrame]] = ()) -> ReportFiles:
    """Markdown + HTML report, bar chart, heatmaps and the metrics CSV in `out_dir`. Tables show
    the mean over seeds; heatmaps and per-kind hit rates the first run of each method."""
    out_dir.mkdir(parents=True, exist_ok=True)
    all_metrics, metrics = metrics, mean_over_seeds(metrics)
    scored = one_per_label(scored)
    order = [item.label for item in scored]
    sections = []
    for protocol, name in (("segments_end", "Primary protocol (real segments + end slot)"),
                           ("slots40", "Published protocol (40 slots, padding ranked)")):
        for subset in SUBSETS:
            table = comparison_table(metrics, protocol, subset, order)
            if protocol == "slots40":
                table = table[[c for c in table.columns if c in RANK_METRICS or c == "views"]]
            sections.append((f"{name}: {subset} test views", table))
    if len(views):
        sections.append(("HR@1 by where the user left (primary protocol, all test views)",
                         hit_rate_by_target_kind(views, scored, seed)))
    primary = sections[0][1]
    sections = sections[:1] + list(extra_sections) + sections[1:]
    bar = metrics_bar_chart(primary, RANK_METRICS, out_dir / "metrics_bar.png",
                            "Skip prediction on all test views (primary protocol)")
    images = [("Metrics (primary protocol, all test views)", bar.name)]
    heat_path = None
    rows = pick_heatmap_views(views, heatmap_count, seed)
    if rows.size:
        heat_path = interest_heatmaps(heatmap_examples(views, scored, rows, latent),
                                      out_dir / "segment_interest_heatmaps.png")
        images.append(("Segment interest of sample test views (red box: true leave slot)", heat_path.name))
    report = Report(title="Skip prediction report", facts=facts, sections=sections, images=images,
                    notes=list(notes), image_dir=out_dir)
    md = out_dir / "skip_prediction_report.md"
    md.write_text(report.markdown())
    page = out_dir / "skip_prediction_report.html"
    page.write_text(report.html())
    csv = out_dir / "skip_prediction_metrics.csv"
    all_metrics.to_csv(csv, index=False)
    return ReportFiles(md, page, bar, heat_path, csv, primary)
