"""Asset segrec_interest_scores: the frozen per-segment scores SegRec's weights come from, out of
fold for train views (seg_pipeline.segrec.interest.score_interest)."""
# No `from __future__ import annotations`: Dagster reads the Config annotations at decoration time.

import time

from dagster import AssetCheckResult, AssetExecutionContext, Config, DataVersion, MaterializeResult, MetadataValue
from dagster import asset, asset_check
from pydantic import Field, field_validator

from seg_pipeline.assets.checks import sql_check
from seg_pipeline.assets.metadata import table_metadata
from seg_pipeline.assets.segrec.choices import GROUP, ModalityName, plain
from seg_pipeline.resources import DataHome, RunSettings
from seg_pipeline.segrec.interest import InterestSettings, score_interest
from seg_pipeline.warehouse.db import connect, write_frames

DEFAULTS = InterestSettings()


class SegrecInterestConfig(Config):
    n_folds: int = Field(default=DEFAULTS.n_folds, ge=2, description=(
        "Train views are cut into folds by view_id % n_folds; each fold's scores come from a prior / "
        "segment-interest model fit on the other folds (out of fold, SPEC 7)."))
    fold_epochs: int = Field(default=DEFAULTS.fold_epochs, ge=0, description=(
        "Epoch budget of the per-fold models (0 = the epoch the trained checkpoint's early stopping chose)."))
    modalities: list[ModalityName] = Field(default=list(DEFAULTS.modalities), description=(
        "Trained segment-interest modalities to score with ([] = every one in trained_models)."))

    @field_validator("modalities")
    @classmethod
    def as_plain_strings(cls, value):
        return plain(value)

    def settings(self) -> InterestSettings:
        return InterestSettings(self.n_folds, self.fold_epochs, tuple(self.modalities)).validate()


@asset(
    group_name=GROUP,
    deps=["effective_views", "skip_labels", "splits", "segment_interest_model"],
    code_version="1",
    kinds={"pytorch", "duckdb"},
    description="Frozen per-segment scores for SegRec's weights: ItemPosition prior and every trained "
                "segment-interest modality; out-of-fold for train views. Table segrec_interest_scores.",
)
def segrec_interest_scores(context: AssetExecutionContext, config: SegrecInterestConfig, home: DataHome,
                           run_settings: RunSettings) -> MaterializeResult:
    started = time.perf_counter()
    with run_settings.torch_threads():
        scored = score_interest(home.layout.warehouse, config.settings(), run_settings.resolved_device(),
                                log=context.log.info)
    params = {"dagster_run_id": context.run.run_id}
    with connect(home.layout.warehouse) as con:
        write_frames(con, [("segrec_interest_scores", scored.frame, params),
                           ("segrec_fold_settings", scored.settings, params)])
        meta = table_metadata(con, "segrec_interest_scores")
    meta.update({
        "sources": MetadataValue.text(", ".join(scored.sources)),
        "fold_sizes": MetadataValue.json(scored.fold_sizes),
        "fold_models": MetadataValue.json(scored.fold_models),
        "seconds": MetadataValue.float(round(time.perf_counter() - started, 2)),
        "note": MetadataValue.text("train views: scores from a prior/model fit without their fold; fold -1 "
                                   "(valid/test): fit on all train views"),
    })
    return MaterializeResult(metadata=meta, data_version=DataVersion(scored.fingerprint()))


@asset_check(asset=segrec_interest_scores, blocking=True,
             description="Each source scores every labelled view once, with one finite score per real segment; "
                         "train rows carry fold view_id % n_folds (segrec_fold_settings), valid/test rows -1; "
                         "the ItemPosition prior of fold k counts exactly the train views outside fold k.")
def interest_scores_cover_views(home: DataHome) -> AssetCheckResult:
    return sql_check(home, "interest_scores_cover_views")
