"""Asset segment_interest_model: one model per modality, trained, checkpointed and logged to
MLflow by seg_pipeline.model.fit; the asset reads the views, calls it and lists the models in the
warehouse table trained_models."""
# No `from __future__ import annotations`: Dagster reads the Config annotations at decoration time.

import functools
from typing import Optional

import numpy as np
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    Config,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)
from pydantic import Field

from seg_pipeline.assets.checks import sql_check
from seg_pipeline.assets.metadata import markdown_table, rounded, table_metadata
from seg_pipeline.contract import MODALITIES
from seg_pipeline.errors import ConfigError
from seg_pipeline.model.config import ModelConfig
from seg_pipeline.model.losses import LOSSES
from seg_pipeline.model.named_configs import (
    BASELINE_ARCHITECTURES,
    BENCHMARK_ONLY,
    DEFAULT_CONFIGURATION,
    NAMED_CONFIGS,
    named_overrides,
)
from seg_pipeline.resources import DataHome, MlflowTracking, RunSettings
from seg_pipeline.warehouse.db import connect, write_frame
from seg_pipeline.warehouse.tables import read_labelled_views, read_trained_models

DEFAULTS = ModelConfig()  # field defaults; a named configuration overrides some (model/named_configs.py)
CHECKED_VALID_VIEWS = 200  # valid views each checkpoint must score on its own
# Models per modality (seeds seed .. seed + seeds - 1). 1 in the default job: one seed of id +
# visual + both costs ~160-220 s on the default demo world (2 shared cores), so 3 seeds cannot fit
# the 8-minute job; configs/segmm_sample.yaml and benchmarks/bench_accuracy.py use 3 (README).
DEFAULT_SEEDS = 1


def _knob(name: str, description: str, **limits):
    """An optional knob: None = the value of the named configuration (else ModelConfig's default)."""
    return Field(default=None, description=f"{description} Unset = the configuration's value "
                 f"(ModelConfig default {getattr(DEFAULTS, name)!r}).", **limits)


class SegmentInterestModelConfig(Config):
    """Which modalities to train, how many seeds, and the model/training knobs: a named configuration
    (seg_pipeline.model.named_configs) whose values any knob set here overrides
    (seg_pipeline.model.config.ModelConfig says why each default is what it is). Device and CPU threads
    come from the run_settings resource."""

    modalities: list[str] = Field(default=[], description=f"Subset of {list(MODALITIES)}; [] = all three when "
                                  "segment_embeddings exists, else id only.")
    configuration: str = Field(default=DEFAULT_CONFIGURATION, description="Named configuration the knobs start "
                               f"from: {', '.join(n for n in NAMED_CONFIGS if n not in BENCHMARK_ONLY + BASELINE_ARCHITECTURES)} "
                               "(model/named_configs.py says which was chosen on valid and why).")
    seeds: int = Field(default=DEFAULT_SEEDS, ge=1, description="Models per modality, seeds seed..seed+seeds-1: "
                       "one trained_models row each; the report averages them, one-model stages take the best "
                       "on valid NDCG@5.")
    d: Optional[int] = _knob("d", "Model width (SPEC 3: 32..128).", ge=4)
    layers: Optional[int] = _knob("layers", "Cross-attention layers per modality.", ge=1)
    heads: Optional[int] = _knob("heads", "Attention heads; must divide d.", ge=1)
    r: Optional[int] = _knob("r", "Size of each modality's score vector fed to the bilinear fusion.", ge=1)
    ffn_mult: Optional[int] = _knob("ffn_mult", "Feed-forward width as a multiple of d.", ge=1)
    dropout: Optional[float] = _knob("dropout", "Dropout after attention and in the feed-forward / score MLPs.",
                                     ge=0.0, lt=1.0)
    loss: Optional[str] = _knob("loss", f"Training objective, one of {', '.join(sorted(LOSSES))} "
                                "(seg_pipeline.model.losses).")
    bpr_reg: Optional[float] = _knob("bpr_reg", "Score regulariser of the bpr_max loss.", ge=0.0)
    cross_attention: Optional[bool] = _knob("cross_attention", "Ablation: false = self-attention on the video "
                                            "tokens only.")
    position: Optional[bool] = _knob("position", "Ablation: false = no position inputs, encodings or position bias.")
    interest_scale: Optional[float] = _knob("interest_scale", "Initial learned scale of the fused interest (0 = "
                                            "the paper's fixed scale 1).", ge=0.0)
    history_leave_flag: Optional[bool] = _knob("history_leave_flag", "Mark history tokens where the earlier view "
                                               "ended.")
    max_history_tokens: Optional[int] = _knob("max_history_tokens", "Most recent history segments a view sees "
                                              "(0 = none).", ge=0)
    video_dropout: Optional[float] = _knob("video_dropout", "Training only: each view's video ids become the "
                                           "out-of-vocabulary index with this probability.", ge=0.0, lt=1.0)
    position_term: Optional[str] = _knob("position_term", "linear (the paper's w_p * pos + b_p) or duration "
                                         "(+ a learned scalar per (N, slot)).")
    stop_on: Optional[str] = _knob("stop_on", "Early stopping on valid NDCG@5 or on the valid loss.")
    lr: Optional[float] = _knob("lr", "Adam learning rate (SPEC 3: 1e-4..1e-2).", gt=0.0)
    weight_decay: Optional[float] = _knob("weight_decay", "Adam weight decay.", ge=0.0)
    batch_size: Optional[int] = _knob("batch_size", "Views per training batch.", ge=1)
    epochs: Optional[int] = _knob("epochs", "Most training epochs.", ge=1)
    patience: Optional[int] = _knob("patience", "Stop after this many epochs without a better valid score.", ge=1)
    seed: int = Field(default=DEFAULTS.seed, description="First seed (initialisation, dropout, batch order).")

    def to_model_config(self, modality: str = DEFAULTS.modality, device: str = DEFAULTS.device) -> ModelConfig:
        """The configuration's values, overridden by every knob set here."""
        if self.configuration in BASELINE_ARCHITECTURES:
            raise ConfigError("configuration", f"'{self.configuration}' is a per-segment baseline network, not the "
                              "segment-interest model", "keep it in skip_prediction_report's baselines "
                              "(WideDeep, DIN), which trains it on the same inputs")
        if self.configuration in BENCHMARK_ONLY:
            raise ConfigError("configuration", f"'{self.configuration}' needs side inputs (GBDT statistics) the "
                              "pipeline's scoring paths do not build", "run it with benchmarks/bench_accuracy.py")
        knobs = {k: v for k, v in self.model_dump().items()
                 if v is not None and k not in ("modalities", "configuration", "seeds")}
        values = {**named_overrides(self.configuration), **knobs}
        return ModelConfig(**{**values, "modality": modality, "device": device}).validate()

    def seed_list(self) -> list[int]:
        return list(range(self.seed, self.seed + self.seeds))


@asset(
    group_name="model",
    deps=["skip_labels", "user_histories", "splits", "segment_embeddings"],
    code_version="1",
    kinds={"pytorch", "mlflow", "duckdb"},
    description="Segment-interest model (SPEC 3) per modality (id / visual / both) and seed, named "
                f"configuration {DEFAULT_CONFIGURATION} by default, trained on train views with early stopping on "
                "valid NDCG@5; checkpoints under models/<modality>/seed<k>/best.pt, MLflow runs, warehouse "
                "table trained_models (one row per (modality, seed)).",
)
def segment_interest_model(
    context: AssetExecutionContext,
    config: SegmentInterestModelConfig,
    home: DataHome,
    tracking: MlflowTracking,
    run_settings: RunSettings,
) -> MaterializeResult:
    from seg_pipeline.model.fit import train_models
    from seg_pipeline.model.inputs import load_view_inputs

    base = config.to_model_config(device=run_settings.resolved_device())  # fail fast, before reading
    layout = home.layout
    with connect(layout.warehouse, read_only=True) as con:
        inputs = load_view_inputs(con, ("train", "valid"), base.max_history_tokens)
    start_run = functools.partial(tracking.start_run, dagster_run_id=context.run.run_id)
    with run_settings.torch_threads():
        trained = train_models(inputs, config.modalities, base, layout.checkpoint, start_run, context.log.info,
                               seeds=config.seed_list(), configuration=config.configuration)

    with connect(layout.warehouse) as con:
        write_frame(con, "trained_models", trained.rows, {"dagster_run_id": context.run.run_id})
        meta = table_metadata(con, "trained_models")
    meta.update(_training_metadata(trained, tracking))
    return MaterializeResult(metadata=meta, data_version=DataVersion(trained.fingerprint()))


def _training_metadata(trained, tracking: MlflowTracking) -> dict:
    """Per modality: mean valid metrics over its seeds and the best seed's run (what one-model stages use)."""
    rows = trained.rows
    summary = rows[["modality", "seed", "best_epoch", "epochs_run", "valid_hr1", "valid_ndcg5",
                    "valid_random_ndcg5", "train_seconds", "views_per_s", "device", "mlflow_run_id"]]
    best = (rows.assign(_s=rows["valid_ndcg5"].fillna(-np.inf)).sort_values(["_s", "seed"], ascending=[False, True])
            .drop_duplicates("modality").set_index("modality"))
    meta = {
        "modalities": MetadataValue.text(", ".join(trained.modalities)),
        "modality_note": MetadataValue.text(trained.note),
        "configuration": MetadataValue.text(trained.configuration),
        "seeds": MetadataValue.json(trained.seeds),
        "models": markdown_table(summary),
        "train_views": MetadataValue.int(trained.n_train),
        "valid_views": MetadataValue.int(trained.n_valid),
        "views_missing_segment_vectors": MetadataValue.int(trained.views_missing_segment_vectors),
        "total_train_seconds": MetadataValue.float(round(trained.seconds, 2)),
        "mlflow_run_ids": MetadataValue.json({m: best.loc[m, "mlflow_run_id"] for m in trained.modalities}),
        "mlflow_run_ids_by_seed": MetadataValue.json(
            {m: {str(r.seed): r.mlflow_run_id for r in rows[rows["modality"] == m].itertuples()}
             for m in trained.modalities}),
        "mlflow_ui": MetadataValue.text(tracking.ui_command()),
    }
    for m, group in rows.groupby("modality", sort=False):
        b = best.loc[m]
        meta[f"{m}_mlflow_run_url"] = MetadataValue.url(tracking.run_url(trained.experiment_ids[m], b["mlflow_run_id"]))
        meta[f"{m}_best_seed"] = MetadataValue.int(int(b["seed"]))
        meta[f"{m}_valid_NDCG@5"] = MetadataValue.float(rounded(float(group["valid_ndcg5"].mean())))
        meta[f"{m}_valid_HR@1"] = MetadataValue.float(rounded(float(group["valid_hr1"].mean())))
        meta[f"{m}_best_epoch"] = MetadataValue.int(int(b["best_epoch"]))
        meta[f"{m}_views_per_s"] = MetadataValue.float(rounded(float(group["views_per_s"].mean()), 1))
    return meta


@asset_check(asset=segment_interest_model,
             description="Every trained modality ranks valid views better than Random (NDCG@5).")
def models_beat_random_on_valid(home: DataHome) -> AssetCheckResult:
    return sql_check(home, "models_beat_random_on_valid", severity=AssetCheckSeverity.WARN)


@asset_check(asset=segment_interest_model, blocking=True,
             description="Each checkpoint scores valid views on its own (config and vocabularies inside): "
                         "finite scores on every real slot.")
def checkpoints_score_on_their_own(home: DataHome) -> AssetCheckResult:
    from seg_pipeline.model.predict import score_views

    with connect(home.layout.warehouse, read_only=True) as con:
        trained = read_trained_models(con)  # every seed's checkpoint
        ids = read_labelled_views(con, ["valid"])["view_id"].to_numpy(dtype=np.int64)[:CHECKED_VALID_VIEWS]
    problems = {}
    for row in trained.itertuples():
        scored = score_views(row.checkpoint_path, home.layout.warehouse, split="valid", view_ids=ids)
        if len(scored.view_ids) != len(ids) or not np.isfinite(scored.scores).all():
            problems[f"{row.modality}/seed{row.seed}"] = f"{len(scored.view_ids)} of {len(ids)} views scored or non-finite scores"
    if trained.empty:
        problems["trained_models"] = "missing or empty"
    return AssetCheckResult(passed=not problems, metadata={
        "checked_views": len(ids), "problems": MetadataValue.json(problems or {"none": ""})})

