"""Asset segment_interest_model: train one model per modality, log each to MLflow, list them in
the warehouse table trained_models. The logic lives in seg_pipeline.model."""
# No `from __future__ import annotations`: Dagster reads the Config annotations at decoration time.

import json
import time

import numpy as np
import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    Config,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from seg_pipeline.assets.metadata import table_metadata
from seg_pipeline.model.config import ModelConfig
from seg_pipeline.resources import DataHome, MlflowTracking
from seg_pipeline.warehouse.db import connect, run_sql, table_exists
from seg_pipeline.warehouse.fingerprint import frame_fingerprint

GROUP = "model"
MODEL_DEFAULTS = ModelConfig()  # the run config's defaults are the model's own (one place to change them)


class SegmentInterestModelConfig(Config):
    """Which modalities to train and the model/training knobs (seg_pipeline.model.config.ModelConfig).

    modalities: [] = id, visual and both when segment_embeddings exists, else id only.
    loss: survival (default) | intra_video (SPEC 3 eq. 8) | bce | bpr_max | softmax.
    cross_attention / position / history_leave_flag / interest_scale: ablations (ModelConfig has
    the reasons for each default). device: auto (CUDA when present) | cpu | cuda. threads: torch
    CPU threads while training (0 = torch's default; 1 avoids thrashing on a small shared machine).
    """

    modalities: list[str] = []
    d: int = MODEL_DEFAULTS.d
    layers: int = MODEL_DEFAULTS.layers
    heads: int = MODEL_DEFAULTS.heads
    r: int = MODEL_DEFAULTS.r
    ffn_mult: int = MODEL_DEFAULTS.ffn_mult
    dropout: float = MODEL_DEFAULTS.dropout
    loss: str = MODEL_DEFAULTS.loss
    bpr_reg: float = MODEL_DEFAULTS.bpr_reg
    cross_attention: bool = MODEL_DEFAULTS.cross_attention
    position: bool = MODEL_DEFAULTS.position
    interest_scale: float = MODEL_DEFAULTS.interest_scale
    history_leave_flag: bool = MODEL_DEFAULTS.history_leave_flag
    max_history_tokens: int = MODEL_DEFAULTS.max_history_tokens
    lr: float = MODEL_DEFAULTS.lr
    weight_decay: float = MODEL_DEFAULTS.weight_decay
    batch_size: int = MODEL_DEFAULTS.batch_size
    epochs: int = MODEL_DEFAULTS.epochs
    patience: int = MODEL_DEFAULTS.patience
    seed: int = MODEL_DEFAULTS.seed
    device: str = MODEL_DEFAULTS.device
    threads: int = 1

    def to_model_config(self, modality: str):
        fields = {k: v for k, v in self.model_dump().items() if k not in ("modalities", "threads")}
        return ModelConfig(modality=modality, **fields).validate()


def _metric_name(prefix: str, metric: str) -> str:
    return f"{prefix}{metric.replace('@', '_at_')}"


def _train_one(context, config, modality, train, valid, layout, tracking) -> dict:
    """Train, checkpoint and log one modality; returns its trained_models row."""
    import mlflow

    from seg_pipeline.model.checkpoint import save_checkpoint
    from seg_pipeline.model.train import train_model

    model_config = config.to_model_config(modality)
    vectors = train.vectors if modality != "id" else None
    checkpoint = layout.root / "models" / modality / "best.pt"
    with tracking.start_run(f"segment_interest_{modality}", dagster_run_id=context.run.run_id,
                            tags={"stage": "segment_interest_model", "modality": modality}) as run:
        mlflow.log_params({**model_config.to_dict(), "n_train_views": len(train), "n_valid_views": len(valid),
                           "n_users_vocab": train.vocab.n_users, "n_videos_vocab": train.vocab.n_videos,
                           "embedding_model": vectors.model if vectors else "none",
                           "embedding_weights": vectors.weights if vectors else "none"})

        def log_epoch(log):
            values = {"train_loss": log.train_loss, "epoch_seconds": log.train_seconds}
            values.update({_metric_name("valid_", k): v for k, v in log.valid.items()})
            mlflow.log_metrics(values, step=log.epoch)
            context.log.info(f"{modality} epoch {log.epoch}: loss {log.train_loss:.4f}, "
                             f"valid NDCG@5 {log.valid.get('NDCG@5', float('nan')):.4f}")

        result = train_model(model_config, train, valid, on_epoch=log_epoch)
        summary = {"best_epoch": result.best_epoch, "best_valid": result.best_valid,
                   "random_valid": result.random_valid, "n_train_views": len(train),
                   "mlflow_run_id": run.info.run_id, "dagster_run_id": context.run.run_id}
        save_checkpoint(checkpoint, result.model, train.vocab, vectors.dim if vectors else 0,
                        (vectors.model, vectors.weights) if vectors else None, summary)
        mlflow.log_metrics({"best_epoch": result.best_epoch, "train_views_per_s": result.views_per_s,
                            "train_seconds": result.train_seconds,
                            **{_metric_name("best_valid_", k): v for k, v in result.best_valid.items()},
                            **{_metric_name("random_valid_", k): v for k, v in result.random_valid.items()}})
        # The checkpoint itself is the logged model: it scores on its own (score_views) and needs
        # no network or pip resolution, unlike a packaged MLflow model.
        mlflow.log_artifact(str(checkpoint), artifact_path="model")
    return {
        "modality": modality, "checkpoint_path": str(checkpoint), "mlflow_run_id": run.info.run_id,
        "best_epoch": result.best_epoch, "epochs_run": len(result.epochs),
        "valid_ndcg5": result.best_valid.get("NDCG@5", np.nan), "valid_hr1": result.best_valid.get("HR@1", np.nan),
        "valid_random_ndcg5": result.random_valid.get("NDCG@5", np.nan),
        "valid_random_hr1": result.random_valid.get("HR@1", np.nan), "loss": model_config.loss,
        "embedding_model": vectors.model if vectors else "none", "weights": vectors.weights if vectors else "none",
        "n_train_views": len(train), "n_valid_views": len(valid), "train_seconds": result.train_seconds,
        "views_per_s": result.views_per_s, "device": result.device,
        "config_json": json.dumps(model_config.to_dict(), sort_keys=True),
    }


@asset(
    group_name=GROUP,
    deps=["skip_labels", "user_histories", "splits", "segment_embeddings"],
    code_version="1",
    kinds={"pytorch", "mlflow", "duckdb"},
    description="Segment-interest model (SPEC 3) per modality (id / visual / both), trained on train views "
                "with early stopping on valid NDCG@5; checkpoints under models/<modality>/best.pt, MLflow "
                "runs, warehouse table trained_models.",
)
def segment_interest_model(
    context: AssetExecutionContext,
    config: SegmentInterestModelConfig,
    home: DataHome,
    tracking: MlflowTracking,
) -> MaterializeResult:
    import torch

    from seg_pipeline.model.config import choose_modalities
    from seg_pipeline.model.inputs import load_view_inputs

    layout = home.layout
    config.to_model_config("id")  # fail fast on a bad knob before reading anything
    with connect(layout.warehouse, read_only=True) as con:
        inputs = load_view_inputs(con, ("train", "valid"), config.max_history_tokens)
    modalities, note = choose_modalities(list(config.modalities), inputs.vectors is not None)
    train = inputs.subset(inputs.split == "train")
    valid = inputs.subset(inputs.split == "valid")
    context.log.info(f"training {modalities} on {len(train)} train / {len(valid)} valid views ({note})")

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(config.threads or previous_threads)
    started = time.perf_counter()
    try:
        rows = [_train_one(context, config, m, train, valid, layout, tracking) for m in modalities]
    finally:
        torch.set_num_threads(previous_threads)
    elapsed = time.perf_counter() - started

    frame = pd.DataFrame(rows)
    with connect(layout.warehouse) as con:
        con.register("trained_models_input", frame)
        run_sql(con, "trained_models", {"dagster_run_id": context.run.run_id})
        con.unregister("trained_models_input")
        meta = table_metadata(con, "trained_models")

    summary = frame[["modality", "best_epoch", "epochs_run", "valid_hr1", "valid_ndcg5", "valid_random_ndcg5",
                     "train_seconds", "views_per_s", "device", "mlflow_run_id"]]
    stable = frame.drop(columns=["mlflow_run_id", "checkpoint_path", "train_seconds", "views_per_s"])
    meta.update({
        "modalities": MetadataValue.text(", ".join(modalities)),
        "modality_note": MetadataValue.text(note),
        "models": MetadataValue.md(summary.to_markdown(index=False, floatfmt=".4f")),
        "train_views": MetadataValue.int(len(train)),
        "valid_views": MetadataValue.int(len(valid)),
        "views_missing_segment_vectors": MetadataValue.int(int(inputs.notes.get("views_missing_segment_vectors", 0))),
        "total_train_seconds": MetadataValue.float(round(elapsed, 2)),
        "mlflow_run_ids": MetadataValue.json({r["modality"]: r["mlflow_run_id"] for r in rows}),
        **{f"{r['modality']}_valid_NDCG@5": MetadataValue.float(float(r["valid_ndcg5"])) for r in rows},
        **{f"{r['modality']}_valid_HR@1": MetadataValue.float(float(r["valid_hr1"])) for r in rows},
        **{f"{r['modality']}_best_epoch": MetadataValue.int(int(r["best_epoch"])) for r in rows},
        **{f"{r['modality']}_views_per_s": MetadataValue.float(round(float(r["views_per_s"]), 1)) for r in rows},
    })
    return MaterializeResult(metadata=meta, data_version=DataVersion(frame_fingerprint(stable.round(10))))


def _trained(home: DataHome) -> pd.DataFrame:
    with connect(home.layout.warehouse, read_only=True) as con:
        if not table_exists(con, "trained_models"):
            return pd.DataFrame()
        return con.execute("SELECT * FROM trained_models ORDER BY modality").df()


@asset_check(asset=segment_interest_model,
             description="Every trained modality ranks valid views better than Random (NDCG@5).")
def models_beat_random_on_valid(home: DataHome) -> AssetCheckResult:
    trained = _trained(home)
    if trained.empty:
        return AssetCheckResult(passed=False, metadata={"reason": "trained_models is missing or empty"})
    margin = trained["valid_ndcg5"] - trained["valid_random_ndcg5"]
    return AssetCheckResult(
        passed=bool((margin > 0).all()),
        metadata={f"{m}_margin_NDCG@5": float(v) for m, v in zip(trained["modality"], margin)},
    )


@asset_check(asset=segment_interest_model,
             description="Each checkpoint scores valid views on its own (config and vocabularies inside): "
                         "finite scores on every real slot.")
def checkpoints_score_on_their_own(home: DataHome) -> AssetCheckResult:
    from seg_pipeline.model.predict import score_views

    trained = _trained(home)
    if trained.empty:
        return AssetCheckResult(passed=False, metadata={"reason": "trained_models is missing or empty"})
    with connect(home.layout.warehouse, read_only=True) as con:
        ids = con.execute("SELECT view_id FROM splits WHERE split = 'valid' ORDER BY view_id LIMIT 200").fetchall()
    ids = np.array([i for (i,) in ids], dtype=np.int64)
    problems = {}
    for row in trained.itertuples():
        scored = score_views(row.checkpoint_path, home.layout.warehouse, split="valid", view_ids=ids)
        if len(scored.view_ids) != len(ids) or not np.isfinite(scored.scores).all():
            problems[row.modality] = f"{len(scored.view_ids)} of {len(ids)} views scored or non-finite scores"
    return AssetCheckResult(passed=not problems, metadata={
        "checked_views": len(ids), "problems": MetadataValue.json(problems or {"none": ""})})
