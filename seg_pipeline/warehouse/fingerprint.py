"""Content fingerprints used as assets' data versions: of a warehouse table, or of a small frame.

Row count plus the sum of DuckDB's per-row hashes: order-independent, one pass, no sort. It is
only compared with fingerprints from the same DuckDB version (Dagster data versions), so the
hash function changing between DuckDB releases does no harm.
"""
from __future__ import annotations

import hashlib

import duckdb
import pandas as pd


def table_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    # Identifiers cannot be bound; quoting keeps the name a single identifier.
    quoted = '"' + table.replace('"', '""') + '"'
    rows, digest = con.execute(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {quoted} AS t").fetchall()[0]
    return f"{rows}-{int(digest) % (1 << 64):016x}"


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of the frame as CSV (order-sensitive): for small result frames (metrics, summaries);
    round floats first where the last bits may differ between equivalent runs."""
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()[:16]
