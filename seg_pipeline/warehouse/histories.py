"""User histories: each view's strictly earlier views of the same user (SPEC 1), in SQL."""
from __future__ import annotations

import duckdb

from seg_pipeline.contract import DEFAULT_HISTORY_LENGTH
from seg_pipeline.errors import ConfigError
from seg_pipeline.warehouse.db import run_sql, transaction


def build_user_histories(con: duckdb.DuckDBPyConnection, history_length: int = DEFAULT_HISTORY_LENGTH) -> dict:
    """(Re)build user_histories and history_settings (one transaction) from skip_labels; returns
    summary numbers."""
    if history_length < 1:
        raise ConfigError(
            "ops.user_histories.config.history_length",
            f"must be at least 1, got {history_length}",
            "use a positive number of past views (the paper uses 20)",
        )
    with transaction(con):
        run_sql(con, "user_histories", {"history_length": int(history_length)})
        run_sql(con, "history_settings", {"history_length": int(history_length)})
    views, mean_len, empty = con.execute(
        "SELECT count(*), avg(history_length), count(*) FILTER (WHERE history_length = 0) FROM user_histories"
    ).fetchall()[0]
    return {
        "history_length": int(history_length),
        "views": views,
        "mean_history_items": float(mean_len or 0.0),
        "views_without_history": empty,
    }
