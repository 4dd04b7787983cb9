"""Train one segment-interest model per (modality, seed), keep each best checkpoint and log each run
to MLflow: what the `segment_interest_model` asset calls. No Dagster inside: the caller hands in a
callable that starts an MLflow run (tagged with its own run id) and a callback for progress lines.
"""
from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, ContextManager, Sequence

import mlflow
import numpy as np
import pandas as pd

from seg_pipeline.model.checkpoint import save_checkpoint
from seg_pipeline.model.config import ModelConfig, choose_modalities
from seg_pipeline.model.inputs import ViewInputs
from seg_pipeline.model.logged import data_key, log_and_register
from seg_pipeline.model.train import EpochLog, train_model
from seg_pipeline.progress import Progress
from seg_pipeline.warehouse.fingerprint import frame_fingerprint

STAGE = "segment_interest_model"  # the MLflow `stage` tag; apply/models.py finds trained runs by it
# start_run(run_name, tags=...) -> context manager yielding the active MLflow run.
StartRun = Callable[..., ContextManager[mlflow.ActiveRun]]
Log = Callable[[str], None]
# Columns of a trained_models row that differ between two runs of the same data and config.
RUN_SPECIFIC = ["mlflow_run_id", "checkpoint_path", "train_seconds", "views_per_s"]
CHECKPOINT_ARTIFACT = "model"  # run artifact folder of best.pt (apply/models.py finds .pt files there)


@dataclass
class TrainedModels:
    """The trained_models rows (sql/trained_models.sql's input) and what people want to know."""

    rows: pd.DataFrame
    modalities: list[str]
    note: str  # why these modalities
    n_train: int
    n_valid: int
    views_missing_segment_vectors: int
    seconds: float
    experiment_ids: dict[str, str]  # modality -> MLflow experiment (with rows.mlflow_run_id: a link)
    registered: dict = dataclasses.field(default_factory=dict)  # (modality, seed) -> logged.Registered
    configuration: str = ""  # the named configuration (model/named_configs.py) the knobs started from
    seeds: list[int] = dataclasses.field(default_factory=list)

    def fingerprint(self) -> str:
        """Changes when the models' results change, not when only run ids, paths or timings do."""
        return frame_fingerprint(self.rows.drop(columns=RUN_SPECIFIC).round(10))


def metric_name(prefix: str, metric: str) -> str:
    """MLflow metric names cannot hold '@': valid_NDCG@5 -> valid_NDCG_at_5."""
    return f"{prefix}{metric.replace('@', '_at_')}"


def train_models(
    inputs: ViewInputs,
    requested: Sequence[str],
    base: ModelConfig,
    checkpoint_path: Callable[[str, int], Path],
    start_run: StartRun,
    log: Log = print,
    seeds: Sequence[int] | None = None,
    configuration: str = "",
) -> TrainedModels:
    """Train every requested modality ([] = all the data allows) once per seed (default: base.seed)
    on the train views of `inputs`, early-stopping on its valid views; `base` holds every knob but
    the modality and the seed. `checkpoint_path(modality, seed)` says where each best.pt goes."""
    seeds = list(dict.fromkeys(int(k) for k in (seeds if seeds else [base.seed])))
    modalities, note = choose_modalities(list(requested), inputs.vectors is not None)
    train = inputs.subset(inputs.split == "train")
    valid = inputs.subset(inputs.split == "valid")
    log(f"training {modalities} x seeds {seeds} ({configuration or 'explicit knobs'}) on {len(train)} train / "
        f"{len(valid)} valid views ({note})")
    started = time.perf_counter()
    rows, experiments, registered = [], {}, {}
    key = data_key(inputs)
    # Upper bound: every epoch of every modality (early stopping ends sooner).
    with Progress(len(modalities) * len(seeds) * base.epochs * len(train), "training", log, unit="views") as progress:
        for modality in modalities:
            for seed in seeds:
                config = dataclasses.replace(base, modality=modality, seed=seed).validate()
                row, experiments[modality], registered[(modality, seed)] = train_and_log(
                    config, train, valid, checkpoint_path(modality, seed), start_run, log, progress.update, key,
                    configuration)
                rows.append(row)
    return TrainedModels(
        rows=pd.DataFrame(rows), modalities=modalities, note=note, n_train=len(train), n_valid=len(valid),
        views_missing_segment_vectors=int(inputs.notes.get("views_missing_segment_vectors", 0)),
        seconds=time.perf_counter() - started, experiment_ids=experiments, registered=registered,
        configuration=configuration, seeds=seeds,
    )


def train_and_log(
    config: ModelConfig,
    train: ViewInputs,
    valid: ViewInputs,
    checkpoint: Path,
    start_run: StartRun,
    log: Log = print,
    on_batch: Callable[[int], None] | None = None,
    key: str = "",
    configuration: str = "",
) -> tuple[dict, str, object]:
    """Train one modality inside its own MLflow run: params first, valid metrics per epoch, then
    the best epoch's summary, the checkpoint as a run artifact and the same weights as a
    registered MLflow model. Returns the trained_models row, the run's experiment id and the
    registered version (seg_pipeline.model.logged.Registered)."""
    vectors = train.vectors if config.modality != "id" else None
    encoder = (vectors.model, vectors.weights) if vectors else ("none", "none")
    description = (f"Segment-interest model ({config.modality}, configuration {configuration or 'explicit'}, "
                   f"seed {config.seed}, loss {config.loss}) trained on {len(train)} train "
                   f"views, early-stopped on NDCG@5 over {len(valid)} valid views; registered as "
                   f"segment_interest_{config.modality}.")
    tags = {"stage": STAGE, "modality": config.modality, "seed": str(config.seed), "configuration": configuration}
    with start_run(f"segment_interest_{config.modality}_seed{config.seed}", tags=tags,
                   description=description) as run:
        mlflow.log_params({**config.to_dict(), "configuration": configuration,
                           "n_train_views": len(train), "n_valid_views": len(valid),
                           "n_users_vocab": train.vocab.n_users, "n_videos_vocab": train.vocab.n_videos,
                           "embedding_model": encoder[0], "embedding_weights": encoder[1]})
        result = train_model(config, train, valid, on_epoch=_epoch_logger(config.modality, log), on_batch=on_batch)
        summary = {"best_epoch": result.best_epoch, "best_valid": result.best_valid,
                   "random_valid": result.random_valid, "n_train_views": len(train),
                   "mlflow_run_id": run.info.run_id, "dagster_run_id": run.data.tags.get("dagster_run_id")}
        save_checkpoint(checkpoint, result.model, train.vocab, vectors.dim if vectors else 0,
                        encoder if vectors else None, summary)
        mlflow.log_metrics({"best_epoch": result.best_epoch, "train_views_per_s": result.views_per_s,
                            "train_seconds": result.train_seconds,
                            **{metric_name("best_valid_", k): v for k, v in result.best_valid.items()},
                            **{metric_name("random_valid_", k): v for k, v in result.random_valid.items()}})
        # The checkpoint is what the pipeline scores with (score_views); the registered MLflow
        # model wraps the same weights for MLflow users (pip requirements given, never resolved).
        mlflow.log_artifact(str(checkpoint), artifact_path=CHECKPOINT_ARTIFACT)
        registered = log_and_register(result.model, train.subset(np.arange(min(1, len(train)))),
                                      vectors.dim if vectors else 0, config.modality,
                                      _get(result.best_valid, "NDCG@5"), key, description,
                                      {"seed": str(config.seed), "configuration": configuration})
        mlflow.set_tags({"registered_model": f"{registered.name}/{registered.version}",
                         "champion": str(registered.is_champion).lower()})
        log(f"{config.modality}: registered {registered.name} version {registered.version}; champion is version "
            f"{registered.champion_version}")
    row = {
        "modality": config.modality, "seed": config.seed, "configuration": configuration,
        "checkpoint_path": str(checkpoint), "mlflow_run_id": run.info.run_id,
        "best_epoch": result.best_epoch, "epochs_run": len(result.epochs),
        "valid_ndcg5": _get(result.best_valid, "NDCG@5"), "valid_hr1": _get(result.best_valid, "HR@1"),
        "valid_random_ndcg5": _get(result.random_valid, "NDCG@5"),
        "valid_random_hr1": _get(result.random_valid, "HR@1"), "loss": config.loss,
        "embedding_model": encoder[0], "weights": encoder[1],
        "n_train_views": len(train), "n_valid_views": len(valid), "train_seconds": result.train_seconds,
        "views_per_s": result.views_per_s, "device": result.device,
        "config_json": json.dumps(config.to_dict(), sort_keys=True),
    }
    return row, run.info.experiment_id, registered


def _get(metrics: dict, name: str) -> float:
    return metrics.get(name, np.nan)


def _epoch_logger(modality: str, log: Log) -> Callable[[EpochLog], None]:
    def on_epoch(epoch: EpochLog) -> None:
        values = {"train_loss": epoch.train_loss, "epoch_seconds": epoch.train_seconds}
        values.update({metric_name("valid_", k): v for k, v in epoch.valid.items()})
        mlflow.log_metrics(values, step=epoch.epoch)
        log(f"{modality} epoch {epoch.epoch}: loss {epoch.train_loss:.4f}, "
            f"valid NDCG@5 {epoch.valid.get('NDCG@5', float('nan')):.4f}")

    return on_epoch

