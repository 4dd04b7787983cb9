"""MLflow as a user meets it: registered models with a champion alias, the logged PyTorch model
scoring like the checkpoint, links both ways between Dagster and MLflow runs, the training view."""
from __future__ import annotations

import mlflow
import numpy as np
from dagster import DagsterInstance, materialize

from seg_pipeline.assets.model.training import segment_interest_model
from seg_pipeline.model.logged import CHAMPION, DATA_TAG, SCORE_TAG, pack
from seg_pipeline.model.inputs import load_view_inputs
from seg_pipeline.model.predict import load_model, score_tensors
from seg_pipeline.model.batches import ViewTensors
from seg_pipeline.resources import DataHome, MlflowTracking, RunSettings
from seg_pipeline.resources.tracking import EXPERIMENT_KIND, EXPERIMENT_KIND_TAG
from seg_pipeline.warehouse.db import connect
from seg_pipeline_tests.test_model_toy import build_toy_warehouse

FAST = {"d": 8, "heads": 2, "layers": 1, "r": 2, "max_history_tokens": 8, "epochs": 1, "patience": 1,
        "batch_size": 128, "dropout": 0.0, "seeds": 1}


def _train(layout, instance, **config):
    tracking = MlflowTracking(root=str(layout.root), ui_url="http://mlflow.example:5123",
                              dagster_ui_url="http://dagster.example:3111")
    return materialize([segment_interest_model], instance=instance, resources={
        "home": DataHome(root=str(layout.root)), "tracking": tracking, "run_settings": RunSettings(device="cpu")},
        run_config={"ops": {"segment_interest_model": {"config": {**FAST, **config}}}})


def test_models_are_registered_linked_both_ways_and_score_like_the_checkpoint(data_home):
    build_toy_warehouse(data_home.warehouse, n_users=6, n_videos=30, views_per_user=12)
    instance = DagsterInstance.ephemeral()
    result = _train(data_home, instance, modalities=["id", "visual"])
    client = mlflow.MlflowClient(tracking_uri=MlflowTracking(root=str(data_home.root)).tracking_uri)

    meta = result.asset_materializations_for_node("segment_interest_model")[0].metadata
    tags = instance.get_run_by_id(result.run_id).tags
    for modality in ("id", "visual"):
        run_id = meta["mlflow_run_ids"].value[modality]
        # Dagster -> MLflow: the run carries the MLflow run id and its link on the configured port.
        assert tags[f"mlflow/segment_interest_{modality}_seed0"] == run_id  # one MLflow run per (modality, seed)
        assert meta[f"{modality}_mlflow_run_url"].value.endswith(f"/runs/{run_id}?workflowType=machine_learning")
        assert meta[f"{modality}_mlflow_run_url"].value.startswith("http://mlflow.example:5123/#/experiments/")
        # MLflow -> Dagster: id, link and a description saying what the run was.
        run = client.get_run(run_id)
        assert run.data.tags["dagster_run_id"] == result.run_id
        assert run.data.tags["dagster_run_url"] == f"http://dagster.example:3111/runs/{result.run_id}"
        assert "trained on" in run.data.tags["mlflow.note.content"]
        # The registry: one version, the champion.
        version = client.get_model_version_by_alias(f"segment_interest_{modality}", CHAMPION)
        assert version.run_id == run_id and str(version.version) == "1"
        assert float(version.tags[SCORE_TAG]) > 0 and version.tags[DATA_TAG]
    experiment = client.get_experiment(client.get_run(run_id).info.experiment_id)
    assert tags["mlflow/experiment_url"] == \
        f"http://mlflow.example:5123/#/experiments/{experiment.experiment_id}?workflowType=machine_learning"
    assert experiment.tags[EXPERIMENT_KIND_TAG] == EXPERIMENT_KIND  # opens in the training view

    # The logged PyTorch model gives the checkpoint's skip scores on the same views.
    logged = mlflow.pyfunc.load_model("models:/segment_interest_visual@champion")
    with connect(data_home.warehouse, read_only=True) as con:
        inputs = load_view_inputs(con, ("train", "valid"), FAST["max_history_tokens"])
    inputs = inputs.subset(inputs.split == "valid")
    model, vocab, _ = load_model(data_home.checkpoint("visual"))
    assert vocab.videos == inputs.vocab.videos
    expected = score_tensors(model, ViewTensors(inputs))
    packed = pack(inputs, np.arange(len(inputs)), inputs.vectors.dim)
    np.testing.assert_allclose(logged.predict(packed), expected, rtol=1e-5, atol=1e-5)

    # Retraining the same data and config ties on valid: the champion stays; other data moves it.
    again = _train(data_home, instance, modalities=["id"])
    champion = client.get_model_version_by_alias("segment_interest_id", CHAMPION)
    assert str(champion.version) == "1"
    assert client.get_run(again.asset_materializations_for_node("segment_interest_model")[0]
                          .metadata["mlflow_run_ids"].value["id"]).data.tags["champion"] == "false"
