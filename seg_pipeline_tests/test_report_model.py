"""End to end: train tiny segment-interest models with the real asset, then report on them.

The toy warehouse (from the model tests) has one dull segment per video where most viewers leave,
and segment vectors that mark it, so a visual model must beat Random on test views.
"""
from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest
from dagster import materialize

from seg_pipeline.assets.model.skip_report import (
    every_method_present,
    metric_values_in_range,
    segment_scores_cover_test_views,
    skip_prediction_report,
)
from seg_pipeline.assets.model.training import segment_interest_model
from seg_pipeline.baselines.registry import BASELINES
from seg_pipeline.model.predict import score_views
from seg_pipeline.resources import DataHome, LogSource, MlflowTracking, RunSettings
from seg_pipeline.warehouse.db import connect
from seg_pipeline_tests.test_model_toy import build_toy_warehouse

TINY_MODEL = {"d": 16, "layers": 1, "heads": 2, "r": 4, "epochs": 5, "patience": 5, "batch_size": 128,
              "lr": 0.003, "max_history_tokens": 32}
RESOURCES = {"home": DataHome(), "tracking": MlflowTracking(), "log_source": LogSource(),
             "run_settings": RunSettings(device="cpu")}


def run_pipeline(modalities: list[str]):
    return materialize(
        [segment_interest_model, skip_prediction_report, every_method_present, metric_values_in_range,
         segment_scores_cover_test_views],
        resources=RESOURCES,
        run_config={"ops": {"segment_interest_model": {"config": {**TINY_MODEL, "modalities": modalities}},
                            # every baseline, the opt-in DIN included
                            "skip_prediction_report": {"config": {"heatmap_views": 3, "baselines": list(BASELINES)}}}},
    )


def metric(table: pd.DataFrame, method: str, modality: str, name: str, protocol="segments_end", subset="all"):
    row = table[(table.method == method) & (table.modality == modality) & (table.metric == name)
                & (table.protocol == protocol) & (table.subset == subset)]
    assert len(row) >= 1 and row["seed"].is_unique  # one row per trained seed
    return float(row["value"].mean())


def test_report_on_trained_id_and_visual_models(data_home):
    build_toy_warehouse(data_home.warehouse, n_users=10, views_per_user=30, with_vectors=True)
    result = run_pipeline(["id", "visual"])
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"every_method_present": True, "metric_values_in_range": True,
                      "segment_scores_cover_test_views": True}

    with connect(data_home.warehouse, read_only=True) as con:
        table = con.execute("SELECT * FROM skip_prediction_metrics").df()
        stored = con.execute("SELECT view_id, segment_idx, score, interest, end_slot_score, n_segments FROM segment_scores "
                             "WHERE modality = 'visual' ORDER BY view_id, segment_idx").df()
        visual = con.execute("SELECT * FROM trained_models WHERE modality = 'visual'").df()
    # segment_scores holds the lowest seed of each modality
    checkpoint = visual.sort_values("seed")["checkpoint_path"].iloc[0] if "seed" in visual else visual["checkpoint_path"].iloc[0]
    model_rows = table[table.method == "segment_interest"]
    assert set(model_rows.modality) == {"id", "visual"}
    assert set(model_rows.protocol) == {"segments_end", "slots40"}
    # The known answer: the dull segment's vector gives it away, so visual beats chance.
    assert metric(table, "segment_interest", "visual", "NDCG@5") > metric(table, "Random", "none", "NDCG@5") + 0.1
    assert metric(table, "segment_interest", "visual", "HR@1") > metric(table, "Random", "none", "HR@1")
    # The per-segment networks are baselines (no modality, the report seed) trained on the same warehouse;
    # a per-segment scorer that reads CLIP vectors finds the dull segment too.
    for name in ("WideDeep", "DIN"):
        rows = table[table.method == name]
        assert set(rows.modality) == {"none"} and set(rows.seed) == {0}
        assert metric(table, name, "none", "NDCG@5") > metric(table, "Random", "none", "NDCG@5") + 0.1

    # segment_scores holds exactly what the checkpoint scores, real segments only.
    direct = score_views(checkpoint, data_home.warehouse, split="test")
    rows = np.repeat(np.arange(len(direct.view_ids)), stored.groupby("view_id").size().to_numpy())
    assert stored["view_id"].to_numpy() == pytest.approx(direct.view_ids[rows])
    assert stored["score"].to_numpy() == pytest.approx(direct.scores[rows, stored["segment_idx"].to_numpy()], abs=1e-6)
    assert stored["interest"].to_numpy() == pytest.approx(direct.interest[rows, stored["segment_idx"].to_numpy()],
                                                          abs=1e-6)
    end_slots = direct.scores[rows, stored["n_segments"].to_numpy()]
    assert stored["end_slot_score"].to_numpy() == pytest.approx(end_slots, abs=1e-6)

    mat = result.asset_materializations_for_node("skip_prediction_report")[0]
    assert "segment_interest (visual)" in mat.metadata["comparison_all"].value
    mlflow.set_tracking_uri(data_home.mlflow_tracking_uri)
    run_id = mat.metadata["mlflow_run_id"].value
    assert mlflow.get_run(run_id).data.tags["dagster_run_id"] == result.run_id
    names = {a.path for a in mlflow.artifacts.list_artifacts(run_id=run_id, artifact_path="report")}
    assert "report/segment_interest_heatmaps.png" in names

    # best model vs best baseline, both chosen on valid: one row per compared metric
    with connect(data_home.warehouse, read_only=True) as con:
        comparison = con.execute("SELECT * FROM skip_prediction_comparison ORDER BY metric").df()
    assert comparison["metric"].tolist() == ["HR@1", "NDCG@5"]
    n_seeds = len(visual)
    assert set(comparison["model_modality"]) <= {"id", "visual"} and comparison["model_seeds"].tolist() == [n_seeds] * 2
    assert comparison["baseline"].nunique() == 1 and (comparison["low"] <= comparison["high"]).all()
    assert (comparison["n_views"] == len(direct.view_ids)).all()
    assert "best_model_vs_best_baseline" in mat.metadata


def test_report_with_id_model_only_when_there_are_no_videos(data_home):
    build_toy_warehouse(data_home.warehouse, n_users=6, views_per_user=20, with_vectors=False)
    result = run_pipeline([])  # [] = every modality the data allows: id only without segment_embeddings
    assert result.success
    with connect(data_home.warehouse, read_only=True) as con:
        methods = con.execute("SELECT DISTINCT method, modality FROM skip_prediction_metrics "
                              "WHERE method = 'segment_interest'").fetchall()
        modalities = {m for (m,) in con.execute("SELECT DISTINCT modality FROM segment_scores").fetchall()}
    assert methods == [("segment_interest", "id")] and modalities == {"id"}
    assert all(e.passed for e in result.get_asset_check_evaluations())

    # Several seeds per modality (the shape the multi-seed training writes): every row is scored and
    # recorded with its seed; the summary averages them; segment_scores keeps one seed per modality.
    with connect(data_home.warehouse) as con:
        has_seed = "seed" in con.execute("SELECT * FROM trained_models LIMIT 0").df().columns
        rest = "* EXCLUDE (seed)" if has_seed else "*"
        con.execute(f"CREATE OR REPLACE TABLE trained_models AS SELECT {rest}, 0 AS seed FROM "
                    f"(SELECT * FROM trained_models ORDER BY {'seed' if has_seed else 'modality'} LIMIT 1) "
                    f"UNION ALL SELECT {rest}, 5 AS seed FROM (SELECT * FROM trained_models ORDER BY "
                    f"{'seed' if has_seed else 'modality'} LIMIT 1)")
    again = materialize([skip_prediction_report, every_method_present, metric_values_in_range,
                         segment_scores_cover_test_views], resources=RESOURCES,
                        run_config={"ops": {"skip_prediction_report": {"config": {"heatmap_views": 0}}}})
    assert again.success and all(e.passed for e in again.get_asset_check_evaluations())
    with connect(data_home.warehouse, read_only=True) as con:
        seeds = con.execute("SELECT DISTINCT seed FROM skip_prediction_metrics WHERE method = 'segment_interest' "
                            "ORDER BY seed").fetchall()
        summary = con.execute("SELECT n_seeds, std FROM skip_prediction_summary WHERE method = 'segment_interest' "
                              "AND protocol = 'segments_end' AND subset = 'all' AND metric = 'HR@1'").fetchall()
        prior = con.execute("SELECT n_seeds, std FROM skip_prediction_summary WHERE method = 'AllPosition' "
                            "AND protocol = 'segments_end' AND subset = 'all' AND metric = 'HR@1'").fetchall()
        model_seeds = con.execute("SELECT DISTINCT model_seeds FROM skip_prediction_comparison").fetchall()
    assert seeds == [(0,), (5,)]
    assert summary[0][0] == 2 and summary[0][1] == pytest.approx(0.0)  # the same checkpoint twice
    assert prior == [(1, None)]
    assert model_seeds == [(2,)]
