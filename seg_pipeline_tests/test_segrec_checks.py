"""The SegRec checks' SQL on hand-made segrec_metrics rows: values you can check with a pencil."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from seg_pipeline.assets.checks import sql_check
from seg_pipeline.resources import DataHome
from seg_pipeline.warehouse.db import connect, run_sql, write_frame


def _metrics(data_home, rows: list[tuple[str, str, int, str, float]]) -> DataHome:
    frame = pd.DataFrame(rows, columns=["backbone", "variant", "seed", "metric", "value"]).assign(
        split="test", f1_threshold=0.5, best_epoch=1, epochs_run=1, valid_auc=0.5, n_train=10, n_test=10,
        test_positive_rate=0.5, seconds=0.1)
    with connect(data_home.warehouse) as con:
        write_frame(con, "segrec_metrics", frame, {"mlflow_run_id": "m", "dagster_run_id": "d"})
        run_sql(con, "segrec_summary")
        run_sql(con, "segrec_vs_video")
    return DataHome(root=str(data_home.root))


def _auc_pairs(video: list[float], segrec: list[float]) -> list[tuple]:
    rows = [("WideDeep", "Video", s, "AUC", v) for s, v in enumerate(video)]
    return rows + [("WideDeep", "SegRec_id", s, "AUC", v) for s, v in enumerate(segrec)]


@pytest.mark.parametrize("video, segrec, ahead", [
    ([0.70, 0.70], [0.71, 0.73], True),  # deltas .01, .03: mean .02 > se .01
    ([0.70, 0.70], [0.75, 0.67], False),  # deltas .05, -.03: mean .01 < se .04 (a positive mean on noise)
    ([0.70], [0.80], False),  # one seed: no standard error, no claim
    ([0.70, 0.70], [0.69, 0.68], False),
])
def test_segrec_beats_video_needs_the_mean_difference_above_its_standard_error(data_home, video, segrec, ahead):
    result = sql_check(_metrics(data_home, _auc_pairs(video, segrec)), "segrec_beats_video")
    assert result.passed is ahead
    deltas = [s - v for s, v in zip(segrec, video)]
    assert result.metadata["weakest_best_auc_delta"].value == pytest.approx(sum(deltas) / len(deltas), abs=1e-4)


def test_segrec_beats_video_asks_every_backbone(data_home):
    rows = _auc_pairs([0.70, 0.70], [0.71, 0.73])
    rows += [("DIN", "Video", s, "AUC", 0.70) for s in (0, 1)] + [("DIN", "SegRec_id", s, "AUC", 0.69) for s in (0, 1)]
    result = sql_check(_metrics(data_home, rows), "segrec_beats_video")
    assert not result.passed
    assert result.metadata["backbones"].value == 2 and result.metadata["backbones_ahead"].value == 1


def _complete_run(auc: float = 0.7, f1: float = 0.6, logloss: float = 0.5, seed: int = 0) -> list[tuple]:
    return [("DIN", "Video", seed, "AUC", auc), ("DIN", "Video", seed, "F1", f1), ("DIN", "Video", seed, "logloss", logloss)]


@pytest.mark.parametrize("rows, passed", [
    (_complete_run() + _complete_run(seed=1), True),
    (_complete_run()[:2], False),  # logloss missing
    (_complete_run(auc=math.nan), False),  # one-class test split
    (_complete_run(f1=1.2), False),
    (_complete_run(logloss=math.inf), False),
    ([], False),
])
def test_segrec_metrics_complete(data_home, rows, passed):
    assert sql_check(_metrics(data_home, rows), "segrec_metrics_complete").passed is passed
