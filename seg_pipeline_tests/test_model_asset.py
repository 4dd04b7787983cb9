"""The segment_interest_model asset in a real Dagster materialize: real DuckDB warehouse, real
MLflow SQLite store, checkpoints on disk, asset checks."""
from __future__ import annotations

import duckdb
import mlflow
import pytest
from dagster import DagsterInstance, materialize

from seg_pipeline.assets.model.training import (
    checkpoints_score_on_their_own,
    models_beat_random_on_valid,
    segment_interest_model,
)
from seg_pipeline.errors import ConfigError
from seg_pipeline.resources import DataHome, MlflowTracking, RunSettings
from seg_pipeline.warehouse.db import connect
from seg_pipeline_tests.test_model_toy import build_toy_warehouse

FAST = {"d": 8, "heads": 2, "layers": 1, "r": 2, "max_history_tokens": 8, "epochs": 2, "patience": 2,
        "batch_size": 128, "dropout": 0.0}


def _materialize(layout, **config):
    return materialize(
        [segment_interest_model, models_beat_random_on_valid, checkpoints_score_on_their_own],
        resources={"home": DataHome(root=str(layout.root)), "tracking": MlflowTracking(root=str(layout.root)),
                   "run_settings": RunSettings(device="cpu")},
        run_config={"ops": {"segment_interest_model": {"config": {**FAST, **config}}}},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def test_trains_every_modality_logs_to_mlflow_and_lists_the_models(data_home):
    build_toy_warehouse(data_home.warehouse, n_users=6, n_videos=40, views_per_user=20)
    result = _materialize(data_home)
    assert result.success

    with duckdb.connect(str(data_home.warehouse), read_only=True) as con:
        rows = con.execute("SELECT modality, checkpoint_path, mlflow_run_id, best_epoch, epochs_run, valid_ndcg5, "
                           "weights, dagster_run_id FROM trained_models ORDER BY modality").fetchall()
    assert [r[0] for r in rows] == ["both", "id", "visual"]
    for modality, path, run_id, best_epoch, epochs_run, ndcg5, weights, dagster_run in rows:
        assert path == str(data_home.checkpoint(modality))
        assert 1 <= best_epoch <= epochs_run <= 2 and 0.0 < ndcg5 <= 1.0
        assert weights == ("none" if modality == "id" else "random")
        assert dagster_run == result.run_id
        run = mlflow.MlflowClient(tracking_uri=MlflowTracking(root=str(data_home.root)).tracking_uri).get_run(run_id)
        assert run.data.tags["dagster_run_id"] == result.run_id
        assert run.data.params["modality"] == modality
        history = mlflow.MlflowClient(tracking_uri=MlflowTracking(root=str(data_home.root)).tracking_uri) \
            .get_metric_history(run_id, "valid_NDCG_at_5")
        assert [m.step for m in history] == list(range(1, epochs_run + 1))
        artifacts = mlflow.MlflowClient(tracking_uri=MlflowTracking(root=str(data_home.root)).tracking_uri) \
            .list_artifacts(run_id, "model")
        assert [a.path for a in artifacts] == ["model/best.pt"]

    meta = result.asset_materializations_for_node("segment_interest_model")[0].metadata
    assert meta["modalities"].value == "id, visual, both"
    assert set(meta["mlflow_run_ids"].value) == {"id", "visual", "both"}
    assert "both_valid_NDCG@5" in meta and "id_views_per_s" in meta
    experiment = mlflow.MlflowClient(tracking_uri=MlflowTracking(root=str(data_home.root)).tracking_uri) \
        .get_run(rows[0][2]).info.experiment_id
    assert meta[f"{rows[0][0]}_mlflow_run_url"].value == \
        f"http://127.0.0.1:5000/#/experiments/{experiment}/runs/{rows[0][2]}?workflowType=machine_learning"
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(checks) == {"models_beat_random_on_valid", "checkpoints_score_on_their_own"}
    assert checks["checkpoints_score_on_their_own"].passed
    assert checks["checkpoints_score_on_their_own"].metadata["checked_views"].value == 12  # 6 users x 2 valid


def test_without_segment_vectors_only_the_id_model_trains(data_home):
    build_toy_warehouse(data_home.warehouse, n_users=6, n_videos=40, views_per_user=20, with_vectors=False)
    result = _materialize(data_home, epochs=1)
    assert result.success
    meta = result.asset_materializations_for_node("segment_interest_model")[0].metadata
    assert meta["modalities"].value == "id"
    assert "no segment_embeddings" in meta["modality_note"].value
    with duckdb.connect(str(data_home.warehouse), read_only=True) as con:
        assert con.execute("SELECT modality FROM trained_models").fetchall() == [("id",)]


@pytest.mark.parametrize("config, field", [({"modalities": ["visual"]}, "modalities"), ({"loss": "hinge"}, "loss")])
def test_bad_config_fails_naming_the_field(data_home, config, field):
    build_toy_warehouse(data_home.warehouse, n_users=4, n_videos=20, views_per_user=10, with_vectors=False)
    result = _materialize(data_home, **config)
    assert not result.success
    error = result.failure_data_for_node("segment_interest_model").error
    assert error.cause is not None and ConfigError.__name__ in error.cause.cls_name
    assert f"config field '{field}'" in error.cause.message


# Hand-made trained_models rows: NDCG@5 0.60 vs Random 0.50 (margin +0.10), 0.30 vs 0.50 (-0.20).
TRAINED = [("id", 0.60, 0.50), ("visual", 0.30, 0.50)]


def test_models_beat_random_on_valid_by_hand(data_home):
    with connect(data_home.warehouse) as con:
        con.execute("CREATE TABLE trained_models (modality VARCHAR, valid_ndcg5 DOUBLE, valid_random_ndcg5 DOUBLE)")
        con.executemany("INSERT INTO trained_models VALUES (?, ?, ?)", TRAINED)
    result = models_beat_random_on_valid(DataHome(root=str(data_home.root)))
    assert not result.passed  # visual is below Random
    assert result.metadata["id_margin_NDCG@5"].value == pytest.approx(0.10)
    assert result.metadata["visual_margin_NDCG@5"].value == pytest.approx(-0.20)
    assert result.metadata["not_above_random"].value == 1
    assert "both_margin_NDCG@5" not in result.metadata  # not trained

    with connect(data_home.warehouse) as con:
        con.execute("DELETE FROM trained_models WHERE modality = 'visual'")
    assert models_beat_random_on_valid(DataHome(root=str(data_home.root))).passed
