"""Asset metadata helpers: row counts and schemas are the user's window into each step.

The first table an asset writes gets Dagster's standard keys (`dagster/row_count`,
`dagster/column_schema`, `dagster/table_name`), so the catalog shows row counts and the asset page a
Columns section; further tables of the same asset get the same facts under a prefix.
"""
from __future__ import annotations

import math
from typing import Any

import duckdb
import pandas as pd
from dagster import MetadataValue, TableColumn, TableSchema

from seg_pipeline.warehouse.column_docs import COLUMN_DOCS
from seg_pipeline.warehouse.db import row_count, table_schema

DISPLAY_DIGITS = 4  # floats shown in the UI; the warehouse keeps full precision


def table_metadata(con: duckdb.DuckDBPyConnection, table: str, prefix: str = "",
                   descriptions: dict[str, str] | None = None) -> dict:
    """Row count and column schema of one warehouse table, read from the warehouse itself; column
    descriptions from warehouse/column_docs.py unless given."""
    descriptions = COLUMN_DOCS if descriptions is None else descriptions
    columns = [TableColumn(name=c, type=t, description=descriptions.get(c)) for c, t in table_schema(con, table)]
    schema = MetadataValue.table_schema(TableSchema(columns=columns))
    rows = MetadataValue.int(row_count(con, table))
    name = MetadataValue.text(f"warehouse.duckdb: main.{table}")
    if not prefix:
        return {"dagster/row_count": rows, "dagster/column_schema": schema, "dagster/table_name": name}
    return {f"{prefix}row_count": rows, f"{prefix}schema": schema, f"{prefix}table": name}


def rounded(value: Any, digits: int = DISPLAY_DIGITS) -> Any:
    """A float rounded for display (NaN/inf unchanged); other values as they are."""
    if isinstance(value, float) and math.isfinite(value):
        return round(value, digits)
    return value


def markdown_table(frame: pd.DataFrame, limit: int | None = None, index: bool = False) -> MetadataValue:
    """A frame as a Markdown table for the UI (floats to DISPLAY_DIGITS, at most `limit` rows)."""
    if frame is None or frame.empty:
        return MetadataValue.md("(no rows)")
    shown = frame if limit is None else frame.head(limit)
    text = shown.to_markdown(index=index, floatfmt=f".{DISPLAY_DIGITS}f")
    if limit is not None and len(frame) > limit:
        text += f"\n\n({len(frame) - limit} more rows in the warehouse)"
    return MetadataValue.md(text)
