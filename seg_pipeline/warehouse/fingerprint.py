"""A cheap content fingerprint of a warehouse table, used as the asset's data version.

Row count plus the sum of DuckDB's per-row hashes: order-independent, one pass, no sort. It is
only compared with fingerprints from the same DuckDB version (Dagster data versions), so the
hash function changing between DuckDB releases does no harm.
"""
from __future__ import annotations

import duckdb


def table_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    # Identifiers cannot be bound; quoting keeps the name a single identifier.
    quoted = '"' + table.replace('"', '""') + '"'
    rows, digest = con.execute(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {quoted} AS t").fetchall()[0]
    return f"{rows}-{int(digest) % (1 << 64):016x}"
