"""What the baselines fit on, from the warehouse: the position_priors table (sql/position_priors.sql),
the labelled views of the fit splits (sql/labelled_views.sql) and, for learned baselines, the
tabular features of every labelled view (sql/baseline_view_features.sql)."""
from __future__ import annotations

from typing import Sequence

import duckdb
import pandas as pd

from seg_pipeline.baselines.base import PRIOR_COLUMNS, FitData
from seg_pipeline.baselines.view_features import view_features
from seg_pipeline.warehouse.db import run_sql, transaction
from seg_pipeline.warehouse.tables import read_labelled_views


def build_position_priors(con: duckdb.DuckDBPyConnection, fit_splits: Sequence[str]) -> pd.DataFrame:
    """(Re)create table position_priors from skip_labels + splits restricted to `fit_splits`."""
    run_sql(con, "position_priors", {"fit_splits": list(fit_splits)})
    return con.execute(f"SELECT {', '.join(PRIOR_COLUMNS)} FROM position_priors").df()


def load_fit_data(con: duckdb.DuckDBPyConnection, fit_splits: Sequence[str], features: bool = False) -> FitData:
    """Everything a baseline may learn from; builds position_priors on the way (a people-facing table).
    `features`: also the view features (needs user_histories), for baselines that `needs_features`."""
    return FitData(priors=build_position_priors(con, fit_splits), views=read_labelled_views(con, fit_splits),
                   features=view_features(con, fit_splits) if features else pd.DataFrame())


def load_report_fit_data(con: duckdb.DuckDBPyConnection, fit_splits: Sequence[str],
                         features: bool = False) -> tuple[FitData, FitData]:
    """(fit data of `fit_splits` for scoring test, train-only fit data for choosing on valid).
    The position_priors table ends up holding the `fit_splits` counts; the features are read once
    (their train and valid rows do not depend on the fit splits)."""
    with transaction(con):
        select = FitData(priors=build_position_priors(con, ["train"]), views=read_labelled_views(con, ["train"]))
        fit = load_fit_data(con, fit_splits, features)
    return fit, FitData(priors=select.priors, views=select.views, features=fit.features)
