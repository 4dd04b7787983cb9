"""MLflow tracking: a SQLite store (runs and the model registry) and a local artifact folder under
the data root, with links both ways between Dagster runs and MLflow runs."""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Optional

import mlflow
from dagster import ConfigurableResource, InitResourceContext
from pydantic import Field, PrivateAttr

from seg_pipeline.paths import DataLayout, resolve_home

DEFAULT_UI_URL = "http://127.0.0.1:5000"
DEFAULT_DAGSTER_UI_URL = "http://127.0.0.1:3000"
# The MLflow UI opens an experiment in its GenAI (traces) view unless told otherwise. MLflow 3.x
# reads the experiment tag below (set on every experiment this package writes to); the 3.17 UI
# follows a global "workflow type" switch instead, which a link sets with the query parameter.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND = "custom_model_development"
TRAINING_VIEW = "?workflowType=machine_learning"
DESCRIPTIONS = {  # MLflow run descriptions by stage tag: what the run was
    "segment_interest_model": "Training of the segment-interest model (SPEC 3) for one modality on the train "
                              "views, early-stopped on valid NDCG@5; the logged model wraps the best checkpoint.",
    "skip_prediction_report": "Skip-prediction report: the trained models vs position baselines and Random on "
                              "test views (metrics, comparison table, heatmaps).",
    "segrec_report": "SegRec report: effective-view prediction with and without segment-interest weights, "
                     "over backbones, variants and seeds (test AUC / F1 / logloss).",
}


def configure_mlflow(layout: DataLayout, experiment: str) -> str:
    """Point MLflow at the data root's store; returns the experiment id (created if missing),
    tagged so the MLflow UI opens it in the model-training view."""
    layout.mlflow_dir.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(layout.mlflow_tracking_uri)
    found = mlflow.get_experiment_by_name(experiment)
    if found is None:
        experiment_id = mlflow.create_experiment(experiment, artifact_location=layout.mlflow_artifacts_dir.as_uri(),
                                                 tags={EXPERIMENT_KIND_TAG: EXPERIMENT_KIND})
    else:
        experiment_id = found.experiment_id
        if found.tags.get(EXPERIMENT_KIND_TAG) != EXPERIMENT_KIND:
            mlflow.MlflowClient().set_experiment_tag(experiment_id, EXPERIMENT_KIND_TAG, EXPERIMENT_KIND)
    return experiment_id


def dagster_tag_key(run_name: str) -> str:
    """The Dagster run tag naming one MLflow run (letters, digits, '_', '-', '.', '/' only)."""
    safe = "".join(c if c.isalnum() or c in "_-." else "_" for c in run_name)[:50]
    return f"mlflow/{safe}"


class MlflowTracking(ConfigurableResource):
    """Runs go to `$SEG_PIPELINE_HOME/mlflow`; `mlflow ui --backend-store-uri <uri>` shows them."""

    root: str = Field(default="", description="Data root of the MLflow store (empty = the run's data root).")
    experiment: str = Field(default="seg_pipeline", description="MLflow experiment every run logs to.")
    ui_url: str = Field(default=DEFAULT_UI_URL, description="Where `mlflow ui` serves this store; asset "
                        "metadata links to runs there (set it when the UI runs on another host or port).")
    dagster_ui_url: str = Field(default=DEFAULT_DAGSTER_UI_URL, description="Where the Dagster UI runs; each "
                                "MLflow run links back to the Dagster run that produced it.")

    _instance: Any = PrivateAttr(default=None)
    _dagster_run_id: Optional[str] = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Remember the Dagster run, so MLflow runs are tagged with it and it with them."""
        self._instance = context.instance
        self._dagster_run_id = context.run_id

    def run_url(self, experiment_id: str, run_id: str) -> str:
        """The MLflow UI page of one run (THE place MLflow links are built)."""
        return f"{self.ui_url.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}{TRAINING_VIEW}"

    def experiment_url(self, experiment_id: str) -> str:
        return f"{self.ui_url.rstrip('/')}/#/experiments/{experiment_id}{TRAINING_VIEW}"

    def model_url(self, name: str, version: Optional[str] = None) -> str:
        """A registered model (or one version of it) in the MLflow UI."""
        page = f"/#/models/{name}" + (f"/versions/{version}" if version else "")
        return f"{self.ui_url.rstrip('/')}{page}{TRAINING_VIEW}"

    def dagster_run_url(self, dagster_run_id: str) -> str:
        return f"{self.dagster_ui_url.rstrip('/')}/runs/{dagster_run_id}"

    def ui_command(self) -> str:
        port = self.ui_url.rstrip("/").rsplit(":", 1)[-1]
        port = port if port.isdigit() else "5000"
        return f"mlflow ui --backend-store-uri {self.tracking_uri} --host 127.0.0.1 --port {port}"

    @property
    def tracking_uri(self) -> str:
        return DataLayout(resolve_home(self.root)).mlflow_tracking_uri

    @contextlib.contextmanager
    def start_run(
        self, run_name: str, dagster_run_id: Optional[str] = None, tags: Optional[dict] = None,
        description: Optional[str] = None,
    ) -> Iterator[mlflow.ActiveRun]:
        """An MLflow run tagged with (and linking to) the Dagster run that produced it; the Dagster
        run gets a tag with the MLflow run's id and one with the experiment's link."""
        experiment_id = configure_mlflow(DataLayout(resolve_home(self.root)).ensure(), self.experiment)
        all_tags = dict(tags or {})
        dagster_run_id = dagster_run_id or self._dagster_run_id
        if dagster_run_id:
            all_tags.update({"dagster_run_id": dagster_run_id, "dagster_run_url": self.dagster_run_url(dagster_run_id)})
        description = description or DESCRIPTIONS.get(all_tags.get("stage", ""), "")
        if dagster_run_id:
            description += f"\n\nProduced by Dagster run [{dagster_run_id}]({self.dagster_run_url(dagster_run_id)})."
        with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=all_tags,
                              description=description.strip() or None) as run:
            self._tag_dagster_run(dagster_run_id, run_name, experiment_id, run.info.run_id)
            yield run

    def _tag_dagster_run(self, dagster_run_id: Optional[str], run_name: str, experiment_id: str,
                         mlflow_run_id: str) -> None:
        if self._instance is None or not dagster_run_id or self._instance.get_run_by_id(dagster_run_id) is None:
            return
        # One tag per MLflow run (its id; the asset metadata has the clickable link) and one with
        # the experiment's page, so the runs list stays readable.
        self._instance.add_run_tags(dagster_run_id, {dagster_tag_key(run_name): mlflow_run_id,
                                                     "mlflow/experiment_url": self.experiment_url(experiment_id)})
