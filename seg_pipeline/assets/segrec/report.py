"""Asset segrec_report: Video vs SegSum vs SegAdjust vs ItemPosition vs SegRec weights on effective-view
prediction (seg_pipeline.segrec.report builds the comparison, the report files and MLflow values)."""
# No `from __future__ import annotations`: Dagster reads the Config annotations at decoration time.

from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, AssetExecutionContext, Config, DataVersion
from dagster import MaterializeResult, MetadataValue, asset, asset_check
from pydantic import Field, field_validator

from seg_pipeline.assets.checks import sql_check
from seg_pipeline.assets.metadata import markdown_table, table_metadata
from seg_pipeline.assets.segrec.choices import GROUP, BackboneName, VariantName, plain
from seg_pipeline.resources import DataHome, MlflowTracking, RunSettings
from seg_pipeline.segrec.config import ReportRequest, TrainConfig, backbone_params
from seg_pipeline.segrec.report import build_report, log_to_mlflow, read_report_inputs, write_metrics
from seg_pipeline.warehouse.db import connect

REQUEST = ReportRequest()  # the run config's defaults are the core's own
TRAIN = REQUEST.train


class SegrecReportConfig(Config):
    backbones: list[BackboneName] = Field(default=list(REQUEST.backbones), description="Backbones to compare.")
    backbone_params: dict[str, dict[str, Any]] = Field(default={}, description=(
        "Each backbone's own knobs over its defaults, e.g. {DIN: {attention_hidden: 64}, "
        "WideDeep: {cross_buckets: 65536}} (seg_pipeline/segrec/config.py BACKBONE_PARAMS)."))
    variants: list[VariantName] = Field(default=list(REQUEST.variants), description=(
        "[] = every variant the stored scores allow: Video, SegSum, SegAdjust, ItemPosition, SegRec_<modality>."))
    seeds: int = Field(default=REQUEST.seeds, ge=1, description="Seeds per (backbone, variant); the report "
                       "shows mean ± sample std.")
    first_seed: int = Field(default=REQUEST.first_seed, description="Seeds run first_seed .. first_seed + seeds - 1.")
    dim: int = Field(default=TRAIN.dim, ge=1, description="Embedding width of every backbone.")
    hidden: list[int] = Field(default=list(TRAIN.hidden), description="MLP layer widths.")
    dropout: float = Field(default=TRAIN.dropout, ge=0, lt=1, description="Dropout in the MLPs.")
    lr: float = Field(default=TRAIN.lr, gt=0, description="Adam learning rate.")
    weight_decay: float = Field(default=TRAIN.weight_decay, ge=0, description="Adam weight decay (L2).")
    batch_size: int = Field(default=TRAIN.batch_size, ge=1, description="Views per training batch.")
    max_epochs: int = Field(default=TRAIN.max_epochs, ge=1, description="Epoch budget; early stopping on "
                            "valid AUC keeps the best epoch.")
    patience: int = Field(default=TRAIN.patience, ge=1, description="Epochs without a better valid AUC "
                          "before stopping.")
    temperature: float = Field(default=TRAIN.temperature, gt=0, description="Interest scores are divided by "
                               "it before the softmax that makes the weights (1 = the paper).")
    use_visual: bool = Field(default=TRAIN.use_visual, description="Feed CLIP vectors to the backbones when "
                             "segment_embeddings exists.")

    @field_validator("backbones", "variants")
    @classmethod
    def as_plain_strings(cls, value):
        return plain(value)

    @field_validator("backbone_params")
    @classmethod
    def known_knobs(cls, value):
        for name, knobs in value.items():
            backbone_params(name, knobs)  # ConfigError naming the unknown backbone or knob
        return value

    def request(self) -> ReportRequest:
        train = TrainConfig(dim=self.dim, hidden=tuple(self.hidden), dropout=self.dropout, lr=self.lr,
                            weight_decay=self.weight_decay, batch_size=self.batch_size, max_epochs=self.max_epochs,
                            patience=self.patience, temperature=self.temperature, use_visual=self.use_visual,
                            backbone_params=self.backbone_params)
        return ReportRequest(tuple(self.backbones), tuple(self.variants), self.seeds, self.first_seed,
                             train).validate()


@asset(
    group_name=GROUP,
    deps=["segrec_interest_scores", "effective_views", "user_histories", "segment_embeddings"],
    code_version="1",
    kinds={"pytorch", "mlflow", "duckdb"},
    description="Effective-view prediction with WideDeep / DIN backbones: Video vs SegSum vs SegAdjust vs "
                "ItemPosition weights vs SegRec (segment-interest weights), AUC / F1 / logloss on test over "
                "several seeds. Table segrec_metrics (+ views segrec_summary, segrec_vs_video), MLflow run.",
)
def segrec_report(context: AssetExecutionContext, config: SegrecReportConfig, home: DataHome,
                  tracking: MlflowTracking, run_settings: RunSettings) -> MaterializeResult:
    request = config.request()
    with connect(home.layout.warehouse) as con:
        inputs = read_report_inputs(con)
    with run_settings.torch_threads():  # SegRec's small models train on the CPU
        report = build_report(inputs, request, home.layout.outputs_dir / "segrec_report", log=context.log.info)
    with tracking.start_run("segrec_report", dagster_run_id=context.run.run_id, tags={"stage": "segrec_report"}) as run:
        log_to_mlflow(report)
    run_id = run.info.run_id
    with connect(home.layout.warehouse) as con:
        vs_video = write_metrics(con, report.results, run_id, context.run.run_id)
        meta = table_metadata(con, "segrec_metrics")
    meta.update({
        "comparison": MetadataValue.md(report.table),
        "auc_vs_video": markdown_table(vs_video),
        "facts": MetadataValue.md("\n".join(f"- {f}" for f in report.facts)),
        "seconds": MetadataValue.float(round(report.seconds, 2)),
        "views": MetadataValue.json(report.counts),
        "views_without_vectors": MetadataValue.int(report.views_without_vectors),
        "mlflow_run_id": MetadataValue.text(run_id),
        "mlflow_run_url": MetadataValue.url(tracking.run_url(run.info.experiment_id, run_id)),
        "mlflow_ui": MetadataValue.text(tracking.ui_command()),
        "report_markdown": MetadataValue.path(str(report.markdown)),
        "auc_chart": MetadataValue.path(str(report.chart)),
    })
    return MaterializeResult(metadata=meta, data_version=DataVersion(report.fingerprint()))


@asset_check(asset=segrec_report, blocking=True,
             description="Every (backbone, variant, seed) has AUC and F1 in [0, 1] and a finite logloss >= 0.")
def segrec_metrics_complete(home: DataHome) -> AssetCheckResult:
    return sql_check(home, "segrec_metrics_complete")


@asset_check(asset=segrec_report,
             description="Warns unless, for every backbone, some SegRec variant beats Video on test AUC by more "
                         "than the standard error of the seed-paired difference (segrec_vs_video, >= 2 seeds).")
def segrec_beats_video(home: DataHome) -> AssetCheckResult:
    return sql_check(home, "segrec_beats_video", severity=AssetCheckSeverity.WARN)
