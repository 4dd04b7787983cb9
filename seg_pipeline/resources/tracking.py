"""MLflow tracking: a SQLite store and a local artifact folder under the data root."""
from __future__ import annotations

import contextlib
from typing import Iterator, Optional

import mlflow
from dagster import ConfigurableResource
from pydantic import Field

from seg_pipeline.paths import DataLayout, resolve_home

DEFAULT_UI_URL = "http://127.0.0.1:5000"


def configure_mlflow(layout: DataLayout, experiment: str) -> str:
    """Point MLflow at the data root's store; returns the experiment id (created if missing)."""
    layout.mlflow_dir.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(layout.mlflow_tracking_uri)
    found = mlflow.get_experiment_by_name(experiment)
    if found is not None:
        return found.experiment_id
    return mlflow.create_experiment(
        experiment, artifact_location=layout.mlflow_artifacts_dir.as_uri()
    )


class MlflowTracking(ConfigurableResource):
    """Runs go to `$SEG_PIPELINE_HOME/mlflow`; `mlflow ui --backend-store-uri <uri>` shows them."""

    root: str = Field(default="", description="Data root of the MLflow store (empty = the run's data root).")
    experiment: str = Field(default="seg_pipeline", description="MLflow experiment every run logs to.")
    ui_url: str = Field(default=DEFAULT_UI_URL, description="Where `mlflow ui` serves this store; asset "
                        "metadata links to runs there (set it when the UI runs on another host or port).")

    def run_url(self, experiment_id: str, run_id: str) -> str:
        """The MLflow UI page of one run (THE place MLflow links are built)."""
        return f"{self.ui_url.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"

    def ui_command(self) -> str:
        port = self.ui_url.rstrip("/").rsplit(":", 1)[-1]
        port = port if port.isdigit() else "5000"
        return f"mlflow ui --backend-store-uri {self.tracking_uri} --host 127.0.0.1 --port {port}"

    @property
    def tracking_uri(self) -> str:
        return DataLayout(resolve_home(self.root)).mlflow_tracking_uri

    @contextlib.contextmanager
    def start_run(
        self, run_name: str, dagster_run_id: Optional[str] = None, tags: Optional[dict] = None
    ) -> Iterator[mlflow.ActiveRun]:
        """An MLflow run tagged with the Dagster run that produced it."""
        experiment_id = configure_mlflow(DataLayout(resolve_home(self.root)).ensure(), self.experiment)
        all_tags = dict(tags or {})
        if dagster_run_id:
            all_tags["dagster_run_id"] = dagster_run_id
        with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=all_tags) as run:
            yield run
