"""Asset metadata helpers: row counts and schemas are the user's window into each step."""
from __future__ import annotations

import duckdb
from dagster import MetadataValue, TableColumn, TableSchema

from seg_pipeline.warehouse.db import row_count, table_schema


def table_metadata(con: duckdb.DuckDBPyConnection, table: str, prefix: str = "") -> dict:
    """Row count and column schema of one warehouse table."""
    columns = [TableColumn(name=c, type=t) for c, t in table_schema(con, table)]
    return {
        f"{prefix}row_count": MetadataValue.int(row_count(con, table)),
        f"{prefix}schema": MetadataValue.table_schema(TableSchema(columns=columns)),
        f"{prefix}table": MetadataValue.text(f"warehouse.duckdb: main.{table}"),
    }
