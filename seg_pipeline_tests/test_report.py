"""skip_prediction_report on a hand-made warehouse (baselines only): real DuckDB, real Dagster
materialize, real MLflow SQLite store. Expected values are worked out by hand in the comments."""
from __future__ import annotations

import math

import mlflow
import numpy as np
import pandas as pd
import pytest
from dagster import materialize

from seg_pipeline.assets.model.skip_report import (
    SkipPredictionReportConfig,
    _ground_truth,
    every_method_present,
    metric_values_in_range,
    model_beats_best_baseline,
    segment_scores_cover_test_views,
    skip_prediction_report,
)
from seg_pipeline.errors import ConfigError
from seg_pipeline.contract import N_SLOTS
from seg_pipeline.evaluation.latent import spearman_latent
from seg_pipeline.evaluation.report_files import heatmap_examples, hit_rate_by_target_kind, segment_score_frame
from seg_pipeline.evaluation.scored import ScoredMethod, evaluate_all
from seg_pipeline.resources import DataHome, LogSource, MlflowTracking, RunSettings
from seg_pipeline.warehouse.db import connect

# view_id, user, video, N, target_slot, duration_ms, playing_time_ms, split, cold_video
VIEWS = [
    (0, "u1", "vA", 2, 0, 8000, 1000, "train", None),
    (1, "u1", "vB", 3, 0, 15000, 3000, "train", None),
    (2, "u2", "vA", 2, 0, 8000, 4000, "valid", False),
    (3, "u2", "vB", 3, 1, 15000, 6000, "train", None),
    (10, "u1", "vA", 2, 0, 8000, 2000, "test", False),
    (11, "u2", "vC", 2, 2, 10000, 10000, "test", True),  # full watch of a cold video
    (12, "u1", "vB", 3, 1, 15000, 7000, "test", False),
]
# Fit views 0-3 leave at slot 0 three times and slot 1 once: AllPosition interest -.75, -.25, 0, ...
# Test ranks under AllPosition: view 10 -> 1, view 11 (end slot, interest 0 like nothing) -> 3,
# view 12 -> 2.
LATENT = [("u1", "vA", [0.2, 0.1]), ("u2", "vC", [0.3, 0.6]), ("u1", "vB", [0.1, 0.5, 0.9])]


def build_warehouse(layout) -> None:
    frame = pd.DataFrame(VIEWS, columns=["view_id", "user_id", "video_id", "n_segments", "target_slot",
                                         "duration_ms", "playing_time_ms", "split", "cold_video"])
    with connect(layout.warehouse) as con:
        con.register("v", frame)
        con.execute("""
            CREATE TABLE skip_labels AS SELECT view_id::BIGINT AS view_id, user_id, video_id,
                view_id * 1000 AS time_ms, duration_ms::BIGINT AS duration_ms,
                playing_time_ms::BIGINT AS playing_time_ms, n_segments::INTEGER AS n_segments,
                CASE WHEN target_slot < n_segments THEN target_slot END::INTEGER AS skip_segment,
                target_slot::INTEGER AS target_slot, least(target_slot + 1, n_segments)::INTEGER AS watched_segments,
                target_slot = n_segments AS full_watch
            FROM v""")
        con.execute("CREATE TABLE splits AS SELECT view_id::BIGINT AS view_id, user_id, split, "
                    "cold_video::BOOLEAN AS cold_video, 'temporal' AS protocol FROM v")
        con.execute("CREATE TABLE user_histories AS SELECT view_id::BIGINT AS view_id, "
                    "CAST([] AS BIGINT[]) AS history_view_ids FROM v")
    truth = [(u, v, i, x) for u, v, values in LATENT for i, x in enumerate(values)]
    layout.demo_dir.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(truth, columns=["user_id", "video_id", "segment_idx", "interest"]).to_parquet(
        layout.demo_dir / "ground_truth_interest.parquet")


RESOURCES = {"home": DataHome(), "tracking": MlflowTracking(), "log_source": LogSource(),
             "run_settings": RunSettings(device="cpu")}
CHECKS = [metric_values_in_range, every_method_present, segment_scores_cover_test_views,
          model_beats_best_baseline]


def metric(table: pd.DataFrame, method: str, protocol: str, subset: str, name: str) -> float:
    row = table[(table.method == method) & (table.protocol == protocol) & (table.subset == subset)
                & (table.metric == name)]
    assert len(row) == 1, (method, protocol, subset, name)
    return float(row["value"].iloc[0])


# The hand-checked baselines; the neural ones (WideDeep, DIN) need the model's full inputs, which this
# hand-made warehouse does not have (test_report_model.py runs them on a real pipeline's warehouse).
HAND_CHECKED = ["Random", "AllPosition", "UserPosition", "ItemPosition", "DurationPosition", "GBDTHazard"]


def test_report_with_baselines_only(data_home):
    build_warehouse(data_home)
    result = materialize([skip_prediction_report, *CHECKS], resources=RESOURCES, run_config={
        "ops": {"skip_prediction_report": {"config": {"baselines": HAND_CHECKED}}}})
    assert result.success
    with connect(data_home.warehouse, read_only=True) as con:
        table = con.execute("SELECT * FROM skip_prediction_metrics").df()
        n_scores = con.execute("SELECT count(*) FROM segment_scores").fetchone()[0]
        priors = con.execute("SELECT count(*) FROM position_priors WHERE prior = 'all'").fetchone()[0]
    assert set(table.method) == set(HAND_CHECKED)
    seeds = table.groupby("method")["seed"].agg(lambda s: set(s.dropna()))
    assert seeds["GBDTHazard"] == {0} and seeds["Random"] == {0} and seeds["AllPosition"] == set()
    assert set(table.modality) == {"none"} and set(table.protocol) == {"segments_end", "slots40"}
    assert set(table.subset) == {"all", "cold", "warm"}
    assert n_scores == 0 and priors == 2  # no model: empty segment_scores; slots 0 and 1 seen

    # AllPosition ranks 1, 3, 2 (see VIEWS).
    assert metric(table, "AllPosition", "segments_end", "all", "HR@1") == pytest.approx(1 / 3)
    assert metric(table, "AllPosition", "segments_end", "all", "HR@5") == 1.0
    assert metric(table, "AllPosition", "segments_end", "all", "NDCG@5") == pytest.approx(
        (1 + 0.5 + 1 / math.log2(3)) / 3)
    assert metric(table, "AllPosition", "segments_end", "cold", "NDCG@5") == pytest.approx(0.5)
    assert metric(table, "AllPosition", "segments_end", "warm", "HR@1") == pytest.approx(0.5)
    assert metric(table, "AllPosition", "slots40", "all", "HR@1") == pytest.approx(1 / 3)
    # Within-view Spearman vs latent truth: view 10 -1, view 11 +1, view 12 +1 -> 1/3.
    assert metric(table, "AllPosition", "segments_end", "all", "spearman_latent") == pytest.approx(1 / 3)
    # Watch time of view 10: P(leave) = AllPosition's frequencies (.75, .25, 0) over times 2.5, 7.5, 8 s
    # = 3.75 s; truth 2 s (the old softmax(-frequency) rule gave 4.36 s).
    p = np.array([0.75, 0.25, 0.0])
    expected_10 = abs(p @ [2.5, 7.5, 8.0] - 2.0)
    assert expected_10 == pytest.approx(1.75)
    mae_rows = table[(table.method == "AllPosition") & (table.metric == "MAE")]
    assert set(mae_rows.protocol) == {"segments_end"}
    assert metric(table, "AllPosition", "segments_end", "all", "MAE") > 0
    assert len(table[(table.method == "AllPosition") & (table.metric == "MAE") & (table.subset == "warm")]) == 1
    cold_mae = metric(table, "AllPosition", "segments_end", "cold", "MAE")  # view 11 alone: N=2, 10 s, truth 10 s
    assert cold_mae == pytest.approx(abs(p @ [2.5, 7.5, 10.0] - 10.0))
    # view 12 (N = 3, truth 7 s): .75 * 2.5 + .25 * 7.5 = 3.75 s -> 3.25 s off
    assert metric(table, "AllPosition", "segments_end", "warm", "MAE_segments") * 5 == pytest.approx((1.75 + 3.25) / 2)

    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["metric_values_in_range"].passed
    assert checks["metric_values_in_range"].metadata["rows"].value == len(table)
    assert checks["every_method_present"].passed
    assert checks["every_method_present"].metadata["expected_methods"].value == 4  # contract baselines, no model
    assert checks["segment_scores_cover_test_views"].passed  # no trained modality to cover
    assert checks["segment_scores_cover_test_views"].metadata["expected_rows_per_modality"].value == 2 + 2 + 3
    assert not checks["model_beats_best_baseline"].passed  # a warning: no model, no comparison rows
    assert checks["model_beats_best_baseline"].severity.value == "WARN"

    # The SQL checks catch what they are for: a value out of range, a missing metric, a short modality.
    with connect(data_home.warehouse) as con:
        con.execute("UPDATE skip_prediction_metrics SET value = 1.5 WHERE method = 'Random' AND metric = 'HR@5' "
                    "AND protocol = 'segments_end' AND subset = 'all'")
        con.execute("DELETE FROM skip_prediction_metrics WHERE method = 'UserPosition' AND metric = 'NDCG@10' "
                    "AND protocol = 'slots40' AND subset = 'all'")
        con.execute("CREATE TABLE trained_models AS SELECT 'id' AS modality")
    in_range = metric_values_in_range(DataHome())
    assert not in_range.passed and in_range.metadata["out_of_range"].value == 1
    assert "Random/none/segments_end/all/HR@5 = 1.5" in in_range.metadata["examples"].value
    present = every_method_present(DataHome())
    assert not present.passed
    # The id model lacks all 10 of its rank metrics (5 metrics x 2 protocols), UserPosition one.
    assert present.metadata["missing_rows"].value == 11
    assert "UserPosition/none/slots40/NDCG@10" in present.metadata["missing"].value
    covered = segment_scores_cover_test_views(DataHome())
    assert not covered.passed and covered.metadata["mismatched"].value == "id: 0"

    # model_beats_best_baseline: passes only when both intervals' lower bounds are above 0
    with connect(data_home.warehouse) as con:
        assert con.execute("SELECT count(*) FROM skip_prediction_comparison").fetchone()[0] == 0  # no model
        con.execute("INSERT INTO skip_prediction_comparison (metric, difference, low, high) VALUES "
                    "('HR@1', 0.03, 0.01, 0.05), ('NDCG@5', 0.02, -0.001, 0.04)")
    beats = model_beats_best_baseline(DataHome())
    assert not beats.passed and beats.metadata["low_NDCG@5"].value == pytest.approx(-0.001)
    with connect(data_home.warehouse) as con:
        con.execute("UPDATE skip_prediction_comparison SET low = 0.001 WHERE metric = 'NDCG@5'")
    assert model_beats_best_baseline(DataHome()).passed

    mat = result.asset_materializations_for_node("skip_prediction_report")[0]
    markdown = open(mat.metadata["report_markdown"].value).read()
    assert "Best model vs best baseline" in markdown and "chosen on valid NDCG@5" in markdown
    assert "every method's padding slots" in markdown
    run_id = mat.metadata["mlflow_run_id"].value
    assert "AllPosition" in mat.metadata["comparison_all"].value
    assert set(table.mlflow_run_id) == {run_id}
    mlflow.set_tracking_uri(data_home.mlflow_tracking_uri)
    run = mlflow.get_run(run_id)
    assert run.data.tags["dagster_run_id"] == result.run_id
    assert run.data.metrics["segments_end/all/AllPosition/HR_at_1"] == pytest.approx(1 / 3)
    artifacts = {a.path for a in mlflow.artifacts.list_artifacts(run_id=run_id, artifact_path="report")}
    assert {"report/skip_prediction_report.md", "report/skip_prediction_report.html", "report/metrics_bar.png",
            "report/segment_interest_heatmaps.png", "report/skip_prediction_metrics.csv"} <= artifacts


def test_ground_truth_only_for_the_demo_log(data_home, tmp_path):
    build_warehouse(data_home)  # writes demo/ground_truth_interest.parquet
    assert len(_ground_truth(DataHome(), LogSource(), enabled=True)) == 7
    assert _ground_truth(DataHome(), LogSource(), enabled=False) is None
    # A real log never pairs with a stale demo world's truth left in the data root.
    real = LogSource(path=str(tmp_path / "log.csv"), format="segmm")
    assert _ground_truth(DataHome(), real, enabled=True) is None


def test_config_rejects_leaky_or_unknown_settings():
    with pytest.raises(ConfigError, match="fit_splits"):
        SkipPredictionReportConfig(fit_splits=["train", "test"]).settings()
    with pytest.raises(ConfigError, match="'baselines'.*Popularity.*AllPosition"):
        SkipPredictionReportConfig(baselines=["Popularity"]).settings()


def test_spearman_latent_by_hand():
    scores = np.zeros((2, N_SLOTS))
    scores[0, :3] = [3, 2, 1]
    scores[1, :2] = [1, 2]
    latent = np.full((2, N_SLOTS), np.nan)
    latent[0, :3] = [0.1, 0.3, 0.2]  # ranks 1 3 2 vs 3 2 1 -> rho = -0.5
    latent[1, :2] = [0.5, 0.9]  # +1
    got = spearman_latent(scores, latent, np.array([3, 2]))
    assert got["spearman_latent"] == pytest.approx((-0.5 + 1) / 2)
    # Pooled over 5 pairs: scores 3 2 1 1 2, truth .1 .3 .2 .5 .9.
    assert got["spearman_latent_pooled"] == pytest.approx(pd.Series([3, 2, 1, 1, 2]).corr(
        pd.Series([0.1, 0.3, 0.2, 0.5, 0.9]), method="spearman"))


def test_segment_score_frame_keeps_end_slot_out_of_rows():
    views = pd.DataFrame({"view_id": [7], "user_id": ["u"], "video_id": ["v"], "n_segments": [2]})
    scores = np.full((1, N_SLOTS), np.nan)
    scores[0, :3] = [0.0, 0.0, 0.0]
    frame = segment_score_frame(views, scores, "id")
    assert frame["segment_idx"].tolist() == [0, 1]
    assert frame["end_slot_score"].tolist() == [0.0, 0.0]
    assert frame["leave_probability"].tolist() == pytest.approx([1 / 3, 1 / 3])
    assert frame["interest"].tolist() == [0.0, 0.0]  # no separate interest: the scores are the interest
    interest = np.full((1, N_SLOTS), 1.0e4)
    interest[0, :2] = [2.5, -1.0]
    assert segment_score_frame(views, scores, "id", interest)["interest"].tolist() == [2.5, -1.0]


def test_latent_correlation_and_heatmaps_use_the_interest_when_it_differs():
    """A survival model's skip scores rise along the video; its interest is what latent truth
    should be compared with. Here the scores anti-correlate with the truth, the interest agrees."""
    views = pd.DataFrame({"view_id": [1], "user_id": "u", "video_id": "v", "n_segments": [3], "target_slot": [3],
                          "duration_ms": [15000], "playing_time_ms": [15000], "cold_video": [False]})
    scores = np.full((1, N_SLOTS), 1.0e4)
    scores[0, :4] = [1.0, 2.0, 3.0, 4.0]
    interest = np.full((1, N_SLOTS), 1.0e4)
    interest[0, :3] = [3.0, 2.0, 1.0]
    latent = np.full((1, N_SLOTS), np.nan)
    latent[0, :3] = [0.9, 0.5, 0.1]
    def within_view(*method_args) -> float:
        rows = evaluate_all(views, [ScoredMethod("segment_interest", "id", *method_args)], latent=latent)
        return rows[(rows.subset == "all") & (rows.metric == "spearman_latent")]["value"].item()

    assert within_view(scores, interest) == pytest.approx(1.0)
    assert within_view(scores) == pytest.approx(-1.0)
    example = heatmap_examples(views, [ScoredMethod("segment_interest", "id", scores, interest)], [0])[0]
    shown = example.rows[0][1]
    assert shown[:3].tolist() == [3.0, 2.0, 1.0] and np.isnan(shown[3:]).all()


def test_hit_rate_by_target_kind():
    views = pd.DataFrame({"view_id": [1, 2, 3], "user_id": "u", "video_id": "v", "n_segments": [3, 3, 3],
                          "target_slot": [0, 1, 3]})
    scores = np.full((3, N_SLOTS), 5.0)
    scores[:, :4] = [3.0, 2.0, 1.0, 0.0]  # always predicts the end slot
    table = hit_rate_by_target_kind(views, [ScoredMethod("m", "id", scores)])
    assert table.loc["m (id)"].tolist() == [0.0, 0.0, 1.0]
    assert list(table.columns) == ["HR@1 left in segment 0 (1 views)", "HR@1 left in a later segment (1 views)",
                                   "HR@1 watched to the end (1 views)"]
