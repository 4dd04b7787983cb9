"""One style for every asset check: a statement in sql/checks/<name>.sql returns one row whose
`passed` column decides the check and whose other columns become its metadata."""
from __future__ import annotations

from typing import Any, Mapping

from dagster import AssetCheckResult, AssetCheckSeverity

from seg_pipeline.assets.metadata import rounded
from seg_pipeline.resources import DataHome
from seg_pipeline.warehouse.db import connect, run_sql


def sql_check(home: DataHome, name: str, params: Mapping[str, Any] | None = None,
              severity: AssetCheckSeverity = AssetCheckSeverity.ERROR) -> AssetCheckResult:
    """Run sql/checks/<name>.sql read-only and turn its single row into an AssetCheckResult."""
    with connect(home.layout.warehouse, read_only=True) as con:
        cursor = run_sql(con, f"checks/{name}", params)
        columns = [d[0] for d in cursor.description]
        row = cursor.fetchone()
    if row is None or "passed" not in columns:
        raise ValueError(f"sql/checks/{name}.sql must return one row with a 'passed' column")
    values = dict(zip(columns, row))
    passed = bool(values.pop("passed"))
    metadata = {k: rounded(v) if not hasattr(v, "item") else rounded(v.item()) for k, v in values.items()
                if v is not None}
    return AssetCheckResult(passed=passed, severity=severity, metadata=metadata)
