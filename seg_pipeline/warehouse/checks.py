"""Run one invariant query, sql/checks/<name>.sql, on an open connection.

Each file returns one row whose `passed` column is the verdict and whose other columns are the
numbers behind it. The asset checks run the same files through assets.checks.sql_check; tests and
benchmarks that already hold a connection use `check_row`.
"""
from __future__ import annotations

from typing import Any, Mapping

import duckdb

from seg_pipeline.warehouse.db import run_sql


def check_row(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None) -> dict:
    """The single row of sql/checks/<name>.sql as {column: value}, `passed` included."""
    cursor = run_sql(con, f"checks/{name}", params)
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    if len(rows) != 1 or "passed" not in columns:
        raise ValueError(f"sql/checks/{name}.sql must return one row with a 'passed' column")
    return dict(zip(columns, rows[0]))
