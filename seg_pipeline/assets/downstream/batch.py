"""Dagster glue the downstream assets share: the batch config and the metadata of a batch's two
tables. The scaffold itself (which pairs, scoring, writing) is seg_pipeline.apply.batch."""
# No `from __future__ import annotations`: Dagster reads the Config annotations at decoration time.
from typing import Literal, Optional

import duckdb
from dagster import Config, DataVersion
from pydantic import Field

from seg_pipeline.apply.batch import MODALITY_CHOICES, BatchResult, BatchSpec
from seg_pipeline.assets.metadata import markdown_table, table_metadata
from seg_pipeline.contract import SPLITS
from seg_pipeline.warehouse.fingerprint import frame_fingerprint

GROUP = "downstream"
SAMPLE_ROWS = 10


class BatchConfig(Config):
    """Which pairs and which model; every pair is scored as the logged view it is, with the history
    the model was evaluated with (its user_histories row)."""

    split: Literal[SPLITS] = Field(BatchSpec.split, description="Split whose views form the batch.")
    max_pairs: int = Field(BatchSpec.max_pairs, ge=0, description="The first max_pairs views of the split "
                           "(by view_id) are the batch's (user, video) pairs.")
    modality: Literal[MODALITY_CHOICES] = Field(BatchSpec.modality, description="Which trained segment-interest "
                                                "model scores them: auto = both, else visual, else id (the first "
                                                "that was trained).")

    def spec(self, asset_name: str) -> BatchSpec:
        return BatchSpec(self.split, self.max_pairs, self.modality).validate(f"ops.{asset_name}.config.")


def batch_metadata(con: duckdb.DuckDBPyConnection, table: str, result: BatchResult, spec: BatchSpec,
                   sample_columns: list[str]) -> dict:
    """Both tables' row counts and schemas, how the batch was scored, a sample and the rejections."""
    metadata = {
        **table_metadata(con, table),
        **table_metadata(con, f"{table}_rejected", prefix="rejected_"),
        **result.scores.summary(spec),
        "pairs_rejected": len(result.rejected),
        "sample": markdown_table(result.rows[sample_columns], SAMPLE_ROWS),
        "rejections": markdown_table(result.rejected[["view_id", "video_id", "reason"]], SAMPLE_ROWS),
    }
    if result.scores.note:
        metadata["note"] = result.scores.note
    return metadata


def batch_data_version(result: BatchResult, unstable_columns: Optional[list[str]] = None) -> DataVersion:
    """The batch's rows and rejections, floats rounded (their last bits may differ between runs)."""
    rows = result.rows.drop(columns=unstable_columns or [])
    return DataVersion(frame_fingerprint(rows.round(9)) + frame_fingerprint(result.rejected))
