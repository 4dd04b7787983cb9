"""One reader per table that several stages share, so their shape is spelled once."""
from __future__ import annotations

from typing import Sequence

import duckdb
import numpy as np
import pandas as pd

from seg_pipeline.contract import MODALITIES
from seg_pipeline.warehouse.db import run_sql, table_exists

TRAINED_MODEL_COLUMNS = ("modality", "seed", "checkpoint_path", "mlflow_run_id")


def read_trained_models(con: duckdb.DuckDBPyConnection, best_seed_only: bool = False) -> pd.DataFrame:
    """The `trained_models` rows in modality order (id, visual, both), then seed; empty with the key
    columns when no model has been trained. `best_seed_only`: one row per modality, the seed with the
    best valid NDCG@5 (the lowest seed on ties; the MLflow champion rule), for the stages that use
    one model per modality (SegRec interest scores, thumbnails, edits, the CLI)."""
    if not table_exists(con, "trained_models"):
        return pd.DataFrame(columns=list(TRAINED_MODEL_COLUMNS))
    frame = con.execute("SELECT * FROM trained_models").df()
    if "seed" not in frame.columns:  # written before seeds existed: one row per modality
        frame["seed"] = 0
    order = {m: i for i, m in enumerate(MODALITIES)}
    frame["_order"] = frame["modality"].map(lambda m: order.get(m, len(order)))
    frame = frame.sort_values(["_order", "seed"], kind="stable")
    if best_seed_only:
        score = frame["valid_ndcg5"] if "valid_ndcg5" in frame.columns else pd.Series(0.0, index=frame.index)
        frame = (frame.assign(_score=score.fillna(-np.inf))
                 .sort_values(["_order", "_score", "seed"], ascending=[True, False, True], kind="stable")
                 .drop_duplicates("modality").drop(columns="_score"))
    return frame.drop(columns="_order").reset_index(drop=True)


def read_history_length(con: duckdb.DuckDBPyConnection) -> int:
    """The H that `user_histories` was built with (recorded in `history_settings`), so later stages
    read it instead of repeating it in their own configs."""
    if not table_exists(con, "history_settings"):
        raise RuntimeError("history_settings is missing: materialise user_histories first")
    return int(con.execute("SELECT history_length FROM history_settings").fetchall()[0][0])


def read_labelled_views(con: duckdb.DuckDBPyConnection, splits: Sequence[str]) -> pd.DataFrame:
    """The labelled views of `splits` (skip_labels joined with splits, sql/labelled_views.sql) in
    view_id order: the test views the report scores, the fit views the baselines learn from."""
    return run_sql(con, "labelled_views", {"splits": list(splits)}).df()
