"""Build the baselines' statistics in the warehouse (sql/position_priors.sql) and read them back."""
from __future__ import annotations

from typing import Sequence

import duckdb
import pandas as pd

from seg_pipeline.warehouse.db import run_sql


def build_position_priors(con: duckdb.DuckDBPyConnection, fit_splits: Sequence[str]) -> pd.DataFrame:
    """(Re)create table position_priors from skip_labels + splits restricted to `fit_splits`."""
    run_sql(con, "position_priors", {"fit_splits": list(fit_splits)})
    return con.execute("SELECT prior, group_key, slot, skips, views FROM position_priors").df()
