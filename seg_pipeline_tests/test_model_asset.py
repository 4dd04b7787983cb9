"""The segment_interest_model asset in a real Dagster materialize: real DuckDB warehouse, real
MLflow SQLite store, checkpoints on disk, asset checks."""
from __future__ import annotations

import duckdb
import mlflow
import pytest
from dagster import DagsterInstance, materialize

from seg_pipeline.assets.model.training import (
    SegmentInterestModelConfig,
    checkpoints_score_on_their_own,
    models_beat_random_on_valid,
    segment_interest_model,
)
from seg_pipeline.errors import ConfigError
from seg_pipeline.model.config import ModelConfig
from seg_pipeline.model.named_configs import DEFAULT_CONFIGURATION, NAMED_CONFIGS
from seg_pipeline.resources import DataHome, MlflowTracking, RunSettings
from seg_pipeline.warehouse.db import connect
from seg_pipeline.warehouse.tables import read_trained_models
from seg_pipeline_tests.test_model_toy import build_toy_warehouse

FAST = {"d": 8, "heads": 2, "layers": 1, "r": 2, "max_history_tokens": 8, "epochs": 2, "patience": 2,
        "batch_size": 128, "dropout": 0.0, "seeds": 1}


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
                           "weights, dagster_run_id, seed, configuration FROM trained_models ORDER BY modality"
                           ).fetchall()
    assert [r[0] for r in rows] == ["both", "id", "visual"]
    for modality, path, run_id, best_epoch, epochs_run, ndcg5, weights, dagster_run, seed, configuration in rows:
        assert path == str(data_home.checkpoint(modality, 0)) and path.endswith(f"{modality}/seed0/best.pt")
        assert seed == 0 and configuration == DEFAULT_CONFIGURATION
        assert 1 <= best_epoch <= epochs_run <= 2 and 0.0 < ndcg5 <= 1.0
        assert weights == ("none" if modality == "id" else "random")
        assert dagster_run == result.run_id
        run = mlflow.MlflowClient(tracking_uri=MlflowTracking(root=str(data_home.root)).tracking_uri).get_run(run_id)
        assert run.data.tags["dagster_run_id"] == result.run_id
        assert run.data.params["modality"] == modality
        assert run.data.params["configuration"] == "hybrid" and run.data.params["video_dropout"] == "0.5"
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


def test_seeds_give_one_row_and_checkpoint_each_and_one_stages_take_the_best(data_home):
    build_toy_warehouse(data_home.warehouse, n_users=6, n_videos=40, views_per_user=20, with_vectors=False)
    result = _materialize(data_home, seeds=2, seed=3, epochs=1)
    assert result.success
    with duckdb.connect(str(data_home.warehouse), read_only=True) as con:
        every = read_trained_models(con)
        best = read_trained_models(con, best_seed_only=True)
    assert every["seed"].tolist() == [3, 4] and every["modality"].tolist() == ["id", "id"]
    assert every["checkpoint_path"].nunique() == 2 and every["mlflow_run_id"].nunique() == 2
    assert every["checkpoint_path"].tolist() == [str(data_home.checkpoint("id", k)) for k in (3, 4)]
    assert len(best) == 1 and best["valid_ndcg5"].iloc[0] == every["valid_ndcg5"].max()
    meta = result.asset_materializations_for_node("segment_interest_model")[0].metadata
    assert meta["seeds"].value == [3, 4] and meta["mlflow_run_ids"].value["id"] == best["mlflow_run_id"].iloc[0]
    registry = mlflow.MlflowClient(tracking_uri=MlflowTracking(root=str(data_home.root)).tracking_uri)
    champion = registry.get_model_version_by_alias("segment_interest_id", "champion")
    assert champion.run_id == best["mlflow_run_id"].iloc[0] and champion.tags["seed"] == str(best["seed"].iloc[0])


def test_named_configuration_resolves_and_explicit_knobs_override():
    default = SegmentInterestModelConfig().to_model_config(modality="id")
    assert default == ModelConfig(modality="id", architecture="hybrid", video_dropout=0.5,
                                  max_history_tokens=96).validate()
    paper = SegmentInterestModelConfig(configuration="paper", max_history_tokens=16).to_model_config()
    assert (paper.loss, paper.interest_scale, paper.history_leave_flag, paper.max_history_tokens) == \
        ("intra_video", 0.0, False, 16)
    assert SegmentInterestModelConfig(configuration="default_previous").to_model_config() == ModelConfig()
    with pytest.raises(ConfigError, match="configuration"):
        SegmentInterestModelConfig(configuration="stacked_vd").to_model_config()
    with pytest.raises(ConfigError, match="configuration"):
        SegmentInterestModelConfig(configuration="best").to_model_config()
    assert "paper" in NAMED_CONFIGS and "no_leave_flag" in NAMED_CONFIGS
